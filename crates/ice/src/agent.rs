//! The agent: its state, its public API and the routing of output.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rtcweb_common::{Datagram, Transmit, Transport};
use rtcweb_stun::{
    Class, MAX_MESSAGE_LEN, Method, classify, encode_binding_success_with, looks_like_stun,
};

use crate::checklist::{Added, Checklist, PairInfo, PairState};
use crate::checks::{Checks, Sent, Target};
use crate::credentials::Session;
use crate::gather::{Context, Demux, Gathered, Gatherer, Path};
use crate::inbound::{Answer, RESPONSE_BUF, Request, Role};
use crate::liveness::{Liveness, Progress};
use crate::sped::{Piggybacked, Sped};
use crate::{
    Candidate, CandidateKind, CandidateTransport, Config, ConnectionState, Credentials, Event,
    GatheringState, IceError, TcpType, TransportPolicy,
};

/// The gathering topic's view of the agent: configuration, session, randomness, events.
macro_rules! ctx {
    ($agent:ident) => {
        &mut Context {
            config: &$agent.config,
            session: &$agent.session,
            rng: &mut $agent.rng,
            events: &mut $agent.events,
        }
    };
}

/// Where media goes: the selected pair, kept across an ICE restart until a new pair is
/// selected (then `pair` is `None`).
#[derive(Debug, Clone)]
struct Route {
    pair: Option<u32>,
    local: usize,
    remote: SocketAddr,
    remote_candidate: Candidate,
}

/// Counters of what the agent dropped or did, for statistics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Connectivity checks sent (first transmissions).
    pub checks_sent: u64,
    /// Authenticated Binding requests answered.
    pub requests_answered: u64,
    /// Binding requests with a bad MESSAGE-INTEGRITY or an unknown USERNAME: no response.
    pub requests_unauthenticated: u64,
    /// Requests without USERNAME or MESSAGE-INTEGRITY (answered 400, no state).
    pub requests_malformed: u64,
    /// Responses that failed authentication or matched no transaction.
    pub responses_dropped: u64,
    /// Datagrams that were neither STUN nor from a validated pair.
    pub data_dropped: u64,
    /// Role conflicts seen (RFC 8445 §7.3.1.1, §7.2.5.1).
    pub role_conflicts: u64,
    /// Remote candidates refused because the table was full.
    pub candidates_refused: u64,
    /// Pairs pruned or refused because the checklist was full.
    pub pairs_pruned: u64,
    /// Checks not started because the transaction table was full.
    pub checks_deferred: u64,
    /// Consent checks sent (RFC 7675).
    pub consent_checks_sent: u64,
    /// Binding requests over TCP to STUN servers not started because the table was full
    /// (server-reflexive ICE-TCP candidates, [`Agent::add_tcp_listener`]).
    pub tcp_discoveries_refused: u64,
}

/// What [`Agent::handle_datagram`] made of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received<'a> {
    /// STUN or TURN traffic the agent consumed.
    Consumed,
    /// Application data (DTLS, SRTP, ...) on a validated pair, borrowed from the datagram
    /// (unwrapped when it came through a TURN relay).
    Data {
        /// The peer's address.
        remote: SocketAddr,
        /// The bytes.
        contents: &'a [u8],
    },
    /// Not for the agent and not from a validated pair: dropped and counted.
    Rejected,
}

/// A sans-IO ICE agent for one data stream with one component (BUNDLE and rtcp-mux).
///
/// See the [crate documentation](crate) for the drive loop.
#[derive(Debug)]
pub struct Agent {
    config: Config,
    rng: StdRng,
    /// Credentials, keys, role and generation.
    session: Session,
    /// Sockets, local candidates, discoveries and relays, gathering state and servers.
    gather: Gatherer,
    /// Remote candidates, pairs and triggered checks.
    checklist: Checklist,
    /// Check transactions, pacing and nomination.
    checks: Checks,
    route: Option<Route>,
    /// Connection state, failure, closing and consent timing.
    liveness: Liveness,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
    scratch: Vec<u8>,
    /// SPED: what to attach to checks and responses, and what the peer attached.
    sped: Sped,
    /// Checks that carried DTLS, answered once the owner has handed over DTLS's reply
    /// (at most [`MAX_HELD`]; [`Agent::sped_flight`], or the next timeout, answers them).
    held: Vec<Held>,
    /// The pair the peer last attached SPED data on: it reaches us there.
    sped_pair: Option<u32>,
}

/// Most checks held for DTLS's reply; more are answered at once.
const MAX_HELD: usize = 8;

/// A check held until DTLS's reply can ride in its response (SPED).
#[derive(Debug, Clone, Copy)]
struct Held {
    transaction: [u8; 12],
    path: Path,
    remote: SocketAddr,
    arrived: Instant,
}

impl Agent {
    /// A new agent. `now` starts its clock; nothing is sent until sockets are added and
    /// [`gather`](Self::gather) is called or remote candidates arrive. Fails only when
    /// [`Config::credentials`] are given and not made of ice-chars.
    pub fn new(config: Config, now: Instant) -> Result<Self, IceError> {
        let mut rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let session = Session::new(&config, &mut rng)?;
        Ok(Self {
            session,
            checks: Checks::new(&config, now),
            rng,
            gather: Gatherer::new(&config),
            checklist: Checklist::new(&config),
            route: None,
            liveness: Liveness::new(now),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            scratch: Vec::with_capacity(1500),
            sped: Sped::new(config.sped),
            held: Vec::new(),
            sped_pair: None,
            config,
        })
    }

    /// Our credentials, for `a=ice-ufrag` / `a=ice-pwd`.
    pub fn local_credentials(&self) -> &Credentials {
        self.session.local()
    }

    /// Whether the agent is controlling now (it may change after a role conflict).
    pub fn is_controlling(&self) -> bool {
        self.session.is_controlling()
    }

    /// Whether the agent is ICE-lite (`a=ice-lite`).
    pub fn is_lite(&self) -> bool {
        self.config.lite
    }

    /// The connection state.
    pub fn connection_state(&self) -> ConnectionState {
        self.liveness.state()
    }

    /// The gathering state.
    pub fn gathering_state(&self) -> GatheringState {
        self.gather.state()
    }

    /// What STUN and TURN servers refused or left unanswered so far (the first few), as
    /// reported by [`Event::CandidateError`]: why a connection that needed a relay failed.
    pub fn candidate_errors(&self) -> &[crate::CandidateError] {
        self.gather.candidate_errors()
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        Stats {
            tcp_discoveries_refused: self.gather.tcp_discoveries_refused(),
            ..self.stats
        }
    }

    /// Where SPED stands ([`Config::sped`]).
    pub fn sped_state(&self) -> crate::SpedState {
        self.sped.state()
    }

    /// Counters of the SPED attributes sent and received.
    pub fn sped_stats(&self) -> crate::SpedStats {
        self.sped.stats()
    }

    /// SPED: the DTLS datagrams DTLS just sent (a new flight, or a retransmitted one), to
    /// attach one per check and response until the peer acknowledges them; none when DTLS
    /// sent nothing. Then answers the checks held for DTLS's reply
    /// ([`Event::PiggybackedDtls`]), so their responses carry it. Call it after handing
    /// DTLS what the agent handed up; the datagrams still go out on their own too once a
    /// pair is valid (nothing is lost if the peer turns out not to do SPED).
    pub fn sped_flight<'p>(&mut self, now: Instant, packets: impl IntoIterator<Item = &'p [u8]>) {
        let mut packets = packets.into_iter().peekable();
        let flight = packets.peek().is_some();
        if flight {
            self.sped.flight(packets);
        }
        self.answer_held(now);
        // What of a flight (or DTLS's retransmission of it) no response carried, while no
        // pair can carry it on its own, goes in checks of its own at once, one datagram
        // each (a DTLS 1.3 ClientHello with an ML-KEM share is two): checks are
        // retransmitted as they were first sent, with what was attached then, so DTLS's
        // timer, not the check's, drives the handshake.
        if flight {
            self.sped_send_unsent(now);
        }
    }

    /// Sends what no message carried yet of the SPED flight, one datagram per check, while
    /// no pair can carry the flight on its own.
    fn sped_send_unsent(&mut self, now: Instant) {
        if self.route.is_some() {
            return;
        }
        for _ in 0..self.sped.unsent() {
            self.sped_check(now);
        }
    }

    /// Sends a check carrying what SPED attaches, on the pair the peer last attached
    /// SPED data on, else the best valid pair, else the best pair checked so far. It is
    /// sent as a consent check is: its answer changes no pair state.
    fn sped_check(&mut self, now: Instant) {
        let pi = self
            .sped_pair
            .and_then(|id| self.checklist.index_of(id))
            .or_else(|| self.checklist.best_valid())
            .or_else(|| {
                (0..self.checklist.pairs().len())
                    .filter(|&i| self.checklist.pair(i).state != PairState::Frozen)
                    .max_by_key(|&i| self.checklist.pair(i).priority)
            });
        if let Some(pi) = pi {
            self.send_check(now, pi, false, true);
            self.flush(now);
        }
    }

    /// SPED: our DTLS handshake is done. `our_flight_answered`: the peer's flight answered
    /// our last one (a DTLS 1.2 client, a DTLS 1.3 server), so nothing is left to send;
    /// otherwise (a 1.2 server, a 1.3 client) our last flight keeps being attached until
    /// the peer acknowledges it.
    pub fn sped_handshake_complete(&mut self, our_flight_answered: bool) {
        self.sped.handshake_complete(our_flight_answered);
    }

    /// SPED: a DTLS datagram that arrived on its own during the handshake, acknowledged
    /// too so the peer stops attaching it. True when it is a copy (the same bytes) of a
    /// plaintext one received before, piggybacked or not: the owner drops it rather than
    /// hand DTLS the same records twice, which a DTLS server would take for a
    /// retransmission of the peer's flight and answer with its own
    /// ([`SpedStats::copies_dropped`](crate::SpedStats::copies_dropped)).
    pub fn sped_dtls_received(&mut self, datagram: &[u8]) -> bool {
        self.sped.plain_dtls_received(datagram)
    }

    /// SPED: stop attaching (DTLS failed, or the owner gave up on it).
    pub fn sped_off(&mut self, now: Instant) {
        self.sped.turn_off();
        self.answer_held(now);
    }

    /// The ICE generation: 0, then one more per [`restart`](Self::restart).
    pub fn generation(&self) -> u32 {
        self.session.generation()
    }

    /// The local candidates gathered so far (host, server-reflexive, relayed and the
    /// peer-reflexive ones learned from checks).
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.gather
            .locals()
            .iter()
            .filter(|l| l.alive)
            .map(|l| &l.candidate)
    }

    /// How a relayed local candidate reaches its TURN server (UDP, TCP or TLS); `None` for
    /// other candidates (webrtc-stats `relayProtocol`).
    pub fn relay_protocol(&self, candidate: &Candidate) -> Option<Transport> {
        self.gather.relay_protocol(candidate)
    }

    /// The remote candidates with a known address.
    pub fn remote_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.checklist.remotes().iter().map(|r| &r.candidate)
    }

    /// The checklist, for statistics.
    pub fn pairs(&self) -> impl Iterator<Item = PairInfo<'_>> {
        let selected = self.selected_pair_id();
        self.checklist.pairs().iter().map(move |p| PairInfo {
            local: &self
                .gather
                .local(p.valid_local.unwrap_or(p.local))
                .candidate,
            remote: &self.checklist.remote(p.remote).candidate,
            state: p.state,
            nominated: p.nominated,
            priority: p.priority,
            selected: Some(p.id) == selected,
        })
    }

    /// The selected pair, if any (also during an ICE restart, until a new one is selected).
    pub fn selected_pair(&self) -> Option<crate::SelectedPair> {
        self.route.as_ref().map(|r| self.selected_of(r))
    }

    fn selected_of(&self, route: &Route) -> crate::SelectedPair {
        let local = self.gather.local(route.local);
        crate::SelectedPair {
            local: local.candidate.clone(),
            remote: route.remote_candidate.clone(),
            socket: self.gather.socket_of(local.path),
        }
    }

    fn selected_pair_id(&self) -> Option<u32> {
        self.route.as_ref().and_then(|r| r.pair)
    }

    /// Adds a local UDP socket (one interface address, IPv4 or IPv6). If gathering has
    /// started, it is gathered from at once.
    pub fn add_local_socket(&mut self, now: Instant, socket: SocketAddr) -> Result<(), IceError> {
        let started = self.gather.state() != GatheringState::New;
        self.gather.add_socket(now, socket, ctx!(self))?;
        if started {
            self.after_input(now);
        }
        Ok(())
    }

    /// Removes a local UDP socket whose interface address went away: its candidates and
    /// those gathered through it are gone, their pairs fail, and if the selected pair used
    /// it the best other nominated pair takes over (none: the connection waits for an ICE
    /// restart, RFC 8445 §9, which the owner asks for). Not an error when the socket was
    /// never added.
    pub fn remove_local_socket(&mut self, now: Instant, socket: SocketAddr) {
        if !self.gather.remove_socket(now, socket) {
            return;
        }
        self.locals_lost(now);
    }

    /// Adds an ICE-TCP listener of the owner's (RFC 6544): a passive host candidate at
    /// `listener` and an active one on its IP, signalled with port 9 (§4.5). If gathering
    /// has started, both are gathered at once.
    ///
    /// The owner carries ICE-TCP datagrams, each in an RFC 4571 frame
    /// ([`rtcweb_common::FrameDecoder`], [`rtcweb_common::encode_frame`]), on TCP
    /// connections it names by their two ends as the agent sees them:
    /// - a connection it accepted on `listener` from a peer's address `remote` is
    ///   (`listener`, `remote`);
    /// - a connection it opened to a peer's passive candidate `remote` is (the active
    ///   candidate's address, `listener`'s IP at port 9, `remote`), whatever ephemeral
    ///   port the OS gave it.
    ///
    /// A [`Transmit`] over [`Transport::Tcp`] whose source is one of these goes on the
    /// connection with those ends; from the active address, when there is none yet, the
    /// owner opens it to the destination (RFC 6544 §7.1; a connection it cannot open is
    /// reported with [`stream_closed`](Self::stream_closed)). Each datagram it reads from a
    /// connection comes to [`handle_datagram`](Self::handle_datagram) with
    /// [`Transport::Tcp`] and those ends as `local` and `remote`. A check that arrives on a
    /// connection accepted from an address the agent does not know makes a peer-reflexive
    /// remote candidate (RFC 8445 §7.3.1.3), active, answered and checked on that
    /// connection. Listeners count against [`Config::max_sockets`]; port 0 and port 9 are
    /// refused ([`IceError::InvalidListener`]).
    ///
    /// **Server-reflexive passive candidates** (RFC 6544 §4.1): for each `stun:` server of
    /// the configuration ([`IceServer::Stun`](crate::IceServer::Stun)) the agent sends one
    /// Binding request over TCP from each listener, so that the mapping it learns is the
    /// listener's own (a 1:1 NAT, a cloud VM's public address or a router's port forward
    /// reach the listener at that address). The owner tells such a transmit from an ICE-TCP
    /// check by its ends: a [`Transmit`] over [`Transport::Tcp`] whose source is a
    /// listener and whose destination is a configured STUN server. It opens a TCP
    /// connection *from the listener's address and port* (the listener and this socket
    /// both set `SO_REUSEPORT`) to the server, writes the bytes as they are (no RFC 4571
    /// frame: a STUN message's header gives its length, RFC 8489 §6.2.2), and hands each
    /// STUN message it reads back to [`handle_datagram`](Self::handle_datagram) with
    /// [`Transport::Tcp`], `local` the listener and `remote` the server. It may close the
    /// connection once the response came; a connection that closes or cannot be opened
    /// before then is reported with [`stream_closed`](Self::stream_closed), which fails
    /// the request at once (else it times out after Ti, 39.5 s, RFC 8489 §6.2.2).
    /// Gathering completes only when these requests have ended. A mapped address equal to
    /// the listener (no NAT) makes no candidate. No server-reflexive *active* candidate is
    /// gathered: the crate docs say why.
    pub fn add_tcp_listener(&mut self, now: Instant, listener: SocketAddr) -> Result<(), IceError> {
        let started = self.gather.state() != GatheringState::New;
        self.gather.add_tcp_listener(now, listener, ctx!(self))?;
        if started {
            self.after_input(now);
        }
        Ok(())
    }

    /// Removes an ICE-TCP listener whose interface address went away: its passive and
    /// active candidates are gone, as with
    /// [`remove_local_socket`](Self::remove_local_socket).
    pub fn remove_tcp_listener(&mut self, now: Instant, listener: SocketAddr) {
        if !self.gather.remove_tcp_listener(listener) {
            return;
        }
        self.locals_lost(now);
    }

    /// Whether the owner's ICE-TCP connection between `local` and `remote` (named as
    /// [`add_tcp_listener`](Self::add_tcp_listener) says) has carried an authenticated check
    /// from the peer, or an authenticated answer to one of ours. A connection accepted on a
    /// listener that has not serves no pair (anyone may connect to a passive candidate), so
    /// the owner may close it to make room for others: RFC 6544 leaves the limits on
    /// accepted connections to the implementation.
    pub fn tcp_connection_checked(&self, local: SocketAddr, remote: SocketAddr) -> bool {
        self.checklist
            .connection_checked(&self.gather, local, remote)
    }

    /// The owner's ICE-TCP connection between `local` and `remote` (named as
    /// [`add_tcp_listener`](Self::add_tcp_listener) says) closed, or could not be opened:
    /// the pairs on it fail at once (RFC 6544 §7.1), and if the selected pair was one of
    /// them, the best other nominated pair takes over (none: the connection waits for an
    /// ICE restart).
    ///
    /// The connection from a listener to a STUN server (see
    /// [`add_tcp_listener`](Self::add_tcp_listener)) ends its Binding request: one still
    /// waiting fails ([`Event::CandidateError`]).
    pub fn stream_closed(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr) {
        if self
            .gather
            .tcp_discovery_closed(local, remote, &mut self.events)
        {
            self.after_input(now);
            return;
        }
        let failed = self.checklist.fail_connection(&self.gather, local, remote);
        if failed.is_empty() {
            return;
        }
        if self
            .selected_pair_id()
            .is_some_and(|id| failed.contains(&id))
        {
            self.route = None;
            self.select_best(now);
        }
        self.after_input(now);
    }

    /// Local candidates died: their pairs fail, and the route if it used one goes to the
    /// best other nominated pair.
    fn locals_lost(&mut self, now: Instant) {
        self.checklist
            .fail_where(|local| !self.gather.local(local).alive);
        if let Some(route) = &self.route
            && !self.gather.local(route.local).alive
        {
            self.route = None;
            self.select_best(now);
        }
        self.after_input(now);
    }

    /// Starts gathering on every socket added so far: host candidates at once, then
    /// server-reflexive and relayed ones as the servers answer. Candidates come out as
    /// [`Event::LocalCandidate`], then [`GatheringState::Complete`].
    pub fn gather(&mut self, now: Instant) {
        if self.gather.state() != GatheringState::New || self.liveness.is_closed() {
            return;
        }
        self.gather.start(now, ctx!(self));
        self.after_input(now);
    }

    /// Sets the peer's credentials (from its SDP). Checks start once they are known; checks
    /// that arrived before are answered all the same (RFC 8445 §7.3.1).
    pub fn set_remote_credentials(
        &mut self,
        now: Instant,
        credentials: Credentials,
    ) -> Result<(), IceError> {
        if !self.session.set_remote(credentials)? {
            return Ok(());
        }
        self.liveness.start(now);
        self.update_state(now);
        Ok(())
    }

    /// Adds a remote candidate (from SDP or trickled, RFC 8838 §11). Candidates with an
    /// mDNS name are held until [`resolve_mdns`](Self::resolve_mdns). ICE-TCP candidates
    /// (RFC 6544) pair with our TCP candidates of the opposite role (§6.2); one without a
    /// `tcptype`, or of another transport, is refused with
    /// [`IceError::UnsupportedTransport`] and can be ignored.
    pub fn add_remote_candidate(
        &mut self,
        now: Instant,
        candidate: Candidate,
    ) -> Result<(), IceError> {
        if self.liveness.is_closed() {
            return Err(IceError::Closed);
        }
        if candidate.component != 1 {
            return Err(IceError::UnsupportedComponent(candidate.component));
        }
        match (&candidate.transport, candidate.tcp_type) {
            (CandidateTransport::Udp, _) | (CandidateTransport::Tcp, Some(_)) => {}
            // RFC 6544 §4.5: a TCP candidate says its role.
            _ => return Err(IceError::UnsupportedTransport),
        }
        if let (Some(u), Some(remote)) = (&candidate.ufrag, self.session.remote())
            && *u != remote.ufrag
        {
            return Err(IceError::StaleCandidate);
        }
        if self.checklist.is_full() {
            self.stats.candidates_refused += 1;
            return Err(IceError::TooManyCandidates(
                self.config.max_remote_candidates,
            ));
        }
        match candidate.socket_addr() {
            Some(address) => self.insert_remote(candidate, address),
            None => {
                if let Some(name) = self.checklist.hold_mdns(candidate) {
                    self.events.push_back(Event::ResolveMdns { name });
                }
            }
        }
        self.liveness.start(now);
        self.after_input(now);
        Ok(())
    }

    /// The owner resolved an mDNS name of a remote candidate: the held candidates with that
    /// name join the checklist. Returns how many did.
    pub fn resolve_mdns(&mut self, now: Instant, name: &str, ip: IpAddr) -> usize {
        let mut resolved = 0;
        while let Some(candidate) = self.checklist.take_mdns(name) {
            let address = SocketAddr::new(ip, candidate.port);
            self.insert_remote(candidate, address);
            resolved += 1;
        }
        self.after_input(now);
        resolved
    }

    /// A remote candidate with a known address: new ones are paired with every local base.
    fn insert_remote(&mut self, candidate: Candidate, address: SocketAddr) {
        let controlling = self.session.is_controlling();
        if let Some(remote) =
            self.checklist
                .insert_remote(&self.gather, candidate, address, controlling)
        {
            for local in 0..self.gather.locals().len() {
                self.add_pair(local, remote);
            }
        }
    }

    /// The peer signalled end-of-candidates (RFC 8838 §13).
    pub fn end_of_remote_candidates(&mut self, now: Instant) {
        self.checklist.set_end_of_candidates();
        self.after_input(now);
    }

    /// New STUN and TURN servers and candidate policy (W3C `setConfiguration`): they take
    /// effect at the next [`restart`](Self::restart), which gathers from them afresh.
    pub fn set_servers(&mut self, servers: Vec<crate::IceServer>, policy: TransportPolicy) {
        self.gather.set_pending_servers(servers, policy);
    }

    /// ICE restart (RFC 8445 §9): new local credentials, a new generation; the remote side's
    /// new credentials and candidates follow through
    /// [`set_remote_credentials`](Self::set_remote_credentials) and
    /// [`add_remote_candidate`](Self::add_remote_candidate).
    /// Local candidates are announced again. The selected pair keeps carrying data until a
    /// new one is selected.
    pub fn restart(&mut self, now: Instant) {
        let credentials = Credentials::random(&mut self.rng);
        self.restart_with(now, credentials);
    }

    /// [`restart`](Self::restart) with the new local credentials given (those the owner's
    /// description already carries, RFC 8839 §4.4.1.1). Unusable ones are replaced by
    /// random ones.
    pub fn restart_with(&mut self, now: Instant, credentials: Credentials) {
        if self.liveness.is_closed() {
            return;
        }
        self.session.restart(credentials, &mut self.rng);
        self.checklist.clear();
        self.checks.restart();
        // The old pair keeps its data flowing; it gets a fresh consent window.
        self.liveness.restart(now, self.route.is_some());
        if let Some(route) = &mut self.route {
            route.pair = None;
        }
        // The selected pair's relay stays while data flows on it.
        let keep_relay = self
            .route
            .as_ref()
            .and_then(|r| match self.gather.local(r.local).path {
                Path::Relay(i) => Some(i),
                Path::Socket(_) | Path::Tcp(_) => None,
            });
        self.gather.restart(now, keep_relay, ctx!(self));
        self.pair_fresh();
        self.update_state(now);
    }

    /// Closes the agent: TURN allocations are released, nothing more is checked or sent.
    pub fn close(&mut self, now: Instant) {
        if self.liveness.is_closed() {
            return;
        }
        self.gather.close(now);
        self.checks.clear();
        self.liveness.close();
        self.flush(now);
        self.update_state(now);
    }

    /// Sends application data on the selected pair. For a relayed pair the data is framed
    /// into `buf` (ChannelData or a Send indication); otherwise the transmit borrows `data`.
    ///
    /// Over a TURN server reached by TLS the returned bytes are TLS records sealed now, and
    /// records sealed before (refreshes, permissions, checks) may still wait in
    /// [`poll_transmit`](Self::poll_transmit): send those first, so that the server gets
    /// the records in sequence.
    pub fn send<'a>(
        &mut self,
        now: Instant,
        data: &'a [u8],
        buf: &'a mut Vec<u8>,
    ) -> Result<Transmit<&'a [u8]>, IceError> {
        if self.liveness.is_over() {
            return Err(IceError::Closed);
        }
        let route = self.route.as_ref().ok_or(IceError::NotConnected)?;
        let remote = route.remote;
        let path = self.gather.local(route.local).path;
        self.liveness.sent(now);
        match path {
            Path::Socket(socket) => Ok(Transmit {
                transport: Transport::Udp,
                source: Some(socket),
                destination: remote,
                contents: data,
            }),
            // One datagram for the owner to frame on the ICE-TCP connection (RFC 4571).
            Path::Tcp(base) => Ok(Transmit {
                transport: Transport::Tcp,
                source: Some(base),
                destination: remote,
                contents: data,
            }),
            Path::Relay(r) => self.gather.send_data(now, r, remote, data, buf),
        }
    }

    /// The next datagram (or stream bytes to a TURN server) to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Feeds a datagram (or TCP/TLS bytes from a TURN server: `transport` says which).
    /// STUN and TURN traffic is consumed; application data on a validated pair comes back
    /// borrowed.
    pub fn handle_datagram<'a>(&mut self, now: Instant, datagram: Datagram<'a>) -> Received<'a> {
        let received = self.route_datagram(now, datagram);
        self.after_input(now);
        received
    }

    /// Time passed: checks, retransmissions, nomination, consent, keepalives, TURN refreshes.
    /// Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        let closed = self.liveness.is_closed();
        self.gather.handle_timeout(now, closed);
        if closed {
            self.flush(now);
            return;
        }
        self.checks.handle_timeout(now);
        // Checks held for DTLS's reply are answered now at the latest.
        self.answer_held(now);
        self.process_timeouts();
        self.schedule_checks(now);
        self.run_liveness(now);
        self.after_input(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next; `None` when nothing is.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        let closed = self.liveness.is_closed();
        consider(self.gather.poll_timeout(closed));
        if closed {
            return next;
        }
        consider(self.checks.poll_timeout());
        consider(self.held.iter().map(|h| h.arrived).min());
        if !self.config.lite && !self.liveness.is_failed() {
            let at = self.checks.next_check_at();
            let keyed = self.session.remote_key().is_some();
            if self.checklist.has_check_work(&self.gather, at, keyed) {
                consider(Some(at));
            }
            if let Some(due) = self.nomination_due_at() {
                consider(Some(due.max(at)));
            }
        }
        let checking = !self.config.lite && self.session.remote_key().is_some();
        consider(
            self.liveness
                .deadline(self.route.is_some(), checking, &self.config),
        );
        next
    }

    /// Everything that must happen after any input: drain sub-machines, update states.
    fn after_input(&mut self, now: Instant) {
        self.process_gathering(now);
        self.select_valid_until_nominated(now);
        self.flush(now);
        self.gather.check_complete(&mut self.events);
        self.update_state(now);
    }

    /// Acts on what gathering found: new local candidates are paired, the pairs of a lost
    /// relay fail.
    fn process_gathering(&mut self, now: Instant) {
        while let Some(gathered) = self.gather.poll(now, ctx!(self)) {
            match gathered {
                Gathered::Local(local) => self.pair_local(local),
                Gathered::RelayLost(r) => self.relay_lost(now, r),
            }
        }
    }

    /// Pairs the local candidates added since the last time.
    fn pair_fresh(&mut self) {
        while let Some(local) = self.gather.take_fresh() {
            self.pair_local(local);
        }
    }

    /// Pairs on a lost relay fail (and the route, if it used it, is gone).
    fn relay_lost(&mut self, now: Instant, r: usize) {
        self.checklist
            .fail_where(|local| self.gather.local(local).path == Path::Relay(r));
        if let Some(route) = &self.route
            && self.gather.local(route.local).path == Path::Relay(r)
        {
            self.route = None;
            self.select_best(now);
        }
    }

    /// Moves transmits of the check transactions, discoveries and relays to the outbound
    /// queue, wrapping what goes through a relay.
    fn flush(&mut self, now: Instant) {
        while let Some(t) = self.checks.poll_transmit() {
            let Some(base) = t.source else { continue };
            self.send_on_base(now, t.transport, base, t.destination, &t.contents);
        }
        self.gather.flush(&mut self.transmits);
    }

    /// Sends STUN bytes over `transport` from a local base (a socket, a relayed address or
    /// a TCP candidate's base) to `remote`.
    fn send_on_base(
        &mut self,
        now: Instant,
        transport: Transport,
        base: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let Some(path) = self.gather.path_of_base(transport, base) else {
            return;
        };
        self.send_on_path(now, path, remote, bytes);
    }

    fn send_on_path(&mut self, now: Instant, path: Path, remote: SocketAddr, bytes: &[u8]) {
        match path {
            Path::Socket(socket) | Path::Tcp(socket) => self.transmits.push_back(Transmit {
                transport: path.transport(),
                source: Some(socket),
                destination: remote,
                contents: bytes.to_vec(),
            }),
            Path::Relay(r) => {
                if let Some(t) = self
                    .gather
                    .send_on_relay(now, r, remote, bytes, &mut self.scratch)
                {
                    self.transmits.push_back(t);
                }
            }
        }
    }
}

/// Consent and connection state: the liveness topic told what the other topics say.
impl Agent {
    /// RFC 7675 §5.1: the consent interval randomised between 0.8 and 1.2 times its base.
    fn consent_delay(&mut self) -> std::time::Duration {
        self.config
            .consent_interval
            .mul_f64(rand::Rng::random_range(&mut self.rng, 0.8..1.2))
    }

    /// Consent checks on the route (RFC 7675) and keepalives (RFC 8445 §11).
    fn run_liveness(&mut self, now: Instant) {
        if !self.liveness.tick(now, self.route.is_some(), &self.config) {
            return;
        }
        let Some(route) = self.route.clone() else {
            return;
        };
        if self.liveness.consent_due(now, &self.config) {
            // During an ICE restart the old pair has no checklist entry: no consent check
            // then (the restart gave it a fresh window).
            if let Some(pi) = route.pair.and_then(|id| self.checklist.index_of(id)) {
                self.send_check(now, pi, false, true);
            }
            let at = now + self.consent_delay();
            self.liveness.next_consent_at(at);
        }
        if self.liveness.keepalive_due(now, &self.config) {
            let mut id = [0u8; 12];
            rand::RngCore::fill_bytes(&mut self.rng, &mut id);
            let mut buf = [0u8; 64];
            if let Ok(n) = rtcweb_stun::encode_binding_indication(id, &mut buf) {
                let path = self.gather.local(route.local).path;
                self.send_on_path(now, path, route.remote, &buf[..n]);
            }
            self.liveness.sent(now);
        }
    }

    /// What the checklist and gathering say, for the connection state.
    fn progress(&self) -> Progress {
        if self.route.is_some() {
            let nominated = self
                .selected_pair_id()
                .and_then(|id| self.checklist.index_of(id))
                .is_some_and(|i| self.checklist.pair(i).nominated);
            Progress::Selected {
                completed: nominated
                    && self.checklist.end_of_candidates()
                    && self.gather.state() == GatheringState::Complete
                    && self.checklist.checks_done(),
            }
        } else if self.session.remote_key().is_none() && self.checklist.remotes().is_empty() {
            Progress::New
        } else {
            Progress::Checking {
                exhausted: self.session.remote_key().is_some()
                    && self.gather.state() == GatheringState::Complete
                    && !self.checklist.has_pending_mdns()
                    && self.checklist.checks_done()
                    && !self.checklist.any_succeeded(),
                peer_done: self.checklist.end_of_candidates() && !self.checklist.pairs().is_empty(),
            }
        }
    }

    /// Recomputes the W3C connection state and announces changes.
    fn update_state(&mut self, now: Instant) {
        let progress = self.progress();
        self.liveness
            .update(now, progress, &self.config, &mut self.events);
    }
}

/// Pairing and checks: the checklist and the check transactions, told about local
/// candidates, the role and the route.
impl Agent {
    /// Pairs a new local base with every remote candidate.
    fn pair_local(&mut self, local: usize) {
        for remote in 0..self.checklist.remotes().len() {
            self.add_pair(local, remote);
        }
    }

    /// Adds the pair unless it exists or the checklist is full; returns its index. A new
    /// relayed pair asks its relay for a permission to the peer (RFC 8445 §7.2.1).
    fn add_pair(&mut self, local: usize, remote: usize) -> Option<usize> {
        let selected = self.selected_pair_id();
        let added = self.checklist.add_pair(
            &self.gather,
            local,
            remote,
            self.session.is_controlling(),
            selected,
            &mut self.stats,
        )?;
        if let Added::New(_) = added
            && let Path::Relay(relay) = self.gather.local(local).path
        {
            let ip = self.checklist.remote(remote).address.ip();
            self.gather
                .request_permission(relay, ip, self.config.max_remote_candidates);
        }
        Some(added.index())
    }

    /// When the controlling agent nominates (RFC 8445 §8.1.1).
    fn nomination_due_at(&self) -> Option<Instant> {
        self.checks
            .nomination_due_at(&self.checklist, self.session.is_controlling(), &self.config)
    }

    /// Sends the next check if Ta allows (RFC 8445 §6.1.4.2): nomination first, then a
    /// triggered or ordinary check.
    fn schedule_checks(&mut self, now: Instant) {
        if self.config.lite || self.liveness.is_over() || now < self.checks.next_check_at() {
            return;
        }
        if let Some(due) = self.nomination_due_at()
            && now >= due
            && let Some(best) = self.checklist.best_valid()
        {
            self.send_check(now, best, true, false);
            return;
        }
        let keyed = self.session.remote_key().is_some();
        if let Some(pi) = self.checklist.next_check(&self.gather, now, keyed) {
            self.send_check(now, pi, false, false);
            // The check carried the first datagram of a SPED flight that had no pair to
            // go on when DTLS sent it: the rest follows at once.
            self.sped_send_unsent(now);
        }
    }

    /// Sends a Binding request on pair `pi` (RFC 8445 §7.2.2).
    fn send_check(&mut self, now: Instant, pi: usize, use_candidate: bool, consent: bool) {
        let pair = self.checklist.pair(pi);
        let local = self.gather.local(pair.local);
        let target = Target {
            pair: pair.id,
            base: local.base,
            local_priority: local.candidate.priority,
            destination: self.checklist.remote(pair.remote).address,
            transport: local.path.transport(),
            use_candidate,
            consent,
        };
        let attach = if self.session.remote_key().is_some() {
            self.sped.attach()
        } else {
            Default::default()
        };
        let (raw, n) = attach.raw();
        match self.checks.send(
            now,
            target,
            &self.session,
            &mut self.rng,
            &self.config,
            &raw[..n],
        ) {
            Sent::Nothing => {}
            // The transaction table is full: try again after Ta.
            Sent::Deferred => self.stats.checks_deferred += 1,
            Sent::Started(transaction) => {
                self.liveness.sent(now);
                if consent {
                    self.stats.consent_checks_sent += 1;
                } else {
                    self.stats.checks_sent += 1;
                    self.checklist.check_sent(pi, transaction);
                }
            }
        }
    }

    /// Transactions that got no response: their pairs fail (RFC 8445 §7.2.5.2.4... via RFC 8489
    /// §6.2.1 timeouts).
    fn process_timeouts(&mut self) {
        while let Some((transaction, tag)) = self.checks.poll_timed_out() {
            if let Some(pi) = self.checklist.index_of(tag.pair)
                && self.checklist.pair(pi).transaction == Some(transaction)
            {
                self.fail_pair(pi, tag.use_candidate);
            }
        }
    }

    fn fail_pair(&mut self, pi: usize, nominating: bool) {
        self.checklist.fail(pi);
        if nominating {
            self.checks.nomination_over();
        }
    }

    /// Selects the highest-priority nominated valid pair (RFC 8445 §8.1.1, §8.2), announces it,
    /// and, as controlling agent, stops checking lower pairs (§8.1.2).
    fn select_best(&mut self, now: Instant) {
        let Some(pi) = self.checklist.best_nominated() else {
            return;
        };
        self.select(now, pi, true);
    }

    /// Both agents send on their best valid pair until a pair is nominated (RFC 8445
    /// §12.1: data may go on any valid pair; libwebrtc does the same): DTLS starts a round
    /// trip or more before the nomination has gone both ways. Only a pair no pending pair
    /// could beat, the one the controlling agent nominates at once (§8.1.1 as `checks`
    /// does it): a relayed pair that happened to succeed first while a direct one is still
    /// being checked is not worth starting on. The nominated pair takes over when it comes.
    fn select_valid_until_nominated(&mut self, now: Instant) {
        if self.route.is_some() || self.config.lite || self.checklist.any_nominated() {
            return;
        }
        if let Some(pi) = self.checklist.best_valid()
            && !self
                .checklist
                .better_pending(self.checklist.pair(pi).priority)
        {
            self.select(now, pi, false);
        }
    }

    /// Routes through pair `pi` and announces it; `nominated`: the final choice, after
    /// which the controlling agent stops checking lower pairs.
    fn select(&mut self, now: Instant, pi: usize, nominated: bool) {
        let pair = self.checklist.pair(pi);
        // The valid pair's local candidate: same base, same way out.
        let local = pair.valid_local.unwrap_or(pair.local);
        let (id, remote, priority) = (pair.id, pair.remote, pair.priority);
        if self.selected_pair_id() == Some(id) {
            return;
        }
        let peer = self.checklist.remote(remote);
        let route = Route {
            pair: Some(id),
            local,
            remote: peer.address,
            remote_candidate: peer.candidate.clone(),
        };
        self.events
            .push_back(Event::SelectedPair(self.selected_of(&route)));
        self.route = Some(route);
        let delay = self.consent_delay();
        self.liveness.selected(now, delay);
        if nominated && self.session.is_controlling() {
            self.checklist.prune_below(priority);
        }
        // A relayed selected pair gets a channel: 4 bytes of overhead instead of 36
        // (RFC 8656 §12).
        if let Path::Relay(r) = self.gather.local(local).path {
            let peer = self.checklist.remote(remote).address;
            self.gather.bind_channel(now, r, peer);
        }
    }

    /// A role change (RFC 8445 §7.2.5.1, §7.3.1.1): pair priorities are recomputed.
    fn set_role(&mut self, controlling: bool) {
        if self.session.set_controlling(controlling) {
            self.checklist.reprioritise(&self.gather, controlling);
            self.events
                .push_back(crate::Event::RoleChanged { controlling });
        }
    }
}

/// Datagrams in: demultiplexed to gathering and to the agent; Binding requests answered
/// (RFC 8445 §7.3) and responses to our checks processed (§7.2.5).
impl Agent {
    fn route_datagram<'a>(&mut self, now: Instant, d: Datagram<'a>) -> Received<'a> {
        match self.gather.demux(now, d) {
            Demux::Stream(r) => {
                // Bytes of a TCP or TLS connection to a TURN server. What the relay delivered
                // was copied out of its stream buffer (the agent reports it as an owned
                // `Event::Data`); it is handled like relayed UDP data.
                let mut relayed = self.gather.take_stream_relayed();
                for (peer, data) in relayed.drain(..) {
                    if self.handle_relayed(now, r, peer, &data).is_some() {
                        self.events.push_back(Event::Data { remote: peer, data });
                    }
                }
                self.gather.put_stream_relayed(relayed);
                return Received::Consumed;
            }
            Demux::Unknown => {
                self.stats.data_dropped += 1;
                return Received::Rejected;
            }
            Demux::Consumed => return Received::Consumed,
            Demux::Relayed { relay, peer, data } => {
                return match self.handle_relayed(now, relay, peer, data) {
                    Some(contents) => Received::Data {
                        remote: peer,
                        contents,
                    },
                    None => Received::Consumed,
                };
            }
            Demux::Other => {}
        }
        let path = match d.transport {
            Transport::Udp if self.gather.sockets().contains(&d.local) => Path::Socket(d.local),
            // One datagram from an ICE-TCP connection (the demux saw `local` is ours).
            Transport::Tcp => Path::Tcp(d.local),
            _ => {
                self.stats.data_dropped += 1;
                return Received::Rejected;
            }
        };
        // RFC 7983: STUN starts with 0..=3; anything else is application data.
        if looks_like_stun(d.contents) {
            self.handle_stun(now, d.local, path, d.remote, d.contents);
            return Received::Consumed;
        }
        if self.accepts_data(path.transport(), d.local, d.remote) {
            Received::Data {
                remote: d.remote,
                contents: d.contents,
            }
        } else {
            self.stats.data_dropped += 1;
            Received::Rejected
        }
    }

    /// Data that came out of relay `r` from `peer`: STUN is handled, application data on a
    /// validated pair is returned.
    fn handle_relayed<'a>(
        &mut self,
        now: Instant,
        r: usize,
        peer: SocketAddr,
        data: &'a [u8],
    ) -> Option<&'a [u8]> {
        let relayed = self.gather.relayed_address(r)?;
        if looks_like_stun(data) {
            self.handle_stun(now, relayed, Path::Relay(r), peer, data);
            return None;
        }
        if self.accepts_data(Transport::Udp, relayed, peer) {
            Some(data)
        } else {
            self.stats.data_dropped += 1;
            None
        }
    }

    /// Whether `base` and `remote` over `transport` are the route's.
    fn on_route(&self, transport: Transport, base: SocketAddr, remote: SocketAddr) -> bool {
        self.route.as_ref().is_some_and(|route| {
            let local = self.gather.local(route.local);
            local.base == base && local.path.transport() == transport && route.remote == remote
        })
    }

    /// Application data is accepted on the route and on pairs that succeeded or on which the
    /// peer sent an authenticated check.
    fn accepts_data(&self, transport: Transport, base: SocketAddr, remote: SocketAddr) -> bool {
        if self.on_route(transport, base, remote) {
            return true;
        }
        self.checklist.pairs().iter().any(|p| {
            let local = self.gather.local(p.local);
            let peer = self.checklist.remote(p.remote);
            (p.state == PairState::Succeeded || p.requested)
                && local.base == base
                && peer.address == remote
                && peer.transport == transport
        })
    }

    fn handle_stun(
        &mut self,
        now: Instant,
        base: SocketAddr,
        path: Path,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let Ok(header) = classify(bytes) else {
            self.stats.data_dropped += 1;
            return;
        };
        if header.method != Method::BINDING.0 {
            self.stats.data_dropped += 1;
            return;
        }
        match header.class {
            Class::Request if !self.liveness.is_closed() => {
                self.handle_request(now, base, path, remote, bytes)
            }
            Class::SuccessResponse | Class::ErrorResponse => self.handle_response(
                now,
                path.transport(),
                base,
                remote,
                bytes,
                header.transaction_id,
            ),
            // Indications are keepalives (RFC 8445 §11): nothing to do.
            _ => {}
        }
    }

    fn respond(
        &mut self,
        now: Instant,
        path: Path,
        remote: SocketAddr,
        encoded: Result<usize, rtcweb_stun::EncodeError>,
        buf: &[u8],
    ) {
        if let Ok(n) = encoded {
            self.send_on_path(now, path, remote, &buf[..n]);
        }
    }

    /// RFC 8445 §7.3.1.4: success with the source address seen, integrity and
    /// fingerprint, and what SPED attaches.
    fn answer(&mut self, now: Instant, txid: [u8; 12], path: Path, remote: SocketAddr) {
        let attach = self.sped.attach();
        let (raw, n) = attach.raw();
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let r = encode_binding_success_with(
            txid,
            remote,
            Some(self.session.local_key()),
            &raw[..n],
            &mut buf,
        );
        self.respond(now, path, remote, r, &buf);
        self.stats.requests_answered += 1;
    }

    /// Answers the checks held for DTLS's reply (SPED).
    fn answer_held(&mut self, now: Instant) {
        if self.held.is_empty() {
            return;
        }
        for h in std::mem::take(&mut self.held) {
            self.answer(now, h.transaction, h.path, h.remote);
        }
        self.flush(now);
    }

    /// RFC 8445 §7.3: an incoming connectivity check.
    fn handle_request(
        &mut self,
        now: Instant,
        base: SocketAddr,
        path: Path,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let mut buf = [0u8; RESPONSE_BUF];
        let (txid, priority, use_candidate, controlling, controlled) =
            match crate::inbound::read_request(bytes, &self.session, &mut self.stats, &mut buf) {
                Request::Check {
                    transaction,
                    priority,
                    use_candidate,
                    controlling,
                    controlled,
                } => (
                    transaction,
                    priority,
                    use_candidate,
                    controlling,
                    controlled,
                ),
                Request::Refused(n) => {
                    self.respond(now, path, remote, Ok(n), &buf);
                    return;
                }
                Request::Dropped => return,
            };
        // The candidate the check arrived on; none (e.g. a host socket under the relay-only
        // policy) means no answer, so the socket's address is not revealed.
        let transport = path.transport();
        let Some(local) = self.gather.receiving_local(transport, base) else {
            self.stats.requests_unauthenticated += 1;
            return;
        };
        // RFC 8445 §7.3.1.1: role conflicts, decided by the tie-breaker.
        match crate::inbound::role_rule(
            &self.session,
            self.config.lite,
            controlling,
            controlled,
            &mut self.stats,
        ) {
            Role::Keep => {}
            Role::Switch(controlling) => self.set_role(controlling),
            Role::Conflict => {
                let r = crate::inbound::role_conflict_response(txid, &self.session, &mut buf);
                self.respond(now, path, remote, r, &buf);
                return;
            }
        }
        // SPED: a check carrying DTLS is answered once DTLS has replied, so the response
        // carries the reply (draft-hancke-webrtc-sped §5).
        let piggybacked = Piggybacked::read(bytes);
        match self.sped.received(piggybacked) {
            Some(data) if self.held.len() < MAX_HELD => {
                self.events.push_back(Event::PiggybackedDtls {
                    data: data.to_vec(),
                });
                self.held.push(Held {
                    transaction: txid,
                    path,
                    remote,
                    arrived: now,
                });
            }
            other => {
                if let Some(data) = other {
                    self.events.push_back(Event::PiggybackedDtls {
                        data: data.to_vec(),
                    });
                }
                self.answer(now, txid, path, remote);
            }
        }

        let remote_index = match self.checklist.remote_at(transport, remote) {
            Some(i) => i,
            None => {
                // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate.
                if self.checklist.is_full() {
                    self.stats.candidates_refused += 1;
                    return;
                }
                let foundation =
                    format!("{}", 0x7000_0000u32 + self.checklist.remotes().len() as u32);
                let mut candidate =
                    Candidate::new(CandidateKind::PeerReflexive, foundation, priority, remote);
                if transport == Transport::Tcp {
                    // RFC 6544 §7.2: the peer's end of the connection, in the role opposite
                    // to our candidate's (active when it connected to our passive one).
                    candidate.transport = CandidateTransport::Tcp;
                    candidate.tcp_type = Some(match self.gather.local(local).candidate.tcp_type {
                        Some(TcpType::Passive) => TcpType::Active,
                        Some(TcpType::Active) => TcpType::Passive,
                        _ => TcpType::SimultaneousOpen,
                    });
                }
                self.checklist.push_remote(candidate, remote)
            }
        };
        let Some(pi) = self.add_pair(local, remote_index) else {
            return;
        };
        if piggybacked.data.is_some() {
            self.sped_pair = Some(self.checklist.pair(pi).id);
        }
        self.checklist.requested(pi, self.config.lite);
        // A check from the peer on the selected pair proves it is alive (RFC 7675 §5.1 asks for
        // responses; Chromium 144 relies on the peer counting its requests too: str0m#846).
        if self.on_route(transport, base, remote) {
            self.liveness.alive(now);
        }
        if use_candidate && !self.session.is_controlling() {
            // RFC 8445 §7.3.1.5: nominated now if the pair is valid (or we are lite and do not
            // check), else when our triggered check succeeds.
            if self.checklist.pair(pi).state == PairState::Succeeded || self.config.lite {
                self.checklist.nominate(pi);
                self.select_best(now);
            } else {
                self.checklist.nominate_on_success(pi);
            }
        }
        if !self.config.lite
            && !matches!(
                self.checklist.pair(pi).state,
                PairState::Succeeded | PairState::InProgress
            )
        {
            self.checklist.trigger(pi);
        }
    }

    /// RFC 8445 §7.2.5: a response to one of our checks.
    fn handle_response(
        &mut self,
        now: Instant,
        transport: Transport,
        base: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        txid: [u8; 12],
    ) {
        let Some(tag) = self.checks.tag(&txid) else {
            self.stats.responses_dropped += 1;
            return;
        };
        let Some(key) = self.session.remote_key() else {
            self.stats.responses_dropped += 1;
            return;
        };
        let Some(answer) = crate::inbound::read_answer(bytes, key) else {
            self.stats.responses_dropped += 1;
            return;
        };
        self.checks.complete(now, &txid);
        let Some(pi) = self.checklist.index_of(tag.pair) else {
            return;
        };
        let success = matches!(answer, Answer::Success { .. });
        if success && let Some(data) = self.sped.received(Piggybacked::read(bytes)) {
            self.sped_pair = Some(tag.pair);
            self.events.push_back(Event::PiggybackedDtls {
                data: data.to_vec(),
            });
        }
        if tag.consent {
            if success && self.selected_pair_id() == Some(tag.pair) {
                self.liveness.alive(now);
            }
            // A check that carried SPED data is sent as a consent check is; its success
            // on a pair not yet valid proves the pair all the same (RFC 8445 §7.2.5.3).
            if !success || self.checklist.pair(pi).state == PairState::Succeeded {
                return;
            }
        }
        self.checklist.check_answered(pi);
        let (local, remote_index) = (
            self.checklist.pair(pi).local,
            self.checklist.pair(pi).remote,
        );
        // RFC 8445 §7.2.5.2.1: source and destination must be symmetric (and over TCP on
        // the same connection).
        if self.gather.local(local).base != base
            || self.gather.local(local).path.transport() != transport
            || self.checklist.remote(remote_index).address != remote
        {
            self.fail_pair(pi, tag.use_candidate);
            return;
        }
        let mapped = match answer {
            Answer::RoleConflict => {
                // RFC 8445 §7.2.5.1: switch role (unless already switched) and retry.
                self.stats.role_conflicts += 1;
                if tag.controlling == self.session.is_controlling() {
                    self.set_role(!tag.controlling);
                }
                if tag.use_candidate {
                    self.checks.nomination_over();
                }
                self.checklist.retry(pi);
                return;
            }
            Answer::Failure => {
                self.fail_pair(pi, tag.use_candidate);
                return;
            }
            Answer::Success { mapped } => mapped,
        };
        // RFC 8445 §7.2.5.3.1: a mapped address we do not know is a peer-reflexive candidate.
        // Not over TCP: the mapped address is the ephemeral port of our one connection,
        // which nobody can connect to, and the pair is valid as it is.
        if let Some(mapped) = mapped
            && transport == Transport::Udp
            && !self.gather.has_local_address(mapped)
        {
            let foundation = format!("{}", 0x6000_0000u32 + self.gather.locals().len() as u32);
            let candidate = Candidate::new(
                CandidateKind::PeerReflexive,
                foundation,
                tag.priority,
                mapped,
            );
            let (path, b) = (self.gather.local(local).path, self.gather.local(local).base);
            self.gather
                .add_local(candidate, b, path, &self.session, &mut self.events);
            self.pair_fresh();
        }
        // RFC 8445 §7.2.5.3.2-3: the pair is valid; unfreeze its foundation.
        // RFC 8445 §7.2.5.3.1: over TCP on our listener, a mapped address that is our
        // server-reflexive passive candidate (the peer reached us through the NAT at it)
        // makes that candidate the valid pair's local one.
        if let Some(mapped) = mapped
            && transport == Transport::Tcp
            && let Some(srflx) = self.gather.tcp_reflexive_at(base, mapped)
        {
            self.checklist.set_valid_local(pi, srflx);
        }
        self.checklist.succeeded(&self.gather, pi);
        self.checks.valid(now);
        let nominated = (tag.use_candidate && self.session.is_controlling())
            || (self.checklist.pair(pi).nominate_on_success && !self.session.is_controlling());
        if tag.use_candidate {
            self.checks.nomination_over();
        }
        if nominated {
            self.checklist.nominate(pi);
            self.select_best(now);
        } else {
            self.select_valid_until_nominated(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rtcweb_stun::{BindingRequest, IceRole, Message, codes};

    use super::*;

    #[allow(clippy::disallowed_methods)] // the simulated epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn config(controlling: bool, lite: bool, seed: u64) -> Config {
        Config {
            controlling,
            lite,
            seed: Some(seed),
            ..Config::default()
        }
    }

    /// The local candidates `agent` announces now (its other events are dropped).
    fn local_candidates_announced(agent: &mut Agent) -> Vec<Candidate> {
        std::iter::from_fn(|| agent.poll_event())
            .filter_map(|e| match e {
                Event::LocalCandidate(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Two agents on one LAN, `a` controlling, each told the other's credentials and host
    /// candidate.
    fn pair(now: Instant) -> [Agent; 2] {
        let sockets = [addr("192.0.2.1:5000"), addr("192.0.2.2:5000")];
        let mut agents = [
            Agent::new(config(true, false, 1), now).unwrap(),
            Agent::new(config(false, false, 2), now).unwrap(),
        ];
        for (agent, socket) in agents.iter_mut().zip(sockets) {
            agent.add_local_socket(now, socket).unwrap();
            agent.gather(now);
        }
        let credentials = [
            agents[0].local_credentials().clone(),
            agents[1].local_credentials().clone(),
        ];
        for i in 0..2 {
            let other = 1 - i;
            let candidates: Vec<Candidate> = agents[other].local_candidates().cloned().collect();
            agents[i]
                .set_remote_credentials(now, credentials[other].clone())
                .unwrap();
            for c in candidates {
                agents[i].add_remote_candidate(now, c).unwrap();
            }
        }
        agents
    }

    /// Runs both agents for `duration`, delivering what they send when `deliver` holds;
    /// appends the connection states each reported, in order, to `states`.
    fn run(
        agents: &mut [Agent; 2],
        now: &mut Instant,
        duration: Duration,
        deliver: bool,
        states: &mut [Vec<ConnectionState>; 2],
    ) {
        let until = *now + duration;
        loop {
            let mut moved = true;
            while moved {
                moved = false;
                for i in 0..2 {
                    while let Some(e) = agents[i].poll_event() {
                        if let Event::ConnectionState(s) = e {
                            states[i].push(s);
                        }
                    }
                    while let Some(t) = agents[i].poll_transmit() {
                        moved = true;
                        if !deliver {
                            continue;
                        }
                        let d = Datagram {
                            transport: t.transport,
                            local: t.destination,
                            remote: t.source.unwrap(),
                            contents: &t.contents,
                        };
                        let _ = agents[1 - i].handle_datagram(*now, d);
                    }
                }
            }
            let next = agents.iter().filter_map(Agent::poll_timeout).min();
            match next {
                Some(t) if t <= until => {
                    *now = t.max(*now);
                    for a in agents.iter_mut() {
                        a.handle_timeout(*now);
                    }
                }
                _ => break,
            }
        }
        *now = until;
    }

    /// A connectivity check to `agent` with `role`, authenticated with its credentials.
    fn check(agent: &Agent, role: IceRole, txid: [u8; 12]) -> Vec<u8> {
        let ufrag = &agent.local_credentials().ufrag;
        let username = format!("{ufrag}:peer");
        let key = agent.local_credentials().key().unwrap();
        let mut buf = [0u8; 256];
        let n = BindingRequest {
            transaction_id: txid,
            username: Some(&username),
            priority: Some(1_000),
            role: Some(role),
            use_candidate: false,
            key: Some(&key),
            software: None,
        }
        .encode(&mut buf)
        .unwrap();
        buf[..n].to_vec()
    }

    /// Feeds `request` from `remote` to `agent`'s socket; returns the answer's error code
    /// (`None` for a success).
    fn answer(agent: &mut Agent, now: Instant, remote: SocketAddr, request: &[u8]) -> Option<u16> {
        let socket = agent.gather.sockets()[0];
        let d = Datagram {
            transport: Transport::Udp,
            local: socket,
            remote,
            contents: request,
        };
        assert_eq!(agent.handle_datagram(now, d), Received::Consumed);
        let t = std::iter::from_fn(|| agent.poll_transmit())
            .find(|t| t.destination == remote)
            .expect("an answer");
        let msg = Message::decode(&t.contents).unwrap();
        msg.error_code().map(|e| e.code)
    }

    /// A lone agent with one socket, gathering done.
    fn lone(now: Instant, controlling: bool, lite: bool) -> Agent {
        let mut agent = Agent::new(config(controlling, lite, 9), now).unwrap();
        agent.add_local_socket(now, addr("192.0.2.1:5000")).unwrap();
        agent.gather(now);
        while agent.poll_event().is_some() {}
        agent
    }

    #[test]
    fn role_conflict_is_decided_by_the_tie_breaker() {
        let now = epoch();
        let remote = addr("192.0.2.9:6000");
        // RFC 8445 §7.3.1.1: controlling and the request says ICE-CONTROLLING. A tie-breaker
        // at least ours keeps our role and answers 487; a larger one makes us controlled.
        let mut a = lone(now, true, false);
        let ours = a.session.tie_breaker();
        let request = check(&a, IceRole::Controlling(ours.saturating_sub(1)), [1; 12]);
        assert_eq!(
            answer(&mut a, now, remote, &request),
            Some(codes::ROLE_CONFLICT)
        );
        assert!(a.is_controlling());
        let mut a = lone(now, true, false);
        let ours = a.session.tie_breaker();
        if ours < u64::MAX {
            let request = check(&a, IceRole::Controlling(ours + 1), [2; 12]);
            assert_eq!(answer(&mut a, now, remote, &request), None);
            assert!(!a.is_controlling());
            assert!(
                std::iter::from_fn(|| a.poll_event())
                    .any(|e| e == Event::RoleChanged { controlling: false })
            );
        }
        // Controlled and the request says ICE-CONTROLLED: a tie-breaker at most ours makes us
        // controlling; a larger one is answered 487.
        let mut b = lone(now, false, false);
        let ours = b.session.tie_breaker();
        let request = check(&b, IceRole::Controlled(ours), [3; 12]);
        assert_eq!(answer(&mut b, now, remote, &request), None);
        assert!(b.is_controlling());
        let mut b = lone(now, false, false);
        let ours = b.session.tie_breaker();
        if ours < u64::MAX {
            let request = check(&b, IceRole::Controlled(ours + 1), [4; 12]);
            assert_eq!(
                answer(&mut b, now, remote, &request),
                Some(codes::ROLE_CONFLICT)
            );
            assert!(!b.is_controlling());
        }
        assert_eq!(b.stats().role_conflicts, 1);
    }

    #[test]
    fn lite_agent_is_always_controlled() {
        let now = epoch();
        // RFC 8445 §6.1.1: a lite agent is controlled, whatever was asked.
        let mut lite = lone(now, true, true);
        assert!(lite.is_lite() && !lite.is_controlling());
        // Even when it would win the tie-breaker it stays controlled and answers 487.
        let request = check(&lite, IceRole::Controlled(0), [5; 12]);
        assert_eq!(
            answer(&mut lite, now, addr("192.0.2.9:6000"), &request),
            Some(codes::ROLE_CONFLICT)
        );
        assert!(!lite.is_controlling());
        // It never checks on its own.
        lite.set_remote_credentials(now, Credentials::new("peer", "0123456789abcdefghijkl"))
            .unwrap();
        lite.handle_timeout(now + Duration::from_secs(1));
        assert_eq!(lite.stats().checks_sent, 0);
    }

    #[test]
    fn a_removed_socket_loses_its_candidates_pairs_and_route() {
        let mut now = epoch();
        let mut agents = pair(now);
        let mut states = [vec![], vec![]];
        let first = addr("192.0.2.1:5000");
        let second = addr("198.51.100.1:5000");
        while agents[0].poll_event().is_some() {}
        // A second interface came up on A while connecting: a host candidate at once.
        agents[0].add_local_socket(now, second).unwrap();
        let fresh = local_candidates_announced(&mut agents[0]);
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].socket_addr(), Some(second));
        run(
            &mut agents,
            &mut now,
            Duration::from_secs(2),
            true,
            &mut states,
        );
        let a = &mut agents[0];
        assert_eq!(a.selected_pair().unwrap().local.socket_addr(), Some(first));

        // The first interface went away: its candidate, pairs and the route are gone.
        a.remove_local_socket(now, first);
        assert!(
            a.local_candidates()
                .all(|c| c.socket_addr() == Some(second))
        );
        assert!(
            a.pairs()
                .filter(|p| p.local.socket_addr() == Some(first))
                .all(|p| p.state == PairState::Failed)
        );
        assert!(a.selected_pair().is_none());
        // Removing it again, or an address never added, changes nothing.
        a.remove_local_socket(now, first);
        a.remove_local_socket(now, addr("203.0.113.9:1"));
        assert_eq!(a.gather.sockets(), [second]);

        // After a restart only the remaining socket is announced.
        a.restart(now);
        let announced = local_candidates_announced(a);
        assert_eq!(announced.len(), 1);
        assert_eq!(announced[0].socket_addr(), Some(second));
    }

    #[test]
    fn restart_clears_the_checklist_and_changes_credentials() {
        let mut now = epoch();
        let mut agents = pair(now);
        let mut states = [vec![], vec![]];
        run(
            &mut agents,
            &mut now,
            Duration::from_secs(2),
            true,
            &mut states,
        );
        let a = &mut agents[0];
        assert!(a.pairs().count() > 0 && a.remote_candidates().count() > 0);
        let before = a.local_credentials().clone();
        let route = |a: &Agent| {
            a.selected_pair()
                .map(|p| (p.local.socket_addr(), p.remote.socket_addr()))
        };
        let selected = route(a);
        assert!(selected.is_some());
        a.restart(now);
        // RFC 8445 §9: new credentials and generation; the checklist and the remote side's
        // candidates and credentials are gone until it signals again.
        assert_ne!(a.local_credentials(), &before);
        assert_ne!(a.local_credentials().ufrag, before.ufrag);
        assert_eq!(a.generation(), 1);
        assert_eq!(a.pairs().count(), 0);
        assert_eq!(a.remote_candidates().count(), 0);
        assert!(a.session.remote().is_none());
        // Data keeps flowing on the old pair until a new one is selected.
        assert_eq!(route(a), selected);
        // Local candidates are announced again, with the new ufrag and generation.
        let announced = local_candidates_announced(a);
        assert!(!announced.is_empty());
        assert!(announced.iter().all(|c| {
            c.ufrag.as_deref() == Some(a.local_credentials().ufrag.as_str())
                && c.generation == Some(1)
        }));
    }

    #[test]
    fn connection_states_follow_the_w3c_order() {
        use ConnectionState::*;
        let mut now = epoch();
        let mut agents = pair(now);
        let mut states = [vec![], vec![]];
        assert_eq!(agents[0].connection_state(), Checking);
        run(
            &mut agents,
            &mut now,
            Duration::from_secs(2),
            true,
            &mut states,
        );
        for s in &states {
            assert_eq!(s[..2], [Checking, Connected], "{s:?}");
        }
        // End-of-candidates with the checks done: completed.
        for a in agents.iter_mut() {
            a.end_of_remote_candidates(now);
        }
        run(
            &mut agents,
            &mut now,
            Duration::from_secs(2),
            true,
            &mut states,
        );
        assert!(states[0].contains(&Completed), "{:?}", states[0]);
        // Silence: consent lapses, disconnected first, then failed (RFC 7675 §5.1).
        let limit = agents[0].config.consent_timeout + Duration::from_secs(10);
        run(&mut agents, &mut now, limit, false, &mut states);
        let tail: Vec<_> = states[0]
            .iter()
            .skip_while(|s| **s != Completed)
            .copied()
            .collect();
        assert_eq!(tail, vec![Completed, Disconnected, Failed]);
        agents[0].close(now);
        assert_eq!(agents[0].connection_state(), Closed);
    }

    #[test]
    fn a_new_agent_is_new() {
        let now = epoch();
        let agent = Agent::new(config(true, false, 3), now).unwrap();
        assert_eq!(agent.connection_state(), ConnectionState::New);
        assert_eq!(agent.gathering_state(), GatheringState::New);
        assert_eq!(agent.generation(), 0);
    }

    /// A lone controlled agent doing SPED, and a check to it carrying `raw` attributes.
    fn sped_agent(now: Instant) -> Agent {
        let mut agent = Agent::new(
            Config {
                sped: true,
                ..config(false, false, 9)
            },
            now,
        )
        .unwrap();
        agent.add_local_socket(now, addr("192.0.2.1:5000")).unwrap();
        agent.gather(now);
        while agent.poll_event().is_some() {}
        agent
    }

    fn sped_check(agent: &Agent, raw: &[(u16, &[u8])]) -> Vec<u8> {
        let ufrag = &agent.local_credentials().ufrag;
        let username = format!("{ufrag}:peer");
        let key = agent.local_credentials().key().unwrap();
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = BindingRequest {
            transaction_id: [7; 12],
            username: Some(&username),
            priority: Some(1_000),
            role: Some(IceRole::Controlling(1)),
            use_candidate: false,
            key: Some(&key),
            software: None,
        }
        .encode_with(raw, &mut buf)
        .unwrap();
        buf[..n].to_vec()
    }

    fn feed(agent: &mut Agent, now: Instant, remote: SocketAddr, bytes: &[u8]) {
        let d = Datagram {
            transport: Transport::Udp,
            local: addr("192.0.2.1:5000"),
            remote,
            contents: bytes,
        };
        assert_eq!(agent.handle_datagram(now, d), Received::Consumed);
    }

    #[test]
    fn sped_check_is_answered_with_dtls_reply_and_ack() {
        let now = epoch();
        let remote = addr("192.0.2.9:6000");
        let mut agent = sped_agent(now);
        let client_hello = [22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        let request = sped_check(
            &agent,
            &[
                (crate::DTLS_IN_STUN, &client_hello),
                (crate::DTLS_IN_STUN_ACK, &[]),
            ],
        );
        feed(&mut agent, now, remote, &request);
        // Held: the response waits for DTLS's reply.
        assert!(std::iter::from_fn(|| agent.poll_transmit()).all(|t| t.destination != remote));
        let events: Vec<Event> = std::iter::from_fn(|| agent.poll_event()).collect();
        assert!(events.contains(&Event::PiggybackedDtls {
            data: client_hello.to_vec()
        }));
        assert_eq!(agent.sped_state(), crate::SpedState::Confirmed);
        assert_eq!(
            agent.poll_timeout(),
            Some(now),
            "a held check is due at once"
        );
        let server_hello = [22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2];
        agent.sped_flight(now, [&server_hello[..]]);
        let response = std::iter::from_fn(|| agent.poll_transmit())
            .find(|t| t.destination == remote)
            .expect("the held check is answered");
        let key = agent.local_credentials().key().unwrap();
        assert!(Message::decode_authenticated(&response.contents, &key).is_ok());
        let attached = Piggybacked::read(&response.contents);
        assert_eq!(attached.data, Some(&server_hello[..]));
        assert_eq!(
            attached.acks,
            Some(&crate::packet_hash(&client_hello).to_be_bytes()[..])
        );
        let stats = agent.sped_stats();
        assert_eq!((stats.data_received, stats.data_sent), (1, 1));
    }

    #[test]
    fn sped_check_without_attributes_turns_sped_off() {
        let now = epoch();
        let remote = addr("192.0.2.9:6000");
        let mut agent = sped_agent(now);
        agent.sped_flight(
            now,
            [&[22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1][..]],
        );
        let request = sped_check(&agent, &[]);
        feed(&mut agent, now, remote, &request);
        assert_eq!(agent.sped_state(), crate::SpedState::Off);
        let response = std::iter::from_fn(|| agent.poll_transmit())
            .find(|t| t.destination == remote)
            .expect("answered at once");
        assert_eq!(Piggybacked::read(&response.contents).data, None);
        assert_eq!(Piggybacked::read(&response.contents).acks, None);
    }

    #[test]
    fn sped_held_check_is_answered_at_the_next_timeout() {
        let now = epoch();
        let remote = addr("192.0.2.9:6000");
        let mut agent = sped_agent(now);
        let dtls = [22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        let request = sped_check(&agent, &[(crate::DTLS_IN_STUN, &dtls)]);
        feed(&mut agent, now, remote, &request);
        assert!(std::iter::from_fn(|| agent.poll_transmit()).all(|t| t.destination != remote));
        // The owner never replies: the timeout answers it, with the ack.
        agent.handle_timeout(now);
        let response = std::iter::from_fn(|| agent.poll_transmit())
            .find(|t| t.destination == remote)
            .expect("answered");
        assert_eq!(
            Piggybacked::read(&response.contents).acks,
            Some(&crate::packet_hash(&dtls).to_be_bytes()[..])
        );
    }
}
