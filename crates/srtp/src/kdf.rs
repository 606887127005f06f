//! SRTP key derivation (RFC 3711 §4.3) with key derivation rate 0, as DTLS-SRTP uses it
//! (RFC 5764 §4.1.2). The PRF is AES counter mode keyed with the master key: AES-128 for the
//! 128-bit profiles, AES-256 for AEAD_AES_256_GCM (RFC 6188 §7, RFC 7714 §11).

use aes::cipher::{KeyIvInit, StreamCipher};

use crate::error::KeyingError;
use crate::profile::Profile;

/// Labels of RFC 3711 §4.3.1 and §4.3.2.
pub(crate) mod label {
    /// SRTP encryption key.
    pub(crate) const RTP_ENCRYPTION: u8 = 0x00;
    /// SRTP authentication key.
    pub(crate) const RTP_AUTH: u8 = 0x01;
    /// SRTP salting key.
    pub(crate) const RTP_SALT: u8 = 0x02;
    /// SRTCP encryption key.
    pub(crate) const RTCP_ENCRYPTION: u8 = 0x03;
    /// SRTCP authentication key.
    pub(crate) const RTCP_AUTH: u8 = 0x04;
    /// SRTCP salting key.
    pub(crate) const RTCP_SALT: u8 = 0x05;
}

/// Length of the HMAC-SHA1 session authentication key (RFC 3711 §8.2: n_a = 160 bits).
pub(crate) const AUTH_KEY_LEN: usize = 20;

/// The session keys of one direction and one of SRTP or SRTCP.
#[derive(Clone)]
pub(crate) struct SessionKeys {
    /// Encryption key; the first `profile.master_key_len()` bytes are used.
    pub(crate) encryption: [u8; 32],
    /// HMAC-SHA1 key (counter-mode profiles only).
    pub(crate) auth: [u8; AUTH_KEY_LEN],
    /// Salting key; the first `profile.master_salt_len()` bytes are used.
    pub(crate) salt: [u8; 14],
}

impl SessionKeys {
    /// Derives SRTP (`rtcp == false`) or SRTCP session keys from a master key and salt.
    pub(crate) fn derive(
        profile: Profile,
        master_key: &[u8],
        master_salt: &[u8],
        rtcp: bool,
    ) -> Result<Self, KeyingError> {
        check_len(profile.master_key_len(), master_key.len())?;
        check_len(profile.master_salt_len(), master_salt.len())?;
        let (enc, auth, salt) = if rtcp {
            (label::RTCP_ENCRYPTION, label::RTCP_AUTH, label::RTCP_SALT)
        } else {
            (label::RTP_ENCRYPTION, label::RTP_AUTH, label::RTP_SALT)
        };
        let mut keys = Self {
            encryption: [0; 32],
            auth: [0; AUTH_KEY_LEN],
            salt: [0; 14],
        };
        let key_len = profile.master_key_len();
        prf(
            master_key,
            master_salt,
            enc,
            &mut keys.encryption[..key_len],
        );
        if !profile.is_aead() {
            // RFC 7714 §11: GCM derives no authentication key.
            prf(master_key, master_salt, auth, &mut keys.auth);
        }
        prf(
            master_key,
            master_salt,
            salt,
            &mut keys.salt[..profile.master_salt_len()],
        );
        Ok(keys)
    }
}

fn check_len(expected: usize, actual: usize) -> Result<(), KeyingError> {
    if expected == actual {
        Ok(())
    } else {
        Err(KeyingError::WrongLength { expected, actual })
    }
}

/// The AES-CM PRF of RFC 3711 §4.3.3: keystream under the master key with
/// IV = (master_salt XOR (label << 48)) * 2^16, key derivation rate 0 so r = 0.
///
/// A 96-bit master salt (RFC 7714 §11) fills the high 96 of the 112 bits, the rest zero.
/// `master_key` is 16 or 32 bytes (checked by the caller).
pub(crate) fn prf(master_key: &[u8], master_salt: &[u8], label: u8, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..master_salt.len()].copy_from_slice(master_salt);
    // key_id = label || r (48 bits, zero): the label is the 8th octet of the 112-bit value.
    iv[7] ^= label;
    out.fill(0);
    if master_key.len() == 32 {
        let mut ctr = ctr::Ctr128BE::<aes::Aes256>::new(master_key.into(), &iv.into());
        ctr.apply_keystream(out);
    } else {
        let mut ctr = ctr::Ctr128BE::<aes::Aes128>::new(master_key.into(), &iv.into());
        ctr.apply_keystream(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    /// RFC 3711 Appendix B.3: key derivation test vectors.
    #[test]
    fn rfc3711_b3_key_derivation() {
        let master_key = h("E1F97A0D3E018BE0D64FA32C06DE4139");
        let master_salt = h("0EC675AD498AFEEBB6960B3AABE6");
        let keys = SessionKeys::derive(
            Profile::Aes128CmHmacSha1_80,
            &master_key,
            &master_salt,
            false,
        )
        .unwrap();
        assert_eq!(
            keys.encryption[..16],
            h("C61E7A93744F39EE10734AFE3FF7A087")[..]
        );
        assert_eq!(keys.salt[..], h("30CBBC08863D8C85D49DB34A9AE1")[..]);
        assert_eq!(
            keys.auth[..],
            h("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")[..]
        );
        // The appendix prints 256 bits of the authentication keystream; check them all.
        let mut long = [0u8; 32];
        prf(&master_key, &master_salt, label::RTP_AUTH, &mut long);
        assert_eq!(
            long[..],
            h("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE")[..]
        );
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let r = SessionKeys::derive(Profile::AeadAes256Gcm, &[0; 16], &[0; 12], false);
        assert!(matches!(
            r,
            Err(KeyingError::WrongLength {
                expected: 32,
                actual: 16
            })
        ));
        let r = SessionKeys::derive(Profile::AeadAes128Gcm, &[0; 16], &[0; 14], true);
        assert!(matches!(
            r,
            Err(KeyingError::WrongLength {
                expected: 12,
                actual: 14
            })
        ));
    }

    #[test]
    fn srtp_and_srtcp_keys_differ() {
        let a = SessionKeys::derive(Profile::AeadAes256Gcm, &[7; 32], &[9; 12], false).unwrap();
        let b = SessionKeys::derive(Profile::AeadAes256Gcm, &[7; 32], &[9; 12], true).unwrap();
        assert_ne!(a.encryption, b.encryption);
        assert_ne!(a.salt[..12], b.salt[..12]);
    }
}
