//! ICE credentials: the username fragment and password (RFC 8445 §5.3, RFC 8839 §5.4).

use rand::Rng;
use rtcweb_stun::IntegrityKey;

use crate::candidate::is_ice_char;
use crate::{Config, IceError};

const ICE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One side's ICE credentials (`a=ice-ufrag`, `a=ice-pwd`).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Username fragment: 4 to 256 ice-chars (RFC 8839 §5.4).
    pub ufrag: String,
    /// Password: 22 to 256 ice-chars (RFC 8839 §5.4).
    pub pwd: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is a secret: keep it out of logs.
        f.debug_struct("Credentials")
            .field("ufrag", &self.ufrag)
            .field("pwd", &"<hidden>")
            .finish()
    }
}

impl Credentials {
    /// Credentials from signalling.
    pub fn new(ufrag: impl Into<String>, pwd: impl Into<String>) -> Self {
        Self {
            ufrag: ufrag.into(),
            pwd: pwd.into(),
        }
    }

    /// Fresh random credentials: an 8-character ufrag and a 24-character password, 144 bits of
    /// randomness (RFC 8445 §5.3 asks for at least 24 and 128 bits).
    pub fn random(rng: &mut impl Rng) -> Self {
        let mut pick = |n: usize| -> String {
            (0..n)
                .map(|_| ICE_CHARS[rng.random_range(0..ICE_CHARS.len())] as char)
                .collect()
        };
        let ufrag = pick(8);
        let pwd = pick(24);
        Self { ufrag, pwd }
    }

    /// Whether both fields follow the grammar of RFC 8839 §5.4. The agent accepts remote
    /// credentials with a shorter ufrag or password too (some stacks send them), but never
    /// empty ones or ones with characters outside the grammar.
    pub fn is_well_formed(&self) -> bool {
        let ok = |s: &str, min: usize| (min..=256).contains(&s.len()) && s.bytes().all(is_ice_char);
        ok(&self.ufrag, 4) && ok(&self.pwd, 22)
    }

    pub(crate) fn is_usable(&self) -> bool {
        let ok = |s: &str| (1..=256).contains(&s.len()) && s.bytes().all(is_ice_char);
        ok(&self.ufrag) && ok(&self.pwd)
    }

    /// The short-term MESSAGE-INTEGRITY key made from the password (RFC 8489 §9.1.1).
    pub(crate) fn key(&self) -> Option<IntegrityKey> {
        IntegrityKey::short_term(&self.pwd).ok()
    }
}

/// Who the agent is in the current ICE generation: its credentials and key, its role and
/// tie-breaker (RFC 8445 §7.3.1.1), and the peer's credentials and key once signalled.
#[derive(Debug)]
pub(crate) struct Session {
    controlling: bool,
    tie_breaker: u64,
    local: Credentials,
    local_key: IntegrityKey,
    remote: Option<Credentials>,
    remote_key: Option<IntegrityKey>,
    generation: u32,
}

impl Session {
    /// Generation 0: the configured credentials (or random ones), the configured role (a lite
    /// agent is always controlled, RFC 8445 §6.1.1) and a random tie-breaker.
    pub(crate) fn new(config: &Config, rng: &mut impl Rng) -> Result<Self, IceError> {
        let local = config
            .credentials
            .clone()
            .unwrap_or_else(|| Credentials::random(rng));
        if !local.is_usable() {
            return Err(IceError::InvalidCredentials);
        }
        let local_key = local.key().ok_or(IceError::InvalidCredentials)?;
        Ok(Self {
            controlling: config.controlling && !config.lite,
            tie_breaker: rng.random(),
            local,
            local_key,
            remote: None,
            remote_key: None,
            generation: 0,
        })
    }

    pub(crate) fn is_controlling(&self) -> bool {
        self.controlling
    }

    /// Takes `controlling` as the role; returns whether it changed.
    pub(crate) fn set_controlling(&mut self, controlling: bool) -> bool {
        std::mem::replace(&mut self.controlling, controlling) != controlling
    }

    pub(crate) fn tie_breaker(&self) -> u64 {
        self.tie_breaker
    }

    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    pub(crate) fn local(&self) -> &Credentials {
        &self.local
    }

    /// The key checks to us are authenticated with (our password).
    pub(crate) fn local_key(&self) -> &IntegrityKey {
        &self.local_key
    }

    pub(crate) fn remote(&self) -> Option<&Credentials> {
        self.remote.as_ref()
    }

    /// The key of our checks and of the answers to them (the peer's password).
    pub(crate) fn remote_key(&self) -> Option<&IntegrityKey> {
        self.remote_key.as_ref()
    }

    /// The peer's credentials; `Ok(false)` when they are the ones already known.
    pub(crate) fn set_remote(&mut self, credentials: Credentials) -> Result<bool, IceError> {
        if !credentials.is_usable() {
            return Err(IceError::InvalidCredentials);
        }
        if self.remote.as_ref() == Some(&credentials) {
            return Ok(false);
        }
        self.remote_key = credentials.key();
        if self.remote_key.is_none() {
            return Err(IceError::InvalidCredentials);
        }
        self.remote = Some(credentials);
        Ok(true)
    }

    /// ICE restart (RFC 8445 §9): the next generation with new local credentials (random
    /// ones if `credentials` are unusable); the peer's are forgotten until signalled again.
    pub(crate) fn restart(&mut self, credentials: Credentials, rng: &mut impl Rng) {
        self.generation += 1;
        self.local = if credentials.is_usable() {
            credentials
        } else {
            Credentials::random(rng)
        };
        if let Some(key) = self.local.key() {
            self.local_key = key;
        }
        self.remote = None;
        self.remote_key = None;
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn random_credentials_follow_the_grammar() {
        let mut rng = StdRng::seed_from_u64(7);
        let a = Credentials::random(&mut rng);
        let b = Credentials::random(&mut rng);
        assert!(a.is_well_formed() && b.is_well_formed());
        assert_ne!(a, b);
        assert!(!format!("{a:?}").contains(&a.pwd));
        assert!(!Credentials::new("ab", "x".repeat(22)).is_well_formed());
        assert!(!Credentials::new("ab:c", "x".repeat(22)).is_usable());
    }
}
