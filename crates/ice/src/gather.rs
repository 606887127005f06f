//! Gathering (RFC 8445 §5.1.1): host candidates from the owner's sockets, server-reflexive
//! ones from STUN servers, relayed ones from TURN servers (through rtcweb-turn), and
//! ICE-TCP host candidates (RFC 6544 §4.1) from the owner's TCP listeners: a passive one at
//! the listener, an active one on its IP; and server-reflexive passive ICE-TCP candidates
//! (RFC 6544 §4.1) from a Binding request over TCP from each listener to each STUN server.
//!
//! A [`Gatherer`] owns the sockets, the local candidates, the discoveries and relays, the
//! gathering state and the servers. New local candidates come out of [`Gatherer::poll`] (with
//! lost relays) for the agent to pair; the checklist reads candidates through
//! [`Gatherer::local`].

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rand::rngs::StdRng;
use rtcweb_common::{Datagram, Transmit, Transport};
use rtcweb_stun::{DiscoveryError, DiscoveryEvent, ReflexiveDiscovery, RetransmitConfig};
use rtcweb_turn::{Client, Config as TurnConfig, Event as TurnEvent, Input, TurnError};

use crate::credentials::Session;
use crate::priority::{
    FoundationKey, Foundations, candidate_priority, local_preference, tcp_candidate_priority,
};
use crate::{
    Candidate, CandidateError, CandidateKind, CandidateTransport, Config, ConnectionAddress, Event,
    GatheringState, IceError, IceServer, TcpType, TransportPolicy,
};

/// The port an active ICE-TCP candidate is signalled with (RFC 6544 §4.5: the discard
/// port), which is also its base's: it listens nowhere, the owner connects from an
/// ephemeral port of its IP.
pub(crate) const ACTIVE_TCP_PORT: u16 = 9;

/// The base of the active ICE-TCP candidate on the IP of `listener`.
pub(crate) fn active_base(listener: SocketAddr) -> SocketAddr {
    let mut base = listener;
    base.set_port(ACTIVE_TCP_PORT);
    base
}

/// Most candidate errors kept for the failure report.
const MAX_CANDIDATE_ERRORS: usize = 8;

/// Most Binding requests over TCP (one per listener and STUN server) at once; past it a
/// listener asks no more servers, and the refusal is counted
/// ([`Stats::tcp_discoveries_refused`](crate::Stats::tcp_discoveries_refused)).
pub(crate) const MAX_TCP_DISCOVERIES: usize = 16;

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

/// How datagrams of a local candidate leave: from a socket, through a TURN relay, or on the
/// owner's ICE-TCP connection between the candidate's base and the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    Socket(SocketAddr),
    Relay(usize),
    /// The base of a TCP candidate: the listener (passive) or its IP at port 9 (active).
    Tcp(SocketAddr),
}

impl Path {
    /// The transport between the candidate and the peer (a relay's is UDP, whatever
    /// carries it to the TURN server).
    pub(crate) fn transport(self) -> Transport {
        match self {
            Self::Tcp(_) => Transport::Tcp,
            Self::Socket(_) | Self::Relay(_) => Transport::Udp,
        }
    }
}

/// A local candidate, its base and how it sends.
#[derive(Debug, Clone)]
pub(crate) struct LocalCandidate {
    pub(crate) candidate: Candidate,
    /// The base (RFC 8445 §5.1.1.1): the socket address, or the relayed address.
    pub(crate) base: SocketAddr,
    pub(crate) path: Path,
    /// False once its relay failed.
    pub(crate) alive: bool,
}

/// One server-reflexive query: one socket asking one STUN server, or one TCP listener
/// asking one over a connection from the listener's address (`inner`'s transport says
/// which).
#[derive(Debug)]
struct Discovery {
    /// The UDP socket, or the TCP listener, the request leaves from: the base.
    socket: SocketAddr,
    index: usize,
    inner: ReflexiveDiscovery,
    done: bool,
}

/// One TURN allocation.
#[derive(Debug)]
struct Relay {
    client: Client,
    /// The local UDP socket that talks to the server; `None` over TCP or TLS (the owner's
    /// connection).
    socket: Option<SocketAddr>,
    index: usize,
    transport: Transport,
    done: bool,
    /// Peer IPs the agent wants a permission for, and those already asked.
    wanted: Vec<IpAddr>,
    requested: Vec<IpAddr>,
    /// Whether a channel was asked for the selected peer.
    channel_for: Option<SocketAddr>,
}

/// What gathering tells the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gathered {
    /// A local candidate was added (announced already): pair it.
    Local(usize),
    /// A relay failed or closed and its candidates are gone: their pairs fail.
    RelayLost(usize),
}

/// What a datagram was, for gathering.
#[derive(Debug)]
pub(crate) enum Demux<'a> {
    /// Consumed by a discovery or a relay.
    Consumed,
    /// Data relay `relay` delivered from `peer`.
    Relayed {
        relay: usize,
        peer: SocketAddr,
        data: &'a [u8],
    },
    /// Stream bytes of relay `relay`: what it delivered waits in
    /// [`Gatherer::take_stream_relayed`].
    Stream(usize),
    /// Stream bytes from no known TURN server.
    Unknown,
    /// Not gathering traffic: for the agent's own sockets.
    Other,
}

/// What gathering needs from the agent: the configuration, who we are (ufrag and generation
/// of new candidates), randomness and the event queue.
pub(crate) struct Context<'a> {
    pub(crate) config: &'a Config,
    pub(crate) session: &'a Session,
    pub(crate) rng: &'a mut StdRng,
    pub(crate) events: &'a mut VecDeque<Event>,
}

/// Gathering state: sockets, local candidates, discoveries and relays.
#[derive(Debug)]
pub(crate) struct Gatherer {
    sockets: Vec<SocketAddr>,
    /// The owner's ICE-TCP listeners, one per interface address (RFC 6544 §4.1).
    tcp_listeners: Vec<SocketAddr>,
    locals: Vec<LocalCandidate>,
    foundations: Foundations,
    discoveries: Vec<Discovery>,
    relays: Vec<Relay>,
    state: GatheringState,
    /// The servers and policy in force (from the configuration, then from each restart).
    servers: Vec<IceServer>,
    policy: TransportPolicy,
    /// What the servers refused or left unanswered, for the failure report.
    candidate_errors: Vec<CandidateError>,
    /// Servers and policy to gather from at the next restart.
    pending_servers: Option<(Vec<IceServer>, TransportPolicy)>,
    /// Data relayed over a TCP or TLS TURN connection, between its copy out of the relay
    /// and its handling (empty otherwise; kept for its capacity).
    stream_relayed: Vec<(SocketAddr, Vec<u8>)>,
    /// Local candidates added and not yet handed to the agent for pairing.
    fresh: VecDeque<usize>,
    /// Binding requests over TCP not started for [`MAX_TCP_DISCOVERIES`].
    tcp_discoveries_refused: u64,
}

impl Gatherer {
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            sockets: Vec::new(),
            tcp_listeners: Vec::new(),
            locals: Vec::new(),
            foundations: Foundations::default(),
            discoveries: Vec::new(),
            relays: Vec::new(),
            state: GatheringState::New,
            servers: config.servers.clone(),
            policy: config.policy,
            candidate_errors: Vec::new(),
            pending_servers: None,
            stream_relayed: Vec::new(),
            fresh: VecDeque::new(),
            tcp_discoveries_refused: 0,
        }
    }

    pub(crate) fn state(&self) -> GatheringState {
        self.state
    }

    pub(crate) fn candidate_errors(&self) -> &[CandidateError] {
        &self.candidate_errors
    }

    /// Binding requests over TCP not started for the table limit.
    pub(crate) fn tcp_discoveries_refused(&self) -> u64 {
        self.tcp_discoveries_refused
    }

    pub(crate) fn sockets(&self) -> &[SocketAddr] {
        &self.sockets
    }

    pub(crate) fn locals(&self) -> &[LocalCandidate] {
        &self.locals
    }

    pub(crate) fn local(&self, index: usize) -> &LocalCandidate {
        &self.locals[index]
    }

    /// Whether the candidate policy lets candidates of `kind` be used.
    pub(crate) fn allows(&self, kind: CandidateKind) -> bool {
        self.policy == TransportPolicy::All || kind == CandidateKind::Relayed
    }

    /// How a relayed local candidate reaches its TURN server.
    pub(crate) fn relay_protocol(&self, candidate: &Candidate) -> Option<Transport> {
        self.locals.iter().find_map(|l| match l.path {
            Path::Relay(r) if l.candidate == *candidate => Some(self.relays[r].transport),
            _ => None,
        })
    }

    /// Whether `address` is the base of one of our ICE-TCP candidates: a listener, or the
    /// active candidate's address on a listener's IP.
    pub(crate) fn is_tcp_base(&self, address: SocketAddr) -> bool {
        self.tcp_listeners
            .iter()
            .any(|&l| l == address || active_base(l) == address)
    }

    /// The local socket datagrams on `path` leave from (`None` for a relay over TCP or TLS;
    /// a TCP candidate's base for ICE-TCP).
    pub(crate) fn socket_of(&self, path: Path) -> Option<SocketAddr> {
        match path {
            Path::Socket(s) | Path::Tcp(s) => Some(s),
            Path::Relay(r) => self.relays[r].socket,
        }
    }

    /// The relayed address of relay `r`, once allocated.
    pub(crate) fn relayed_address(&self, r: usize) -> Option<SocketAddr> {
        self.relays[r].client.relayed_address()
    }

    /// How bytes over `transport` from the local base `base` leave: its candidate's path,
    /// or the socket.
    pub(crate) fn path_of_base(&self, transport: Transport, base: SocketAddr) -> Option<Path> {
        if transport == Transport::Tcp {
            return self.is_tcp_base(base).then_some(Path::Tcp(base));
        }
        match self
            .locals
            .iter()
            .find(|l| l.base == base && l.alive && l.path.transport() == transport)
        {
            Some(l) => Some(l.path),
            None if self.sockets.contains(&base) => Some(Path::Socket(base)),
            None => None,
        }
    }

    /// The local candidate a check arriving over `transport` on `base` is for: a live host
    /// or relayed one the policy allows.
    pub(crate) fn receiving_local(&self, transport: Transport, base: SocketAddr) -> Option<usize> {
        self.locals.iter().position(|l| {
            l.alive
                && l.base == base
                && l.path.transport() == transport
                && matches!(
                    l.candidate.kind,
                    CandidateKind::Host | CandidateKind::Relayed
                )
                && self.allows(l.candidate.kind)
        })
    }

    /// The live server-reflexive passive ICE-TCP candidate at `address` on `base`, if any:
    /// the local candidate of a valid pair whose check on `base` was answered with
    /// `address` as mapped address (RFC 8445 §7.2.5.3.1).
    pub(crate) fn tcp_reflexive_at(&self, base: SocketAddr, address: SocketAddr) -> Option<usize> {
        self.locals.iter().position(|l| {
            l.alive
                && l.base == base
                && l.path == Path::Tcp(base)
                && l.candidate.kind == CandidateKind::ServerReflexive
                && l.candidate.socket_addr() == Some(address)
        })
    }

    /// Whether some local UDP candidate has the address `address`.
    pub(crate) fn has_local_address(&self, address: SocketAddr) -> bool {
        self.locals.iter().any(|l| {
            l.path.transport() == Transport::Udp && l.candidate.socket_addr() == Some(address)
        })
    }

    /// Whether a check can go on `path` to `ip` now: a relay needs its permission installed.
    pub(crate) fn path_ready(&self, now: Instant, path: Path, ip: IpAddr) -> bool {
        match path {
            Path::Socket(_) | Path::Tcp(_) => true,
            Path::Relay(r) => self.relays[r].client.has_permission(now, ip),
        }
    }

    /// Adds a local UDP socket; gathers from it at once if gathering has started.
    pub(crate) fn add_socket(
        &mut self,
        now: Instant,
        socket: SocketAddr,
        ctx: &mut Context<'_>,
    ) -> Result<(), IceError> {
        if self.sockets.contains(&socket) {
            return Err(IceError::DuplicateSocket(socket));
        }
        if self.sockets.len() >= ctx.config.max_sockets {
            return Err(IceError::TooManySockets(ctx.config.max_sockets));
        }
        self.sockets.push(socket);
        if self.state != GatheringState::New {
            let servers = self.servers.clone();
            self.gather_socket(now, self.sockets.len() - 1, &servers, ctx);
            self.set_state(GatheringState::Gathering, ctx.events);
        }
        Ok(())
    }

    /// Removes a local UDP socket (its interface address went away): its candidates, the
    /// server-reflexive ones found through it and the relays it talked to are gone (not
    /// announced again at a restart), and its discoveries stop. False when it was not
    /// one of ours.
    pub(crate) fn remove_socket(&mut self, now: Instant, socket: SocketAddr) -> bool {
        let Some(index) = self.sockets.iter().position(|s| *s == socket) else {
            return false;
        };
        self.sockets.remove(index);
        // A TCP listener may have the same address: its discoveries stay.
        self.discoveries
            .retain(|d| d.socket != socket || d.inner.transport() != Transport::Udp);
        let mut dead_relays = Vec::new();
        for (i, relay) in self.relays.iter_mut().enumerate() {
            if relay.socket == Some(socket) {
                relay.client.close(now);
                dead_relays.push(i);
            }
        }
        for l in &mut self.locals {
            let gone = match l.path {
                Path::Socket(s) => s == socket,
                Path::Relay(r) => dead_relays.contains(&r),
                // TCP listeners go with `remove_tcp_listener`.
                Path::Tcp(_) => false,
            };
            if gone {
                l.alive = false;
            }
        }
        self.fresh.retain(|&i| self.locals[i].alive);
        true
    }

    /// Adds an ICE-TCP listener of the owner's; its candidates are gathered at once if
    /// gathering has started. Listeners count against the socket limit.
    pub(crate) fn add_tcp_listener(
        &mut self,
        now: Instant,
        listener: SocketAddr,
        ctx: &mut Context<'_>,
    ) -> Result<(), IceError> {
        if self.tcp_listeners.contains(&listener) {
            return Err(IceError::DuplicateSocket(listener));
        }
        if listener.port() == ACTIVE_TCP_PORT || listener.port() == 0 {
            // Its passive candidate would take the active one's base.
            return Err(IceError::InvalidListener(listener));
        }
        if self.sockets.len() + self.tcp_listeners.len() >= ctx.config.max_sockets {
            return Err(IceError::TooManySockets(ctx.config.max_sockets));
        }
        self.tcp_listeners.push(listener);
        if self.state != GatheringState::New {
            let servers = self.servers.clone();
            self.gather_tcp(now, self.tcp_listeners.len() - 1, &servers, ctx);
            self.set_state(GatheringState::Gathering, ctx.events);
        }
        Ok(())
    }

    /// Removes an ICE-TCP listener (its interface address went away): its passive and
    /// active candidates (host and server-reflexive) are gone, and its Binding requests
    /// over TCP stop. False when it was not one of ours.
    pub(crate) fn remove_tcp_listener(&mut self, listener: SocketAddr) -> bool {
        let Some(index) = self.tcp_listeners.iter().position(|l| *l == listener) else {
            return false;
        };
        self.tcp_listeners.remove(index);
        self.discoveries
            .retain(|d| d.socket != listener || d.inner.transport() != Transport::Tcp);
        let active = active_base(listener);
        for l in &mut self.locals {
            if l.path == Path::Tcp(listener) || l.path == Path::Tcp(active) {
                l.alive = false;
            }
        }
        self.fresh.retain(|&i| self.locals[i].alive);
        true
    }

    /// Starts gathering on every socket added so far and from the TURN servers over TCP or
    /// TLS. Does nothing once started.
    pub(crate) fn start(&mut self, now: Instant, ctx: &mut Context<'_>) {
        if self.state != GatheringState::New {
            return;
        }
        self.set_state(GatheringState::Gathering, ctx.events);
        let servers = self.servers.clone();
        for i in 0..self.sockets.len() {
            self.gather_socket(now, i, &servers, ctx);
        }
        for i in 0..self.tcp_listeners.len() {
            self.gather_tcp(now, i, &servers, ctx);
        }
        if !ctx.config.lite {
            self.start_stream_relays(now, servers, ctx);
        }
    }

    /// New servers and policy for the next restart.
    pub(crate) fn set_pending_servers(&mut self, servers: Vec<IceServer>, policy: TransportPolicy) {
        self.pending_servers = Some((servers, policy));
    }

    /// At an ICE restart: the local candidates are announced again with the new ufrag and
    /// generation (peer-reflexive ones are never announced), after the servers set since
    /// (if any) were taken on: relays of servers no longer listed are released (except
    /// `keep_relay`, the selected pair's: data keeps flowing on it until a new pair is
    /// selected), and every socket gathers from the servers that are new. Gathering starts
    /// again.
    pub(crate) fn restart(
        &mut self,
        now: Instant,
        keep_relay: Option<usize>,
        ctx: &mut Context<'_>,
    ) {
        if let Some((servers, policy)) = self.pending_servers.take() {
            self.regather(now, servers, policy, keep_relay, ctx);
        }
        for l in &mut self.locals {
            if l.candidate.kind == CandidateKind::PeerReflexive {
                continue;
            }
            if l.alive
                && (self.policy == TransportPolicy::All
                    || l.candidate.kind == CandidateKind::Relayed)
            {
                l.candidate.ufrag = Some(ctx.session.local().ufrag.clone());
                l.candidate.generation = Some(ctx.session.generation());
                ctx.events
                    .push_back(Event::LocalCandidate(l.candidate.clone()));
            }
        }
        self.set_state(GatheringState::Gathering, ctx.events);
        self.check_complete(ctx.events);
    }

    fn regather(
        &mut self,
        now: Instant,
        servers: Vec<IceServer>,
        policy: TransportPolicy,
        keep_relay: Option<usize>,
        ctx: &mut Context<'_>,
    ) {
        let key = |s: &IceServer| match s {
            IceServer::Stun { address } => (*address, None),
            IceServer::Turn {
                address, transport, ..
            } => (*address, Some(*transport)),
        };
        let old: Vec<_> = self.servers.iter().map(key).collect();
        let kept: Vec<_> = servers.iter().map(key).collect();
        for (i, relay) in self.relays.iter_mut().enumerate() {
            let listed = kept.contains(&(relay.client.server(), Some(relay.transport)));
            if !listed && Some(i) != keep_relay {
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
        self.policy = policy;
        self.servers = servers;
        // Host candidates again too: a policy that allows more now adds them.
        for i in 0..self.sockets.len() {
            self.gather_socket(now, i, &added, ctx);
        }
        for i in 0..self.tcp_listeners.len() {
            self.gather_tcp(now, i, &added, ctx);
        }
        self.start_stream_relays(now, added, ctx);
    }

    /// TURN over TCP or TLS: one allocation per such server, over the owner's connection
    /// (UDP ones start per socket, in `gather_socket`).
    fn start_stream_relays(
        &mut self,
        now: Instant,
        servers: Vec<IceServer>,
        ctx: &mut Context<'_>,
    ) {
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
                let relay = RelayServer {
                    socket: None,
                    index: 0,
                    server: address,
                    transport,
                    username: &username,
                    password: &password,
                    tls,
                };
                self.start_relay(now, relay, ctx);
            }
        }
    }

    /// Host candidate of socket `index`, and discoveries and UDP allocations from it to
    /// `servers`.
    fn gather_socket(
        &mut self,
        now: Instant,
        index: usize,
        servers: &[IceServer],
        ctx: &mut Context<'_>,
    ) {
        let socket = self.sockets[index];
        if self.allows(CandidateKind::Host) {
            let priority = candidate_priority(
                CandidateKind::Host,
                local_preference(socket.ip(), index, None),
                1,
            );
            let foundation =
                self.foundation(CandidateKind::Host, socket.ip(), None, Transport::Udp);
            let candidate = Candidate::new(CandidateKind::Host, foundation, priority, socket);
            self.add_local(
                candidate,
                socket,
                Path::Socket(socket),
                ctx.session,
                ctx.events,
            );
        }
        if ctx.config.lite {
            return; // RFC 8445 §2.5: a lite agent has host candidates only.
        }
        for server in servers {
            match server.clone() {
                IceServer::Stun { address } => {
                    if address.is_ipv4() != socket.is_ipv4()
                        || !self.allows(CandidateKind::ServerReflexive)
                    {
                        continue;
                    }
                    let seed = rand::Rng::random(ctx.rng);
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
                    let relay = RelayServer {
                        socket: Some(socket),
                        index,
                        server: address,
                        transport: Transport::Udp,
                        username: &username,
                        password: &password,
                        tls,
                    };
                    self.start_relay(now, relay, ctx);
                }
                IceServer::Turn { .. } => {}
            }
        }
    }

    /// The interface rank of listener `index`: as the UDP socket on the same address is.
    fn tcp_interface(&self, index: usize) -> usize {
        let listener = self.tcp_listeners[index];
        self.sockets
            .iter()
            .position(|s| s.ip() == listener.ip())
            .unwrap_or(index)
    }

    /// The ICE-TCP candidates of listener `index`: the host ones (RFC 6544 §4.1, §4.5), a
    /// passive one at the listener and an active one on its IP, signalled with port 9; and
    /// a Binding request over TCP from the listener to each STUN server of `servers`
    /// (RFC 6544 §4.1: the server-reflexive passive candidate is the mapping of the
    /// listener's own address and port).
    fn gather_tcp(
        &mut self,
        now: Instant,
        index: usize,
        servers: &[IceServer],
        ctx: &mut Context<'_>,
    ) {
        if !ctx.config.lite {
            self.start_tcp_discoveries(now, index, servers, ctx);
        }
        if !self.allows(CandidateKind::Host) {
            return;
        }
        let listener = self.tcp_listeners[index];
        let foundation = self.foundation(CandidateKind::Host, listener.ip(), None, Transport::Tcp);
        let interface = self.tcp_interface(index);
        // The active candidate first, as browsers list it: nothing listens for it.
        for (tcp_type, base) in [
            (TcpType::Active, active_base(listener)),
            (TcpType::Passive, listener),
        ] {
            let priority =
                tcp_candidate_priority(CandidateKind::Host, tcp_type, listener.ip(), interface, 1);
            let mut candidate =
                Candidate::new(CandidateKind::Host, foundation.clone(), priority, base);
            candidate.transport = CandidateTransport::Tcp;
            candidate.tcp_type = Some(tcp_type);
            self.add_local(candidate, base, Path::Tcp(base), ctx.session, ctx.events);
        }
    }

    /// One Binding request over TCP from listener `index` to each STUN server of `servers`
    /// of its family (RFC 8489 §6.2.2: sent once, Ti to wait), at most
    /// [`MAX_TCP_DISCOVERIES`] at once. The owner carries it: a [`Transmit`] over TCP from
    /// the listener to a STUN server (see `Agent::add_tcp_listener`).
    fn start_tcp_discoveries(
        &mut self,
        now: Instant,
        index: usize,
        servers: &[IceServer],
        ctx: &mut Context<'_>,
    ) {
        if !self.allows(CandidateKind::ServerReflexive) {
            return;
        }
        let listener = self.tcp_listeners[index];
        for server in servers {
            let IceServer::Stun { address } = *server else {
                continue;
            };
            if address.is_ipv4() != listener.is_ipv4()
                || self.discoveries.iter().any(|d| {
                    d.socket == listener
                        && d.inner.server() == address
                        && d.inner.transport() == Transport::Tcp
                })
            {
                continue;
            }
            let open = self
                .discoveries
                .iter()
                .filter(|d| d.inner.transport() == Transport::Tcp && !d.done)
                .count();
            if open >= MAX_TCP_DISCOVERIES {
                self.tcp_discoveries_refused += 1;
                continue;
            }
            let seed = rand::Rng::random(ctx.rng);
            let mut inner =
                ReflexiveDiscovery::with_seed(address, RetransmitConfig::default(), seed);
            inner.set_transport(Transport::Tcp);
            inner.start(now);
            self.discoveries.push(Discovery {
                socket: listener,
                index,
                inner,
                done: false,
            });
        }
    }

    fn start_relay(&mut self, now: Instant, relay: RelayServer<'_>, ctx: &mut Context<'_>) {
        let mut config = TurnConfig::new(
            relay.server,
            relay.transport,
            relay.username,
            relay.password,
        );
        config.tls = relay.tls;
        config.software = ctx.config.software.clone();
        config.seed = Some(rand::Rng::random(ctx.rng));
        config.max_permissions = ctx.config.max_remote_candidates;
        let Ok(mut client) = Client::new(config) else {
            // A configuration the TURN client refuses (TLS without settings): no candidate.
            return;
        };
        if client.allocate(now).is_err() {
            return;
        }
        self.relays.push(Relay {
            client,
            socket: relay.socket,
            index: relay.index,
            transport: relay.transport,
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
    /// base as one of higher or equal priority) and announces it; the agent pairs it when
    /// [`poll`](Self::poll) hands it out.
    pub(crate) fn add_local(
        &mut self,
        mut candidate: Candidate,
        base: SocketAddr,
        path: Path,
        session: &Session,
        events: &mut VecDeque<Event>,
    ) -> Option<usize> {
        let address = candidate.socket_addr()?;
        if self.locals.iter().any(|l| {
            l.alive
                && l.candidate.socket_addr() == Some(address)
                && l.base == base
                && l.path.transport() == path.transport()
        }) {
            return None;
        }
        candidate.ufrag = Some(session.local().ufrag.clone());
        candidate.generation = Some(session.generation());
        let announce =
            candidate.kind != CandidateKind::PeerReflexive && self.allows(candidate.kind);
        if announce {
            events.push_back(Event::LocalCandidate(candidate.clone()));
        }
        self.locals.push(LocalCandidate {
            candidate,
            base,
            path,
            alive: true,
        });
        let index = self.locals.len() - 1;
        self.fresh.push_back(index);
        Some(index)
    }

    /// A local candidate added and not yet handed out.
    pub(crate) fn take_fresh(&mut self) -> Option<usize> {
        self.fresh.pop_front()
    }

    /// The next thing the agent must act on, in order: a new local candidate to pair, or a
    /// relay that was lost. Drains the discoveries' and relays' events one at a time, so
    /// that each is acted on before the next is handled.
    pub(crate) fn poll(&mut self, now: Instant, ctx: &mut Context<'_>) -> Option<Gathered> {
        if let Some(index) = self.fresh.pop_front() {
            return Some(Gathered::Local(index));
        }
        for i in 0..self.discoveries.len() {
            while let Some(event) = self.discoveries[i].inner.poll_event() {
                self.discoveries[i].done = true;
                match event {
                    DiscoveryEvent::Discovered { mapped, server, .. } => {
                        let d = &self.discoveries[i];
                        let (socket, index) = (d.socket, d.index);
                        if d.inner.transport() == Transport::Tcp {
                            self.add_tcp_reflexive(mapped, socket, server.ip(), ctx);
                        } else {
                            self.add_reflexive(mapped, socket, index, server.ip(), ctx);
                        }
                    }
                    DiscoveryEvent::Failed(error) => {
                        let code = match &error {
                            DiscoveryError::ErrorResponse { code, .. } => *code,
                            _ => CandidateError::UNREACHABLE,
                        };
                        let server = self.discoveries[i].inner.server();
                        let transport = self.discoveries[i].inner.transport();
                        self.candidate_error(
                            CandidateError {
                                server,
                                transport,
                                turn: false,
                                code,
                                text: error.to_string(),
                            },
                            ctx.events,
                        );
                    }
                    _ => {}
                }
                if let Some(index) = self.fresh.pop_front() {
                    return Some(Gathered::Local(index));
                }
            }
        }
        for r in 0..self.relays.len() {
            while let Some(event) = self.relays[r].client.poll_event() {
                if let Some(lost) = self.relay_event(r, event, ctx) {
                    return Some(lost);
                }
                if let Some(index) = self.fresh.pop_front() {
                    return Some(Gathered::Local(index));
                }
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
        None
    }

    fn add_reflexive(
        &mut self,
        mapped: SocketAddr,
        socket: SocketAddr,
        index: usize,
        server: IpAddr,
        ctx: &mut Context<'_>,
    ) {
        if !self.allows(CandidateKind::ServerReflexive) || mapped.is_ipv4() != socket.is_ipv4() {
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
        self.add_local(
            candidate,
            socket,
            Path::Socket(socket),
            ctx.session,
            ctx.events,
        );
    }

    /// The server-reflexive passive ICE-TCP candidate at `mapped`, the address a STUN
    /// server saw a connection from `listener`'s own address and port come from
    /// (RFC 6544 §4.1; related address the listener, RFC 8839 §5.1). None when `mapped` is
    /// the listener itself (no NAT: the host candidate says it all) or of another family.
    fn add_tcp_reflexive(
        &mut self,
        mapped: SocketAddr,
        listener: SocketAddr,
        server: IpAddr,
        ctx: &mut Context<'_>,
    ) {
        let Some(index) = self.tcp_listeners.iter().position(|&l| l == listener) else {
            return;
        };
        if !self.allows(CandidateKind::ServerReflexive)
            || mapped.is_ipv4() != listener.is_ipv4()
            || mapped == listener
        {
            return;
        }
        // RFC 6544 §4.2: the server-reflexive type preference for TCP, the passive
        // direction preference.
        let priority = tcp_candidate_priority(
            CandidateKind::ServerReflexive,
            TcpType::Passive,
            listener.ip(),
            self.tcp_interface(index),
            1,
        );
        let foundation = self.foundation(
            CandidateKind::ServerReflexive,
            listener.ip(),
            Some(server),
            Transport::Tcp,
        );
        let mut candidate =
            Candidate::new(CandidateKind::ServerReflexive, foundation, priority, mapped);
        candidate.transport = CandidateTransport::Tcp;
        candidate.tcp_type = Some(TcpType::Passive);
        candidate.related = Some((ConnectionAddress::Ip(listener.ip()), listener.port()));
        self.add_local(
            candidate,
            listener,
            Path::Tcp(listener),
            ctx.session,
            ctx.events,
        );
    }

    /// The owner's connection from `listener` to STUN server `server` closed or could not
    /// be opened: a Binding request still waiting on it fails now (reported as a
    /// candidate error), one answered is forgotten. False when it carried no request.
    pub(crate) fn tcp_discovery_closed(
        &mut self,
        listener: SocketAddr,
        server: SocketAddr,
        events: &mut VecDeque<Event>,
    ) -> bool {
        let Some(i) = self.discoveries.iter().position(|d| {
            d.socket == listener
                && d.inner.server() == server
                && d.inner.transport() == Transport::Tcp
        }) else {
            return false;
        };
        let d = self.discoveries.remove(i);
        if !d.done {
            self.candidate_error(
                CandidateError {
                    server,
                    transport: Transport::Tcp,
                    turn: false,
                    code: CandidateError::UNREACHABLE,
                    text: "STUN server connection closed before a response".into(),
                },
                events,
            );
        }
        true
    }

    /// A TURN event of relay `r`; a lost relay is told to the agent.
    fn relay_event(
        &mut self,
        r: usize,
        event: TurnEvent,
        ctx: &mut Context<'_>,
    ) -> Option<Gathered> {
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
                self.add_local(candidate, relayed, Path::Relay(r), ctx.session, ctx.events);
                // The mapped address the TURN server saw is a server-reflexive candidate too.
                if let (Some(m), Some(socket)) = (mapped, self.relays[r].socket) {
                    self.add_reflexive(m, socket, index, server.ip(), ctx);
                }
                None
            }
            TurnEvent::Failed(error) => {
                let relay = &self.relays[r];
                let error = CandidateError {
                    server: relay.client.server(),
                    transport: relay.transport,
                    turn: true,
                    code: turn_error_code(&error),
                    text: error.to_string(),
                };
                self.candidate_error(error, ctx.events);
                self.relay_failed(r)
            }
            TurnEvent::Closed => self.relay_failed(r),
            _ => None,
        }
    }

    /// A server gave no candidate: told to the owner, kept for the failure report
    /// (bounded: the first few).
    fn candidate_error(&mut self, error: CandidateError, events: &mut VecDeque<Event>) {
        if self.candidate_errors.len() < MAX_CANDIDATE_ERRORS {
            self.candidate_errors.push(error.clone());
        }
        events.push_back(Event::CandidateError(error));
    }

    /// A relay failed or closed: its candidates are gone (their pairs too, which the agent
    /// sees to when told).
    fn relay_failed(&mut self, r: usize) -> Option<Gathered> {
        self.relays[r].done = true;
        let mut lost = false;
        for l in &mut self.locals {
            if l.path == Path::Relay(r) && l.alive {
                l.alive = false;
                lost = true;
            }
        }
        lost.then_some(Gathered::RelayLost(r))
    }

    /// Remembers that relayed pairs need a permission for `ip` (bounded by `max`).
    pub(crate) fn request_permission(&mut self, relay: usize, ip: IpAddr, max: usize) {
        let relay = &mut self.relays[relay];
        if !relay.requested.contains(&ip)
            && !relay.wanted.contains(&ip)
            && relay.requested.len() + relay.wanted.len() < max
        {
            relay.wanted.push(ip);
        }
    }

    /// A channel for the selected peer on relay `r`: 4 bytes of overhead instead of 36
    /// (RFC 8656 §12).
    pub(crate) fn bind_channel(&mut self, now: Instant, r: usize, peer: SocketAddr) {
        let relay = &mut self.relays[r];
        if relay.channel_for != Some(peer) && relay.client.bind_channel(now, peer).is_ok() {
            relay.channel_for = Some(peer);
        }
    }

    fn set_state(&mut self, state: GatheringState, events: &mut VecDeque<Event>) {
        if self.state != state {
            self.state = state;
            events.push_back(Event::GatheringState(state));
        }
    }

    /// Complete once every discovery and relay answered or failed.
    pub(crate) fn check_complete(&mut self, events: &mut VecDeque<Event>) {
        if self.state == GatheringState::Gathering
            && self.discoveries.iter().all(|d| d.done)
            && self.relays.iter().all(|r| r.done)
        {
            self.set_state(GatheringState::Complete, events);
        }
    }

    /// Feeds a datagram (or TURN stream bytes) to the discovery or relay it is for.
    pub(crate) fn demux<'a>(&mut self, now: Instant, d: Datagram<'a>) -> Demux<'a> {
        if d.transport == Transport::Tcp && self.is_tcp_base(d.local) {
            // A STUN message the owner cut from its connection from a listener to a STUN
            // server: a Binding response, if it is for one of our requests.
            for disc in &mut self.discoveries {
                if disc.socket == d.local
                    && disc.inner.server() == d.remote
                    && disc.inner.handle_datagram(now, d)
                {
                    return Demux::Consumed;
                }
            }
            // Else a datagram the owner cut from an ICE-TCP connection (RFC 4571): the
            // agent's.
            return Demux::Other;
        }
        if d.transport.is_stream() {
            // Bytes of a TCP or TLS connection to a TURN server. What the relay delivered is
            // copied out of its stream buffer, for the agent to handle.
            let Some(r) = self
                .relays
                .iter()
                .position(|r| r.transport == d.transport && r.client.server() == d.remote)
            else {
                return Demux::Unknown;
            };
            for input in self.relays[r].client.handle_stream(now, d.contents) {
                if let Input::Relayed { peer, data } = input {
                    self.stream_relayed.push((peer, data.to_vec()));
                }
            }
            return Demux::Stream(r);
        }
        for disc in &mut self.discoveries {
            if disc.socket == d.local
                && disc.inner.server() == d.remote
                && disc.inner.handle_datagram(now, d)
            {
                return Demux::Consumed;
            }
        }
        if let Some(r) = self
            .relays
            .iter()
            .position(|r| r.socket == Some(d.local) && r.client.server() == d.remote)
        {
            match self.relays[r].client.handle_datagram(now, d) {
                Input::Relayed { peer, data } => {
                    return Demux::Relayed {
                        relay: r,
                        peer,
                        data,
                    };
                }
                Input::Consumed => return Demux::Consumed,
                Input::NotForUs => {}
            }
        }
        Demux::Other
    }

    /// What a stream relay delivered (see [`Demux::Stream`]); give the emptied vector back
    /// with [`put_stream_relayed`](Self::put_stream_relayed) to keep its capacity.
    pub(crate) fn take_stream_relayed(&mut self) -> Vec<(SocketAddr, Vec<u8>)> {
        std::mem::take(&mut self.stream_relayed)
    }

    pub(crate) fn put_stream_relayed(&mut self, relayed: Vec<(SocketAddr, Vec<u8>)>) {
        self.stream_relayed = relayed;
    }

    /// Sends `bytes` to `remote` through relay `r` (framed by the TURN client into
    /// `scratch`).
    pub(crate) fn send_on_relay(
        &mut self,
        now: Instant,
        r: usize,
        remote: SocketAddr,
        bytes: &[u8],
        scratch: &mut Vec<u8>,
    ) -> Option<Transmit> {
        let relay = &mut self.relays[r];
        let t = relay.client.send_to(now, remote, bytes, scratch).ok()?;
        Some(Transmit {
            transport: t.transport,
            source: relay.socket,
            destination: t.destination,
            contents: t.contents.to_vec(),
        })
    }

    /// Application data to `remote` through relay `r`, framed into `buf`.
    pub(crate) fn send_data<'a>(
        &mut self,
        now: Instant,
        r: usize,
        remote: SocketAddr,
        data: &'a [u8],
        buf: &'a mut Vec<u8>,
    ) -> Result<Transmit<&'a [u8]>, IceError> {
        let relay = &mut self.relays[r];
        let t = relay.client.send_to(now, remote, data, buf)?;
        Ok(Transmit {
            transport: t.transport,
            source: relay.socket,
            destination: t.destination,
            contents: t.contents,
        })
    }

    /// Moves the discoveries' and relays' transmits to `transmits`.
    pub(crate) fn flush(&mut self, transmits: &mut VecDeque<Transmit>) {
        for d in &mut self.discoveries {
            while let Some(mut t) = d.inner.poll_transmit() {
                t.source = Some(d.socket);
                transmits.push_back(t);
            }
        }
        for relay in &mut self.relays {
            while let Some(mut t) = relay.client.poll_transmit() {
                t.source = relay.socket;
                transmits.push_back(t);
            }
        }
    }

    /// Time passed: retransmissions and TURN refreshes (only the relays once `closed`, to
    /// release them).
    pub(crate) fn handle_timeout(&mut self, now: Instant, closed: bool) {
        if !closed {
            for d in &mut self.discoveries {
                d.inner.handle_timeout(now);
            }
        }
        for relay in &mut self.relays {
            relay.client.handle_timeout(now);
        }
    }

    /// The earliest deadline of the relays and (unless `closed`) the discoveries.
    pub(crate) fn poll_timeout(&self, closed: bool) -> Option<Instant> {
        let relays = self.relays.iter().filter_map(|r| r.client.poll_timeout());
        let discoveries = self
            .discoveries
            .iter()
            .filter(|_| !closed)
            .filter_map(|d| d.inner.poll_timeout());
        relays.chain(discoveries).min()
    }

    /// Releases every TURN allocation.
    pub(crate) fn close(&mut self, now: Instant) {
        for relay in &mut self.relays {
            relay.client.close(now);
        }
    }
}

/// A TURN server to allocate on, from one socket (UDP) or the owner's connection.
struct RelayServer<'a> {
    socket: Option<SocketAddr>,
    index: usize,
    server: SocketAddr,
    transport: Transport,
    username: &'a str,
    password: &'a str,
    tls: Option<rtcweb_turn::TlsConfig>,
}
