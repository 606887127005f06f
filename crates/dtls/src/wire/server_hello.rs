//! ServerHello (RFC 5246 §7.4.1.3).
//!
//! ```text
//! server_version(2) random(32) session_id<0..32> cipher_suite(2) compression_method(1)
//! extensions<0..2^16-1>
//! ```

use crate::error::WireError;
use crate::wire::code_points::{CipherSuite, ProtocolVersion};
use crate::wire::codec::{Reader, put_u16, put_vec8};
use crate::wire::extension::Extensions;

/// A ServerHello body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// The negotiated version.
    pub server_version: ProtocolVersion,
    /// The server random.
    pub random: [u8; 32],
    /// The session ID (we send an empty one: no resumption).
    pub session_id: &'a [u8],
    /// The selected cipher suite.
    pub cipher_suite: CipherSuite,
    /// The selected compression method (0).
    pub compression_method: u8,
    /// Extensions.
    pub extensions: Extensions<'a>,
}

impl<'a> ServerHello<'a> {
    /// Parses a ServerHello body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let server_version = ProtocolVersion(r.u16()?);
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(WireError::BadLength);
        }
        let cipher_suite = CipherSuite(r.u16()?);
        let compression_method = r.u8()?;
        let extensions = Extensions::read(&mut r)?;
        r.finish()?;
        Ok(Self {
            server_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_u16(out, self.server_version.0);
        out.extend_from_slice(&self.random);
        put_vec8(out, self.session_id)?;
        put_u16(out, self.cipher_suite.0);
        out.push(self.compression_method);
        self.extensions.emit(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::code_points::SrtpProfile;
    use crate::wire::extension::UseSrtp;

    #[test]
    fn round_trips() {
        let sh = ServerHello {
            server_version: ProtocolVersion::DTLS_1_2,
            random: [3; 32],
            session_id: &[],
            cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            compression_method: 0,
            extensions: Extensions {
                use_srtp: Some(UseSrtp {
                    profiles: vec![SrtpProfile::AEAD_AES_128_GCM],
                    mki: &[],
                }),
                extended_master_secret: true,
                renegotiation_info: Some(&[]),
                ec_point_formats: Some(&[0]),
                ..Extensions::default()
            },
        };
        let mut out = Vec::new();
        sh.emit(&mut out).unwrap();
        assert_eq!(ServerHello::parse(&out).unwrap(), sh);
        assert!(ServerHello::parse(&out[..out.len() - 1]).is_err());
    }
}
