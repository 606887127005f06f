//! The nonce cookie of RFC 8489 §9.2: a NONCE that starts with `obMatJos2` and four base64
//! characters announces the server's STUN Security Features (24 bits).

/// The prefix of a NONCE that carries STUN Security Features (RFC 8489 §9.2).
pub const NONCE_COOKIE: &str = "obMatJos2";

/// The STUN Security Features a server announced in its nonce cookie (RFC 8489 §9.2, §18.1).
///
/// Bit 0 is "Password algorithms" (the server takes PASSWORD-ALGORITHMS and
/// PASSWORD-ALGORITHM, §9.2.4 and §9.2.5), bit 1 "Username anonymity" (the client sends
/// USERHASH instead of USERNAME, §9.2.5). RFC 8489 Errata 6290 (verified) counts bit 0 from
/// the right of the 24 bits, which Appendix B.1's `obMatJos2AAAC` (USERHASH only) agrees
/// with; the example exchange of RFC 8656 (`obMatJos2gAAA` with PASSWORD-ALGORITHMS) and
/// stun-rs's `Nonce::new_nonce_cookie` count from the left. Both readings are honoured: each
/// feature only adds protection, and no other bit is assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SecurityFeatures {
    bits: u32,
}

/// "Password algorithms", RFC 8489 §18.1 with Errata 6290: bit 0, the rightmost.
const PASSWORD_ALGORITHMS: u32 = 1;
/// "Username anonymity": bit 1.
const USERNAME_ANONYMITY: u32 = 1 << 1;
/// The same bits counted from the left of the 24 (RFC 8656's example, stun-rs).
const PASSWORD_ALGORITHMS_LEFT: u32 = 1 << 23;
/// Username anonymity counted from the left.
const USERNAME_ANONYMITY_LEFT: u32 = 1 << 22;

impl SecurityFeatures {
    /// The features announced in `nonce`, or `None` when the nonce carries no cookie (every
    /// deployed TURN server) or its four feature characters are not base64.
    pub fn from_nonce(nonce: &str) -> Option<Self> {
        let encoded = nonce.strip_prefix(NONCE_COOKIE)?.as_bytes().get(..4)?;
        let mut bits = 0u32;
        for &c in encoded {
            bits = (bits << 6) | u32::from(base64_value(c)?);
        }
        Some(Self { bits })
    }

    /// The 24 feature bits as sent (the leftmost in bit 23 of the result).
    pub fn bits(self) -> u32 {
        self.bits
    }

    /// "Password algorithms": the server lists PASSWORD-ALGORITHMS and expects it echoed with
    /// a PASSWORD-ALGORITHM choice (RFC 8489 §9.2.5).
    pub fn password_algorithms(self) -> bool {
        self.bits & (PASSWORD_ALGORITHMS | PASSWORD_ALGORITHMS_LEFT) != 0
    }

    /// "Username anonymity": requests carry USERHASH instead of USERNAME (RFC 8489 §9.2.5).
    pub fn username_anonymity(self) -> bool {
        self.bits & (USERNAME_ANONYMITY | USERNAME_ANONYMITY_LEFT) != 0
    }
}

/// The value of one character of the standard base64 alphabet (RFC 4648 §4).
fn base64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use stun_rs::attributes::stun::Nonce;
    use stun_rs::attributes::stun::nonce_cookie::StunSecurityFeatures;

    use super::*;

    #[test]
    fn cookie_of_rfc8489_appendix_b1_asks_for_username_anonymity_only() {
        // "AAAC" = 0x000002: bit 1 from the right (Errata 6290), the USERHASH of Appendix B.1.
        let f = SecurityFeatures::from_nonce("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA").unwrap();
        assert_eq!(f.bits(), 2);
        assert!(f.username_anonymity());
        assert!(!f.password_algorithms());
        let f = SecurityFeatures::from_nonce("obMatJos2AAAD").unwrap();
        assert!(f.username_anonymity() && f.password_algorithms());
    }

    #[test]
    fn cookies_written_by_stun_rs_are_read() {
        // stun-rs counts from the left, as RFC 8656's example "obMatJos2gAAA..." does.
        for (flags, algorithms, anonymity) in [
            (StunSecurityFeatures::PasswordAlgorithms.into(), true, false),
            (StunSecurityFeatures::UserNameAnonymity.into(), false, true),
            (
                StunSecurityFeatures::PasswordAlgorithms | StunSecurityFeatures::UserNameAnonymity,
                true,
                true,
            ),
        ] {
            let nonce = Nonce::new_nonce_cookie("xyz", Some(flags)).unwrap();
            let f = SecurityFeatures::from_nonce(nonce.as_str()).unwrap();
            assert_eq!(f.password_algorithms(), algorithms, "{nonce:?}");
            assert_eq!(f.username_anonymity(), anonymity, "{nonce:?}");
        }
        let f = SecurityFeatures::from_nonce("obMatJos2gAAAadl7W7PeDU4hKE72jda").unwrap();
        assert!(f.password_algorithms() && !f.username_anonymity());
    }

    #[test]
    fn nonces_without_a_cookie_carry_no_features() {
        // coturn's nonces are hex; RFC 5769's is plain base64.
        for nonce in [
            "4d7a8c2f0b1e9a36",
            "f//499k954d6OL34oL9FSTvy64sA",
            "obMatJos2",
            "obMatJos2AA",
            "obMatJos2AA=A",
            "obMatJos2AA\u{e9}",
        ] {
            assert_eq!(SecurityFeatures::from_nonce(nonce), None, "{nonce}");
        }
        assert_eq!(
            SecurityFeatures::from_nonce("obMatJos2AAAA"),
            Some(SecurityFeatures::default())
        );
    }
}
