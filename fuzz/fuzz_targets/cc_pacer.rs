//! The pacer driven by arbitrary operations at arbitrary times: packets of every class and
//! size, rate changes (zero included), probe clusters, polls. No panic, the queue stays
//! within its limit, every packet comes out once and in order within its class, a drained
//! pacer never asks to be polled in the past, and counters add up.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_cc::{Bitrate, Paced, Pacer, PacerConfig, PacketClass, ProbeCluster};

const CLASSES: [PacketClass; 4] = [
    PacketClass::Audio,
    PacketClass::Retransmission,
    PacketClass::Video,
    PacketClass::Padding,
];

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let mut now = start;
    let config = PacerConfig {
        max_queue_packets: 64,
        max_queue_time: Duration::from_millis(u64::from(data.first().copied().unwrap_or(0)) * 10),
        max_burst: Duration::from_millis(u64::from(data.get(1).copied().unwrap_or(0))),
    };
    let mut pacer = Pacer::new(now, config);
    let mut next_id = 0u64;
    let mut last_out = [None::<u64>; 4];
    let (mut accepted, mut refused, mut out_packets, mut out_padding) = (0u64, 0u64, 0u64, 0u64);
    for op in data.get(2..).unwrap_or_default().chunks(4) {
        let [kind, a, b, c] = *op else { break };
        match kind % 5 {
            0 => {
                let class = CLASSES[usize::from(a % 4)];
                let size = usize::from(u16::from_be_bytes([b, c]));
                match pacer.enqueue(now, class, size, (class, next_id)) {
                    Ok(()) => accepted += 1,
                    Err(item) => {
                        assert_eq!(item, (class, next_id));
                        refused += 1;
                    }
                }
                next_id += 1;
            }
            // Rates up to 25.5 Mbit/s, zero included.
            1 => pacer.set_rates(
                now,
                Bitrate::from_kbps(u64::from(a) * 100),
                Bitrate::from_kbps(u64::from(b) * 10),
            ),
            2 => pacer.add_probe(
                now,
                ProbeCluster {
                    id: u32::from(a),
                    bitrate: Bitrate::from_kbps(u64::from(b) * 200),
                    min_duration: Duration::from_millis(u64::from(c % 64)),
                    min_packets: u32::from(c / 64),
                },
            ),
            3 => now += Duration::from_micros(u64::from(u16::from_be_bytes([a, b]))),
            _ => {
                // Poll until drained, then jump to the deadline if it is soon.
                for _ in 0..2 {
                    let mut polls = 0;
                    while let Some(p) = pacer.poll_packet(now) {
                        polls += 1;
                        assert!(polls <= 10_000, "a pacer that never stops at one instant");
                        match p {
                            Paced::Packet {
                                item: (class, id),
                                class: c,
                                ..
                            } => {
                                assert_eq!(class, c);
                                let slot = &mut last_out[class_index(class)];
                                assert!(slot.is_none_or(|last| last < id), "FIFO within a class");
                                *slot = Some(id);
                                out_packets += 1;
                            }
                            Paced::Padding { size, .. } => {
                                assert!((50..=1200).contains(&size));
                                out_padding += 1;
                            }
                        }
                    }
                    let deadline = pacer.poll_timeout();
                    assert!(
                        deadline.is_none_or(|t| t > now),
                        "asks to be polled in the past"
                    );
                    match deadline {
                        Some(t) if t <= now + Duration::from_millis(u64::from(c)) => now = t,
                        _ => break,
                    }
                }
            }
        }
        let stats = pacer.stats();
        assert!(stats.queued_packets <= config.max_queue_packets);
        assert_eq!(stats.queued_packets as u64, accepted - out_packets);
        assert_eq!(stats.dropped, refused);
        assert_eq!(stats.sent_packets, out_packets + out_padding);
    }
});

fn class_index(class: PacketClass) -> usize {
    CLASSES.iter().position(|c| *c == class).unwrap_or(0)
}
