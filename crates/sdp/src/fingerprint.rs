//! `a=fingerprint`: the hash of a DTLS certificate (RFC 8122 §5).

use std::fmt;

/// Longest fingerprint accepted, in bytes (SHA-512 has 64).
pub const MAX_FINGERPRINT_LEN: usize = 64;

/// The hash function of a fingerprint (RFC 8122 §5 `hash-func`, compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `sha-1`
    Sha1,
    /// `sha-224`
    Sha224,
    /// `sha-256`, what every browser sends.
    Sha256,
    /// `sha-384`
    Sha384,
    /// `sha-512`
    Sha512,
    /// `md5` (obsolete, still in the grammar)
    Md5,
    /// `md2` (obsolete, still in the grammar)
    Md2,
    /// Any other token, kept in lower case.
    Other(String),
}

impl HashAlgorithm {
    /// The `hash-func` token.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha224 => "sha-224",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
            Self::Md5 => "md5",
            Self::Md2 => "md2",
            Self::Other(s) => s,
        }
    }

    /// Parses a `hash-func` token; `None` when it is not a token.
    pub fn parse(s: &str) -> Option<Self> {
        if !crate::grammar::is_token(s) {
            return None;
        }
        let known = [
            Self::Sha1,
            Self::Sha224,
            Self::Sha256,
            Self::Sha384,
            Self::Sha512,
            Self::Md5,
            Self::Md2,
        ];
        Some(
            known
                .into_iter()
                .find(|a| s.eq_ignore_ascii_case(a.as_str()))
                .unwrap_or_else(|| Self::Other(s.to_ascii_lowercase())),
        )
    }

    /// The digest length in bytes, for the functions we know.
    pub fn digest_len(&self) -> Option<usize> {
        Some(match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
            Self::Md5 | Self::Md2 => 16,
            Self::Other(_) => return None,
        })
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate fingerprint: hash function and digest (RFC 8122 §5).
///
/// The negotiator takes our own as configuration, and reports the peer's, which the DTLS
/// layer checks against the certificate it receives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function.
    pub algorithm: HashAlgorithm,
    /// The digest bytes.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// A fingerprint from a digest.
    pub fn new(algorithm: HashAlgorithm, value: impl Into<Vec<u8>>) -> Self {
        Self {
            algorithm,
            value: value.into(),
        }
    }

    /// Parses the attribute value: `sha-256 AB:CD:...`. Hex digits of either case are
    /// accepted (RFC 8122 asks for upper case; some stacks write lower case).
    pub fn parse(s: &str) -> Option<Self> {
        let (alg, hex) = s.split_once(' ')?;
        let algorithm = HashAlgorithm::parse(alg)?;
        let hex = hex.trim_start_matches(' ');
        if hex.is_empty() || hex.len() > MAX_FINGERPRINT_LEN * 3 - 1 {
            return None;
        }
        let mut value = Vec::with_capacity(hex.len().div_ceil(3));
        for pair in hex.split(':') {
            let b = pair.as_bytes();
            if b.len() != 2 {
                return None;
            }
            value.push(hex_digit(b[0])? << 4 | hex_digit(b[1])?);
        }
        if algorithm.digest_len().is_some_and(|n| n != value.len()) {
            return None;
        }
        Some(Self { algorithm, value })
    }

    /// Whether `digest`, computed with this fingerprint's function over the peer's
    /// certificate, matches.
    pub fn matches(&self, algorithm: &HashAlgorithm, digest: &[u8]) -> bool {
        &self.algorithm == algorithm && self.value == digest
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Formats the attribute value: the function, a space, upper-case hex pairs joined by `:`.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        f.write_str(self.algorithm.as_str())?;
        f.write_str(" ")?;
        for (i, b) in self.value.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            let pair = [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
            // Both bytes are ASCII hex digits.
            f.write_str(std::str::from_utf8(&pair).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROMIUM: &str = "sha-256 74:18:5E:78:83:41:D1:B6:08:02:8B:0D:60:4D:FA:00:EA:43:69:3C:10:8F:FD:01:A9:16:17:E8:A0:DC:12:A2";

    #[test]
    fn parses_and_formats_chromium_sha256() {
        let f = Fingerprint::parse(CHROMIUM).unwrap();
        assert_eq!(f.algorithm, HashAlgorithm::Sha256);
        assert_eq!(f.value.len(), 32);
        assert_eq!(f.value[0], 0x74);
        assert_eq!(f.to_string(), CHROMIUM);
        assert!(f.matches(&HashAlgorithm::Sha256, &f.value.clone()));
    }

    #[test]
    fn case_insensitive_function_and_hex() {
        let f = Fingerprint::parse(&CHROMIUM.to_ascii_lowercase().replace("sha", "SHA")).unwrap();
        assert_eq!(f, Fingerprint::parse(CHROMIUM).unwrap());
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "",
            "sha-256",
            "sha-256 ",
            "sha-256 7:41",
            "sha-256 74:18",
            "sha-256 ZZ:18",
            "sh@ 74:18",
            "sha-1 74::18",
        ] {
            assert_eq!(Fingerprint::parse(bad), None, "{bad:?}");
        }
        let other = Fingerprint::parse("blake3 AA:BB").unwrap();
        assert_eq!(other.algorithm, HashAlgorithm::Other("blake3".into()));
    }
}
