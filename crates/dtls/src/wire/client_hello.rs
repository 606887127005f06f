//! ClientHello (RFC 6347 §4.2.1: the TLS 1.2 ClientHello of RFC 5246 §7.4.1.2 with a cookie).
//!
//! ```text
//! client_version(2) random(32) session_id<0..32> cookie<0..2^8-1>
//! cipher_suites<2..2^16-2> compression_methods<1..2^8-1> extensions<0..2^16-1>
//! ```

use crate::error::WireError;
use crate::wire::code_points::{CipherSuite, ProtocolVersion};
use crate::wire::codec::{Reader, put_u16, put_vec8, put_vec16};
use crate::wire::extension::Extensions;

/// A ClientHello body, borrowed from the reassembled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// The highest version the client offers in the legacy field (DTLS 1.2 = 0xfefd; a
    /// DTLS 1.3 client also puts 0xfefd here and lists 1.3 in `supported_versions`).
    pub client_version: ProtocolVersion,
    /// The client random.
    pub random: [u8; 32],
    /// The session ID (we never resume; it is ignored).
    pub session_id: &'a [u8],
    /// The cookie from a HelloVerifyRequest, empty at first.
    pub cookie: &'a [u8],
    /// Offered cipher suites in the client's order of preference.
    pub cipher_suites: Vec<CipherSuite>,
    /// Compression methods (must include 0, null).
    pub compression_methods: &'a [u8],
    /// Extensions.
    pub extensions: Extensions<'a>,
}

impl<'a> ClientHello<'a> {
    /// Parses a ClientHello body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let client_version = ProtocolVersion(r.u16()?);
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(WireError::BadLength);
        }
        let cookie = r.vec8()?;
        let suites = r.vec16()?;
        if suites.is_empty() || suites.len() % 2 != 0 {
            return Err(WireError::BadLength);
        }
        let cipher_suites = suites
            .chunks_exact(2)
            .map(|c| CipherSuite(u16::from_be_bytes([c[0], c[1]])))
            .collect();
        let compression_methods = r.vec8()?;
        if compression_methods.is_empty() {
            return Err(WireError::BadLength);
        }
        let extensions = Extensions::read(&mut r)?;
        r.finish()?;
        Ok(Self {
            client_version,
            random,
            session_id,
            cookie,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_u16(out, self.client_version.0);
        out.extend_from_slice(&self.random);
        put_vec8(out, self.session_id)?;
        put_vec8(out, self.cookie)?;
        let suites: Vec<u8> = self
            .cipher_suites
            .iter()
            .flat_map(|s| s.0.to_be_bytes())
            .collect();
        put_vec16(out, &suites)?;
        put_vec8(out, self.compression_methods)?;
        self.extensions.emit(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::code_points::{NamedGroup, SignatureScheme, SrtpProfile};
    use crate::wire::extension::UseSrtp;

    fn sample() -> ClientHello<'static> {
        ClientHello {
            client_version: ProtocolVersion::DTLS_1_2,
            random: [9; 32],
            session_id: &[],
            cookie: &[1, 2, 3],
            cipher_suites: CipherSuite::SUPPORTED.to_vec(),
            compression_methods: &[0],
            extensions: Extensions {
                supported_groups: Some(NamedGroup::SUPPORTED.to_vec()),
                ec_point_formats: Some(&[0]),
                signature_algorithms: Some(SignatureScheme::VERIFIED.to_vec()),
                use_srtp: Some(UseSrtp {
                    profiles: SrtpProfile::SUPPORTED.to_vec(),
                    mki: &[],
                }),
                extended_master_secret: true,
                renegotiation_info: Some(&[]),
                supported_versions: None,
                key_share: None,
                cookie: None,
                unknown: 0,
            },
        }
    }

    #[test]
    fn round_trips() {
        let ch = sample();
        let mut out = Vec::new();
        ch.emit(&mut out).unwrap();
        assert_eq!(ClientHello::parse(&out).unwrap(), ch);
        for cut in 0..out.len() {
            // Only the cut just before the extensions is a valid (extension-less) hello.
            if let Ok(short) = ClientHello::parse(&out[..cut]) {
                assert_eq!(short.extensions, Extensions::default(), "cut at {cut}");
            }
        }
    }

    #[test]
    fn parses_chromiums_client_hello() {
        let body = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/chromium/dtls_client_hello_chromium.handshake_body.bin"
        ));
        let ch = ClientHello::parse(body).unwrap();
        assert_eq!(ch.client_version, ProtocolVersion::DTLS_1_2);
        assert!(ch.extensions.offers_dtls13());
        assert!(ch.extensions.extended_master_secret);
        assert!(
            ch.cipher_suites
                .contains(&CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
        );
        let groups = ch.extensions.supported_groups.unwrap();
        assert_eq!(groups[0], NamedGroup::X25519MLKEM768);
        assert_eq!(groups[1], NamedGroup::X25519);
        assert_eq!(
            ch.extensions.use_srtp.unwrap().profiles,
            [
                SrtpProfile::AES128_CM_HMAC_SHA1_80,
                SrtpProfile::AEAD_AES_256_GCM,
                SrtpProfile::AEAD_AES_128_GCM
            ]
        );
    }
}
