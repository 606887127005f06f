//! Chromium's mDNS host candidates (`<uuid>.local`, as browsers signal them by default)
//! resolved by the driver's multicast DNS query and answered by Chromium's own responder.
//! The namespace holds `lo` and a veth pair whose first end has 203.0.113.7 (RFC 5737;
//! Chromium gathers no host candidate on `lo`); both peers use that address. Chromium offers a data channel,
//! its offer carries only `.local` host candidates, the driver resolves the name, and a
//! message goes both ways.
//!
//! `chromium_resolves_our_published_names` turns it around: rtcweb publishes its host
//! address as a `.local` name (`DriverConfig::publish_mdns`) and does not resolve
//! Chromium's, so the connection comes up only through Chromium resolving our name with
//! the driver's responder.
//!
//! Without `/usr/bin/chromium` the case is skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // real time

mod chromium;
mod peer_events;

use std::net::IpAddr;
use std::time::Duration;

use chromium::{Chromium, VETH_ADDRESS};
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use serde_json::json;
use tokio::time::timeout;

const PAGE_SCRIPT: &str = r#"
window.rtc = {
  pc: null,
  offer: async () => {
    const pc = new RTCPeerConnection();
    rtc.pc = pc;
    const dc = pc.createDataChannel('mdns');
    dc.onmessage = (e) => dc.send('echo: ' + e.data);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
    return pc.localDescription.sdp;
  },
  accept: async (sdp) => { await rtc.pc.setRemoteDescription({ type: 'answer', sdp }); },
  candidate: async (candidate, sdpMid) => { await rtc.pc.addIceCandidate({ candidate, sdpMid }); },
};
true
"#;

#[test]
fn chromium_mdns_candidates_are_resolved() {
    let name = "chromium_mdns_candidates_are_resolved";
    if !chromium::available() || chromium::run_in_network_namespace_with_veth(name) {
        return;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Chromium::launch_with_mdns(true);
    let page = browser.new_page();
    assert_eq!(browser.evaluate(&page, PAGE_SCRIPT), json!(true));

    let config = DriverConfig {
        interfaces: vec![IpAddr::V4(VETH_ADDRESS)],
        ..DriverConfig::default()
    };
    let (pc, events) = rt.block_on(PeerConnection::new(config)).expect("a peer");
    let peer_events::Pumped {
        seen, mut channels, ..
    } = peer_events::pump(&rt, events);

    let offer = browser.evaluate(&page, "rtc.offer()");
    let offer = offer.as_str().expect("an offer").to_owned();
    let hosts: Vec<&str> = offer
        .lines()
        .filter(|l| l.starts_with("a=candidate:") && l.contains(" typ host"))
        .collect();
    println!("Chromium's host candidates: {hosts:?}");
    assert!(!hosts.is_empty(), "Chromium gathered a host candidate");
    assert!(
        hosts.iter().all(|c| c.contains(".local ")),
        "Chromium obfuscates its host addresses with mDNS: {hosts:?}"
    );
    let offer = rtcweb_peer::Description {
        kind: rtcweb_peer::SdpType::Offer,
        sdp: offer,
    };
    rt.block_on(pc.set_remote_description(&offer))
        .expect("Chromium's offer applies");
    let answer = rt.block_on(pc.create_answer()).unwrap();
    rt.block_on(pc.set_local_description(&answer)).unwrap();
    browser.evaluate(&page, &format!("rtc.accept({})", json!(answer.sdp)));
    peer_events::trickle(&seen, |mid, candidate| {
        browser.evaluate(
            &page,
            &format!("rtc.candidate({}, {})", json!(candidate), json!(mid)),
        );
    });
    let mut channel = rt
        .block_on(timeout(Duration::from_secs(20), channels.recv()))
        .expect("Chromium's channel reaches rtcweb in time")
        .expect("a channel");
    rt.block_on(channel.send_text("hello over mDNS")).unwrap();
    let back = rt
        .block_on(timeout(Duration::from_secs(10), channel.recv()))
        .expect("the echo comes back")
        .expect("the channel stays open");
    assert_eq!(back.data, b"echo: hello over mDNS");
    // The name may resolve after the peer-reflexive path already works: wait for it.
    let mut info = rt.block_on(pc.info()).unwrap();
    for _ in 0..50 {
        if info.io.mdns_resolved > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        info = rt.block_on(pc.info()).unwrap();
    }
    let pair = info.selected_candidate_pair.expect("a selected pair");
    println!(
        "mDNS: {} name(s) resolved by the driver; selected pair {}:{} -> {} {}:{}",
        info.io.mdns_resolved,
        pair.local.address,
        pair.local.port,
        pair.remote.kind.as_str(),
        pair.remote.address,
        pair.remote.port,
    );
    assert!(
        info.io.mdns_resolved >= 1,
        "the driver resolved Chromium's .local name"
    );
    rt.block_on(pc.close()).unwrap();
}

/// Chromium resolves the names rtcweb publishes (`DriverConfig::publish_mdns`) through the
/// driver's responder. rtcweb offers; every host candidate it trickles is a `.local` name.
/// rtcweb does not resolve Chromium's names (`resolve_mdns: false`) and Chromium hides its
/// own addresses, so rtcweb knows no address of Chromium's to check: the connection comes
/// up only if Chromium resolved our name and checked it (rtcweb then learns Chromium as a
/// peer-reflexive candidate). A message goes both ways on the data channel.
#[test]
fn chromium_resolves_our_published_names() {
    let name = "chromium_resolves_our_published_names";
    if !chromium::available() || chromium::run_in_network_namespace_with_veth(name) {
        return;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Chromium::launch_with_mdns(true);
    let page = browser.new_page();
    assert_eq!(
        browser.evaluate(&page, chromium::ECHO_PAGE_SCRIPT),
        json!(true)
    );
    let config = DriverConfig {
        interfaces: vec![IpAddr::V4(VETH_ADDRESS)],
        publish_mdns: true,
        resolve_mdns: false,
        ..DriverConfig::default()
    };
    let (pc, events) = rt.block_on(PeerConnection::new(config)).expect("a peer");
    let peer_events::Pumped { seen, .. } = peer_events::pump(&rt, events);
    let mut channel = rt
        .block_on(pc.create_data_channel("echo", rtcweb_peer::DataChannelInit::default()))
        .unwrap();
    let offer = rt.block_on(pc.create_offer()).unwrap();
    rt.block_on(pc.set_local_description(&offer)).unwrap();
    let answer = browser.evaluate(&page, &format!("rtc.answer({})", json!(offer.sdp)));
    let answer = answer.as_str().expect("Chromium's answer").to_owned();
    assert!(
        answer
            .lines()
            .filter(|l| l.starts_with("a=candidate:") && l.contains(" typ host"))
            .all(|l| l.contains(".local ")),
        "Chromium hides its host addresses too: {answer}"
    );
    rt.block_on(pc.set_remote_description(&rtcweb_peer::Description {
        kind: rtcweb_peer::SdpType::Answer,
        sdp: answer,
    }))
    .expect("Chromium's answer applies");
    let mut ours = Vec::new();
    peer_events::trickle(&seen, |mid, candidate| {
        ours.push(candidate.to_owned());
        browser.evaluate(
            &page,
            &format!("rtc.candidate({}, {})", json!(candidate), json!(mid)),
        );
    });
    println!("rtcweb's trickled candidates: {ours:?}");
    assert!(!ours.is_empty());
    for line in &ours {
        assert!(
            line.contains(".local ") && line.contains(" typ host"),
            "a host candidate under a name: {line}"
        );
        assert!(!line.contains(&VETH_ADDRESS.to_string()), "{line}");
    }
    rt.block_on(timeout(Duration::from_secs(20), channel.opened()))
        .expect("the channel opens: Chromium resolved our name")
        .expect("the channel opens");
    rt.block_on(channel.send_text("hello by name")).unwrap();
    let back = rt
        .block_on(timeout(Duration::from_secs(10), channel.recv()))
        .expect("the echo comes back")
        .expect("the channel stays open");
    assert_eq!(back.data, b"hello by name");
    let chromium_pair = browser.evaluate(
        &page,
        "(async () => { const s = await rtc.pc.getStats(); let out = null; \
         s.forEach((r) => { if (r.type === 'transport' && r.selectedCandidatePairId) { \
         const p = s.get(r.selectedCandidatePairId); const remote = s.get(p.remoteCandidateId); \
         out = { remoteType: remote.candidateType, remoteAddress: remote.address ?? null, \
         remotePort: remote.port }; } }); return out; })()",
    );
    let info = rt.block_on(pc.info()).unwrap();
    let pair = info.selected_candidate_pair.expect("a selected pair");
    println!(
        "published names: {} name(s), {} answer(s) sent, {} limited; Chromium's selected \
         remote candidate {chromium_pair}; rtcweb's selected pair {}:{} -> {} {}:{}",
        info.io.mdns_names_published,
        info.io.mdns_answers_sent,
        info.io.mdns_answers_limited,
        pair.local.address,
        pair.local.port,
        pair.remote.kind.as_str(),
        pair.remote.address,
        pair.remote.port,
    );
    assert_eq!(info.io.mdns_names_published, 1);
    assert!(
        info.io.mdns_answers_sent >= 1,
        "the driver answered Chromium's query for our name"
    );
    assert_eq!(info.io.mdns_resolved, 0, "rtcweb resolved nothing itself");
    rt.block_on(pc.close()).unwrap();
}
