//! ICE credentials: the username fragment and password (RFC 8445 §5.3, RFC 8839 §5.4).

use rand::Rng;
use rtcweb_stun::IntegrityKey;

use crate::candidate::is_ice_char;

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
