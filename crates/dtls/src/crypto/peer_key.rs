//! The peer's certificate public key and signature verification (ServerKeyExchange,
//! CertificateVerify) with ring.
//!
//! In TLS 1.2 an ECDSA scheme names the hash only; the curve is the certificate's
//! (RFC 5246 §7.4.1.4.1), so `ecdsa_secp256r1_sha256` with a P-384 key is P-384/SHA-256.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
    OID_SIG_ED25519,
};

use crate::error::{Error, Parameter};
use crate::wire::code_points::SignatureScheme;
use crate::wire::handshake::HandshakeType;

/// The kind of a peer public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    EcP256,
    EcP384,
    Rsa,
    Ed25519,
}

/// A peer certificate's public key, ready to verify signatures.
#[derive(Debug, Clone)]
pub(crate) struct PeerKey {
    kind: KeyKind,
    /// The subjectPublicKey bits: an EC point, an RSAPublicKey DER, or an Ed25519 key.
    key: Vec<u8>,
}

impl PeerKey {
    /// Reads the SubjectPublicKeyInfo of a DER certificate.
    pub(crate) fn from_certificate(der: &[u8]) -> Result<Self, Error> {
        let (_, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|_| Error::BadCertificate)?;
        let spki = cert.public_key();
        let alg = &spki.algorithm;
        let kind = if alg.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = alg
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .ok_or(Error::UnsupportedCertificate)?;
            if curve == OID_EC_P256 {
                KeyKind::EcP256
            } else if curve == OID_NIST_EC_P384 {
                KeyKind::EcP384
            } else {
                return Err(Error::UnsupportedCertificate);
            }
        } else if alg.algorithm == OID_PKCS1_RSAENCRYPTION {
            KeyKind::Rsa
        } else if alg.algorithm == OID_SIG_ED25519 {
            KeyKind::Ed25519
        } else {
            return Err(Error::UnsupportedCertificate);
        };
        Ok(Self {
            kind,
            key: spki.subject_public_key.data.to_vec(),
        })
    }

    /// The kind of key.
    pub(crate) fn kind(&self) -> KeyKind {
        self.kind
    }

    fn algorithm(&self, scheme: SignatureScheme) -> Option<&'static dyn VerificationAlgorithm> {
        use SignatureScheme as S;
        Some(match (self.kind, scheme) {
            (KeyKind::EcP256, S::ECDSA_SECP256R1_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
            (KeyKind::EcP256, S::ECDSA_SECP384R1_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
            (KeyKind::EcP384, S::ECDSA_SECP256R1_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
            (KeyKind::EcP384, S::ECDSA_SECP384R1_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
            (KeyKind::Ed25519, S::ED25519) => &signature::ED25519,
            (KeyKind::Rsa, S::RSA_PKCS1_SHA256) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (KeyKind::Rsa, S::RSA_PKCS1_SHA384) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (KeyKind::Rsa, S::RSA_PKCS1_SHA512) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (KeyKind::Rsa, S::RSA_PSS_RSAE_SHA256) => &signature::RSA_PSS_2048_8192_SHA256,
            (KeyKind::Rsa, S::RSA_PSS_RSAE_SHA384) => &signature::RSA_PSS_2048_8192_SHA384,
            (KeyKind::Rsa, S::RSA_PSS_RSAE_SHA512) => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        })
    }

    /// Verifies `sig` over `message` with `scheme`, which must be one we offered
    /// (`offered`) and fit the key.
    pub(crate) fn verify(
        &self,
        scheme: SignatureScheme,
        offered: &[SignatureScheme],
        message: &[u8],
        sig: &[u8],
        what: HandshakeType,
    ) -> Result<(), Error> {
        if !offered.contains(&scheme) {
            return Err(Error::IllegalParameter(Parameter::SignatureScheme));
        }
        let alg = self
            .algorithm(scheme)
            .ok_or(Error::IllegalParameter(Parameter::SignatureScheme))?;
        UnparsedPublicKey::new(alg, &self.key)
            .verify(message, sig)
            .map_err(|_| Error::BadSignature(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::Certificate;

    #[test]
    fn verifies_our_own_signature() {
        let cert = Certificate::generate().unwrap();
        let key = PeerKey::from_certificate(cert.der()).unwrap();
        assert_eq!(key.kind(), KeyKind::EcP256);
        let rng = ring::rand::SystemRandom::new();
        let sig = cert.sign(&rng, b"hello").unwrap();
        let offered = SignatureScheme::VERIFIED;
        let ty = HandshakeType::CERTIFICATE_VERIFY;
        key.verify(
            SignatureScheme::ECDSA_SECP256R1_SHA256,
            &offered,
            b"hello",
            &sig,
            ty,
        )
        .unwrap();
        assert_eq!(
            key.verify(
                SignatureScheme::ECDSA_SECP256R1_SHA256,
                &offered,
                b"hellO",
                &sig,
                ty
            ),
            Err(Error::BadSignature(ty))
        );
        assert_eq!(
            key.verify(
                SignatureScheme::RSA_PKCS1_SHA256,
                &offered,
                b"hello",
                &sig,
                ty
            ),
            Err(Error::IllegalParameter(Parameter::SignatureScheme))
        );
        assert_eq!(
            key.verify(SignatureScheme::ECDSA_SHA1, &offered, b"hello", &sig, ty),
            Err(Error::IllegalParameter(Parameter::SignatureScheme))
        );
    }

    #[test]
    fn verifies_rsa_pkcs1_and_pss() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/");
        let der = std::fs::read(format!("{dir}rsa_cert.der")).unwrap();
        let pkcs1 = std::fs::read(format!("{dir}rsa_pkcs1_sha256.sig")).unwrap();
        let pss = std::fs::read(format!("{dir}rsa_pss_sha256.sig")).unwrap();
        let key = PeerKey::from_certificate(&der).unwrap();
        assert_eq!(key.kind(), KeyKind::Rsa);
        let msg = b"rtcweb-dtls signed message";
        let offered = SignatureScheme::VERIFIED;
        let ty = HandshakeType::SERVER_KEY_EXCHANGE;
        key.verify(SignatureScheme::RSA_PKCS1_SHA256, &offered, msg, &pkcs1, ty)
            .unwrap();
        key.verify(
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            &offered,
            msg,
            &pss,
            ty,
        )
        .unwrap();
        assert_eq!(
            key.verify(
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                &offered,
                msg,
                &pkcs1,
                ty
            ),
            Err(Error::BadSignature(ty))
        );
        assert_eq!(
            PeerKey::from_certificate(&[0x30, 0x03, 1, 2, 3]).unwrap_err(),
            Error::BadCertificate
        );
    }
}
