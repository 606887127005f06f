//! CertificateRequest (RFC 5246 §7.4.4).
//!
//! ```text
//! certificate_types<1..2^8-1> supported_signature_algorithms<2..2^16-2>
//! certificate_authorities<0..2^16-1>
//! ```

use crate::error::WireError;
use crate::wire::code_points::SignatureScheme;
use crate::wire::codec::{Reader, put_vec8, put_vec16};
use crate::wire::extension::put_u16_vec;

/// `ClientCertificateType.rsa_sign`.
pub const RSA_SIGN: u8 = 1;
/// `ClientCertificateType.ecdsa_sign` (RFC 8422 §5.5).
pub const ECDSA_SIGN: u8 = 64;

/// A CertificateRequest body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest<'a> {
    /// Accepted certificate key types.
    pub certificate_types: &'a [u8],
    /// Signature schemes the server verifies.
    pub signature_schemes: Vec<SignatureScheme>,
    /// Distinguished names of acceptable CAs, raw (WebRTC sends none).
    pub authorities: &'a [u8],
}

impl<'a> CertificateRequest<'a> {
    /// Parses a CertificateRequest body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let certificate_types = r.vec8()?;
        let schemes = r.vec16()?;
        if schemes.len() % 2 != 0 {
            return Err(WireError::BadLength);
        }
        let authorities = r.vec16()?;
        r.finish()?;
        Ok(Self {
            certificate_types,
            signature_schemes: schemes
                .chunks_exact(2)
                .map(|c| SignatureScheme(u16::from_be_bytes([c[0], c[1]])))
                .collect(),
            authorities,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_vec8(out, self.certificate_types)?;
        let schemes: Vec<u16> = self.signature_schemes.iter().map(|s| s.0).collect();
        put_u16_vec(out, &schemes)?;
        put_vec16(out, self.authorities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cr = CertificateRequest {
            certificate_types: &[ECDSA_SIGN, RSA_SIGN],
            signature_schemes: SignatureScheme::VERIFIED.to_vec(),
            authorities: &[],
        };
        let mut out = Vec::new();
        cr.emit(&mut out).unwrap();
        assert_eq!(CertificateRequest::parse(&out).unwrap(), cr);
        assert_eq!(
            CertificateRequest::parse(&out[..out.len() - 1]),
            Err(WireError::Truncated)
        );
    }
}
