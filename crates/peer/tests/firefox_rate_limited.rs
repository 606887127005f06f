//! rtcweb sends video to Firefox through a rate-limited path, as `rate_limited` sets it up
//! and judges it. Headless Firefox ESR over WebDriver BiDi, in a network namespace with a
//! veth address from RFC 5737 (Firefox gathers no host candidate on `lo` alone); both ends
//! use that address, so the datagrams cross `lo`, where the shaping is.
//!
//! Without `/usr/bin/firefox-esr` the case is skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod peer_events;
mod rate_limited;

use std::net::IpAddr;
use std::time::Duration;

use rtcweb_lab::firefox::Firefox;
use rtcweb_lab::isolate::{VETH_ADDRESS, inside_namespace, run_in_namespace};
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use rtcweb_peer::{Description, Direction, MediaTrack, SdpType, TransceiverInit};
use serde_json::json;

#[test]
fn rtcweb_video_to_firefox_follows_a_rate_limited_link() {
    let name = "rtcweb_video_to_firefox_follows_a_rate_limited_link";
    if !rtcweb_lab::firefox::available() || run_in_namespace(name, true) {
        return;
    }
    if !inside_namespace() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name}: needs a network namespace of its own under CI"
        );
        println!("{name}: no network namespace here: skipped (tc would shape the host's lo)");
        return;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Firefox::launch(&[
        ("media.peerconnection.ice.obfuscate_host_addresses", "false"),
        ("media.peerconnection.ice.loopback", "true"),
    ])
    .expect("Firefox starts");
    let label = format!("Firefox {}", browser.version());
    let page =
        rtcweb_lab::chromium::serve_page("<!doctype html><title>rtcweb</title><body></body>")
            .expect("a page server");
    browser.navigate(&page).expect("the page loads");
    let mut eval = |js: &str| {
        browser
            .evaluate(js)
            .unwrap_or_else(|e| panic!("{js:.60}: {e}"))
    };
    assert_eq!(
        eval(&format!(
            "(() => {{ {}; return true; }})()",
            rate_limited::PAGE_SCRIPT
        )),
        json!(true)
    );

    let config = DriverConfig {
        interfaces: vec![IpAddr::V4(VETH_ADDRESS)],
        ..DriverConfig::default()
    };
    let (pc, events) = rt.block_on(PeerConnection::new(config)).expect("a peer");
    let pumped = peer_events::pump(&rt, events);
    let sender = rt
        .block_on(pc.add_transceiver(
            MediaTrack::video("pattern"),
            TransceiverInit::direction(Direction::SendOnly),
        ))
        .expect("a video transceiver");
    let offer = rt.block_on(pc.create_offer()).expect("an offer");
    rt.block_on(pc.set_local_description(&offer)).unwrap();
    let answer = eval(&format!("rtc.answer({})", json!(offer.sdp)));
    rt.block_on(pc.set_remote_description(&Description {
        kind: SdpType::Answer,
        sdp: answer.as_str().expect("the answer").to_owned(),
    }))
    .expect("Firefox's answer applies");
    peer_events::trickle(&pumped.seen, |mid, candidate| {
        eval(&format!(
            "rtc.candidate({}, {})",
            json!(candidate),
            json!(mid)
        ));
    });
    eval("rtc.candidate(null, null)");
    assert!(
        peer_events::connected_at(&pumped.seen, Duration::from_secs(20)).is_some(),
        "connected"
    );
    rate_limited::run(&rt, &pc, sender, &mut eval, &label);
    rt.block_on(pc.close()).unwrap();
}
