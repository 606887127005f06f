//! INIT and INIT ACK parameters (RFC 9260 §3.2.1, §3.3.2.1, §3.3.3.1) and the extension
//! parameters WebRTC uses.

use super::chunk_type::{ParamType, UnrecognizedAction};
use super::tlv::Tlv;
use super::{WireError, be32};

/// One parameter of an INIT or INIT ACK. Unknown ones keep their type and value, so the
/// association can act on the two high bits of the type (RFC 9260 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param<'a> {
    /// State Cookie (RFC 9260 §3.3.3.1): opaque to the receiver, echoed in COOKIE ECHO.
    StateCookie(&'a [u8]),
    /// Supported Extensions (RFC 5061 §4.2.7): the chunk types the sender supports.
    SupportedExtensions(&'a [u8]),
    /// Forward-TSN-Supported (RFC 3758 §3.1): partial reliability.
    ForwardTsnSupported,
    /// Zero Checksum Acceptable (RFC 9653 §5.1), with its error detection method identifier
    /// (1 for DTLS).
    ZeroChecksumAcceptable {
        /// Error Detection Method Identifier.
        edmid: u32,
    },
    /// Any other parameter (addresses, host names, cookie preservative, AUTH, ...), kept.
    Unknown {
        /// Parameter type.
        kind: ParamType,
        /// Value, without padding.
        value: &'a [u8],
    },
}

impl Param<'_> {
    /// The parameter's type.
    pub fn param_type(&self) -> ParamType {
        ParamType(self.kind())
    }

    /// For an unknown parameter, what RFC 9260 §3.2.1 asks of the receiver; `None` for the
    /// parameters this crate understands.
    pub fn unrecognized_action(&self) -> Option<UnrecognizedAction> {
        match self {
            Self::Unknown { kind, .. } => Some(kind.action()),
            _ => None,
        }
    }
}

impl<'a> Tlv<'a> for Param<'a> {
    fn parse(chunk: u8, kind: u16, value: &'a [u8]) -> Result<Self, WireError> {
        let bad = WireError::BadParameterLength { chunk, param: kind };
        Ok(match ParamType(kind) {
            ParamType::STATE_COOKIE => Self::StateCookie(value),
            ParamType::SUPPORTED_EXTENSIONS => Self::SupportedExtensions(value),
            ParamType::FORWARD_TSN_SUPPORTED if value.is_empty() => Self::ForwardTsnSupported,
            ParamType::FORWARD_TSN_SUPPORTED => return Err(bad),
            ParamType::ZERO_CHECKSUM_ACCEPTABLE if value.len() == 4 => {
                Self::ZeroChecksumAcceptable {
                    edmid: be32(value, 0),
                }
            }
            ParamType::ZERO_CHECKSUM_ACCEPTABLE => return Err(bad),
            kind => Self::Unknown { kind, value },
        })
    }

    fn kind(&self) -> u16 {
        match self {
            Self::StateCookie(_) => ParamType::STATE_COOKIE.0,
            Self::SupportedExtensions(_) => ParamType::SUPPORTED_EXTENSIONS.0,
            Self::ForwardTsnSupported => ParamType::FORWARD_TSN_SUPPORTED.0,
            Self::ZeroChecksumAcceptable { .. } => ParamType::ZERO_CHECKSUM_ACCEPTABLE.0,
            Self::Unknown { kind, .. } => kind.0,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Self::StateCookie(v)
            | Self::SupportedExtensions(v)
            | Self::Unknown { value: v, .. } => v.len(),
            Self::ForwardTsnSupported => 0,
            Self::ZeroChecksumAcceptable { .. } => 4,
        }
    }

    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            Self::StateCookie(v)
            | Self::SupportedExtensions(v)
            | Self::Unknown { value: v, .. } => buf.copy_from_slice(v),
            Self::ForwardTsnSupported => {}
            Self::ZeroChecksumAcceptable { edmid } => buf.copy_from_slice(&edmid.to_be_bytes()),
        }
    }
}
