//! VP9 over RTP (RFC 9628): the payload descriptor, packetization of single-layer frames,
//! and frame assembly (every layer frame of one picture, in order) with key-frame
//! detection.

use super::assembly::Assembly;
use super::{DepacketizeError, Frame};

/// Most reference indices a flexible-mode descriptor carries (RFC 9628 §4.2: "up to 3").
const MAX_REFS: usize = 3;

/// The VP9 payload descriptor (RFC 9628 §4.2), without the scalability structure's
/// per-layer details (only its first layer's size is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vp9Descriptor {
    /// P: the picture is predicted from an earlier one (inter-picture predicted).
    pub inter_predicted: bool,
    /// F: flexible mode (reference indices in the descriptor).
    pub flexible: bool,
    /// B: the first packet of a layer frame.
    pub start: bool,
    /// E: the last packet of a layer frame.
    pub end: bool,
    /// Z: not used for inter-layer prediction by a higher spatial layer.
    pub not_reference_upper: bool,
    /// Picture ID, 7 or 15 bits.
    pub picture_id: Option<u16>,
    /// Whether the picture ID is the 15-bit form.
    pub long_picture_id: bool,
    /// Temporal layer, switching-up point, spatial layer, inter-layer dependency (L).
    pub layer: Option<(u8, bool, u8, bool)>,
    /// TL0PICIDX (non-flexible mode with layer indices).
    pub tl0_pic_idx: Option<u8>,
    /// Reference picture ID differences (flexible mode).
    pub ref_diffs: [u8; MAX_REFS],
    /// How many of `ref_diffs` are set.
    pub ref_count: u8,
    /// Spatial layers in the scalability structure (V), when present.
    pub ss_layers: Option<u8>,
    /// The first spatial layer's width and height from the scalability structure.
    pub ss_size: Option<(u16, u16)>,
    /// Length of the descriptor in bytes.
    pub len: usize,
}

impl Vp9Descriptor {
    /// Parses the descriptor at the start of a VP9 payload; `None` when it is cut short or
    /// breaks a rule of RFC 9628 §4.2.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let first = *payload.first()?;
        let mut d = Self {
            inter_predicted: first & 0x40 != 0,
            flexible: first & 0x10 != 0,
            start: first & 0x08 != 0,
            end: first & 0x04 != 0,
            not_reference_upper: first & 0x01 != 0,
            ..Self::default()
        };
        let mut at = 1;
        let mut next = || {
            let b = payload.get(at).copied();
            at += 1;
            b
        };
        if first & 0x80 != 0 {
            let b = next()?;
            if b & 0x80 != 0 {
                d.picture_id = Some((u16::from(b & 0x7f) << 8) | u16::from(next()?));
                d.long_picture_id = true;
            } else {
                d.picture_id = Some(u16::from(b));
            }
        }
        if first & 0x20 != 0 {
            let b = next()?;
            d.layer = Some((b >> 5, b & 0x10 != 0, (b >> 1) & 0x07, b & 0x01 != 0));
            if !d.flexible {
                d.tl0_pic_idx = Some(next()?);
            }
        }
        if d.flexible && d.inter_predicted {
            // RFC 9628 §4.2: P_DIFF with N set when another follows, at most 3.
            loop {
                let b = next()?;
                if usize::from(d.ref_count) == MAX_REFS {
                    return None;
                }
                d.ref_diffs[usize::from(d.ref_count)] = b >> 1;
                d.ref_count += 1;
                if b & 0x01 == 0 {
                    break;
                }
            }
        }
        if first & 0x02 != 0 {
            // The scalability structure (RFC 9628 §4.2.1).
            let b = next()?;
            let layers = (b >> 5) + 1;
            d.ss_layers = Some(layers);
            if b & 0x10 != 0 {
                for i in 0..layers {
                    let w = u16::from_be_bytes([next()?, next()?]);
                    let h = u16::from_be_bytes([next()?, next()?]);
                    if i == 0 {
                        d.ss_size = Some((w, h));
                    }
                }
            }
            if b & 0x08 != 0 {
                let pictures = next()?;
                for _ in 0..pictures {
                    let g = next()?;
                    for _ in 0..(g >> 2) & 0x03 {
                        next()?;
                    }
                }
            }
        }
        d.len = at;
        (payload.len() >= at).then_some(d)
    }

    /// A key frame starts here: the first packet of a picture's base layer that is not
    /// predicted from an earlier picture (RFC 9628 §4.2, the P bit).
    pub fn starts_keyframe(&self) -> bool {
        self.start && !self.inter_predicted && self.layer.is_none_or(|(_, _, sid, _)| sid == 0)
    }

    /// The first packet of a picture: the start of its lowest spatial layer's frame.
    pub fn starts_picture(&self) -> bool {
        self.start && self.layer.is_none_or(|(_, _, sid, _)| sid == 0)
    }
}

/// Splits single-layer VP9 frames (what a real-time encoder without spatial or temporal
/// layers gives) into RTP payloads: non-flexible mode without layer indices and a 15-bit
/// picture ID that counts pictures, and on key frames a scalability structure with the
/// picture's size (RFC 9628 §4.2.1), as libwebrtc sends a single-layer stream.
#[derive(Debug, Clone)]
pub struct Vp9Packetizer {
    picture_id: u16,
    max_payload: usize,
}

impl Vp9Packetizer {
    /// Payloads of at most `max_payload` bytes (descriptor included); the first picture ID.
    pub fn new(max_payload: usize, first_picture_id: u16) -> Self {
        Self {
            picture_id: first_picture_id & 0x7fff,
            max_payload: max_payload.max(12),
        }
    }

    /// The payloads of one frame, in order; the last one ends the picture and gets the
    /// marker bit (RFC 9628 §4.1). `keyframe` frames get P = 0 and the scalability
    /// structure, with the picture's `size` (width, height) when it is known.
    pub fn packetize(
        &mut self,
        frame: &[u8],
        keyframe: bool,
        size: Option<(u16, u16)>,
    ) -> Vec<Vec<u8>> {
        let pid = self.picture_id;
        self.picture_id = (self.picture_id + 1) & 0x7fff;
        // I, B, E, V on the first packet of a key frame: descriptor + SS of 1 or 5 bytes.
        let ss_len = match (keyframe, size) {
            (false, _) => 0,
            (true, None) => 1,
            (true, Some(_)) => 5,
        };
        let mut out = Vec::new();
        let mut rest = frame;
        let mut first = true;
        loop {
            let header = 3 + if first { ss_len } else { 0 };
            let room = self.max_payload - header;
            let take = rest.len().min(room);
            let (chunk, tail) = rest.split_at(take);
            let last = tail.is_empty();
            let mut p = Vec::with_capacity(header + chunk.len());
            let mut flags = 0x80u8; // I
            if !keyframe {
                flags |= 0x40; // P
            }
            if first {
                flags |= 0x08; // B
            }
            if last {
                flags |= 0x04; // E
            }
            if first && keyframe {
                flags |= 0x02; // V
            }
            p.push(flags);
            p.push(0x80 | (pid >> 8) as u8);
            p.push(pid as u8);
            if first && keyframe {
                // N_S = 0 (one layer), Y when the size is known, G = 0 (no picture group).
                if let Some((w, h)) = size {
                    p.push(0x10);
                    p.extend_from_slice(&w.to_be_bytes());
                    p.extend_from_slice(&h.to_be_bytes());
                } else {
                    p.push(0x00);
                }
            }
            p.extend_from_slice(chunk);
            out.push(p);
            rest = tail;
            first = false;
            if last {
                return out;
            }
        }
    }
}

/// Reassembles VP9 pictures from packets in sequence order (the frame buffer reorders
/// first): every layer frame of one RTP timestamp, concatenated, which is what libvpx's
/// decoder takes.
#[derive(Debug, Clone, Default)]
pub struct Vp9Depacketizer {
    assembly: Assembly,
}

impl Vp9Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one packet; returns a picture when its last packet (marker bit) arrives.
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<Option<Frame>, DepacketizeError> {
        let d = Vp9Descriptor::parse(payload).ok_or(DepacketizeError::Malformed)?;
        let start = d.starts_picture().then(|| d.starts_keyframe());
        self.assembly
            .push(seq, timestamp, marker, start, &payload[d.len..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_of_each_mode() {
        // Non-flexible with layer indices: I (15 bits), L, B, E; TID 0, SID 0, TL0PICIDX.
        let d = Vp9Descriptor::parse(&[0xac, 0x81, 0x23, 0x00, 0x07, 0xaa]).unwrap();
        assert_eq!(d.picture_id, Some(0x0123));
        assert_eq!(d.layer, Some((0, false, 0, false)));
        assert_eq!(d.tl0_pic_idx, Some(7));
        assert!(d.start && d.end && d.starts_keyframe());
        assert_eq!(d.len, 5);
        // Flexible, predicted: two reference differences (N on the first).
        let d = Vp9Descriptor::parse(&[0xd8, 0x05, 0x03, 0x04, 0xaa]).unwrap();
        assert!(d.flexible && d.inter_predicted && !d.starts_keyframe());
        assert_eq!(&d.ref_diffs[..usize::from(d.ref_count)], &[1, 2]);
        // A fourth reference breaks RFC 9628 §4.2.
        assert_eq!(
            Vp9Descriptor::parse(&[0xd8, 0x05, 0x03, 0x03, 0x03, 0x02]),
            None
        );
        // SS with two layers' sizes and a picture group of one picture with one reference.
        let d = Vp9Descriptor::parse(&[
            0x8a, 0x01, 0x38, 0x01, 0x40, 0x00, 0xb4, 0x02, 0x80, 0x01, 0x68, 0x01, 0x04, 0x01,
        ])
        .unwrap();
        assert_eq!(d.ss_layers, Some(2));
        assert_eq!(d.ss_size, Some((320, 180)));
        assert_eq!(d.len, 14);
        // Cut short anywhere: None.
        assert_eq!(Vp9Descriptor::parse(&[0x8a, 0x01, 0x38, 0x01]), None);
        assert_eq!(Vp9Descriptor::parse(&[]), None);
    }

    #[test]
    fn packetize_then_assemble_with_a_gap() {
        let frame: Vec<u8> = (0..5000).map(|i| i as u8).collect();
        let mut p = Vp9Packetizer::new(1200, 0x7fff);
        let packets = p.packetize(&frame, true, Some((640, 480)));
        assert!(packets.len() >= 5);
        assert!(packets.iter().all(|x| x.len() <= 1200));
        let first = Vp9Descriptor::parse(&packets[0]).unwrap();
        assert_eq!(first.ss_size, Some((640, 480)));
        assert_eq!(first.picture_id, Some(0x7fff));
        assert!(first.starts_keyframe());
        assert!(Vp9Descriptor::parse(packets.last().unwrap()).unwrap().end);
        let mut d = Vp9Depacketizer::new();
        let n = packets.len();
        let mut out = None;
        for (i, pkt) in packets.iter().enumerate() {
            out = d
                .push(65530u16.wrapping_add(i as u16), 9000, i + 1 == n, pkt)
                .unwrap();
        }
        let f = out.unwrap();
        assert_eq!(f.data, frame);
        assert!(f.keyframe);
        // The next picture is predicted, its ID wrapped; lose its second packet.
        let packets = p.packetize(&[7u8; 3000], false, None);
        let d0 = Vp9Descriptor::parse(&packets[0]).unwrap();
        assert_eq!(d0.picture_id, Some(0));
        assert!(!d0.starts_keyframe() && d0.ss_layers.is_none());
        assert_eq!(d.push(10, 12000, false, &packets[0]), Ok(None));
        assert_eq!(
            d.push(12, 12000, true, &packets[2]),
            Err(DepacketizeError::Gap)
        );
    }

    #[test]
    fn two_spatial_layers_make_one_picture() {
        // SID 0 then SID 1 of the same timestamp; the marker is on the last one.
        let base = [0xa0 | 0x0c, 0x81, 0x00, 0x00, 0x01, 1, 2];
        let upper = [0xa0 | 0x4c, 0x81, 0x00, 0x03, 0x01, 3, 4];
        let mut d = Vp9Depacketizer::new();
        assert_eq!(d.push(1, 90, false, &base), Ok(None));
        let f = d.push(2, 90, true, &upper).unwrap().unwrap();
        assert_eq!(f.data, [1, 2, 3, 4]);
        assert!(f.keyframe);
    }
}
