//! Certificate (RFC 5246 §7.4.2): `certificate_list<0..2^24-1>` of `ASN.1Cert<1..2^24-1>`.

use crate::error::WireError;
use crate::wire::codec::{Reader, put_u24, put_vec24};

/// A Certificate body: the DER certificates, the sender's own first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateMsg<'a> {
    /// The chain; empty when a client has no certificate (we then fail the handshake).
    pub chain: Vec<&'a [u8]>,
}

impl<'a> CertificateMsg<'a> {
    /// Parses a Certificate body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let mut list = Reader::new(r.vec24()?);
        r.finish()?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            let cert = list.vec24()?;
            if cert.is_empty() {
                return Err(WireError::BadLength);
            }
            chain.push(cert);
        }
        Ok(Self { chain })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let total: usize = self.chain.iter().map(|c| 3 + c.len()).sum();
        if total >= 1 << 24 {
            return Err(WireError::TooLong);
        }
        put_u24(out, total as u32);
        for c in &self.chain {
            put_vec24(out, c)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let m = CertificateMsg {
            chain: vec![&[1, 2, 3], &[4]],
        };
        let mut out = Vec::new();
        m.emit(&mut out).unwrap();
        assert_eq!(out, [0, 0, 10, 0, 0, 3, 1, 2, 3, 0, 0, 1, 4]);
        assert_eq!(CertificateMsg::parse(&out).unwrap(), m);
        assert_eq!(
            CertificateMsg::parse(&[0, 0, 0]).unwrap().chain.len(),
            0,
            "an empty list is well-formed"
        );
        assert_eq!(
            CertificateMsg::parse(&[0, 0, 3, 0, 0, 0]),
            Err(WireError::BadLength)
        );
        assert_eq!(CertificateMsg::parse(&out[..12]), Err(WireError::Truncated));
    }
}
