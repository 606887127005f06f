//! SPED (draft-hancke-webrtc-sped) with headless Chromium: with its field trial
//! `WebRTC-IceHandshakeDtls/Enabled/`, Chromium writes `a=ice-options:trickle sped
//! googspedv1` and carries the DTLS handshake in its ICE checks and their responses
//! (attribute 0xC070, acks in 0xC071), and so does rtcweb: the ICE agent's counters show
//! DTLS datagrams inside STUN. Chromium's ClientHello offers DTLS 1.3 and 1.2 (two
//! datagrams of at most 900 bytes); rtcweb's server picks 1.2 and Chromium piggybacks the
//! DTLS 1.2 handshake. Both roles, and the fallback: Chromium without the trial writes no
//! SPED option, rtcweb turns SPED off, and DTLS runs as ordinary datagrams.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod messages;
mod peer_events;
mod trial_call;

use rtcweb_ice::SpedState;
use trial_call::TrialCall;

/// Chromium's field trial for SPED (Chromium 156).
const SPED_TRIAL: &str = "--force-fieldtrials=WebRTC-IceHandshakeDtls/Enabled/";
/// Messages echoed, up to this size.
const MESSAGES: usize = 50;
const MAX_SIZE: usize = 16 << 10;

#[test]
fn chromium_offers_with_sped() {
    run_case("chromium_offers_with_sped", true, true);
}

#[test]
fn rtcweb_offers_with_sped() {
    run_case("rtcweb_offers_with_sped", false, true);
}

#[test]
fn rtcweb_offers_sped_to_chromium_without_it() {
    run_case("rtcweb_offers_sped_to_chromium_without_it", false, false);
}

fn run_case(name: &str, chromium_offers: bool, trial: bool) {
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let flags: &[&str] = if trial { &[SPED_TRIAL] } else { &[] };
    let call = TrialCall::open(flags, chromium_offers);
    let (info, version) = (&call.info, call.version.clone());
    let stats = info.sped_stats;
    let remote = info.remote_description.clone().unwrap_or_default();
    // Chromium 156 negotiates SPED with an ICE option: its offer carries `googspedv1`,
    // and its answer does SPED only when the offer did.
    assert_eq!(remote.contains("googspedv1"), trial, "{remote}");
    println!(
        "{name} ({version}): SPED {:?}; {} checks and responses sent with DTLS in them, {} \
         received; {} with acks sent, {} received; {} malformed",
        info.sped_state,
        stats.data_sent,
        stats.data_received,
        stats.acks_sent,
        stats.acks_received,
        stats.malformed,
    );
    if trial {
        // Chromium's DTLS rode in its STUN and was used, and both ends acknowledged what
        // they got inside STUN.
        assert!(
            stats.data_received > 0 && stats.acks_received > 0 && stats.acks_sent > 0,
            "SPED used with the trial: {stats:?}"
        );
        assert_ne!(info.sped_state, Some(SpedState::Off));
        // As DTLS client (Chromium offers, we answer `a=setup:active`) our ClientHello can
        // only have gone inside STUN: no pair was valid yet. As DTLS server our reply rides
        // in STUN or goes as a datagram, whichever leaves first: Chromium sends its
        // ClientHello's second datagram directly once its ICE is writable.
        if chromium_offers {
            assert!(
                stats.data_sent > 0,
                "our ClientHello inside STUN: {stats:?}"
            );
        }
    } else {
        // Chromium's checks and responses carried neither attribute: off, no DTLS in STUN
        // from Chromium, the handshake went as datagrams.
        assert_eq!(info.sped_state, Some(SpedState::Off));
        assert_eq!((stats.data_received, stats.acks_received), (0, 0));
    }
    assert_eq!(stats.malformed, 0);

    let open = call.open;
    let (bytes, took) = call.echo_and_close(name, MESSAGES, MAX_SIZE);
    println!(
        "{name}: channel open {open:?} after the first offer call; {MESSAGES} messages \
         ({bytes} bytes) echoed byte-exact in {took:?}"
    );
}

/// Both of Chromium's trials at once, as issue 24 runs them: SPED carries DTLS in the
/// checks and SNAP starts SCTP from the descriptions, each side offering.
#[test]
fn chromium_with_both_trials_uses_sped_and_snap() {
    let name = "chromium_with_both_trials_uses_sped_and_snap";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let both = "--force-fieldtrials=WebRTC-IceHandshakeDtls/Enabled/WebRTC-Sctp-Snap/Enabled/";
    for chromium_offers in [true, false] {
        let call = TrialCall::open(&[both], chromium_offers);
        let (info, open) = (&call.info, call.open);
        let stats = info.sped_stats;
        println!(
            "{name}, Chromium offers {chromium_offers}: SPED {:?} ({} sent, {} received \
             inside STUN), SNAP {}; channel open {open:?} after the first offer call",
            info.sped_state, stats.data_sent, stats.data_received, info.sctp_snap
        );
        assert!(
            stats.data_received > 0 && stats.acks_received > 0,
            "SPED used: {stats:?}"
        );
        assert_ne!(info.sped_state, Some(SpedState::Off));
        assert!(info.sctp_snap, "SNAP used");
        call.echo_and_close(name, MESSAGES, MAX_SIZE);
    }
}
