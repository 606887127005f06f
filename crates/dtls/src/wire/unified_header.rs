//! The DTLS 1.3 unified header of protected records (`DTLSCiphertext`, RFC 9147 §4).
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+
//! |0|0|1|C|S|L|E E|   C: connection ID present, S: 16-bit sequence number (else 8),
//! +-+-+-+-+-+-+-+-+   L: 16-bit length present (else the record runs to the end of the
//! | Connection ID |      datagram), EE: low two bits of the epoch
//! | (if C)        |
//! +-+-+-+-+-+-+-+-+
//! | 8 or 16 bit   |   the low bits of the record sequence number, encrypted on the wire
//! |Sequence Number|   (RFC 9147 §4.2.3)
//! +-+-+-+-+-+-+-+-+
//! | 16 bit Length |
//! | (if L)        |
//! +-+-+-+-+-+-+-+-+
//! ```
//! A datagram's first byte tells the two record formats apart (RFC 9147 §4.1):
//! [`is_unified_header`] for `0b001x_xxxx`, a content type (20-26) for the 13-byte
//! `DTLSPlaintext` header of [`crate::wire::record`].
//!
//! We negotiate no connection ID (RFC 9146), whose length the header does not carry: a
//! header with the C bit cannot be parsed and is refused as
//! [`UnifiedHeaderError::ConnectionId`].

use thiserror::Error;

/// The three fixed high bits `001` of a unified header's first byte.
pub const FIXED_BITS: u8 = 0b0010_0000;
/// Mask of the fixed bits.
pub const FIXED_MASK: u8 = 0b1110_0000;
/// C: a connection ID follows the first byte.
pub const C_BIT: u8 = 0b0001_0000;
/// S: the sequence number field is 16 bits (else 8).
pub const S_BIT: u8 = 0b0000_1000;
/// L: a 16-bit length field is present.
pub const L_BIT: u8 = 0b0000_0100;
/// EE: the low two bits of the epoch.
pub const EPOCH_MASK: u8 = 0b0000_0011;

/// Where the sequence number bytes start in a header without connection ID.
pub(crate) const SEQUENCE_OFFSET: usize = 1;

/// The longest header we parse or emit: first byte, 16-bit sequence, 16-bit length.
pub const MAX_HEADER_LEN: usize = 5;

/// Largest ciphertext (encrypted inner plaintext and tag) a record may carry:
/// 2^14 + 256 bytes (RFC 8446 §5.2, kept by RFC 9147 §4).
pub const MAX_CIPHERTEXT: usize = (1 << 14) + 256;

/// Whether a record starting with `first_byte` has a unified header (`0b001x_xxxx`,
/// RFC 9147 §4.1), as opposed to a `DTLSPlaintext` header starting with a content type.
pub fn is_unified_header(first_byte: u8) -> bool {
    first_byte & FIXED_MASK == FIXED_BITS
}

/// Why bytes are not a unified header we can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum UnifiedHeaderError {
    /// The first byte is not `0b001x_xxxx`.
    #[error("not a DTLS 1.3 unified header")]
    NotUnified,
    /// The C bit is set but no connection ID was negotiated, so its length is unknown.
    #[error("connection ID present but none negotiated")]
    ConnectionId,
    /// Fewer bytes than the header or its length field says.
    #[error("truncated")]
    Truncated,
    /// A length above 2^14 + 256 (RFC 8446 §5.2).
    #[error("record longer than 2^14 + 256 bytes")]
    TooLong,
}

/// A unified header without connection ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnifiedHeader {
    /// The low two bits of the epoch (0-3).
    pub epoch_bits: u8,
    /// The low 8 or 16 bits of the sequence number, as they are in the bytes (encrypted on
    /// the wire, plaintext in the additional data).
    pub sequence_bits: u16,
    /// S: a 16-bit sequence number field (else 8 bits, and `sequence_bits` < 256).
    pub long_sequence: bool,
    /// L: a length field is present (else the record runs to the end of the datagram).
    pub length_present: bool,
}

/// A unified-header record borrowed from a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnifiedRecord<'a> {
    /// The header.
    pub header: UnifiedHeader,
    /// The encrypted record: the encrypted inner plaintext and the tag.
    pub ciphertext: &'a [u8],
}

impl UnifiedHeader {
    /// The header's first byte: `0b001` `C=0` `S` `L` `EE`.
    pub fn first_byte(&self) -> u8 {
        let mut b = FIXED_BITS | (self.epoch_bits & EPOCH_MASK);
        if self.long_sequence {
            b |= S_BIT;
        }
        if self.length_present {
            b |= L_BIT;
        }
        b
    }

    /// Bytes of the sequence number field: 1 or 2.
    pub fn sequence_len(&self) -> usize {
        if self.long_sequence { 2 } else { 1 }
    }

    /// Bytes of the header: 2 to 5.
    pub fn header_len(&self) -> usize {
        1 + self.sequence_len() + if self.length_present { 2 } else { 0 }
    }

    /// Parses the record at the start of `datagram`; returns it and the bytes after it (the
    /// next record). Without a length field the record takes the rest of the datagram.
    pub fn parse(datagram: &[u8]) -> Result<(UnifiedRecord<'_>, &[u8]), UnifiedHeaderError> {
        let &first = datagram.first().ok_or(UnifiedHeaderError::Truncated)?;
        if !is_unified_header(first) {
            return Err(UnifiedHeaderError::NotUnified);
        }
        if first & C_BIT != 0 {
            return Err(UnifiedHeaderError::ConnectionId);
        }
        let long_sequence = first & S_BIT != 0;
        let length_present = first & L_BIT != 0;
        let mut header = Self {
            epoch_bits: first & EPOCH_MASK,
            sequence_bits: 0,
            long_sequence,
            length_present,
        };
        let header_len = header.header_len();
        let bytes = datagram
            .get(..header_len)
            .ok_or(UnifiedHeaderError::Truncated)?;
        let mut at = SEQUENCE_OFFSET;
        header.sequence_bits = if long_sequence {
            at += 2;
            u16::from_be_bytes([bytes[1], bytes[2]])
        } else {
            at += 1;
            u16::from(bytes[1])
        };
        let rest = &datagram[header_len..];
        let len = if length_present {
            usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]))
        } else {
            rest.len()
        };
        if len > MAX_CIPHERTEXT {
            return Err(UnifiedHeaderError::TooLong);
        }
        if rest.len() < len {
            return Err(UnifiedHeaderError::Truncated);
        }
        let (ciphertext, rest) = rest.split_at(len);
        Ok((UnifiedRecord { header, ciphertext }, rest))
    }

    /// Appends the header to `out`, with `ciphertext_len` in the length field if
    /// [`Self::length_present`]. Only the low 8 sequence bits are written in the short form.
    pub fn emit(&self, ciphertext_len: usize, out: &mut Vec<u8>) -> Result<(), UnifiedHeaderError> {
        if ciphertext_len > MAX_CIPHERTEXT {
            return Err(UnifiedHeaderError::TooLong);
        }
        out.push(self.first_byte());
        if self.long_sequence {
            out.extend_from_slice(&self.sequence_bits.to_be_bytes());
        } else {
            out.push(self.sequence_bits as u8);
        }
        if self.length_present {
            // Bounded by MAX_CIPHERTEXT above: fits 16 bits.
            out.extend_from_slice(&(ciphertext_len as u16).to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn demultiplexes_by_first_byte() {
        for b in 0x20..=0x3f {
            assert!(is_unified_header(b), "{b:#x}");
        }
        for b in [0x00, 0x14, 0x16, 0x17, 0x1a, 0x1f, 0x40, 0x80, 0xff] {
            assert!(!is_unified_header(b), "{b:#x}");
        }
    }

    #[test]
    fn parses_known_bytes() {
        // S=1 L=1 epoch bits 3, sequence 0x0102, length 3, then a second record.
        let d = [
            0x2f, 0x01, 0x02, 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x22, 0x07, 0xdd,
        ];
        let (r, rest) = UnifiedHeader::parse(&d).unwrap();
        assert_eq!(
            r.header,
            UnifiedHeader {
                epoch_bits: 3,
                sequence_bits: 0x0102,
                long_sequence: true,
                length_present: true
            }
        );
        assert_eq!(r.header.header_len(), 5);
        assert_eq!(r.ciphertext, [0xaa, 0xbb, 0xcc]);
        // S=0 L=0 epoch bits 2: 8-bit sequence, runs to the end.
        let (r, rest) = UnifiedHeader::parse(rest).unwrap();
        assert_eq!(r.header.sequence_bits, 7);
        assert_eq!(r.header.epoch_bits, 2);
        assert!(!r.header.long_sequence && !r.header.length_present);
        assert_eq!(r.header.header_len(), 2);
        assert_eq!(r.ciphertext, [0xdd]);
        assert!(rest.is_empty());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        use UnifiedHeaderError::*;
        assert_eq!(UnifiedHeader::parse(&[]), Err(Truncated));
        assert_eq!(UnifiedHeader::parse(&[0x16, 0xfe, 0xfd]), Err(NotUnified));
        assert_eq!(UnifiedHeader::parse(&[0x3c, 0, 0, 0, 0]), Err(ConnectionId));
        assert_eq!(UnifiedHeader::parse(&[0x2c, 0, 0, 0]), Err(Truncated));
        assert_eq!(UnifiedHeader::parse(&[0x2c, 0, 0, 0, 2, 0]), Err(Truncated));
        let too_long = ((MAX_CIPHERTEXT + 1) as u16).to_be_bytes();
        assert_eq!(
            UnifiedHeader::parse(&[0x2c, 0, 0, too_long[0], too_long[1]]),
            Err(TooLong)
        );
        let h = UnifiedHeader {
            epoch_bits: 0,
            sequence_bits: 0,
            long_sequence: true,
            length_present: true,
        };
        assert_eq!(h.emit(MAX_CIPHERTEXT + 1, &mut Vec::new()), Err(TooLong));
        // Without a length field the rest is the record, whatever its size.
        let mut d = vec![0x20, 0];
        d.extend(std::iter::repeat_n(0, MAX_CIPHERTEXT + 1));
        assert_eq!(UnifiedHeader::parse(&d), Err(TooLong));
    }

    proptest! {
        #[test]
        fn round_trips(epoch_bits in 0u8..4, seq: u16, long: bool, length: bool,
                       body in proptest::collection::vec(any::<u8>(), 0..40)) {
            let header = UnifiedHeader {
                epoch_bits,
                sequence_bits: if long { seq } else { seq & 0xff },
                long_sequence: long,
                length_present: length,
            };
            let mut d = Vec::new();
            header.emit(body.len(), &mut d).unwrap();
            prop_assert_eq!(d.len(), header.header_len());
            prop_assert!(is_unified_header(d[0]));
            d.extend_from_slice(&body);
            let (r, rest) = UnifiedHeader::parse(&d).unwrap();
            prop_assert_eq!(r.header, header);
            prop_assert_eq!(r.ciphertext, &body[..]);
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok((r, rest)) = UnifiedHeader::parse(&d) {
                prop_assert_eq!(r.header.header_len() + r.ciphertext.len() + rest.len(), d.len());
            }
        }
    }
}
