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
mod trial_call;

use trial_call::TrialCall;

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
    let flags: &[&str] = if trial { &[SNAP_TRIAL] } else { &[] };
    let call = TrialCall::open(flags, chromium_offers);
    let info = &call.info;
    let local = info.local_description.clone().unwrap_or_default();
    let remote = info.remote_description.clone().unwrap_or_default();
    assert!(local.contains("a=sctp-init:"), "{local}");
    assert_eq!(remote.contains("a=sctp-init:"), trial, "{remote}");
    assert_eq!(
        info.sctp_snap, trial,
        "SNAP used exactly when Chromium has the trial"
    );
    let (snap, open, version) = (info.sctp_snap, call.open, call.version.clone());
    let (bytes, took) = call.echo_and_close(name, MESSAGES, MAX_SIZE);
    println!(
        "{name} ({version}): SNAP {}; channel open {open:?} after the first offer call; \
         {MESSAGES} messages ({bytes} bytes) echoed byte-exact in {took:?}",
        if snap { "used" } else { "not used (handshake)" }
    );
}
