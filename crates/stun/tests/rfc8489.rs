//! RFC 8489's SHA-256 long-term credentials: Appendix B.1 (as corrected by Errata 6268), and
//! our messages against stun-rs's own encoder, decoder and HMAC code, both ways.

use ring::digest::{SHA256, digest};
use rtcweb_stun::stun_rs::attributes::stun::{
    MessageIntegritySha256, Nonce, PasswordAlgorithm as PasswordAlgorithmAttr, PasswordAlgorithms,
    Realm, UserHash,
};
use rtcweb_stun::stun_rs::{
    Algorithm, AlgorithmId, DecoderContextBuilder, HMACKey, MessageClass, MessageDecoderBuilder,
    MessageEncoderBuilder, StunMessageBuilder, TransactionId, methods,
};
use rtcweb_stun::{
    CredentialError, DecodeError, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method,
    PasswordAlgorithm, raw_attribute, userhash,
};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

/// The user name of RFC 8489 Appendix B.1, unchanged by OpaqueString.
const USER: &str = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
/// Its password after processing ("The<U+00AD>M<U+00AA>tr<U+2168>" before).
const PASSWORD: &str = "TheMatrIX";
const REALM: &str = "example.org";
const NONCE: &str = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";
const TID: [u8; 12] = [
    0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
];

/// RFC 8489 Appendix B.1, "Sample Request with Long-Term Authentication with
/// MESSAGE-INTEGRITY-SHA256 and USERHASH", as corrected by Errata 6268: the printed vector
/// lacks the PASSWORD-ALGORITHM (SHA-256) its key needs and its length field is wrong; the
/// erratum adds the attribute, sets the length to 0x90 and recomputes the HMAC with the
/// SHA-256 key. (The bytes are the erratum's as third-party test suites carry them; none of
/// them comes from our code.)
const B1_ERRATA_6268: &str = "
    00 01 00 90 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 1e 00 20 4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f
                24 81 94 15 56 9e 60 b2 05 c4 6e 41 40 7f 17 04
    00 15 00 29 6f 62 4d 61 74 4a 6f 73 32 41 41 41 43 66 2f 2f
                34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39
                46 53 54 76 79 36 34 73 41 00 00 00
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 1d 00 04 00 02 00 00
    00 1c 00 20 b5 c7 bf 00 5b 6c 52 a2 1c 51 c5 e8 92 f8 19 24
                13 62 96 cb 92 7c 43 14 93 09 27 8c c6 51 8e 65";

fn sha256(data: &str) -> Vec<u8> {
    digest(&SHA256, data.as_bytes()).as_ref().to_vec()
}

fn b1_key() -> IntegrityKey {
    IntegrityKey::long_term_sha256(USER, REALM, PASSWORD).unwrap()
}

#[test]
fn key_and_userhash_match_an_independent_sha256() {
    // RFC 8489 §9.2.2: key = SHA-256(username ":" OpaqueString(realm) ":" OpaqueString(password));
    // §14.4: userhash = SHA-256(OpaqueString(username) ":" OpaqueString(realm)). ring's
    // SHA-256 over the plain strings (OpaqueString leaves these unchanged).
    let key = b1_key();
    assert_eq!(
        key.as_bytes(),
        sha256(&format!("{USER}:{REALM}:{PASSWORD}"))
    );
    assert_eq!(
        IntegrityKey::long_term_with(USER, REALM, PASSWORD, PasswordAlgorithm::Sha256).unwrap(),
        key
    );
    assert_eq!(
        userhash(USER, REALM).unwrap().to_vec(),
        sha256(&format!("{USER}:{REALM}"))
    );
    // The MD5 key is 16 bytes and differs.
    let md5 = IntegrityKey::long_term(USER, REALM, PASSWORD).unwrap();
    assert_eq!(md5.as_bytes().len(), 16);
    // The appendix's unprocessed password has U+00AD, which OpaqueString (RFC 8265 §4.2)
    // disallows: no key is made from it, so the vector is keyed with the processed form.
    assert_eq!(
        IntegrityKey::long_term_sha256(USER, REALM, "The\u{00AD}M\u{00AA}tr\u{2168}").unwrap_err(),
        CredentialError::Precis
    );
    assert_eq!(PasswordAlgorithm::Sha256.code(), 2);
    assert_eq!(
        PasswordAlgorithm::from_code(1),
        Some(PasswordAlgorithm::Md5)
    );
    assert_eq!(PasswordAlgorithm::from_code(7), None);
}

#[test]
fn appendix_b1_decodes_and_validates() {
    let bytes = unhex(B1_ERRATA_6268);
    let msg = Message::decode_authenticated(&bytes, &b1_key()).unwrap();
    assert_eq!(msg.method(), Method::BINDING);
    assert_eq!(msg.transaction_id(), TID);
    assert_eq!(msg.userhash(), Some(&userhash(USER, REALM).unwrap()[..]));
    assert_eq!(msg.username(), None);
    assert_eq!(msg.nonce(), Some(NONCE));
    assert_eq!(msg.realm(), Some(REALM));
    assert_eq!(msg.password_algorithm(), Some((2, None)));
    assert!(msg.has_integrity_of(IntegrityAlgorithm::Sha256));
    assert!(!msg.has_integrity_of(IntegrityAlgorithm::Sha1));
    let features = msg.security_features().unwrap();
    assert!(features.username_anonymity());
    // The MD5 key of the same credentials does not validate it.
    let md5 = IntegrityKey::long_term(USER, REALM, PASSWORD).unwrap();
    assert_eq!(
        Message::decode_authenticated(&bytes, &md5).unwrap_err(),
        DecodeError::BadIntegrity
    );
}

#[test]
fn appendix_b1_reencodes_byte_exact() {
    let ours = MessageWriter::request(Method::BINDING, TID)
        .userhash(USER, REALM)
        .unwrap()
        .nonce(NONCE)
        .unwrap()
        .realm(REALM)
        .unwrap()
        .password_algorithm(PasswordAlgorithm::Sha256)
        .to_vec(Some((&b1_key(), IntegrityAlgorithm::Sha256)), false)
        .unwrap();
    // Every byte, the 32 of HMAC-SHA256 included.
    assert_eq!(hex::encode(&ours), hex::encode(unhex(B1_ERRATA_6268)));
}

fn stun_rs_key(algorithm: AlgorithmId) -> HMACKey {
    HMACKey::new_long_term(USER, REALM, PASSWORD, Algorithm::from(algorithm)).unwrap()
}

/// Decodes with stun-rs alone, validating integrity with `key`.
fn stun_rs_validates(bytes: &[u8], key: HMACKey) -> bool {
    let decoder = MessageDecoderBuilder::default()
        .with_context(
            DecoderContextBuilder::default()
                .with_key(key)
                .with_validation()
                .build(),
        )
        .build();
    decoder.decode(bytes).is_ok()
}

fn offered() -> PasswordAlgorithms {
    // A server's list with an unknown algorithm (with 3 parameter bytes) between the two.
    PasswordAlgorithms::from(vec![
        PasswordAlgorithmAttr::new(Algorithm::from(AlgorithmId::MD5)),
        PasswordAlgorithmAttr::new(Algorithm::new(AlgorithmId::Unassigned(9), &[1u8, 2, 3][..])),
        PasswordAlgorithmAttr::new(Algorithm::from(AlgorithmId::SHA256)),
    ])
}

#[test]
fn our_sha256_requests_validate_in_stun_rs() {
    let ours = MessageWriter::request(Method::ALLOCATE, TID)
        .userhash(USER, REALM)
        .unwrap()
        .realm(REALM)
        .unwrap()
        .nonce(NONCE)
        .unwrap()
        .password_algorithms(&offered())
        .password_algorithm(PasswordAlgorithm::Sha256)
        .to_vec(Some((&b1_key(), IntegrityAlgorithm::Sha256)), true)
        .unwrap();
    assert!(stun_rs_validates(&ours, stun_rs_key(AlgorithmId::SHA256)));
    assert!(!stun_rs_validates(&ours, stun_rs_key(AlgorithmId::MD5)));
    // The echoed list decodes to the same list, unknown algorithm and parameters included.
    let msg = Message::decode(&ours).unwrap();
    assert_eq!(msg.password_algorithms(), Some(&offered()));
}

#[test]
fn stun_rs_sha256_messages_validate_with_our_key() {
    let msg = StunMessageBuilder::new(methods::BINDING, MessageClass::Request)
        .with_transaction_id(TransactionId::from(TID))
        .with_attribute(UserHash::new(USER, REALM).unwrap())
        .with_attribute(Nonce::new(NONCE).unwrap())
        .with_attribute(Realm::new(REALM).unwrap())
        .with_attribute(offered())
        .with_attribute(PasswordAlgorithmAttr::new(Algorithm::from(
            AlgorithmId::SHA256,
        )))
        .with_attribute(MessageIntegritySha256::new(stun_rs_key(
            AlgorithmId::SHA256,
        )))
        .build();
    let mut buf = [0u8; 512];
    let n = MessageEncoderBuilder::default()
        .build()
        .encode(&mut buf, &msg)
        .unwrap();
    let theirs = &buf[..n];
    let msg = Message::decode_authenticated(theirs, &b1_key()).unwrap();
    assert_eq!(msg.userhash(), Some(&userhash(USER, REALM).unwrap()[..]));
    assert_eq!(msg.password_algorithms(), Some(&offered()));
    assert_eq!(msg.password_algorithm(), Some((2, None)));
    // Re-encoded by us, the list is byte for byte the one stun-rs wrote.
    let echoed = MessageWriter::request(Method::BINDING, TID)
        .password_algorithms(msg.password_algorithms().unwrap())
        .to_vec(None, false)
        .unwrap();
    assert_eq!(
        raw_attribute(&echoed, 0x8002),
        raw_attribute(theirs, 0x8002)
    );
    assert!(raw_attribute(theirs, 0x8002).is_some());
}
