//! Small pieces of the SDP grammar shared by the attribute parsers (RFC 8866 §9).

/// RFC 8866 §9 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&b))
}

/// `ice-char = ALPHA / DIGIT / "+" / "/"` (RFC 8839 §5.4).
pub(crate) fn is_ice_chars(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// A decimal number of at most `max_digits` digits, no sign, no spaces.
pub(crate) fn number<T: std::str::FromStr>(s: &str, max_digits: usize) -> Option<T> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// An RTP payload type: 0 to 127 (RFC 3550 §5.1, 7 bits).
pub(crate) fn payload_type(s: &str) -> Option<u8> {
    number::<u8>(s, 3).filter(|pt| *pt <= 127)
}

/// Visible characters only (RFC 8866 §9 `byte-string` minus spaces).
pub(crate) fn is_visible(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_pieces() {
        assert!(is_token("webrtc-datachannel"));
        assert!(!is_token("a b") && !is_token(""));
        assert!(is_ice_chars("9HDN") && !is_ice_chars("a:b"));
        assert_eq!(number::<u32>("48000", 10), Some(48000));
        assert_eq!(number::<u32>("+1", 10), None);
        assert_eq!(payload_type("127"), Some(127));
        assert_eq!(payload_type("128"), None);
        assert_eq!(payload_type("0111"), None);
        assert!(is_visible("a=b") && !is_visible("a b"));
    }
}
