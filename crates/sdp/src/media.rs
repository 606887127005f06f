//! One media section (`m=` line and what follows it, RFC 8866 §5.14).

use std::fmt;

use rtcweb_ice::Candidate;

use crate::attribute::{Entry, parse_entries};
use crate::error::{Location, ParseError};
use crate::grammar::payload_type;
use crate::{
    Attribute, Codec, Direction, ExtMap, Feedback, Fingerprint, IceOptions, Msid, Rid, RtpMap,
    Setup, Simulcast, Ssrc, SsrcGroup,
};

/// The media type of an `m=` line (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `audio`
    Audio,
    /// `video`
    Video,
    /// `application`: data channels (RFC 8841).
    Application,
    /// Any other type (`text`, `message`, ...), as written.
    Other(String),
}

impl MediaKind {
    /// The media type token.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Application => "application",
            Self::Other(s) => s,
        }
    }

    /// The kind a token names.
    pub fn parse(s: &str) -> Self {
        match s {
            "audio" => Self::Audio,
            "video" => Self::Video,
            "application" => Self::Application,
            _ => Self::Other(s.to_owned()),
        }
    }

    /// Whether media of this kind travels over RTP.
    pub fn is_rtp(&self) -> bool {
        matches!(self, Self::Audio | Self::Video)
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transport protocol of RTP over DTLS-SRTP with feedback, what WebRTC uses
/// (RFC 8829 §5.1.2).
pub const PROTO_RTP: &str = "UDP/TLS/RTP/SAVPF";
/// The transport protocol of data channels (RFC 8841 §4.1).
pub const PROTO_SCTP: &str = "UDP/DTLS/SCTP";
/// The format of a data channel `m=` line (RFC 8841 §4.1).
pub const FORMAT_DATACHANNEL: &str = "webrtc-datachannel";

/// A media section: its `m=` line, its `i=`, `c=`, `b=`, `k=` lines and its attributes in
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection {
    /// The media type.
    pub kind: MediaKind,
    /// The port; 0 rejects the section (RFC 3264 §6) unless it is `bundle-only`.
    pub port: u16,
    /// The number of ports, if written (`9/2`).
    pub num_ports: Option<u16>,
    /// The transport protocol (`UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`, ...).
    pub protocol: String,
    /// The formats: payload types for RTP, `webrtc-datachannel` for data channels.
    pub formats: Vec<String>,
    /// The media title (`i=`).
    pub title: Option<String>,
    /// Connection lines (`c=`).
    pub connections: Vec<sdp_types::Connection>,
    /// Bandwidth lines (`b=`).
    pub bandwidths: Vec<sdp_types::Bandwidth>,
    key: Option<sdp_types::Key>,
    attributes: Vec<Entry>,
    formats_verbatim: Option<Box<str>>,
}

impl MediaSection {
    /// An empty section with port 9 (the JSEP placeholder, RFC 8829 §5.2.1) and
    /// `c=IN IP4 0.0.0.0`.
    pub fn new(kind: MediaKind, protocol: &str, formats: Vec<String>) -> Self {
        Self {
            kind,
            port: 9,
            num_ports: None,
            protocol: protocol.to_owned(),
            formats,
            title: None,
            connections: vec![sdp_types::Connection::from_ip_addr(
                std::net::Ipv4Addr::UNSPECIFIED,
            )],
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
            formats_verbatim: None,
        }
    }

    pub(crate) fn from_sdp(
        m: sdp_types::Media,
        index: usize,
        scratch: &mut String,
    ) -> Result<Self, ParseError> {
        let formats: Vec<String> = m
            .fmt
            .split(' ')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        let formats_verbatim = (formats.join(" ") != m.fmt).then(|| m.fmt.into_boxed_str());
        // RFC 8866 §9: media = token, proto = token *("/" token).
        let proto_ok = m.proto.split('/').all(crate::grammar::is_token);
        if !crate::grammar::is_token(&m.media) || !proto_ok {
            return Err(ParseError::InvalidMediaLine(index));
        }
        let location = Location::Media(index);
        let attributes = parse_entries(m.attributes, location, scratch)?;
        Ok(Self {
            kind: MediaKind::parse(&m.media),
            port: m.port,
            num_ports: m.num_ports,
            protocol: m.proto,
            formats,
            title: m.media_title,
            connections: m.connections,
            bandwidths: m.bandwidths,
            key: m.key,
            attributes,
            formats_verbatim,
        })
    }

    pub(crate) fn to_sdp(&self, index: usize) -> sdp_types::Media {
        let fmt = match &self.formats_verbatim {
            Some(v)
                if v.split(' ')
                    .filter(|f| !f.is_empty())
                    .eq(self.formats.iter().map(String::as_str)) =>
            {
                v.to_string()
            }
            _ => self.formats.join(" "),
        };
        let location = Location::Media(index);
        sdp_types::Media {
            media: self.kind.as_str().to_owned(),
            port: self.port,
            num_ports: self.num_ports,
            proto: self.protocol.clone(),
            fmt,
            media_title: self.title.clone(),
            connections: self.connections.clone(),
            bandwidths: self.bandwidths.clone(),
            key: self.key.clone(),
            attributes: self.attributes.iter().map(|e| e.to_sdp(location)).collect(),
        }
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.attributes.iter().map(|e| &e.attr)
    }

    /// The attributes, in order, to change in place. A changed attribute is written in
    /// canonical form.
    pub fn attributes_mut(&mut self) -> impl Iterator<Item = &mut Attribute> {
        self.attributes.iter_mut().map(|e| &mut e.attr)
    }

    /// Appends an attribute.
    pub fn push(&mut self, attribute: Attribute) {
        self.attributes.push(Entry::new(attribute));
    }

    /// Keeps only the attributes `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Attribute) -> bool) {
        self.attributes.retain(|e| keep(&e.attr));
    }

    /// Whether the section is rejected: port 0 without `a=bundle-only` (RFC 3264 §6,
    /// RFC 8843 §6).
    pub fn is_rejected(&self) -> bool {
        self.port == 0 && !self.has(&Attribute::BundleOnly)
    }

    /// Whether a property attribute (`RtcpMux`, `EndOfCandidates`, ...) is present.
    pub fn has(&self, property: &Attribute) -> bool {
        self.attributes().any(|a| a == property)
    }

    /// The first attribute `pick` maps to a value.
    fn first<'a, T>(&'a self, pick: impl FnMut(&'a Attribute) -> Option<T>) -> Option<T> {
        self.attributes().find_map(pick)
    }

    /// `a=mid`.
    pub fn mid(&self) -> Option<&str> {
        self.first(|a| match a {
            Attribute::Mid(m) => Some(m.as_str()),
            _ => None,
        })
    }

    /// The direction attribute of this section, if any (the session level may hold one
    /// too, see [`SessionDescription::direction`](crate::SessionDescription::direction)).
    pub fn direction(&self) -> Option<Direction> {
        self.first(|a| match a {
            Attribute::Direction(d) => Some(*d),
            _ => None,
        })
    }

    /// Replaces the direction attribute (or adds one).
    pub fn set_direction(&mut self, direction: Direction) {
        let new = Attribute::Direction(direction);
        match self
            .attributes
            .iter_mut()
            .find(|e| matches!(e.attr, Attribute::Direction(_)))
        {
            Some(e) => *e = Entry::new(new),
            None => self.push(new),
        }
    }

    /// `a=ice-ufrag` of this section.
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.first(|a| match a {
            Attribute::IceUfrag(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// `a=ice-pwd` of this section.
    pub fn ice_pwd(&self) -> Option<&str> {
        self.first(|a| match a {
            Attribute::IcePwd(p) => Some(p.as_str()),
            _ => None,
        })
    }

    /// `a=ice-options` of this section.
    pub fn ice_options(&self) -> Option<&IceOptions> {
        self.first(|a| match a {
            Attribute::IceOptions(o) => Some(o),
            _ => None,
        })
    }

    /// The `a=candidate` lines.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.attributes().filter_map(|a| match a {
            Attribute::Candidate(c) => Some(&**c),
            _ => None,
        })
    }

    /// The `a=fingerprint` lines of this section.
    pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
        self.attributes().filter_map(|a| match a {
            Attribute::Fingerprint(f) => Some(f),
            _ => None,
        })
    }

    /// `a=setup` of this section.
    pub fn setup(&self) -> Option<Setup> {
        self.first(|a| match a {
            Attribute::Setup(s) => Some(*s),
            _ => None,
        })
    }

    /// The formats read as RTP payload types (formats that are not are skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| payload_type(f))
    }

    /// The codecs of the `m=` line, in its order: each payload type with its rtpmap (or the
    /// static assignment of RFC 3551 §6), fmtp and rtcp-fb lines. Payload types with neither
    /// an rtpmap nor a static meaning are left out.
    pub fn codecs(&self) -> Vec<Codec> {
        let mut rtpmaps = Vec::new();
        let mut fmtps = Vec::new();
        let mut feedback = Vec::new();
        for a in self.attributes() {
            match a {
                Attribute::RtpMap(r) => rtpmaps.push(r),
                Attribute::Fmtp(f) => fmtps.push(f),
                Attribute::RtcpFeedback(f) => feedback.push(f),
                _ => {}
            }
        }
        let mut codecs: Vec<Codec> = Vec::new();
        for pt in self.payload_types() {
            if codecs.iter().any(|c| c.payload_type == pt) {
                continue;
            }
            let map = rtpmaps
                .iter()
                .find(|r| r.payload_type == pt)
                .map(|r| (*r).clone())
                .or_else(|| RtpMap::static_payload_type(pt));
            let Some(map) = map else { continue };
            codecs.push(Codec {
                payload_type: pt,
                name: map.encoding,
                clock_rate: map.clock_rate,
                channels: map.channels,
                parameters: fmtps
                    .iter()
                    .find(|f| f.payload_type == pt)
                    .map(|f| f.parameters.clone())
                    .unwrap_or_default(),
                feedback: feedback
                    .iter()
                    .filter(|f| f.applies_to(pt))
                    .map(|f| f.feedback.clone())
                    .collect::<Vec<Feedback>>(),
            });
        }
        codecs
    }

    /// Adds a codec: its payload type to the `m=` line, then its rtpmap, rtcp-fb and fmtp
    /// lines (the order Chromium writes).
    pub fn push_codec(&mut self, codec: &Codec) {
        self.formats.push(codec.payload_type.to_string());
        self.push(Attribute::RtpMap(RtpMap {
            payload_type: codec.payload_type,
            encoding: codec.name.clone(),
            clock_rate: codec.clock_rate,
            channels: codec.channels,
        }));
        for f in &codec.feedback {
            self.push(Attribute::RtcpFeedback(crate::RtcpFeedback {
                payload_type: Some(codec.payload_type),
                feedback: f.clone(),
            }));
        }
        if !codec.parameters.is_empty() {
            self.push(Attribute::Fmtp(crate::Fmtp {
                payload_type: codec.payload_type,
                parameters: codec.parameters.clone(),
            }));
        }
    }

    /// The `a=extmap` lines.
    pub fn extmaps(&self) -> impl Iterator<Item = &ExtMap> {
        self.attributes().filter_map(|a| match a {
            Attribute::ExtMap(e) => Some(e),
            _ => None,
        })
    }

    /// The `a=ssrc` lines.
    pub fn ssrcs(&self) -> impl Iterator<Item = &Ssrc> {
        self.attributes().filter_map(|a| match a {
            Attribute::Ssrc(s) => Some(s),
            _ => None,
        })
    }

    /// The `a=ssrc-group` lines.
    pub fn ssrc_groups(&self) -> impl Iterator<Item = &SsrcGroup> {
        self.attributes().filter_map(|a| match a {
            Attribute::SsrcGroup(g) => Some(g),
            _ => None,
        })
    }

    /// The first `a=msid`.
    pub fn msid(&self) -> Option<&Msid> {
        self.first(|a| match a {
            Attribute::Msid(m) => Some(m),
            _ => None,
        })
    }

    /// The `a=rid` lines.
    pub fn rids(&self) -> impl Iterator<Item = &Rid> {
        self.attributes().filter_map(|a| match a {
            Attribute::Rid(r) => Some(r),
            _ => None,
        })
    }

    /// `a=simulcast`.
    pub fn simulcast(&self) -> Option<&Simulcast> {
        self.first(|a| match a {
            Attribute::Simulcast(s) => Some(s),
            _ => None,
        })
    }

    /// `a=sctp-port`.
    pub fn sctp_port(&self) -> Option<u16> {
        self.first(|a| match a {
            Attribute::SctpPort(p) => Some(*p),
            _ => None,
        })
    }

    /// `a=sctp-init` (SNAP): the INIT chunk of the end that wrote it.
    pub fn sctp_init(&self) -> Option<&[u8]> {
        self.first(|a| match a {
            Attribute::SctpInit(c) => Some(c.as_slice()),
            _ => None,
        })
    }

    /// `a=max-message-size`.
    pub fn max_message_size(&self) -> Option<u64> {
        self.first(|a| match a {
            Attribute::MaxMessageSize(m) => Some(*m),
            _ => None,
        })
    }

    /// Whether this is a data channel section (`UDP/DTLS/SCTP` or `TCP/DTLS/SCTP` with
    /// `webrtc-datachannel`, RFC 8841 §4.1).
    pub fn is_data_channel(&self) -> bool {
        self.kind == MediaKind::Application
            && matches!(self.protocol.as_str(), "UDP/DTLS/SCTP" | "TCP/DTLS/SCTP")
            && self.formats.iter().any(|f| f == FORMAT_DATACHANNEL)
    }

    /// Whether the protocol is RTP secured with DTLS-SRTP (`UDP/TLS/RTP/SAVP[F]`,
    /// `TCP/TLS/RTP/SAVP[F]`, RFC 5764 §8, RFC 8829 §5.1.2).
    pub fn is_dtls_srtp(&self) -> bool {
        matches!(
            self.protocol.as_str(),
            "UDP/TLS/RTP/SAVPF" | "UDP/TLS/RTP/SAVP" | "TCP/TLS/RTP/SAVPF" | "TCP/TLS/RTP/SAVP"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CodecCapability, FormatParameters};

    #[test]
    fn codecs_join_rtpmap_fmtp_and_feedback_in_m_line_order() {
        let mut m = MediaSection::new(MediaKind::Video, PROTO_RTP, Vec::new());
        m.push_codec(&CodecCapability::vp8().to_codec());
        m.push(Attribute::RtcpFeedback(crate::RtcpFeedback {
            payload_type: None,
            feedback: Feedback::new("nack", None),
        }));
        m.formats.insert(0, "0".into());
        let codecs = m.codecs();
        assert_eq!(codecs.len(), 2);
        assert_eq!(codecs[0].name, "PCMU");
        assert_eq!(codecs[1].payload_type, 96);
        // transport-cc, ack ccfb, goog-remb, ccm fir, nack, nack pli, and the `*` nack.
        assert_eq!(codecs[1].feedback.len(), 7);
        assert_eq!(codecs[1].parameters, FormatParameters::default());
        assert!(!m.is_rejected());
        m.port = 0;
        assert!(m.is_rejected());
        m.push(Attribute::BundleOnly);
        assert!(!m.is_rejected());
    }

    #[test]
    fn direction_is_replaced_in_place() {
        let mut m = MediaSection::new(MediaKind::Audio, PROTO_RTP, Vec::new());
        m.push(Attribute::Mid("0".into()));
        m.set_direction(Direction::SendOnly);
        m.push(Attribute::RtcpMux);
        m.set_direction(Direction::Inactive);
        let names: Vec<_> = m.attributes().map(Attribute::name).collect();
        assert_eq!(names, ["mid", "inactive", "rtcp-mux"]);
    }
}
