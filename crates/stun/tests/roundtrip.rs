//! Property tests: whatever we encode decodes to the same values, and authenticates.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;
use rtcweb_stun::{
    BindingRequest, Class, IceRole, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter,
    Method, classify_checked, encode_binding_error, encode_binding_success,
    encode_binding_success_with, raw_attribute,
};

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<u128>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

proptest! {
    #[test]
    fn binding_request(
        id: [u8; 12],
        ufrags in "[a-zA-Z0-9+/]{4,32}:[a-zA-Z0-9+/]{4,32}",
        priority: u32,
        tie_breaker: u64,
        controlling: bool,
        use_candidate: bool,
        password in "[a-zA-Z0-9+/]{22,32}",
    ) {
        let key = IntegrityKey::short_term(&password).unwrap();
        let role = if controlling { IceRole::Controlling(tie_breaker) } else { IceRole::Controlled(tie_breaker) };
        let req = BindingRequest {
            transaction_id: id,
            username: Some(&ufrags),
            priority: Some(priority),
            role: Some(role),
            use_candidate,
            key: Some(&key),
            software: None,
        };
        let mut buf = [0u8; 256];
        let n = req.encode(&mut buf).unwrap();
        classify_checked(&buf[..n]).unwrap();
        let msg = Message::decode_authenticated(&buf[..n], &key).unwrap();
        prop_assert_eq!(msg.class(), Class::Request);
        prop_assert_eq!(msg.transaction_id(), id);
        prop_assert_eq!(msg.username(), Some(ufrags.as_str()));
        prop_assert_eq!(msg.priority(), Some(priority));
        prop_assert_eq!(msg.use_candidate(), use_candidate);
        if controlling {
            prop_assert_eq!(msg.ice_controlling(), Some(tie_breaker));
        } else {
            prop_assert_eq!(msg.ice_controlled(), Some(tie_breaker));
        }
    }

    /// Raw attributes (SPED's 0xC070 and 0xC071) come back byte for byte, under a
    /// MESSAGE-INTEGRITY and FINGERPRINT that stun-rs validates.
    #[test]
    fn raw_attributes_are_covered_by_integrity(
        id: [u8; 12],
        mapped in addr(),
        dtls in proptest::collection::vec(any::<u8>(), 0..1200),
        acks in proptest::collection::vec(any::<u8>(), 0..16),
        tie_breaker: u64,
    ) {
        let key = IntegrityKey::short_term("passwordpasswordpassword").unwrap();
        let raw: [(u16, &[u8]); 2] = [(0xC070, &dtls), (0xC071, &acks)];
        let req = BindingRequest {
            transaction_id: id,
            username: Some("abcd:efgh"),
            priority: Some(1),
            role: Some(IceRole::Controlled(tie_breaker)),
            use_candidate: false,
            key: Some(&key),
            software: None,
        };
        let mut buf = [0u8; 1500];
        let n = req.encode_with(&raw, &mut buf).unwrap();
        let msg = Message::decode_authenticated(&buf[..n], &key).unwrap();
        prop_assert_eq!(msg.ice_controlled(), Some(tie_breaker));
        prop_assert_eq!(raw_attribute(&buf[..n], 0xC070), Some(&dtls[..]));
        prop_assert_eq!(raw_attribute(&buf[..n], 0xC071), Some(&acks[..]));
        let n = encode_binding_success_with(id, mapped, Some(&key), &raw, &mut buf).unwrap();
        let msg = Message::decode_authenticated(&buf[..n], &key).unwrap();
        prop_assert_eq!(msg.xor_mapped_address(), Some(mapped));
        prop_assert_eq!(raw_attribute(&buf[..n], 0xC070), Some(&dtls[..]));
        // A wrong key does not authenticate it.
        let other = IntegrityKey::short_term("anotherpasswordanotherpw").unwrap();
        prop_assert!(Message::decode_authenticated(&buf[..n], &other).is_err());
    }

    /// Any bytes: the raw reader never panics and only returns what lies inside.
    #[test]
    fn raw_attribute_reader_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..256), t: u16) {
        if let Some(v) = raw_attribute(&bytes, t) {
            prop_assert!(v.len() <= bytes.len());
        }
    }

    #[test]
    fn binding_responses(id: [u8; 12], mapped in addr(), code in 300u16..700, reason in "[a-zA-Z ]{0,40}") {
        let key = IntegrityKey::short_term("passwordpasswordpassword").unwrap();
        let mut buf = [0u8; 256];
        let n = encode_binding_success(id, mapped, Some(&key), &mut buf).unwrap();
        let msg = Message::decode_authenticated(&buf[..n], &key).unwrap();
        prop_assert_eq!(msg.xor_mapped_address(), Some(mapped));
        let n = encode_binding_error(id, code, &reason, Some(&key), &mut buf).unwrap();
        let msg = Message::decode_authenticated(&buf[..n], &key).unwrap();
        let e = msg.error_code().unwrap();
        prop_assert_eq!(e.code, code);
        prop_assert_eq!(e.reason, reason);
    }

    #[test]
    fn turn_attributes(
        id: [u8; 12],
        peer in addr(),
        relayed in addr(),
        channel in 0x4000u16..=0x4FFF,
        lifetime: u32,
        data in proptest::collection::vec(any::<u8>(), 0..1200),
        sha256: bool,
    ) {
        let key = IntegrityKey::long_term("user", "realm", "pass").unwrap();
        let alg = if sha256 { IntegrityAlgorithm::Sha256 } else { IntegrityAlgorithm::Sha1 };
        let bytes = MessageWriter::success(Method::ALLOCATE, id)
            .xor_relayed_address(relayed)
            .xor_peer_address(peer)
            .channel_number(channel)
            .lifetime(lifetime)
            .data(&data)
            .to_vec(Some((&key, alg)), true)
            .unwrap();
        let msg = Message::decode_authenticated(&bytes, &key).unwrap();
        prop_assert_eq!(msg.xor_relayed_address(), Some(relayed));
        prop_assert_eq!(msg.xor_peer_address(), Some(peer));
        prop_assert_eq!(msg.channel_number(), Some(channel));
        prop_assert_eq!(msg.lifetime(), Some(lifetime));
        prop_assert_eq!(msg.data(), Some(data.as_slice()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key = IntegrityKey::short_term("x").unwrap();
        let _ = Message::decode(&bytes);
        let _ = Message::decode_authenticated(&bytes, &key);
        let _ = classify_checked(&bytes);
    }
}
