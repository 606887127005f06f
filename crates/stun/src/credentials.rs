//! Keys for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9).

use std::fmt;

use stun_rs::attributes::stun::UserHash;
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
        Self::long_term_with(username, realm, password, PasswordAlgorithm::Md5)
    }

    /// Long-term credentials with the SHA-256 password algorithm (RFC 8489 §18.5.1.2).
    pub fn long_term_sha256(
        username: &str,
        realm: &str,
        password: &str,
    ) -> Result<Self, CredentialError> {
        Self::long_term_with(username, realm, password, PasswordAlgorithm::Sha256)
    }

    /// Long-term credentials with the password algorithm the server and client agreed on
    /// (RFC 8489 §9.2.2): `MD5` or `SHA-256` of
    /// `username ":" OpaqueString(realm) ":" OpaqueString(password)`.
    pub fn long_term_with(
        username: &str,
        realm: &str,
        password: &str,
        algorithm: PasswordAlgorithm,
    ) -> Result<Self, CredentialError> {
        let algorithm = Algorithm::from(algorithm.id());
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

/// A password algorithm for long-term credentials (RFC 8489 §18.5): how the key is made from
/// `username:realm:password`. Servers name the ones they accept in PASSWORD-ALGORITHMS, the
/// client names its choice in PASSWORD-ALGORITHM (RFC 8489 §14.11, §14.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PasswordAlgorithm {
    /// MD5 (0x0001): the key every server without PASSWORD-ALGORITHMS uses (RFC 8489 §9.2.2).
    #[default]
    Md5,
    /// SHA-256 (0x0002, RFC 8489 §18.5.1.2).
    Sha256,
}

impl PasswordAlgorithm {
    /// The algorithm's number in the IANA registry (RFC 8489 §18.5).
    pub fn code(self) -> u16 {
        u16::from(self.id())
    }

    /// The algorithm of a registry number, `None` for one this crate cannot compute (0 and
    /// unassigned numbers).
    pub fn from_code(code: u16) -> Option<Self> {
        match AlgorithmId::from(code) {
            AlgorithmId::MD5 => Some(Self::Md5),
            AlgorithmId::SHA256 => Some(Self::Sha256),
            AlgorithmId::Reserved | AlgorithmId::Unassigned(_) => None,
        }
    }

    pub(crate) fn id(self) -> AlgorithmId {
        match self {
            Self::Md5 => AlgorithmId::MD5,
            Self::Sha256 => AlgorithmId::SHA256,
        }
    }
}

/// USERHASH's value (RFC 8489 §14.4): `SHA-256(OpaqueString(username) ":" OpaqueString(realm))`,
/// sent instead of USERNAME when the server's nonce cookie asks for username anonymity
/// (RFC 8489 §9.2.5). Computed by stun-rs.
pub fn userhash(username: &str, realm: &str) -> Result<[u8; 32], CredentialError> {
    let hash = UserHash::new(username, realm).map_err(|_| CredentialError::Precis)?;
    hash.hash().try_into().map_err(|_| CredentialError::Precis)
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
