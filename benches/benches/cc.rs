//! rtcweb-cc: the send-side estimator's cost per packet: registering a sent packet and
//! taking its transport-wide feedback (100 packets per feedback, 7.5 Mbit/s of 1200-byte
//! packets), delay and loss estimation included.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_cc::{CcConfig, CongestionController, SentPacket};
use rtcweb_rtp::rtcp::TransportCc;

const PACKETS: u64 = 100;
/// One feedback's worth of time: two TWCC reference units of 64 ms.
const ROUND: Duration = Duration::from_millis(128);

fn controller(c: &mut Criterion) {
    let start = Instant::now();
    let mut cc = CongestionController::new(start, CcConfig::default());
    let gap = ROUND / PACKETS as u32;
    // Every packet arrives 25 ms after it was sent; one in 50 is lost.
    let mut feedback = TransportCc {
        arrivals: (0..PACKETS)
            .map(|i| (i % 50 != 49).then_some(25_000 + (gap * i as u32).as_micros() as i64))
            .collect(),
        ..TransportCc::default()
    };
    let mut round = 0u64;
    let mut g = c.benchmark_group("cc");
    g.throughput(Throughput::Elements(PACKETS));
    g.bench_function("sent_and_twcc_feedback_per_packet", |b| {
        b.iter(|| {
            let base = round * PACKETS;
            let t0 = start + ROUND * round as u32;
            for i in 0..PACKETS {
                cc.on_packet_sent(SentPacket {
                    sequence: base + i,
                    size: 1200,
                    send_time: t0 + gap * i as u32,
                    probe: None,
                    audio: false,
                });
            }
            feedback.base_seq = base as u16;
            feedback.reference_time = (round * 2) as i32 & 0x7f_ffff;
            let now = t0 + ROUND + Duration::from_millis(25);
            cc.handle_transport_cc(now, black_box(&feedback));
            cc.handle_timeout(now);
            while let Some(event) = cc.poll_event() {
                black_box(event);
            }
            round += 1;
        })
    });
    g.finish();
}

criterion_group!(benches, controller);
criterion_main!(benches);
