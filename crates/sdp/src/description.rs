//! The whole session description (RFC 8866 §5): session lines, session attributes, media
//! sections. Parsed and written by `sdp-types`; typed here.

use std::fmt;

use crate::attribute::{Entry, parse_entries};
use crate::error::{Location, ParseError, syntax_error};
use crate::{Attribute, Direction, Fingerprint, Group, IceOptions, MediaSection, Setup};

/// Longest SDP text accepted (browser offers are a few kilobytes).
pub const MAX_SDP_LEN: usize = 256 * 1024;
/// Most media sections accepted in one description.
pub const MAX_MEDIA_SECTIONS: usize = 256;

/// Session lines WebRTC does not use, kept so a description round-trips.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Envelope {
    session_information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    time_zones: Vec<sdp_types::TimeZone>,
    key: Option<sdp_types::Key>,
}

/// A typed SDP session description.
///
/// Attributes keep their order; a parsed description that is not changed is written back
/// byte for byte (through `sdp-types`), and one that is changed is written with the changed
/// attributes in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` (RFC 8866 §5.2).
    pub origin: sdp_types::Origin,
    /// `s=` (RFC 8866 §5.3; `-` in JSEP).
    pub session_name: String,
    /// Session-level `c=`.
    pub connection: Option<sdp_types::Connection>,
    /// Session-level `b=`.
    pub bandwidths: Vec<sdp_types::Bandwidth>,
    /// `t=` lines (`t=0 0` in JSEP).
    pub times: Vec<sdp_types::Time>,
    envelope: Envelope,
    attributes: Vec<Entry>,
    /// The media sections, in order.
    pub media: Vec<MediaSection>,
}

impl SessionDescription {
    /// An empty description as JSEP writes one (RFC 8829 §5.2.1): `o=- <id> <version> IN
    /// IP4 127.0.0.1`, `s=-`, `t=0 0`.
    pub fn new(session_id: u64, session_version: u64) -> Self {
        Self {
            origin: sdp_types::Origin::with_ip_addr(
                session_id,
                session_version,
                std::net::Ipv4Addr::LOCALHOST,
            ),
            session_name: "-".to_owned(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![sdp_types::Time::new(0, 0)],
            envelope: Envelope::default(),
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Parses SDP text.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// Parses SDP bytes (UTF-8, RFC 8866 §5).
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.len() > MAX_SDP_LEN {
            return Err(ParseError::TooLong(MAX_SDP_LEN));
        }
        let s = sdp_types::Session::parse(bytes).map_err(|e| syntax_error(&e))?;
        if s.medias.len() > MAX_MEDIA_SECTIONS {
            return Err(ParseError::TooManyMediaSections(MAX_MEDIA_SECTIONS));
        }
        Self::from_sdp(s)
    }

    /// Types a description `sdp-types` parsed.
    pub fn from_sdp(s: sdp_types::Session) -> Result<Self, ParseError> {
        let mut scratch = String::with_capacity(256);
        let attributes = parse_entries(s.attributes, Location::Session, &mut scratch)?;
        let mut media = Vec::with_capacity(s.medias.len());
        for (i, m) in s.medias.into_iter().enumerate() {
            media.push(MediaSection::from_sdp(m, i, &mut scratch)?);
        }
        // sdp-types writes `t=0 0` when there is no time line: hold what will be written.
        let mut times = s.times;
        if times.is_empty() {
            times.push(sdp_types::Time::new(0, 0));
        }
        Ok(Self {
            origin: s.origin,
            session_name: s.session_name,
            connection: s.connection,
            bandwidths: s.bandwidths,
            times,
            envelope: Envelope {
                session_information: s.session_description,
                uri: s.uri,
                emails: s.emails,
                phones: s.phones,
                time_zones: s.time_zones,
                key: s.key,
            },
            attributes,
            media,
        })
    }

    /// The description as `sdp-types` models it.
    pub fn to_sdp(&self) -> sdp_types::Session {
        sdp_types::Session {
            origin: self.origin.clone(),
            session_name: self.session_name.clone(),
            session_description: self.envelope.session_information.clone(),
            uri: self.envelope.uri.clone(),
            emails: self.envelope.emails.clone(),
            phones: self.envelope.phones.clone(),
            connection: self.connection.clone(),
            bandwidths: self.bandwidths.clone(),
            times: self.times.clone(),
            time_zones: self.envelope.time_zones.clone(),
            key: self.envelope.key.clone(),
            attributes: self
                .attributes
                .iter()
                .map(|e| e.to_sdp(Location::Session))
                .collect(),
            medias: self
                .media
                .iter()
                .enumerate()
                .map(|(i, m)| m.to_sdp(i))
                .collect(),
        }
    }

    /// Writes the SDP text (CRLF line ends) into `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = self.to_sdp().write(out);
    }

    /// The session-level attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.attributes.iter().map(|e| &e.attr)
    }

    /// The session-level attributes, to change in place.
    pub fn attributes_mut(&mut self) -> impl Iterator<Item = &mut Attribute> {
        self.attributes.iter_mut().map(|e| &mut e.attr)
    }

    /// Appends a session-level attribute.
    pub fn push(&mut self, attribute: Attribute) {
        self.attributes.push(Entry::new(attribute));
    }

    /// Keeps only the session-level attributes `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Attribute) -> bool) {
        self.attributes.retain(|e| keep(&e.attr));
    }

    /// Whether a session-level property attribute is present.
    pub fn has(&self, property: &Attribute) -> bool {
        self.attributes().any(|a| a == property)
    }

    /// The `a=group` lines.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.attributes().filter_map(|a| match a {
            Attribute::Group(g) => Some(g),
            _ => None,
        })
    }

    /// The BUNDLE group holding `mid`, if any (RFC 8843 §7).
    pub fn bundle_group_of(&self, mid: &str) -> Option<&Group> {
        self.groups()
            .find(|g| g.is_bundle() && g.mids.iter().any(|m| m == mid))
    }

    /// The media section with this mid, and its index.
    pub fn media_by_mid(&self, mid: &str) -> Option<(usize, &MediaSection)> {
        self.media
            .iter()
            .enumerate()
            .find(|(_, m)| m.mid() == Some(mid))
    }

    /// The direction of media section `index`: its own attribute, else the session-level
    /// one, else `sendrecv` (RFC 8866 §6.7).
    pub fn direction(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(MediaSection::direction)
            .or_else(|| {
                self.attributes().find_map(|a| match a {
                    Attribute::Direction(d) => Some(*d),
                    _ => None,
                })
            })
            .unwrap_or_default()
    }

    /// The ICE ufrag and password of media section `index`, media level first, then session
    /// level (RFC 8839 §5.4).
    pub fn ice_credentials(&self, index: usize) -> Option<(&str, &str)> {
        let m = self.media.get(index)?;
        let session = |pick: fn(&Attribute) -> Option<&str>| self.attributes().find_map(pick);
        let ufrag = m.ice_ufrag().or_else(|| {
            session(|a| match a {
                Attribute::IceUfrag(u) => Some(u),
                _ => None,
            })
        })?;
        let pwd = m.ice_pwd().or_else(|| {
            session(|a| match a {
                Attribute::IcePwd(p) => Some(p),
                _ => None,
            })
        })?;
        Some((ufrag, pwd))
    }

    /// The ICE options of media section `index`, media level first, then session level.
    pub fn ice_options(&self, index: usize) -> Option<&IceOptions> {
        self.media
            .get(index)
            .and_then(MediaSection::ice_options)
            .or_else(|| {
                self.attributes().find_map(|a| match a {
                    Attribute::IceOptions(o) => Some(o),
                    _ => None,
                })
            })
    }

    /// Whether the author is an ICE-lite agent (`a=ice-lite`, session level, RFC 8839 §5.3).
    pub fn ice_lite(&self) -> bool {
        self.has(&Attribute::IceLite)
    }

    /// The fingerprints that apply to media section `index`: its own, else the session-level
    /// ones (RFC 8122 §5).
    pub fn fingerprints(&self, index: usize) -> Vec<&Fingerprint> {
        let own: Vec<_> = self
            .media
            .get(index)
            .map(|m| m.fingerprints().collect())
            .unwrap_or_default();
        if !own.is_empty() {
            return own;
        }
        self.attributes()
            .filter_map(|a| match a {
                Attribute::Fingerprint(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    /// The `a=setup` of media section `index`, media level first, then session level.
    pub fn setup(&self, index: usize) -> Option<Setup> {
        self.media
            .get(index)
            .and_then(MediaSection::setup)
            .or_else(|| {
                self.attributes().find_map(|a| match a {
                    Attribute::Setup(s) => Some(*s),
                    _ => None,
                })
            })
    }

    /// Whether one- and two-byte header extensions may be mixed in media section `index`
    /// (`a=extmap-allow-mixed` at either level, RFC 8285 §6).
    pub fn extmap_allow_mixed(&self, index: usize) -> bool {
        self.has(&Attribute::ExtmapAllowMixed)
            || self
                .media
                .get(index)
                .is_some_and(|m| m.has(&Attribute::ExtmapAllowMixed))
    }
}

/// Writes the SDP text, CRLF line ends.
impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(4096);
        self.write_to(&mut out);
        // sdp-types writes our strings and ASCII only.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl std::str::FromStr for SessionDescription {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX_LIKE: &str = "v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=sendrecv\r\na=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\na=group:BUNDLE 0\r\na=ice-options:trickle\r\nm=audio 9 UDP/TLS/RTP/SAVPF 109\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=mid:0\r\n";

    #[test]
    fn session_level_values_apply_to_media() {
        let d = SessionDescription::parse(FIREFOX_LIKE).unwrap();
        assert_eq!(d.direction(0), Direction::SendRecv);
        assert_eq!(d.fingerprints(0).len(), 1);
        assert!(d.ice_options(0).unwrap().trickle());
        assert_eq!(
            d.ice_credentials(0),
            Some(("abcd", "0123456789012345678901"))
        );
        assert_eq!(d.bundle_group_of("0").unwrap().mids, ["0"]);
        assert_eq!(d.to_string(), FIREFOX_LIKE);
    }

    #[test]
    fn limits_and_syntax_errors() {
        assert!(matches!(
            SessionDescription::parse("x=0\r\n"),
            Err(ParseError::Syntax { .. })
        ));
        let long = "a".repeat(MAX_SDP_LEN + 1);
        assert_eq!(
            SessionDescription::parse(&long),
            Err(ParseError::TooLong(MAX_SDP_LEN))
        );
        let new = SessionDescription::new(7, 1);
        assert_eq!(
            new.to_string(),
            "v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        );
    }
}
