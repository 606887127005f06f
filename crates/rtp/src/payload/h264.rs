//! H.264 over RTP (RFC 6184), packetization-mode 1: single NAL units, STAP-A aggregation and
//! FU-A fragmentation; Annex B access units in and out.

use super::{DepacketizeError, Frame};

/// Largest access unit the depacketizer assembles.
pub(crate) const MAX_ACCESS_UNIT: usize = 8 * 1024 * 1024;
const STAP_A: u8 = 24;
const FU_A: u8 = 28;
const IDR: u8 = 5;
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// A NAL unit borrowed from an Annex B access unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NalUnit<'a>(pub &'a [u8]);

impl NalUnit<'_> {
    /// The NAL unit type (RFC 6184 §1.3).
    pub fn nal_type(&self) -> u8 {
        self.0.first().map_or(0, |b| b & 0x1f)
    }

    /// Splits an Annex B byte stream at its start codes (3 or 4 bytes).
    pub fn split_annex_b(stream: &[u8]) -> Vec<NalUnit<'_>> {
        let mut starts = Vec::new();
        let mut i = 0;
        while i + 3 <= stream.len() {
            if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
                starts.push((i, i + 3));
                i += 3;
            } else {
                i += 1;
            }
        }
        let mut nals = Vec::with_capacity(starts.len());
        for (k, &(_, begin)) in starts.iter().enumerate() {
            let mut end = starts.get(k + 1).map_or(stream.len(), |&(s, _)| s);
            // A 4-byte start code leaves a zero before the next 00 00 01.
            while end > begin && stream[end - 1] == 0 && k + 1 < starts.len() {
                end -= 1;
            }
            if end > begin {
                nals.push(NalUnit(&stream[begin..end]));
            }
        }
        nals
    }
}

/// Packetizes Annex B access units (RFC 6184 §5.6–5.8, packetization-mode 1).
#[derive(Debug, Clone)]
pub struct H264Packetizer {
    max_payload: usize,
}

impl H264Packetizer {
    /// Payloads of at most `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        Self {
            max_payload: max_payload.max(3),
        }
    }

    /// The payloads of one access unit; the last gets the marker bit (RFC 6184 §5.1).
    pub fn packetize(&self, access_unit: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut stap: Vec<NalUnit<'_>> = Vec::new();
        let mut stap_len = 1;
        let flush = |stap: &mut Vec<NalUnit<'_>>, stap_len: &mut usize, out: &mut Vec<Vec<u8>>| {
            match stap.len() {
                0 => {}
                1 => out.push(stap[0].0.to_vec()),
                _ => {
                    // STAP-A (§5.7.1): F and the highest NRI of the aggregated units.
                    let f = stap.iter().fold(0, |a, n| a | (n.0[0] & 0x80));
                    let nri = stap.iter().map(|n| n.0[0] & 0x60).max().unwrap_or(0);
                    let mut p = vec![f | nri | STAP_A];
                    for n in stap.iter() {
                        p.extend_from_slice(&(n.0.len() as u16).to_be_bytes());
                        p.extend_from_slice(n.0);
                    }
                    out.push(p);
                }
            }
            stap.clear();
            *stap_len = 1;
        };
        for nal in NalUnit::split_annex_b(access_unit) {
            if nal.0.len() + 2 + stap_len <= self.max_payload && nal.0.len() <= u16::MAX as usize {
                stap_len += nal.0.len() + 2;
                stap.push(nal);
                continue;
            }
            flush(&mut stap, &mut stap_len, &mut out);
            if nal.0.len() <= self.max_payload {
                out.push(nal.0.to_vec());
                continue;
            }
            // FU-A (§5.8): indicator F|NRI|28, header S|E|R|type, then the fragment.
            let header = nal.0[0];
            let body = &nal.0[1..];
            let room = self.max_payload - 2;
            let count = body.len().div_ceil(room);
            for (i, chunk) in body.chunks(room).enumerate() {
                let mut p = Vec::with_capacity(2 + chunk.len());
                p.push((header & 0xe0) | FU_A);
                let s = if i == 0 { 0x80 } else { 0 };
                let e = if i + 1 == count { 0x40 } else { 0 };
                p.push(s | e | (header & 0x1f));
                p.extend_from_slice(chunk);
                out.push(p);
            }
        }
        flush(&mut stap, &mut stap_len, &mut out);
        out
    }
}

/// Reassembles Annex B access units from packets in sequence order.
#[derive(Debug, Clone, Default)]
pub struct H264Depacketizer {
    current: Option<Frame>,
    fragment: Option<Vec<u8>>,
    next_seq: u16,
    /// Timestamp of an access unit that lost a packet.
    broken: Option<u32>,
}

impl H264Depacketizer {
    /// A depacketizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one packet; returns the access unit when its last packet (marker) arrives.
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<Option<Frame>, DepacketizeError> {
        let header = *payload.first().ok_or(DepacketizeError::Malformed)?;
        let continues = self
            .current
            .as_ref()
            .is_some_and(|f| f.timestamp == timestamp && seq == self.next_seq);
        if !continues {
            let previous = self.current.take().map(|f| f.timestamp);
            self.fragment = None;
            // After a gap the rest of that access unit is unusable, and so is a packet in the
            // middle of a fragmented NAL unit.
            let mid_fragment =
                header & 0x1f == FU_A && payload.get(1).is_some_and(|h| h & 0x80 == 0);
            if previous == Some(timestamp) || self.broken == Some(timestamp) || mid_fragment {
                self.broken = Some(timestamp);
                return Err(DepacketizeError::Gap);
            }
            self.current = Some(Frame {
                timestamp,
                data: Vec::new(),
                keyframe: false,
                first_seq: seq,
                last_seq: seq,
            });
        }
        self.next_seq = seq.wrapping_add(1);
        let result = self.unpack(payload);
        if let Err(e) = result {
            self.current = None;
            self.fragment = None;
            return Err(e);
        }
        if let Some(f) = &mut self.current {
            f.last_seq = seq;
        }
        if marker {
            self.fragment = None;
            return Ok(self.current.take());
        }
        Ok(None)
    }

    fn emit_nal(&mut self, nal: &[u8]) -> Result<(), DepacketizeError> {
        let Some(f) = &mut self.current else {
            return Ok(());
        };
        if nal.is_empty() {
            return Err(DepacketizeError::Malformed);
        }
        if f.data.len() + nal.len() + 4 > MAX_ACCESS_UNIT {
            return Err(DepacketizeError::TooLarge);
        }
        f.keyframe |= nal[0] & 0x1f == IDR;
        f.data.extend_from_slice(&START_CODE);
        f.data.extend_from_slice(nal);
        Ok(())
    }

    fn unpack(&mut self, payload: &[u8]) -> Result<(), DepacketizeError> {
        match payload[0] & 0x1f {
            1..=23 => self.emit_nal(payload),
            STAP_A => {
                let mut rest = &payload[1..];
                while !rest.is_empty() {
                    let (len, tail) = rest
                        .split_first_chunk::<2>()
                        .ok_or(DepacketizeError::Malformed)?;
                    let len = usize::from(u16::from_be_bytes(*len));
                    let nal = tail.get(..len).ok_or(DepacketizeError::Malformed)?;
                    self.emit_nal(nal)?;
                    rest = &tail[len..];
                }
                Ok(())
            }
            FU_A => {
                let fu = *payload.get(1).ok_or(DepacketizeError::Malformed)?;
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start {
                    let mut nal = vec![(payload[0] & 0xe0) | (fu & 0x1f)];
                    nal.extend_from_slice(&payload[2..]);
                    self.fragment = Some(nal);
                } else {
                    let frag = self.fragment.as_mut().ok_or(DepacketizeError::Gap)?;
                    if frag.len() + payload.len() > MAX_ACCESS_UNIT {
                        return Err(DepacketizeError::TooLarge);
                    }
                    frag.extend_from_slice(&payload[2..]);
                }
                if end {
                    let nal = self.fragment.take().ok_or(DepacketizeError::Gap)?;
                    self.emit_nal(&nal)?;
                }
                Ok(())
            }
            // STAP-B, MTAP, FU-B need interleaved mode (not negotiated); 0, 30, 31 undefined.
            _ => Err(DepacketizeError::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access_unit() -> Vec<u8> {
        let mut au = Vec::new();
        au.extend_from_slice(&[0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f]); // SPS
        au.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]); // PPS
        au.extend_from_slice(&[0, 0, 1, 0x65]); // IDR slice, 3-byte start code
        au.extend((0..4000).map(|i| (i % 200 + 1) as u8));
        au
    }

    #[test]
    fn stap_a_for_parameter_sets_fu_a_for_the_slice() {
        let au = access_unit();
        let packets = H264Packetizer::new(1200).packetize(&au);
        assert_eq!(packets[0][0] & 0x1f, STAP_A);
        assert!(
            packets[1..]
                .iter()
                .all(|p| p[0] & 0x1f == FU_A && p.len() <= 1200)
        );
        assert_eq!(packets[1][1] & 0x80, 0x80, "S bit");
        assert_eq!(packets.last().unwrap()[1] & 0x40, 0x40, "E bit");
        let mut d = H264Depacketizer::new();
        let mut frame = None;
        for (i, p) in packets.iter().enumerate() {
            frame = d.push(i as u16, 3000, i + 1 == packets.len(), p).unwrap();
        }
        let f = frame.unwrap();
        assert!(f.keyframe);
        // Out comes Annex B with 4-byte start codes: the same NAL units.
        let ours: Vec<_> = NalUnit::split_annex_b(&f.data);
        let theirs: Vec<_> = NalUnit::split_annex_b(&au);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn lost_fragment_and_malformed_payloads() {
        let packets = H264Packetizer::new(500).packetize(&access_unit());
        let mut d = H264Depacketizer::new();
        assert_eq!(d.push(1, 9, false, &packets[0]), Ok(None));
        assert_eq!(d.push(2, 9, false, &packets[1]), Ok(None));
        assert_eq!(d.push(4, 9, false, &packets[3]), Err(DepacketizeError::Gap));
        assert_eq!(
            d.push(9, 10, true, &[0x78, 0, 5, 1]),
            Err(DepacketizeError::Malformed)
        );
        assert_eq!(
            d.push(10, 11, true, &[0x7f]),
            Err(DepacketizeError::Malformed)
        );
    }
}
