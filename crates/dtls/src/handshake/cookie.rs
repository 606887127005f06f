//! Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): an HMAC-SHA256 under a secret
//! drawn once per server, over the ClientHello fields the client must repeat (version,
//! random, session ID, cipher suites, compression methods). Checking costs one HMAC, so no
//! expensive crypto and no state happen before a client proves it receives our datagrams.

use ring::hmac;

use crate::wire::client_hello::ClientHello;
use crate::wire::code_points::{CipherSuite, NamedGroup};

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

    fn input13(body: &[u8], client_random: &[u8; 32]) -> Vec<u8> {
        let mut m = Vec::with_capacity(16 + body.len() + 32);
        m.extend_from_slice(b"dtls13 cookie");
        m.extend_from_slice(body);
        m.extend_from_slice(client_random);
        m
    }

    /// The cookie of a DTLS 1.3 HelloRetryRequest (RFC 8446 §4.2.2, RFC 9147 §5.1): what the
    /// server must remember of the first ClientHello (the suite, the group asked for, the
    /// hash of that ClientHello for the transcript), authenticated with the client's random,
    /// which the second ClientHello repeats.
    pub fn seal13(
        &self,
        suite: CipherSuite,
        group: Option<NamedGroup>,
        client_hello_hash: &[u8],
        client_random: &[u8; 32],
    ) -> Vec<u8> {
        let mut body = Vec::with_capacity(6 + client_hello_hash.len() + COOKIE_LEN);
        body.push(COOKIE13_FORMAT);
        body.extend_from_slice(&suite.0.to_be_bytes());
        body.extend_from_slice(&group.map_or(0, |g| g.0).to_be_bytes());
        // A SHA-256 or SHA-384 hash: fits one byte.
        body.push(client_hello_hash.len() as u8);
        body.extend_from_slice(client_hello_hash);
        let tag = hmac::sign(&self.key, &Self::input13(&body, client_random));
        body.extend_from_slice(tag.as_ref());
        body
    }

    /// Opens a DTLS 1.3 cookie we made for this client random; `None` when it is not ours
    /// (constant-time tag check).
    pub fn open13(&self, cookie: &[u8], client_random: &[u8; 32]) -> Option<CookieState13> {
        let body_len = cookie.len().checked_sub(COOKIE_LEN)?;
        let (body, tag) = cookie.split_at(body_len);
        hmac::verify(&self.key, &Self::input13(body, client_random), tag).ok()?;
        let (&format, rest) = body.split_first()?;
        if format != COOKIE13_FORMAT || rest.len() < 5 {
            return None;
        }
        let suite = CipherSuite(u16::from_be_bytes([rest[0], rest[1]]));
        let group = u16::from_be_bytes([rest[2], rest[3]]);
        let hash_len = usize::from(rest[4]);
        let hash = rest.get(5..)?;
        if hash.len() != hash_len {
            return None;
        }
        Some(CookieState13 {
            suite,
            group: (group != 0).then_some(NamedGroup(group)),
            client_hello_hash: hash.to_vec(),
        })
    }
}

/// The format byte of our DTLS 1.3 cookies.
const COOKIE13_FORMAT: u8 = 1;

/// What a DTLS 1.3 cookie carries from the first ClientHello to the second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieState13 {
    /// The suite the HelloRetryRequest named.
    pub suite: CipherSuite,
    /// The group it asked a share for, if any.
    pub group: Option<NamedGroup>,
    /// The hash of the first ClientHello (RFC 8446 §4.4.1 message_hash).
    pub client_hello_hash: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::code_points::ProtocolVersion;
    use crate::wire::extension::Extensions;

    #[test]
    fn dtls13_cookie_carries_the_state_and_binds_the_random() {
        let key = CookieKey::new(&[5; 32]);
        let hash = [9u8; 32];
        let c = key.seal13(
            CipherSuite::TLS_AES_128_GCM_SHA256,
            Some(NamedGroup::X25519),
            &hash,
            &[1; 32],
        );
        let state = key.open13(&c, &[1; 32]).unwrap();
        assert_eq!(state.suite, CipherSuite::TLS_AES_128_GCM_SHA256);
        assert_eq!(state.group, Some(NamedGroup::X25519));
        assert_eq!(state.client_hello_hash, hash);
        assert_eq!(key.open13(&c, &[2; 32]), None, "another random");
        assert_eq!(CookieKey::new(&[6; 32]).open13(&c, &[1; 32]), None);
        let mut bad = c.clone();
        bad[3] ^= 1;
        assert_eq!(key.open13(&bad, &[1; 32]), None);
        for cut in 0..c.len() {
            assert_eq!(key.open13(&c[..cut], &[1; 32]), None);
        }
        let none = key.seal13(
            CipherSuite::TLS_AES_256_GCM_SHA384,
            None,
            &[1; 48],
            &[1; 32],
        );
        assert_eq!(key.open13(&none, &[1; 32]).unwrap().group, None);
    }

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
