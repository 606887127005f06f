//! Transport-wide congestion control feedback
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): RTPFB FMT 15.

use super::header::{Header, packet_type, u16_at, u32_at};
use crate::WireError;

/// Receive deltas are in units of 250 µs.
pub const DELTA_UNIT_US: i64 = 250;
/// The reference time is in units of 64 ms.
pub const REFERENCE_UNIT_MS: i64 = 64;
/// Most packets one feedback describes (a bound against abuse).
pub const MAX_STATUSES: usize = 1 << 15;

/// Transport-wide CC feedback: for each transport sequence number from `base_seq`, whether it
/// arrived and when.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportCc {
    /// Sender of the feedback.
    pub sender_ssrc: u32,
    /// Media source (unused by the receiver, often 0 or the first media SSRC).
    pub media_ssrc: u32,
    /// First transport-wide sequence number described.
    pub base_seq: u16,
    /// Reference time, in units of 64 ms (24-bit signed).
    pub reference_time: i32,
    /// Feedback packet count (8 bits, wraps).
    pub feedback_count: u8,
    /// Per packet from `base_seq` on: the arrival time relative to the reference time in
    /// µs (a multiple of 250), or `None` if not received.
    pub arrivals: Vec<Option<i64>>,
}

const NOT_RECEIVED: u8 = 0;
const SMALL_DELTA: u8 = 1;
const LARGE_DELTA: u8 = 2;

impl TransportCc {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, WireError> {
        let base_seq = u16_at(body, 8)?;
        let count = usize::from(u16_at(body, 10)?);
        let word = u32_at(body, 12)?;
        let reference_time = ((word >> 8) as i32) << 8 >> 8;
        let feedback_count = word as u8;
        let mut statuses: Vec<u8> = Vec::with_capacity(count.min(MAX_STATUSES));
        let mut at = 16;
        while statuses.len() < count {
            let chunk = u16_at(body, at)?;
            at += 2;
            if chunk & 0x8000 == 0 {
                // Run-length chunk: symbol (2 bits), run length (13 bits).
                let symbol = ((chunk >> 13) & 0x3) as u8;
                let run = usize::from(chunk & 0x1fff);
                let take = run.min(count - statuses.len());
                statuses.extend(std::iter::repeat_n(symbol, take));
            } else if chunk & 0x4000 == 0 {
                // Status vector, 14 one-bit symbols.
                for i in (0..14).rev() {
                    if statuses.len() < count {
                        statuses.push(((chunk >> i) & 1) as u8);
                    }
                }
            } else {
                // Status vector, 7 two-bit symbols.
                for i in (0..7).rev() {
                    if statuses.len() < count {
                        statuses.push(((chunk >> (2 * i)) & 0x3) as u8);
                    }
                }
            }
        }
        let mut arrivals = Vec::with_capacity(statuses.len());
        let mut time = 0i64;
        for s in statuses {
            match s {
                NOT_RECEIVED => arrivals.push(None),
                SMALL_DELTA => {
                    time += i64::from(*body.get(at).ok_or(WireError::TooShort)?) * DELTA_UNIT_US;
                    at += 1;
                    arrivals.push(Some(time));
                }
                LARGE_DELTA => {
                    time += i64::from(u16_at(body, at)? as i16) * DELTA_UNIT_US;
                    at += 2;
                    arrivals.push(Some(time));
                }
                _ => return Err(WireError::BadLength),
            }
        }
        Ok(Self {
            sender_ssrc: u32_at(body, 0)?,
            media_ssrc: u32_at(body, 4)?,
            base_seq,
            reference_time,
            feedback_count,
            arrivals,
        })
    }

    /// Appends the packet to `out`. Arrival times are rounded down to 250 µs; a gap between
    /// two received packets larger than the 16-bit signed delta allows is refused.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = u16::try_from(self.arrivals.len()).map_err(|_| WireError::TooLarge)?;
        let mut symbols = Vec::with_capacity(self.arrivals.len());
        let mut deltas = Vec::new();
        let mut previous = 0i64;
        for a in &self.arrivals {
            match a {
                None => symbols.push(NOT_RECEIVED),
                Some(t) => {
                    let ticks = t.div_euclid(DELTA_UNIT_US) - previous.div_euclid(DELTA_UNIT_US);
                    previous = *t;
                    if (0..=255).contains(&ticks) {
                        symbols.push(SMALL_DELTA);
                        deltas.push(ticks as u8);
                    } else {
                        let d = i16::try_from(ticks).map_err(|_| WireError::TooLarge)?;
                        symbols.push(LARGE_DELTA);
                        deltas.extend_from_slice(&d.to_be_bytes());
                    }
                }
            }
        }
        let mut chunks: Vec<u16> = Vec::new();
        let mut i = 0;
        while i < symbols.len() {
            let run = symbols[i..]
                .iter()
                .take_while(|s| **s == symbols[i])
                .count();
            if run >= 7 {
                // A run-length chunk when it saves space (or the rest is one run).
                let run = run.min(0x1fff);
                chunks.push((u16::from(symbols[i]) << 13) | run as u16);
                i += run;
            } else {
                let mut chunk = 0xc000u16;
                for k in 0..7 {
                    let s = symbols.get(i + k).copied().unwrap_or(NOT_RECEIVED);
                    chunk |= u16::from(s) << (2 * (6 - k));
                }
                chunks.push(chunk);
                i += 7;
            }
        }
        let unpadded = 16 + 2 * chunks.len() + deltas.len();
        let padded = unpadded.div_ceil(4) * 4;
        let pad = padded - unpadded;
        let first = out.len();
        Header::emit(15, packet_type::RTPFB, padded, out)?;
        if pad > 0 {
            out[first] |= 0x20;
        }
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&self.media_ssrc.to_be_bytes());
        out.extend_from_slice(&self.base_seq.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        let reference = (self.reference_time.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
        out.extend_from_slice(&((reference << 8) | u32::from(self.feedback_count)).to_be_bytes());
        for c in chunks {
            out.extend_from_slice(&c.to_be_bytes());
        }
        out.extend_from_slice(&deltas);
        // RFC 3550 §6.4.1 padding: the last byte counts the padding bytes.
        for k in 0..pad {
            out.push(if k + 1 == pad { pad as u8 } else { 0 });
        }
        Ok(())
    }
}
