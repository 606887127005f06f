//! SNAP (draft-hancke-tsvwg-snap) with headless Chromium: with its field trial
//! `WebRTC-Sctp-Snap/Enabled/`, Chromium writes `a=sctp-init` in its offers and answers
//! ours; rtcweb's association then starts established from Chromium's INIT, and
//! Chromium's from ours, with no SCTP handshake on the wire (an INIT from either side
//! would not be answered the way the other expects: the channel would not open). Both
//! roles, and the fallback: Chromium without the trial ignores our `a=sctp-init`, its
//! answer has none, and the handshake runs.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod messages;
mod peer_events;

use std::time::Instant;

use chromium::Chromium;
use messages::echo_stream;
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use serde_json::json;

/// Chromium's field trial for SNAP (Chromium 156).
const SNAP_TRIAL: &str = "--force-fieldtrials=WebRTC-Sctp-Snap/Enabled/";
/// Messages echoed, up to this size.
const MESSAGES: usize = 200;
const MAX_SIZE: usize = 64 << 10;

#[test]
fn chromium_offers_with_snap() {
    run_case("chromium_offers_with_snap", true, true);
}

#[test]
fn rtcweb_offers_with_snap() {
    run_case("rtcweb_offers_with_snap", false, true);
}

#[test]
fn rtcweb_offers_snap_to_chromium_without_it() {
    run_case("rtcweb_offers_snap_to_chromium_without_it", false, false);
}

fn run_case(name: &str, chromium_offers: bool, trial: bool) {
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = if trial {
        Chromium::launch_with(&[SNAP_TRIAL])
    } else {
        Chromium::launch()
    };
    let version = browser.version();
    let page = browser.new_page();
    assert_eq!(
        browser.evaluate(&page, chromium::ECHO_PAGE_SCRIPT),
        json!(true)
    );
    let (pc, events) = rt
        .block_on(PeerConnection::new(DriverConfig::loopback()))
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

    let info = rt.block_on(pc.info()).unwrap();
    let local = info.local_description.clone().unwrap_or_default();
    let remote = info.remote_description.clone().unwrap_or_default();
    assert!(local.contains("a=sctp-init:"), "{local}");
    assert_eq!(remote.contains("a=sctp-init:"), trial, "{remote}");
    assert_eq!(
        info.sctp_snap, trial,
        "SNAP used exactly when Chromium has the trial"
    );

    let (_channel, bytes, took) = rt.block_on(echo_stream(channel, MESSAGES, MAX_SIZE, name));
    println!(
        "{name} ({version}): SNAP {}; channel open {open:?} after the first offer call; \
         {MESSAGES} messages ({bytes} bytes) echoed byte-exact in {took:?}",
        if info.sctp_snap {
            "used"
        } else {
            "not used (handshake)"
        }
    );
    rt.block_on(pc.close()).unwrap();
}
