//! SACK (RFC 9260 §3.3.4): cumulative TSN ack, gap ack blocks and duplicate TSNs.

use super::list::{FixedItem, List};
use super::{WireError, be16, be32};

/// A Gap Ack Block: TSNs `cumulative_tsn_ack + start ..= cumulative_tsn_ack + end` arrived
/// (RFC 9260 §3.3.4). Offsets, not TSNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GapBlock {
    /// Gap Ack Block Start offset.
    pub start: u16,
    /// Gap Ack Block End offset.
    pub end: u16,
}

impl FixedItem for GapBlock {
    const LEN: usize = 4;
    fn read(b: &[u8]) -> Self {
        Self {
            start: be16(b, 0),
            end: be16(b, 2),
        }
    }
    fn write(self, b: &mut [u8]) {
        b[0..2].copy_from_slice(&self.start.to_be_bytes());
        b[2..4].copy_from_slice(&self.end.to_be_bytes());
    }
}

/// A SACK chunk. Lists are borrowed from the packet when parsed, from the caller when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sack<'a> {
    /// Cumulative TSN Ack.
    pub cumulative_tsn_ack: u32,
    /// Advertised Receiver Window Credit (a_rwnd), in bytes.
    pub a_rwnd: u32,
    /// Gap Ack Blocks, in order.
    pub gap_blocks: List<'a, GapBlock>,
    /// Duplicate TSNs received since the last SACK.
    pub duplicate_tsns: List<'a, u32>,
}

impl<'a> Sack<'a> {
    const FIXED: usize = 12;

    pub(crate) fn parse(value: &'a [u8]) -> Result<Self, WireError> {
        let bad = WireError::BadChunkLength { chunk: 3 };
        if value.len() < Self::FIXED {
            return Err(bad);
        }
        let gaps = usize::from(be16(value, 8)) * GapBlock::LEN;
        let dups = usize::from(be16(value, 10)) * 4;
        // The counts must describe the chunk exactly.
        if value.len() != Self::FIXED + gaps + dups {
            return Err(bad);
        }
        let (gap_bytes, dup_bytes) = value[Self::FIXED..].split_at(gaps);
        Ok(Self {
            cumulative_tsn_ack: be32(value, 0),
            a_rwnd: be32(value, 4),
            gap_blocks: List::from_wire(gap_bytes).ok_or(bad)?,
            duplicate_tsns: List::from_wire(dup_bytes).ok_or(bad)?,
        })
    }

    pub(crate) fn value_len(&self) -> usize {
        Self::FIXED + self.gap_blocks.wire_len() + self.duplicate_tsns.wire_len()
    }

    pub(crate) fn check(&self) -> Result<(), WireError> {
        let fits = |n: usize| u16::try_from(n).is_ok();
        if fits(self.gap_blocks.len()) && fits(self.duplicate_tsns.len()) {
            Ok(())
        } else {
            Err(WireError::TooLong)
        }
    }

    pub(crate) fn emit_value(&self, buf: &mut [u8]) {
        buf[0..4].copy_from_slice(&self.cumulative_tsn_ack.to_be_bytes());
        buf[4..8].copy_from_slice(&self.a_rwnd.to_be_bytes());
        // Counts were checked by `check`.
        buf[8..10].copy_from_slice(&(self.gap_blocks.len() as u16).to_be_bytes());
        buf[10..12].copy_from_slice(&(self.duplicate_tsns.len() as u16).to_be_bytes());
        let gaps = Self::FIXED + self.gap_blocks.wire_len();
        self.gap_blocks.emit(&mut buf[Self::FIXED..gaps]);
        self.duplicate_tsns.emit(&mut buf[gaps..]);
    }
}
