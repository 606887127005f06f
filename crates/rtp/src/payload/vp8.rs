//! VP8 over RTP (RFC 7741): the payload descriptor, packetization, and frame assembly with
//! key-frame detection.

use super::assembly::Assembly;
use super::{DepacketizeError, Frame};

/// Largest frame the depacketizer assembles.
pub(crate) const MAX_FRAME: usize = 8 * 1024 * 1024;

/// The VP8 payload descriptor (RFC 7741 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vp8Descriptor {
    /// N: a non-reference frame.
    pub non_reference: bool,
    /// S: the start of a VP8 partition.
    pub start: bool,
    /// Partition index (0 for the first partition).
    pub partition_id: u8,
    /// Picture ID, 7 or 15 bits.
    pub picture_id: Option<u16>,
    /// Whether the picture ID is the 15-bit form.
    pub long_picture_id: bool,
    /// TL0PICIDX.
    pub tl0_pic_idx: Option<u8>,
    /// Temporal layer index and layer sync bit.
    pub tid: Option<(u8, bool)>,
    /// Key index.
    pub key_idx: Option<u8>,
    /// Length of the descriptor in bytes.
    pub len: usize,
}

impl Vp8Descriptor {
    /// Parses the descriptor at the start of a VP8 payload.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let first = *payload.first()?;
        let mut d = Self {
            non_reference: first & 0x20 != 0,
            start: first & 0x10 != 0,
            partition_id: first & 0x07,
            ..Self::default()
        };
        let mut at = 1;
        if first & 0x80 != 0 {
            let x = *payload.get(at)?;
            at += 1;
            if x & 0x80 != 0 {
                let b = *payload.get(at)?;
                at += 1;
                if b & 0x80 != 0 {
                    let b2 = *payload.get(at)?;
                    at += 1;
                    d.picture_id = Some((u16::from(b & 0x7f) << 8) | u16::from(b2));
                    d.long_picture_id = true;
                } else {
                    d.picture_id = Some(u16::from(b));
                }
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(*payload.get(at)?);
                at += 1;
            }
            if x & 0x30 != 0 {
                let b = *payload.get(at)?;
                at += 1;
                if x & 0x20 != 0 {
                    d.tid = Some((b >> 6, b & 0x20 != 0));
                }
                if x & 0x10 != 0 {
                    d.key_idx = Some(b & 0x1f);
                }
            }
        }
        d.len = at;
        (payload.len() >= at).then_some(d)
    }
}

/// Splits VP8 frames into RTP payloads with a 15-bit picture ID that counts frames.
#[derive(Debug, Clone)]
pub struct Vp8Packetizer {
    picture_id: u16,
    max_payload: usize,
}

impl Vp8Packetizer {
    /// Payloads of at most `max_payload` bytes (descriptor included); the first picture ID.
    pub fn new(max_payload: usize, first_picture_id: u16) -> Self {
        Self {
            picture_id: first_picture_id & 0x7fff,
            max_payload: max_payload.max(5),
        }
    }

    /// The payloads of one frame, in order; the last one gets the marker bit (RFC 7741 §4.1).
    pub fn packetize(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        const DESCRIPTOR: usize = 4;
        let room = self.max_payload - DESCRIPTOR;
        let pid = self.picture_id;
        self.picture_id = (self.picture_id + 1) & 0x7fff;
        let chunks: Vec<&[u8]> = if frame.is_empty() {
            vec![&[]]
        } else {
            frame.chunks(room).collect()
        };
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                let mut p = Vec::with_capacity(DESCRIPTOR + chunk.len());
                // X=1, S on the first packet, PID 0; I=1; M=1 with 15 bits.
                p.push(0x80 | if i == 0 { 0x10 } else { 0 });
                p.push(0x80);
                p.push(0x80 | (pid >> 8) as u8);
                p.push(pid as u8);
                p.extend_from_slice(chunk);
                p
            })
            .collect()
    }
}

/// Reassembles VP8 frames from packets in sequence order (the jitter or frame buffer
/// reorders first).
#[derive(Debug, Clone, Default)]
pub struct Vp8Depacketizer {
    assembly: Assembly,
}

impl Vp8Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one packet; returns a frame when its last packet (marker bit) arrives.
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<Option<Frame>, DepacketizeError> {
        let d = Vp8Descriptor::parse(payload).ok_or(DepacketizeError::Malformed)?;
        let data = &payload[d.len..];
        // RFC 7741 §4.2: S on partition 0 starts a frame; §4.3: P bit 0 in the VP8 payload
        // header marks a key frame.
        let start =
            (d.start && d.partition_id == 0).then(|| data.first().is_some_and(|b| b & 0x01 == 0));
        self.assembly.push(seq, timestamp, marker, start, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromium_descriptor() {
        // From rtp_vp8_chromium.decrypted.bin: X, S, PID 0; I; 15-bit picture ID 0x5cbc.
        let d = Vp8Descriptor::parse(&[0x90, 0x80, 0xdc, 0xbc, 0x50]).unwrap();
        assert!(d.start && d.long_picture_id);
        assert_eq!(d.picture_id, Some(0x5cbc));
        assert_eq!(d.len, 4);
        // All extensions: I (7-bit), L, T and K.
        let d = Vp8Descriptor::parse(&[0xa0, 0xf0, 0x05, 0x11, 0x6a]).unwrap();
        assert!(d.non_reference);
        assert_eq!(d.picture_id, Some(5));
        assert_eq!(d.tl0_pic_idx, Some(0x11));
        assert_eq!(d.tid, Some((1, true)));
        assert_eq!(d.key_idx, Some(0x0a));
        assert_eq!(Vp8Descriptor::parse(&[0x80]), None);
    }

    #[test]
    fn packetize_then_assemble_with_a_gap() {
        let frame: Vec<u8> = std::iter::once(0x50)
            .chain((0..5000).map(|i| i as u8))
            .collect();
        let mut p = Vp8Packetizer::new(1200, 0x7ffe);
        let packets = p.packetize(&frame);
        assert!(packets.len() >= 5);
        assert!(packets.iter().all(|x| x.len() <= 1200));
        let mut d = Vp8Depacketizer::new();
        let n = packets.len();
        let mut out = None;
        for (i, pkt) in packets.iter().enumerate() {
            out = d.push(100 + i as u16, 9000, i + 1 == n, pkt).unwrap();
        }
        let f = out.unwrap();
        assert_eq!(f.data, frame);
        assert!(f.keyframe);
        assert_eq!((f.first_seq, f.last_seq), (100, 100 + n as u16 - 1));
        // The next frame's picture ID wrapped to 0x7fff; lose its second packet.
        let packets = p.packetize(&[0x51, 1, 2, 3].repeat(600));
        assert_eq!(
            Vp8Descriptor::parse(&packets[0]).unwrap().picture_id,
            Some(0x7fff)
        );
        assert_eq!(d.push(200, 12000, false, &packets[0]), Ok(None));
        assert_eq!(
            d.push(202, 12000, true, &packets[2]),
            Err(DepacketizeError::Gap)
        );
    }
}
