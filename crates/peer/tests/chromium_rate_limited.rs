//! rtcweb sends video to Chromium through a rate-limited path, as `rate_limited` sets it
//! up and judges it. Without `/usr/bin/chromium` the case is skipped with a message,
//! except under CI; it needs a network namespace of its own (`unshare -n`) and `tc`.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod peer_events;
mod rate_limited;

use std::time::Duration;

use chromium::Chromium;
use rtcweb_lab::isolate::inside_namespace;
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use rtcweb_peer::{Description, Direction, MediaTrack, SdpType, TransceiverInit};
use serde_json::json;

#[test]
fn rtcweb_video_to_chromium_follows_a_rate_limited_link() {
    let name = "rtcweb_video_to_chromium_follows_a_rate_limited_link";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
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
    let mut browser = Chromium::launch();
    let version = browser.version();
    let page = browser.new_page_at(&chromium::serve_page(
        "<!doctype html><title>rtcweb</title><body></body>",
    ));
    assert_eq!(
        browser.evaluate(&page, &format!("{}; true", rate_limited::PAGE_SCRIPT)),
        json!(true)
    );

    let (pc, events) = rt
        .block_on(PeerConnection::new(DriverConfig::default()))
        .expect("peer on 127.0.0.1");
    let pumped = peer_events::pump(&rt, events);
    let sender = rt
        .block_on(pc.add_transceiver(
            MediaTrack::video("pattern"),
            TransceiverInit::direction(Direction::SendOnly),
        ))
        .expect("a video transceiver");
    let offer = rt.block_on(pc.create_offer()).expect("an offer");
    rt.block_on(pc.set_local_description(&offer)).unwrap();
    let answer = browser.evaluate(&page, &format!("rtc.answer({})", json!(offer.sdp)));
    rt.block_on(pc.set_remote_description(&Description {
        kind: SdpType::Answer,
        sdp: answer.as_str().expect("the answer").to_owned(),
    }))
    .expect("Chromium's answer applies");
    peer_events::trickle(&pumped.seen, |mid, candidate| {
        browser.evaluate(
            &page,
            &format!("rtc.candidate({}, {})", json!(candidate), json!(mid)),
        );
    });
    assert!(
        peer_events::connected_at(&pumped.seen, Duration::from_secs(20)).is_some(),
        "connected"
    );
    let label = format!("Chromium {version}");
    rate_limited::run(
        &rt,
        &pc,
        sender,
        &mut |js| browser.evaluate(&page, js),
        &label,
    );
    rt.block_on(pc.close()).unwrap();
}
