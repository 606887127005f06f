//! Sender and receiver reports (RFC 3550 §6.4).

use super::header::{Header, packet_type, u32_at};
use crate::WireError;

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the last report, /256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received (LSR).
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

const BLOCK_LEN: usize = 24;

impl ReportBlock {
    fn parse(b: &[u8]) -> Result<Self, WireError> {
        let word = u32_at(b, 4)?;
        let lost = (word & 0x00ff_ffff) as i32;
        Ok(Self {
            ssrc: u32_at(b, 0)?,
            fraction_lost: (word >> 24) as u8,
            // Sign-extend the 24-bit field.
            cumulative_lost: (lost << 8) >> 8,
            extended_highest_seq: u32_at(b, 8)?,
            jitter: u32_at(b, 12)?,
            last_sr: u32_at(b, 16)?,
            delay_since_last_sr: u32_at(b, 20)?,
        })
    }

    fn emit(&self, out: &mut Vec<u8>) {
        let lost = (self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&((u32::from(self.fraction_lost) << 24) | lost).to_be_bytes());
        out.extend_from_slice(&self.extended_highest_seq.to_be_bytes());
        out.extend_from_slice(&self.jitter.to_be_bytes());
        out.extend_from_slice(&self.last_sr.to_be_bytes());
        out.extend_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

fn blocks(body: &[u8], count: u8, at: usize) -> Result<Vec<ReportBlock>, WireError> {
    (0..usize::from(count))
        .map(|i| {
            let start = at + i * BLOCK_LEN;
            ReportBlock::parse(
                body.get(start..start + BLOCK_LEN)
                    .ok_or(WireError::TooShort)?,
            )
        })
        .collect()
}

/// A sender report (RFC 3550 §6.4.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderReport {
    /// The sender.
    pub ssrc: u32,
    /// NTP timestamp (64-bit, seconds since 1900 in fixed point 32.32).
    pub ntp_time: u64,
    /// RTP timestamp of the same instant.
    pub rtp_time: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
    /// Reception reports (at most 31).
    pub reports: Vec<ReportBlock>,
}

impl SenderReport {
    pub(crate) fn parse(header: &Header, body: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            ssrc: u32_at(body, 0)?,
            ntp_time: (u64::from(u32_at(body, 4)?) << 32) | u64::from(u32_at(body, 8)?),
            rtp_time: u32_at(body, 12)?,
            packet_count: u32_at(body, 16)?,
            octet_count: u32_at(body, 20)?,
            reports: blocks(body, header.count, 24)?,
        })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = u8::try_from(self.reports.len()).map_err(|_| WireError::TooLarge)?;
        Header::emit(
            count,
            packet_type::SR,
            24 + BLOCK_LEN * self.reports.len(),
            out,
        )?;
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&self.ntp_time.to_be_bytes());
        out.extend_from_slice(&self.rtp_time.to_be_bytes());
        out.extend_from_slice(&self.packet_count.to_be_bytes());
        out.extend_from_slice(&self.octet_count.to_be_bytes());
        for r in &self.reports {
            r.emit(out);
        }
        Ok(())
    }
}

/// A receiver report (RFC 3550 §6.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiverReport {
    /// The reporter.
    pub ssrc: u32,
    /// Reception reports (at most 31).
    pub reports: Vec<ReportBlock>,
}

impl ReceiverReport {
    pub(crate) fn parse(header: &Header, body: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            ssrc: u32_at(body, 0)?,
            reports: blocks(body, header.count, 4)?,
        })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = u8::try_from(self.reports.len()).map_err(|_| WireError::TooLarge)?;
        Header::emit(
            count,
            packet_type::RR,
            4 + BLOCK_LEN * self.reports.len(),
            out,
        )?;
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for r in &self.reports {
            r.emit(out);
        }
        Ok(())
    }
}
