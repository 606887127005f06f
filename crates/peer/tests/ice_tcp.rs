//! ICE-TCP (RFC 6544, issue 22) between two rtcweb peers with UDP blocked on one side.
//!
//! Re-run in a network namespace of its own (`rtcweb_lab::isolate`: `lo` and a veth pair
//! whose `veth0` holds 203.0.113.7, RFC 5737); the test adds 203.0.113.8 to `veth0` and
//! has iptables drop every UDP datagram from or to it. Peer A binds 203.0.113.7 and offers;
//! peer B binds 203.0.113.8, where no UDP gets through, and answers. Both gather ICE-TCP
//! as `DriverConfig::default()` does: a passive candidate at a TCP listener and an active
//! one (port 9). The connection comes up over a TCP pair (one side's active candidate to
//! the other's passive one), and a data channel carries twenty messages each way over it,
//! DTLS and SCTP in RFC 4571 frames. The selected pair is read from the stats report
//! (`candidate-pair` and its candidates' `protocol` and `tcpType`), and the iptables
//! counters show the UDP that was dropped. Six seconds later (past the five an accepted
//! connection may wait for its first authenticated check) the pair is still the same and
//! no connection was evicted.
//!
//! `chromium_connects_to_our_passive_candidate_with_udp_blocked`: the same namespace and
//! rules, rtcweb on 203.0.113.8 offers to headless Chromium (whose answer, Chromium 156,
//! signals no TCP candidate): Chromium's active candidate connects to our passive one all
//! the same, rtcweb learns Chromium's end as a peer-reflexive candidate and
//! nominates that pair; twenty messages go to Chromium's echo and back. Both sides' stats
//! show the TCP pair.
//!
//! `firefox_connects_to_our_passive_candidate_with_udp_blocked`: the same with headless
//! Firefox (`firefox-esr` over WebDriver BiDi), which uses only a remote's passive TCP
//! candidates: rtcweb offers, Firefox answers and connects to our passive candidate; twenty
//! messages go to its echo and back, and both sides' stats show the TCP pair.
//!
//! Needs root and `iptables` (and the browser for the second and third); without them they say so and
//! pass (CI has them).
#![allow(clippy::disallowed_methods)] // real time

mod chromium;
mod messages;
mod peer_events;
mod signal;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::{Duration, Instant};

use rtcweb_lab::isolate;
use rtcweb_peer::DataChannelInit;
use rtcweb_peer::driver::{DataChannel, DriverConfig, PeerConnection};
use signal::{Linked, link};
use tokio::time::timeout;

/// Peer B's address, where UDP is blocked (RFC 5737).
const BLOCKED: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 8);

fn sh(script: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", script])
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The selected pair from the stats report: (local, remote) as `protocol tcpType type`.
async fn selected_pair(pc: &PeerConnection) -> (String, String) {
    let report = pc.stats().await.expect("a stats report");
    let json = report.to_json();
    let entries: Vec<&serde_json::Value> = match &json {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) => o.values().collect(),
        _ => Vec::new(),
    };
    let find = |id: &str| {
        entries
            .iter()
            .find(|e| e["id"] == id)
            .copied()
            .unwrap_or_else(|| panic!("no stats entry {id}: {json}"))
    };
    let transport = entries
        .iter()
        .find(|e| e["type"] == "transport")
        .expect("a transport entry");
    let pair = find(
        transport["selectedCandidatePairId"]
            .as_str()
            .expect("a selected pair"),
    );
    let describe = |id: &serde_json::Value| {
        let c = find(id.as_str().expect("a candidate id"));
        format!(
            "{} {} {} {}:{}",
            c["protocol"].as_str().unwrap_or("?"),
            c["tcpType"].as_str().unwrap_or("-"),
            c["candidateType"].as_str().unwrap_or("?"),
            c["address"].as_str().unwrap_or("?"),
            c["port"],
        )
    };
    (
        describe(&pair["localCandidateId"]),
        describe(&pair["remoteCandidateId"]),
    )
}

/// Whether test `name` runs in this process: the copy re-run in its namespace, with
/// [`BLOCKED`] on `veth0` and every UDP datagram from or to it dropped by iptables.
fn inside_with_udp_blocked(name: &str) -> bool {
    if isolate::run_in_namespace(name, true) || !isolate::inside_namespace() {
        return false;
    }
    if Command::new("iptables").arg("-L").output().is_err() {
        println!("{name}: skipped: iptables is not installed");
        return false;
    }
    sh(&format!(
        "ip addr add {BLOCKED}/24 dev veth0 && \
         iptables -A INPUT -p udp -d {BLOCKED} -j DROP && \
         iptables -A OUTPUT -p udp -s {BLOCKED} -j DROP && \
         iptables -A OUTPUT -p udp -d {BLOCKED} -j DROP"
    ));
    true
}

/// The UDP datagrams iptables dropped (their count is printed).
fn udp_dropped() -> u64 {
    let counters = sh("iptables -L -v -n -x | grep DROP");
    println!("UDP dropped by iptables:\n{counters}");
    counters
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// A driver config on `ip` only, ICE-TCP as by default.
/// Twenty messages echoed by the browser on `channel`, then both sides' selected pairs
/// checked (ours: passive host to active peer-reflexive; the browser's, from `theirs`:
/// active to passive), the connection counters printed, and the UDP that was dropped.
fn echo_over_tcp_and_check_pairs(
    rt: &tokio::runtime::Runtime,
    pc: &PeerConnection,
    channel: &mut DataChannel,
    browser: &str,
    theirs: impl FnOnce() -> serde_json::Value,
) {
    for i in 0..20 {
        let text = format!("message {i} over ICE-TCP");
        rt.block_on(channel.send_text(&text)).unwrap();
        let back = rt
            .block_on(timeout(Duration::from_secs(10), channel.recv()))
            .expect("the echo comes back")
            .expect("the channel stays open");
        assert_eq!(back.data, text.as_bytes());
    }
    println!("20 messages echoed by {browser} over ICE-TCP");
    let (local, remote) = rt.block_on(selected_pair(pc));
    println!("rtcweb's selected pair: {local} -> {remote}");
    assert!(local.starts_with("tcp passive host "), "{local}");
    assert!(remote.starts_with("tcp active prflx "), "{remote}");
    let theirs = theirs();
    println!("{browser}'s selected pair: {theirs}");
    assert_eq!(
        theirs[0].as_str().map(|l| l.starts_with("tcp active")),
        Some(true)
    );
    assert_eq!(
        theirs[1].as_str().map(|r| r.starts_with("tcp passive")),
        Some(true)
    );
    let io = rt.block_on(pc.info()).unwrap().io;
    println!(
        "rtcweb: ICE-TCP connections accepted {}, opened {}, refused {}",
        io.tcp_connections_accepted, io.tcp_connections_opened, io.tcp_connections_refused
    );
    rt.block_on(pc.close()).unwrap();
    assert!(udp_dropped() > 0, "UDP checks were tried and dropped");
}

fn config(ip: Ipv4Addr) -> DriverConfig {
    DriverConfig {
        interfaces: vec![IpAddr::V4(ip)],
        ..DriverConfig::default()
    }
}

#[test]
fn rtcweb_to_rtcweb_over_tcp_with_udp_blocked_on_one_side() {
    let name = "rtcweb_to_rtcweb_over_tcp_with_udp_blocked_on_one_side";
    if !inside_with_udp_blocked(name) {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        assert!(DriverConfig::default().ice_tcp, "ICE-TCP is on by default");
        let (a, a_events) = PeerConnection::new(config(isolate::VETH_ADDRESS))
            .await
            .expect("peer A");
        let (b, b_events) = PeerConnection::new(config(BLOCKED)).await.expect("peer B");
        let mut channel = a
            .create_data_channel("tcp", DataChannelInit::default())
            .await
            .unwrap();
        let started = Instant::now();
        let Linked {
            mut b_incoming,
            a_connected,
            b_connected,
            ..
        } = link(&a, a_events, &b, b_events).await;
        let limit = Duration::from_secs(30);
        let a_at = timeout(limit, a_connected)
            .await
            .expect("A connects")
            .unwrap();
        let b_at = timeout(limit, b_connected)
            .await
            .expect("B connects")
            .unwrap();
        println!(
            "connected over TCP: A after {:?}, B after {:?}",
            a_at - started,
            b_at - started
        );
        for (side, pc) in [("A", &a), ("B", &b)] {
            let sdp = pc.info().await.unwrap().local_description.unwrap();
            let tcp: Vec<&str> = sdp
                .lines()
                .filter(|l| l.starts_with("a=candidate:") && l.contains(" tcp "))
                .collect();
            println!("{side}'s ICE-TCP candidates: {tcp:?}");
            assert!(tcp.iter().any(|l| l.contains("tcptype passive")), "{sdp}");
            assert!(
                tcp.iter().any(|l| l.contains(" 9 typ host tcptype active")),
                "{sdp}"
            );
        }
        messages::echo_twenty(
            "rtcweb ↔ rtcweb over ICE-TCP",
            &mut channel,
            &mut b_incoming,
        )
        .await;
        let mut pairs = Vec::new();
        for pc in [&a, &b] {
            let (local, remote) = selected_pair(pc).await;
            assert!(local.starts_with("tcp ") && remote.starts_with("tcp "));
            pairs.push((local, remote));
        }
        // Past the wait for a first check (5 s): the accepted connection carried checks, so
        // it is kept and the pair stays.
        tokio::time::sleep(Duration::from_secs(6)).await;
        for (i, (side, pc)) in [("A", &a), ("B", &b)].into_iter().enumerate() {
            let (local, remote) = selected_pair(pc).await;
            println!("{side}'s selected pair: {local} -> {remote}");
            assert_eq!((local, remote), pairs[i].clone(), "{side}'s pair stays");
            let io = pc.info().await.unwrap().io;
            println!(
                "{side}: ICE-TCP connections accepted {}, opened {}, refused {}, evicted {}; \
                 datagrams dropped {}",
                io.tcp_connections_accepted,
                io.tcp_connections_opened,
                io.tcp_connections_refused,
                io.tcp_connections_evicted,
                io.tcp_datagrams_dropped
            );
            assert_eq!(
                io.tcp_connections_evicted, 0,
                "{side} evicted a checked connection"
            );
        }
        a.close().await.unwrap();
        b.close().await.unwrap();
    });
    assert!(udp_dropped() > 0, "UDP checks were tried and dropped");
}

/// Chromium's selected pair from its `getStats()`: (local, remote) as
/// `protocol tcpType type address:port`.
const CHROMIUM_PAIR: &str = r#"
(async () => {
  const stats = await rtc.pc.getStats();
  let transport;
  stats.forEach((r) => { if (r.type === 'transport') transport = r; });
  const pair = stats.get(transport.selectedCandidatePairId);
  const describe = (c) =>
    `${c.protocol} ${c.tcpType || '-'} ${c.candidateType} ${c.address}:${c.port}`;
  return [describe(stats.get(pair.localCandidateId)), describe(stats.get(pair.remoteCandidateId))];
})()
"#;

#[test]
fn chromium_connects_to_our_passive_candidate_with_udp_blocked() {
    let name = "chromium_connects_to_our_passive_candidate_with_udp_blocked";
    if !chromium::available() || !inside_with_udp_blocked(name) {
        return;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = chromium::Chromium::launch();
    println!("{}", browser.version());
    let page = browser.new_page();
    assert_eq!(
        browser.evaluate(&page, chromium::ECHO_PAGE_SCRIPT),
        serde_json::json!(true)
    );
    let (pc, events) = rt
        .block_on(PeerConnection::new(config(BLOCKED)))
        .expect("a peer");
    let peer_events::Pumped {
        seen, mut channels, ..
    } = peer_events::pump(&rt, events);
    let started = Instant::now();
    let mut channel = browser.open_first_channel(&page, &rt, &pc, false, &seen, &mut channels);
    println!("the channel opened over TCP after {:?}", started.elapsed());
    let remote = rt
        .block_on(pc.info())
        .unwrap()
        .remote_description
        .expect("Chromium's answer");
    let chromium_tcp: Vec<&str> = remote
        .lines()
        .filter(|l| l.starts_with("a=candidate:") && l.contains(" tcp "))
        .collect();
    println!("Chromium's ICE-TCP candidates: {chromium_tcp:?}");
    echo_over_tcp_and_check_pairs(&rt, &pc, &mut channel, "Chromium", || {
        browser.evaluate(&page, CHROMIUM_PAIR)
    });
}

/// Firefox's page: an `RTCPeerConnection` that answers and echoes every message on the
/// channels the peer opens, and reports its selected pair.
const FIREFOX_PAGE: &str = r#"<!doctype html><title>rtcweb ICE-TCP</title><script>
window.rtc = {
  pc: null,
  async answer(sdp) {
    const pc = new RTCPeerConnection();
    rtc.pc = pc;
    pc.ondatachannel = (e) => { e.channel.onmessage = (m) => e.channel.send(m.data); };
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription();
    await new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
    return pc.localDescription.sdp;
  },
  async candidate(candidate, sdpMid) {
    await rtc.pc.addIceCandidate(candidate ? { candidate, sdpMid } : undefined);
    return true;
  },
  async pair() {
    const stats = await rtc.pc.getStats();
    let pair;
    stats.forEach((r) => { if (r.type === 'candidate-pair' && r.selected) pair = r; });
    if (!pair) return null;
    const describe = (c) =>
      `${c.protocol} ${c.tcpType || '-'} ${c.candidateType} ${c.address}:${c.port}`;
    return [describe(stats.get(pair.localCandidateId)), describe(stats.get(pair.remoteCandidateId))];
  },
};
</script>"#;

#[test]
fn firefox_connects_to_our_passive_candidate_with_udp_blocked() {
    let name = "firefox_connects_to_our_passive_candidate_with_udp_blocked";
    if !rtcweb_lab::firefox::available() || !inside_with_udp_blocked(name) {
        return;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let url = rtcweb_lab::chromium::serve_page(FIREFOX_PAGE).expect("a page server");
    let mut browser = rtcweb_lab::firefox::Firefox::launch(&[(
        "media.peerconnection.ice.obfuscate_host_addresses",
        "false",
    )])
    .expect("Firefox starts");
    println!("{}", browser.version());
    browser.navigate(&url).expect("the page loads");
    let mut eval = |js: &str| {
        browser
            .evaluate(js)
            .unwrap_or_else(|e| panic!("{js:.60}: {e}"))
    };
    let (pc, events) = rt
        .block_on(PeerConnection::new(config(BLOCKED)))
        .expect("a peer");
    let peer_events::Pumped { seen, .. } = peer_events::pump(&rt, events);
    let mut channel = rt
        .block_on(pc.create_data_channel("echo", DataChannelInit::default()))
        .unwrap();
    let started = Instant::now();
    let offer = rt.block_on(pc.set_local_description_implicit()).unwrap();
    let answer = eval(&format!("rtc.answer({})", serde_json::json!(offer.sdp)));
    let answer = answer.as_str().expect("Firefox's answer").to_owned();
    let firefox_tcp: Vec<&str> = answer
        .lines()
        .filter(|l| l.starts_with("a=candidate:") && l.to_ascii_lowercase().contains(" tcp "))
        .collect();
    println!("Firefox's ICE-TCP candidates: {firefox_tcp:?}");
    rt.block_on(pc.set_remote_description(&rtcweb_peer::Description {
        kind: rtcweb_peer::SdpType::Answer,
        sdp: answer.clone(),
    }))
    .expect("Firefox's answer applies");
    peer_events::trickle(&seen, |mid, candidate| {
        eval(&format!(
            "rtc.candidate({}, {})",
            serde_json::json!(candidate),
            serde_json::json!(mid)
        ));
    });
    eval("rtc.candidate(null, null)");
    rt.block_on(timeout(Duration::from_secs(20), channel.opened()))
        .expect("the channel opens over TCP in time")
        .expect("the channel opens");
    println!("the channel opened over TCP after {:?}", started.elapsed());
    echo_over_tcp_and_check_pairs(&rt, &pc, &mut channel, "Firefox", || eval("rtc.pair()"));
}
