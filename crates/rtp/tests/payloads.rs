//! Payloaders and depayloaders round-trip; RTX and the NACK history.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtcweb_rtp::payload::{
    H264Depacketizer, H264Packetizer, NalUnit, OpusPacketizer, PacketHistory, Vp8Depacketizer,
    Vp8Packetizer, opus_frame, rtx_unwrap, rtx_wrap,
};

#[test]
fn opus_timestamps_count_48_khz() {
    let mut p = OpusPacketizer::new(u32::MAX - 500);
    let (_, t0) = p.packetize(&[1], 20.0);
    let (payload, t1) = p.packetize(&[0xfc, 1, 2], 20.0);
    assert_eq!(t1, t0.wrapping_add(960));
    assert_eq!(opus_frame(payload), Some(&[0xfc, 1, 2][..]));
    assert_eq!(opus_frame(&[]), None);
}

#[test]
fn rtx_and_history_answer_a_nack() {
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut h = PacketHistory::new(3, Duration::from_secs(1));
    for seq in 10..15u16 {
        h.insert(seq, t0, &[seq as u8; 4]);
    }
    assert_eq!(h.len(), 3);
    assert_eq!(h.get(11, t0), None, "pushed out by the count limit");
    let original = h.get(13, t0).unwrap().to_vec();
    let mut rtx = Vec::new();
    rtx_wrap(13, &original, &mut rtx);
    assert_eq!(rtx_unwrap(&rtx), Some((13, &original[..])));
    assert_eq!(rtx_unwrap(&[1]), None);
    assert_eq!(h.get(14, t0 + Duration::from_secs(2)), None, "too old");
}

proptest! {
    #[test]
    fn vp8_frames_round_trip(frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..5000), 1..5), mtu in 50usize..1500) {
        let mut p = Vp8Packetizer::new(mtu, 0);
        let mut d = Vp8Depacketizer::new();
        let mut seq = 65000u16;
        for (i, frame) in frames.iter().enumerate() {
            let packets = p.packetize(frame);
            let mut got = None;
            for (k, pkt) in packets.iter().enumerate() {
                prop_assert!(pkt.len() <= mtu);
                got = d.push(seq, i as u32 * 3000, k + 1 == packets.len(), pkt).unwrap();
                seq = seq.wrapping_add(1);
            }
            let f = got.unwrap();
            prop_assert_eq!(&f.data, frame);
            prop_assert_eq!(f.keyframe, frame[0] & 1 == 0);
        }
    }

    #[test]
    fn h264_access_units_round_trip(nals in prop::collection::vec((1u8..24, prop::collection::vec(1u8..=255, 1..3000)), 1..6), mtu in 20usize..1500) {
        // NAL bodies without zero bytes, so no emulation prevention is needed.
        let mut au = Vec::new();
        for (t, body) in &nals {
            au.extend_from_slice(&[0, 0, 0, 1, 0x60 | t]);
            au.extend_from_slice(body);
        }
        let packets = H264Packetizer::new(mtu).packetize(&au);
        let mut d = H264Depacketizer::new();
        let mut got = None;
        for (k, pkt) in packets.iter().enumerate() {
            prop_assert!(pkt.len() <= mtu);
            got = d.push(k as u16, 90, k + 1 == packets.len(), pkt).unwrap();
        }
        let f = got.unwrap();
        prop_assert_eq!(NalUnit::split_annex_b(&f.data), NalUnit::split_annex_b(&au));
        prop_assert_eq!(f.keyframe, nals.iter().any(|(t, _)| *t == 5));
    }

    #[test]
    fn depacketizers_never_panic(packets in prop::collection::vec((any::<u16>(), any::<u32>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..64)), 0..40)) {
        let mut v = Vp8Depacketizer::new();
        let mut h = H264Depacketizer::new();
        for (seq, ts, m, p) in &packets {
            let _ = v.push(*seq, *ts, *m, p);
            let _ = h.push(*seq, *ts, *m, p);
        }
    }
}
