//! ClientKeyExchange for ECDHE (RFC 8422 §5.7): `ecdh_Yc<1..2^8-1>`, the client's
//! ephemeral public key.

use crate::error::WireError;
use crate::wire::codec::{Reader, put_vec8};

/// An ECDHE ClientKeyExchange body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKeyExchange<'a> {
    /// The client's ephemeral public key in the group the server chose.
    pub public: &'a [u8],
}

impl<'a> ClientKeyExchange<'a> {
    /// Parses a ClientKeyExchange body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let public = r.vec8()?;
        r.finish()?;
        if public.is_empty() {
            return Err(WireError::BadLength);
        }
        Ok(Self { public })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_vec8(out, self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cke = ClientKeyExchange { public: &[4; 65] };
        let mut out = Vec::new();
        cke.emit(&mut out).unwrap();
        assert_eq!(ClientKeyExchange::parse(&out), Ok(cke));
        assert_eq!(ClientKeyExchange::parse(&[0]), Err(WireError::BadLength));
        assert_eq!(ClientKeyExchange::parse(&[2, 1]), Err(WireError::Truncated));
    }
}
