//! Two agents wired through the network simulator, with a signalling channel between them.

#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rtcweb_ice::{
    Agent, Candidate, CandidateKind, Config, ConnectionAddress, ConnectionState, Event,
    GatheringState, IceServer, SelectedPair,
};
use rtcweb_netsim::{HostId, LinkConfig, NatBehavior, NatConfig, Network, TurnServerConfig};

pub const STUN: &str = "198.51.100.1:3478";
pub const TURN: &str = "198.51.100.2:3478";
pub const TURN_RELAY_IP: &str = "198.51.100.3";
pub const TURN_USER: &str = "alice";
pub const TURN_PASS: &str = "wonderland";

/// What a peer learns through signalling.
#[derive(Debug, Clone)]
enum Signal {
    Candidate(Candidate),
    EndOfCandidates,
    Resolved { name: String, ip: IpAddr },
}

/// Side A or B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    fn other(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }
}

/// One endpoint: a host in the simulator and its agent.
pub struct Peer {
    pub host: HostId,
    pub agent: Agent,
    pub socket: SocketAddr,
    pub states: Vec<(Instant, ConnectionState)>,
    pub selected: Vec<(Instant, SelectedPair)>,
    pub gathered: Vec<Candidate>,
    pub received: Vec<Vec<u8>>,
    pub role_changes: u32,
    /// Announce host candidates under an mDNS name instead of the address.
    pub mdns: bool,
    /// Delay of everything this peer signals to the other.
    pub signalling_delay: Duration,
    /// Delay before a `.local` name this peer asked for is resolved.
    pub mdns_delay: Duration,
    gathering_complete: bool,
}

impl Peer {
    pub fn connected_at(&self) -> Option<Instant> {
        self.states
            .iter()
            .find(|(_, s)| matches!(s, ConnectionState::Connected | ConnectionState::Completed))
            .map(|(t, _)| *t)
    }

    pub fn state(&self) -> ConnectionState {
        self.agent.connection_state()
    }

    pub fn saw(&self, state: ConnectionState) -> Option<Instant> {
        self.states
            .iter()
            .find(|(_, s)| *s == state)
            .map(|(t, _)| *t)
    }

    pub fn selected_kinds(&self) -> Option<(CandidateKind, CandidateKind)> {
        self.agent
            .selected_pair()
            .map(|p| (p.local.kind, p.remote.kind))
    }
}

/// Two peers, a network and a signalling channel.
pub struct World {
    pub net: Network,
    pub start: Instant,
    pub now: Instant,
    pub a: Peer,
    pub b: Peer,
    signals: VecDeque<(Instant, Side, Signal)>,
    mdns_names: HashMap<String, IpAddr>,
    next_mdns: u32,
}

/// Where each peer lives.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    /// On the public internet at this address.
    Public(&'static str),
    /// Behind its own NAT of this kind (mapping and filtering alike), at this private
    /// address.
    BehindNat(NatBehavior, &'static str),
    /// In the same private realm as the other peer (a LAN), behind one NAT.
    Lan(&'static str),
}

pub struct Setup {
    pub seed: u64,
    pub a: Place,
    pub b: Place,
    pub link: LinkConfig,
    pub servers: bool,
    /// The TURN server closes an allocation whose relayed send cannot be routed (coturn).
    pub turn_closes_on_unroutable: bool,
    pub config_a: Config,
    pub config_b: Config,
}

impl Setup {
    pub fn new(seed: u64, a: Place, b: Place) -> Self {
        let config = |controlling| Config {
            controlling,
            ..Config::default()
        };
        Self {
            seed,
            a,
            b,
            link: LinkConfig {
                delay: Duration::from_millis(10),
                ..LinkConfig::default()
            },
            servers: true,
            turn_closes_on_unroutable: false,
            config_a: config(true),
            config_b: config(false),
        }
    }
}

#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

impl World {
    pub fn new(setup: Setup) -> Self {
        let start = epoch();
        let mut net = Network::new(setup.seed, start);
        if setup.servers {
            net.add_stun_server(STUN.parse().unwrap());
            net.add_turn_server(TurnServerConfig {
                address: TURN.parse().unwrap(),
                relay_ip: TURN_RELAY_IP.parse().unwrap(),
                realm: "rtcweb.test".into(),
                username: TURN_USER.into(),
                password: TURN_PASS.into(),
                close_on_unroutable: setup.turn_closes_on_unroutable,
            });
        }
        let mut lan_nat = None;
        let mut place = |net: &mut Network, place: Place, n: u8| -> HostId {
            match place {
                Place::Public(ip) => net.add_host(ip.parse().unwrap(), None),
                Place::BehindNat(kind, ip) => {
                    let nat = net.add_nat(NatConfig {
                        public_ip: format!("203.0.113.{n}").parse().unwrap(),
                        mapping: kind,
                        filtering: kind,
                        hairpinning: false,
                        mapping_timeout: Duration::from_secs(120),
                    });
                    net.add_host(ip.parse().unwrap(), Some(nat))
                }
                Place::Lan(ip) => {
                    let nat = *lan_nat.get_or_insert_with(|| {
                        net.add_nat(NatConfig {
                            public_ip: "203.0.113.100".parse().unwrap(),
                            mapping: NatBehavior::EndpointIndependent,
                            filtering: NatBehavior::AddressAndPortDependent,
                            hairpinning: false,
                            mapping_timeout: Duration::from_secs(120),
                        })
                    });
                    net.add_host(ip.parse().unwrap(), Some(nat))
                }
            }
        };
        let host_a = place(&mut net, setup.a, 1);
        let host_b = place(&mut net, setup.b, 2);
        net.set_link(host_a, setup.link);
        net.set_link(host_b, setup.link);
        let ip = |p: Place| match p {
            Place::Public(ip) | Place::BehindNat(_, ip) | Place::Lan(ip) => {
                ip.parse::<IpAddr>().unwrap()
            }
        };
        let servers = if setup.servers {
            vec![
                IceServer::Stun {
                    address: STUN.parse().unwrap(),
                },
                IceServer::Turn {
                    address: TURN.parse().unwrap(),
                    transport: rtcweb_common::Transport::Udp,
                    username: TURN_USER.into(),
                    password: TURN_PASS.into(),
                    tls: None,
                },
            ]
        } else {
            Vec::new()
        };
        let peer = |host, ip: IpAddr, mut config: Config, seed: u64| {
            let socket = SocketAddr::new(ip, 50_000);
            if config.servers.is_empty() {
                config.servers = servers.clone();
            }
            config.seed = Some(seed);
            let mut agent = Agent::new(config, start).unwrap();
            agent.add_local_socket(start, socket).unwrap();
            Peer {
                host,
                agent,
                socket,
                states: Vec::new(),
                selected: Vec::new(),
                gathered: Vec::new(),
                received: Vec::new(),
                role_changes: 0,
                mdns: false,
                signalling_delay: Duration::from_millis(20),
                mdns_delay: Duration::ZERO,
                gathering_complete: false,
            }
        };
        let a = peer(host_a, ip(setup.a), setup.config_a, setup.seed * 2 + 1);
        let b = peer(host_b, ip(setup.b), setup.config_b, setup.seed * 2 + 2);
        Self {
            net,
            start,
            now: start,
            a,
            b,
            signals: VecDeque::new(),
            mdns_names: HashMap::new(),
            next_mdns: 0,
        }
    }

    pub fn peer(&mut self, side: Side) -> &mut Peer {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// Exchanges credentials and starts gathering on both sides.
    pub fn start(&mut self) {
        let now = self.now;
        let ca = self.a.agent.local_credentials().clone();
        let cb = self.b.agent.local_credentials().clone();
        self.a.agent.set_remote_credentials(now, cb).unwrap();
        self.b.agent.set_remote_credentials(now, ca).unwrap();
        self.a.agent.gather(now);
        self.b.agent.gather(now);
        self.pump();
    }

    /// Drains both agents: transmits into the network, events into signalling.
    pub fn pump(&mut self) {
        for side in [Side::A, Side::B] {
            let now = self.now;
            loop {
                let peer = self.peer(side);
                let Some(t) = peer.agent.poll_transmit() else {
                    break;
                };
                let host = peer.host;
                let from = t.source.expect("UDP transmits name their socket");
                self.net.send(host, from, t.destination, t.contents);
            }
            loop {
                let peer = self.peer(side);
                let Some(event) = peer.agent.poll_event() else {
                    break;
                };
                match event {
                    Event::LocalCandidate(mut c) => {
                        peer.gathered.push(c.clone());
                        if peer.mdns && c.kind == CandidateKind::Host {
                            let ip = c.address.ip().unwrap();
                            self.next_mdns += 1;
                            let name =
                                format!("{:08x}-0000-4000-8000-000000000000.local", self.next_mdns);
                            self.mdns_names.insert(name.clone(), ip);
                            c.address = ConnectionAddress::Hostname(name);
                        }
                        let delay = self.peer(side).signalling_delay;
                        self.signals
                            .push_back((now + delay, side.other(), Signal::Candidate(c)));
                    }
                    Event::GatheringState(GatheringState::Complete) => {
                        peer.gathering_complete = true;
                        let delay = peer.signalling_delay;
                        self.signals.push_back((
                            now + delay,
                            side.other(),
                            Signal::EndOfCandidates,
                        ));
                    }
                    Event::ConnectionState(s) => peer.states.push((now, s)),
                    Event::SelectedPair(p) => peer.selected.push((now, p)),
                    Event::RoleChanged { .. } => peer.role_changes += 1,
                    Event::ResolveMdns { name } => {
                        let delay = peer.mdns_delay;
                        if let Some(ip) = self.mdns_names.get(&name) {
                            self.signals.push_back((
                                now + delay,
                                side,
                                Signal::Resolved { name, ip: *ip },
                            ));
                        }
                    }
                    Event::Data { data, .. } => peer.received.push(data),
                    _ => {}
                }
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        [
            self.a.agent.poll_timeout(),
            self.b.agent.poll_timeout(),
            self.net.poll_timeout(),
            self.signals.iter().map(|(t, _, _)| *t).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances simulated time to the next thing due (but not past `limit`).
    pub fn step(&mut self, limit: Instant) -> bool {
        let Some(next) = self.next_deadline() else {
            self.now = limit;
            return false;
        };
        let next = next.max(self.now).min(limit);
        self.now = next;
        self.net.advance_to(next);
        // Signalling.
        let mut due = Vec::new();
        self.signals.retain(|(t, side, s)| {
            if *t <= next {
                due.push((*side, s.clone()));
                false
            } else {
                true
            }
        });
        for (side, signal) in due {
            let now = self.now;
            let agent = &mut self.peer(side).agent;
            match signal {
                Signal::Candidate(c) => {
                    let _ = agent.add_remote_candidate(now, c);
                }
                Signal::EndOfCandidates => agent.end_of_remote_candidates(now),
                Signal::Resolved { name, ip } => {
                    agent.resolve_mdns(now, &name, ip);
                }
            }
        }
        // Datagrams.
        for side in [Side::A, Side::B] {
            let now = self.now;
            let host = self.peer(side).host;
            while let Some(d) = self.net.poll_delivery(host) {
                let peer = self.peer(side);
                if let rtcweb_ice::Received::Data { contents, .. } =
                    peer.agent.handle_datagram(now, d.datagram())
                {
                    peer.received.push(contents.to_vec());
                }
            }
            let peer = self.peer(side);
            if peer.agent.poll_timeout().is_some_and(|t| t <= now) {
                peer.agent.handle_timeout(now);
            }
        }
        self.pump();
        true
    }

    /// Runs until `done` holds or `timeout` of simulated time passed; returns whether it held.
    pub fn run_until(&mut self, timeout: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let limit = self.now + timeout;
        loop {
            if done(self) {
                return true;
            }
            if self.now >= limit {
                return false;
            }
            self.step(limit);
        }
    }

    /// Runs for `duration` of simulated time.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_until(duration, |_| false);
    }

    pub fn both_connected(&self) -> bool {
        self.a.agent.selected_pair().is_some()
            && self.b.agent.selected_pair().is_some()
            && self.a.connected_at().is_some()
            && self.b.connected_at().is_some()
    }

    /// Connects, asserting success within `timeout`, and returns the time it took.
    pub fn connect(&mut self, timeout: Duration) -> Duration {
        self.start();
        assert!(
            self.run_until(timeout, Self::both_connected),
            "not connected after {timeout:?}: A {:?} B {:?}\nA pairs: {:?}\nB pairs: {:?}\nnet: {:?}",
            self.a.states,
            self.b.states,
            self.a
                .agent
                .pairs()
                .map(|p| (p.local.to_string(), p.remote.to_string(), p.state))
                .collect::<Vec<_>>(),
            self.b
                .agent
                .pairs()
                .map(|p| (p.local.to_string(), p.remote.to_string(), p.state))
                .collect::<Vec<_>>(),
            self.net.stats(),
        );
        let a = self.a.connected_at().unwrap();
        let b = self.b.connected_at().unwrap();
        a.max(b) - self.start
    }

    /// Sends `data` from one side over its selected pair; returns whether it got out.
    pub fn send(&mut self, from: Side, data: &[u8]) -> bool {
        let now = self.now;
        let peer = self.peer(from);
        let host = peer.host;
        let mut buf = Vec::new();
        let Ok(t) = peer.agent.send(now, data, &mut buf) else {
            return false;
        };
        let (source, destination, contents) =
            (t.source.unwrap(), t.destination, t.contents.to_vec());
        self.net.send(host, source, destination, contents);
        true
    }

    /// Both selected pairs carry data both ways.
    pub fn assert_data_flows(&mut self) {
        let before = (self.a.received.len(), self.b.received.len());
        assert!(self.send(Side::A, b"\x17hello from A"));
        assert!(self.send(Side::B, b"\x17hello from B"));
        assert!(
            self.run_until(Duration::from_secs(2), |w| w.a.received.len() > before.0
                && w.b.received.len() > before.1),
            "data did not flow"
        );
        assert_eq!(self.b.received.last().unwrap(), b"\x17hello from A");
        assert_eq!(self.a.received.last().unwrap(), b"\x17hello from B");
    }
}
