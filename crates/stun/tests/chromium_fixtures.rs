//! Real STUN messages captured from Chromium 156 decode and authenticate with the `a=ice-pwd`
//! named in `shared/fixtures/chromium/README.md`.

use std::net::SocketAddr;
use std::path::PathBuf;

use rtcweb_stun::{Class, DecodeError, IntegrityKey, Message, Method, classify_checked};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/chromium")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `a=ice-pwd` of `answer_aiortc.sdp`: Chromium's checks as controlling agent use it.
const AIORTC_ANSWER_PWD: &str = "0qeqTanLnNQyDyqmAOpqBD";
/// `a=ice-pwd` of `offer_aiortc.sdp`: Chromium's checks as controlled agent use it.
const AIORTC_OFFER_PWD: &str = "5AhAfsoP7WtSghJsQAUUlw";
/// Chromium's own `a=ice-pwd` in `offer_audio_video_datachannel.sdp`: its responses use it.
const CHROMIUM_OFFER_PWD: &str = "YEMqi0e8acSmLT4YD6QTGmq3";

#[test]
fn controlling_request() {
    let bytes = fixture("stun_binding_request_chromium_controlling.bin");
    assert_eq!(bytes.len(), 100);
    classify_checked(&bytes).unwrap();
    let key = IntegrityKey::short_term(AIORTC_ANSWER_PWD).unwrap();
    let msg = Message::decode_authenticated(&bytes, &key).unwrap();
    assert_eq!(
        (msg.class(), msg.method()),
        (Class::Request, Method::BINDING)
    );
    // USERNAME is remote-ufrag:local-ufrag (RFC 8445 §7.2.2): aiortc's fZE1, Chromium's 9HDN.
    assert_eq!(msg.username(), Some("fZE1:9HDN"));
    assert!(msg.ice_controlling().is_some());
    assert!(msg.use_candidate());
    assert!(msg.priority().is_some());
    // GOOG-NETWORK-INFO (0xC057) is comprehension-optional: kept, not refused.
    assert!(msg.attribute_types().any(|t| t == 0xC057));
    assert!(msg.unknown_comprehension_required().is_empty());
}

#[test]
fn controlled_request() {
    let bytes = fixture("stun_binding_request_chromium_controlled.bin");
    assert_eq!(bytes.len(), 96);
    let key = IntegrityKey::short_term(AIORTC_OFFER_PWD).unwrap();
    let msg = Message::decode_authenticated(&bytes, &key).unwrap();
    assert!(msg.ice_controlled().is_some());
    assert!(msg.ice_controlling().is_none());
    assert!(!msg.use_candidate());
    let username = msg.username().unwrap();
    assert!(username.starts_with("irZb:"), "{username}");
}

#[test]
fn success_response() {
    let bytes = fixture("stun_binding_response_chromium.bin");
    let key = IntegrityKey::short_term(CHROMIUM_OFFER_PWD).unwrap();
    let msg = Message::decode_authenticated(&bytes, &key).unwrap();
    assert_eq!(msg.class(), Class::SuccessResponse);
    let mapped: SocketAddr = "127.0.0.1:59262".parse().unwrap();
    assert_eq!(msg.xor_mapped_address(), Some(mapped));
}

#[test]
fn wrong_password_is_refused() {
    let bytes = fixture("stun_binding_request_chromium_controlling.bin");
    let key = IntegrityKey::short_term(AIORTC_OFFER_PWD).unwrap();
    assert_eq!(
        Message::decode_authenticated(&bytes, &key).unwrap_err(),
        DecodeError::BadIntegrity
    );
}
