//! Feedback messages (RFC 4585 §6): generic NACK, PLI, FIR (RFC 5104 §4.3.1) and REMB
//! (draft-alvestrand-rmcat-remb-03).

use super::header::{Header, packet_type, u16_at, u32_at};
use crate::WireError;

/// One FCI entry of a generic NACK (RFC 4585 §6.2.1): a lost packet and a bitmask of the
/// 16 after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NackPair {
    /// Packet ID: a lost sequence number.
    pub pid: u16,
    /// Bitmask of following lost packets: bit i set means `pid + i + 1` is lost.
    pub blp: u16,
}

/// Generic NACK (RFC 4585 §6.2.1): lost sequence numbers of one media source, kept as the
/// FCI entries on the wire so a packet re-emits unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nack {
    /// Sender of the feedback.
    pub sender_ssrc: u32,
    /// The media source.
    pub media_ssrc: u32,
    /// The FCI entries.
    pub pairs: Vec<NackPair>,
}

impl Nack {
    /// A NACK for these lost sequence numbers, packed into as few entries as their order
    /// allows.
    pub fn from_lost(sender_ssrc: u32, media_ssrc: u32, lost: &[u16]) -> Self {
        let mut pairs: Vec<NackPair> = Vec::new();
        for &seq in lost {
            if let Some(last) = pairs.last_mut() {
                let d = seq.wrapping_sub(last.pid);
                if d == 0 {
                    continue;
                }
                if d <= 16 {
                    last.blp |= 1 << (d - 1);
                    continue;
                }
            }
            pairs.push(NackPair { pid: seq, blp: 0 });
        }
        Self {
            sender_ssrc,
            media_ssrc,
            pairs,
        }
    }

    /// The lost sequence numbers, entry by entry.
    pub fn lost(&self) -> impl Iterator<Item = u16> + '_ {
        self.pairs.iter().flat_map(|p| {
            std::iter::once(p.pid).chain(
                (0..16u16)
                    .filter(move |bit| p.blp & (1 << bit) != 0)
                    .map(move |bit| p.pid.wrapping_add(bit + 1)),
            )
        })
    }

    pub(crate) fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut pairs = Vec::new();
        let mut at = 8;
        while at + 4 <= body.len() {
            pairs.push(NackPair {
                pid: u16_at(body, at)?,
                blp: u16_at(body, at + 2)?,
            });
            at += 4;
        }
        Ok(Self {
            sender_ssrc: u32_at(body, 0)?,
            media_ssrc: u32_at(body, 4)?,
            pairs,
        })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        Header::emit(1, packet_type::RTPFB, 8 + 4 * self.pairs.len(), out)?;
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&self.media_ssrc.to_be_bytes());
        for p in &self.pairs {
            out.extend_from_slice(&p.pid.to_be_bytes());
            out.extend_from_slice(&p.blp.to_be_bytes());
        }
        Ok(())
    }
}

/// Picture loss indication (RFC 4585 §6.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pli {
    /// Sender of the feedback.
    pub sender_ssrc: u32,
    /// The media source.
    pub media_ssrc: u32,
}

impl Pli {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            sender_ssrc: u32_at(body, 0)?,
            media_ssrc: u32_at(body, 4)?,
        })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        Header::emit(1, packet_type::PSFB, 8, out)?;
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&self.media_ssrc.to_be_bytes());
        Ok(())
    }
}

/// Full intra request (RFC 5104 §4.3.1): one entry per source asked for a key frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fir {
    /// Sender of the feedback.
    pub sender_ssrc: u32,
    /// (source, command sequence number).
    pub entries: Vec<(u32, u8)>,
}

impl Fir {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut entries = Vec::new();
        let mut at = 8;
        while at + 8 <= body.len() {
            entries.push((u32_at(body, at)?, body[at + 4]));
            at += 8;
        }
        Ok(Self {
            sender_ssrc: u32_at(body, 0)?,
            entries,
        })
    }

    /// Appends the packet to `out` (media SSRC 0, RFC 5104 §4.3.1.2).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        Header::emit(4, packet_type::PSFB, 8 + 8 * self.entries.len(), out)?;
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        for (ssrc, seq) in &self.entries {
            out.extend_from_slice(&ssrc.to_be_bytes());
            out.extend_from_slice(&[*seq, 0, 0, 0]);
        }
        Ok(())
    }
}

/// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remb {
    /// Sender of the feedback.
    pub sender_ssrc: u32,
    /// Estimated bitrate, bits per second.
    pub bitrate: u64,
    /// The sources the estimate applies to.
    pub ssrcs: Vec<u32>,
}

impl Remb {
    /// Whether an AFB body (PSFB FMT 15) is a REMB: `R` `E` `M` `B` after the media SSRC.
    pub(crate) fn is_remb(body: &[u8]) -> bool {
        body.get(8..12) == Some(b"REMB")
    }

    pub(crate) fn parse(body: &[u8]) -> Result<Self, WireError> {
        let n = usize::from(*body.get(12).ok_or(WireError::TooShort)?);
        let exp = u32::from(*body.get(13).ok_or(WireError::TooShort)? >> 2);
        let mantissa = (u32_at(body, 12)? & 0x0003_ffff) as u64;
        let bitrate = mantissa
            .checked_shl(exp)
            .filter(|b| b >> exp == mantissa)
            .unwrap_or(u64::MAX);
        let ssrcs = (0..n)
            .map(|i| u32_at(body, 16 + 4 * i))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            sender_ssrc: u32_at(body, 0)?,
            bitrate,
            ssrcs,
        })
    }

    /// Appends the packet to `out`; the bitrate is rounded down to 18 bits of mantissa.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let n = u8::try_from(self.ssrcs.len()).map_err(|_| WireError::TooLarge)?;
        let mut exp = 0u32;
        while self.bitrate >> exp > 0x3_ffff {
            exp += 1;
        }
        let mantissa = (self.bitrate >> exp) as u32;
        Header::emit(15, packet_type::PSFB, 16 + 4 * self.ssrcs.len(), out)?;
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(b"REMB");
        out.extend_from_slice(&((u32::from(n) << 24) | (exp << 18) | mantissa).to_be_bytes());
        for s in &self.ssrcs {
            out.extend_from_slice(&s.to_be_bytes());
        }
        Ok(())
    }
}
