//! DATA (RFC 9260 §3.3.1), with the I bit of RFC 7053 §3.

use super::{WireError, be16, be32};

/// A DATA chunk: one fragment of a user message. The payload is borrowed from the packet.
///
/// A DATA chunk with no user data parses (length 16); RFC 9260 §3.3.1 has the association
/// answer it with an ABORT carrying "No User Data".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Data<'a> {
    /// I bit: the receiver should SACK at once (RFC 7053 §3).
    pub immediate: bool,
    /// U bit: unordered.
    pub unordered: bool,
    /// B bit: first fragment of a user message.
    pub beginning: bool,
    /// E bit: last fragment of a user message.
    pub ending: bool,
    /// Transmission Sequence Number.
    pub tsn: u32,
    /// Stream Identifier S.
    pub stream_id: u16,
    /// Stream Sequence Number n (ignored by the receiver when unordered).
    pub ssn: u16,
    /// Payload Protocol Identifier (RFC 8831 §8 for data channels).
    pub ppid: u32,
    /// User data.
    pub payload: &'a [u8],
}

const I: u8 = 0x08;
const U: u8 = 0x04;
const B: u8 = 0x02;
const E: u8 = 0x01;

impl<'a> Data<'a> {
    /// Bytes of the fixed part of the value: TSN, stream, SSN, PPID.
    const FIXED: usize = 12;

    pub(crate) fn parse(flags: u8, value: &'a [u8]) -> Result<Self, WireError> {
        let Some(payload) = value.get(Self::FIXED..) else {
            return Err(WireError::BadChunkLength { chunk: 0 });
        };
        Ok(Self {
            immediate: flags & I != 0,
            unordered: flags & U != 0,
            beginning: flags & B != 0,
            ending: flags & E != 0,
            tsn: be32(value, 0),
            stream_id: be16(value, 4),
            ssn: be16(value, 6),
            ppid: be32(value, 8),
            payload,
        })
    }

    pub(crate) fn flags(&self) -> u8 {
        let bit = |set: bool, b: u8| if set { b } else { 0 };
        bit(self.immediate, I)
            | bit(self.unordered, U)
            | bit(self.beginning, B)
            | bit(self.ending, E)
    }

    pub(crate) fn value_len(&self) -> usize {
        Self::FIXED + self.payload.len()
    }

    pub(crate) fn emit_value(&self, buf: &mut [u8]) {
        buf[0..4].copy_from_slice(&self.tsn.to_be_bytes());
        buf[4..6].copy_from_slice(&self.stream_id.to_be_bytes());
        buf[6..8].copy_from_slice(&self.ssn.to_be_bytes());
        buf[8..12].copy_from_slice(&self.ppid.to_be_bytes());
        buf[12..].copy_from_slice(self.payload);
    }
}
