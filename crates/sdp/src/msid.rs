//! `a=msid` (RFC 8830 §2): the media stream and track a media section carries.

use std::fmt;

use crate::grammar::is_token;

/// One `a=msid:<stream id> [<track id>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Msid {
    /// The MediaStream id (`-` when the track belongs to no stream).
    pub stream: String,
    /// The application data: the track id, as browsers write it.
    pub track: Option<String>,
}

impl Msid {
    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split(' ').filter(|p| !p.is_empty());
        let stream = it.next().filter(|t| is_token(t))?.to_owned();
        let track = match it.next() {
            Some(t) if is_token(t) => Some(t.to_owned()),
            Some(_) => return None,
            None => None,
        };
        if it.next().is_some() {
            return None;
        }
        Some(Self { stream, track })
    }
}

impl fmt::Display for Msid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream)?;
        if let Some(t) = &self.track {
            write!(f, " {t}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stream_and_track() {
        let m = Msid::parse(
            "fcd49060-b52a-4fbe-9a4c-4e9a8c247b2e ec72b1bf-dbb8-42a2-afc0-195158576ace",
        )
        .unwrap();
        assert_eq!(m.stream, "fcd49060-b52a-4fbe-9a4c-4e9a8c247b2e");
        assert_eq!(
            m.track.as_deref(),
            Some("ec72b1bf-dbb8-42a2-afc0-195158576ace")
        );
        assert_eq!(Msid::parse("{a} {b}").unwrap().to_string(), "{a} {b}");
        assert_eq!(Msid::parse("- t").unwrap().stream, "-");
        assert_eq!(Msid::parse(""), None);
        assert_eq!(Msid::parse("a b c"), None);
    }
}
