//! Creating offers (RFC 8829 §5.2).

use crate::bundle_ids::InUse;
use crate::codec::CodecCapability;
use crate::local_section::{LocalTransport, RtpSection, Sender, data_section, rejected_section};
use crate::negotiator::Session;
use crate::transceiver::{Content, Line};
use crate::{
    Attribute, Codec, Error, ExtMap, FormatParameters, Group, MediaKind, MediaSection, Negotiator,
    Operation, PROTO_RTP, PROTO_SCTP, SessionDescription, Setup,
};

/// An offer we created: the description and the media-section layout applying it commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreatedOffer {
    pub(crate) description: SessionDescription,
    pub(crate) lines: Vec<Line>,
    pub(crate) next_mid: u32,
}

impl Negotiator {
    /// Creates an offer (`createOffer`, RFC 8829 §5.2): one section per media section
    /// negotiated so far (stopped transceivers rejected with port 0), sections rejected
    /// before recycled for new transceivers or the data channel with fresh mids
    /// (RFC 8829 §5.2.2), then new sections appended; everything in one BUNDLE group;
    /// `a=setup:actpass` (RFC 8842 §5.2). Codecs and extension ids already negotiated are
    /// offered again unchanged.
    ///
    /// Allowed in `stable` and `have-local-offer`; apply it with
    /// [`set_local_description`](Self::set_local_description).
    pub fn create_offer(&mut self) -> Result<SessionDescription, Error> {
        self.transition(Operation::CreateOffer)?;
        let mut plan = self.s.clone();
        let mut new: Vec<Content> = plan
            .transceivers
            .iter()
            .filter(|t| t.mid.is_none() && !t.stopped)
            .map(|t| Content::Transceiver(t.id))
            .collect();
        let has_data = plan
            .lines
            .iter()
            .any(|l| l.content == Content::Data && !l.rejected);
        if plan.data_requested && !has_data {
            new.push(Content::Data);
        }
        let mut new = new.into_iter();
        let mut lines = plan.lines.clone();
        for line in lines.iter_mut().filter(|l| l.rejected) {
            let Some(content) = new.next() else { break };
            let mid = plan.fresh_mid(&[]);
            *line = Line {
                mid,
                content,
                rejected: false,
            };
        }
        for content in new {
            let mid = plan.fresh_mid(&[]);
            lines.push(Line {
                mid,
                content,
                rejected: false,
            });
        }
        if lines.len() > self.config.max_media_sections {
            return Err(Error::TooManyMediaSections(self.config.max_media_sections));
        }
        plan.lines = lines;
        let description = self.write_offer(&plan);
        self.created_offer = Some(CreatedOffer {
            description: description.clone(),
            lines: plan.lines,
            next_mid: plan.next_mid,
        });
        Ok(description)
    }

    fn write_offer(&self, plan: &Session) -> SessionDescription {
        let mut d = SessionDescription::new(self.session_id, plan.session_version);
        let transport = LocalTransport {
            credentials: &plan.local_ice,
            fingerprints: &self.config.fingerprints,
            setup: Setup::ActPass,
            trickle: self.config.trickle,
            ice_options: &self.config.ice_options,
            candidates: &self.local_candidates,
            end_of_candidates: self.local_end_of_candidates,
        };
        let in_use = InUse::of(plan.current_local.as_ref());
        let mut bundle = Vec::new();
        for line in &plan.lines {
            let section = self.offer_section(plan, line, &transport, &in_use);
            if !section.is_rejected() {
                bundle.push(line.mid.clone());
            }
            d.media.push(section);
        }
        if !bundle.is_empty() {
            d.push(Attribute::Group(Group::bundle(bundle)));
        }
        if self.config.extmap_allow_mixed {
            d.push(Attribute::ExtmapAllowMixed);
        }
        d
    }

    fn offer_section(
        &self,
        plan: &Session,
        line: &Line,
        transport: &LocalTransport<'_>,
        in_use: &InUse,
    ) -> MediaSection {
        let previous = plan
            .current_local
            .as_ref()
            .and_then(|d| d.media_by_mid(&line.mid))
            .map(|(_, m)| m)
            .filter(|m| !m.is_rejected());
        match &line.content {
            Content::Transceiver(id) => {
                let Some(t) = plan
                    .transceiver(*id)
                    .filter(|t| !t.stopped && !line.rejected)
                else {
                    let kind = plan
                        .transceiver(*id)
                        .map_or(MediaKind::Audio, |t| t.kind.clone());
                    return rejected_section(kind, PROTO_RTP, Vec::new(), &line.mid);
                };
                // A section negotiated before keeps its codecs and ids; a new one takes
                // numbers that fit the BUNDLE group (RFC 8843 §9.1.1).
                let codecs = match previous {
                    Some(m) => m.codecs(),
                    None => in_use.assign_payload_types(offer_codecs(self.capabilities(&t.kind))),
                };
                let extensions: Vec<ExtMap> = match previous {
                    Some(m) => m.extmaps().cloned().collect(),
                    None => in_use.extensions(
                        &self.config.header_extensions,
                        &t.kind,
                        self.config.extmap_allow_mixed,
                    ),
                };
                let rtx = codecs.iter().any(Codec::is_rtx);
                let sender = t
                    .track
                    .as_ref()
                    .filter(|_| t.direction.sends())
                    .map(|track| Sender {
                        track,
                        ssrc: t.ssrc,
                        rtx_ssrc: rtx.then_some(t.rtx_ssrc),
                        cname: &self.cname,
                    });
                RtpSection {
                    kind: t.kind.clone(),
                    protocol: previous.map_or(PROTO_RTP, |m| m.protocol.as_str()),
                    mid: &line.mid,
                    direction: t.direction,
                    codecs: &codecs,
                    extensions: &extensions,
                    rtcp_rsize: true,
                    sender,
                    rids: &[],
                    simulcast: None,
                }
                .write(transport)
            }
            Content::Data if !line.rejected => data_section(
                previous.map_or(PROTO_SCTP, |m| m.protocol.as_str()),
                &line.mid,
                self.config.sctp_port,
                self.config.max_message_size,
                self.config.sctp_init.as_deref(),
                transport,
            ),
            Content::Data => rejected_section(
                MediaKind::Application,
                PROTO_SCTP,
                vec![crate::FORMAT_DATACHANNEL.to_owned()],
                &line.mid,
            ),
            Content::Unsupported {
                kind,
                protocol,
                formats,
            } => rejected_section(kind.clone(), protocol, formats.clone(), &line.mid),
        }
    }

    pub(crate) fn capabilities(&self, kind: &MediaKind) -> &[CodecCapability] {
        match kind {
            MediaKind::Audio => &self.config.audio_codecs,
            MediaKind::Video => &self.config.video_codecs,
            _ => &[],
        }
    }
}

/// The codecs of a first offer: each capability followed by its RTX format (RFC 4588 §8.1).
fn offer_codecs(caps: &[CodecCapability]) -> Vec<Codec> {
    let mut out = Vec::with_capacity(caps.len() * 2);
    for cap in caps {
        out.push(cap.to_codec());
        if let (true, Some(pt)) = (cap.rtx, cap.rtx_payload_type) {
            out.push(Codec {
                payload_type: pt,
                name: "rtx".to_owned(),
                clock_rate: cap.clock_rate,
                channels: None,
                parameters: FormatParameters::from_pairs([(
                    "apt",
                    cap.payload_type.to_string().as_str(),
                )]),
                feedback: Vec::new(),
            });
        }
    }
    out
}
