//! A baseline for issue 17: str0m 0.25's send-side bandwidth estimation (TWCC, with its own
//! probing and pacer) over rtcweb-netsim's bottleneck, in simulated time, in the two
//! scenarios our estimator is judged on: "steady 3 Mbit/s, 50 ms RTT" and "10 Mbit/s from
//! 300 kbit/s". A's uplink is the bottleneck; A sends VP8-sized frames at 30 fps sized to
//! str0m's latest estimate. The estimate over time is printed (`--nocapture`) so that ours
//! can be read against it; the assertions only pin down that str0m estimated at all and
//! stayed within sight of the link.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_netsim::{Bottleneck, Direction as Way, HostId, LinkConfig, Network};
use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, Frequency, MediaKind, MediaTime};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// One str0m peer on a netsim host.
struct Peer {
    rtc: Rtc,
    host: HostId,
    addr: SocketAddr,
    deadline: Instant,
}

/// What the sender saw.
#[derive(Default)]
struct Seen {
    connected: bool,
    estimate: Option<Bitrate>,
}

impl Peer {
    /// Drains str0m's outputs into the network until its next timeout.
    fn drain(&mut self, net: &mut Network, seen: &mut Seen) {
        loop {
            match self.rtc.poll_output().expect("str0m polls") {
                Output::Timeout(at) => {
                    self.deadline = at;
                    return;
                }
                Output::Transmit(t) => {
                    net.send(self.host, t.source, t.destination, t.contents.to_vec());
                }
                Output::Event(Event::Connected) => seen.connected = true,
                Output::Event(Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. })) => {
                    seen.estimate = Some(estimate);
                }
                Output::Event(_) => {}
            }
        }
    }

    fn receive(&mut self, now: Instant, from: SocketAddr, contents: &[u8]) {
        let Ok(r) = Receive::new(Protocol::Udp, from, self.addr, contents) else {
            return;
        };
        let _ = self.rtc.handle_input(Input::Receive(now, r));
    }
}

fn peer(net: &mut Network, ip: &str, now: Instant, bwe: bool) -> Peer {
    let addr: SocketAddr = format!("{ip}:5000").parse().unwrap();
    let host = net.add_host(addr.ip(), None);
    let mut builder = Rtc::builder();
    if bwe {
        builder = builder.enable_bwe(Some(Bitrate::kbps(300)));
    }
    let mut rtc = builder.build(now);
    rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap())
        .unwrap();
    Peer {
        rtc,
        host,
        addr,
        deadline: now,
    }
}

/// Runs one scenario for `duration`; returns the estimate every 500 ms, and it and the
/// bottleneck's counters as text.
/// A path for one scenario: the bottleneck's rate (and later rates), its queue, random loss.
struct Path {
    rate_bps: u64,
    changes: &'static [(Duration, u64)],
    queue: Duration,
    loss: f64,
}

impl Path {
    fn steady(rate_bps: u64) -> Self {
        Self {
            rate_bps,
            changes: &[],
            queue: Duration::from_millis(300),
            loss: 0.0,
        }
    }

    /// The link's rate at `t`.
    fn rate_at(&self, t: Duration) -> u64 {
        self.changes
            .iter()
            .rfind(|(at, _)| *at <= t)
            .map_or(self.rate_bps, |(_, r)| *r)
    }
}

/// One sample every 500 ms: (time, estimate, bytes through the bottleneck, the last
/// packet's queueing delay).
type Sample = (Duration, u64, u64, Duration);

fn scenario(link_bps: u64, rtt: Duration, duration: Duration) -> (Vec<(Duration, u64)>, String) {
    let (samples, out) = scenario_on(&Path::steady(link_bps), rtt, duration);
    (samples.iter().map(|s| (s.0, s.1)).collect(), out)
}

/// The row our scenario table has, for str0m over `from..to`: the estimate at the end,
/// throughput, utilisation of the link, p95 of the sampled queueing delay.
fn row(name: &str, path: &Path, samples: &[Sample], from: Duration, to: Duration) -> String {
    let window: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.0 >= from && s.0 <= to)
        .collect();
    let (first, last) = (window[0], window[window.len() - 1]);
    let secs = (last.0 - first.0).as_secs_f64();
    let throughput = (last.2 - first.2) as f64 * 8.0 / secs;
    let capacity: f64 = window
        .windows(2)
        .map(|w| path.rate_at(w[0].0) as f64 * (w[1].0 - w[0].0).as_secs_f64())
        .sum::<f64>()
        / secs;
    let mut delays: Vec<Duration> = window.iter().map(|s| s.3).collect();
    delays.sort();
    format!(
        "| str0m: {name} | {:.0?}..{:.0?} | {:.2} Mbit/s | {:.2} Mbit/s | {:.1} % | {:.0?} |",
        from,
        to,
        last.1 as f64 / 1e6,
        throughput / 1e6,
        100.0 * throughput / capacity,
        delays[delays.len() * 95 / 100],
    )
}

fn scenario_on(path: &Path, rtt: Duration, duration: Duration) -> (Vec<Sample>, String) {
    let link_bps = path.rate_bps;
    #[allow(clippy::disallowed_methods)] // the epoch of simulated time
    let start = Instant::now();
    let mut net = Network::new(17, start);
    let mut a = peer(&mut net, "192.0.2.1", start, true);
    let mut b = peer(&mut net, "192.0.2.2", start, false);
    // Each packet crosses both hosts' links: a quarter of the RTT on each.
    net.set_link(
        a.host,
        LinkConfig {
            loss: path.loss,
            ..LinkConfig::with_delay(rtt / 4)
        },
    );
    net.set_link(b.host, LinkConfig::with_delay(rtt / 4));
    net.set_bottleneck(a.host, Way::Up, Some(Bottleneck::new(link_bps, path.queue)));
    for (at, rate) in path.changes {
        net.schedule_bottleneck_rate(a.host, Way::Up, start + *at, *rate);
    }

    let mut change = a.rtc.sdp_api();
    let mid = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    let (offer, pending) = change.apply().unwrap();
    let offer = SdpOffer::from_sdp_string(&offer.to_sdp_string()).unwrap();
    let answer = b.rtc.sdp_api().accept_offer(offer).unwrap();
    let answer = SdpAnswer::from_sdp_string(&answer.to_sdp_string()).unwrap();
    a.rtc.sdp_api().accept_answer(pending, answer).unwrap();
    a.rtc
        .bwe()
        .set_bitrate(Bitrate::kbps(300), Bitrate::mbps(15));

    let (mut seen_a, mut seen_b) = (Seen::default(), Seen::default());
    let mut now = start;
    let mut next_frame = start;
    let mut frame = 0u64;
    let mut next_report = start;
    let mut report = Vec::new();
    a.drain(&mut net, &mut seen_a);
    b.drain(&mut net, &mut seen_b);
    while now < start + duration {
        let mut at = a.deadline.min(b.deadline).min(next_frame).min(next_report);
        if let Some(t) = net.poll_timeout() {
            at = at.min(t);
        }
        now = now.max(at);
        net.advance_to(now);
        while let Some(d) = net.poll_delivery(a.host) {
            a.receive(now, d.remote, &d.contents);
        }
        while let Some(d) = net.poll_delivery(b.host) {
            b.receive(now, d.remote, &d.contents);
        }
        let _ = a.rtc.handle_input(Input::Timeout(now));
        let _ = b.rtc.handle_input(Input::Timeout(now));
        if now >= next_frame {
            next_frame += Duration::from_micros(33_333);
            if seen_a.connected {
                // A frame's worth of the estimate, as an encoder told the target would make.
                let target = seen_a.estimate.map_or(300_000, |e| e.as_u64());
                let bytes = (target / 8 / 30).clamp(200, 200_000) as usize;
                if let Some(writer) = a.rtc.writer(mid) {
                    let pt = writer.payload_params().next().map(|p| p.pt());
                    if let Some(pt) = pt {
                        let rtp_time = MediaTime::new(frame * 3000, Frequency::NINETY_KHZ);
                        let _ = writer.write(pt, now, rtp_time, vec![0x10; bytes]);
                        frame += 1;
                    }
                }
            }
        }
        a.drain(&mut net, &mut seen_a);
        b.drain(&mut net, &mut seen_b);
        if now >= next_report {
            next_report += Duration::from_millis(500);
            let estimate = seen_a.estimate.map_or(0, |e| e.as_u64());
            let b = net.bottleneck_stats(a.host, Way::Up).unwrap();
            report.push((now - start, estimate, b.passed_bytes, b.queue_delay_last));
        }
    }
    let stats = net.bottleneck_stats(a.host, Way::Up).unwrap();
    let mut out = String::new();
    for (t, bps, _, _) in &report {
        out += &format!(
            "  {:>5.1} s  {:>8.0} kbit/s\n",
            t.as_secs_f64(),
            *bps as f64 / 1000.0
        );
    }
    out += &format!(
        "  bottleneck: {} packets through, {} dropped, longest queueing {:?}",
        stats.passed, stats.dropped, stats.queue_delay_max
    );
    (report, out)
}

/// Prints a scenario's figures in one piece (the two tests run in parallel).
fn print(name: &str, figures: &str) {
    println!("str0m 0.25 send-side estimate, {name}:\n{figures}");
}

#[test]
fn steady_3_mbit_50_ms_rtt() {
    let (report, figures) = scenario(
        3_000_000,
        Duration::from_millis(50),
        Duration::from_secs(30),
    );
    print("steady 3 Mbit/s, 50 ms RTT", &figures);
    let last = report.last().unwrap().1;
    assert!(last > 300_000, "str0m's estimate never moved: {last}");
    assert!(
        last < 6_000_000,
        "str0m's estimate is far over the link: {last}"
    );
}

#[test]
fn ten_mbit_from_300_kbit() {
    let (report, figures) = scenario(
        10_000_000,
        Duration::from_millis(50),
        Duration::from_secs(30),
    );
    print("10 Mbit/s from 300 kbit/s", &figures);
    let last = report.last().unwrap().1;
    assert!(last > 300_000, "str0m's estimate never moved: {last}");
    assert!(
        last < 20_000_000,
        "str0m's estimate is far over the link: {last}"
    );
}

/// The rest of issue 17's scenarios, str0m's rows printed in our table's columns.
#[test]
fn the_other_scenarios() {
    let secs = Duration::from_secs;
    let rtt = Duration::from_millis(50);
    let mut rows = Vec::new();
    let steady = Path::steady(3_000_000);
    let (s, _) = scenario_on(&steady, rtt, secs(30));
    rows.push(row(
        "steady 3 Mbit/s, 50 ms RTT",
        &steady,
        &s,
        secs(5),
        secs(30),
    ));
    const UP: &[(Duration, u64)] = &[(Duration::from_secs(20), 5_000_000)];
    const DOWN: &[(Duration, u64)] = &[(Duration::from_secs(20), 1_000_000)];
    let up = Path {
        changes: UP,
        ..Path::steady(1_000_000)
    };
    let (s, _) = scenario_on(&up, rtt, secs(40));
    rows.push(row(
        "step up 1 -> 5 Mbit/s at 20 s",
        &up,
        &s,
        secs(20),
        secs(30),
    ));
    rows.push(row(
        "step up 1 -> 5 Mbit/s at 20 s",
        &up,
        &s,
        secs(30),
        secs(40),
    ));
    let down = Path {
        changes: DOWN,
        ..Path::steady(5_000_000)
    };
    let (s, _) = scenario_on(&down, rtt, secs(40));
    rows.push(row(
        "step down 5 -> 1 Mbit/s at 20 s",
        &down,
        &s,
        secs(20),
        secs(22),
    ));
    rows.push(row(
        "step down 5 -> 1 Mbit/s at 20 s",
        &down,
        &s,
        secs(22),
        secs(40),
    ));
    let lossy = Path {
        loss: 0.05,
        ..Path::steady(3_000_000)
    };
    let (s, _) = scenario_on(&lossy, rtt, secs(40));
    rows.push(row(
        "5 % random loss, 3 Mbit/s",
        &lossy,
        &s,
        secs(5),
        secs(40),
    ));
    let bloat = Path {
        queue: secs(1),
        ..Path::steady(3_000_000)
    };
    let (s, _) = scenario_on(&bloat, rtt, secs(40));
    rows.push(row(
        "bufferbloat: 3 Mbit/s, 1 s queue",
        &bloat,
        &s,
        Duration::ZERO,
        secs(40),
    ));
    let fast = Path::steady(10_000_000);
    let (s, _) = scenario_on(&fast, rtt, secs(15));
    rows.push(row(
        "10 Mbit/s, start at 300 kbit/s",
        &fast,
        &s,
        Duration::ZERO,
        secs(5),
    ));
    rows.push(row(
        "10 Mbit/s, start at 300 kbit/s",
        &fast,
        &s,
        secs(5),
        secs(15),
    ));
    println!("| scenario | window | estimate (end) | throughput | util | q p95 |");
    for r in &rows {
        println!("{r}");
    }
    assert_eq!(rows.len(), 9);
}
