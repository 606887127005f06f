//! Creating answers (RFC 8829 §5.3).

use crate::codec_match::answer_codecs;
use crate::local_section::{LocalTransport, RtpSection, Sender, data_section, rejected_section};
use crate::transceiver::{Content, Line};
use crate::{
    Attribute, Codec, Direction, DtlsRole, Error, ExtMap, Group, MediaSection, Negotiator,
    Operation, Rid, RidDirection, SessionDescription, Setup, Simulcast,
};

/// An answer we created, with the media-section layout applying it commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreatedAnswer {
    pub(crate) description: SessionDescription,
    pub(crate) lines: Vec<Line>,
}

/// What the answer does with one offered section.
enum Verdict {
    Rtp(Vec<Codec>),
    Data,
    Reject,
}

impl Negotiator {
    /// Creates the answer to the remote offer (`createAnswer`, RFC 8829 §5.3):
    /// - audio and video: the offered codecs we support, in the offer's order with the
    ///   offerer's payload types, RTX bound to its primary; the offered header extensions we
    ///   support, with the offerer's ids; the direction mirrored from the offer and limited
    ///   by the transceiver's (RFC 3264 §6.1);
    /// - the data channel, with our SCTP port and max-message-size (RFC 8841);
    /// - every other section, and any without a common codec, rejected with port 0;
    /// - everything accepted bundled on the offerer's first accepted BUNDLE mid
    ///   (RFC 8843 §7.3.1); without a BUNDLE group only the first usable section is
    ///   accepted, since we run one transport;
    /// - `a=setup:active` (or the configured role), `passive` if the offer says `active`,
    ///   and the role already in force on renegotiation (RFC 8842 §5.3, §5.5).
    ///
    /// Allowed in `have-remote-offer` and `have-local-pranswer`.
    pub fn create_answer(&mut self) -> Result<SessionDescription, Error> {
        self.transition(Operation::CreateAnswer)?;
        let s = &self.s;
        let offer = s.pending_remote.as_ref().ok_or(Error::WrongState {
            operation: Operation::CreateAnswer,
            state: self.state,
        })?;
        let bundle = offer.groups().find(|g| g.is_bundle());
        let mut verdicts: Vec<Verdict> = offer
            .media
            .iter()
            .zip(&s.lines)
            .map(|(m, line)| self.verdict(m, line, bundle))
            .collect();
        if bundle.is_none() {
            // One transport: keep the first accepted section only.
            let mut first = true;
            for v in verdicts.iter_mut() {
                if !matches!(v, Verdict::Reject) && !std::mem::replace(&mut first, false) {
                    *v = Verdict::Reject;
                }
            }
        }
        let accepted = |mid: &str| {
            offer
                .media
                .iter()
                .zip(&verdicts)
                .any(|(m, v)| m.mid() == Some(mid) && !matches!(v, Verdict::Reject))
        };
        let bundle_mids: Vec<String> = match bundle {
            Some(g) => g.mids.iter().filter(|m| accepted(m)).cloned().collect(),
            None => Vec::new(),
        };
        let tag_index = bundle_mids
            .first()
            .and_then(|m| offer.media_by_mid(m))
            .map(|(i, _)| i)
            .or_else(|| verdicts.iter().position(|v| !matches!(v, Verdict::Reject)));
        let role = match tag_index.and_then(|i| offer.setup(i)) {
            Some(Setup::Active) => DtlsRole::Server,
            Some(Setup::Passive) => DtlsRole::Client,
            Some(Setup::HoldConn) => return Err(Error::InvalidSetup("holdconn")),
            Some(Setup::ActPass) | None => s.dtls_role.unwrap_or(self.config.answerer_role),
        };
        // Our extra ICE options that the offer carries too (RFC 8839 §5.6).
        let offered_options = tag_index.and_then(|i| offer.ice_options(i));
        let ice_options: Vec<crate::IceOption> = self
            .config
            .ice_options
            .iter()
            .filter(|o| offered_options.is_some_and(|x| x.0.contains(o)))
            .cloned()
            .collect();
        let transport = LocalTransport {
            credentials: &s.local_ice,
            fingerprints: &self.config.fingerprints,
            setup: role.setup(),
            trickle: self.config.trickle,
            ice_options: &ice_options,
            candidates: &self.local_candidates,
            end_of_candidates: self.local_end_of_candidates,
        };
        let mut d = SessionDescription::new(self.session_id, s.session_version);
        if !bundle_mids.is_empty() {
            d.push(Attribute::Group(Group::bundle(bundle_mids)));
        }
        let allow_mixed = self.config.extmap_allow_mixed;
        if allow_mixed && offer.has(&Attribute::ExtmapAllowMixed) {
            d.push(Attribute::ExtmapAllowMixed);
        }
        let mut lines = s.lines.clone();
        let sections = offer.media.iter().zip(&verdicts).zip(lines.iter_mut());
        for (i, ((offered, verdict), line)) in sections.enumerate() {
            let mid = offered.mid().unwrap_or_default();
            let section = match verdict {
                Verdict::Reject => rejected_section(
                    offered.kind.clone(),
                    &offered.protocol,
                    offered.formats.clone(),
                    mid,
                ),
                Verdict::Data => data_section(
                    &offered.protocol,
                    mid,
                    self.config.sctp_port,
                    self.config.max_message_size,
                    // SNAP: answered only when offered (draft-hancke-tsvwg-snap §5).
                    self.config
                        .sctp_init
                        .as_deref()
                        .filter(|_| offered.sctp_init().is_some()),
                    &transport,
                ),
                Verdict::Rtp(codecs) => {
                    let mut m = self.answer_rtp(offer, i, line, codecs, &transport);
                    if allow_mixed && offered.has(&Attribute::ExtmapAllowMixed) {
                        m.push(Attribute::ExtmapAllowMixed);
                    }
                    m
                }
            };
            line.rejected = section.is_rejected();
            d.media.push(section);
        }
        self.created_answer = Some(CreatedAnswer {
            description: d.clone(),
            lines,
        });
        Ok(d)
    }

    fn verdict(&self, m: &MediaSection, line: &Line, bundle: Option<&Group>) -> Verdict {
        let bundled = match (bundle, m.mid()) {
            (Some(g), Some(mid)) => g.mids.iter().any(|x| x == mid),
            (Some(_), None) => false,
            (None, _) => true,
        };
        if m.is_rejected() || !bundled {
            return Verdict::Reject;
        }
        match &line.content {
            Content::Transceiver(id) => {
                let usable = self
                    .s
                    .transceiver(*id)
                    .is_some_and(|t| !t.stopped && t.kind == m.kind && m.is_dtls_srtp());
                if !usable {
                    return Verdict::Reject;
                }
                let codecs = answer_codecs(&m.codecs(), self.capabilities(&m.kind));
                if codecs.iter().all(Codec::is_rtx) {
                    return Verdict::Reject;
                }
                Verdict::Rtp(codecs)
            }
            Content::Data if self.config.data_channels && m.is_data_channel() => Verdict::Data,
            Content::Data | Content::Unsupported { .. } => Verdict::Reject,
        }
    }

    fn answer_rtp(
        &self,
        offer: &SessionDescription,
        index: usize,
        line: &Line,
        codecs: &[Codec],
        transport: &LocalTransport<'_>,
    ) -> MediaSection {
        let offered = &offer.media[index];
        let Content::Transceiver(id) = line.content else {
            return rejected_section(
                offered.kind.clone(),
                &offered.protocol,
                offered.formats.clone(),
                &line.mid,
            );
        };
        let t = self.s.transceiver(id);
        let wanted = t.map_or(Direction::RecvOnly, |t| t.direction);
        let direction = Direction::answer(offer.direction(index), wanted);
        // RFC 8285 §7: the answer keeps the offered ids of the extensions it accepts.
        let extensions: Vec<ExtMap> = offered
            .extmaps()
            .filter(|e| {
                self.config
                    .header_extensions
                    .iter()
                    .any(|c| c.uri == e.uri && c.applies_to(&offered.kind))
            })
            .map(|e| ExtMap {
                id: e.id,
                direction: e.direction.map(Direction::reverse),
                uri: e.uri.clone(),
                attributes: None,
            })
            .collect();
        let rtx = codecs.iter().any(Codec::is_rtx);
        let sender = t
            .and_then(|t| t.track.as_ref().map(|track| (t, track)))
            .filter(|_| direction.sends())
            .map(|(t, track)| Sender {
                track,
                ssrc: t.ssrc,
                rtx_ssrc: rtx.then_some(t.rtx_ssrc),
                cname: &self.cname,
            });
        let (rids, simulcast) = answer_simulcast(offered, codecs, direction);
        RtpSection {
            kind: offered.kind.clone(),
            protocol: &offered.protocol,
            mid: &line.mid,
            direction,
            codecs,
            extensions: &extensions,
            rtcp_rsize: offered.has(&Attribute::RtcpRsize),
            sender,
            rids: &rids,
            simulcast: simulcast.as_ref(),
        }
        .write(transport)
    }
}

/// Receiving the offerer's simulcast (RFC 8853 §5.3): each rid it sends becomes a rid we
/// receive, restricted to the payload types we accepted, and the simulcast line is mirrored.
/// A rid whose `pt=` list keeps none of them is dropped (RFC 8851 §6.2), and so are rids the
/// offerer wants to receive: we do not send simulcast.
fn answer_simulcast(
    offered: &MediaSection,
    codecs: &[Codec],
    direction: Direction,
) -> (Vec<Rid>, Option<Simulcast>) {
    let Some(sim) = offered.simulcast().filter(|s| !s.send.is_empty()) else {
        return (Vec::new(), None);
    };
    if !direction.receives() {
        return (Vec::new(), None);
    }
    let rids: Vec<Rid> = offered
        .rids()
        .filter(|r| r.direction == RidDirection::Send)
        .filter_map(|r| {
            let mut ours = Rid::new(&r.id, RidDirection::Recv);
            ours.payload_types = r
                .payload_types
                .iter()
                .copied()
                .filter(|pt| codecs.iter().any(|c| c.payload_type == *pt))
                .collect();
            // An empty list would mean "any payload type": not what was offered.
            let restricted_away = !r.payload_types.is_empty() && ours.payload_types.is_empty();
            (!restricted_away).then_some(ours)
        })
        .collect();
    let recv: Vec<_> = sim
        .send
        .iter()
        .map(|alts| {
            alts.iter()
                .filter(|s| rids.iter().any(|r| r.id == s.rid))
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|alts| !alts.is_empty())
        .collect();
    if recv.is_empty() {
        return (Vec::new(), None);
    }
    (
        rids,
        Some(Simulcast {
            send: Vec::new(),
            recv,
        }),
    )
}
