//! Record protection of DTLS 1.3 for one direction in one epoch (RFC 9147 §4 with
//! RFC 8446 §5.2-§5.3 and §7.3).
//!
//! - Keys (RFC 8446 §7.3, RFC 9147 §4.2.3): `key = HKDF-Expand-Label(secret, "key", "",
//!   key_length)`, `iv = HKDF-Expand-Label(secret, "iv", "", 12)`, `sn_key =
//!   HKDF-Expand-Label(secret, "sn", "", key_length)`, all with the `"dtls13"` prefix.
//! - Nonce (RFC 8446 §5.3): `iv` XOR the 64-bit record sequence number, left-padded. The
//!   epoch is not in it: each epoch has its own keys and restarts its sequence at 0.
//! - Additional data (RFC 9147 §4): the unified header as sent, with the sequence number
//!   bytes not yet encrypted (§4.2.3) and the length covering the ciphertext.
//! - Sequence number encryption (RFC 9147 §4.2.3): `mask = AES-ECB(sn_key, ciphertext[0..16])`
//!   for AES suites, `ChaCha20(sn_key, counter = ciphertext[0..4] little-endian, nonce =
//!   ciphertext[4..16])` for ChaCha20; the 1 or 2 sequence bytes are XORed with the first
//!   bytes of the mask. That is QUIC's header protection (RFC 9001 §5.4.3-§5.4.4), so ring's
//!   `quic::HeaderProtectionKey` computes the mask.
//!
//! Records here have no connection ID (we negotiate none), so the sequence number bytes
//! always follow the first header byte.

use std::ops::Range;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, quic};

use crate::crypto::key_schedule13::{KeySchedule13, Secret};
use crate::error::Error;
use crate::wire::code_points::BulkCipher;
use crate::wire::unified_header::{S_BIT, SEQUENCE_OFFSET};

/// Length of the AEAD tag of every DTLS 1.3 suite.
pub(crate) const TAG_LEN: usize = 16;

/// Bytes of ciphertext the sequence number mask is computed from (RFC 9147 §4.2.3); a
/// record with less ciphertext fails deprotection.
pub(crate) const SN_SAMPLE_LEN: usize = 16;

/// Length of the per-record nonce and of the IV (RFC 8446 §5.3).
const IV_LEN: usize = 12;

/// A received record that did not deprotect: too short to sample, or its tag does not verify
/// (RFC 9147 §4.5.2: drop it silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadRecord13;

/// One direction's record protection in one epoch: the AEAD key and IV and the sequence
/// number key, derived from a traffic secret.
pub(crate) struct RecordProtection13 {
    key: LessSafeKey,
    iv: [u8; IV_LEN],
    sn: quic::HeaderProtectionKey,
}

impl std::fmt::Debug for RecordProtection13 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordProtection13")
            .field("algorithm", self.key.algorithm())
            .finish_non_exhaustive()
    }
}

impl RecordProtection13 {
    /// Derives `key`, `iv` and `sn_key` from `traffic_secret` (RFC 8446 §7.3, RFC 9147
    /// §4.2.3) for `cipher`.
    pub(crate) fn new(
        cipher: BulkCipher,
        schedule: &KeySchedule13,
        traffic_secret: &Secret,
    ) -> Result<Self, Error> {
        let (aead_alg, sn_alg, key_len) = match cipher {
            BulkCipher::Aes128Gcm => (&aead::AES_128_GCM, &quic::AES_128, 16),
            BulkCipher::Aes256Gcm => (&aead::AES_256_GCM, &quic::AES_256, 32),
            BulkCipher::Chacha20Poly1305 => (&aead::CHACHA20_POLY1305, &quic::CHACHA20, 32),
        };
        let secret = traffic_secret.as_bytes();
        let mut key = [0u8; 32];
        let key = &mut key[..key_len];
        schedule.expand_label(secret, b"key", b"", key);
        let mut iv = [0u8; IV_LEN];
        schedule.expand_label(secret, b"iv", b"", &mut iv);
        let mut sn_key = [0u8; 32];
        let sn_key = &mut sn_key[..key_len];
        schedule.expand_label(secret, b"sn", b"", sn_key);
        Ok(Self {
            key: LessSafeKey::new(UnboundKey::new(aead_alg, key).map_err(|_| Error::Crypto)?),
            iv,
            sn: quic::HeaderProtectionKey::new(sn_alg, sn_key).map_err(|_| Error::Crypto)?,
        })
    }

    #[cfg(test)]
    /// Length of the AEAD tag (16 for every suite).
    pub(crate) fn tag_len(&self) -> usize {
        TAG_LEN
    }

    /// `iv XOR sequence`, the sequence left-padded to 12 bytes (RFC 8446 §5.3).
    fn nonce(&self, sequence: u64) -> Nonce {
        let mut n = self.iv;
        for (b, s) in n[IV_LEN - 8..].iter_mut().zip(sequence.to_be_bytes()) {
            *b ^= s;
        }
        Nonce::assume_unique_for_key(n)
    }

    /// The 1 or 2 sequence bytes of a header starting with `first_byte`.
    fn sequence_len(first_byte: u8) -> usize {
        if first_byte & S_BIT != 0 { 2 } else { 1 }
    }

    /// XORs the sequence number bytes of `record` (a unified header of `header_len` bytes
    /// without connection ID, then the ciphertext) with the mask of its first 16 bytes of
    /// ciphertext (RFC 9147 §4.2.3). Encrypts and decrypts alike.
    pub(crate) fn mask_sequence(
        &self,
        record: &mut [u8],
        header_len: usize,
    ) -> Result<(), BadRecord13> {
        let sample = record
            .get(header_len..header_len + SN_SAMPLE_LEN)
            .ok_or(BadRecord13)?;
        let mask = self.sn.new_mask(sample).map_err(|_| BadRecord13)?;
        let first = *record.first().ok_or(BadRecord13)?;
        let n = Self::sequence_len(first);
        let seq = record
            .get_mut(SEQUENCE_OFFSET..SEQUENCE_OFFSET + n)
            .filter(|_| SEQUENCE_OFFSET + n <= header_len)
            .ok_or(BadRecord13)?;
        for (b, m) in seq.iter_mut().zip(mask) {
            *b ^= m;
        }
        Ok(())
    }

    /// Protects the record that starts at `out[record_start]`: a unified header of
    /// `header_len` bytes (plaintext sequence bits, length already counting the tag) followed
    /// by the inner plaintext. Encrypts the inner plaintext in place with the header as
    /// additional data, appends the tag, then encrypts the sequence number bytes.
    pub(crate) fn seal_record(
        &self,
        sequence: u64,
        out: &mut Vec<u8>,
        record_start: usize,
        header_len: usize,
    ) -> Result<(), Error> {
        let record = out.get_mut(record_start..).ok_or(Error::Crypto)?;
        if record.len() < header_len {
            return Err(Error::Crypto);
        }
        let (header, body) = record.split_at_mut(header_len);
        let tag = self
            .key
            .seal_in_place_separate_tag(self.nonce(sequence), Aad::from(&*header), body)
            .map_err(|_| Error::Crypto)?;
        out.extend_from_slice(tag.as_ref());
        // The inner plaintext holds at least the content type: with the tag, at least 17
        // bytes of ciphertext to sample.
        self.mask_sequence(&mut out[record_start..], header_len)
            .map_err(|_| Error::Crypto)
    }

    /// Authenticates and decrypts `record` in place: a unified header of `header_len` bytes
    /// whose sequence bytes are already decrypted ([`Self::mask_sequence`]), then the
    /// ciphertext, `sequence` being the reconstructed full sequence number. Returns where the
    /// inner plaintext lies in `record`.
    pub(crate) fn open_record(
        &self,
        sequence: u64,
        record: &mut [u8],
        header_len: usize,
    ) -> Result<Range<usize>, BadRecord13> {
        if record.len() < header_len + SN_SAMPLE_LEN {
            return Err(BadRecord13);
        }
        let (header, body) = record.split_at_mut(header_len);
        let plaintext = self
            .key
            .open_in_place(self.nonce(sequence), Aad::from(&*header), body)
            .map_err(|_| BadRecord13)?;
        Ok(header_len..header_len + plaintext.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::key_schedule13::LabelPrefix;
    use crate::wire::code_points::PrfHash;

    const SUITES: [(BulkCipher, PrfHash); 3] = [
        (BulkCipher::Aes128Gcm, PrfHash::Sha256),
        (BulkCipher::Aes256Gcm, PrfHash::Sha384),
        (BulkCipher::Chacha20Poly1305, PrfHash::Sha256),
    ];

    fn pair(cipher: BulkCipher, hash: PrfHash) -> (RecordProtection13, RecordProtection13) {
        let mut ks = KeySchedule13::new(hash, LabelPrefix::Dtls13);
        let (c, _) = ks.handshake(&[9; 32], &vec![1; ks.hash_len()]);
        (
            RecordProtection13::new(cipher, &ks, &c).unwrap(),
            RecordProtection13::new(cipher, &ks, &c).unwrap(),
        )
    }

    /// A record with a 5-byte header (S=1, L=1, epoch bits 2) and `content || type`.
    fn sealed(p: &RecordProtection13, seq: u64, content: &[u8]) -> Vec<u8> {
        let len = (content.len() + 1 + TAG_LEN) as u16;
        let s = (seq as u16).to_be_bytes();
        let l = len.to_be_bytes();
        let mut out = vec![0x2e, s[0], s[1], l[0], l[1]];
        out.extend_from_slice(content);
        out.push(23);
        p.seal_record(seq, &mut out, 0, 5).unwrap();
        out
    }

    #[test]
    fn seals_and_opens_every_suite() {
        for (c, h) in SUITES {
            let (s, o) = pair(c, h);
            assert_eq!(s.tag_len(), 16);
            let seq = 0x1234_5678_9abc;
            let mut rec = sealed(&s, seq, b"hello");
            assert_eq!(rec.len(), 5 + 5 + 1 + 16);
            o.mask_sequence(&mut rec, 5).unwrap();
            assert_eq!(&rec[1..3], &[0x9a, 0xbc], "{c:?}: sequence bytes restored");
            let r = o.open_record(seq, &mut rec, 5).unwrap();
            assert_eq!(&rec[r], b"hello\x17");
        }
    }

    #[test]
    fn sequence_bytes_are_encrypted() {
        for (c, h) in SUITES {
            let (s, _) = pair(c, h);
            // Over many records, the wire bytes differ from the plaintext sequence bits
            // (a mask of zero for all of them would mean no encryption).
            let differing = (0..32u64)
                .filter(|&seq| {
                    let rec = sealed(&s, seq, b"payload");
                    rec[1..3] != (seq as u16).to_be_bytes()
                })
                .count();
            assert!(differing >= 30, "{c:?}: only {differing} of 32 masked");
        }
    }

    #[test]
    fn one_byte_sequence_form() {
        let (s, o) = pair(BulkCipher::Aes128Gcm, PrfHash::Sha256);
        // 0b001_0_0_1_10: S=0 (8-bit sequence), L=1, epoch bits 2.
        let mut rec = vec![0x26, 0x42, 0, 1 + 16, 22];
        s.seal_record(0x142, &mut rec, 0, 4).unwrap();
        let wire_seq = rec[1];
        o.mask_sequence(&mut rec, 4).unwrap();
        assert_eq!(rec[1], 0x42);
        assert_eq!(rec[2..4], [0, 17], "the length byte is not masked");
        assert_ne!(
            wire_seq ^ 0x42,
            0,
            "masked on the wire (this key's mask is not 0)"
        );
        let r = o.open_record(0x142, &mut rec, 4).unwrap();
        assert_eq!(&rec[r], &[22]);
    }

    #[test]
    fn refuses_tampering_and_wrong_sequence() {
        for (c, h) in SUITES {
            let (s, o) = pair(c, h);
            let rec = sealed(&s, 7, b"data");
            let mut plain_seq = rec.clone();
            o.mask_sequence(&mut plain_seq, 5).unwrap();
            // Wrong full sequence number (same low bits): other nonce.
            let mut r = plain_seq.clone();
            assert_eq!(o.open_record(7 + (1 << 16), &mut r, 5), Err(BadRecord13));
            // A flipped ciphertext bit, tag bit or header bit.
            for i in [1, 3, 6, rec.len() - 1] {
                let mut r = plain_seq.clone();
                r[i] ^= 0x01;
                assert_eq!(
                    o.open_record(7, &mut r, 5),
                    Err(BadRecord13),
                    "{c:?} byte {i}"
                );
            }
            // Other keys.
            let (other, _) = pair(
                c,
                if h == PrfHash::Sha256 {
                    PrfHash::Sha384
                } else {
                    PrfHash::Sha256
                },
            );
            let mut r = plain_seq.clone();
            assert_eq!(other.open_record(7, &mut r, 5), Err(BadRecord13));
            // Too short to sample.
            let mut short = plain_seq[..5 + 15].to_vec();
            assert_eq!(o.mask_sequence(&mut short, 5), Err(BadRecord13));
            assert_eq!(o.open_record(7, &mut short, 5), Err(BadRecord13));
            let r = o.open_record(7, &mut plain_seq, 5).unwrap();
            assert_eq!(&plain_seq[r], b"data\x17");
        }
    }
}
