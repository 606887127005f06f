//! Corrupted integrity, fingerprint and length fields, truncations and unknown attributes:
//! typed errors, never a panic.

use rtcweb_stun::{
    ClassifyError, DecodeError, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method,
    classify_checked, codes, encode_unknown_attributes_response,
};

fn key() -> IntegrityKey {
    IntegrityKey::short_term("secret-password").unwrap()
}

fn request() -> Vec<u8> {
    MessageWriter::request(Method::BINDING, [3; 12])
        .username("a:b")
        .unwrap()
        .priority(12345)
        .ice_controlling(99)
        .use_candidate()
        .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
        .unwrap()
}

#[test]
fn corrupted_integrity() {
    let mut m = request();
    // Flip a bit inside the MESSAGE-INTEGRITY value (it ends 8 bytes before the end), then fix
    // the FINGERPRINT so only the integrity is wrong.
    let mi = m.len() - 8 - 5;
    m[mi] ^= 1;
    let fp_at = m.len() - 8;
    let crc = crc32(&m[..fp_at]) ^ rtcweb_stun::FINGERPRINT_XOR;
    m[fp_at + 4..].copy_from_slice(&crc.to_be_bytes());
    assert!(
        Message::decode(&m).is_ok(),
        "unauthenticated decode still works"
    );
    assert_eq!(
        Message::decode_authenticated(&m, &key()).unwrap_err(),
        DecodeError::BadIntegrity
    );
}

#[test]
fn corrupted_fingerprint() {
    let mut m = request();
    let last = m.len() - 1;
    m[last] ^= 0x80;
    assert_eq!(
        Message::decode(&m).unwrap_err(),
        DecodeError::Classify(ClassifyError::BadFingerprint)
    );
}

#[test]
fn corrupted_length_fields() {
    let m = request();
    let mut bad = m.clone();
    bad[3] = bad[3].wrapping_add(4);
    assert!(matches!(
        Message::decode(&bad).unwrap_err(),
        DecodeError::Classify(ClassifyError::LengthMismatch { .. })
    ));
    // An attribute length that runs past the end.
    let mut bad = m.clone();
    bad[22] = 0xFF;
    assert!(matches!(
        Message::decode(&bad).unwrap_err(),
        DecodeError::Classify(ClassifyError::AttributeOverrun { .. })
    ));
    // An attribute length that lies within the message but breaks the value's format
    // (PRIORITY must be 4 bytes): the FINGERPRINT is fixed so the parser sees it.
    let mut bad = m;
    let prio = 20 + 4 + 4; // USERNAME "a:b" (3 bytes, padded to 4) comes first
    assert_eq!(u16::from_be_bytes([bad[prio], bad[prio + 1]]), 0x0024);
    bad[prio + 3] = 0;
    let fp_at = bad.len() - 8;
    let crc = crc32(&bad[..fp_at]) ^ rtcweb_stun::FINGERPRINT_XOR;
    bad[fp_at + 4..].copy_from_slice(&crc.to_be_bytes());
    assert!(Message::decode(&bad).is_err());
}

#[test]
fn every_truncation_and_every_bit_flip_is_handled() {
    let m = request();
    for len in 0..m.len() {
        assert!(Message::decode(&m[..len]).is_err(), "truncated to {len}");
    }
    let fingerprint_at = m.len() - 8;
    for i in 0..m.len() * 8 {
        let mut c = m.clone();
        c[i / 8] ^= 1 << (i % 8);
        // Never a panic. Every byte before FINGERPRINT is covered by MESSAGE-INTEGRITY (or is
        // the header), so no flip there authenticates. A flip in FINGERPRINT's value fails its
        // CRC; one in its type makes it an unknown attribute after MESSAGE-INTEGRITY, which
        // RFC 8489 §14.5 says to ignore, so that message may still authenticate.
        let _ = Message::decode(&c);
        let authenticated = Message::decode_authenticated(&c, &key()).is_ok();
        if i / 8 < fingerprint_at || i / 8 >= fingerprint_at + 4 {
            assert!(!authenticated, "bit {i}");
        }
    }
}

#[test]
fn missing_integrity_is_refused_when_required() {
    let m = MessageWriter::request(Method::BINDING, [1; 12])
        .to_vec(None, true)
        .unwrap();
    assert_eq!(
        Message::decode_authenticated(&m, &key()).unwrap_err(),
        DecodeError::MissingIntegrity
    );
}

#[test]
fn unknown_comprehension_required_gets_420() {
    use rtcweb_stun::stun_rs::attributes::StunAttribute;
    // Hand-craft a request with an unknown required attribute 0x7F01 and an unknown optional
    // one 0xC057 (Chromium's GOOG-NETWORK-INFO).
    let mut m = vec![0x00, 0x01, 0x00, 0x10, 0x21, 0x12, 0xA4, 0x42];
    m.extend_from_slice(&[4; 12]);
    m.extend_from_slice(&[0x7F, 0x01, 0x00, 0x04, 1, 2, 3, 4]);
    m.extend_from_slice(&[0xC0, 0x57, 0x00, 0x04, 0, 1, 0, 0x32]);
    let msg = Message::decode(&m).unwrap();
    assert_eq!(msg.unknown_comprehension_required(), vec![0x7F01]);
    assert!(
        msg.inner()
            .attributes()
            .iter()
            .any(|a| matches!(a, StunAttribute::Unknown(_)))
    );
    let mut buf = [0u8; 256];
    let n = encode_unknown_attributes_response(&msg, Some(&key()), &mut buf)
        .expect("a 420 is due")
        .unwrap();
    let resp = Message::decode_authenticated(&buf[..n], &key()).unwrap();
    assert_eq!(resp.error_code().unwrap().code, codes::UNKNOWN_ATTRIBUTE);
    assert_eq!(resp.unknown_attributes(), vec![0x7F01]);
    assert_eq!(resp.transaction_id(), [4; 12]);
    classify_checked(&buf[..n]).unwrap();

    // Only the optional one: nothing to refuse.
    let mut m2 = vec![0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42];
    m2.extend_from_slice(&[4; 12]);
    m2.extend_from_slice(&[0xC0, 0x57, 0x00, 0x04, 0, 1, 0, 0x32]);
    let msg = Message::decode(&m2).unwrap();
    assert!(encode_unknown_attributes_response(&msg, None, &mut buf).is_none());
}

/// CRC-32 (ISO-HDLC), bit by bit, to fix up FINGERPRINTs in these tests independently of the
/// crate under test.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
