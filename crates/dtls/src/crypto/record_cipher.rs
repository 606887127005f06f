//! AEAD record protection of DTLS 1.2 (RFC 6347 §4.1.2.1 with RFC 5246 §6.2.3.3).
//!
//! - AES-GCM (RFC 5288 §3): nonce = 4-byte implicit salt || 8-byte explicit nonce sent in the
//!   record. The explicit nonce is the record's `epoch || sequence_number`, unique per key
//!   (RFC 5288 §3 allows it), so sealing needs no randomness at all.
//! - ChaCha20-Poly1305 (RFC 7905 §2): nonce = 12-byte IV XOR the padded 64-bit
//!   `epoch || sequence_number`; nothing explicit on the wire.
//! - Additional data: `epoch || sequence_number || type || version || length` (of the
//!   plaintext).

use std::ops::Range;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::error::Error;
use crate::wire::code_points::{BulkCipher, ProtocolVersion};
use crate::wire::record::{ContentType, epoch_sequence};

/// Length of the explicit nonce of GCM records.
const EXPLICIT_NONCE_LEN: usize = 8;
/// Length of every tag we use.
const TAG_LEN: usize = 16;

/// One direction's record protection in one epoch.
pub(crate) struct RecordCipher {
    key: LessSafeKey,
    iv: [u8; 12],
    explicit_nonce: bool,
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordCipher").finish_non_exhaustive()
    }
}

/// The record was not authentic (RFC 6347 §4.1.2.1: drop it silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadRecordMac;

fn aad(epoch_seq: [u8; 8], ty: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
    let mut a = [0u8; 13];
    a[..8].copy_from_slice(&epoch_seq);
    a[8] = ty.0;
    a[9..11].copy_from_slice(&version.0.to_be_bytes());
    // Plaintext of a record is at most 2^14 + 2048 bytes: fits 16 bits.
    a[11..13].copy_from_slice(&(len as u16).to_be_bytes());
    a
}

impl RecordCipher {
    /// Keys one direction. `key` and `iv` come from the key block with the lengths of
    /// `key_schedule::key_iv_len`.
    pub(crate) fn new(cipher: BulkCipher, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        let alg = match cipher {
            BulkCipher::Aes128Gcm => &aead::AES_128_GCM,
            BulkCipher::Aes256Gcm => &aead::AES_256_GCM,
            BulkCipher::Chacha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        let key = LessSafeKey::new(UnboundKey::new(alg, key).map_err(|_| Error::Crypto)?);
        let mut full_iv = [0u8; 12];
        let explicit_nonce = cipher != BulkCipher::Chacha20Poly1305;
        if iv.len() > 12 {
            return Err(Error::Crypto);
        }
        full_iv[..iv.len()].copy_from_slice(iv);
        Ok(Self {
            key,
            iv: full_iv,
            explicit_nonce,
        })
    }

    /// Bytes a sealed fragment adds to the plaintext.
    pub(crate) fn overhead(&self) -> usize {
        if self.explicit_nonce {
            EXPLICIT_NONCE_LEN + TAG_LEN
        } else {
            TAG_LEN
        }
    }

    fn nonce(&self, epoch_seq: [u8; 8]) -> Nonce {
        let mut n = self.iv;
        if self.explicit_nonce {
            n[4..].copy_from_slice(&epoch_seq);
        } else {
            for (b, s) in n[4..].iter_mut().zip(epoch_seq) {
                *b ^= s;
            }
        }
        Nonce::assume_unique_for_key(n)
    }

    /// Appends the protected fragment of `plaintext` to `out`.
    pub(crate) fn seal(
        &self,
        epoch: u16,
        sequence: u64,
        ty: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let es = epoch_sequence(epoch, sequence);
        if self.explicit_nonce {
            out.extend_from_slice(&es);
        }
        let start = out.len();
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                self.nonce(es),
                Aad::from(aad(es, ty, version, plaintext.len())),
                &mut out[start..],
            )
            .map_err(|_| Error::Crypto)?;
        out.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// The nonce of a received record and where its ciphertext starts in the fragment: GCM
    /// takes the explicit nonce the sender chose (RFC 5288 §3: any value unique per key, not
    /// necessarily `epoch || sequence`), ChaCha20-Poly1305 derives it (RFC 7905 §2).
    fn receive_nonce(&self, es: [u8; 8], fragment: &[u8]) -> Result<(Nonce, usize), BadRecordMac> {
        if !self.explicit_nonce {
            return Ok((self.nonce(es), 0));
        }
        let explicit = fragment.get(..EXPLICIT_NONCE_LEN).ok_or(BadRecordMac)?;
        let mut n = self.iv;
        n[4..].copy_from_slice(explicit);
        Ok((Nonce::assume_unique_for_key(n), EXPLICIT_NONCE_LEN))
    }

    /// Authenticates and decrypts a record fragment into `out` (cleared first); on success
    /// `out` holds the plaintext.
    pub(crate) fn open(
        &self,
        epoch: u16,
        sequence: u64,
        ty: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), BadRecordMac> {
        let es = epoch_sequence(epoch, sequence);
        let (nonce, start) = self.receive_nonce(es, fragment)?;
        let body = &fragment[start..];
        let len = body.len().checked_sub(TAG_LEN).ok_or(BadRecordMac)?;
        out.clear();
        out.extend_from_slice(body);
        self.key
            .open_in_place(nonce, Aad::from(aad(es, ty, version, len)), out)
            .map_err(|_| BadRecordMac)?;
        out.truncate(len);
        Ok(())
    }

    /// Authenticates and decrypts a record fragment where it lies; returns where the
    /// plaintext is within `fragment`. No copy, no allocation.
    pub(crate) fn open_in_place(
        &self,
        epoch: u16,
        sequence: u64,
        ty: ContentType,
        version: ProtocolVersion,
        fragment: &mut [u8],
    ) -> Result<Range<usize>, BadRecordMac> {
        let es = epoch_sequence(epoch, sequence);
        let (nonce, start) = self.receive_nonce(es, fragment)?;
        let body = &mut fragment[start..];
        let len = body.len().checked_sub(TAG_LEN).ok_or(BadRecordMac)?;
        self.key
            .open_in_place(nonce, Aad::from(aad(es, ty, version, len)), body)
            .map_err(|_| BadRecordMac)?;
        Ok(start..start + len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: ProtocolVersion = ProtocolVersion::DTLS_1_2;

    fn pair(c: BulkCipher) -> (RecordCipher, RecordCipher) {
        let (k, iv) = crate::crypto::key_schedule::key_iv_len(c);
        let key = vec![0x42; k];
        let ivb = vec![0x24; iv];
        (
            RecordCipher::new(c, &key, &ivb).unwrap(),
            RecordCipher::new(c, &key, &ivb).unwrap(),
        )
    }

    #[test]
    fn seals_and_opens_every_cipher() {
        for c in [
            BulkCipher::Aes128Gcm,
            BulkCipher::Aes256Gcm,
            BulkCipher::Chacha20Poly1305,
        ] {
            let (s, o) = pair(c);
            let mut wire = Vec::new();
            s.seal(1, 7, ContentType::APPLICATION_DATA, V, b"hello", &mut wire)
                .unwrap();
            assert_eq!(wire.len(), 5 + s.overhead());
            let mut out = Vec::new();
            o.open(1, 7, ContentType::APPLICATION_DATA, V, &wire, &mut out)
                .unwrap();
            assert_eq!(out, b"hello");
            let mut in_place = wire.clone();
            let r = o
                .open_in_place(1, 7, ContentType::APPLICATION_DATA, V, &mut in_place)
                .unwrap();
            assert_eq!(&in_place[r], b"hello");
            // Wrong sequence, type, or a flipped bit: refused.
            assert_eq!(
                o.open(1, 8, ContentType::APPLICATION_DATA, V, &wire, &mut out),
                Err(BadRecordMac)
            );
            assert_eq!(
                o.open(1, 7, ContentType::HANDSHAKE, V, &wire, &mut out),
                Err(BadRecordMac)
            );
            let last = wire.len() - 1;
            wire[last] ^= 1;
            assert_eq!(
                o.open(1, 7, ContentType::APPLICATION_DATA, V, &wire, &mut out),
                Err(BadRecordMac)
            );
            assert_eq!(
                o.open(1, 7, ContentType::APPLICATION_DATA, V, &wire[..3], &mut out),
                Err(BadRecordMac)
            );
            assert_eq!(
                o.open_in_place(1, 7, ContentType::APPLICATION_DATA, V, &mut wire),
                Err(BadRecordMac)
            );
        }
    }

    #[test]
    fn accepts_another_explicit_nonce() {
        // RFC 5288 §3: the explicit nonce is the sender's choice.
        let (s, o) = pair(BulkCipher::Aes128Gcm);
        let es = epoch_sequence(1, 3);
        let mut n = s.iv;
        n[4..].copy_from_slice(&[9; 8]);
        let mut body = b"data".to_vec();
        let tag = s
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(n),
                Aad::from(aad(es, ContentType::APPLICATION_DATA, V, 4)),
                &mut body,
            )
            .unwrap();
        let mut wire = vec![9; 8];
        wire.extend_from_slice(&body);
        wire.extend_from_slice(tag.as_ref());
        let mut out = Vec::new();
        o.open(1, 3, ContentType::APPLICATION_DATA, V, &wire, &mut out)
            .unwrap();
        assert_eq!(out, b"data");
    }
}
