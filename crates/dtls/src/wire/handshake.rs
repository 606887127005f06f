//! The DTLS handshake header (RFC 6347 §4.2.2): every handshake message, or each fragment of
//! one, is preceded by 12 bytes.
//!
//! ```text
//! msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3) fragment
//! ```
//! DTLS 1.3 (RFC 9147 §5.2) keeps this header unchanged.

use crate::error::WireError;
use crate::wire::codec::Reader;

/// Length of the handshake header.
pub const HANDSHAKE_HEADER_LEN: usize = 12;

/// A handshake message type (RFC 5246 §7.4, RFC 6347 §4.3.2), open to unknown values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeType(pub u8);

impl HandshakeType {
    /// `hello_request` (renegotiation; ignored).
    pub const HELLO_REQUEST: Self = Self(0);
    /// `client_hello`.
    pub const CLIENT_HELLO: Self = Self(1);
    /// `server_hello`.
    pub const SERVER_HELLO: Self = Self(2);
    /// `hello_verify_request` (RFC 6347 §4.2.1).
    pub const HELLO_VERIFY_REQUEST: Self = Self(3);
    /// `certificate`.
    pub const CERTIFICATE: Self = Self(11);
    /// `server_key_exchange`.
    pub const SERVER_KEY_EXCHANGE: Self = Self(12);
    /// `certificate_request`.
    pub const CERTIFICATE_REQUEST: Self = Self(13);
    /// `server_hello_done`.
    pub const SERVER_HELLO_DONE: Self = Self(14);
    /// `certificate_verify`.
    pub const CERTIFICATE_VERIFY: Self = Self(15);
    /// `client_key_exchange`.
    pub const CLIENT_KEY_EXCHANGE: Self = Self(16);
    /// `finished`.
    pub const FINISHED: Self = Self(20);
    /// RFC 8446 §4.6.1 (DTLS 1.3; we ignore tickets: no resumption).
    pub const NEW_SESSION_TICKET: Self = Self(4);
    /// RFC 8446 §4.3.1 (DTLS 1.3).
    pub const ENCRYPTED_EXTENSIONS: Self = Self(8);
    /// RFC 8446 §4.6.3 (DTLS 1.3).
    pub const KEY_UPDATE: Self = Self(24);
    /// RFC 8446 §4.4.1: the synthetic message that replaces the first ClientHello in the
    /// transcript after a HelloRetryRequest.
    pub const MESSAGE_HASH: Self = Self(254);
}

/// One handshake fragment as carried in a record: header fields plus the borrowed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// The message type.
    pub msg_type: HandshakeType,
    /// Length of the whole message body.
    pub length: u32,
    /// The message sequence number (RFC 6347 §4.2.2).
    pub message_seq: u16,
    /// Where this fragment starts in the message body.
    pub offset: u32,
    /// The fragment bytes.
    pub body: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// Parses one fragment from the front of a handshake record's plaintext; returns it and
    /// the bytes after it (a record may carry several fragments).
    pub fn parse(buf: &'a [u8]) -> Result<(Self, &'a [u8]), WireError> {
        let mut r = Reader::new(buf);
        let msg_type = HandshakeType(r.u8()?);
        let length = r.u24()?;
        let message_seq = r.u16()?;
        let offset = r.u24()?;
        let fragment_length = r.u24()?;
        // RFC 6347 §4.2.3: the fragment must lie within the message.
        if u64::from(offset) + u64::from(fragment_length) > u64::from(length) {
            return Err(WireError::BadFragment);
        }
        let body = r.take(fragment_length as usize)?;
        Ok((
            Self {
                msg_type,
                length,
                message_seq,
                offset,
                body,
            },
            r.rest(),
        ))
    }

    /// True when this fragment is the whole message.
    pub fn is_whole(&self) -> bool {
        self.offset == 0 && self.body.len() as u64 == u64::from(self.length)
    }
}

/// Appends a handshake header to `out`. `length`, `offset` and `fragment_length` must fit in
/// 24 bits; callers bound message sizes well below that.
pub fn emit_header(
    out: &mut Vec<u8>,
    msg_type: HandshakeType,
    length: usize,
    message_seq: u16,
    offset: usize,
    fragment_length: usize,
) {
    out.push(msg_type.0);
    out.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&message_seq.to_be_bytes());
    out.extend_from_slice(&(offset as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&(fragment_length as u32).to_be_bytes()[1..]);
}

/// A whole message as the transcript hashes it (RFC 6347 §4.2.6: as if sent in one fragment).
pub fn whole_message(msg_type: HandshakeType, message_seq: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HANDSHAKE_HEADER_LEN + body.len());
    emit_header(&mut out, msg_type, body.len(), message_seq, 0, body.len());
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_a_fragment() {
        let mut buf = Vec::new();
        emit_header(&mut buf, HandshakeType::CLIENT_HELLO, 10, 3, 4, 2);
        buf.extend_from_slice(&[7, 8, 0xff]);
        let (f, rest) = Fragment::parse(&buf).unwrap();
        assert_eq!(f.msg_type, HandshakeType::CLIENT_HELLO);
        assert_eq!((f.length, f.message_seq, f.offset), (10, 3, 4));
        assert_eq!(f.body, [7, 8]);
        assert!(!f.is_whole());
        assert_eq!(rest, [0xff]);
    }

    #[test]
    fn refuses_fragments_past_the_message() {
        let mut buf = Vec::new();
        emit_header(&mut buf, HandshakeType::FINISHED, 4, 0, 3, 2);
        buf.extend_from_slice(&[0, 0]);
        assert_eq!(Fragment::parse(&buf), Err(WireError::BadFragment));
        assert_eq!(Fragment::parse(&buf[..11]), Err(WireError::Truncated));
    }

    #[test]
    fn whole_message_has_zero_offset() {
        let m = whole_message(HandshakeType::FINISHED, 5, &[1, 2, 3]);
        let (f, _) = Fragment::parse(&m).unwrap();
        assert!(f.is_whole());
        assert_eq!(f.message_seq, 5);
    }

    proptest! {
        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok((f, _)) = Fragment::parse(&d) {
                prop_assert!(u64::from(f.offset) + f.body.len() as u64 <= u64::from(f.length));
            }
        }
    }
}
