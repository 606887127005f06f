//! Server-reflexive passive ICE-TCP candidates (RFC 6544 §4.1): agent A sits behind a 1:1
//! NAT (its private address 192.0.2.10 is reachable as 203.0.113.10, ports kept, inbound
//! allowed) and asks a scripted STUN server, over TCP from its listener, what its listener
//! looks like from outside. Agent B's UDP is lost and only its active TCP candidate can
//! reach anything: the only way in is A's server-reflexive passive candidate.
//!
//! Also: gathering waits for the TCP transaction; a response naming the listener itself
//! (no NAT) makes no candidate; a garbled response is dropped and a closed connection ends
//! the request with a candidate error; the table of requests is bounded.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{
    Agent, Candidate, CandidateKind, CandidateTransport, Config, ConnectionAddress,
    ConnectionState, Event, GatheringState, IceServer, Received, TcpType, tcp_candidate_priority,
};
use rtcweb_stun::{Message, encode_binding_success};

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const STUN: &str = "198.51.100.1:3478";
const UDP: [&str; 2] = ["192.0.2.10:4000", "192.0.2.20:4000"];
const LISTENERS: [&str; 2] = ["192.0.2.10:4001", "192.0.2.20:4001"];
/// A's listener as the 1:1 NAT shows it.
const PUBLIC: &str = "203.0.113.10:4001";
/// B's active connection as A sees it (B's NAT).
const B_OUTSIDE: &str = "198.51.100.20:50000";

/// What the scripted STUN server answers a Binding request over TCP with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    /// A success with this mapped address.
    Mapped(&'static str),
    /// Bytes that are no STUN message, then the connection closes.
    GarbageThenClose,
}

struct Harness {
    now: Instant,
    agents: [Agent; 2],
    script: Script,
    /// Requests the STUN server got over TCP: (from, transport).
    stun_requests: Vec<(SocketAddr, Transport)>,
    /// B's connection from its active address to A's public address, once opened.
    connected: bool,
    /// Connections B tried that nothing answered.
    refused: Vec<SocketAddr>,
    wire: VecDeque<(usize, SocketAddr, SocketAddr, Vec<u8>)>,
    events: [Vec<Event>; 2],
    data: Vec<Vec<u8>>,
}

impl Harness {
    fn new(script: Script, b_joins: bool) -> Self {
        let now = epoch();
        let servers = vec![IceServer::Stun {
            address: addr(STUN),
        }];
        let agents = [0, 1].map(|i| {
            let mut agent = Agent::new(
                Config {
                    controlling: i == 1,
                    seed: Some(i as u64 + 7),
                    servers: if i == 0 { servers.clone() } else { Vec::new() },
                    ..Config::default()
                },
                now,
            )
            .unwrap();
            agent.add_local_socket(now, addr(UDP[i])).unwrap();
            agent.add_tcp_listener(now, addr(LISTENERS[i])).unwrap();
            agent
        });
        let mut h = Self {
            now,
            agents,
            script,
            stun_requests: Vec::new(),
            connected: false,
            refused: Vec::new(),
            wire: VecDeque::new(),
            events: Default::default(),
            data: Vec::new(),
        };
        h.agents[0].gather(now);
        if b_joins {
            h.agents[1].gather(now);
            let credentials = [0, 1].map(|i| h.agents[i].local_credentials().clone());
            for i in 0..2 {
                h.agents[i]
                    .set_remote_credentials(now, credentials[1 - i].clone())
                    .unwrap();
            }
        }
        h.pump(b_joins);
        h
    }

    /// The scripted STUN server's answer to one request over TCP from A's listener.
    fn answer(&mut self, source: SocketAddr, request: &[u8]) {
        self.stun_requests.push((source, Transport::Tcp));
        let id = Message::decode(request).unwrap().transaction_id();
        match self.script {
            Script::Mapped(mapped) => {
                let mut buf = [0u8; 128];
                let n = encode_binding_success(id, addr(mapped), None, &mut buf).unwrap();
                self.wire
                    .push_back((0, source, addr(STUN), buf[..n].to_vec()));
            }
            Script::GarbageThenClose => {
                // A STUN-looking header with our transaction and a length past the end,
                // then plain garbage: dropped, no panic.
                let mut bad = vec![0x01, 0x01, 0x00, 0x40, 0x21, 0x12, 0xa4, 0x42];
                bad.extend_from_slice(&id);
                bad.extend_from_slice(&[0xff; 8]);
                let d = Datagram {
                    transport: Transport::Tcp,
                    local: source,
                    remote: addr(STUN),
                    contents: &bad,
                };
                let _ = self.agents[0].handle_datagram(self.now, d);
                let d = Datagram {
                    contents: &[0xde, 0xad],
                    ..d
                };
                let _ = self.agents[0].handle_datagram(self.now, d);
                self.agents[0].stream_closed(self.now, source, addr(STUN));
            }
        }
    }

    /// Moves transmits, signals candidates (to B only when `signal`), delivers the wire.
    fn pump(&mut self, signal: bool) {
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(e) = self.agents[i].poll_event() {
                    moved = true;
                    if let (Event::LocalCandidate(c), true) = (&e, signal) {
                        let _ = self.agents[1 - i].add_remote_candidate(self.now, c.clone());
                    }
                    if let Event::Data { data, .. } = &e {
                        self.data.push(data.clone());
                    }
                    self.events[i].push(e);
                }
                while let Some(t) = self.agents[i].poll_transmit() {
                    moved = true;
                    if t.transport != Transport::Tcp {
                        // UDP is lost, but for the STUN server's answers to A's socket.
                        if i == 0 && t.destination == addr(STUN) {
                            let id = Message::decode(&t.contents).unwrap().transaction_id();
                            let mut buf = [0u8; 128];
                            let n = encode_binding_success(
                                id,
                                addr("203.0.113.10:4000"),
                                None,
                                &mut buf,
                            )
                            .unwrap();
                            let d = Datagram {
                                transport: Transport::Udp,
                                local: addr(UDP[0]),
                                remote: addr(STUN),
                                contents: &buf[..n],
                            };
                            let _ = self.agents[0].handle_datagram(self.now, d);
                        }
                        continue;
                    }
                    let source = t.source.expect("a TCP transmit names its base");
                    if i == 0 && t.destination == addr(STUN) {
                        assert_eq!(source, addr(LISTENERS[0]), "from the listener");
                        self.answer(source, &t.contents);
                    } else if i == 1 && source.port() == 9 {
                        // B's active candidate: only A's public address answers.
                        if t.destination == addr(PUBLIC) {
                            self.connected = true;
                            self.wire.push_back((
                                0,
                                addr(LISTENERS[0]),
                                addr(B_OUTSIDE),
                                t.contents,
                            ));
                        } else if !self.refused.contains(&t.destination) {
                            self.refused.push(t.destination);
                            self.agents[1].stream_closed(self.now, source, t.destination);
                        }
                    } else if i == 0
                        && source == addr(LISTENERS[0])
                        && t.destination == addr(B_OUTSIDE)
                        && self.connected
                    {
                        self.wire
                            .push_back((1, addr("192.0.2.20:9"), addr(PUBLIC), t.contents));
                    }
                }
            }
            let Some((to, local, remote, bytes)) = self.wire.pop_front() else {
                if moved {
                    continue;
                }
                break;
            };
            let d = Datagram {
                transport: Transport::Tcp,
                local,
                remote,
                contents: &bytes,
            };
            if let Received::Data { contents, .. } = self.agents[to].handle_datagram(self.now, d) {
                self.data.push(contents.to_vec());
            }
        }
    }

    fn run_for(&mut self, duration: Duration, signal: bool) {
        let until = self.now + duration;
        loop {
            self.pump(signal);
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

    fn announced(&self, i: usize) -> Vec<&Candidate> {
        self.events[i]
            .iter()
            .filter_map(|e| match e {
                Event::LocalCandidate(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    fn gathering_complete(&self, i: usize) -> bool {
        self.events[i].contains(&Event::GatheringState(GatheringState::Complete))
    }
}

#[test]
fn only_the_server_reflexive_passive_candidate_lets_the_peer_in() {
    let mut h = Harness::new(Script::Mapped(PUBLIC), true);
    assert_eq!(
        h.stun_requests,
        vec![(addr(LISTENERS[0]), Transport::Tcp)],
        "one request over TCP from the listener"
    );
    let srflx: Vec<&Candidate> = h
        .announced(0)
        .into_iter()
        .filter(|c| {
            c.transport == CandidateTransport::Tcp && c.kind == CandidateKind::ServerReflexive
        })
        .collect();
    let lines: Vec<String> = srflx.iter().map(|c| c.to_string()).collect();
    println!("A's server-reflexive ICE-TCP candidates: {lines:?}");
    assert_eq!(srflx.len(), 1, "{lines:?}");
    let c = srflx[0];
    assert_eq!(c.socket_addr(), Some(addr(PUBLIC)));
    assert_eq!(c.tcp_type, Some(TcpType::Passive));
    let listener = addr(LISTENERS[0]);
    assert_eq!(
        c.related,
        Some((ConnectionAddress::Ip(listener.ip()), listener.port()))
    );
    // RFC 6544 §4.2: the srflx TCP type preference, the passive direction preference.
    assert_eq!(
        c.priority,
        tcp_candidate_priority(
            CandidateKind::ServerReflexive,
            TcpType::Passive,
            listener.ip(),
            0,
            1
        )
    );
    assert!(lines[0].contains("typ srflx raddr 192.0.2.10 rport 4001 tcptype passive"));
    assert!(h.gathering_complete(0));

    h.run_for(Duration::from_secs(10), true);
    println!(
        "B's refused connections: {:?}; connected to A's public address: {}",
        h.refused, h.connected
    );
    assert!(
        h.refused.contains(&listener),
        "A's host passive is unreachable"
    );
    assert!(h.connected);
    for i in 0..2 {
        assert_eq!(h.agents[i].connection_state(), ConnectionState::Connected);
    }
    let a = h.agents[0].selected_pair().expect("A selected a pair");
    let b = h.agents[1].selected_pair().expect("B selected a pair");
    println!("A selected: {} <-> {}", a.local, a.remote);
    println!("B selected: {} <-> {}", b.local, b.remote);
    // RFC 8445 §7.2.5.3.1: A's check back was answered with its public address: the valid
    // pair's local candidate is the server-reflexive one; it leaves from the listener.
    assert_eq!(a.local.kind, CandidateKind::ServerReflexive);
    assert_eq!(a.local.socket_addr(), Some(addr(PUBLIC)));
    assert_eq!(a.socket, Some(listener));
    assert_eq!(b.remote.kind, CandidateKind::ServerReflexive);
    assert_eq!(b.remote.socket_addr(), Some(addr(PUBLIC)));
    let info = h.agents[0].pairs().find(|p| p.selected).unwrap();
    assert_eq!(info.local.kind, CandidateKind::ServerReflexive);
    // Data both ways on it.
    let mut buf = Vec::new();
    let t = h.agents[0]
        .send(h.now, b"\x17hello", &mut buf)
        .unwrap()
        .to_owned();
    assert_eq!(
        (t.transport, t.source, t.destination),
        (Transport::Tcp, Some(listener), addr(B_OUTSIDE))
    );
    h.wire
        .push_back((1, addr("192.0.2.20:9"), addr(PUBLIC), t.contents));
    h.pump(true);
    assert_eq!(h.data, vec![b"\x17hello".to_vec()]);
}

#[test]
fn gathering_waits_for_the_tcp_request_and_no_nat_makes_no_candidate() {
    // The server sees the listener itself: no NAT, the host candidate says it all.
    let h = Harness::new(Script::Mapped(LISTENERS[0]), false);
    assert_eq!(h.stun_requests.len(), 1);
    assert!(h.announced(0).iter().all(
        |c| c.kind != CandidateKind::ServerReflexive || c.transport != CandidateTransport::Tcp
    ));
    assert!(h.gathering_complete(0));

    // Unanswered: gathering stays open until Ti (RFC 8489 §6.2.2: 39.5 s, no retransmission).
    let now = epoch();
    let mut a = Agent::new(
        Config {
            servers: vec![IceServer::Stun {
                address: addr(STUN),
            }],
            seed: Some(3),
            ..Config::default()
        },
        now,
    )
    .unwrap();
    a.add_tcp_listener(now, addr(LISTENERS[0])).unwrap();
    a.gather(now);
    let mut sent = 0;
    let mut complete_at = None;
    let mut errors = Vec::new();
    let mut t = now;
    loop {
        while let Some(tx) = a.poll_transmit() {
            assert_eq!(
                (tx.transport, tx.source, tx.destination),
                (Transport::Tcp, Some(addr(LISTENERS[0])), addr(STUN))
            );
            sent += 1;
        }
        while let Some(e) = a.poll_event() {
            match e {
                Event::GatheringState(GatheringState::Complete) => complete_at = Some(t),
                Event::CandidateError(e) => errors.push(e),
                _ => {}
            }
        }
        match a.poll_timeout() {
            Some(next) if next - now <= Duration::from_secs(60) && complete_at.is_none() => {
                t = next;
                a.handle_timeout(t);
            }
            _ => break,
        }
    }
    println!(
        "unanswered: {sent} request(s), gathering complete after {:?}, errors {errors:?}",
        complete_at.map(|c| c - now)
    );
    assert_eq!(sent, 1, "sent once over TCP");
    assert_eq!(
        complete_at.map(|c| c - now),
        Some(Duration::from_millis(39_500))
    );
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].transport, Transport::Tcp);
}

#[test]
fn a_garbled_response_is_dropped_and_a_closed_connection_ends_the_request() {
    let h = Harness::new(Script::GarbageThenClose, false);
    let errors: Vec<_> = h.events[0]
        .iter()
        .filter_map(|e| match e {
            Event::CandidateError(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    println!("candidate errors: {errors:?}");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].server, errors[0].transport, errors[0].turn),
        (addr(STUN), Transport::Tcp, false)
    );
    assert!(
        h.gathering_complete(0),
        "the closed connection ends the request at once"
    );
    assert!(h.announced(0).iter().all(
        |c| c.kind != CandidateKind::ServerReflexive || c.transport != CandidateTransport::Tcp
    ));
}

#[test]
fn the_requests_over_tcp_are_bounded() {
    let now = epoch();
    let servers: Vec<IceServer> = (0..20)
        .map(|i| IceServer::Stun {
            address: SocketAddr::new(addr(STUN).ip(), 3000 + i),
        })
        .collect();
    let mut a = Agent::new(
        Config {
            servers,
            seed: Some(5),
            ..Config::default()
        },
        now,
    )
    .unwrap();
    a.add_tcp_listener(now, addr(LISTENERS[0])).unwrap();
    a.gather(now);
    let tcp = std::iter::from_fn(|| a.poll_transmit())
        .filter(|t| t.transport == Transport::Tcp)
        .count();
    println!(
        "requests over TCP: {tcp}, refused: {}",
        a.stats().tcp_discoveries_refused
    );
    assert_eq!(tcp, 16);
    assert_eq!(a.stats().tcp_discoveries_refused, 4);
}
