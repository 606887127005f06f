//! Our certificate (self-signed ECDSA P-256, RFC 8827 §6.5) and certificate fingerprints in
//! the SDP form of RFC 8122 §5 (`sha-256 AB:CD:...`).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

use crate::error::{ConfigError, Error};

/// A hash function of a certificate fingerprint (RFC 8122 §5; WebRTC needs SHA-256 or
/// stronger, RFC 8827 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    /// `sha-256`.
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl HashAlgorithm {
    /// The SDP token (`sha-256`, ...).
    pub fn token(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    fn ring(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }
}

/// A certificate fingerprint: a hash of the DER certificate (RFC 8122 §5).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function.
    pub algorithm: HashAlgorithm,
    /// The hash value.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(der: &[u8], algorithm: HashAlgorithm) -> Self {
        Self {
            algorithm,
            value: digest::digest(algorithm.ring(), der).as_ref().to_vec(),
        }
    }

    /// True when `der` hashes to this fingerprint.
    pub fn matches(&self, der: &[u8]) -> bool {
        // Fingerprints are public values: no constant-time comparison needed.
        Self::of(der, self.algorithm).value == self.value
    }
}

impl fmt::Display for Fingerprint {
    /// `sha-256 AB:CD:...`, upper-case hex (RFC 8122 §5).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.algorithm.token())?;
        f.write_str(" ")?;
        for (i, b) in self.value.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Fingerprint {
    type Err = ConfigError;

    /// Parses `sha-256 AB:CD:...` (the value of `a=fingerprint:`); the hash token is
    /// case-insensitive, hex digits either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (token, hex) = s
            .trim()
            .split_once(' ')
            .ok_or(ConfigError::BadFingerprint)?;
        let algorithm = match token.to_ascii_lowercase().as_str() {
            "sha-256" => HashAlgorithm::Sha256,
            "sha-384" => HashAlgorithm::Sha384,
            "sha-512" => HashAlgorithm::Sha512,
            _ => return Err(ConfigError::BadFingerprint),
        };
        let value = hex
            .trim()
            .split(':')
            .map(|pair| {
                if pair.len() == 2 {
                    u8::from_str_radix(pair, 16).map_err(|_| ConfigError::BadFingerprint)
                } else {
                    Err(ConfigError::BadFingerprint)
                }
            })
            .collect::<Result<Vec<u8>, _>>()?;
        if value.len() != algorithm.ring().output_len() {
            return Err(ConfigError::BadFingerprint);
        }
        Ok(Self { algorithm, value })
    }
}

/// Our certificate and its private key: a self-signed ECDSA P-256 certificate, signing with
/// `ecdsa_secp256r1_sha256`. Cheap to clone (the key is shared).
#[derive(Clone)]
pub struct Certificate {
    der: Arc<[u8]>,
    pkcs8: Arc<[u8]>,
    key: Arc<EcdsaKeyPair>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The private key stays out of logs.
        f.debug_struct("Certificate")
            .field("fingerprint", &self.fingerprint(HashAlgorithm::Sha256))
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Generates a fresh self-signed ECDSA P-256 certificate with `rcgen` (CN `rtcweb`,
    /// validity 1975..4096 as rcgen defaults: WebRTC checks fingerprints, not dates).
    pub fn generate() -> Result<Self, ConfigError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|_| ConfigError::CertificateGeneration)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
            .map_err(|_| ConfigError::CertificateGeneration)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "rtcweb");
        let cert = params
            .self_signed(&key)
            .map_err(|_| ConfigError::CertificateGeneration)?;
        Self::from_der(cert.der(), &key.serialize_der())
    }

    /// A certificate from its DER form and its PKCS#8 ECDSA P-256 private key (e.g. one kept
    /// across sessions). The key must match the certificate.
    pub fn from_der(der: &[u8], pkcs8: &[u8]) -> Result<Self, ConfigError> {
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &SystemRandom::new())
                .map_err(|_| ConfigError::BadPrivateKey)?;
        let (_, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|_| ConfigError::BadPrivateKey)?;
        if cert.public_key().subject_public_key.data.as_ref() != key.public_key().as_ref() {
            return Err(ConfigError::BadPrivateKey);
        }
        Ok(Self {
            der: der.into(),
            pkcs8: pkcs8.into(),
            key: Arc::new(key),
        })
    }

    /// Test only: this certificate with `other`'s private key, which does not match it
    /// (what signs with it makes signatures its peer must refuse).
    #[cfg(test)]
    pub(crate) fn with_key_of(&self, other: &Self) -> Self {
        Self {
            der: Arc::clone(&self.der),
            pkcs8: Arc::clone(&other.pkcs8),
            key: Arc::clone(&other.key),
        }
    }

    /// The DER certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The PKCS#8 DER private key, to keep the certificate across sessions.
    pub fn private_key_pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The fingerprint for `a=fingerprint:` (RFC 8122 §5).
    pub fn fingerprint(&self, algorithm: HashAlgorithm) -> Fingerprint {
        Fingerprint::of(&self.der, algorithm)
    }

    /// Signs `message` with `ecdsa_secp256r1_sha256` (ASN.1 DER signature).
    pub(crate) fn sign(&self, rng: &SystemRandom, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.key
            .sign(rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Crypto)
    }
}

/// Checks the peer's end-entity certificate against the SDP fingerprints (RFC 8122 §5: one
/// of those of the strongest hash function listed) and reads its key; returns the
/// fingerprint it matched and the key to verify its signatures with.
pub(crate) fn check_peer_certificate(
    remote_fingerprints: &[Fingerprint],
    der: &[u8],
) -> Result<(Fingerprint, crate::crypto::peer_key::PeerKey), Error> {
    let expected: Vec<&Fingerprint> = strongest(remote_fingerprints).collect();
    let Some(matched) = expected.iter().find(|f| f.matches(der)) else {
        let algorithm = expected
            .first()
            .map_or(HashAlgorithm::Sha256, |f| f.algorithm);
        return Err(Error::FingerprintMismatch {
            actual: Fingerprint::of(der, algorithm),
        });
    };
    let key = crate::crypto::peer_key::PeerKey::from_certificate(der)?;
    Ok(((*matched).clone(), key))
}

/// Picks the fingerprints to check a certificate against (RFC 8122 §5): those of the
/// strongest hash function offered.
pub(crate) fn strongest(fingerprints: &[Fingerprint]) -> impl Iterator<Item = &Fingerprint> {
    let best = fingerprints.iter().map(|f| f.algorithm).max();
    fingerprints
        .iter()
        .filter(move |f| Some(f.algorithm) == best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_and_fingerprints() {
        let c = Certificate::generate().unwrap();
        let f = c.fingerprint(HashAlgorithm::Sha256);
        assert_eq!(f.value.len(), 32);
        let s = f.to_string();
        assert!(s.starts_with("sha-256 "));
        assert_eq!(s.len(), 8 + 32 * 3 - 1);
        assert_eq!(s.parse::<Fingerprint>().unwrap(), f);
        assert!(f.matches(c.der()));
        let again = Certificate::from_der(c.der(), c.private_key_pkcs8()).unwrap();
        assert_eq!(again.fingerprint(HashAlgorithm::Sha512).value.len(), 64);
        let other = Certificate::generate().unwrap();
        assert_eq!(
            Certificate::from_der(c.der(), other.private_key_pkcs8()).unwrap_err(),
            ConfigError::BadPrivateKey
        );
    }

    #[test]
    fn parses_sdp_fingerprints() {
        // From answer_aiortc.sdp in the Chromium fixtures.
        let sdp = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/chromium/answer_aiortc.sdp"
        ));
        let prints: Vec<Fingerprint> = sdp
            .lines()
            .filter_map(|l| l.trim().strip_prefix("a=fingerprint:"))
            .map(|v| v.parse().unwrap())
            .collect();
        assert!(prints.len() >= 3);
        let strongest: Vec<_> = strongest(&prints).collect();
        assert!(
            strongest
                .iter()
                .all(|f| f.algorithm == HashAlgorithm::Sha512)
        );
        assert_eq!(
            "SHA-256 ab:cd".parse::<Fingerprint>(),
            Err(ConfigError::BadFingerprint)
        );
        assert_eq!(
            "md5 AB".parse::<Fingerprint>(),
            Err(ConfigError::BadFingerprint)
        );
        assert_eq!(
            "sha-256".parse::<Fingerprint>(),
            Err(ConfigError::BadFingerprint)
        );
    }
}
