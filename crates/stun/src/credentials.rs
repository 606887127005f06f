//! Keys for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9).

use std::fmt;

use stun_rs::{Algorithm, AlgorithmId, HMACKey};

use crate::CredentialError;

/// A key for MESSAGE-INTEGRITY (HMAC-SHA1) and MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256).
///
/// Made once per set of credentials, then reused: the PRECIS processing and, for long-term
/// credentials, the MD5 or SHA-256 of `username:realm:password` are not repeated per message.
#[derive(Clone, PartialEq, Eq)]
pub struct IntegrityKey {
    key: HMACKey,
}

impl IntegrityKey {
    /// Short-term credentials (ICE): the key is the OpaqueString-processed password
    /// (RFC 8489 §9.1.1).
    pub fn short_term(password: &str) -> Result<Self, CredentialError> {
        let key = HMACKey::new_short_term(password).map_err(|_| CredentialError::Precis)?;
        Ok(Self { key })
    }

    /// Long-term credentials with the default MD5 password algorithm (RFC 8489 §9.2.2):
    /// `MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))`.
    pub fn long_term(username: &str, realm: &str, password: &str) -> Result<Self, CredentialError> {
        Self::long_term_with(username, realm, password, AlgorithmId::MD5)
    }

    /// Long-term credentials with the SHA-256 password algorithm (RFC 8489 §18.5.1.2).
    pub fn long_term_sha256(
        username: &str,
        realm: &str,
        password: &str,
    ) -> Result<Self, CredentialError> {
        Self::long_term_with(username, realm, password, AlgorithmId::SHA256)
    }

    fn long_term_with(
        username: &str,
        realm: &str,
        password: &str,
        algorithm: AlgorithmId,
    ) -> Result<Self, CredentialError> {
        let algorithm = Algorithm::from(algorithm);
        let key = HMACKey::new_long_term(username, realm, password, algorithm)
            .map_err(|_| CredentialError::Precis)?;
        Ok(Self { key })
    }

    /// The key bytes given to HMAC.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_bytes()
    }

    pub(crate) fn hmac_key(&self) -> &HMACKey {
        &self.key
    }
}

impl fmt::Debug for IntegrityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("IntegrityKey")
            .field("len", &self.key.as_bytes().len())
            .finish()
    }
}

/// Which integrity attribute a message carries or should carry (RFC 8489 §14.5, §14.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IntegrityAlgorithm {
    /// MESSAGE-INTEGRITY, HMAC-SHA1 (what ICE agents and most TURN servers use).
    #[default]
    Sha1,
    /// MESSAGE-INTEGRITY-SHA256, HMAC-SHA256.
    Sha256,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_term_md5_key_of_rfc5769() {
        // RFC 5769 §2.4: key = MD5("<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>:example.org:TheMatrIX").
        let key = IntegrityKey::long_term("マトリックス", "example.org", "TheMatrIX").unwrap();
        assert_eq!(key.as_bytes().len(), 16);
        let short = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt").unwrap();
        assert_eq!(short.as_bytes(), b"VOkJxbRl1RmTxUk/WvJxBt");
        assert!(!format!("{short:?}").contains("VOkJ"));
    }
}
