//! HEARTBEAT and HEARTBEAT ACK (RFC 9260 §3.3.5, §3.3.6).

use super::chunk_type::ParamType;
use super::{WireError, be16};

/// The value of a HEARTBEAT or HEARTBEAT ACK: one Heartbeat Info parameter, opaque to the
/// receiver, which echoes it unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Heartbeat<'a> {
    /// The Heartbeat Information, without its parameter header.
    pub info: &'a [u8],
}

impl<'a> Heartbeat<'a> {
    pub(crate) fn parse(chunk: u8, value: &'a [u8]) -> Result<Self, WireError> {
        if value.len() < 4 {
            return Err(WireError::MissingParameter { chunk });
        }
        let kind = be16(value, 0);
        if kind != ParamType::HEARTBEAT_INFO.0 {
            return Err(WireError::MissingParameter { chunk });
        }
        let len = usize::from(be16(value, 2));
        let info = value
            .get(4..len.max(4))
            .ok_or(WireError::BadParameterLength { chunk, param: kind })?;
        if len < 4 {
            return Err(WireError::BadParameterLength { chunk, param: kind });
        }
        // Anything after the parameter is ignored: §3.3.5 defines only the one.
        Ok(Self { info })
    }

    pub(crate) fn value_len(&self) -> usize {
        4 + self.info.len()
    }

    pub(crate) fn check(&self) -> Result<(), WireError> {
        // The parameter length (4 + info) must fit 16 bits, and so must the chunk's.
        if self.info.len() > usize::from(u16::MAX) - 8 {
            Err(WireError::TooLong)
        } else {
            Ok(())
        }
    }

    pub(crate) fn emit_value(&self, buf: &mut [u8]) {
        buf[0..2].copy_from_slice(&ParamType::HEARTBEAT_INFO.0.to_be_bytes());
        // Length checked by `check`.
        buf[2..4].copy_from_slice(&((4 + self.info.len()) as u16).to_be_bytes());
        buf[4..].copy_from_slice(self.info);
    }
}
