//! ICE-TCP (RFC 6544) between two agents whose UDP is lost: each has a UDP socket and a
//! TCP listener; a small harness plays the owners' TCP connections (an outbound one per
//! active base and destination, from an ephemeral port; accepted ones named by the
//! listener and that port), so the pair that comes up is a TCP one, checked once per
//! transaction, and application data flows on it both ways. Also: the candidates gathered
//! (passive at the listener, active at port 9, RFC 6544 §4.5), the pairing rules (§6.2,
//! a peer's simultaneous-open candidate kept and never paired), a connection that closes,
//! and which connections count as checked (`Agent::tcp_connection_checked`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{
    Agent, Candidate, CandidateKind, CandidateTransport, Config, ConnectionState, Event, IceError,
    PairState, Received, TcpType,
};

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const UDP: [&str; 2] = ["192.0.2.1:4000", "192.0.2.2:4000"];
const LISTENERS: [&str; 2] = ["192.0.2.1:4001", "192.0.2.2:4001"];

/// One TCP connection as the harness plays it: opened by `client` from its active base
/// (the agent's name for it) and an ephemeral port, accepted by the other agent on
/// `listener`.
#[derive(Debug, Clone, Copy)]
struct Connection {
    client: usize,
    active: SocketAddr,
    ephemeral: SocketAddr,
    listener: SocketAddr,
    open: bool,
}

struct Harness {
    now: Instant,
    agents: [Agent; 2],
    connections: Vec<Connection>,
    /// Datagrams in flight: to agent, transport, local, remote, bytes.
    wire: VecDeque<(usize, Transport, SocketAddr, SocketAddr, Vec<u8>)>,
    /// Whether UDP gets through (it is lost while `false`).
    udp_open: bool,
    udp_dropped: usize,
    tcp_delivered: usize,
    /// Application data each agent received.
    data: [Vec<Vec<u8>>; 2],
    /// Local candidates each agent announced.
    announced: [Vec<Candidate>; 2],
}

impl Harness {
    fn new(tcp: [bool; 2]) -> Self {
        let now = epoch();
        let mut agents = [0, 1].map(|i| {
            let mut agent = Agent::new(
                Config {
                    controlling: i == 0,
                    seed: Some(i as u64 + 1),
                    ..Config::default()
                },
                now,
            )
            .unwrap();
            agent.add_local_socket(now, addr(UDP[i])).unwrap();
            if tcp[i] {
                agent.add_tcp_listener(now, addr(LISTENERS[i])).unwrap();
            }
            agent.gather(now);
            agent
        });
        let credentials = [0, 1].map(|i| agents[i].local_credentials().clone());
        for i in 0..2 {
            agents[i]
                .set_remote_credentials(now, credentials[1 - i].clone())
                .unwrap();
        }
        let mut h = Self {
            now,
            agents,
            connections: Vec::new(),
            wire: VecDeque::new(),
            udp_open: false,
            udp_dropped: 0,
            tcp_delivered: 0,
            data: Default::default(),
            announced: Default::default(),
        };
        h.pump();
        h
    }

    /// The connection a transmit from agent `from` goes on, opened when it comes from the
    /// active base and there is none: (agent it reaches, its local, its remote).
    fn route_tcp(
        &mut self,
        from: usize,
        source: SocketAddr,
        destination: SocketAddr,
    ) -> Option<(usize, SocketAddr, SocketAddr)> {
        if source.port() == 9 {
            let to = LISTENERS.iter().position(|l| addr(l) == destination)?;
            let c =
                match self.connections.iter().position(|c| {
                    c.client == from && c.active == source && c.listener == destination
                }) {
                    Some(i) => self.connections[i],
                    None => {
                        let mut ephemeral = source;
                        ephemeral.set_port(50_000 + self.connections.len() as u16);
                        let c = Connection {
                            client: from,
                            active: source,
                            ephemeral,
                            listener: destination,
                            open: true,
                        };
                        self.connections.push(c);
                        c
                    }
                };
            c.open.then_some((to, c.listener, c.ephemeral))
        } else {
            // From a listener: only on a connection the peer opened to it.
            let c = self.connections.iter().find(|c| {
                c.client != from && c.listener == source && c.ephemeral == destination && c.open
            })?;
            Some((c.client, c.active, c.listener))
        }
    }

    /// Moves every transmit onto the wire (UDP is lost unless `udp_open`), delivers the
    /// wire, repeats until nothing moves; collects events.
    fn pump(&mut self) {
        loop {
            for i in 0..2 {
                while let Some(e) = self.agents[i].poll_event() {
                    match e {
                        Event::LocalCandidate(c) => {
                            self.announced[i].push(c.clone());
                            let _ = self.agents[1 - i].add_remote_candidate(self.now, c);
                        }
                        Event::Data { data, .. } => self.data[i].push(data),
                        _ => {}
                    }
                }
                while let Some(t) = self.agents[i].poll_transmit() {
                    match t.transport {
                        Transport::Tcp => {
                            let source = t.source.expect("a TCP transmit names its base");
                            if let Some((to, local, remote)) =
                                self.route_tcp(i, source, t.destination)
                            {
                                self.wire.push_back((
                                    to,
                                    Transport::Tcp,
                                    local,
                                    remote,
                                    t.contents,
                                ));
                            }
                        }
                        _ if self.udp_open => {
                            let source = t.source.expect("a UDP transmit names its socket");
                            if let Some(to) = UDP.iter().position(|u| addr(u) == t.destination) {
                                self.wire.push_back((
                                    to,
                                    Transport::Udp,
                                    t.destination,
                                    source,
                                    t.contents,
                                ));
                            }
                        }
                        _ => self.udp_dropped += 1,
                    }
                }
            }
            let Some((to, transport, local, remote, bytes)) = self.wire.pop_front() else {
                break;
            };
            if transport == Transport::Tcp {
                self.tcp_delivered += 1;
            }
            let d = Datagram {
                transport,
                local,
                remote,
                contents: &bytes,
            };
            if let Received::Data { contents, .. } = self.agents[to].handle_datagram(self.now, d) {
                self.data[to].push(contents.to_vec());
            }
        }
    }

    fn run_for(&mut self, duration: Duration) {
        let until = self.now + duration;
        loop {
            self.pump();
            match self.agents.iter().filter_map(Agent::poll_timeout).min() {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    for a in &mut self.agents {
                        a.handle_timeout(self.now);
                    }
                }
                _ => break,
            }
        }
        self.now = until;
    }

    fn send(&mut self, from: usize, data: &[u8]) {
        let mut buf = Vec::new();
        let t = self.agents[from].send(self.now, data, &mut buf).unwrap();
        assert_eq!(t.transport, Transport::Tcp);
        let t = t.to_owned();
        let (to, local, remote) = self
            .route_tcp(from, t.source.unwrap(), t.destination)
            .expect("the selected pair's connection is open");
        self.wire
            .push_back((to, Transport::Tcp, local, remote, t.contents));
        self.pump();
    }
}

#[test]
fn candidates_are_passive_at_the_listener_and_active_at_port_9() {
    let h = Harness::new([true, true]);
    let tcp: Vec<&Candidate> = h.announced[0]
        .iter()
        .filter(|c| c.transport == CandidateTransport::Tcp)
        .collect();
    let lines: Vec<String> = tcp.iter().map(|c| c.to_string()).collect();
    println!("A's ICE-TCP candidates: {lines:?}");
    assert_eq!(tcp.len(), 2, "{lines:?}");
    let active = tcp.iter().find(|c| c.tcp_type == Some(TcpType::Active));
    let passive = tcp.iter().find(|c| c.tcp_type == Some(TcpType::Passive));
    assert_eq!(active.unwrap().socket_addr(), Some(addr("192.0.2.1:9")));
    assert_eq!(passive.unwrap().socket_addr(), Some(addr(LISTENERS[0])));
    assert!(
        lines
            .iter()
            .all(|l| l.contains(" tcp ") && l.contains("typ host tcptype"))
    );
    // Both below the UDP host candidate (RFC 6544 §4.2 leaves UDP preferred).
    let udp = h.announced[0]
        .iter()
        .find(|c| c.transport == CandidateTransport::Udp)
        .unwrap();
    assert!(tcp.iter().all(|c| c.priority < udp.priority));
    assert!(active.unwrap().priority > passive.unwrap().priority);
}

#[test]
fn pairs_never_mix_transports_and_follow_the_tcp_roles() {
    let mut h = Harness::new([true, true]);
    // Before any check arrived: UDP with UDP, and our active with their passive only
    // (RFC 6544 §6.2: a passive local candidate never pairs with a signalled active one).
    for p in h.agents[0].pairs() {
        assert_eq!(p.local.transport, p.remote.transport);
        if p.local.transport == CandidateTransport::Tcp {
            assert_eq!(p.local.tcp_type, Some(TcpType::Active), "{}", p.local);
            assert_eq!(p.remote.tcp_type, Some(TcpType::Passive), "{}", p.remote);
        }
    }
    // A TCP candidate without its role is refused; so is another transport.
    let mut bare = Candidate::parse("candidate:9 1 tcp 1 192.0.2.2 4002 typ host").unwrap();
    assert_eq!(
        h.agents[0].add_remote_candidate(h.now, bare.clone()),
        Err(IceError::UnsupportedTransport)
    );
    bare.transport = CandidateTransport::Other("sctp".to_owned());
    bare.tcp_type = Some(TcpType::Passive);
    assert_eq!(
        h.agents[0].add_remote_candidate(h.now, bare),
        Err(IceError::UnsupportedTransport)
    );
    h.run_for(Duration::from_secs(2));
    // The checks that came over the peer's connection to our listener made a
    // peer-reflexive remote candidate, active, at the connection's ephemeral port, paired
    // with our passive candidate.
    let learned: Vec<String> = h.agents[0]
        .pairs()
        .filter(|p| p.local.tcp_type == Some(TcpType::Passive))
        .map(|p| {
            assert_eq!(p.remote.kind, CandidateKind::PeerReflexive);
            assert_eq!(p.remote.tcp_type, Some(TcpType::Active));
            assert_eq!(p.remote.transport, CandidateTransport::Tcp);
            p.remote.to_string()
        })
        .collect();
    println!("A learned from B's connection: {learned:?}");
    assert_eq!(learned.len(), 1);
}

#[test]
fn with_udp_lost_the_connection_comes_up_over_tcp() {
    let mut h = Harness::new([true, true]);
    h.run_for(Duration::from_secs(5));
    for (i, agent) in h.agents.iter().enumerate() {
        assert_eq!(
            agent.connection_state(),
            ConnectionState::Connected,
            "agent {i}"
        );
        let selected = agent.selected_pair().expect("a selected pair");
        println!(
            "agent {i} selected {} -> {} ({} UDP datagrams lost, {} TCP datagrams delivered)",
            selected.local, selected.remote, h.udp_dropped, h.tcp_delivered
        );
        assert_eq!(selected.local.transport, CandidateTransport::Tcp);
        assert_eq!(selected.remote.transport, CandidateTransport::Tcp);
        let udp_pairs_failed = agent
            .pairs()
            .filter(|p| p.local.transport == CandidateTransport::Udp)
            .all(|p| p.state != PairState::Succeeded);
        assert!(udp_pairs_failed);
    }
    // The two ends of one connection: active on one side, passive on the other.
    let roles = [0, 1].map(|i| h.agents[i].selected_pair().unwrap().local.tcp_type);
    assert!(
        matches!(
            roles,
            [Some(TcpType::Active), Some(TcpType::Passive)]
                | [Some(TcpType::Passive), Some(TcpType::Active)]
        ),
        "{roles:?}"
    );
    h.send(0, b"\x17\xfe\xfdfrom A");
    h.send(1, b"\x17\xfe\xfdfrom B");
    assert!(h.data[1].contains(&b"\x17\xfe\xfdfrom A".to_vec()));
    assert!(h.data[0].contains(&b"\x17\xfe\xfdfrom B".to_vec()));
    // Consent keeps it alive over TCP for longer than the consent timeout.
    h.run_for(Duration::from_secs(40));
    assert!(
        h.agents
            .iter()
            .all(|a| a.connection_state() == ConnectionState::Connected)
    );
}

/// A UDP check lost to the network must not leave the call on TCP: the TCP pair that
/// answered first is nominated, and when UDP gets through (the checks' retransmissions
/// come back) the controlling agent nominates the better UDP pair too, and both move to
/// it (RFC 8445 §8.1.1: the highest-priority nominated pair is used).
#[test]
fn a_udp_pair_that_succeeds_late_takes_over_from_tcp() {
    let mut h = Harness::new([true, true]);
    h.run_for(Duration::from_millis(800));
    for (i, agent) in h.agents.iter().enumerate() {
        let selected = agent.selected_pair().expect("a selected pair");
        println!(
            "agent {i} first selected {} -> {}",
            selected.local, selected.remote
        );
        assert_eq!(
            selected.local.transport,
            CandidateTransport::Tcp,
            "agent {i}"
        );
    }
    h.udp_open = true;
    h.run_for(Duration::from_secs(5));
    for (i, agent) in h.agents.iter().enumerate() {
        assert_eq!(agent.connection_state(), ConnectionState::Connected);
        let selected = agent.selected_pair().expect("a selected pair");
        println!(
            "agent {i} then selected {} -> {}",
            selected.local, selected.remote
        );
        assert_eq!(
            selected.local.transport,
            CandidateTransport::Udp,
            "agent {i}"
        );
        assert_eq!(
            selected.remote.transport,
            CandidateTransport::Udp,
            "agent {i}"
        );
        let nominated = agent
            .pairs()
            .find(|p| *p.local == selected.local && *p.remote == selected.remote)
            .is_some_and(|p| p.nominated);
        assert!(nominated, "agent {i}");
    }
    // Application data now goes over UDP both ways.
    for from in 0..2 {
        let mut buf = Vec::new();
        let t = h.agents[from]
            .send(h.now, b"\x17\xfe\xfdover UDP", &mut buf)
            .unwrap();
        assert_eq!(t.transport, Transport::Udp, "agent {from}");
    }
}

#[test]
fn without_tcp_on_the_other_side_nothing_pairs_over_tcp() {
    // B has no TCP listener, so no TCP candidate: A's TCP candidates pair with nothing
    // (never with B's UDP ones), and with UDP lost the checks fail.
    let mut h = Harness::new([true, false]);
    h.run_for(Duration::from_secs(20));
    assert!(
        h.agents[0]
            .pairs()
            .all(|p| p.local.transport == CandidateTransport::Udp),
        "no TCP pair without a TCP candidate on the other side"
    );
    assert!(h.agents[0].pairs().all(|p| p.state == PairState::Failed));
    assert!(h.agents[0].selected_pair().is_none());
}

#[test]
fn a_closed_connection_fails_its_pairs_at_once() {
    let mut h = Harness::new([true, true]);
    h.run_for(Duration::from_secs(5));
    let selected = h.agents[0].selected_pair().unwrap();
    let base = match selected.local.tcp_type {
        Some(TcpType::Active) => addr("192.0.2.1:9"),
        _ => addr(LISTENERS[0]),
    };
    let remote = selected.remote.socket_addr().unwrap();
    for c in &mut h.connections {
        c.open = false;
    }
    h.agents[0].stream_closed(h.now, base, remote);
    assert!(
        h.agents[0].selected_pair().is_none() || {
            let now = h.agents[0].selected_pair().unwrap();
            now.local != selected.local || now.remote != selected.remote
        }
    );
    assert!(
        h.agents[0]
            .pairs()
            .filter(|p| *p.local == selected.local && *p.remote == selected.remote)
            .all(|p| p.state == PairState::Failed)
    );
}

#[test]
fn a_connection_counts_as_checked_only_once_an_authenticated_check_came_on_it() {
    let mut h = Harness::new([true, true]);
    // Someone connects to B's listener and sends a Binding request without
    // MESSAGE-INTEGRITY: B answers 400 on that connection (RFC 8489 §9.1.3), but nothing
    // authenticated came on it, so its owner may close it.
    let listener = addr(LISTENERS[1]);
    let stranger = addr("198.51.100.9:40000");
    let mut request = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    request.extend_from_slice(&[7; 12]);
    let d = Datagram {
        transport: Transport::Tcp,
        local: listener,
        remote: stranger,
        contents: &request,
    };
    let _ = h.agents[1].handle_datagram(h.now, d);
    let answered = std::iter::from_fn(|| h.agents[1].poll_transmit())
        .any(|t| t.transport == Transport::Tcp && t.destination == stranger);
    assert!(answered, "the 400 goes back on the stranger's connection");
    assert!(!h.agents[1].tcp_connection_checked(listener, stranger));
    // The real connections: each side's check or answer authenticates on each.
    h.run_for(Duration::from_secs(5));
    assert!(!h.connections.is_empty());
    for c in &h.connections {
        let (client, server) = (&h.agents[c.client], &h.agents[1 - c.client]);
        assert!(
            server.tcp_connection_checked(c.listener, c.ephemeral),
            "accepted {c:?}"
        );
        assert!(
            client.tcp_connection_checked(c.active, c.listener),
            "opened {c:?}"
        );
    }
    assert!(!h.agents[1].tcp_connection_checked(listener, stranger));
}

#[test]
fn simultaneous_open_candidates_are_kept_and_never_paired() {
    // RFC 6544 §6.2: a simultaneous-open candidate pairs only with a simultaneous-open one,
    // and we gather none: a peer's `tcptype so` candidate is accepted and kept (it is the
    // peer's to signal), checks go to its active and passive ones, and nothing is ever
    // checked towards it.
    let mut h = Harness::new([true, true]);
    let so = Candidate::parse("candidate:7 1 tcp 1518280447 192.0.2.2 4005 typ host tcptype so")
        .unwrap();
    assert_eq!(so.tcp_type, Some(TcpType::SimultaneousOpen));
    let so_address = so.socket_addr().unwrap();
    h.agents[0].add_remote_candidate(h.now, so).unwrap();
    assert!(
        h.agents[0]
            .remote_candidates()
            .any(|c| c.tcp_type == Some(TcpType::SimultaneousOpen))
    );
    h.run_for(Duration::from_secs(5));
    assert!(
        h.agents[0]
            .pairs()
            .all(|p| p.remote.tcp_type != Some(TcpType::SimultaneousOpen)),
        "no pair with the S-O candidate"
    );
    assert!(
        h.connections.iter().all(|c| c.listener != so_address),
        "no connection opened to it"
    );
    assert_eq!(
        h.agents[0].connection_state(),
        ConnectionState::Connected,
        "the other TCP candidates connect as before"
    );
}
