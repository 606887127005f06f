//! The audio jitter buffer fed arbitrary packets (timestamps, payloads) at arbitrary times,
//! with playout ticks in between: no panic, bounded memory, counters that add up.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_media::{JitterBuffer, JitterConfig, Playout};

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let config = JitterConfig::default();
    let max = config.max_packets;
    let mut jb = JitterBuffer::new(config);
    let mut frames = 0u64;
    for chunk in data.chunks(6) {
        let [op, a, b, c, d, ..] = *chunk else { break };
        now += Duration::from_millis(u64::from(op & 0x3f));
        if op & 0x80 != 0 {
            match jb.pop(now) {
                Playout::Frame { .. } => frames += 1,
                Playout::Conceal { .. } | Playout::Waiting => {}
            }
        } else {
            let ts = u32::from_be_bytes([a, b, c, d]);
            jb.handle_packet(now, ts, chunk.get(5..).unwrap_or_default());
        }
        assert!(jb.len() <= max);
    }
    let stats = jb.stats();
    assert_eq!(stats.jitter_buffer_emitted_count, frames * 960);
    assert!(stats.late_packets <= stats.packets_discarded);
});
