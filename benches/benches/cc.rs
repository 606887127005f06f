//! rtcweb-cc, per packet: the pacer taking a 1,200-byte video packet and letting one out at
//! its paced time, with a standing queue of 100 packets (`enqueue` + `poll_timeout` +
//! `poll_packet`), and the same with audio and retransmissions mixed in. Baseline in the same
//! run: pushing and popping the same item through a `VecDeque` (a FIFO with no pacing).
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_cc::{Bitrate, Paced, Pacer, PacerConfig, PacketClass};

const SIZE: usize = 1200;

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

/// A pacer at 2 Mbit/s holding `backlog` video packets, past its first burst.
fn warm_pacer(backlog: u64) -> (Pacer<u64>, Instant) {
    let start = epoch();
    let mut pacer = Pacer::new(start, PacerConfig::default());
    pacer.set_rates(start, Bitrate::from_mbps(2), Bitrate::ZERO);
    for i in 0..backlog {
        pacer.enqueue(start, PacketClass::Video, SIZE, i).unwrap();
    }
    while pacer.poll_packet(start).is_some() {}
    (pacer, start)
}

fn per_packet(c: &mut Criterion) {
    let mut g = c.benchmark_group("cc_pacer_packet");
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline_vecdeque_fifo", |bench| {
        let mut q: VecDeque<(PacketClass, usize, u64)> = VecDeque::with_capacity(128);
        let mut i = 0u64;
        bench.iter(|| {
            q.push_back(black_box((PacketClass::Video, SIZE, i)));
            i += 1;
            black_box(q.pop_front())
        })
    });
    let classes: [(&str, &[PacketClass]); 2] = [
        ("video_enqueue_poll", &[PacketClass::Video]),
        (
            "mixed_classes_enqueue_poll",
            &[
                PacketClass::Video,
                PacketClass::Audio,
                PacketClass::Video,
                PacketClass::Retransmission,
            ],
        ),
    ];
    for (name, mix) in classes {
        let (mut pacer, start) = warm_pacer(100);
        let mut now = start;
        let mut i = 100u64;
        g.bench_function(name, |bench| {
            bench.iter(|| {
                let class = mix[(i % mix.len() as u64) as usize];
                pacer.enqueue(now, class, SIZE, i).unwrap();
                i += 1;
                // Sleep until the pacer's deadline, then take one packet.
                if let Some(t) = pacer.poll_timeout() {
                    now = now.max(t);
                }
                match pacer.poll_packet(now) {
                    Some(Paced::Packet { item, .. }) => black_box(item),
                    Some(Paced::Padding { size, .. }) => black_box(size as u64),
                    None => black_box(u64::MAX),
                }
            })
        });
        let stats = pacer.stats();
        assert_eq!(stats.dropped, 0, "the backlog stays bounded");
        assert!(
            now > start + Duration::from_millis(1),
            "time moved with the pacing"
        );
    }
    g.finish();
}

criterion_group!(benches, per_packet);
criterion_main!(benches);
