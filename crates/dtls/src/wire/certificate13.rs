//! The DTLS 1.3 forms of Certificate and CertificateRequest (RFC 8446 §4.4.2, §4.3.2): a
//! request context first, and each certificate followed by its own extensions (which we
//! neither send nor need: no OCSP or SCT in WebRTC).

use crate::error::WireError;
use crate::wire::codec::{Reader, put_u16, put_vec8, put_vec24};
use crate::wire::extension::Extensions;

/// Most certificates we read from one chain (WebRTC sends one self-signed certificate).
pub const MAX_CHAIN: usize = 16;

/// A DTLS 1.3 Certificate body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate13<'a> {
    /// `certificate_request_context`: empty from a server, the request's from a client.
    pub context: &'a [u8],
    /// The DER certificates, the end-entity one first.
    pub chain: Vec<&'a [u8]>,
}

impl<'a> Certificate13<'a> {
    /// Parses a Certificate body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let context = r.vec8()?;
        let mut list = Reader::new(r.vec24()?);
        r.finish()?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            let cert = list.vec24()?;
            // opaque cert_data<1..2^24-1>.
            if cert.is_empty() {
                return Err(WireError::BadLength);
            }
            let _extensions = list.vec16()?;
            if chain.len() == MAX_CHAIN {
                return Err(WireError::TooLong);
            }
            chain.push(cert);
        }
        Ok(Self { context, chain })
    }

    /// Appends the body to `out` (no per-certificate extensions).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_vec8(out, self.context)?;
        let mut list = Vec::new();
        for cert in &self.chain {
            put_vec24(&mut list, cert)?;
            put_u16(&mut list, 0);
        }
        put_vec24(out, &list)
    }
}

/// A DTLS 1.3 CertificateRequest body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest13<'a> {
    /// `certificate_request_context` (the client echoes it in its Certificate).
    pub context: &'a [u8],
    /// The extensions: `signature_algorithms` is required (RFC 8446 §4.3.2).
    pub extensions: Extensions<'a>,
}

impl<'a> CertificateRequest13<'a> {
    /// Parses a CertificateRequest body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let context = r.vec8()?;
        let extensions = Extensions::read(&mut r)?;
        r.finish()?;
        if extensions.signature_algorithms.is_none() {
            return Err(WireError::BadExtension);
        }
        Ok(Self {
            context,
            extensions,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_vec8(out, self.context)?;
        self.extensions.emit(out)
    }
}

/// Checks a DTLS 1.3 Finished body: the bare HMAC (RFC 8446 §4.4.4), as long as the
/// suite's hash.
pub fn parse_finished(body: &[u8], hash_len: usize) -> Result<&[u8], WireError> {
    if body.len() != hash_len {
        return Err(WireError::BadLength);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::code_points::SignatureScheme;

    #[test]
    fn certificate_round_trips_and_refuses_truncation() {
        let c = Certificate13 {
            context: &[1, 2],
            chain: vec![&[0x30; 300], &[0x31; 10]],
        };
        let mut out = Vec::new();
        c.emit(&mut out).unwrap();
        assert_eq!(Certificate13::parse(&out).unwrap(), c);
        for cut in 0..out.len() {
            assert!(Certificate13::parse(&out[..cut]).is_err(), "cut {cut}");
        }
        let empty = Certificate13 {
            context: &[],
            chain: vec![],
        };
        out.clear();
        empty.emit(&mut out).unwrap();
        assert_eq!(Certificate13::parse(&out).unwrap(), empty);
    }

    #[test]
    fn request_needs_signature_algorithms() {
        let cr = CertificateRequest13 {
            context: &[],
            extensions: Extensions {
                signature_algorithms: Some(vec![SignatureScheme::ECDSA_SECP256R1_SHA256]),
                ..Extensions::default()
            },
        };
        let mut out = Vec::new();
        cr.emit(&mut out).unwrap();
        assert_eq!(CertificateRequest13::parse(&out).unwrap(), cr);
        let bare = CertificateRequest13 {
            context: &[],
            extensions: Extensions::default(),
        };
        out.clear();
        bare.emit(&mut out).unwrap();
        assert_eq!(
            CertificateRequest13::parse(&out),
            Err(WireError::BadExtension)
        );
        assert!(parse_finished(&[0; 32], 32).is_ok());
        assert_eq!(parse_finished(&[0; 31], 32), Err(WireError::BadLength));
    }
}
