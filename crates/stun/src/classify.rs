//! The cheap classifier: what a datagram is, before any full decode.
//!
//! A flood of garbage or unauthenticated messages must cost little. These functions read the
//! 20-byte header and, at most, walk the attribute headers and run one CRC-32; they never
//! allocate and never build attributes.

use crate::ClassifyError;

/// The STUN magic cookie (RFC 8489 §5).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Size of the STUN header (RFC 8489 §5).
pub const HEADER_LEN: usize = 20;
/// Type of the FINGERPRINT attribute (RFC 8489 §14.7).
pub const FINGERPRINT_TYPE: u16 = 0x8028;
/// The value FINGERPRINT's CRC-32 is XOR-ed with (RFC 8489 §14.7).
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// The class of a STUN message (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request (0b00).
    Request,
    /// An indication (0b01).
    Indication,
    /// A success response (0b10).
    SuccessResponse,
    /// An error response (0b11).
    ErrorResponse,
}

impl Class {
    /// Whether this is a success or error response.
    pub fn is_response(self) -> bool {
        matches!(self, Self::SuccessResponse | Self::ErrorResponse)
    }
}

/// What the header of a STUN message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Message class.
    pub class: Class,
    /// Method, 12 bits (0x001 Binding, 0x003 Allocate, ...).
    pub method: u16,
    /// Length of the attributes in bytes (the header's length field).
    pub length: u16,
    /// Transaction ID (96 bits).
    pub transaction_id: [u8; 12],
}

impl Header {
    /// Total length of the message: header plus attributes.
    pub fn message_len(&self) -> usize {
        HEADER_LEN + usize::from(self.length)
    }
}

/// Whether a FINGERPRINT attribute was present (it is checked when present).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fingerprint {
    /// No FINGERPRINT attribute.
    Absent,
    /// FINGERPRINT present and its CRC-32 matches.
    Valid,
}

/// The quickest test: the first byte is in STUN's RFC 7983 range and the magic cookie is
/// there. No length check; use it to route, then [`classify`].
pub fn looks_like_stun(datagram: &[u8]) -> bool {
    datagram.len() >= HEADER_LEN && datagram[0] <= 3 && datagram[4..8] == MAGIC_COOKIE.to_be_bytes()
}

/// Reads the header of a STUN message at the start of `bytes`, without checking that the
/// length field matches `bytes.len()` (for byte streams, where more may follow or be missing).
pub fn parse_header(bytes: &[u8]) -> Result<Header, ClassifyError> {
    if bytes.len() < HEADER_LEN {
        return Err(ClassifyError::TooShort { len: bytes.len() });
    }
    // RFC 8489 §5: the most significant 2 bits of every STUN message are zeroes; RFC 7983 §7
    // narrows that to a first byte of 0..=3 (methods up to 0x0FF) on a multiplexed 5-tuple,
    // where 20..=63 is DTLS.
    if bytes[0] > 3 {
        return Err(ClassifyError::NotStun);
    }
    if bytes[4..8] != MAGIC_COOKIE.to_be_bytes() {
        return Err(ClassifyError::NoMagicCookie);
    }
    let msg_type = u16::from_be_bytes([bytes[0], bytes[1]]);
    let length = u16::from_be_bytes([bytes[2], bytes[3]]);
    // RFC 8489 §5: all attributes are padded to 4 bytes, so the length is a multiple of 4.
    if length % 4 != 0 {
        return Err(ClassifyError::UnalignedLength(length));
    }
    // RFC 8489 §5 Figure 3: class bits C1 (bit 8) and C0 (bit 4), method M11..M0 around them.
    let class = match ((msg_type >> 7) & 0b10) | ((msg_type >> 4) & 0b01) {
        0b00 => Class::Request,
        0b01 => Class::Indication,
        0b10 => Class::SuccessResponse,
        _ => Class::ErrorResponse,
    };
    let method = (msg_type & 0x000F) | ((msg_type & 0x00E0) >> 1) | ((msg_type & 0x3E00) >> 2);
    let mut transaction_id = [0u8; 12];
    transaction_id.copy_from_slice(&bytes[8..20]);
    Ok(Header {
        class,
        method,
        length,
        transaction_id,
    })
}

/// Classifies one datagram as a STUN message: header checks and the length field against the
/// datagram's length (RFC 8489 §6.3). Does not look at attributes.
pub fn classify(datagram: &[u8]) -> Result<Header, ClassifyError> {
    let header = parse_header(datagram)?;
    let actual = datagram.len() - HEADER_LEN;
    if usize::from(header.length) != actual {
        return Err(ClassifyError::LengthMismatch {
            declared: usize::from(header.length),
            actual,
        });
    }
    Ok(header)
}

/// Type of MESSAGE-INTEGRITY (RFC 8489 §14.5).
const MESSAGE_INTEGRITY_TYPE: u16 = 0x0008;
/// Type of MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
const MESSAGE_INTEGRITY_SHA256_TYPE: u16 = 0x001C;

/// The value of the first attribute of type `attr_type` in a message that passed
/// [`classify`], borrowed from the datagram, for attributes this crate has no type for
/// (the SPED attributes 0xC070 and 0xC071 of draft-hancke-webrtc-sped). Walks the attribute
/// headers without allocating; stops at MESSAGE-INTEGRITY, since attributes after it are
/// not covered by it and are ignored (RFC 8489 §14.5). `None` when absent, or when an
/// attribute header does not fit.
pub fn raw_attribute(datagram: &[u8], attr_type: u16) -> Option<&[u8]> {
    let mut offset = HEADER_LEN;
    while let Some(h) = datagram.get(offset..offset + 4) {
        let t = u16::from_be_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let value = datagram.get(offset + 4..offset + 4 + len)?;
        if t == attr_type {
            return Some(value);
        }
        if t == MESSAGE_INTEGRITY_TYPE || t == MESSAGE_INTEGRITY_SHA256_TYPE {
            return None;
        }
        offset += 4 + ((len + 3) & !3);
    }
    None
}

/// [`classify`], then walks the attribute headers (each must fit) and checks FINGERPRINT if
/// present: one CRC-32, no allocation.
///
/// RFC 8489 §7.3: a message whose FINGERPRINT does not match is discarded; ICE (RFC 8445 §7.3)
/// relies on it to tell STUN from other protocols on the same port.
pub fn classify_checked(datagram: &[u8]) -> Result<(Header, Fingerprint), ClassifyError> {
    let header = classify(datagram)?;
    let mut offset = HEADER_LEN;
    let mut fingerprint_at = None;
    while offset < datagram.len() {
        if fingerprint_at.is_some() {
            // RFC 8489 §14.7: FINGERPRINT is the last attribute.
            return Err(ClassifyError::FingerprintNotLast);
        }
        let attr_type = match datagram.get(offset..offset + 4) {
            Some(h) => u16::from_be_bytes([h[0], h[1]]),
            None => return Err(ClassifyError::AttributeOverrun { attr_type: 0 }),
        };
        let attr_len = usize::from(u16::from_be_bytes([
            datagram[offset + 2],
            datagram[offset + 3],
        ]));
        let padded = (attr_len + 3) & !3;
        if offset + 4 + padded > datagram.len() {
            return Err(ClassifyError::AttributeOverrun { attr_type });
        }
        if attr_type == FINGERPRINT_TYPE {
            if attr_len != 4 {
                return Err(ClassifyError::BadFingerprint);
            }
            fingerprint_at = Some(offset);
        }
        offset += 4 + padded;
    }
    match fingerprint_at {
        None => Ok((header, Fingerprint::Absent)),
        Some(at) => {
            let expected = u32::from_be_bytes([
                datagram[at + 4],
                datagram[at + 5],
                datagram[at + 6],
                datagram[at + 7],
            ]);
            // The length field already counts FINGERPRINT itself (RFC 8489 §14.7), and it does
            // since FINGERPRINT is last, so the CRC runs over the bytes as they are.
            if crc32fast::hash(&datagram[..at]) ^ FINGERPRINT_XOR == expected {
                Ok((header, Fingerprint::Valid))
            } else {
                Err(ClassifyError::BadFingerprint)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_attribute_stops_at_message_integrity() {
        // Header (length 24), then 0xC071 with 4 bytes, MESSAGE-INTEGRITY header, then
        // 0xC070 after it: ignored (RFC 8489 §14.5).
        let mut m = vec![0x00, 0x01, 0x00, 0x18, 0x21, 0x12, 0xA4, 0x42];
        m.extend_from_slice(&[0; 12]);
        m.extend_from_slice(&[0xC0, 0x71, 0x00, 0x04, 1, 2, 3, 4]);
        m.extend_from_slice(&[0x00, 0x08, 0x00, 0x00]);
        m.extend_from_slice(&[0xC0, 0x70, 0x00, 0x01, 9, 0, 0, 0]);
        assert_eq!(raw_attribute(&m, 0xC071), Some(&[1u8, 2, 3, 4][..]));
        assert_eq!(raw_attribute(&m, 0xC070), None);
        // A value that runs past the end is not returned.
        m.truncate(26);
        assert_eq!(raw_attribute(&m, 0xC071), None);
    }

    // RFC 5769 §2.1 sample request.
    const SAMPLE_REQUEST: &str = "000100582112a442b7e7a701bc34d686fa87dfae\
        802200105354554e207465737420636c69656e74\
        002400046e0001ff80290008932ff9b151263b36\
        000600096576746a3a68367659202020\
        000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2\
        80280004e57a3bcf";

    fn sample() -> Vec<u8> {
        hex::decode(SAMPLE_REQUEST).unwrap()
    }

    #[test]
    fn classifies_rfc5769_request() {
        let msg = sample();
        let (h, fp) = classify_checked(&msg).unwrap();
        assert_eq!(h.class, Class::Request);
        assert_eq!(h.method, 0x001);
        assert_eq!(h.length, 0x58);
        assert_eq!(h.transaction_id, msg[8..20]);
        assert_eq!(fp, Fingerprint::Valid);
        assert!(looks_like_stun(&msg));
    }

    #[test]
    fn method_and_class_bits() {
        // Allocate error response: 0x0113; ChannelBind success: 0x0109; Data indication 0x0017.
        for (ty, class, method) in [
            (0x0113u16, Class::ErrorResponse, 0x003u16),
            (0x0109, Class::SuccessResponse, 0x009),
            (0x0017, Class::Indication, 0x007),
            (0x0101, Class::SuccessResponse, 0x001),
        ] {
            let mut m = sample();
            m[0..2].copy_from_slice(&ty.to_be_bytes());
            let h = classify(&m).unwrap();
            assert_eq!((h.class, h.method), (class, method), "type {ty:04x}");
        }
    }

    #[test]
    fn rejects_bad_framing() {
        let msg = sample();
        assert_eq!(
            classify(&msg[..10]),
            Err(ClassifyError::TooShort { len: 10 })
        );
        let mut m = msg.clone();
        m[0] |= 0x80;
        assert_eq!(classify(&m), Err(ClassifyError::NotStun));
        // First byte 20 (0x14) is DTLS on a WebRTC 5-tuple, even with a magic cookie.
        let mut m = msg.clone();
        m[0] = 0x14;
        assert_eq!(classify(&m), Err(ClassifyError::NotStun));
        assert!(!looks_like_stun(&m));
        let mut m = msg.clone();
        m[5] ^= 1;
        assert_eq!(classify(&m), Err(ClassifyError::NoMagicCookie));
        let mut m = msg.clone();
        m[3] = 0x59;
        assert_eq!(classify(&m), Err(ClassifyError::UnalignedLength(0x59)));
        assert!(matches!(
            classify(&msg[..msg.len() - 4]),
            Err(ClassifyError::LengthMismatch { .. })
        ));
        let mut m = msg.clone();
        let last = m.len() - 1;
        m[last] ^= 0xff;
        assert_eq!(classify_checked(&m), Err(ClassifyError::BadFingerprint));
        // An attribute that claims more bytes than there are.
        let mut m = msg;
        m[22..24].copy_from_slice(&0x00F0u16.to_be_bytes());
        assert!(matches!(
            classify_checked(&m),
            Err(ClassifyError::AttributeOverrun { attr_type: 0x8022 })
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let msg = sample();
        for len in 0..msg.len() {
            assert!(classify_checked(&msg[..len]).is_err(), "len {len}");
        }
    }
}
