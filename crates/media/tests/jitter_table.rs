//! The jitter buffer under simulated networks: jitter 0 / 20 / 60 ms × loss 0 / 2 / 10 %,
//! 60 s of 20 ms frames through the network simulator. Concealment ratio and mean added
//! delay are checked against the table below (printed with `--nocapture`).

mod support;

use std::time::{Duration, Instant};

use rtcweb_media::{JitterBuffer, JitterConfig, JitterStats, Playout};
use rtcweb_netsim::LinkConfig;
use support::{TwoHosts, epoch};

fn run(seed: u64, jitter_ms: u64, loss: f64) -> JitterStats {
    let start = epoch();
    let TwoHosts {
        mut net,
        a,
        b,
        ha,
        hb,
    } = TwoHosts::new(
        seed,
        start,
        LinkConfig {
            delay: Duration::from_millis(30),
            jitter: Duration::from_millis(jitter_ms),
            loss,
            duplicate: 0.0,
            reorder: 0.0,
        },
        LinkConfig::with_delay(Duration::from_millis(5)),
    );
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let frame = Duration::from_millis(20);
    let mut next_send = start;
    let mut next_play = start + Duration::from_millis(7);
    let end = start + Duration::from_secs(60);
    let mut ts = 0u32;
    let mut now = start;
    while now < end {
        now = next_send
            .min(next_play)
            .min(net.poll_timeout().unwrap_or(end));
        net.advance_to(now);
        while let Some(d) = net.poll_delivery(hb) {
            let t = u32::from_be_bytes(d.contents[..4].try_into().unwrap());
            jb.handle_packet(now, t, &d.contents[4..]);
        }
        if now >= next_send {
            let mut payload = ts.to_be_bytes().to_vec();
            payload.extend_from_slice(&[0xab; 60]);
            net.send(ha, a, b, payload);
            ts = ts.wrapping_add(960);
            next_send += frame;
        }
        if now >= next_play {
            if let Playout::Frame { payload, .. } = jb.pop(now) {
                assert_eq!(payload.len(), 60);
            }
            next_play += frame;
        }
    }
    jb.stats()
}

#[test]
fn concealment_and_delay_table() {
    // Bounds the buffer must meet: (jitter ms, loss, max concealment ratio, max mean delay ms).
    let table = [
        (0, 0.00, 0.0, 40.0),
        (0, 0.02, 0.03, 40.0),
        (0, 0.10, 0.12, 40.0),
        (20, 0.00, 0.002, 30.0),
        (20, 0.02, 0.025, 30.0),
        (20, 0.10, 0.12, 30.0),
        (60, 0.00, 0.002, 50.0),
        (60, 0.02, 0.025, 50.0),
        (60, 0.10, 0.12, 50.0),
    ];
    println!("| jitter | loss | concealed | mean added delay | late | target |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (i, (jitter, loss, max_conceal, max_delay)) in table.into_iter().enumerate() {
        let s = run(40 + i as u64, jitter, loss);
        let delay_ms = s.mean_delay().as_secs_f64() * 1000.0;
        println!(
            "| {jitter} ms | {:.0} % | {:.2} % | {delay_ms:.1} ms | {} | {:.0} ms |",
            loss * 100.0,
            s.concealment_ratio() * 100.0,
            s.late_packets,
            s.target_delay * 1000.0
        );
        assert!(
            s.concealment_ratio() <= max_conceal,
            "{jitter} ms / {loss}: concealed {:.3}",
            s.concealment_ratio()
        );
        assert!(
            delay_ms <= max_delay,
            "{jitter} ms / {loss}: delay {delay_ms:.1} ms"
        );
        // Loss is concealed, never more than a few frames beyond it.
        assert!(s.concealment_ratio() >= loss * 0.5);
        assert!(s.jitter_buffer_emitted_count > 0);
    }
}

#[test]
fn duplicates_and_reordering_are_absorbed() {
    let t0 = epoch();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    // Frames 0..10 arrive in pairs swapped (each 20 ms early or late), 3 twice.
    let arrivals: [&[u32]; 10] = [
        &[1],
        &[0],
        &[3],
        &[2, 3],
        &[5],
        &[4],
        &[7],
        &[6],
        &[9],
        &[8],
    ];
    let mut played = Vec::new();
    for k in 0..16u64 {
        for &i in arrivals.get(k as usize).copied().unwrap_or(&[]) {
            jb.handle_packet(t0 + Duration::from_millis(k * 20), i * 960, &[i as u8]);
        }
        if let Playout::Frame { payload, .. } = jb.pop(t0 + Duration::from_millis(k * 20 + 10)) {
            played.push(payload[0]);
        }
    }
    assert_eq!(played, (0..10).collect::<Vec<u8>>());
    assert_eq!(jb.stats().packets_discarded, 1, "the duplicate");
}

/// Plays `frames` frames sent every 20 ms from `first_ts`, arriving 30 ms later, ticking 5 ms
/// after each arrival slot; returns the timestamps played in order.
fn play_steady(jb: &mut JitterBuffer, t0: Instant, first_ts: u32, frames: u32) -> Vec<u32> {
    let mut played = Vec::new();
    for k in 0..frames + 5 {
        let at = t0 + Duration::from_millis(u64::from(k) * 20);
        if k < frames {
            jb.handle_packet(at, first_ts.wrapping_add(k * 960), b"x");
        }
        if let Playout::Frame { timestamp, .. } = jb.pop(at + Duration::from_millis(5)) {
            played.push(timestamp);
        }
    }
    played
}

#[test]
fn timestamps_wrap_around_without_a_hiccup() {
    let t0 = epoch();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let first = u32::MAX - 960 * 10 + 1;
    let played = play_steady(&mut jb, t0, first, 40);
    let expected: Vec<u32> = (0..40).map(|k| first.wrapping_add(k * 960)).collect();
    assert_eq!(played, expected);
    // Same counters as a stream that does not wrap (the ticks after the end conceal in both).
    let mut plain = JitterBuffer::new(JitterConfig::default());
    play_steady(&mut plain, t0, 0, 40);
    assert_eq!(jb.stats(), plain.stats());
}

#[test]
fn a_pause_in_the_stream_resumes_at_the_next_frame() {
    let t0 = epoch();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    play_steady(&mut jb, t0, 0, 50);
    let before = jb.stats().concealed_samples;
    // The sender pauses 10 s (timestamps move on with the clock), then talks again.
    let t1 = t0 + Duration::from_secs(11);
    let resumed_at = 960 * 50 * 11;
    let played = play_steady(&mut jb, t1, resumed_at, 50);
    assert_eq!(played.len(), 50);
    assert_eq!(played[0], resumed_at);
    // The silence is concealed tick by tick only while the buffer is waiting: the ticks of
    // the resumed stream are not spent on the gap.
    assert!(jb.stats().concealed_samples - before <= 960 * 5);
}

#[test]
fn the_buffer_holds_at_most_its_limit() {
    let t0 = epoch();
    let mut jb = JitterBuffer::new(JitterConfig {
        max_packets: 10,
        ..JitterConfig::default()
    });
    for k in 0..100u32 {
        jb.handle_packet(t0, k * 960, b"burst");
    }
    assert_eq!(jb.len(), 10);
    assert_eq!(jb.stats().packets_discarded, 90);
}
