//! The result of an offer/answer exchange: everything the transport and media layers need,
//! in one value.

use rtcweb_ice::{Candidate, Credentials};

use crate::codec_match::{NegotiatedCodec, negotiated_codecs, receivable_codecs};
use crate::transceiver::{Content, Line, Transceiver, TransceiverId};
use crate::{
    Direction, DtlsRole, Error, ExtMap, Fingerprint, MediaKind, MediaSection, Msid, Rid,
    SessionDescription, Simulcast,
};

/// What an offer/answer exchange settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiation {
    /// From a provisional answer (`pranswer`): usable, but a final answer will follow.
    pub provisional: bool,
    /// The one transport every accepted section is bundled on; `None` when every section
    /// was rejected.
    pub transport: Option<Transport>,
    /// The data channel, when its section was accepted.
    pub sctp: Option<SctpParameters>,
    /// The accepted audio and video sections, in `m=` order.
    pub media: Vec<MediaParameters>,
    /// The mids of rejected sections.
    pub rejected: Vec<String>,
}

impl Negotiation {
    /// The parameters of the section with this mid.
    pub fn media(&self, mid: &str) -> Option<&MediaParameters> {
        self.media.iter().find(|m| m.mid == mid)
    }
}

/// The bundled transport: ICE and DTLS parameters of the tagged section (RFC 8843 §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// The mid of the section whose transport carries everything (the BUNDLE tag).
    pub mid: String,
    /// The mids bundled on it.
    pub bundle: Vec<String>,
    /// ICE.
    pub ice: IceParameters,
    /// DTLS.
    pub dtls: DtlsParameters,
}

/// ICE parameters for the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceParameters {
    /// Our credentials.
    pub local: Credentials,
    /// The peer's credentials.
    pub remote: Credentials,
    /// The peer's candidates in its description (more may trickle in).
    pub remote_candidates: Vec<Candidate>,
    /// The peer's description said `a=end-of-candidates` (RFC 8840 §8.2).
    pub remote_end_of_candidates: bool,
    /// We are the controlling agent: the offerer is, unless it is ICE-lite against a full
    /// agent (RFC 8445 §6.1.1).
    pub controlling: bool,
    /// The peer is an ICE-lite agent.
    pub remote_lite: bool,
    /// The peer trickles candidates (`a=ice-options:trickle`).
    pub remote_trickle: bool,
    /// Every tag of the peer's `a=ice-options` (RFC 8839 §5.6).
    pub remote_ice_options: Vec<crate::IceOption>,
    /// This exchange changed the credentials: an ICE restart (RFC 8445 §9, RFC 8829 §3.5.1).
    pub restart: bool,
}

/// DTLS parameters for the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsParameters {
    /// Our role (RFC 8842 §5).
    pub role: DtlsRole,
    /// Our certificate's fingerprints.
    pub local_fingerprints: Vec<Fingerprint>,
    /// The fingerprints the peer's certificate must match (RFC 8122 §5).
    pub remote_fingerprints: Vec<Fingerprint>,
}

/// SCTP parameters of the data channel section (RFC 8841).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SctpParameters {
    /// Its mid.
    pub mid: String,
    /// Our SCTP port.
    pub local_port: u16,
    /// The peer's SCTP port (5000 when not written, as legacy peers mean).
    pub remote_port: u16,
    /// The largest message we receive.
    pub local_max_message_size: u64,
    /// The largest message the peer receives: what we may send (RFC 8841 §6.1: 65536 when
    /// not written, 0 for no limit).
    pub remote_max_message_size: u64,
    /// SNAP (draft-hancke-tsvwg-snap): the peer's INIT chunk from its `a=sctp-init`, when
    /// our description of this exchange carried ours too. The association then starts
    /// established from it, without the handshake; `None`: the handshake runs.
    pub remote_sctp_init: Option<Vec<u8>>,
}

/// A stream we send in a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalStream {
    /// Its SSRC.
    pub ssrc: u32,
    /// The SSRC of its retransmissions, when RTX was negotiated.
    pub rtx_ssrc: Option<u32>,
}

/// A stream the peer announced it sends (RFC 5576).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStream {
    /// Its SSRC.
    pub ssrc: u32,
    /// Its retransmission SSRC (`a=ssrc-group:FID`, RFC 5576 §4.2).
    pub rtx_ssrc: Option<u32>,
    /// Its CNAME (RFC 5576 §6.1).
    pub cname: Option<String>,
}

/// What was negotiated for one audio or video section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaParameters {
    /// The mid (also in the `urn:ietf:params:rtp-hdrext:sdes:mid` extension, RFC 8843 §15).
    pub mid: String,
    /// Audio or video.
    pub kind: MediaKind,
    /// The transceiver the section belongs to.
    pub transceiver: TransceiverId,
    /// Our direction.
    pub direction: Direction,
    /// The codecs, the answerer's preferred first: what we send with.
    pub codecs: Vec<NegotiatedCodec>,
    /// What we decode: every codec of our own description of the section (as offerer,
    /// also those the answer left out; RFC 3264 §5.1).
    pub receive_codecs: Vec<NegotiatedCodec>,
    /// The header extensions in use, with their ids.
    pub extensions: Vec<ExtMap>,
    /// One- and two-byte header extensions may be mixed (RFC 8285 §6).
    pub extmap_allow_mixed: bool,
    /// Reduced-size RTCP (RFC 5506).
    pub rtcp_rsize: bool,
    /// What we send (empty unless our direction sends).
    pub local_streams: Vec<LocalStream>,
    /// What the peer announced it sends.
    pub remote_streams: Vec<RemoteStream>,
    /// The peer's `a=msid`.
    pub remote_msid: Option<Msid>,
    /// The peer's rids.
    pub remote_rids: Vec<Rid>,
    /// The peer's simulcast description.
    pub remote_simulcast: Option<Simulcast>,
}

/// One exchange, as the negotiator hands it to [`build`].
pub(crate) struct Exchange<'a> {
    pub(crate) offer: &'a SessionDescription,
    pub(crate) answer: &'a SessionDescription,
    pub(crate) local_is_offerer: bool,
    pub(crate) provisional: bool,
    pub(crate) lines: &'a [Line],
    pub(crate) transceivers: &'a [Transceiver],
    pub(crate) local_fingerprints: &'a [Fingerprint],
    pub(crate) sctp_port: u16,
    pub(crate) max_message_size: u64,
    pub(crate) ice_restart: bool,
}

/// Reads the negotiated parameters out of an offer and its answer. The caller has checked
/// that the answer matches the offer, section by section.
pub(crate) fn build(x: &Exchange<'_>) -> Result<Negotiation, Error> {
    let (local, remote) = if x.local_is_offerer {
        (x.offer, x.answer)
    } else {
        (x.answer, x.offer)
    };
    let accepted = |i: usize| x.answer.media.get(i).is_some_and(|m| !m.is_rejected());
    let rejected = x
        .answer
        .media
        .iter()
        .filter(|m| m.is_rejected())
        .filter_map(|m| m.mid().map(str::to_owned))
        .collect();
    let transport = match (0..x.answer.media.len()).find(|&i| accepted(i)) {
        Some(first) => Some(transport(x, local, remote, first)?),
        None => None,
    };
    let mut media = Vec::new();
    let mut sctp = None;
    for (i, line) in x.lines.iter().enumerate() {
        if !accepted(i) {
            continue;
        }
        match &line.content {
            Content::Data => {
                let r = &remote.media[i];
                sctp = Some(SctpParameters {
                    mid: line.mid.clone(),
                    local_port: x.sctp_port,
                    remote_port: r.sctp_port().unwrap_or(5000),
                    local_max_message_size: x.max_message_size,
                    remote_max_message_size: r.max_message_size().unwrap_or(65536),
                    remote_sctp_init: local.media[i]
                        .sctp_init()
                        .and_then(|_| r.sctp_init())
                        .map(<[u8]>::to_vec),
                });
            }
            Content::Transceiver(id) => {
                let Some(t) = x.transceivers.iter().find(|t| t.id == *id) else {
                    continue;
                };
                media.push(media_parameters(x, remote, i, t));
            }
            Content::Unsupported { .. } => {}
        }
    }
    Ok(Negotiation {
        provisional: x.provisional,
        transport,
        sctp,
        media,
        rejected,
    })
}

fn transport(
    x: &Exchange<'_>,
    local: &SessionDescription,
    remote: &SessionDescription,
    first: usize,
) -> Result<Transport, Error> {
    // RFC 8843 §7.3.1: the answer's BUNDLE group names the tagged section first.
    let tag_index = x.answer.transport_index(first);
    let tag = x.answer.media[tag_index]
        .mid()
        .unwrap_or_default()
        .to_owned();
    let bundle = x
        .answer
        .bundle_group_of(&tag)
        .map(|g| g.mids.clone())
        .unwrap_or_else(|| vec![tag.clone()]);
    let r = remote.transport_index(tag_index);
    let credentials = |d: &SessionDescription, i: usize| {
        d.ice_credentials(i)
            .map(|(u, p)| Credentials::new(u, p))
            .ok_or_else(|| {
                Error::Invalid(crate::DescriptionError::MissingIceCredentials(tag.clone()))
            })
    };
    let remote_ice = credentials(remote, r)?;
    let local_ice = credentials(local, local.transport_index(tag_index))?;
    let section = &remote.media[r];
    let remote_lite = remote.ice_lite();
    // RFC 8842 §5.3: the answerer's active side is the DTLS client.
    let answerer_role = x
        .answer
        .setup(tag_index)
        .and_then(crate::Setup::answer_role)
        .ok_or(Error::InvalidSetup("actpass"))?;
    let role = if x.local_is_offerer {
        answerer_role.peer()
    } else {
        answerer_role
    };
    Ok(Transport {
        mid: tag,
        bundle,
        ice: IceParameters {
            local: local_ice,
            remote: remote_ice,
            remote_candidates: section.candidates().cloned().collect(),
            remote_end_of_candidates: section.has(&crate::Attribute::EndOfCandidates),
            controlling: x.local_is_offerer || remote_lite,
            remote_lite,
            remote_trickle: remote.ice_options(r).is_some_and(|o| o.trickle()),
            remote_ice_options: remote
                .ice_options(r)
                .map(|o| o.0.clone())
                .unwrap_or_default(),
            restart: x.ice_restart,
        },
        dtls: DtlsParameters {
            role,
            local_fingerprints: x.local_fingerprints.to_vec(),
            remote_fingerprints: remote.fingerprints(r).into_iter().cloned().collect(),
        },
    })
}

fn media_parameters(
    x: &Exchange<'_>,
    remote: &SessionDescription,
    i: usize,
    t: &Transceiver,
) -> MediaParameters {
    let offer = &x.offer.media[i];
    let answer = &x.answer.media[i];
    let codecs = negotiated_codecs(&offer.codecs(), &answer.codecs(), x.local_is_offerer);
    let receive_codecs = receivable_codecs(&offer.codecs(), &answer.codecs(), x.local_is_offerer);
    let offered_uris: Vec<&str> = offer.extmaps().map(|e| e.uri.as_str()).collect();
    let extensions = answer
        .extmaps()
        .filter(|e| offered_uris.contains(&e.uri.as_str()))
        .map(|e| ExtMap::new(e.id, &e.uri))
        .collect();
    let direction = negotiated_direction(x.answer, i, x.local_is_offerer);
    let rtx = codecs.iter().any(|c| c.rtx_payload_type.is_some());
    let local_streams = if direction.sends() {
        vec![LocalStream {
            ssrc: t.ssrc,
            rtx_ssrc: rtx.then_some(t.rtx_ssrc),
        }]
    } else {
        Vec::new()
    };
    let r = &remote.media[i];
    MediaParameters {
        mid: answer.mid().unwrap_or_default().to_owned(),
        kind: answer.kind.clone(),
        transceiver: t.id,
        direction,
        codecs,
        receive_codecs,
        extensions,
        extmap_allow_mixed: x.answer.extmap_allow_mixed(i),
        rtcp_rsize: offer.has(&crate::Attribute::RtcpRsize)
            && answer.has(&crate::Attribute::RtcpRsize),
        local_streams,
        remote_streams: remote_streams(r),
        remote_msid: r.msid().cloned(),
        remote_rids: r.rids().cloned().collect(),
        remote_simulcast: r.simulcast().cloned(),
    }
}

/// Our side's negotiated direction of section `i` (W3C `currentDirection`): the answer's,
/// seen from our side.
pub(crate) fn negotiated_direction(
    answer: &SessionDescription,
    i: usize,
    local_is_offerer: bool,
) -> Direction {
    let d = answer.direction(i);
    if local_is_offerer { d.reverse() } else { d }
}

/// The peer's streams from its `a=ssrc` and `a=ssrc-group:FID` lines (RFC 5576 §4): every
/// source that is not the repair source of a FID group, with its RTX source and CNAME.
pub(crate) fn remote_streams(m: &MediaSection) -> Vec<RemoteStream> {
    let fid: Vec<(u32, u32)> = m
        .ssrc_groups()
        .filter(|g| g.semantics.eq_ignore_ascii_case("FID") && g.ssrcs.len() == 2)
        .map(|g| (g.ssrcs[0], g.ssrcs[1]))
        .collect();
    let mut streams: Vec<RemoteStream> = Vec::new();
    for s in m.ssrcs() {
        if fid.iter().any(|(_, rtx)| *rtx == s.ssrc) {
            continue;
        }
        let stream = match streams.iter_mut().find(|st| st.ssrc == s.ssrc) {
            Some(st) => st,
            None => {
                streams.push(RemoteStream {
                    ssrc: s.ssrc,
                    rtx_ssrc: fid.iter().find(|(p, _)| *p == s.ssrc).map(|(_, r)| *r),
                    cname: None,
                });
                // Just pushed.
                let last = streams.len() - 1;
                &mut streams[last]
            }
        };
        if s.attribute == "cname" && stream.cname.is_none() {
            stream.cname = s.value.clone();
        }
    }
    streams
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attribute, PROTO_RTP, Ssrc, SsrcGroup};

    #[test]
    fn remote_streams_pair_rtx_through_fid() {
        let mut m = MediaSection::new(MediaKind::Video, PROTO_RTP, Vec::new());
        m.push(Attribute::SsrcGroup(SsrcGroup::fid(1, 2)));
        m.push(Attribute::Ssrc(Ssrc::cname(1, "c")));
        m.push(Attribute::Ssrc(Ssrc::cname(2, "c")));
        m.push(Attribute::Ssrc(Ssrc::cname(3, "d")));
        let s = remote_streams(&m);
        assert_eq!(
            s,
            [
                RemoteStream {
                    ssrc: 1,
                    rtx_ssrc: Some(2),
                    cname: Some("c".into())
                },
                RemoteStream {
                    ssrc: 3,
                    rtx_ssrc: None,
                    cname: Some("d".into())
                }
            ]
        );
    }
}
