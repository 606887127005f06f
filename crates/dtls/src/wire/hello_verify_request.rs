//! HelloVerifyRequest (RFC 6347 §4.2.1): `server_version(2) cookie<0..2^8-1>`.

use crate::error::WireError;
use crate::wire::code_points::ProtocolVersion;
use crate::wire::codec::{Reader, put_u16, put_vec8};

/// A HelloVerifyRequest body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloVerifyRequest<'a> {
    /// RFC 6347 §4.2.1: DTLS 1.0 (0xfeff) whatever version is negotiated later; clients
    /// must not use it to choose a version.
    pub server_version: ProtocolVersion,
    /// The cookie to echo in the next ClientHello.
    pub cookie: &'a [u8],
}

impl<'a> HelloVerifyRequest<'a> {
    /// Parses a HelloVerifyRequest body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let server_version = ProtocolVersion(r.u16()?);
        let cookie = r.vec8()?;
        r.finish()?;
        Ok(Self {
            server_version,
            cookie,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_u16(out, self.server_version.0);
        put_vec8(out, self.cookie)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let hvr = HelloVerifyRequest {
            server_version: ProtocolVersion::DTLS_1_0,
            cookie: &[0xab; 32],
        };
        let mut out = Vec::new();
        hvr.emit(&mut out).unwrap();
        assert_eq!(out.len(), 2 + 1 + 32);
        assert_eq!(HelloVerifyRequest::parse(&out), Ok(hvr));
        assert_eq!(
            HelloVerifyRequest::parse(&out[..10]),
            Err(WireError::Truncated)
        );
    }
}
