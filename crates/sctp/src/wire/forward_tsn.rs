//! FORWARD TSN (RFC 3758 §3.2).

use super::list::{FixedItem, List};
use super::{WireError, be16, be32};

/// A stream and the largest stream sequence number being skipped on it (RFC 3758 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SkippedStream {
    /// Stream identifier.
    pub stream_id: u16,
    /// Stream Sequence.
    pub ssn: u16,
}

impl FixedItem for SkippedStream {
    const LEN: usize = 4;
    fn read(b: &[u8]) -> Self {
        Self {
            stream_id: be16(b, 0),
            ssn: be16(b, 2),
        }
    }
    fn write(self, b: &mut [u8]) {
        b[0..2].copy_from_slice(&self.stream_id.to_be_bytes());
        b[2..4].copy_from_slice(&self.ssn.to_be_bytes());
    }
}

/// A FORWARD TSN chunk: move the peer's cumulative TSN past abandoned messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ForwardTsn<'a> {
    /// New Cumulative TSN.
    pub new_cumulative_tsn: u32,
    /// Ordered streams and the last skipped stream sequence number on each.
    pub streams: List<'a, SkippedStream>,
}

impl<'a> ForwardTsn<'a> {
    pub(crate) fn parse(value: &'a [u8]) -> Result<Self, WireError> {
        let bad = WireError::BadChunkLength { chunk: 0xC0 };
        let rest = value.get(4..).ok_or(bad)?;
        Ok(Self {
            new_cumulative_tsn: be32(value, 0),
            streams: List::from_wire(rest).ok_or(bad)?,
        })
    }

    pub(crate) fn value_len(&self) -> usize {
        4 + self.streams.wire_len()
    }

    pub(crate) fn emit_value(&self, buf: &mut [u8]) {
        buf[0..4].copy_from_slice(&self.new_cumulative_tsn.to_be_bytes());
        self.streams.emit(&mut buf[4..]);
    }
}
