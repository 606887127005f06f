//! CertificateVerify (RFC 5246 §7.4.8): `algorithm(2) signature<0..2^16-1>`, a signature
//! over every handshake message so far (RFC 6347 §4.2.6: each as if sent in one fragment).

use crate::error::WireError;
use crate::wire::code_points::SignatureScheme;
use crate::wire::codec::{Reader, put_u16, put_vec16};

/// A CertificateVerify body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateVerify<'a> {
    /// The signature scheme.
    pub scheme: SignatureScheme,
    /// The signature.
    pub signature: &'a [u8],
}

impl<'a> CertificateVerify<'a> {
    /// Parses a CertificateVerify body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let scheme = SignatureScheme(r.u16()?);
        let signature = r.vec16()?;
        r.finish()?;
        Ok(Self { scheme, signature })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_u16(out, self.scheme.0);
        put_vec16(out, self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cv = CertificateVerify {
            scheme: SignatureScheme::ECDSA_SECP256R1_SHA256,
            signature: &[5; 71],
        };
        let mut out = Vec::new();
        cv.emit(&mut out).unwrap();
        assert_eq!(CertificateVerify::parse(&out), Ok(cv));
        out.push(0);
        assert_eq!(
            CertificateVerify::parse(&out),
            Err(WireError::TrailingBytes)
        );
    }
}
