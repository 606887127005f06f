//! Gathering (RFC 8445 §5.1.1): host candidates from the owner's sockets, server-reflexive
//! ones from STUN servers, relayed ones from TURN servers (through rtcweb-turn).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rtcweb_common::Transport;
use rtcweb_stun::{DiscoveryError, DiscoveryEvent, ReflexiveDiscovery, RetransmitConfig};
use rtcweb_turn::{Client, Config as TurnConfig, Event as TurnEvent, TurnError};

use crate::agent::{Agent, LocalCandidate, Path};
use crate::priority::{FoundationKey, candidate_priority, local_preference};
use crate::{
    Candidate, CandidateError, CandidateKind, ConnectionAddress, Event, GatheringState, IceError,
    IceServer,
};

/// Most candidate errors kept for the failure report.
const MAX_CANDIDATE_ERRORS: usize = 8;

/// The STUN error code behind a TURN failure (RFC 8656 §18), or the W3C 701 when the
/// server did not answer or the failure is ours.
fn turn_error_code(error: &TurnError) -> u16 {
    match error {
        TurnError::Unauthenticated => 401,
        TurnError::Forbidden => 403,
        TurnError::AllocationMismatch => 437,
        TurnError::WrongCredentials => 441,
        TurnError::UnsupportedTransport => 442,
        TurnError::QuotaReached => 486,
        TurnError::InsufficientCapacity => 508,
        TurnError::Rejected { code, .. } => *code,
        _ => CandidateError::UNREACHABLE,
    }
}

/// One server-reflexive query: one socket asking one STUN server.
#[derive(Debug)]
pub(crate) struct Discovery {
    pub(crate) socket: SocketAddr,
    pub(crate) index: usize,
    pub(crate) inner: ReflexiveDiscovery,
    pub(crate) done: bool,
}

/// One TURN allocation.
#[derive(Debug)]
pub(crate) struct Relay {
    pub(crate) client: Client,
    /// The local UDP socket that talks to the server; `None` over TCP or TLS (the owner's
    /// connection).
    pub(crate) socket: Option<SocketAddr>,
    pub(crate) index: usize,
    pub(crate) transport: Transport,
    pub(crate) done: bool,
    /// Peer IPs the agent wants a permission for, and those already asked.
    pub(crate) wanted: Vec<IpAddr>,
    pub(crate) requested: Vec<IpAddr>,
    /// Whether a channel was asked for the selected peer.
    pub(crate) channel_for: Option<SocketAddr>,
}

impl Agent {
    /// Adds a local UDP socket (one interface address, IPv4 or IPv6). If gathering has
    /// started, it is gathered from at once.
    pub fn add_local_socket(&mut self, now: Instant, socket: SocketAddr) -> Result<(), IceError> {
        if self.sockets.contains(&socket) {
            return Err(IceError::DuplicateSocket(socket));
        }
        if self.sockets.len() >= self.config.max_sockets {
            return Err(IceError::TooManySockets(self.config.max_sockets));
        }
        self.sockets.push(socket);
        if self.gathering != GatheringState::New {
            let servers = self.config.servers.clone();
            self.gather_socket(now, self.sockets.len() - 1, &servers);
            self.set_gathering(GatheringState::Gathering);
            self.after_input(now);
        }
        Ok(())
    }

    /// Starts gathering on every socket added so far: host candidates at once, then
    /// server-reflexive and relayed ones as the servers answer. Candidates come out as
    /// [`Event::LocalCandidate`], then [`GatheringState::Complete`].
    pub fn gather(&mut self, now: Instant) {
        if self.gathering != GatheringState::New || self.liveness.is_closed() {
            return;
        }
        self.set_gathering(GatheringState::Gathering);
        let servers = self.config.servers.clone();
        for i in 0..self.sockets.len() {
            self.gather_socket(now, i, &servers);
        }
        if !self.config.lite {
            self.start_stream_relays(now, servers);
        }
        self.after_input(now);
    }

    /// New servers and policy (at an ICE restart): relays of servers no longer listed are
    /// released (unless the selected pair runs through one: data keeps flowing on it until
    /// a new pair is selected), and every socket gathers from the servers that are new.
    pub(crate) fn regather(
        &mut self,
        now: Instant,
        servers: Vec<IceServer>,
        policy: crate::TransportPolicy,
    ) {
        let key = |s: &IceServer| match s {
            IceServer::Stun { address } => (*address, None),
            IceServer::Turn {
                address, transport, ..
            } => (*address, Some(*transport)),
        };
        let old: Vec<_> = self.config.servers.iter().map(key).collect();
        let kept: Vec<_> = servers.iter().map(key).collect();
        let route_relay = self
            .route
            .as_ref()
            .and_then(|r| match self.locals[r.local].path {
                Path::Relay(i) => Some(i),
                Path::Socket(_) => None,
            });
        for (i, relay) in self.relays.iter_mut().enumerate() {
            let listed = kept.contains(&(relay.client.server(), Some(relay.transport)));
            if !listed && Some(i) != route_relay {
                relay.client.close(now);
                for l in &mut self.locals {
                    if l.path == Path::Relay(i) {
                        l.alive = false;
                    }
                }
            }
        }
        self.discoveries
            .retain(|d| kept.contains(&(d.inner.server(), None)));
        let added: Vec<IceServer> = servers
            .iter()
            .filter(|s| !old.contains(&key(s)))
            .cloned()
            .collect();
        self.config.policy = policy;
        self.config.servers = servers;
        // Host candidates again too: a policy that allows more now adds them.
        for i in 0..self.sockets.len() {
            self.gather_socket(now, i, &added);
        }
        self.start_stream_relays(now, added);
    }

    /// TURN over TCP or TLS: one allocation per such server, over the owner's connection
    /// (UDP ones start per socket, in `gather_socket`).
    fn start_stream_relays(&mut self, now: Instant, servers: Vec<IceServer>) {
        for server in servers {
            if let IceServer::Turn {
                address,
                transport,
                username,
                password,
                tls,
            } = server
                && transport.is_stream()
            {
                self.start_relay(now, None, 0, address, transport, &username, &password, tls);
            }
        }
    }

    /// Host candidate of socket `index`, and discoveries and UDP allocations from it to
    /// `servers`.
    fn gather_socket(&mut self, now: Instant, index: usize, servers: &[IceServer]) {
        let socket = self.sockets[index];
        if self.policy_allows(CandidateKind::Host) {
            let priority = candidate_priority(
                CandidateKind::Host,
                local_preference(socket.ip(), index, None),
                1,
            );
            let foundation =
                self.foundation(CandidateKind::Host, socket.ip(), None, Transport::Udp);
            let candidate = Candidate::new(CandidateKind::Host, foundation, priority, socket);
            self.add_local(candidate, socket, Path::Socket(socket));
        }
        if self.config.lite {
            return; // RFC 8445 §2.5: a lite agent has host candidates only.
        }
        for server in servers {
            match server.clone() {
                IceServer::Stun { address } => {
                    if address.is_ipv4() != socket.is_ipv4()
                        || !self.policy_allows(CandidateKind::ServerReflexive)
                    {
                        continue;
                    }
                    let seed = rand::Rng::random(&mut self.rng);
                    let mut inner =
                        ReflexiveDiscovery::with_seed(address, RetransmitConfig::default(), seed);
                    inner.start(now);
                    self.discoveries.push(Discovery {
                        socket,
                        index,
                        inner,
                        done: false,
                    });
                }
                IceServer::Turn {
                    address,
                    transport: Transport::Udp,
                    username,
                    password,
                    tls,
                } if address.is_ipv4() == socket.is_ipv4() => {
                    self.start_relay(
                        now,
                        Some(socket),
                        index,
                        address,
                        Transport::Udp,
                        &username,
                        &password,
                        tls,
                    );
                }
                IceServer::Turn { .. } => {}
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn start_relay(
        &mut self,
        now: Instant,
        socket: Option<SocketAddr>,
        index: usize,
        server: SocketAddr,
        transport: Transport,
        username: &str,
        password: &str,
        tls: Option<rtcweb_turn::TlsConfig>,
    ) {
        let mut config = TurnConfig::new(server, transport, username, password);
        config.tls = tls;
        config.software = self.config.software.clone();
        config.seed = Some(rand::Rng::random(&mut self.rng));
        config.max_permissions = self.config.max_remote_candidates;
        let Ok(mut client) = Client::new(config) else {
            // A configuration the TURN client refuses (TLS without settings): no candidate.
            return;
        };
        if client.allocate(now).is_err() {
            return;
        }
        self.relays.push(Relay {
            client,
            socket,
            index,
            transport,
            done: false,
            wanted: Vec::new(),
            requested: Vec::new(),
            channel_for: None,
        });
    }

    fn foundation(
        &mut self,
        kind: CandidateKind,
        base_ip: IpAddr,
        server_ip: Option<IpAddr>,
        transport: Transport,
    ) -> String {
        self.foundations.get(FoundationKey {
            kind,
            base_ip,
            server_ip,
            transport,
        })
    }

    /// Adds a local candidate unless it is redundant (RFC 8445 §5.1.3: same address and same
    /// base as one of higher or equal priority), announces it and pairs it.
    pub(crate) fn add_local(
        &mut self,
        mut candidate: Candidate,
        base: SocketAddr,
        path: Path,
    ) -> Option<usize> {
        let address = candidate.socket_addr()?;
        if self
            .locals
            .iter()
            .any(|l| l.alive && l.candidate.socket_addr() == Some(address) && l.base == base)
        {
            return None;
        }
        candidate.ufrag = Some(self.session.local().ufrag.clone());
        candidate.generation = Some(self.session.generation());
        let announce =
            candidate.kind != CandidateKind::PeerReflexive && self.policy_allows(candidate.kind);
        if announce {
            self.events
                .push_back(Event::LocalCandidate(candidate.clone()));
        }
        self.locals.push(LocalCandidate {
            candidate,
            base,
            path,
            alive: true,
        });
        let index = self.locals.len() - 1;
        self.pair_local(index);
        Some(index)
    }

    /// Drains the discoveries' and relays' events.
    pub(crate) fn process_gathering(&mut self, now: Instant) {
        for i in 0..self.discoveries.len() {
            while let Some(event) = self.discoveries[i].inner.poll_event() {
                self.discoveries[i].done = true;
                match event {
                    DiscoveryEvent::Discovered { mapped, server, .. } => {
                        let d = &self.discoveries[i];
                        let (socket, index) = (d.socket, d.index);
                        self.add_reflexive(mapped, socket, index, server.ip());
                    }
                    DiscoveryEvent::Failed(error) => {
                        let code = match &error {
                            DiscoveryError::ErrorResponse { code, .. } => *code,
                            _ => CandidateError::UNREACHABLE,
                        };
                        let server = self.discoveries[i].inner.server();
                        self.candidate_error(CandidateError {
                            server,
                            transport: Transport::Udp,
                            turn: false,
                            code,
                            text: error.to_string(),
                        });
                    }
                    _ => {}
                }
            }
        }
        for r in 0..self.relays.len() {
            let mut events = Vec::new();
            while let Some(e) = self.relays[r].client.poll_event() {
                events.push(e);
            }
            for event in events {
                self.relay_event(now, r, event);
            }
            // Permissions for the peers of new relayed pairs (RFC 8445 §7.2.1 needs one
            // before a check can pass the relay).
            let relay = &mut self.relays[r];
            if relay.client.is_allocated() && !relay.wanted.is_empty() {
                let wanted = std::mem::take(&mut relay.wanted);
                for ip in wanted {
                    if relay.client.create_permission(now, ip).is_ok() {
                        relay.requested.push(ip);
                    }
                }
            }
        }
    }

    fn add_reflexive(
        &mut self,
        mapped: SocketAddr,
        socket: SocketAddr,
        index: usize,
        server: IpAddr,
    ) {
        if !self.policy_allows(CandidateKind::ServerReflexive)
            || mapped.is_ipv4() != socket.is_ipv4()
        {
            return;
        }
        let priority = candidate_priority(
            CandidateKind::ServerReflexive,
            local_preference(socket.ip(), index, None),
            1,
        );
        let foundation = self.foundation(
            CandidateKind::ServerReflexive,
            socket.ip(),
            Some(server),
            Transport::Udp,
        );
        let mut candidate =
            Candidate::new(CandidateKind::ServerReflexive, foundation, priority, mapped);
        candidate.related = Some((ConnectionAddress::Ip(socket.ip()), socket.port()));
        self.add_local(candidate, socket, Path::Socket(socket));
    }

    fn relay_event(&mut self, now: Instant, r: usize, event: TurnEvent) {
        match event {
            TurnEvent::Allocated {
                relayed, mapped, ..
            } => {
                self.relays[r].done = true;
                let relay = &self.relays[r];
                let (index, transport, server) =
                    (relay.index, relay.transport, relay.client.server());
                let base_ip = relay.socket.map_or(relayed.ip(), |s| s.ip());
                let priority = candidate_priority(
                    CandidateKind::Relayed,
                    local_preference(base_ip, index, Some(transport)),
                    1,
                );
                let foundation = self.foundation(
                    CandidateKind::Relayed,
                    base_ip,
                    Some(server.ip()),
                    transport,
                );
                let mut candidate =
                    Candidate::new(CandidateKind::Relayed, foundation, priority, relayed);
                if let Some(m) = mapped {
                    candidate.related = Some((ConnectionAddress::Ip(m.ip()), m.port()));
                }
                self.add_local(candidate, relayed, Path::Relay(r));
                // The mapped address the TURN server saw is a server-reflexive candidate too.
                if let (Some(m), Some(socket)) = (mapped, self.relays[r].socket) {
                    self.add_reflexive(m, socket, index, server.ip());
                }
            }
            TurnEvent::Failed(error) => {
                let relay = &self.relays[r];
                self.candidate_error(CandidateError {
                    server: relay.client.server(),
                    transport: relay.transport,
                    turn: true,
                    code: turn_error_code(&error),
                    text: error.to_string(),
                });
                self.relay_failed(now, r);
            }
            TurnEvent::Closed => self.relay_failed(now, r),
            _ => {}
        }
    }

    /// A server gave no candidate: told to the owner, kept for the failure report
    /// (bounded: the first few).
    fn candidate_error(&mut self, error: CandidateError) {
        if self.candidate_errors.len() < MAX_CANDIDATE_ERRORS {
            self.candidate_errors.push(error.clone());
        }
        self.events.push_back(Event::CandidateError(error));
    }

    /// A relay failed or closed: its candidates and pairs are gone.
    fn relay_failed(&mut self, now: Instant, r: usize) {
        self.relays[r].done = true;
        let mut lost = false;
        for l in &mut self.locals {
            if l.path == Path::Relay(r) && l.alive {
                l.alive = false;
                lost = true;
            }
        }
        if lost {
            self.relay_lost(now, r);
        }
    }

    /// Pairs on a lost relay fail (and the route, if it used it, is gone).
    fn relay_lost(&mut self, now: Instant, r: usize) {
        for i in 0..self.pairs.len() {
            if self.locals[self.pairs[i].local].path == Path::Relay(r) {
                self.pairs[i].state = crate::PairState::Failed;
            }
        }
        if let Some(route) = &self.route
            && self.locals[route.local].path == Path::Relay(r)
        {
            self.route = None;
            self.select_best(now);
        }
    }

    /// Remembers that relayed pairs need a permission for `ip`.
    pub(crate) fn request_permission(&mut self, relay: usize, ip: IpAddr) {
        let relay = &mut self.relays[relay];
        if !relay.requested.contains(&ip)
            && !relay.wanted.contains(&ip)
            && relay.requested.len() + relay.wanted.len() < self.config.max_remote_candidates
        {
            relay.wanted.push(ip);
        }
    }

    pub(crate) fn set_gathering(&mut self, state: GatheringState) {
        if self.gathering != state {
            self.gathering = state;
            self.events.push_back(Event::GatheringState(state));
        }
    }

    pub(crate) fn check_gathering_complete(&mut self) {
        if self.gathering == GatheringState::Gathering
            && self.discoveries.iter().all(|d| d.done)
            && self.relays.iter().all(|r| r.done)
        {
            self.set_gathering(GatheringState::Complete);
        }
    }
}
