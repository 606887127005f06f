//! The transforms of one direction, keyed once: AES counter mode with HMAC-SHA1
//! (RFC 3711 §4.1.1, §4.2.1) or AES-GCM (RFC 7714).
//!
//! Everything a packet needs is precomputed here when the context is made: the AES key
//! schedule, the HMAC inner and outer hash states, ring's GCM key. A packet then costs one
//! clone of that state plus the cipher work itself.
//!
//! The packet entry points (`protect_rtp` and the others) and the functions between them
//! and the `aes`/`ctr` calls are `#[inline]`, so the AES-CTR loop is compiled in the crate
//! that uses it. Compiled inside
//! this library crate, LLVM copied the round keys to the stack and ran the eight blocks of
//! a batch one after another; compiled in the caller, the same `aes`/`ctr` code
//! interleaves the eight blocks round by round (`cargo xtask bench srtp`, unprotect
//! AES128_CM_SHA1_80 at 1200 bytes: 930 ns before, 917 ns after, same machine).

use aes::Aes128Enc;
use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use hmac::{Hmac, Mac};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use sha1::Sha1;

use crate::error::{Error, KeyingError};
use crate::kdf::SessionKeys;
use crate::profile::Profile;

/// Length of a GCM tag (RFC 7714 §5: only 16-octet tags are used).
pub(crate) const GCM_TAG_LEN: usize = 16;

/// AES-CM + HMAC-SHA1 state.
#[derive(Clone)]
pub(crate) struct CounterMode {
    aes: Aes128Enc,
    mac: Hmac<Sha1>,
    /// The session salt as the top 112 bits of the counter block (k_s * 2^16).
    salt: u128,
    tag_len: usize,
}

/// AES-GCM state.
pub(crate) struct Gcm {
    key: LessSafeKey,
    /// The 12-byte session salt in the low 96 bits.
    salt: u128,
}

/// The keyed transform of SRTP or SRTCP for one direction.
// Two of these live in each context, never per packet: keeping the AES key schedule inline
// saves a pointer chase on every packet, and the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Cipher {
    /// RFC 3711 AES-CM with HMAC-SHA1.
    Cm(CounterMode),
    /// RFC 7714 AES-GCM.
    Gcm(Gcm),
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key material stays out of logs.
        f.write_str(match self {
            Self::Cm(c) if c.tag_len == 4 => "AES_CM_128_HMAC_SHA1_32",
            Self::Cm(_) => "AES_CM_128_HMAC_SHA1_80",
            Self::Gcm(g) if g.key.algorithm() == &AES_256_GCM => "AEAD_AES_256_GCM",
            Self::Gcm(_) => "AEAD_AES_128_GCM",
        })
    }
}

impl Cipher {
    /// Keys a transform from derived session keys; `tag_len` is the HMAC tag length.
    pub(crate) fn new(
        profile: Profile,
        keys: &SessionKeys,
        tag_len: usize,
    ) -> Result<Self, KeyingError> {
        let key_len = profile.master_key_len();
        let enc = &keys.encryption[..key_len];
        if profile.is_aead() {
            let alg = if key_len == 32 {
                &AES_256_GCM
            } else {
                &AES_128_GCM
            };
            let key = UnboundKey::new(alg, enc).map_err(|_| KeyingError::WrongLength {
                expected: alg.key_len(),
                actual: enc.len(),
            })?;
            let mut salt = [0; 16];
            salt[4..].copy_from_slice(&keys.salt[..12]);
            Ok(Self::Gcm(Gcm {
                key: LessSafeKey::new(key),
                salt: u128::from_be_bytes(salt),
            }))
        } else {
            let aes = Aes128Enc::new_from_slice(enc).map_err(|_| KeyingError::WrongLength {
                expected: 16,
                actual: enc.len(),
            })?;
            let mac = <Hmac<Sha1> as Mac>::new_from_slice(&keys.auth).map_err(|_| {
                KeyingError::WrongLength {
                    expected: keys.auth.len(),
                    actual: keys.auth.len(),
                }
            })?;
            let mut salt = [0; 16];
            salt[..14].copy_from_slice(&keys.salt);
            Ok(Self::Cm(CounterMode {
                aes,
                mac,
                salt: u128::from_be_bytes(salt),
                tag_len,
            }))
        }
    }
}

impl CounterMode {
    /// XORs the keystream for (`ssrc`, `index`) into `data`.
    ///
    /// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16); SRTCP uses its
    /// 31-bit index as i (§4.1, §3.4).
    #[inline]
    pub(crate) fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        // The index is 48 bits (SRTP) or 31 (SRTCP): it stays below 2^48.
        let iv =
            self.salt ^ (u128::from(ssrc) << 64) ^ (u128::from(index & 0xffff_ffff_ffff) << 16);
        let iv = iv.to_be_bytes();
        // By reference: the key schedule is expanded once per context, never copied.
        let core = ctr::CtrCore::<&Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
            &self.aes,
            &iv.into(),
        );
        let mut ctr = ctr::Ctr128BE::from_core(core);
        ctr.apply_keystream(data);
    }

    /// HMAC-SHA1 over `authenticated` followed by `trailer` (the ROC for SRTP, RFC 3711
    /// §4.2; empty for SRTCP), truncated to the tag length, written to `tag`.
    #[inline]
    pub(crate) fn tag(&self, authenticated: &[u8], trailer: &[u8], tag: &mut [u8]) {
        let mut mac = self.mac.clone();
        mac.update(authenticated);
        mac.update(trailer);
        let full = mac.finalize().into_bytes();
        tag.copy_from_slice(&full[..tag.len()]);
    }

    /// Verifies a truncated tag in constant time (RFC 3711 §3.3 step 5).
    #[inline]
    pub(crate) fn verify(
        &self,
        authenticated: &[u8],
        trailer: &[u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let mut mac = self.mac.clone();
        mac.update(authenticated);
        mac.update(trailer);
        mac.verify_truncated_left(tag)
            .map_err(|_| Error::AuthenticationFailed)
    }
}

impl Gcm {
    /// The 12-byte IV: RFC 7714 §8.1 (SRTP: 00 00 || SSRC || ROC || SEQ) and §9.1
    /// (SRTCP: 00 00 || SSRC || 00 00 || 0 || SRTCP index), XORed with the session salt.
    /// `tail` is ROC||SEQ as 48 bits for SRTP, the 31-bit index for SRTCP.
    #[inline]
    pub(crate) fn nonce(&self, ssrc: u32, tail: u64) -> Nonce {
        let iv = self.salt ^ (u128::from(ssrc) << 48) ^ u128::from(tail & 0xffff_ffff_ffff);
        let bytes = iv.to_be_bytes();
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&bytes[4..]);
        Nonce::assume_unique_for_key(nonce)
    }

    /// Encrypts `data` in place and writes the 16-byte tag to `tag`.
    pub(crate) fn seal(&self, nonce: Nonce, aad: &[u8], data: &mut [u8], tag: &mut [u8]) {
        let sealed = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), data)
            // ring refuses only inputs over 2^36 bytes, far beyond any datagram.
            .expect("a datagram is within AES-GCM's length limit");
        tag.copy_from_slice(sealed.as_ref());
    }

    /// Verifies and decrypts `data` (ciphertext followed by the tag) in place; returns the
    /// plaintext length.
    pub(crate) fn open(&self, nonce: Nonce, aad: &[u8], data: &mut [u8]) -> Result<usize, Error> {
        self.key
            .open_in_place(nonce, Aad::from(aad), data)
            .map(|plain| plain.len())
            .map_err(|_| Error::AuthenticationFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    /// RFC 3711 Appendix B.2: AES-CM keystream. The session salt F0F1..FD with SSRC 0 and
    /// index 0 gives the counter F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000.
    #[test]
    fn rfc3711_b2_aes_cm_keystream() {
        let mut keys = SessionKeys {
            encryption: [0; 32],
            auth: [0; 20],
            salt: [0; 14],
        };
        keys.encryption[..16].copy_from_slice(&h("2B7E151628AED2A6ABF7158809CF4F3C"));
        keys.salt
            .copy_from_slice(&h("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
        let Cipher::Cm(cm) = Cipher::new(Profile::Aes128CmHmacSha1_80, &keys, 10).unwrap() else {
            panic!("counter mode expected");
        };
        let mut stream = vec![0u8; 0xff02 * 16];
        cm.apply_keystream(0, 0, &mut stream);
        let block = |n: usize| stream[n * 16..n * 16 + 16].to_vec();
        assert_eq!(block(0), h("E03EAD0935C95E80E166B16DD92B4EB4"));
        assert_eq!(block(1), h("D23513162B02D0F72A43A2FE4A5F97AB"));
        assert_eq!(block(2), h("41E95B3BB0A2E8DD477901E4FCA894C0"));
        assert_eq!(block(0xfeff), h("EC8CDF7398607CB0F2D21675EA9EA1E4"));
        assert_eq!(block(0xff00), h("362B7C3C6773516318A077D7FC5073AE"));
        assert_eq!(block(0xff01), h("6A2CC3787889374FBEB4C81B17BA6C44"));
    }
}
