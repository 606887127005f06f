//! RTP-like packets through the VP8, VP9 and H.264 depacketizers of rtcweb-rtp and into
//! rtcweb-media's `VideoDecoder`: either arbitrary packets (the payload type picks the
//! codec), or the packets of a real encoded stream of each codec (made once) with bytes
//! flipped and packets dropped, repeated or reordered. No panic, no crash in the codecs;
//! every picture is within the size limit and counted; every refused frame is counted.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rtcweb_media::VideoCodec;
use rtcweb_media::video::{
    I420Frame, MAX_SIDE, RawVideoFrame, VideoDecoder, VideoEncoder, VideoEncoderConfig,
};
use rtcweb_rtp::payload::{
    H264Depacketizer, H264Packetizer, Vp8Depacketizer, Vp8Packetizer, Vp9Depacketizer,
    Vp9Packetizer,
};

const CODECS: [VideoCodec; 3] = [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::H264];

/// A packet: codec index, timestamp, marker, payload.
type Packet = (usize, u32, bool, Vec<u8>);

/// The packets of four frames (a key frame, then deltas) of a small moving picture in each
/// codec, 300-byte payloads.
fn seed_packets() -> &'static [Packet] {
    static SEEDS: OnceLock<Vec<Packet>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut packets = Vec::new();
        for (ci, codec) in CODECS.into_iter().enumerate() {
            let mut enc = VideoEncoder::new(VideoEncoderConfig::new(codec, 64, 48)).unwrap();
            let mut vp8 = Vp8Packetizer::new(300, 1);
            let mut vp9 = Vp9Packetizer::new(300, 1);
            let h264 = H264Packetizer::new(300);
            for t in 0..4u32 {
                let mut picture = I420Frame::black(64, 48).unwrap();
                for (i, p) in picture.planes_mut().0.iter_mut().enumerate() {
                    *p = (i as u32 + 9 * t) as u8;
                }
                let raw = RawVideoFrame {
                    picture,
                    rtp_timestamp: 3000 * t,
                    capture_time: None,
                };
                enc.handle_frame(&raw, false).unwrap();
                let f = enc.poll_frame().unwrap();
                let payloads = match codec {
                    VideoCodec::Vp8 => vp8.packetize(&f.data),
                    VideoCodec::Vp9 => vp9.packetize(&f.data, f.keyframe, Some((64, 48))),
                    _ => h264.packetize(&f.data),
                };
                let n = payloads.len();
                for (i, p) in payloads.into_iter().enumerate() {
                    packets.push((ci, f.rtp_timestamp, i + 1 == n, p));
                }
            }
        }
        packets
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut packets: Vec<Packet> = Vec::new();
    if mode & 1 == 0 {
        // Arbitrary packets: op (codec, marker, timestamp step), length, payload.
        let mut rest = rest;
        let mut ts = 0u32;
        while rest.len() >= 2 && packets.len() < 256 {
            let (op, len) = (rest[0], usize::from(rest[1]).min(rest.len() - 2));
            ts = ts.wrapping_add(u32::from(op >> 4) * 1500);
            packets.push((
                usize::from(op & 3) % 3,
                ts,
                op & 4 != 0,
                rest[2..2 + len].to_vec(),
            ));
            rest = &rest[2 + len..];
        }
    } else {
        // The real streams, edited: each 4 bytes pick a packet and a change.
        packets = seed_packets().to_vec();
        for edit in rest.chunks_exact(4).take(64) {
            if packets.is_empty() {
                break;
            }
            let i = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % packets.len();
            match edit[2] & 3 {
                0 if !packets[i].3.is_empty() => {
                    let at = usize::from(edit[3]) % packets[i].3.len();
                    packets[i].3[at] ^= edit[2] | 1;
                }
                1 => {
                    packets.remove(i);
                }
                2 => {
                    let copy = packets[i].clone();
                    packets.insert(usize::from(edit[3]) % packets.len(), copy);
                    packets.truncate(512);
                }
                _ => {
                    let j = usize::from(edit[3]) % packets.len();
                    packets.swap(i, j);
                }
            }
        }
    }
    let mut vp8 = Vp8Depacketizer::new();
    let mut vp9 = Vp9Depacketizer::new();
    let mut h264 = H264Depacketizer::new();
    let mut decoders: [Option<VideoDecoder>; 3] = [None, None, None];
    let mut seqs = [0u16; 3];
    let mut handed = [0u64; 3];
    for (ci, ts, marker, payload) in &packets {
        let ci = *ci;
        seqs[ci] = seqs[ci].wrapping_add(1);
        let seq = seqs[ci];
        let frame = match ci {
            0 => vp8.push(seq, *ts, *marker, payload),
            1 => vp9.push(seq, *ts, *marker, payload),
            _ => h264.push(seq, *ts, *marker, payload),
        };
        let Ok(Some(frame)) = frame else {
            continue;
        };
        let decoder = decoders[ci].get_or_insert_with(|| VideoDecoder::new(CODECS[ci]).unwrap());
        handed[ci] += 1;
        let _ = decoder.handle_frame(&frame.data, frame.timestamp, None);
        while let Some(out) = decoder.poll_frame() {
            assert_eq!(out.rtp_timestamp, frame.timestamp);
            assert!(out.picture.width() <= MAX_SIDE && out.picture.height() <= MAX_SIDE);
        }
    }
    for (ci, d) in decoders.iter().enumerate() {
        if let Some(d) = d {
            let s = d.stats();
            assert!(s.key_frames_decoded <= s.frames_decoded);
            // Each frame handed in is decoded or refused, at most one picture each here.
            assert!(s.errors <= handed[ci] && s.frames_decoded <= handed[ci]);
        }
    }
});
