//! Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): an HMAC-SHA256 under a secret
//! drawn once per server, over the ClientHello fields the client must repeat (version,
//! random, session ID, cipher suites, compression methods). Checking costs one HMAC, so no
//! expensive crypto and no state happen before a client proves it receives our datagrams.

use ring::hmac;

use crate::wire::client_hello::ClientHello;

/// Length of our cookies.
pub const COOKIE_LEN: usize = 32;

/// The cookie secret of one server.
#[derive(Debug)]
pub struct CookieKey {
    key: hmac::Key,
}

impl CookieKey {
    /// A key from 32 secret bytes.
    pub fn new(secret: &[u8; 32]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    fn input(ch: &ClientHello<'_>) -> Vec<u8> {
        let mut m = Vec::with_capacity(64 + ch.cipher_suites.len() * 2);
        m.extend_from_slice(&ch.client_version.0.to_be_bytes());
        m.extend_from_slice(&ch.random);
        m.push(ch.session_id.len() as u8);
        m.extend_from_slice(ch.session_id);
        for s in &ch.cipher_suites {
            m.extend_from_slice(&s.0.to_be_bytes());
        }
        m.push(ch.compression_methods.len() as u8);
        m.extend_from_slice(ch.compression_methods);
        m
    }

    /// The cookie for this ClientHello.
    pub fn cookie(&self, ch: &ClientHello<'_>) -> [u8; COOKIE_LEN] {
        let tag = hmac::sign(&self.key, &Self::input(ch));
        let mut out = [0u8; COOKIE_LEN];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// True when the ClientHello carries the cookie we would give it (constant time).
    pub fn verify(&self, ch: &ClientHello<'_>) -> bool {
        hmac::verify(&self.key, &Self::input(ch), ch.cookie).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::code_points::{CipherSuite, ProtocolVersion};
    use crate::wire::extension::Extensions;

    #[test]
    fn cookie_binds_the_client_hello() {
        let key = CookieKey::new(&[5; 32]);
        let mut ch = ClientHello {
            client_version: ProtocolVersion::DTLS_1_2,
            random: [1; 32],
            session_id: &[],
            cookie: &[],
            cipher_suites: vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
            compression_methods: &[0],
            extensions: Extensions::default(),
        };
        assert!(!key.verify(&ch));
        let c = key.cookie(&ch);
        ch.cookie = &c;
        assert!(key.verify(&ch));
        ch.random[0] = 2;
        assert!(!key.verify(&ch), "another random, another cookie");
        ch.random[0] = 1;
        assert!(!CookieKey::new(&[6; 32]).verify(&ch), "another secret");
    }
}
