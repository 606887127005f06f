//! The video frame buffer (VP8 and H.264) fed arbitrary packets and times: no panic, every
//! table within its limit, frames handed out in order.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_media::{VideoBufferConfig, VideoCodec, VideoEvent, VideoFrameBuffer};

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let codec = if data.first().is_some_and(|b| b & 1 == 1) {
        VideoCodec::H264
    } else {
        VideoCodec::Vp8
    };
    let config = VideoBufferConfig {
        max_packets: 64,
        max_missing: 32,
        max_events: 16,
        ..VideoBufferConfig::new(codec)
    };
    let mut buffer = VideoFrameBuffer::new(config.clone());
    let mut seq = 0u16;
    let mut rest = data.get(1..).unwrap_or_default();
    let mut last_seq_out: Option<u16> = None;
    // Sequence space covered since the last frame out: the 16-bit order check means
    // something only while that is under half the space.
    let mut span: u64 = 0;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0) & 0x3f)
            .min(tail.len().saturating_sub(1));
        let payload = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        now += Duration::from_millis(u64::from(op & 0x0f) * 7);
        let step = match op >> 5 {
            0 => 0,
            1..=4 => 1,
            5 => 2,
            6 => 100,
            _ => 40_000,
        };
        seq = seq.wrapping_add(step);
        span += u64::from(step);
        buffer.handle_packet(now, seq, u32::from(op >> 3) * 3000, op & 0x10 != 0, payload);
        if op & 0x08 != 0 {
            buffer.handle_timeout(buffer.poll_timeout().unwrap_or(now).max(now));
        }
        assert!(buffer.len() <= config.max_packets);
        assert!(buffer.missing() <= config.max_missing + 1);
        while let Some(e) = buffer.poll_event() {
            if let VideoEvent::Frame(f) = e {
                if let Some(prev) = last_seq_out
                    && span < 0x8000
                {
                    // In order.
                    assert!(f.first_seq.wrapping_sub(prev) < 0x8000);
                }
                last_seq_out = Some(f.last_seq);
                span = 0;
            }
        }
    }
});
