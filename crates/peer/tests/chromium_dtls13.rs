//! DTLS 1.3 (RFC 9147) with headless Chromium: by default Chromium 156 and rtcweb negotiate
//! DTLS 1.3 with the X25519MLKEM768 hybrid key exchange, each side offering; with
//! Chromium's `WebRTC-ForceDtls13/Only/` trial (no 1.2 at all) the call still works, and
//! when rtcweb keeps to 1.2 Chromium falls back to it. (Chromium 156 ignores
//! `WebRTC-ForceDtls13/Off/` and `/Disabled/`, and `WebRTC-EnableDtlsPqc/Disabled/`: tried,
//! it still negotiated 1.3 with X25519MLKEM768; rtcweb's own fallback to a 1.2-only peer
//! runs in the aiortc, openssl and rtc-dtls tests.) Chromium's getStats shows the version
//! (`tlsVersion`; it has no `tlsGroup`), ours shows both; a data channel echoes messages
//! byte-exact in every case.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod messages;
mod peer_events;
mod trial_call;

use rtcweb_dtls::{NamedGroup, ProtocolVersion, Versions};
use rtcweb_peer::driver::DriverConfig;
use serde_json::{Value, json};
use trial_call::TrialCall;

const ONLY_13: &str = "--force-fieldtrials=WebRTC-ForceDtls13/Only/";
const MESSAGES: usize = 100;
const MAX_SIZE: usize = 16 << 10;

#[test]
fn chromium_offers_and_negotiates_dtls13_with_ml_kem() {
    run_case(
        "chromium_offers_and_negotiates_dtls13_with_ml_kem",
        true,
        &[],
        Versions::Both,
        13,
    );
}

#[test]
fn rtcweb_offers_and_negotiates_dtls13_with_ml_kem() {
    run_case(
        "rtcweb_offers_and_negotiates_dtls13_with_ml_kem",
        false,
        &[],
        Versions::Both,
        13,
    );
}

#[test]
fn chromium_with_dtls13_only_both_roles() {
    run_case(
        "chromium_with_dtls13_only_both_roles",
        true,
        &[ONLY_13],
        Versions::Dtls13,
        13,
    );
    run_case(
        "chromium_with_dtls13_only_both_roles",
        false,
        &[ONLY_13],
        Versions::Both,
        13,
    );
}

#[test]
fn rtcweb_keeping_to_dtls12_makes_chromium_fall_back() {
    run_case(
        "rtcweb_keeping_to_dtls12_makes_chromium_fall_back",
        true,
        &[],
        Versions::Dtls12,
        12,
    );
    run_case(
        "rtcweb_keeping_to_dtls12_makes_chromium_fall_back",
        false,
        &[],
        Versions::Dtls12,
        12,
    );
}

fn run_case(name: &str, chromium_offers: bool, flags: &[&str], ours: Versions, expected: u8) {
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let mut config = DriverConfig::loopback();
    config.peer.dtls_versions = ours;
    let mut call = TrialCall::open_with(flags, chromium_offers, config);
    let page = call.page.clone();
    let theirs: Value = call.browser.evaluate(&page, "rtc.stats()");
    let transport = &theirs["transport"];
    let (version, group) = (call.info.dtls_version, call.info.dtls_group);
    let (hex, wanted) = match expected {
        13 => ("FEFC", ProtocolVersion::DTLS_1_3),
        _ => ("FEFD", ProtocolVersion::DTLS_1_2),
    };
    assert_eq!(
        transport["tlsVersion"],
        json!(hex),
        "Chromium's transport: {transport}"
    );
    assert_eq!(version, Some(wanted));
    if expected == 13 {
        // Chromium 156 sends an X25519MLKEM768 share first: we take it.
        assert_eq!(group, Some(NamedGroup::X25519MLKEM768));
    }
    let report = call.rt.block_on(call.pc.stats()).unwrap().to_json();
    let our_transport = report
        .as_object()
        .and_then(|o| o.values().find(|s| s["type"] == json!("transport")))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(our_transport["tlsVersion"], json!(hex), "{our_transport}");
    let info = (
        call.version.clone(),
        transport["dtlsCipher"].clone(),
        transport.get("tlsGroup").cloned(),
        our_transport["tlsGroup"].clone(),
    );
    let (bytes, took) = call.echo_and_close(name, MESSAGES, MAX_SIZE);
    println!(
        "{name} ({}; {} offers; flags {flags:?}; rtcweb {ours:?}): Chromium tlsVersion {hex}, \
         dtlsCipher {}, tlsGroup {:?}; rtcweb tlsGroup {}; {MESSAGES} messages ({bytes} \
         bytes) echoed byte-exact in {took:?}",
        info.0,
        if chromium_offers {
            "Chromium"
        } else {
            "rtcweb"
        },
        info.1,
        info.2,
        info.3,
    );
}
