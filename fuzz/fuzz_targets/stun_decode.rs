//! Full STUN decode, unauthenticated and authenticated, on arbitrary bytes; the raw
//! attribute reader (SPED's 0xC070 and 0xC071) on them; and the SPED attributes made of
//! the bytes written into a check that must authenticate and give them back unchanged.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rtcweb_stun::{BindingRequest, IceRole, IntegrityKey, Message, raw_attribute};

fn key() -> &'static IntegrityKey {
    static KEY: OnceLock<IntegrityKey> = OnceLock::new();
    KEY.get_or_init(|| IntegrityKey::short_term("fuzz-password").expect("ASCII password"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::decode(data) {
        // Every accessor must hold on any message that decodes.
        let _ = (
            msg.username(),
            msg.priority(),
            msg.ice_controlling(),
            msg.ice_controlled(),
        );
        let _ = (
            msg.use_candidate(),
            msg.xor_mapped_address(),
            msg.error_code(),
            msg.realm(),
        );
        let _ = (
            msg.nonce(),
            msg.lifetime(),
            msg.xor_relayed_address(),
            msg.xor_peer_address(),
        );
        let _ = (
            msg.data(),
            msg.channel_number(),
            msg.alternate_server(),
            msg.unknown_attributes(),
        );
        let _ = msg.unknown_comprehension_required();
        let mut buf = [0u8; 1500];
        let _ = rtcweb_stun::encode_unknown_attributes_response(&msg, Some(key()), &mut buf);
    }
    let _ = Message::decode_authenticated(data, key());
    for t in [0xC070, 0xC071] {
        if let Some(v) = raw_attribute(data, t) {
            assert!(v.len() <= data.len());
        }
    }
    // The bytes as a piggybacked DTLS datagram and an ack list, under MESSAGE-INTEGRITY.
    let dtls = &data[..data.len().min(1200)];
    let acks = &data[..data.len().min(16)];
    let request = BindingRequest {
        transaction_id: [7; 12],
        username: Some("fuzz:peer"),
        priority: Some(1),
        role: Some(IceRole::Controlled(1)),
        use_candidate: false,
        key: Some(key()),
        software: None,
    };
    let mut buf = [0u8; 1500];
    let n = request
        .encode_with(&[(0xC070, dtls), (0xC071, acks)], &mut buf)
        .expect("a check with SPED attributes fits 1500 bytes");
    assert!(Message::decode_authenticated(&buf[..n], key()).is_ok());
    assert_eq!(raw_attribute(&buf[..n], 0xC070), Some(dtls));
    assert_eq!(raw_attribute(&buf[..n], 0xC071), Some(acks));
});
