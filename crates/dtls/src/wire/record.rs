//! The DTLS 1.2 record header (RFC 6347 §4.1): a fixed 13-byte layout.
//!
//! ```text
//! type(1) version(2) epoch(2) sequence_number(6) length(2) fragment(length)
//! ```
//! DTLS 1.3 (RFC 9147 §4) adds a variable "unified header" whose first byte starts with
//! `0b001`; [`Record::parse`] refuses it as [`WireError::UnsupportedHeader`] so a later
//! DTLS 1.3 layer can branch on that byte here.

use crate::error::WireError;
use crate::wire::code_points::ProtocolVersion;

/// Length of a DTLS 1.2 record header.
pub const RECORD_HEADER_LEN: usize = 13;

/// Largest plaintext fragment a record may carry (RFC 6347 §4.1 via RFC 5246 §6.2.1).
pub const MAX_PLAINTEXT: usize = 1 << 14;

/// Largest ciphertext fragment (RFC 5246 §6.2.3: plaintext plus 2048).
pub const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + 2048;

/// A record content type (RFC 5246 §6.2.1), open to unknown values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentType(pub u8);

impl ContentType {
    /// `change_cipher_spec`.
    pub const CHANGE_CIPHER_SPEC: Self = Self(20);
    /// `alert`.
    pub const ALERT: Self = Self(21);
    /// `handshake`.
    pub const HANDSHAKE: Self = Self(22);
    /// `application_data`.
    pub const APPLICATION_DATA: Self = Self(23);
    /// RFC 9147 §7: the DTLS 1.3 ACK.
    pub const ACK: Self = Self(26);
}

/// A parsed record header with its fragment borrowed from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The content type.
    pub content_type: ContentType,
    /// The record version.
    pub version: ProtocolVersion,
    /// The epoch (RFC 6347 §4.1: incremented on each cipher state change).
    pub epoch: u16,
    /// The 48-bit sequence number within the epoch.
    pub sequence: u64,
    /// The fragment: plaintext in epoch 0, ciphertext after.
    pub fragment: &'a [u8],
}

impl<'a> Record<'a> {
    /// Parses the first record of `datagram`; returns it and the bytes after it (RFC 6347
    /// §4.1.1: a datagram may hold several records, none spans two datagrams).
    pub fn parse(datagram: &'a [u8]) -> Result<(Self, &'a [u8]), WireError> {
        let Some(header) = datagram.get(..RECORD_HEADER_LEN) else {
            return Err(WireError::Truncated);
        };
        let content_type = ContentType(header[0]);
        if header[0] & 0b1110_0000 == 0b0010_0000 {
            // RFC 9147 §4: a DTLS 1.3 unified header (a ciphertext record of DTLS 1.3).
            return Err(WireError::UnsupportedHeader);
        }
        let version = ProtocolVersion(u16::from_be_bytes([header[1], header[2]]));
        if header[1] != 0xfe {
            return Err(WireError::BadVersion(version.0));
        }
        let epoch = u16::from_be_bytes([header[3], header[4]]);
        let mut seq = [0u8; 8];
        seq[2..].copy_from_slice(&header[5..11]);
        let sequence = u64::from_be_bytes(seq);
        let len = usize::from(u16::from_be_bytes([header[11], header[12]]));
        if len > MAX_CIPHERTEXT {
            return Err(WireError::TooLong);
        }
        let rest = &datagram[RECORD_HEADER_LEN..];
        if rest.len() < len {
            return Err(WireError::Truncated);
        }
        let (fragment, rest) = rest.split_at(len);
        Ok((
            Self {
                content_type,
                version,
                epoch,
                sequence,
                fragment,
            },
            rest,
        ))
    }
}

/// Writes a record header into `out[..13]` for a fragment of `len` bytes.
///
/// `out` must hold at least [`RECORD_HEADER_LEN`] bytes and `sequence` fit in 48 bits
/// (callers check both; the sequence is masked).
pub fn emit_header(
    out: &mut [u8],
    content_type: ContentType,
    version: ProtocolVersion,
    epoch: u16,
    sequence: u64,
    len: u16,
) {
    out[0] = content_type.0;
    out[1..3].copy_from_slice(&version.0.to_be_bytes());
    out[3..5].copy_from_slice(&epoch.to_be_bytes());
    out[5..11].copy_from_slice(&sequence.to_be_bytes()[2..]);
    out[11..13].copy_from_slice(&len.to_be_bytes());
}

/// The 8-byte `epoch || sequence_number` of RFC 6347 §4.1.2.1, used in nonces and AAD.
pub fn epoch_sequence(epoch: u16, sequence: u64) -> [u8; 8] {
    let mut out = sequence.to_be_bytes();
    out[..2].copy_from_slice(&epoch.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_two_records_in_a_datagram() {
        let mut d = vec![0u8; 13];
        emit_header(
            &mut d,
            ContentType::HANDSHAKE,
            ProtocolVersion::DTLS_1_2,
            0,
            5,
            2,
        );
        d.extend_from_slice(&[0xaa, 0xbb]);
        let mut second = [0u8; 13];
        emit_header(
            &mut second,
            ContentType::CHANGE_CIPHER_SPEC,
            ProtocolVersion::DTLS_1_2,
            1,
            0xfffe_0000_0001,
            0,
        );
        d.extend_from_slice(&second);
        let (r, rest) = Record::parse(&d).unwrap();
        assert_eq!(r.content_type, ContentType::HANDSHAKE);
        assert_eq!(r.sequence, 5);
        assert_eq!(r.fragment, [0xaa, 0xbb]);
        let (r, rest) = Record::parse(rest).unwrap();
        assert_eq!(r.epoch, 1);
        assert_eq!(r.sequence, 0xfffe_0000_0001);
        assert!(r.fragment.is_empty() && rest.is_empty());
    }

    #[test]
    fn refuses_bad_headers() {
        assert_eq!(Record::parse(&[22; 12]), Err(WireError::Truncated));
        let mut d = [0u8; 13];
        emit_header(&mut d, ContentType(22), ProtocolVersion(0x0303), 0, 0, 0);
        assert_eq!(Record::parse(&d), Err(WireError::BadVersion(0x0303)));
        emit_header(&mut d, ContentType(22), ProtocolVersion::DTLS_1_2, 0, 0, 1);
        assert_eq!(Record::parse(&d), Err(WireError::Truncated));
        d[0] = 0x2c;
        assert_eq!(Record::parse(&d), Err(WireError::UnsupportedHeader));
    }

    #[test]
    fn epoch_and_sequence_pack() {
        assert_eq!(epoch_sequence(1, 2), [0, 1, 0, 0, 0, 0, 0, 2]);
    }

    proptest! {
        #[test]
        fn header_round_trips(ct in 20u8..=23, epoch: u16, seq in 0u64..(1 << 48), body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut d = vec![0u8; 13];
            emit_header(&mut d, ContentType(ct), ProtocolVersion::DTLS_1_2, epoch, seq, body.len() as u16);
            d.extend_from_slice(&body);
            let (r, rest) = Record::parse(&d).unwrap();
            prop_assert_eq!(r.epoch, epoch);
            prop_assert_eq!(r.sequence, seq);
            prop_assert_eq!(r.fragment, &body[..]);
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Record::parse(&d);
        }
    }
}
