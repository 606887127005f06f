//! ServerKeyExchange for ECDHE (RFC 8422 §5.4, with the TLS 1.2 signature of RFC 5246
//! §7.4.3).
//!
//! ```text
//! curve_type(1) = named_curve(3), namedcurve(2), point<1..2^8-1>,
//! signature_algorithm(2), signature<0..2^16-1>
//! ```
//! The signature covers `client_random || server_random || params`, where params are the
//! first three fields as sent.

use crate::error::WireError;
use crate::wire::code_points::{NamedGroup, SignatureScheme};
use crate::wire::codec::{Reader, put_u16, put_vec8, put_vec16};

/// `ECCurveType.named_curve`.
pub const NAMED_CURVE: u8 = 3;

/// An ECDHE ServerKeyExchange body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerKeyExchange<'a> {
    /// The group of the ephemeral key.
    pub group: NamedGroup,
    /// The server's ephemeral public key (X25519: 32 bytes; P-256: 65 bytes uncompressed).
    pub public: &'a [u8],
    /// The signature scheme.
    pub scheme: SignatureScheme,
    /// The signature.
    pub signature: &'a [u8],
}

impl<'a> ServerKeyExchange<'a> {
    /// Parses an ECDHE ServerKeyExchange body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        if r.u8()? != NAMED_CURVE {
            return Err(WireError::UnsupportedCurveType);
        }
        let group = NamedGroup(r.u16()?);
        let public = r.vec8()?;
        let scheme = SignatureScheme(r.u16()?);
        let signature = r.vec16()?;
        r.finish()?;
        Ok(Self {
            group,
            public,
            scheme,
            signature,
        })
    }

    /// The signed `ServerECDHParams` bytes: curve type, group and point.
    pub fn params(group: NamedGroup, public: &[u8]) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::with_capacity(4 + public.len());
        out.push(NAMED_CURVE);
        put_u16(&mut out, group.0);
        put_vec8(&mut out, public)?;
        Ok(out)
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&Self::params(self.group, self.public)?);
        put_u16(out, self.scheme.0);
        put_vec16(out, self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let ske = ServerKeyExchange {
            group: NamedGroup::X25519,
            public: &[7; 32],
            scheme: SignatureScheme::ECDSA_SECP256R1_SHA256,
            signature: &[1; 70],
        };
        let mut out = Vec::new();
        ske.emit(&mut out).unwrap();
        assert_eq!(out.len(), 4 + 32 + 4 + 70);
        assert_eq!(ServerKeyExchange::parse(&out), Ok(ske));
        out[0] = 1;
        assert_eq!(
            ServerKeyExchange::parse(&out),
            Err(WireError::UnsupportedCurveType)
        );
    }
}
