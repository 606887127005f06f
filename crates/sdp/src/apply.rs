//! Applying descriptions (RFC 8829 §5.5, §5.6, §5.9 to §5.11): checks first, then one
//! commit, so a refused description changes nothing.

use rtcweb_ice::Credentials;

use crate::negotiator::{Event, Session};
use crate::result::{Exchange, Negotiation, build, negotiated_direction};
use crate::transceiver::{Content, Line, Transceiver, TransceiverId};
use crate::{
    Direction, Error, MediaKind, Negotiator, Operation, SdpType, SessionDescription, Setup,
    SignalingState,
};

impl Negotiator {
    /// Applies a description we created (`setLocalDescription`): the last offer from
    /// [`create_offer`](Self::create_offer), or the last answer from
    /// [`create_answer`](Self::create_answer) as an answer or a provisional answer.
    /// Applying an answer completes the exchange and queues [`Event::Negotiated`].
    pub fn set_local_description(
        &mut self,
        kind: SdpType,
        description: &SessionDescription,
    ) -> Result<(), Error> {
        if kind == SdpType::Rollback {
            // W3C `setLocalDescription({type: "rollback"})`: the description is ignored.
            return self.rollback();
        }
        let next = self.transition(Operation::SetLocal(kind))?;
        match kind {
            SdpType::Offer => {
                let created = self
                    .created_offer
                    .as_ref()
                    .filter(|c| &c.description == description)
                    .ok_or(Error::NotCreatedHere)?;
                let mut session = self.s.clone();
                for line in &session.lines {
                    if let Content::Transceiver(id) = line.content
                        && !created.lines.iter().any(|l| l.mid == line.mid)
                        && let Some(t) = session.transceivers.iter_mut().find(|t| t.id == id)
                    {
                        // Its section was recycled for another transceiver.
                        t.mid = None;
                    }
                }
                for line in &created.lines {
                    if let Content::Transceiver(id) = line.content
                        && let Some(t) = session.transceivers.iter_mut().find(|t| t.id == id)
                    {
                        t.mid = Some(line.mid.clone());
                    }
                }
                session.lines = created.lines.clone();
                session.next_mid = created.next_mid;
                session.pending_local = Some(description.clone());
                self.commit(session, next);
                self.negotiation_needed = false;
            }
            SdpType::Rollback => return self.rollback(),
            SdpType::Pranswer | SdpType::Answer => {
                let created = self
                    .created_answer
                    .as_ref()
                    .filter(|c| &c.description == description)
                    .ok_or(Error::NotCreatedHere)?;
                let offer = self.s.pending_remote.clone().ok_or(Error::NotCreatedHere)?;
                let mut session = self.s.clone();
                session.lines = created.lines.clone();
                let final_answer = kind == SdpType::Answer;
                let negotiation =
                    self.exchange(&session, &offer, description, false, !final_answer)?;
                finish(
                    &mut session,
                    &offer,
                    description,
                    false,
                    final_answer,
                    &negotiation,
                );
                self.commit(session, next);
                self.push_event(Event::Negotiated(Box::new(negotiation)));
                self.update_negotiation_needed();
            }
        }
        Ok(())
    }

    /// Applies the peer's description (`setRemoteDescription`). An offer is checked
    /// (RFC 8829 §5.8.3), matched with our media sections (kept mids, recycled sections,
    /// new transceivers for new sections, RFC 8829 §5.10), and an ICE restart in it noticed.
    /// An answer must match our offer section by section, carry `a=setup:active` or
    /// `passive`, and keep at least one offered codec in each accepted RTP section; it
    /// completes the exchange and queues [`Event::Negotiated`].
    pub fn set_remote_description(
        &mut self,
        kind: SdpType,
        description: SessionDescription,
    ) -> Result<(), Error> {
        if kind == SdpType::Rollback {
            // W3C `setRemoteDescription({type: "rollback"})`.
            return self.rollback();
        }
        let next = self.transition(Operation::SetRemote(kind))?;
        if description.media.len() > self.config.max_media_sections {
            return Err(Error::TooManyMediaSections(self.config.max_media_sections));
        }
        description.validate()?;
        match kind {
            SdpType::Offer => self.apply_remote_offer(description, next),
            SdpType::Rollback => self.rollback(),
            SdpType::Pranswer | SdpType::Answer => {
                self.apply_remote_answer(description, next, kind == SdpType::Answer)
            }
        }
    }

    /// Parses `sdp` and applies it with
    /// [`set_remote_description`](Self::set_remote_description).
    pub fn set_remote_sdp(&mut self, kind: SdpType, sdp: &str) -> Result<(), Error> {
        self.transition(Operation::SetRemote(kind))?;
        let description = SessionDescription::parse(sdp)?;
        self.set_remote_description(kind, description)
    }

    fn apply_remote_offer(
        &mut self,
        offer: SessionDescription,
        next: SignalingState,
    ) -> Result<(), Error> {
        // A second remote offer replaces the first: start again from the stable state.
        let mut session = if self.state == SignalingState::HaveRemoteOffer {
            self.rolled_back()
        } else {
            self.s.clone()
        };
        for (i, m) in offer.media.iter().enumerate() {
            if !m.is_rejected()
                && offer.is_webrtc_section(i)
                && offer.setup(i) == Some(Setup::HoldConn)
            {
                return Err(Error::InvalidSetup("holdconn"));
            }
        }
        // RFC 3264 §8, RFC 8829 §5.8.3: sections stay, in order, with their mids and
        // kinds; only rejected ones may take a new mid (recycling).
        for (i, line) in session.lines.iter().enumerate() {
            let m = offer.media.get(i).ok_or(Error::RemoteOfferMismatch(i))?;
            let same_mid = m.mid() == Some(line.mid.as_str());
            if (!same_mid && !line.rejected) || (same_mid && !kind_fits(&session, line, &m.kind)) {
                return Err(Error::RemoteOfferMismatch(i));
            }
        }
        let mut next_transceiver = self.next_transceiver;
        for (i, m) in offer.media.iter().enumerate() {
            // Validated: every section has a mid.
            let mid = m.mid().unwrap_or_default().to_owned();
            if session.lines.get(i).is_some_and(|l| l.mid == mid) {
                continue;
            }
            if let Some(Content::Transceiver(old)) = session.lines.get(i).map(|l| &l.content)
                && let Some(t) = session.transceiver_mut(*old)
            {
                t.mid = None;
            }
            let has_data = session
                .lines
                .iter()
                .enumerate()
                .any(|(j, l)| j != i && l.content == Content::Data && !l.rejected);
            let content = if m.is_rejected() {
                unsupported(m)
            } else if m.kind.is_rtp() && m.is_dtls_srtp() {
                let id = associate(&mut session, &m.kind, &mid, &mut next_transceiver);
                Content::Transceiver(id)
            } else if m.is_data_channel() && !has_data {
                Content::Data
            } else {
                unsupported(m)
            };
            let line = Line {
                mid,
                content,
                rejected: m.is_rejected(),
            };
            match session.lines.get_mut(i) {
                Some(l) => *l = line,
                None => session.lines.push(line),
            }
        }
        // RFC 8445 §9: new credentials from the peer restart ICE; we answer with new ones.
        let remote = transport_credentials(&offer);
        let previous = session
            .current_remote
            .as_ref()
            .and_then(transport_credentials);
        let restart = previous.is_some() && remote.is_some() && previous != remote;
        if restart && !session.local_ice_fresh {
            session.local_ice = Credentials::random(&mut session.rng);
            session.local_ice_fresh = true;
        }
        session.remote_ice = remote;
        session.pending_remote = Some(offer);
        self.next_transceiver = next_transceiver;
        self.created_answer = None;
        self.commit(session, next);
        if restart {
            self.local_candidates.clear();
            self.local_end_of_candidates = false;
        }
        Ok(())
    }

    fn apply_remote_answer(
        &mut self,
        answer: SessionDescription,
        next: SignalingState,
        final_answer: bool,
    ) -> Result<(), Error> {
        let offer = self.s.pending_local.clone().ok_or(Error::NotCreatedHere)?;
        if answer.media.len() != offer.media.len() {
            return Err(Error::AnswerMismatch(
                answer.media.len().min(offer.media.len()),
            ));
        }
        for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
            // RFC 3264 §6: same sections, in order; a rejected offer stays rejected.
            let same = o.mid() == a.mid() && o.kind == a.kind;
            if !same || (o.is_rejected() && !a.is_rejected()) {
                return Err(Error::AnswerMismatch(i));
            }
            if a.is_rejected() {
                continue;
            }
            match answer.setup(answer.transport_index(i)) {
                Some(Setup::Active | Setup::Passive) => {}
                Some(other) => return Err(Error::InvalidSetup(other.as_str())),
                None => return Err(Error::InvalidSetup("none")),
            }
            if o.kind.is_rtp() {
                let offered = o.codecs();
                let usable = answer_usable(&offered, &a.codecs());
                if !usable {
                    return Err(Error::AnswerMismatch(i));
                }
            }
        }
        let mut session = self.s.clone();
        for (line, a) in session.lines.iter_mut().zip(&answer.media) {
            line.rejected = a.is_rejected();
        }
        session.remote_ice = transport_credentials(&answer);
        let negotiation = self.exchange(&session, &offer, &answer, true, !final_answer)?;
        finish(
            &mut session,
            &offer,
            &answer,
            true,
            final_answer,
            &negotiation,
        );
        if final_answer {
            session.current_remote = Some(answer);
        } else {
            session.pending_remote = Some(answer);
        }
        self.commit(session, next);
        self.push_event(Event::Negotiated(Box::new(negotiation)));
        self.update_negotiation_needed();
        Ok(())
    }

    /// The negotiated parameters of an exchange about to be committed as `session`.
    fn exchange(
        &self,
        session: &Session,
        offer: &SessionDescription,
        answer: &SessionDescription,
        local_is_offerer: bool,
        provisional: bool,
    ) -> Result<Negotiation, Error> {
        let previous = session
            .current_remote
            .as_ref()
            .and_then(transport_credentials);
        let remote = if local_is_offerer { answer } else { offer };
        let remote_changed = previous.is_some() && previous != transport_credentials(remote);
        build(&Exchange {
            offer,
            answer,
            local_is_offerer,
            provisional,
            lines: &session.lines,
            transceivers: &session.transceivers,
            local_fingerprints: &self.config.fingerprints,
            sctp_port: self.config.sctp_port,
            max_message_size: self.config.max_message_size,
            ice_restart: session.local_ice_fresh || remote_changed,
        })
    }
}

/// Records a completed (or provisionally answered) exchange in `session`.
fn finish(
    session: &mut Session,
    offer: &SessionDescription,
    answer: &SessionDescription,
    local_is_offerer: bool,
    final_answer: bool,
    negotiation: &Negotiation,
) {
    let local = if local_is_offerer { offer } else { answer };
    if let Some(t) = &negotiation.transport {
        session.dtls_role = Some(t.dtls.role);
    }
    session.negotiation = Some(negotiation.clone());
    if !final_answer {
        if !local_is_offerer {
            session.pending_local = Some(answer.clone());
        }
        return;
    }
    for (i, line) in session.lines.iter().enumerate() {
        match &line.content {
            Content::Transceiver(id) => {
                let direction = negotiated_direction(answer, i, local_is_offerer);
                if let Some(t) = session.transceivers.iter_mut().find(|t| t.id == *id) {
                    if line.rejected {
                        // W3C: a rejected section stops its transceiver.
                        t.stopped = true;
                        t.current_direction = None;
                    } else {
                        t.current_direction = Some(direction);
                    }
                }
            }
            Content::Data if line.rejected => session.data_requested = false,
            Content::Data => session.data_requested = true,
            Content::Unsupported { .. } => {}
        }
    }
    session.current_local = Some(local.clone());
    if !local_is_offerer {
        session.current_remote = Some(offer.clone());
    }
    session.pending_local = None;
    session.pending_remote = None;
    session.local_was_offer = local_is_offerer;
    session.local_ice_fresh = false;
    session.session_version += 1;
}

/// Whether an answer's codecs keep at least one offered codec (RFC 3264 §6.1).
fn answer_usable(offered: &[crate::Codec], answered: &[crate::Codec]) -> bool {
    answered
        .iter()
        .any(|a| !a.is_rtx() && offered.iter().any(|o| crate::codec_match::compatible(o, a)))
}

/// The ICE credentials of a description's bundled transport (its first active section).
fn transport_credentials(d: &SessionDescription) -> Option<Credentials> {
    let first = d.media.iter().position(|m| !m.is_rejected())?;
    let t = d.transport_index(first);
    d.ice_credentials(t)
        .or_else(|| d.ice_credentials(first))
        .map(|(u, p)| Credentials::new(u, p))
}

fn unsupported(m: &crate::MediaSection) -> Content {
    Content::Unsupported {
        kind: m.kind.clone(),
        protocol: m.protocol.clone(),
        formats: m.formats.clone(),
    }
}

/// Whether a section keeps the kind of the content negotiated for it.
fn kind_fits(session: &Session, line: &Line, kind: &MediaKind) -> bool {
    match &line.content {
        Content::Transceiver(id) => session.transceiver(*id).is_none_or(|t| &t.kind == kind),
        Content::Data => *kind == MediaKind::Application,
        Content::Unsupported { kind: k, .. } => k == kind || line.rejected,
    }
}

/// The transceiver for a new remote section (W3C `setRemoteDescription` steps, RFC 8829
/// §5.10): an unassociated one of ours of the same kind, else a new `recvonly` one.
fn associate(
    session: &mut Session,
    kind: &MediaKind,
    mid: &str,
    next_id: &mut u32,
) -> TransceiverId {
    if let Some(t) = session
        .transceivers
        .iter_mut()
        .find(|t| t.mid.is_none() && !t.stopped && &t.kind == kind)
    {
        t.mid = Some(mid.to_owned());
        return t.id;
    }
    let id = TransceiverId(*next_id);
    *next_id += 1;
    let ssrc = session.fresh_ssrc();
    session.transceivers.push(Transceiver {
        id,
        kind: kind.clone(),
        direction: Direction::RecvOnly,
        track: None,
        stopped: false,
        mid: Some(mid.to_owned()),
        current_direction: None,
        ssrc,
        rtx_ssrc: 0,
        from_remote: true,
    });
    let rtx = session.fresh_ssrc();
    if let Some(t) = session.transceiver_mut(id) {
        t.rtx_ssrc = rtx;
    }
    id
}
