//! `a=extmap` (RFC 8285 §8): RTP header extension ids.

use std::fmt;

use crate::Direction;
use crate::grammar::{is_visible, number};

/// One `a=extmap:<id>[/<direction>] <URI> [<attributes>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtMap {
    /// The local identifier: 1..=14 for one-byte headers, up to 255 for two-byte headers,
    /// 4096..=4351 only in offers (RFC 8285 §5, §7).
    pub id: u16,
    /// The direction the extension is used in, if restricted.
    pub direction: Option<Direction>,
    /// The extension URI.
    pub uri: String,
    /// Extension attributes, as written.
    pub attributes: Option<String>,
}

impl ExtMap {
    /// An extension with an id and a URI.
    pub fn new(id: u16, uri: &str) -> Self {
        Self {
            id,
            direction: None,
            uri: uri.to_owned(),
            attributes: None,
        }
    }

    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let (head, rest) = s.split_once(' ')?;
        let (id, direction) = match head.split_once('/') {
            Some((id, dir)) => (id, Some(Direction::from_name(dir)?)),
            None => (head, None),
        };
        let id: u16 = number(id, 4)?;
        if !(1..=255).contains(&id) && !(4096..=4351).contains(&id) {
            return None;
        }
        let rest = rest.trim_matches(' ');
        let (uri, attributes) = match rest.split_once(' ') {
            Some((u, a)) => (u, Some(a.trim_start_matches(' '))),
            None => (rest, None),
        };
        if !is_visible(uri) || attributes.is_some_and(str::is_empty) {
            return None;
        }
        Some(Self {
            id,
            direction,
            uri: uri.to_owned(),
            attributes: attributes.map(str::to_owned),
        })
    }
}

impl fmt::Display for ExtMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(d) = self.direction {
            write!(f, "/{d}")?;
        }
        write!(f, " {}", self.uri)?;
        if let Some(a) = &self.attributes {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// Well-known header extension URIs.
pub mod uri {
    /// `urn:ietf:params:rtp-hdrext:sdes:mid` (RFC 8843 §15.1): the mid of a bundled stream.
    pub const MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// `urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id` (RFC 8852 §3.1): the rid.
    pub const RTP_STREAM_ID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// `urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id` (RFC 8852 §3.2).
    pub const REPAIRED_RTP_STREAM_ID: &str =
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level` (RFC 6464).
    pub const AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// `urn:ietf:params:rtp-hdrext:toffset` (RFC 5450).
    pub const TOFFSET: &str = "urn:ietf:params:rtp-hdrext:toffset";
    /// Absolute send time (Chromium's, for REMB).
    pub const ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// Transport-wide sequence numbers for transport-cc.
    pub const TRANSPORT_CC: &str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// Coordination of video orientation (3GPP TS 26.114).
    pub const VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_direction_and_attributes() {
        let e = ExtMap::parse("4 urn:ietf:params:rtp-hdrext:sdes:mid").unwrap();
        assert_eq!((e.id, e.uri.as_str()), (4, uri::MID));
        assert_eq!(e.to_string(), "4 urn:ietf:params:rtp-hdrext:sdes:mid");
        let d = ExtMap::parse("2/recvonly urn:x:y some attrs").unwrap();
        assert_eq!(d.direction, Some(Direction::RecvOnly));
        assert_eq!(d.attributes.as_deref(), Some("some attrs"));
        assert_eq!(d.to_string(), "2/recvonly urn:x:y some attrs");
        for bad in ["", "0 urn:x", "300 urn:x", "5/both urn:x", "5", "x urn:x"] {
            assert_eq!(ExtMap::parse(bad), None, "{bad:?}");
        }
        assert_eq!(ExtMap::parse("4096 urn:x").unwrap().id, 4096);
    }
}
