//! Interop with headless Chromium: a driver-backed rtcweb peer on 127.0.0.1 and an
//! `RTCPeerConnection` in a Chromium page, SDP exchanged through the DevTools protocol
//! (`Runtime.evaluate`), our candidates trickled with `addIceCandidate`, Chromium's in its
//! gathered description. Once with Chromium offering, once with rtcweb offering: the page
//! echoes 1,000 data-channel messages (text and binary, 0 B to 256 KiB), checked
//! byte-exact and in order; Chromium's `getStats` shows DTLS connected. Then each side
//! opens a second channel and a message goes round on it; Chromium closes its channel
//! and rtcweb sees it closed; rtcweb closes the first one and Chromium sees it closed.
//!
//! Twice more with the rtcweb peer restricted to relayed candidates (ICE transport policy
//! `relay`) through a coturn on 127.0.0.1 started by the test, TURN over UDP. Chromium
//! signals no host candidate on loopback, and the server relays only from permitted
//! addresses, so Chromium is given the same server and its server-reflexive candidate is
//! what the relay reaches.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod messages;
mod peer_events;
#[path = "../../turn/tests/support/mod.rs"]
mod turn_support;

use std::time::{Duration, Instant};

use chromium::Chromium;
use messages::{MAX_SIZE, echo_stream};
use peer_events::connected_at;
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use rtcweb_peer::{CandidateKind, DataChannelInit, IceServer, Transport, TransportPolicy};
use serde_json::{Value, json};
use tokio::time::timeout;

const MESSAGES: usize = 1000;

#[test]
fn chromium_offers_and_echoes_1000_messages() {
    run_case("chromium_offers_and_echoes_1000_messages", true, false);
}

#[test]
fn rtcweb_offers_and_chromium_echoes_1000_messages() {
    run_case(
        "rtcweb_offers_and_chromium_echoes_1000_messages",
        false,
        false,
    );
}

#[test]
fn chromium_offers_and_echoes_through_coturn() {
    run_case("chromium_offers_and_echoes_through_coturn", true, true);
}

#[test]
fn rtcweb_offers_and_chromium_echoes_through_coturn() {
    run_case(
        "rtcweb_offers_and_chromium_echoes_through_coturn",
        false,
        true,
    );
}

fn run_case(name: &str, chromium_offers: bool, relay: bool) {
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let label = match (chromium_offers, relay) {
        (true, false) => "Chromium offers",
        (false, false) => "rtcweb offers",
        (true, true) => "Chromium offers, rtcweb relayed",
        (false, true) => "rtcweb offers, rtcweb relayed",
    };
    // The relay: coturn on 127.0.0.1 in the same namespace; the peer uses nothing else.
    let coturn = relay.then(turn_support::Coturn::start);
    let mut config = DriverConfig::loopback();
    if let Some(coturn) = &coturn {
        config.peer.ice_servers = vec![IceServer::Turn {
            address: coturn.udp_addr(),
            transport: Transport::Udp,
            username: turn_support::USER.to_owned(),
            password: turn_support::PASSWORD.to_owned(),
            tls: None,
        }];
        config.peer.ice_transport_policy = TransportPolicy::Relay;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Chromium::launch();
    let version = browser.version();
    let page = browser.new_page();
    assert_eq!(
        browser.evaluate(&page, chromium::ECHO_PAGE_SCRIPT),
        json!(true)
    );
    if let Some(coturn) = &coturn {
        // Chromium signals no host candidate on loopback (it is reached as peer-reflexive),
        // and a TURN server relays only from addresses the client permitted: Chromium
        // relays through the same server, and signals that candidate.
        let servers = json!({ "iceServers": [{
            "urls": format!("turn:{}?transport=udp", coturn.udp_addr()),
            "username": turn_support::USER,
            "credential": turn_support::PASSWORD,
        }] });
        browser.evaluate(&page, &format!("rtc.config = {servers}; true"));
    }

    let (pc, events) = rt
        .block_on(PeerConnection::new(config))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped {
        seen,
        channels: mut incoming,
        ..
    } = peer_events::pump(&rt, events);

    let start = Instant::now();
    let channel =
        browser.open_first_channel(&page, &rt, &pc, chromium_offers, &seen, &mut incoming);
    let open = start.elapsed();
    let connected = connected_at(&seen, Duration::from_secs(5))
        .expect("the connection became connected")
        - start;
    assert_eq!(channel.label(), "echo");
    let info = rt.block_on(pc.info()).unwrap();
    let pair = info
        .selected_candidate_pair
        .clone()
        .expect("a selected pair");
    if relay {
        assert_eq!(pair.local.kind, CandidateKind::Relayed, "{label}: {pair:?}");
    }
    println!(
        "{label}: selected pair {} {}:{} -> {} {}:{}",
        pair.local.kind.as_str(),
        pair.local.address,
        pair.local.port,
        pair.remote.kind.as_str(),
        pair.remote.address,
        pair.remote.port
    );
    println!(
        "{label} ({version}): connected in {connected:?}, channel open in {open:?} from the \
         first offer call; SRTP profile {:?}",
        info.srtp_profile
    );

    let (channel, bytes, took) = rt.block_on(echo_stream(channel, MESSAGES, MAX_SIZE, label));
    println!(
        "{label}: {MESSAGES} messages ({bytes} bytes) echoed by Chromium byte-exact in \
         {took:?}: {:.1} Mbit/s each way",
        bytes as f64 * 8.0 / took.as_secs_f64() / 1e6
    );

    let stats = browser.evaluate(&page, "rtc.stats()");
    assert_eq!(stats["connectionState"], "connected", "{stats}");
    assert_eq!(stats["transport"]["dtlsState"], "connected", "{stats}");
    let channels = stats["channels"].as_array().expect("data-channel stats");
    let received: u64 = channels
        .iter()
        .filter_map(|c| c["messagesReceived"].as_u64())
        .sum();
    assert_eq!(received, MESSAGES as u64, "{stats}");
    println!(
        "{label}: Chromium getStats: dtlsState {}, DTLS cipher {}, {} over {}, data channel \
         received {received} messages / {} bytes",
        stats["transport"]["dtlsState"],
        stats["transport"]["dtlsCipher"],
        stats["pair"]["currentRoundTripTime"]
            .as_f64()
            .map_or_else(|| "rtt ?".to_owned(), |r| format!("rtt {:.1} ms", r * 1e3)),
        stats["transport"]["selectedCandidatePairId"],
        sum(channels, "bytesReceived"),
    );

    // Our webrtc-stats report counts the same messages.
    let report = rt.block_on(pc.stats()).unwrap().to_json();
    let echo_stats = report
        .as_object()
        .expect("a report object")
        .values()
        .find(|v| v["type"] == "data-channel" && v["label"] == "echo")
        .expect("the echo channel's stats");
    assert_eq!(echo_stats["messagesSent"], MESSAGES, "{echo_stats}");
    assert_eq!(echo_stats["messagesReceived"], MESSAGES, "{echo_stats}");
    assert_eq!(echo_stats["bytesSent"], echo_stats["bytesReceived"]);
    assert_eq!(echo_stats["state"], "open");

    // A second channel from each side, each echoing one message by Chromium's page.
    let mut ours = rt
        .block_on(pc.create_data_channel("second-rtcweb", DataChannelInit::default()))
        .unwrap();
    rt.block_on(timeout(Duration::from_secs(10), ours.opened()))
        .expect("rtcweb's second channel opens in time")
        .expect("it opens");
    assert_eq!(
        browser.evaluate(&page, "rtc.open('second-chromium')"),
        json!(true)
    );
    let mut theirs = rt
        .block_on(timeout(Duration::from_secs(10), incoming.recv()))
        .expect("Chromium's second channel reaches rtcweb in time")
        .expect("a channel");
    assert_eq!(theirs.label(), "second-chromium");
    for (channel, text) in [
        (&mut ours, "over rtcweb's"),
        (&mut theirs, "over Chromium's"),
    ] {
        rt.block_on(channel.send_text(text)).unwrap();
        let back = rt
            .block_on(timeout(Duration::from_secs(10), channel.recv()))
            .expect("the echo comes back in time")
            .expect("the channel stays open");
        assert_eq!(back.data, text.as_bytes(), "{label}");
    }
    // Chromium closes its channel: rtcweb sees it closed.
    assert_eq!(
        browser.evaluate(&page, "rtc.closeLabel('second-chromium')"),
        json!(true)
    );
    rt.block_on(timeout(Duration::from_secs(10), theirs.closed()))
        .expect("rtcweb saw Chromium's close");
    println!(
        "{label}: a second channel from each side echoed; Chromium's close of its channel \
         was seen by rtcweb"
    );

    // rtcweb closes the channel: Chromium sees it closed (RFC 8831 §6.7 stream reset).
    rt.block_on(channel.close()).unwrap();
    assert_eq!(
        browser.evaluate(&page, "rtc.closed(0, 10000)"),
        json!(true),
        "{label}: Chromium did not see the close"
    );
    rt.block_on(timeout(Duration::from_secs(10), channel.closed()))
        .expect("rtcweb's channel closed");
    rt.block_on(pc.close()).unwrap();
}

fn sum(items: &[Value], field: &str) -> u64 {
    items.iter().filter_map(|c| c[field].as_u64()).sum()
}
