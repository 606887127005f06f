//! RE-CONFIG (RFC 6525 §3.1) with its stream reset parameters (§4.1, §4.2, §4.4).

use super::chunk_type::ParamType;
use super::list::List;
use super::tlv::{Tlv, TlvList};
use super::{WireError, be32};

/// Result of a Re-configuration Response (RFC 6525 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReconfigResult(pub u32);

impl ReconfigResult {
    /// Success - Nothing to do.
    pub const SUCCESS_NOTHING_TO_DO: Self = Self(0);
    /// Success - Performed.
    pub const SUCCESS_PERFORMED: Self = Self(1);
    /// Denied.
    pub const DENIED: Self = Self(2);
    /// Error - Wrong SSN.
    pub const ERROR_WRONG_SSN: Self = Self(3);
    /// Error - Request already in progress.
    pub const ERROR_REQUEST_IN_PROGRESS: Self = Self(4);
    /// Error - Bad Sequence Number.
    pub const ERROR_BAD_SEQUENCE_NUMBER: Self = Self(5);
    /// In progress.
    pub const IN_PROGRESS: Self = Self(6);
}

/// One parameter of a RE-CONFIG chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReconfigParam<'a> {
    /// Outgoing SSN Reset Request (RFC 6525 §4.1): we reset these outgoing streams (all when
    /// empty).
    OutgoingSsnReset {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Re-configuration Response Sequence Number.
        response_seq: u32,
        /// Sender's Last Assigned TSN.
        last_tsn: u32,
        /// Stream numbers.
        streams: List<'a, u16>,
    },
    /// Incoming SSN Reset Request (RFC 6525 §4.2): please reset these of your outgoing
    /// streams (all when empty).
    IncomingSsnReset {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Stream numbers.
        streams: List<'a, u16>,
    },
    /// Re-configuration Response (RFC 6525 §4.4).
    Response {
        /// Re-configuration Response Sequence Number.
        response_seq: u32,
        /// Result.
        result: ReconfigResult,
        /// Sender's and receiver's next TSN, present together or not at all (they answer
        /// an SSN/TSN Reset Request).
        next_tsns: Option<(u32, u32)>,
    },
    /// Any other parameter (SSN/TSN Reset, Add Streams, unknown), kept with its type.
    Other {
        /// Parameter type.
        kind: ParamType,
        /// Value, without padding.
        value: &'a [u8],
    },
}

impl<'a> Tlv<'a> for ReconfigParam<'a> {
    fn parse(chunk: u8, kind: u16, value: &'a [u8]) -> Result<Self, WireError> {
        let bad = WireError::BadParameterLength { chunk, param: kind };
        Ok(match ParamType(kind) {
            ParamType::OUTGOING_SSN_RESET => Self::OutgoingSsnReset {
                request_seq: be32(value.get(..12).ok_or(bad)?, 0),
                response_seq: be32(value, 4),
                last_tsn: be32(value, 8),
                streams: List::from_wire(&value[12..]).ok_or(bad)?,
            },
            ParamType::INCOMING_SSN_RESET => Self::IncomingSsnReset {
                request_seq: be32(value.get(..4).ok_or(bad)?, 0),
                streams: List::from_wire(&value[4..]).ok_or(bad)?,
            },
            ParamType::RECONFIG_RESPONSE => match value.len() {
                8 | 16 => Self::Response {
                    response_seq: be32(value, 0),
                    result: ReconfigResult(be32(value, 4)),
                    next_tsns: (value.len() == 16).then(|| (be32(value, 8), be32(value, 12))),
                },
                _ => return Err(bad),
            },
            kind => Self::Other { kind, value },
        })
    }

    fn kind(&self) -> u16 {
        match self {
            Self::OutgoingSsnReset { .. } => ParamType::OUTGOING_SSN_RESET.0,
            Self::IncomingSsnReset { .. } => ParamType::INCOMING_SSN_RESET.0,
            Self::Response { .. } => ParamType::RECONFIG_RESPONSE.0,
            Self::Other { kind, .. } => kind.0,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Self::OutgoingSsnReset { streams, .. } => 12 + streams.wire_len(),
            Self::IncomingSsnReset { streams, .. } => 4 + streams.wire_len(),
            Self::Response { next_tsns, .. } => 8 + if next_tsns.is_some() { 8 } else { 0 },
            Self::Other { value, .. } => value.len(),
        }
    }

    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            Self::OutgoingSsnReset {
                request_seq,
                response_seq,
                last_tsn,
                streams,
            } => {
                buf[0..4].copy_from_slice(&request_seq.to_be_bytes());
                buf[4..8].copy_from_slice(&response_seq.to_be_bytes());
                buf[8..12].copy_from_slice(&last_tsn.to_be_bytes());
                streams.emit(&mut buf[12..]);
            }
            Self::IncomingSsnReset {
                request_seq,
                streams,
            } => {
                buf[0..4].copy_from_slice(&request_seq.to_be_bytes());
                streams.emit(&mut buf[4..]);
            }
            Self::Response {
                response_seq,
                result,
                next_tsns,
            } => {
                buf[0..4].copy_from_slice(&response_seq.to_be_bytes());
                buf[4..8].copy_from_slice(&result.0.to_be_bytes());
                if let Some((sender, receiver)) = next_tsns {
                    buf[8..12].copy_from_slice(&sender.to_be_bytes());
                    buf[12..16].copy_from_slice(&receiver.to_be_bytes());
                }
            }
            Self::Other { value, .. } => buf.copy_from_slice(value),
        }
    }
}

/// A RE-CONFIG chunk (RFC 6525 §3.1): one or two re-configuration parameters. How many and
/// which combinations are allowed (§3.1) is the association's to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReConfig<'a> {
    /// The parameters, in order.
    pub params: TlvList<'a, ReconfigParam<'a>>,
}

impl<'a> ReConfig<'a> {
    pub(crate) fn parse(value: &'a [u8]) -> Result<Self, WireError> {
        Ok(Self {
            params: TlvList::from_wire(0x82, value)?,
        })
    }
}
