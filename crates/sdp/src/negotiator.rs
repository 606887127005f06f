//! The JSEP negotiator (RFC 8829): a sans-IO state machine over session descriptions.
//!
//! Every method that can fail works on a copy of the negotiable state and commits it only on
//! success, so an error leaves the negotiator exactly as it was.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtcweb_ice::{Candidate, Credentials};

use crate::answer::CreatedAnswer;
use crate::offer::CreatedOffer;
use crate::result::Negotiation;
use crate::transceiver::{Content, Line, LocalTrack, Transceiver, TransceiverId};
use crate::{
    Attribute, Config, Direction, DtlsRole, Error, MediaKind, Operation, SessionDescription,
    SignalingState,
};

/// What the owner must know after a call (drained with [`Negotiator::poll_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Something changed that needs an offer: a transceiver or data channel was added, a
    /// direction changed, a transceiver stopped, or ICE restarted (W3C
    /// `negotiationneeded`).
    NegotiationNeeded,
    /// The signaling state changed.
    SignalingStateChanged(SignalingState),
    /// An exchange completed (or a provisional answer was applied): the parameters for ICE,
    /// DTLS, SCTP and media.
    Negotiated(Box<Negotiation>),
}

/// The negotiable state: copied before a fallible change, restored by a rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) transceivers: Vec<Transceiver>,
    pub(crate) lines: Vec<Line>,
    pub(crate) data_requested: bool,
    pub(crate) next_mid: u32,
    pub(crate) dtls_role: Option<DtlsRole>,
    pub(crate) local_ice: Credentials,
    /// Local credentials not yet used in an applied exchange (ICE restart pending).
    pub(crate) local_ice_fresh: bool,
    pub(crate) remote_ice: Option<Credentials>,
    pub(crate) current_local: Option<SessionDescription>,
    pub(crate) current_remote: Option<SessionDescription>,
    pub(crate) pending_local: Option<SessionDescription>,
    pub(crate) pending_remote: Option<SessionDescription>,
    pub(crate) negotiation: Option<Negotiation>,
    /// The current local description is an offer (we offered in the last exchange).
    pub(crate) local_was_offer: bool,
    pub(crate) session_version: u64,
    pub(crate) rng: StdRng,
}

impl Session {
    pub(crate) fn transceiver_mut(&mut self, id: TransceiverId) -> Option<&mut Transceiver> {
        self.transceivers.iter_mut().find(|t| t.id == id)
    }

    pub(crate) fn transceiver(&self, id: TransceiverId) -> Option<&Transceiver> {
        self.transceivers.iter().find(|t| t.id == id)
    }

    /// A mid no line or transceiver uses (RFC 8829 §5.2.1: mids are unique and never
    /// reused within a session).
    pub(crate) fn fresh_mid(&mut self, taken: &[String]) -> String {
        loop {
            let mid = self.next_mid.to_string();
            self.next_mid = self.next_mid.wrapping_add(1);
            let used = self.lines.iter().any(|l| l.mid == mid)
                || self
                    .transceivers
                    .iter()
                    .any(|t| t.mid.as_ref() == Some(&mid))
                || taken.contains(&mid);
            if !used {
                return mid;
            }
        }
    }

    /// A non-zero SSRC no transceiver uses.
    pub(crate) fn fresh_ssrc(&mut self) -> u32 {
        loop {
            let s: u32 = self.rng.random();
            let used = self
                .transceivers
                .iter()
                .any(|t| t.ssrc == s || t.rtx_ssrc == s);
            if s != 0 && !used {
                return s;
            }
        }
    }
}

/// A JSEP (RFC 8829) offer/answer negotiator.
///
/// It holds transceivers and the data channel request, creates offers and answers, applies
/// local and remote descriptions, follows the signaling state machine, and reports what each
/// exchange settled as an [`Event::Negotiated`]. No IO, no clock: randomness (credentials,
/// SSRCs) comes from a generator seeded once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiator {
    pub(crate) config: Config,
    pub(crate) state: SignalingState,
    pub(crate) s: Session,
    /// The state at the last stable point, for rollback (RFC 8829 §4.1.10.2).
    pub(crate) stable: Option<Box<Session>>,
    pub(crate) created_offer: Option<CreatedOffer>,
    pub(crate) created_answer: Option<CreatedAnswer>,
    pub(crate) local_candidates: Vec<Candidate>,
    pub(crate) local_end_of_candidates: bool,
    pub(crate) events: VecDeque<Event>,
    pub(crate) next_transceiver: u32,
    pub(crate) session_id: u64,
    pub(crate) cname: String,
    pub(crate) negotiation_needed: bool,
}

/// Most events queued before the oldest are dropped.
const MAX_EVENTS: usize = 64;
/// Most transceivers.
const MAX_TRANSCEIVERS: usize = 256;
/// Most local candidates written into descriptions.
const MAX_LOCAL_CANDIDATES: usize = 64;

impl Negotiator {
    /// A negotiator in the stable state with no transceivers.
    pub fn new(config: Config) -> Result<Self, Error> {
        config.check()?;
        let mut rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let local_ice = config
            .ice_credentials
            .clone()
            .unwrap_or_else(|| Credentials::random(&mut rng));
        let cname = config
            .cname
            .clone()
            .unwrap_or_else(|| Credentials::random(&mut rng).pwd[..16].to_owned());
        // RFC 8829 §5.2.1: a 64-bit session id below 2^63.
        let session_id = config
            .session_id
            .unwrap_or_else(|| rng.random::<u64>() >> 1);
        Ok(Self {
            config,
            state: SignalingState::Stable,
            s: Session {
                transceivers: Vec::new(),
                lines: Vec::new(),
                data_requested: false,
                next_mid: 0,
                dtls_role: None,
                local_ice,
                local_ice_fresh: false,
                remote_ice: None,
                current_local: None,
                current_remote: None,
                pending_local: None,
                pending_remote: None,
                negotiation: None,
                local_was_offer: false,
                session_version: 1,
                rng,
            },
            stable: None,
            created_offer: None,
            created_answer: None,
            local_candidates: Vec::new(),
            local_end_of_candidates: false,
            events: VecDeque::new(),
            next_transceiver: 0,
            session_id,
            cname,
            negotiation_needed: false,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The signaling state.
    pub fn state(&self) -> SignalingState {
        self.state
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The transceivers, in creation order.
    pub fn transceivers(&self) -> &[Transceiver] {
        &self.s.transceivers
    }

    /// One transceiver.
    pub fn transceiver(&self, id: TransceiverId) -> Option<&Transceiver> {
        self.s.transceiver(id)
    }

    /// Our ICE credentials.
    pub fn local_credentials(&self) -> &Credentials {
        &self.s.local_ice
    }

    /// Our DTLS role, once an exchange settled it.
    pub fn dtls_role(&self) -> Option<DtlsRole> {
        self.s.dtls_role
    }

    /// Our RTCP CNAME.
    pub fn cname(&self) -> &str {
        &self.cname
    }

    /// What the last applied exchange settled.
    pub fn negotiation(&self) -> Option<&Negotiation> {
        self.s.negotiation.as_ref()
    }

    /// The local description in force: the pending one, else the current one.
    pub fn local_description(&self) -> Option<&SessionDescription> {
        self.s
            .pending_local
            .as_ref()
            .or(self.s.current_local.as_ref())
    }

    /// The remote description in force: the pending one, else the current one.
    pub fn remote_description(&self) -> Option<&SessionDescription> {
        self.s
            .pending_remote
            .as_ref()
            .or(self.s.current_remote.as_ref())
    }

    /// The local description of the exchange under way (W3C `pendingLocalDescription`).
    pub fn pending_local_description(&self) -> Option<&SessionDescription> {
        self.s.pending_local.as_ref()
    }

    /// The remote description of the exchange under way (W3C `pendingRemoteDescription`).
    pub fn pending_remote_description(&self) -> Option<&SessionDescription> {
        self.s.pending_remote.as_ref()
    }

    /// The local description of the last completed exchange.
    pub fn current_local_description(&self) -> Option<&SessionDescription> {
        self.s.current_local.as_ref()
    }

    /// The remote description of the last completed exchange.
    pub fn current_remote_description(&self) -> Option<&SessionDescription> {
        self.s.current_remote.as_ref()
    }

    /// Adds an audio or video transceiver (`addTransceiver`); it gets a media section in
    /// the next offer, or is matched with a section of the next remote offer of its kind.
    pub fn add_transceiver(
        &mut self,
        kind: MediaKind,
        direction: Direction,
        track: Option<LocalTrack>,
    ) -> Result<TransceiverId, Error> {
        self.ensure_open(Operation::CreateOffer)?;
        if !kind.is_rtp() {
            return Err(Error::InvalidTransceiverKind);
        }
        if self.s.transceivers.len() >= MAX_TRANSCEIVERS {
            return Err(Error::TooManyMediaSections(MAX_TRANSCEIVERS));
        }
        let id = TransceiverId(self.next_transceiver);
        self.next_transceiver += 1;
        let ssrc = self.s.fresh_ssrc();
        let mut t = Transceiver {
            id,
            kind,
            direction,
            track,
            stopped: false,
            mid: None,
            current_direction: None,
            ssrc,
            rtx_ssrc: 0,
            from_remote: false,
        };
        self.s.transceivers.push(t.clone());
        t.rtx_ssrc = self.s.fresh_ssrc();
        if let Some(slot) = self.s.transceiver_mut(id) {
            *slot = t;
        }
        self.update_negotiation_needed();
        Ok(id)
    }

    /// Changes the direction a transceiver wants; takes effect with the next exchange.
    pub fn set_direction(&mut self, id: TransceiverId, direction: Direction) -> Result<(), Error> {
        self.ensure_open(Operation::CreateOffer)?;
        let t = self
            .s
            .transceiver_mut(id)
            .ok_or(Error::UnknownTransceiver(id.0))?;
        t.direction = direction;
        self.update_negotiation_needed();
        Ok(())
    }

    /// Stops a transceiver: its section is rejected in the next offer and may then be
    /// recycled (RFC 8829 §5.2.2).
    pub fn stop_transceiver(&mut self, id: TransceiverId) -> Result<(), Error> {
        self.ensure_open(Operation::CreateOffer)?;
        let t = self
            .s
            .transceiver_mut(id)
            .ok_or(Error::UnknownTransceiver(id.0))?;
        t.stopped = true;
        self.update_negotiation_needed();
        Ok(())
    }

    /// Asks for a data channel section (`createDataChannel` before the first channel).
    pub fn add_data_channel(&mut self) -> Result<(), Error> {
        self.ensure_open(Operation::CreateOffer)?;
        self.s.data_requested = true;
        self.update_negotiation_needed();
        Ok(())
    }

    /// Restarts ICE (RFC 8445 §9, RFC 8829 §3.5.1): the next offer or answer carries these
    /// credentials (random ones when `None`), and local candidates are cleared.
    pub fn restart_ice(&mut self, credentials: Option<Credentials>) -> Result<(), Error> {
        self.ensure_open(Operation::CreateOffer)?;
        if let Some(c) = &credentials
            && !(crate::grammar::is_ice_chars(&c.ufrag) && crate::grammar::is_ice_chars(&c.pwd))
        {
            return Err(Error::InvalidConfig("ICE credentials are not ice-chars"));
        }
        let credentials = credentials.unwrap_or_else(|| Credentials::random(&mut self.s.rng));
        self.s.local_ice = credentials;
        self.s.local_ice_fresh = true;
        self.local_candidates.clear();
        self.local_end_of_candidates = false;
        self.update_negotiation_needed();
        Ok(())
    }

    /// Forgets our candidates (the agent that gathered them is gone, as when a rollback
    /// before the first exchange drops it): later descriptions carry only what the next
    /// agent gathers, with the same credentials.
    pub fn forget_local_candidates(&mut self) {
        self.local_candidates.clear();
        self.local_end_of_candidates = false;
    }

    /// Adds one of our candidates (trickle, RFC 8838): later descriptions carry it, and
    /// so does the local description in force.
    pub fn add_local_candidate(&mut self, candidate: Candidate) -> Result<(), Error> {
        self.ensure_open(Operation::CreateOffer)?;
        if self.local_candidates.len() >= MAX_LOCAL_CANDIDATES {
            return Ok(());
        }
        for d in [&mut self.s.pending_local, &mut self.s.current_local]
            .into_iter()
            .flatten()
        {
            for m in d.media.iter_mut().filter(|m| !m.is_rejected()) {
                m.push(Attribute::Candidate(Box::new(candidate.clone())));
            }
        }
        self.local_candidates.push(candidate);
        Ok(())
    }

    /// Our gathering is complete: descriptions say `a=end-of-candidates` (RFC 8840 §8.2).
    /// The local description in force says it too, and its `m=` and `c=` lines get the
    /// default candidate in place of the `9` / `0.0.0.0` placeholder (RFC 8840 §4.1.1), as
    /// a peer that does not trickle reads them.
    pub fn end_of_local_candidates(&mut self) {
        self.local_end_of_candidates = true;
        let default = self
            .local_candidates
            .iter()
            .filter(|c| c.transport == rtcweb_ice::CandidateTransport::Udp)
            .find_map(|c| Some((c.port, c.address.ip()?)));
        for d in [&mut self.s.pending_local, &mut self.s.current_local]
            .into_iter()
            .flatten()
        {
            // Rejected and bundle-only sections keep port 0.
            for m in d.media.iter_mut().filter(|m| m.port != 0) {
                if !m.has(&Attribute::EndOfCandidates) {
                    m.push(Attribute::EndOfCandidates);
                }
                if let Some((port, ip)) = default
                    && m.port == 9
                {
                    m.port = port;
                    m.connections = vec![sdp_types::Connection::from_ip_addr(ip)];
                }
            }
        }
    }

    /// A candidate the peer trickled for the section `mid` (`addIceCandidate`, RFC 8838
    /// §4.4): checked against the remote description and recorded in it. The owner hands
    /// it to the ICE agent too.
    pub fn add_remote_candidate(&mut self, mid: &str, candidate: Candidate) -> Result<(), Error> {
        self.ensure_open(Operation::CreateOffer)?;
        let current_ufrag = self.s.remote_ice.as_ref().map(|c| c.ufrag.as_str());
        let remote = self
            .s
            .pending_remote
            .as_mut()
            .or(self.s.current_remote.as_mut())
            .ok_or(Error::CandidateMismatch)?;
        let pending_ufrag = remote
            .media_by_mid(mid)
            .and_then(|(i, _)| remote.ice_credentials(i))
            .map(|(u, _)| u.to_owned());
        let index = remote
            .media
            .iter()
            .position(|m| m.mid() == Some(mid))
            .ok_or(Error::CandidateMismatch)?;
        if let Some(u) = &candidate.ufrag
            && Some(u.as_str()) != pending_ufrag.as_deref()
            && Some(u.as_str()) != current_ufrag
        {
            return Err(Error::CandidateMismatch);
        }
        let section = &mut remote.media[index];
        if section.candidates().count() < MAX_LOCAL_CANDIDATES {
            section.push(Attribute::Candidate(Box::new(candidate)));
        }
        Ok(())
    }

    /// Closes the negotiator: every later call fails (`closed`).
    pub fn close(&mut self) {
        if self.state != SignalingState::Closed {
            self.state = SignalingState::Closed;
            self.push_event(Event::SignalingStateChanged(SignalingState::Closed));
        }
    }

    /// Cancels the outstanding offer, local or remote (RFC 8829 §4.1.10.2): back to the last
    /// stable state. Transceivers the remote offer created are removed; ones the owner added
    /// stay, unassociated.
    pub fn rollback(&mut self) -> Result<(), Error> {
        let next = self.transition(Operation::Rollback)?;
        let session = self.rolled_back();
        self.created_answer = None;
        self.commit(session, next);
        self.update_negotiation_needed();
        Ok(())
    }

    /// The session as a rollback leaves it: the stable snapshot, with the owner's changes
    /// since (added transceivers, directions, stops, data channel request, ICE restart)
    /// kept.
    pub(crate) fn rolled_back(&self) -> Session {
        let Some(stable) = self.stable.as_deref() else {
            return self.s.clone();
        };
        let mut s = stable.clone();
        for t in &self.s.transceivers {
            match s.transceiver_mut(t.id) {
                Some(old) => {
                    old.direction = t.direction;
                    old.track = t.track.clone();
                    old.stopped = t.stopped;
                }
                None if !t.from_remote => {
                    let mut t = t.clone();
                    t.mid = None;
                    t.current_direction = None;
                    s.transceivers.push(t);
                }
                None => {}
            }
        }
        s.data_requested |= self.s.data_requested;
        if self.s.local_ice_fresh && self.s.local_ice != stable.local_ice {
            s.local_ice = self.s.local_ice.clone();
            s.local_ice_fresh = true;
        }
        s.rng = self.s.rng.clone();
        s
    }

    /// Checks `op` against the state machine; returns the state it leads to.
    pub(crate) fn transition(&self, op: Operation) -> Result<SignalingState, Error> {
        self.state.after(op).ok_or(Error::WrongState {
            operation: op,
            state: self.state,
        })
    }

    fn ensure_open(&self, op: Operation) -> Result<(), Error> {
        if self.state == SignalingState::Closed {
            return Err(Error::WrongState {
                operation: op,
                state: self.state,
            });
        }
        Ok(())
    }

    /// Installs `session` and moves to `next`. Leaving stable keeps the session before the
    /// change for a rollback; reaching stable drops it.
    pub(crate) fn commit(&mut self, session: Session, next: SignalingState) {
        let before = std::mem::replace(&mut self.s, session);
        if self.state == SignalingState::Stable && next != SignalingState::Stable {
            self.stable = Some(Box::new(before));
        }
        if next == SignalingState::Stable {
            self.stable = None;
        }
        if next != self.state {
            self.state = next;
            self.push_event(Event::SignalingStateChanged(next));
        }
    }

    pub(crate) fn push_event(&mut self, e: Event) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    /// Whether the next offer would differ from what was negotiated (W3C "check if
    /// negotiation is needed"): an unassociated transceiver, a stopped one whose section is
    /// still active, a direction that differs from the one in our current description, a
    /// data channel without a section, fresh ICE credentials.
    pub(crate) fn needs_negotiation(&self) -> bool {
        let s = &self.s;
        let transceivers = s.transceivers.iter().any(|t| {
            let Some(mid) = t.mid.as_deref() else {
                return !t.stopped;
            };
            let active = s.lines.iter().any(|l| l.mid == mid && !l.rejected);
            if !active {
                return false;
            }
            if t.stopped {
                return true;
            }
            let written = s
                .current_local
                .as_ref()
                .and_then(|d| d.media_by_mid(mid).map(|(i, _)| d.direction(i)));
            let expected = match (s.local_was_offer, s.current_remote.as_ref()) {
                (false, Some(r)) => r
                    .media_by_mid(mid)
                    .map(|(i, _)| Direction::answer(r.direction(i), t.direction)),
                _ => Some(t.direction),
            };
            written != expected
        });
        let data = s.data_requested
            && !s
                .lines
                .iter()
                .any(|l| l.content == Content::Data && !l.rejected);
        transceivers || data || s.local_ice_fresh
    }

    pub(crate) fn update_negotiation_needed(&mut self) {
        if self.state != SignalingState::Stable {
            return;
        }
        let needed = self.needs_negotiation();
        if needed && !self.negotiation_needed {
            self.push_event(Event::NegotiationNeeded);
        }
        self.negotiation_needed = needed;
    }
}
