//! RTP Control Protocol feedback for congestion control (RFC 8888 §3.1): RTPFB FMT 11.
//!
//! For each RTP stream, from `begin_seq` on: whether each packet arrived, its ECN marking,
//! and how long before the report timestamp it arrived, in 1/1024 s.

use std::time::Duration;

use super::header::{Header, packet_type, u16_at, u32_at};
use crate::WireError;

/// The RTPFB feedback message type of RFC 8888 (§3.1, IANA "FMT Values for RTPFB").
pub const CCFB_FMT: u8 = 11;
/// Most packets one report block may describe (RFC 8888 §3.1: at most a quarter of the
/// sequence number space).
pub const MAX_CCFB_REPORTS: usize = 16384;

/// The ECN field of an IP packet as the receiver saw it (RFC 3168 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ecn {
    /// `00`: not ECN-capable.
    #[default]
    NotEct,
    /// `01`: ECN-capable, ECT(1).
    Ect1,
    /// `10`: ECN-capable, ECT(0).
    Ect0,
    /// `11`: congestion experienced.
    Ce,
}

impl Ecn {
    /// The field's two bits.
    pub const fn bits(self) -> u8 {
        match self {
            Self::NotEct => 0b00,
            Self::Ect1 => 0b01,
            Self::Ect0 => 0b10,
            Self::Ce => 0b11,
        }
    }

    /// From the field's two bits (higher bits ignored).
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0b00 => Self::NotEct,
            0b01 => Self::Ect1,
            0b10 => Self::Ect0,
            _ => Self::Ce,
        }
    }
}

/// One packet metric block (RFC 8888 §3.1): 16 bits on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CcfbPacketReport {
    /// R: the packet was received.
    pub received: bool,
    /// Its ECN marking (`NotEct` when not received).
    pub ecn: Ecn,
    /// Arrival time offset (ATO, 13 bits): how long before the report timestamp the packet
    /// arrived, in 1/1024 s; [`ATO_OVER_RANGE`](Self::ATO_OVER_RANGE) or
    /// [`ATO_UNAVAILABLE`](Self::ATO_UNAVAILABLE); 0 when not received.
    pub arrival_time_offset: u16,
}

impl CcfbPacketReport {
    /// ATO for an offset of 8190/1024 s or more (RFC 8888 §3.1).
    pub const ATO_OVER_RANGE: u16 = 0x1ffe;
    /// ATO for an arrival time unknown or after the report timestamp (RFC 8888 §3.1).
    pub const ATO_UNAVAILABLE: u16 = 0x1fff;

    /// A packet not received: R, ECN and ATO all zero (RFC 8888 §3.1).
    pub const fn lost() -> Self {
        Self {
            received: false,
            ecn: Ecn::NotEct,
            arrival_time_offset: 0,
        }
    }

    /// A packet received at `arrival`, reported at `report_timestamp` (both the middle 32
    /// bits of an NTP timestamp, 1/65536 s): the offset rounded down to 1/1024 s, over range
    /// or unavailable as RFC 8888 §3.1 says.
    pub fn received(ecn: Ecn, arrival: u32, report_timestamp: u32) -> Self {
        let before = report_timestamp.wrapping_sub(arrival);
        let offset = if before > i32::MAX as u32 {
            // The arrival is after the report timestamp.
            Self::ATO_UNAVAILABLE
        } else {
            // 1/65536 s to 1/1024 s.
            u16::try_from(before / 64)
                .unwrap_or(u16::MAX)
                .min(Self::ATO_OVER_RANGE)
        };
        Self {
            received: true,
            ecn,
            arrival_time_offset: offset,
        }
    }

    /// How long before the report timestamp the packet arrived; `None` if it was not
    /// received or the offset is over range or unavailable.
    pub fn arrival_offset(&self) -> Option<Duration> {
        (self.received && self.arrival_time_offset < Self::ATO_OVER_RANGE).then(|| {
            Duration::from_nanos(u64::from(self.arrival_time_offset) * 1_000_000_000 / 1024)
        })
    }

    fn to_bits(self) -> Result<u16, WireError> {
        if self.arrival_time_offset > 0x1fff {
            return Err(WireError::TooLarge);
        }
        Ok((u16::from(self.received) << 15)
            | (u16::from(self.ecn.bits()) << 13)
            | self.arrival_time_offset)
    }

    fn from_bits(bits: u16) -> Self {
        Self {
            received: bits & 0x8000 != 0,
            ecn: Ecn::from_bits((bits >> 13) as u8),
            arrival_time_offset: bits & 0x1fff,
        }
    }
}

/// The reports on one RTP stream: packets `begin_seq`, `begin_seq + 1`, ... (wrapping).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CcfbReportBlock {
    /// SSRC of the RTP stream reported on.
    pub ssrc: u32,
    /// The first sequence number reported.
    pub begin_seq: u16,
    /// One per packet from `begin_seq` on (`num_reports` is their count, at most
    /// [`MAX_CCFB_REPORTS`]; zero is allowed).
    pub reports: Vec<CcfbPacketReport>,
}

/// RTP Control Protocol feedback for congestion control (RFC 8888), the IETF's standard
/// alternative to transport-wide CC: per stream and packet, arrival, ECN and arrival time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CongestionControlFeedback {
    /// SSRC of the feedback's sender.
    pub sender_ssrc: u32,
    /// One block per RTP stream reported on.
    pub blocks: Vec<CcfbReportBlock>,
    /// When the report was made: the middle 32 bits of an NTP timestamp (1/65536 s), the
    /// reference of every arrival time offset.
    pub report_timestamp: u32,
}

impl CongestionControlFeedback {
    /// Parses the body after the common header (padding removed).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, WireError> {
        let sender_ssrc = u32_at(body, 0)?;
        if body.len() < 8 {
            return Err(WireError::TooShort);
        }
        let end = body.len() - 4;
        let report_timestamp = u32_at(body, end)?;
        let mut blocks = Vec::new();
        let mut at = 4;
        while at < end {
            let ssrc = u32_at(body, at)?;
            let begin_seq = u16_at(body, at + 4)?;
            let count = usize::from(u16_at(body, at + 6)?);
            if count > MAX_CCFB_REPORTS {
                return Err(WireError::BadLength);
            }
            at += 8;
            // The metric blocks, padded to 32 bits (RFC 8888 §3.1).
            let len = count.div_ceil(2) * 4;
            let metrics = body.get(at..at + 2 * count).ok_or(WireError::TooShort)?;
            if at + len > end {
                return Err(WireError::BadLength);
            }
            let reports = metrics
                .chunks_exact(2)
                .map(|m| CcfbPacketReport::from_bits(u16::from_be_bytes([m[0], m[1]])))
                .collect();
            blocks.push(CcfbReportBlock {
                ssrc,
                begin_seq,
                reports,
            });
            at += len;
        }
        Ok(Self {
            sender_ssrc,
            blocks,
            report_timestamp,
        })
    }

    /// Appends the packet to `out`. A block with more than [`MAX_CCFB_REPORTS`] reports, an
    /// offset over 13 bits, or a packet over the 16-bit length field is refused.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let mut body_len = 8;
        for block in &self.blocks {
            if block.reports.len() > MAX_CCFB_REPORTS {
                return Err(WireError::TooLarge);
            }
            body_len += 8 + block.reports.len().div_ceil(2) * 4;
        }
        let first = out.len();
        Header::emit(CCFB_FMT, packet_type::RTPFB, body_len, out)?;
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        for block in &self.blocks {
            out.extend_from_slice(&block.ssrc.to_be_bytes());
            out.extend_from_slice(&block.begin_seq.to_be_bytes());
            // At most MAX_CCFB_REPORTS, checked above.
            out.extend_from_slice(&(block.reports.len() as u16).to_be_bytes());
            for report in &block.reports {
                match report.to_bits() {
                    Ok(bits) => out.extend_from_slice(&bits.to_be_bytes()),
                    Err(e) => {
                        out.truncate(first);
                        return Err(e);
                    }
                }
            }
            if block.reports.len() % 2 == 1 {
                out.extend_from_slice(&[0, 0]);
            }
        }
        out.extend_from_slice(&self.report_timestamp.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ato_coding_follows_rfc_8888() {
        let ts = 0x0001_0000; // 1 s
        // 0.5 s before: 512/1024 s.
        let r = CcfbPacketReport::received(Ecn::Ect0, 0x0000_8000, ts);
        assert_eq!(r.arrival_time_offset, 512);
        assert_eq!(r.arrival_offset(), Some(Duration::from_millis(500)));
        // 10 s before: over range.
        let r = CcfbPacketReport::received(Ecn::NotEct, ts.wrapping_sub(10 << 16), ts);
        assert_eq!(r.arrival_time_offset, CcfbPacketReport::ATO_OVER_RANGE);
        assert_eq!(r.arrival_offset(), None);
        // After the report timestamp: unavailable.
        let r = CcfbPacketReport::received(Ecn::Ce, ts + 1, ts);
        assert_eq!(r.arrival_time_offset, CcfbPacketReport::ATO_UNAVAILABLE);
        // Across the wrap of the 32-bit timestamp.
        let r = CcfbPacketReport::received(Ecn::NotEct, u32::MAX - 63, 0);
        assert_eq!(r.arrival_time_offset, 1);
        assert_eq!(CcfbPacketReport::lost().arrival_offset(), None);
    }

    #[test]
    fn an_out_of_range_offset_is_refused_and_nothing_is_written() {
        let fb = CongestionControlFeedback {
            blocks: vec![CcfbReportBlock {
                reports: vec![CcfbPacketReport {
                    received: true,
                    ecn: Ecn::NotEct,
                    arrival_time_offset: 0x2000,
                }],
                ..CcfbReportBlock::default()
            }],
            ..CongestionControlFeedback::default()
        };
        let mut out = vec![1, 2, 3];
        assert_eq!(fb.emit(&mut out), Err(WireError::TooLarge));
        assert_eq!(out, [1, 2, 3]);
    }
}
