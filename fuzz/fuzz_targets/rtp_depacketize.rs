//! The VP8, VP9 and H.264 depacketizers fed arbitrary packets (sequence number, timestamp,
//! marker, payload): no panic, and frames stay within their size limit; the Opus and RTX
//! depayloaders on the same payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_rtp::payload::{
    H264Depacketizer, Vp8Depacketizer, Vp9Depacketizer, Vp9Descriptor, opus_frame, rtx_unwrap,
};

fuzz_target!(|data: &[u8]| {
    let mut vp8 = Vp8Depacketizer::new();
    let mut vp9 = Vp9Depacketizer::new();
    let mut h264 = H264Depacketizer::new();
    let mut rest = data;
    let mut seq = 0u16;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let payload = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        // Mostly in order, sometimes a jump.
        seq = seq.wrapping_add(if op & 0x40 != 0 { u16::from(op) } else { 1 });
        let ts = u32::from(op >> 4);
        let marker = op & 1 == 1;
        if let Some((_, original)) = rtx_unwrap(payload) {
            assert_eq!(original.len() + 2, payload.len());
        }
        if let Some(frame) = opus_frame(payload) {
            assert!(frame.len() <= payload.len());
        }
        if let Some(d) = Vp9Descriptor::parse(payload) {
            assert!(d.len <= payload.len() && usize::from(d.ref_count) <= 3);
        }
        for frame in [
            vp8.push(seq, ts, marker, payload),
            vp9.push(seq, ts, marker, payload),
            h264.push(seq, ts, marker, payload),
        ]
        .into_iter()
        .flatten()
        .flatten()
        {
            assert!(frame.data.len() <= 8 * 1024 * 1024 + 4);
        }
    }
});
