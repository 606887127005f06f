//! One `a=` line, typed: every attribute WebRTC negotiates, and the others kept as written.
//!
//! Each parsed line remembers its text when our canonical form differs from it (a `UDP`
//! candidate transport, `; ` between fmtp parameters, lower-case fingerprint hex). The text
//! is written back as long as it still parses to the typed value, so an unchanged
//! description round-trips byte for byte, and a changed value is written in canonical form.

use std::fmt::Write as _;

use base64::Engine as _;

use rtcweb_ice::Candidate;

use crate::error::{Location, ParseError};
use crate::grammar::{is_ice_chars, is_token, is_visible, number};
use crate::{
    Direction, ExtMap, Fingerprint, Fmtp, Group, IceOptions, Msid, Rid, RtcpFeedback, RtpMap,
    Setup, Simulcast, Ssrc, SsrcGroup,
};

/// A typed SDP attribute (`a=<name>[:<value>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute {
    /// `a=group` (RFC 5888 §5; BUNDLE, RFC 8843 §7).
    Group(Group),
    /// `a=mid` (RFC 5888 §4): the media section's identification tag.
    Mid(String),
    /// `a=sendrecv` / `a=sendonly` / `a=recvonly` / `a=inactive` (RFC 8866 §6.7).
    Direction(Direction),
    /// `a=rtcp-mux` (RFC 5761 §5.1.1).
    RtcpMux,
    /// `a=rtcp-mux-only` (RFC 8858 §3).
    RtcpMuxOnly,
    /// `a=rtcp-rsize` (RFC 5506 §5).
    RtcpRsize,
    /// `a=bundle-only` (RFC 8843 §6).
    BundleOnly,
    /// `a=ice-ufrag` (RFC 8839 §5.4).
    IceUfrag(String),
    /// `a=ice-pwd` (RFC 8839 §5.4).
    IcePwd(String),
    /// `a=ice-options` (RFC 8839 §5.6).
    IceOptions(IceOptions),
    /// `a=ice-lite` (RFC 8839 §5.3).
    IceLite,
    /// `a=candidate` (RFC 8839 §5.1), through the ICE crate's candidate type (boxed: it is
    /// the largest attribute, and descriptions hold many small ones).
    Candidate(Box<Candidate>),
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    EndOfCandidates,
    /// `a=fingerprint` (RFC 8122 §5).
    Fingerprint(Fingerprint),
    /// `a=setup` (RFC 4145 §4, RFC 8842).
    Setup(Setup),
    /// `a=rtpmap` (RFC 8866 §6.6).
    RtpMap(RtpMap),
    /// `a=fmtp` (RFC 8866 §6.15).
    Fmtp(Fmtp),
    /// `a=rtcp-fb` (RFC 4585 §4.2).
    RtcpFeedback(RtcpFeedback),
    /// `a=extmap` (RFC 8285 §8).
    ExtMap(ExtMap),
    /// `a=extmap-allow-mixed` (RFC 8285 §6).
    ExtmapAllowMixed,
    /// `a=ssrc` (RFC 5576 §4.1).
    Ssrc(Ssrc),
    /// `a=ssrc-group` (RFC 5576 §4.2).
    SsrcGroup(SsrcGroup),
    /// `a=msid` (RFC 8830 §2).
    Msid(Msid),
    /// `a=rid` (RFC 8851 §10).
    Rid(Rid),
    /// `a=simulcast` (RFC 8853 §5.1).
    Simulcast(Simulcast),
    /// `a=sctp-port` (RFC 8841 §5.1).
    SctpPort(u16),
    /// `a=max-message-size` (RFC 8841 §6.1; 0 means no limit).
    MaxMessageSize(u64),
    /// `a=sctp-init` (SNAP, draft-hancke-tsvwg-snap): the SCTP INIT chunk of the end that
    /// writes it, base64 on the wire, decoded here (at most 1024 bytes).
    SctpInit(Vec<u8>),
    /// Any attribute we do not model, as written (`a=rtcp`, `a=msid-semantic`, ...).
    Other {
        /// The attribute name.
        name: String,
        /// The value after the first `:`, if any.
        value: Option<String>,
    },
}

impl Attribute {
    /// Parses one attribute. Names are case-sensitive, as browsers treat them; a name we
    /// model whose value breaks its grammar is an error, any other name is kept as
    /// [`Attribute::Other`].
    pub fn parse(name: &str, value: Option<&str>, location: Location) -> Result<Self, ParseError> {
        let invalid = |attribute: &'static str| ParseError::InvalidAttribute {
            attribute,
            location,
        };
        if let Some(direction) = Direction::from_name(name) {
            return match value {
                None => Ok(Self::Direction(direction)),
                Some(_) => Err(invalid(direction.as_str())),
            };
        }
        let property = |attr: Self, n: &'static str| match value {
            None => Ok(attr),
            Some(_) => Err(invalid(n)),
        };
        macro_rules! valued {
            ($n:literal, $parse:expr) => {{
                let parse = $parse;
                value.and_then(parse).ok_or_else(|| invalid($n))
            }};
        }
        match name {
            "group" => valued!("group", Group::parse).map(Self::Group),
            "mid" => valued!("mid", |v: &str| is_token(v).then(|| v.to_owned())).map(Self::Mid),
            "rtcp-mux" => property(Self::RtcpMux, "rtcp-mux"),
            "rtcp-mux-only" => property(Self::RtcpMuxOnly, "rtcp-mux-only"),
            "rtcp-rsize" => property(Self::RtcpRsize, "rtcp-rsize"),
            "bundle-only" => property(Self::BundleOnly, "bundle-only"),
            "ice-lite" => property(Self::IceLite, "ice-lite"),
            "end-of-candidates" => property(Self::EndOfCandidates, "end-of-candidates"),
            "extmap-allow-mixed" => property(Self::ExtmapAllowMixed, "extmap-allow-mixed"),
            "ice-ufrag" => valued!("ice-ufrag", |v: &str| is_visible(v).then(|| v.to_owned()))
                .map(Self::IceUfrag),
            "ice-pwd" => {
                valued!("ice-pwd", |v: &str| is_visible(v).then(|| v.to_owned())).map(Self::IcePwd)
            }
            "ice-options" => valued!("ice-options", IceOptions::parse).map(Self::IceOptions),
            "candidate" => {
                let v = value.ok_or_else(|| invalid("candidate"))?;
                Candidate::parse(v)
                    .map(|c| Self::Candidate(Box::new(c)))
                    .map_err(|error| ParseError::InvalidCandidate { location, error })
            }
            "fingerprint" => valued!("fingerprint", Fingerprint::parse).map(Self::Fingerprint),
            "setup" => valued!("setup", Setup::parse).map(Self::Setup),
            "rtpmap" => valued!("rtpmap", RtpMap::parse).map(Self::RtpMap),
            "fmtp" => valued!("fmtp", Fmtp::parse).map(Self::Fmtp),
            "rtcp-fb" => valued!("rtcp-fb", RtcpFeedback::parse).map(Self::RtcpFeedback),
            "extmap" => valued!("extmap", ExtMap::parse).map(Self::ExtMap),
            "ssrc" => valued!("ssrc", Ssrc::parse).map(Self::Ssrc),
            "ssrc-group" => valued!("ssrc-group", SsrcGroup::parse).map(Self::SsrcGroup),
            "msid" => valued!("msid", Msid::parse).map(Self::Msid),
            "rid" => valued!("rid", Rid::parse).map(Self::Rid),
            "simulcast" => valued!("simulcast", Simulcast::parse).map(Self::Simulcast),
            "sctp-port" => valued!("sctp-port", |v: &str| number(v, 5)).map(Self::SctpPort),
            "sctp-init" => valued!("sctp-init", sctp_init).map(Self::SctpInit),
            "max-message-size" => {
                valued!("max-message-size", |v: &str| number(v, 20)).map(Self::MaxMessageSize)
            }
            _ => Ok(Self::Other {
                name: name.to_owned(),
                value: value.map(str::to_owned),
            }),
        }
    }

    /// The attribute name.
    pub fn name(&self) -> &str {
        match self {
            Self::Group(_) => "group",
            Self::Mid(_) => "mid",
            Self::Direction(d) => d.as_str(),
            Self::RtcpMux => "rtcp-mux",
            Self::RtcpMuxOnly => "rtcp-mux-only",
            Self::RtcpRsize => "rtcp-rsize",
            Self::BundleOnly => "bundle-only",
            Self::IceUfrag(_) => "ice-ufrag",
            Self::IcePwd(_) => "ice-pwd",
            Self::IceOptions(_) => "ice-options",
            Self::IceLite => "ice-lite",
            Self::Candidate(_) => "candidate",
            Self::EndOfCandidates => "end-of-candidates",
            Self::Fingerprint(_) => "fingerprint",
            Self::Setup(_) => "setup",
            Self::RtpMap(_) => "rtpmap",
            Self::Fmtp(_) => "fmtp",
            Self::RtcpFeedback(_) => "rtcp-fb",
            Self::ExtMap(_) => "extmap",
            Self::ExtmapAllowMixed => "extmap-allow-mixed",
            Self::Ssrc(_) => "ssrc",
            Self::SsrcGroup(_) => "ssrc-group",
            Self::Msid(_) => "msid",
            Self::Rid(_) => "rid",
            Self::Simulcast(_) => "simulcast",
            Self::SctpPort(_) => "sctp-port",
            Self::MaxMessageSize(_) => "max-message-size",
            Self::SctpInit(_) => "sctp-init",
            Self::Other { name, .. } => name,
        }
    }

    /// Writes the canonical value into `out`; returns `false` for a property attribute,
    /// which has none.
    pub(crate) fn write_value(&self, out: &mut String) -> bool {
        // Writing into a String cannot fail.
        let _ = match self {
            Self::Direction(_)
            | Self::RtcpMux
            | Self::RtcpMuxOnly
            | Self::RtcpRsize
            | Self::BundleOnly
            | Self::IceLite
            | Self::EndOfCandidates
            | Self::ExtmapAllowMixed => return false,
            Self::Other { value, .. } => match value {
                Some(v) => {
                    out.push_str(v);
                    Ok(())
                }
                None => return false,
            },
            Self::Group(g) => write!(out, "{g}"),
            Self::Mid(m) | Self::IceUfrag(m) | Self::IcePwd(m) => {
                out.push_str(m);
                Ok(())
            }
            Self::IceOptions(o) => write!(out, "{o}"),
            Self::Candidate(c) => {
                let start = out.len();
                let r = write!(out, "{c}");
                // `Candidate` formats with its `candidate:` prefix; the name carries it here.
                if out[start..].starts_with("candidate:") {
                    out.replace_range(start..start + "candidate:".len(), "");
                }
                r
            }
            Self::Fingerprint(f) => write!(out, "{f}"),
            Self::Setup(s) => write!(out, "{s}"),
            Self::RtpMap(r) => write!(out, "{r}"),
            Self::Fmtp(f) => write!(out, "{f}"),
            Self::RtcpFeedback(f) => write!(out, "{f}"),
            Self::ExtMap(e) => write!(out, "{e}"),
            Self::Ssrc(s) => write!(out, "{s}"),
            Self::SsrcGroup(g) => write!(out, "{g}"),
            Self::Msid(m) => write!(out, "{m}"),
            Self::Rid(r) => write!(out, "{r}"),
            Self::Simulcast(s) => write!(out, "{s}"),
            Self::SctpPort(p) => write!(out, "{p}"),
            Self::MaxMessageSize(m) => write!(out, "{m}"),
            Self::SctpInit(chunk) => write!(out, "{}", BASE64.encode(chunk)),
        };
        true
    }
}

/// An attribute with the text it was parsed from, when that differs from the canonical
/// form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) attr: Attribute,
    verbatim: Option<Box<str>>,
}

impl Entry {
    /// A new attribute, written in canonical form.
    pub(crate) fn new(attr: Attribute) -> Self {
        Self {
            attr,
            verbatim: None,
        }
    }

    /// Parses a line; `scratch` is a reusable buffer for the canonical form.
    pub(crate) fn parse(
        name: &str,
        value: Option<String>,
        location: Location,
        scratch: &mut String,
    ) -> Result<Self, ParseError> {
        let attr = Attribute::parse(name, value.as_deref(), location)?;
        let verbatim = match (&attr, value) {
            (Attribute::Other { .. }, _) | (_, None) => None,
            (_, Some(value)) => {
                scratch.clear();
                attr.write_value(scratch);
                (*scratch != value).then(|| value.into_boxed_str())
            }
        };
        Ok(Self { attr, verbatim })
    }

    /// The line for `sdp-types` to write: the original text while it still means the typed
    /// value, else the canonical form.
    pub(crate) fn to_sdp(&self, location: Location) -> sdp_types::Attribute {
        let name = self.attr.name();
        if let Some(v) = &self.verbatim
            && Attribute::parse(name, Some(v), location).is_ok_and(|a| a == self.attr)
        {
            return sdp_types::Attribute {
                attribute: name.to_owned(),
                value: Some(v.to_string()),
            };
        }
        let mut value = String::new();
        let has_value = self.attr.write_value(&mut value);
        sdp_types::Attribute {
            attribute: name.to_owned(),
            value: has_value.then_some(value),
        }
    }
}

/// Types the attribute lines of one level. The vector is sized up front: a typed attribute
/// is large, and growing the vector line by line would move every one of them again.
pub(crate) fn parse_entries(
    lines: Vec<sdp_types::Attribute>,
    location: Location,
    scratch: &mut String,
) -> Result<Vec<Entry>, ParseError> {
    let mut out = Vec::with_capacity(lines.len());
    for a in lines {
        out.push(Entry::parse(&a.attribute, a.value, location, scratch)?);
    }
    Ok(out)
}

/// Whether ICE credentials follow RFC 8839 §5.4 closely enough to be used (ice-chars, not
/// empty; shorter ones than the grammar's minimum are accepted, as browsers do).
pub(crate) fn usable_ice_credential(s: &str) -> bool {
    is_ice_chars(s)
}

/// Longest INIT chunk `a=sctp-init` may carry: an INIT with the parameters WebRTC uses is a
/// few dozen bytes; this leaves room for more and bounds what a description holds.
pub(crate) const MAX_SCTP_INIT: usize = 1024;

/// Base64 as `a=sctp-init` writes it (standard alphabet, RFC 4648 §4); padding is written
/// and either way accepted.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// The INIT chunk of an `a=sctp-init` value; `None` when it is not base64, empty or longer
/// than [`MAX_SCTP_INIT`].
fn sctp_init(value: &str) -> Option<Vec<u8>> {
    if value.is_empty() || value.len() > MAX_SCTP_INIT.div_ceil(3) * 4 {
        return None;
    }
    BASE64
        .decode(value)
        .ok()
        .filter(|c| c.len() <= MAX_SCTP_INIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(name: &str, value: Option<&str>) -> sdp_types::Attribute {
        let mut scratch = String::new();
        let e = Entry::parse(
            name,
            value.map(str::to_owned),
            Location::Session,
            &mut scratch,
        )
        .unwrap();
        e.to_sdp(Location::Session)
    }

    #[test]
    fn non_canonical_text_is_kept_while_unchanged() {
        let line = "0 1 UDP 2122252543 192.168.1.5 53011 typ host";
        let a = round_trip("candidate", Some(line));
        assert_eq!(a.value.as_deref(), Some(line));
        let mut scratch = String::new();
        let mut e = Entry::parse(
            "candidate",
            Some(line.to_owned()),
            Location::Media(0),
            &mut scratch,
        )
        .unwrap();
        if let Attribute::Candidate(c) = &mut e.attr {
            c.port = 9;
        }
        assert_eq!(
            e.to_sdp(Location::Media(0)).value.as_deref(),
            Some("0 1 udp 2122252543 192.168.1.5 9 typ host")
        );
    }

    #[test]
    fn known_names_with_bad_values_are_errors() {
        for (name, value) in [
            ("mid", None),
            ("rtcp-mux", Some("x")),
            ("sendrecv", Some("")),
            ("sctp-port", Some("70000")),
            ("setup", Some("both")),
            ("candidate", Some("1 1 udp")),
        ] {
            assert!(
                Attribute::parse(name, value, Location::Media(1)).is_err(),
                "{name}:{value:?}"
            );
        }
        let other = Attribute::parse("rtcp", Some("9 IN IP4 0.0.0.0"), Location::Media(0));
        assert_eq!(other.unwrap().name(), "rtcp");
    }

    #[test]
    fn properties_have_no_value() {
        assert_eq!(round_trip("rtcp-mux", None).value, None);
        assert_eq!(round_trip("x-custom", None).value, None);
        assert_eq!(
            round_trip("msid-semantic", Some(" WMS a")).value.as_deref(),
            Some(" WMS a")
        );
    }
}
