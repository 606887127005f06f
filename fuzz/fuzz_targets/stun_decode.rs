//! Full STUN decode, unauthenticated and authenticated, on arbitrary bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rtcweb_stun::{IntegrityKey, Message};

fn key() -> &'static IntegrityKey {
    static KEY: OnceLock<IntegrityKey> = OnceLock::new();
    KEY.get_or_init(|| IntegrityKey::short_term("fuzz-password").expect("ASCII password"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::decode(data) {
        // Every accessor must hold on any message that decodes.
        let _ = (msg.username(), msg.priority(), msg.ice_controlling(), msg.ice_controlled());
        let _ = (msg.use_candidate(), msg.xor_mapped_address(), msg.error_code(), msg.realm());
        let _ = (msg.nonce(), msg.lifetime(), msg.xor_relayed_address(), msg.xor_peer_address());
        let _ = (msg.data(), msg.channel_number(), msg.alternate_server(), msg.unknown_attributes());
        let _ = msg.unknown_comprehension_required();
        let mut buf = [0u8; 1500];
        let _ = rtcweb_stun::encode_unknown_attributes_response(&msg, Some(key()), &mut buf);
    }
    let _ = Message::decode_authenticated(data, key());
});
