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
fn scenario(link_bps: u64, rtt: Duration, duration: Duration) -> (Vec<(Duration, u64)>, String) {
    #[allow(clippy::disallowed_methods)] // the epoch of simulated time
    let start = Instant::now();
    let mut net = Network::new(17, start);
    let mut a = peer(&mut net, "192.0.2.1", start, true);
    let mut b = peer(&mut net, "192.0.2.2", start, false);
    // Each packet crosses both hosts' links: a quarter of the RTT on each.
    net.set_link(a.host, LinkConfig::with_delay(rtt / 4));
    net.set_link(b.host, LinkConfig::with_delay(rtt / 4));
    net.set_bottleneck(
        a.host,
        Way::Up,
        Some(Bottleneck::new(link_bps, Duration::from_millis(300))),
    );

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
            report.push((now - start, estimate));
        }
    }
    let stats = net.bottleneck_stats(a.host, Way::Up).unwrap();
    let mut out = String::new();
    for (t, bps) in &report {
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
