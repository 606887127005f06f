//! Every test vector of RFC 5769 decodes, validates, and re-encodes byte for byte.

use std::net::SocketAddr;

use rtcweb_stun::{
    BindingRequest, Class, Fingerprint, IceRole, IntegrityAlgorithm, IntegrityKey, Message,
    MessageWriter, Method, classify_checked,
};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

/// RFC 5769 §2.1 Sample Request.
const REQUEST: &str = "
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf";

/// RFC 5769 §2.2 Sample IPv4 Response.
const RESPONSE_V4: &str = "
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96";

/// RFC 5769 §2.3 Sample IPv6 Response.
const RESPONSE_V6: &str = "
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c";

/// RFC 5769 §2.4 Sample Request with Long-Term Authentication.
const LONG_TERM: &str = "
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

const SHORT_TERM_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const TID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];

fn short_key() -> IntegrityKey {
    IntegrityKey::short_term(SHORT_TERM_PASSWORD).unwrap()
}

#[test]
fn sample_request_decodes_and_validates() {
    let bytes = unhex(REQUEST);
    let (_, fp) = classify_checked(&bytes).unwrap();
    assert_eq!(fp, Fingerprint::Valid);
    let msg = Message::decode_authenticated(&bytes, &short_key()).unwrap();
    assert_eq!(msg.class(), Class::Request);
    assert_eq!(msg.method(), Method::BINDING);
    assert_eq!(msg.transaction_id(), TID);
    assert_eq!(msg.software(), Some("STUN test client"));
    assert_eq!(msg.priority(), Some(0x6e0001ff));
    assert_eq!(msg.ice_controlled(), Some(0x932ff9b151263b36));
    assert_eq!(msg.username(), Some("evtj:h6vY"));
    assert!(msg.has_integrity());
}

#[test]
fn sample_request_reencodes_byte_exact() {
    // Written in the vector's attribute order. The vector pads USERNAME with spaces (0x20),
    // which RFC 5769 §2.1 allows; we pad with zeros, and MESSAGE-INTEGRITY and FINGERPRINT
    // cover the padding, so everything before the padding must be identical and our message
    // must validate with the same key.
    let key = short_key();
    let ours = MessageWriter::request(Method::BINDING, TID)
        .software("STUN test client")
        .unwrap()
        .priority(0x6e0001ff)
        .ice_controlled(0x932ff9b151263b36)
        .username("evtj:h6vY")
        .unwrap()
        .to_vec(Some((&key, IntegrityAlgorithm::Sha1)), true)
        .unwrap();
    let theirs = unhex(REQUEST);
    assert_eq!(ours.len(), theirs.len());
    let username_padding = 20 + 20 + 8 + 12 + 4 + 9;
    assert_eq!(ours[..username_padding], theirs[..username_padding]);
    let msg = Message::decode_authenticated(&ours, &key).unwrap();
    assert_eq!(msg.username(), Some("evtj:h6vY"));

    // The ICE helper writes the same attributes (in its own order) and validates too.
    let request = BindingRequest {
        transaction_id: TID,
        username: Some("evtj:h6vY"),
        priority: Some(0x6e0001ff),
        role: Some(IceRole::Controlled(0x932ff9b151263b36)),
        use_candidate: false,
        key: Some(&key),
        software: Some("STUN test client"),
    };
    let mut buf = [0u8; 512];
    let n = request.encode(&mut buf).unwrap();
    assert_eq!(n, theirs.len());
    let msg = Message::decode_authenticated(&buf[..n], &key).unwrap();
    assert_eq!(msg.ice_controlled(), Some(0x932ff9b151263b36));
}

#[test]
fn ipv4_response() {
    let bytes = unhex(RESPONSE_V4);
    let msg = Message::decode_authenticated(&bytes, &short_key()).unwrap();
    assert_eq!(msg.class(), Class::SuccessResponse);
    assert_eq!(msg.software(), Some("test vector"));
    let mapped: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    assert_eq!(msg.xor_mapped_address(), Some(mapped));
    // Our encoding of the same response is byte-identical but for SOFTWARE's padding.
    let n = MessageWriter::success(Method::BINDING, TID)
        .software("test vector")
        .unwrap()
        .xor_mapped_address(mapped)
        .encode(
            Some((&short_key(), IntegrityAlgorithm::Sha1)),
            true,
            &mut [0u8; 0],
        )
        .err();
    assert!(n.is_some(), "a zero-length buffer cannot hold a message");
    let ours = MessageWriter::success(Method::BINDING, TID)
        .software("test vector")
        .unwrap()
        .xor_mapped_address(mapped)
        .to_vec(Some((&short_key(), IntegrityAlgorithm::Sha1)), true)
        .unwrap();
    assert_eq!(ours.len(), bytes.len());
    assert_eq!(ours[20..20 + 4 + 11], bytes[20..20 + 4 + 11]);
    assert_eq!(ours[36..48], bytes[36..48], "XOR-MAPPED-ADDRESS");
    Message::decode_authenticated(&ours, &short_key()).unwrap();
}

#[test]
fn ipv6_response() {
    let bytes = unhex(RESPONSE_V6);
    let msg = Message::decode_authenticated(&bytes, &short_key()).unwrap();
    let mapped: SocketAddr = "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap();
    assert_eq!(msg.xor_mapped_address(), Some(mapped));
    let ours = MessageWriter::success(Method::BINDING, TID)
        .xor_mapped_address(mapped)
        .to_vec(None, false)
        .unwrap();
    assert_eq!(ours[20..], bytes[36..36 + 24], "XOR-MAPPED-ADDRESS IPv6");
}

#[test]
fn long_term_request() {
    let bytes = unhex(LONG_TERM);
    // RFC 5769 §2.4 gives the password as "The<U+00AD>M<U+00AA>tr<U+2168>", which is
    // "TheMatrIX" after SASLprep (RFC 4013), the profile of RFC 5389. RFC 8489 §9.2.2 uses
    // OpaqueString (RFC 8265) instead, which refuses U+00AD, so the vector's processed
    // password is given directly.
    let key = IntegrityKey::long_term("マトリックス", "example.org", "TheMatrIX").unwrap();
    let msg = Message::decode_authenticated(&bytes, &key).unwrap();
    assert_eq!(msg.username(), Some("マトリックス"));
    assert_eq!(msg.nonce(), Some("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(msg.realm(), Some("example.org"));
    // And a wrong password fails.
    let wrong = IntegrityKey::long_term("マトリックス", "example.org", "TheMatrIx").unwrap();
    assert_eq!(
        Message::decode_authenticated(&bytes, &wrong).unwrap_err(),
        rtcweb_stun::DecodeError::BadIntegrity
    );
}

#[test]
fn sha256_integrity_round_trip() {
    let key = IntegrityKey::long_term_sha256("user", "example.org", "pass").unwrap();
    let bytes = MessageWriter::request(Method::ALLOCATE, TID)
        .username("user")
        .unwrap()
        .realm("example.org")
        .unwrap()
        .nonce("abcd")
        .unwrap()
        .requested_transport_udp()
        .to_vec(Some((&key, IntegrityAlgorithm::Sha256)), true)
        .unwrap();
    let msg = Message::decode_authenticated(&bytes, &key).unwrap();
    assert!(msg.attribute_types().any(|t| t == 0x001C));
    let other = IntegrityKey::long_term_sha256("user", "example.org", "nope").unwrap();
    assert_eq!(
        Message::decode_authenticated(&bytes, &other).unwrap_err(),
        rtcweb_stun::DecodeError::BadIntegrity
    );
}
