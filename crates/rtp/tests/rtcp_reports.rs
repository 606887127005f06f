//! Sending side: the RFC 3550 §6.3 RTCP interval, sender reports and the round trip back
//! through a receiver's report block, on simulated time.

use std::time::{Duration, Instant};

use rtcweb_rtp::rtcp::{Compound, Packet, ReceiverReport};
use rtcweb_rtp::{
    AnchoredNtpClock, NtpClock, ReceiveStats, RtcpEvent, RtcpIntervalConfig, RtcpScheduler,
    SendStats, duration_to_ntp, ntp_to_duration,
};

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

/// Runs the scheduler until it asks for its first report.
fn first_report(scheduler: &mut RtcpScheduler) -> Instant {
    loop {
        let t = scheduler.poll_timeout().unwrap();
        scheduler.handle_timeout(t);
        if scheduler.poll_event().is_some() {
            return t;
        }
    }
}

/// Runs the scheduler for `span`, sending a `size`-byte report whenever asked; returns the
/// instants of the reports.
fn run(scheduler: &mut RtcpScheduler, start: Instant, span: Duration, size: usize) -> Vec<Instant> {
    let mut sent = Vec::new();
    let end = start + span;
    while let Some(t) = scheduler.poll_timeout().filter(|t| *t <= end) {
        scheduler.handle_timeout(t);
        if let Some(RtcpEvent::SendReport) = scheduler.poll_event() {
            scheduler.on_rtcp_sent(t, size);
            sent.push(t);
        }
    }
    sent
}

#[test]
fn two_party_session_reports_every_five_seconds_on_average() {
    let t0 = epoch();
    let mut s = RtcpScheduler::new(t0, RtcpIntervalConfig::default());
    s.set_participants(t0, 2, 2);
    s.set_we_sent(true);
    let sent = run(&mut s, t0, Duration::from_secs(3600), 100);
    // §6.2: the first report after half the minimum (randomized: 0.5–1.5 × 2.5 s / 1.218).
    let first = (sent[0] - t0).as_secs_f64();
    assert!((1.02..=3.08).contains(&first), "first after {first} s");
    // Then the minimum of 5 s: randomized to 0.5–1.5 × 5 s / (e − 3/2), and timer
    // reconsideration brings the mean back to 5 s (§6.3.1's compensation).
    let gaps: Vec<f64> = sent
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    println!(
        "{} reports in an hour, mean interval {mean:.3} s",
        sent.len()
    );
    assert!((mean - 5.0).abs() < 0.15, "mean {mean}");
    assert!(gaps.iter().all(|g| (2.05..=6.16).contains(g)), "{gaps:?}");
    // Randomized: not all the same.
    assert!(gaps.iter().any(|g| (g - gaps[0]).abs() > 0.1));
}

#[test]
fn the_interval_follows_bandwidth_members_and_packet_size() {
    let t0 = epoch();
    // 30 members at 16 kbit/s: RTCP gets 100 B/s; 120-byte reports from 30 members → 36 s.
    let config = RtcpIntervalConfig {
        session_bandwidth: 16_000,
        initial_packet_size: 120,
        ..RtcpIntervalConfig::default()
    };
    let mut s = RtcpScheduler::new(t0, config);
    s.set_participants(t0, 30, 15);
    first_report(&mut s);
    let t = s.deterministic_interval().as_secs_f64();
    assert!((t - 36.0).abs() < 1e-9, "{t}");
    // §6.3.1: with senders at most a quarter, senders share 25 % of the bandwidth…
    s.set_participants(t0, 30, 5);
    s.set_we_sent(true);
    let t = s.deterministic_interval().as_secs_f64();
    assert!((t - 120.0 * 5.0 / 25.0).abs() < 1e-9, "{t}");
    // …and receivers the other 75 %.
    s.set_we_sent(false);
    let t = s.deterministic_interval().as_secs_f64();
    assert!((t - 120.0 * 25.0 / 75.0).abs() < 1e-9, "{t}");
    // §6.3.3: the average size moves 1/16 of the way to each packet's size.
    s.on_rtcp_received(280);
    assert!((s.average_packet_size() - 130.0).abs() < 1e-9);
    // §6.2 reduced minimum at 1 Mbit/s with 2 members: 360 / 1000 kbit/s = 0.36 s.
    let mut fast = RtcpScheduler::new(
        t0,
        RtcpIntervalConfig {
            session_bandwidth: 1_000_000,
            reduced_minimum: true,
            ..RtcpIntervalConfig::default()
        },
    );
    first_report(&mut fast);
    assert_eq!(fast.deterministic_interval(), Duration::from_millis(360));
}

#[test]
fn a_bye_pulls_the_next_report_in() {
    let t0 = epoch();
    let config = RtcpIntervalConfig {
        session_bandwidth: 16_000,
        initial_packet_size: 120,
        ..RtcpIntervalConfig::default()
    };
    let mut s = RtcpScheduler::new(t0, config);
    s.set_participants(t0, 20, 2);
    let first = run(&mut s, t0, Duration::from_secs(200), 120)[0];
    let now = first + Duration::from_secs(1);
    let before = s.poll_timeout().unwrap() - now;
    // Half the members leave: §6.3.4 scales the wait by members / pmembers.
    s.set_participants(now, 10, 2);
    let after = s.poll_timeout().unwrap() - now;
    let ratio = after.as_secs_f64() / before.as_secs_f64();
    assert!((ratio - 0.5).abs() < 1e-6, "{ratio}");
    s.on_bye(now);
    let again = s.poll_timeout().unwrap() - now;
    assert!((again.as_secs_f64() / after.as_secs_f64() - 0.9).abs() < 1e-6);
}

#[test]
fn the_same_seed_gives_the_same_schedule() {
    let t0 = epoch();
    let a = run(
        &mut RtcpScheduler::new(t0, RtcpIntervalConfig::default()),
        t0,
        Duration::from_secs(120),
        90,
    );
    let b = run(
        &mut RtcpScheduler::new(t0, RtcpIntervalConfig::default()),
        t0,
        Duration::from_secs(120),
        90,
    );
    let c = run(
        &mut RtcpScheduler::new(
            t0,
            RtcpIntervalConfig {
                seed: 2,
                ..RtcpIntervalConfig::default()
            },
        ),
        t0,
        Duration::from_secs(120),
        90,
    );
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn sender_report_round_trip_gives_rtt_and_remote_stats() {
    let t0 = epoch();
    // Our wall clock; the receiver needs none (§6.4.1: it echoes LSR and counts DLSR on its
    // own monotonic clock).
    let ours = AnchoredNtpClock::new(t0, Duration::from_secs(1_764_000_000));
    let one_way = Duration::from_millis(40);
    let mut send = SendStats::new(0x1111, 48_000);
    let mut recv = ReceiveStats::new(48_000);
    // 5 s of 20 ms Opus packets, every 10th lost.
    for i in 0..250u32 {
        let at = t0 + Duration::from_millis(u64::from(i) * 20);
        send.on_packet_sent(at, 1000 + i * 960, 80);
        if i % 10 != 3 {
            recv.handle_packet(at + one_way, i as u16, 1000 + i * 960);
        }
    }
    // The sender report 10 ms after the last packet: RTP time extrapolated to that instant.
    let sr_at = t0 + Duration::from_millis(249 * 20 + 10);
    let sr = send.sender_report(sr_at, &ours, Vec::new()).unwrap();
    assert_eq!(sr.rtp_time, 1000 + 249 * 960 + 480);
    assert_eq!((sr.packet_count, sr.octet_count), (250, 250 * 80));
    assert_eq!(sr.ntp_time, ours.ntp_time(sr_at));
    // It travels, sits at the receiver for 300 ms, and a report block comes back.
    let mut wire = Vec::new();
    sr.emit(&mut wire).unwrap();
    let parsed = match Compound::new(&wire).next() {
        Some(Ok(Packet::SenderReport(sr))) => sr,
        other => panic!("{other:?}"),
    };
    recv.handle_sender_report(sr_at + one_way, parsed.ntp_time);
    let rr_at = sr_at + one_way + Duration::from_millis(300);
    let rr = ReceiverReport {
        ssrc: 0x2222,
        reports: vec![recv.report_block(rr_at, 0x1111)],
    };
    send.handle_report_block(ours.ntp_time(rr_at + one_way), &rr.reports[0]);
    let remote = send.remote();
    let rtt = remote.round_trip_time.unwrap();
    // NTP short format has 15 µs resolution.
    assert!(
        rtt.abs_diff(2 * one_way) < Duration::from_micros(50),
        "{rtt:?}"
    );
    assert_eq!(remote.packets_lost, 25);
    assert!((remote.fraction_lost - 25.0 / 250.0).abs() < 0.01);
    assert_eq!(remote.round_trip_time_measurements, 1);
    // A block about someone else's stream is not ours.
    let mut other = rr.reports[0];
    other.ssrc = 0x3333;
    send.handle_report_block(0, &other);
    assert_eq!(send.remote().reports_received, 1);
}

#[test]
fn ntp_conversions_round_trip() {
    let d = Duration::new(3_000_000_000, 123_456_789);
    let back = ntp_to_duration(duration_to_ntp(d));
    assert!(back.abs_diff(d) < Duration::from_nanos(2));
    let t0 = epoch();
    let clock = AnchoredNtpClock::new(t0 + Duration::from_secs(10), Duration::from_secs(100));
    // Before the anchor, time runs backwards from it.
    let early = clock.ntp_time(t0);
    let late = clock.ntp_time(t0 + Duration::from_secs(10));
    assert_eq!(ntp_to_duration(late - early), Duration::from_secs(10));
    assert_eq!(late >> 32, 100 + rtcweb_rtp::NTP_UNIX_OFFSET);
}
