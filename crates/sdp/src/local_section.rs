//! Writing our own media sections, in the attribute order Chromium uses (RFC 8829 §5.2.1,
//! §5.3.1 list what each section carries).

use std::net::Ipv4Addr;

use rtcweb_ice::{Candidate, CandidateTransport, Credentials};

use crate::transceiver::LocalTrack;
use crate::{
    Attribute, Codec, Direction, ExtMap, Fingerprint, IceOption, IceOptions, MediaKind,
    MediaSection, Msid, Rid, Setup, Simulcast, Ssrc, SsrcGroup,
};

/// The transport attributes every section we write carries (BUNDLE shares them; we repeat
/// them in each section as Chromium does, RFC 8843 §7.1.3 allows it).
pub(crate) struct LocalTransport<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) fingerprints: &'a [Fingerprint],
    pub(crate) setup: Setup,
    pub(crate) trickle: bool,
    /// More `a=ice-options` tags after `trickle`.
    pub(crate) ice_options: &'a [IceOption],
    pub(crate) candidates: &'a [Candidate],
    pub(crate) end_of_candidates: bool,
}

impl LocalTransport<'_> {
    /// Port and `c=` from the default candidate (the first UDP one), else the `9` /
    /// `0.0.0.0` placeholder (RFC 8829 §5.2.1, RFC 8840 §4.1.1); then `a=rtcp`, the
    /// candidates, credentials, options, fingerprints and setup.
    fn write(&self, m: &mut MediaSection) {
        let default = self
            .candidates
            .iter()
            .find(|c| c.transport == CandidateTransport::Udp && c.address.ip().is_some());
        if let Some(c) = default
            && let Some(ip) = c.address.ip()
        {
            m.port = c.port;
            m.connections = vec![sdp_types::Connection::from_ip_addr(ip)];
        }
        m.push(Attribute::Other {
            name: "rtcp".to_owned(),
            value: Some("9 IN IP4 0.0.0.0".to_owned()),
        });
        for c in self.candidates {
            m.push(Attribute::Candidate(Box::new(c.clone())));
        }
        if self.end_of_candidates {
            m.push(Attribute::EndOfCandidates);
        }
        m.push(Attribute::IceUfrag(self.credentials.ufrag.clone()));
        m.push(Attribute::IcePwd(self.credentials.pwd.clone()));
        let mut options: Vec<IceOption> = self
            .trickle
            .then_some(IceOption::Trickle)
            .into_iter()
            .collect();
        options.extend(self.ice_options.iter().cloned());
        if !options.is_empty() {
            m.push(Attribute::IceOptions(IceOptions(options)));
        }
        for f in self.fingerprints {
            m.push(Attribute::Fingerprint(f.clone()));
        }
        m.push(Attribute::Setup(self.setup));
    }
}

/// What we send in a section: the track and its SSRCs.
pub(crate) struct Sender<'a> {
    pub(crate) track: &'a LocalTrack,
    pub(crate) ssrc: u32,
    pub(crate) rtx_ssrc: Option<u32>,
    pub(crate) cname: &'a str,
}

/// An audio or video section.
pub(crate) struct RtpSection<'a> {
    pub(crate) kind: MediaKind,
    pub(crate) protocol: &'a str,
    pub(crate) mid: &'a str,
    pub(crate) direction: Direction,
    pub(crate) codecs: &'a [Codec],
    pub(crate) extensions: &'a [ExtMap],
    pub(crate) rtcp_rsize: bool,
    pub(crate) sender: Option<Sender<'a>>,
    pub(crate) rids: &'a [Rid],
    pub(crate) simulcast: Option<&'a Simulcast>,
}

impl RtpSection<'_> {
    pub(crate) fn write(&self, transport: &LocalTransport<'_>) -> MediaSection {
        let mut m = MediaSection::new(self.kind.clone(), self.protocol, Vec::new());
        transport.write(&mut m);
        m.push(Attribute::Mid(self.mid.to_owned()));
        for e in self.extensions {
            m.push(Attribute::ExtMap(e.clone()));
        }
        m.push(Attribute::Direction(self.direction));
        if let Some(s) = &self.sender {
            m.push(Attribute::Msid(msid(s.track)));
        }
        m.push(Attribute::RtcpMux);
        if self.rtcp_rsize {
            m.push(Attribute::RtcpRsize);
        }
        for c in self.codecs {
            m.push_codec(c);
        }
        for r in self.rids {
            m.push(Attribute::Rid(r.clone()));
        }
        if let Some(s) = self.simulcast {
            m.push(Attribute::Simulcast(s.clone()));
        }
        if let Some(s) = &self.sender {
            // RFC 5576 §4.2 (FID, RFC 4588 §8.1), §6.1 (cname); msid per source as Chromium
            // writes it for older peers.
            if let Some(rtx) = s.rtx_ssrc {
                m.push(Attribute::SsrcGroup(SsrcGroup::fid(s.ssrc, rtx)));
            }
            for ssrc in std::iter::once(s.ssrc).chain(s.rtx_ssrc) {
                m.push(Attribute::Ssrc(Ssrc::cname(ssrc, s.cname)));
                m.push(Attribute::Ssrc(Ssrc {
                    ssrc,
                    attribute: "msid".to_owned(),
                    value: Some(msid(s.track).to_string()),
                }));
            }
        }
        m
    }
}

fn msid(track: &LocalTrack) -> Msid {
    Msid {
        stream: track.stream_id.clone(),
        track: Some(track.track_id.clone()),
    }
}

/// The data channel section (RFC 8841 §4.1, §5.1, §6.1), with our `a=sctp-init` when
/// SNAP is on for it.
pub(crate) fn data_section(
    protocol: &str,
    mid: &str,
    sctp_port: u16,
    max_message_size: u64,
    sctp_init: Option<&[u8]>,
    transport: &LocalTransport<'_>,
) -> MediaSection {
    let mut m = MediaSection::new(
        MediaKind::Application,
        protocol,
        vec![crate::FORMAT_DATACHANNEL.to_owned()],
    );
    transport.write(&mut m);
    m.push(Attribute::Mid(mid.to_owned()));
    m.push(Attribute::SctpPort(sctp_port));
    m.push(Attribute::MaxMessageSize(max_message_size));
    if let Some(chunk) = sctp_init {
        m.push(Attribute::SctpInit(chunk.to_vec()));
    }
    m
}

/// A rejected section: port 0, the same media type, protocol and formats, and its mid
/// (RFC 3264 §6, RFC 8829 §5.3.1).
pub(crate) fn rejected_section(
    kind: MediaKind,
    protocol: &str,
    formats: Vec<String>,
    mid: &str,
) -> MediaSection {
    let formats = if formats.is_empty() {
        vec!["0".to_owned()]
    } else {
        formats
    };
    let mut m = MediaSection::new(kind, protocol, formats);
    m.port = 0;
    m.connections = vec![sdp_types::Connection::from_ip_addr(Ipv4Addr::UNSPECIFIED)];
    m.push(Attribute::Mid(mid.to_owned()));
    m
}
