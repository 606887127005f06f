//! Relayed candidates through a real coturn over UDP, TCP and TLS: an agent restricted to
//! relayed candidates connects to a host-only agent over loopback and data flows both ways.
#![allow(clippy::disallowed_methods)] // real sockets, real coturn, real time

#[path = "../../turn/tests/support/mod.rs"]
mod turn_support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{Agent, CandidateKind, Config, Event, IceServer, Received, TransportPolicy};
use turn_support::{Coturn, PASSWORD, USER};

struct Endpoint {
    agent: Agent,
    udp: UdpSocket,
    tcp: Option<TcpStream>,
    received: Vec<Vec<u8>>,
    selected: bool,
}

impl Endpoint {
    fn local(&self) -> SocketAddr {
        self.udp.local_addr().unwrap()
    }
}

fn endpoint(config: Config, tcp_to: Option<SocketAddr>) -> Endpoint {
    let now = Instant::now();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_nonblocking(true).unwrap();
    let tcp = tcp_to.map(|server| {
        let s = TcpStream::connect(server).unwrap();
        s.set_nonblocking(true).unwrap();
        s.set_nodelay(true).unwrap();
        s
    });
    let mut agent = Agent::new(config, now).unwrap();
    agent
        .add_local_socket(now, udp.local_addr().unwrap())
        .unwrap();
    Endpoint {
        agent,
        udp,
        tcp,
        received: Vec::new(),
        selected: false,
    }
}

fn drive(
    eps: &mut [Endpoint; 2],
    server: SocketAddr,
    transport: Transport,
    until: impl Fn(&[Endpoint; 2]) -> bool,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut buf = vec![0u8; 65536];
    while Instant::now() < deadline {
        let now = Instant::now();
        for i in 0..2 {
            while let Some(t) = eps[i].agent.poll_transmit() {
                if t.transport.is_stream() {
                    eps[i].tcp.as_mut().unwrap().write_all(&t.contents).unwrap();
                } else {
                    let _ = eps[i].udp.send_to(&t.contents, t.destination);
                }
            }
            let mut cands = Vec::new();
            while let Some(e) = eps[i].agent.poll_event() {
                match e {
                    Event::LocalCandidate(c) => cands.push(c),
                    Event::SelectedPair(_) => eps[i].selected = true,
                    Event::Data { data, .. } => eps[i].received.push(data),
                    _ => {}
                }
            }
            for c in cands {
                eps[1 - i].agent.add_remote_candidate(now, c).unwrap();
            }
        }
        if until(eps) {
            return true;
        }
        for ep in eps.iter_mut() {
            let local = ep.local();
            while let Ok((n, from)) = ep.udp.recv_from(&mut buf) {
                let d = Datagram {
                    transport: Transport::Udp,
                    local,
                    remote: from,
                    contents: &buf[..n],
                };
                if let Received::Data { contents, .. } = ep.agent.handle_datagram(now, d) {
                    ep.received.push(contents.to_vec());
                }
            }
            if let Some(tcp) = &mut ep.tcp {
                let tcp_local = tcp.local_addr().unwrap();
                match tcp.read(&mut buf) {
                    Ok(0) => panic!("TURN server closed the connection"),
                    Ok(n) => {
                        let d = Datagram {
                            transport,
                            local: tcp_local,
                            remote: server,
                            contents: &buf[..n],
                        };
                        ep.agent.handle_datagram(now, d);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            if ep.agent.poll_timeout().is_some_and(|t| t <= now) {
                ep.agent.handle_timeout(now);
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

fn relay_over(transport: Transport) {
    let coturn = Coturn::start();
    let server = match transport {
        Transport::Tls => coturn.tls_addr(),
        _ => coturn.udp_addr(),
    };
    let relayed_only = Config {
        controlling: true,
        policy: TransportPolicy::Relay,
        servers: vec![IceServer::Turn {
            address: server,
            transport,
            username: USER.into(),
            password: PASSWORD.into(),
            tls: (transport == Transport::Tls).then(|| coturn.tls_roots()),
        }],
        ..Config::default()
    };
    let host_only = Config {
        controlling: false,
        ..Config::default()
    };
    let mut eps = [
        endpoint(relayed_only, transport.is_stream().then_some(server)),
        endpoint(host_only, None),
    ];
    let now = Instant::now();
    let c0 = eps[0].agent.local_credentials().clone();
    let c1 = eps[1].agent.local_credentials().clone();
    eps[0].agent.set_remote_credentials(now, c1).unwrap();
    eps[1].agent.set_remote_credentials(now, c0).unwrap();
    eps[0].agent.gather(now);
    eps[1].agent.gather(now);
    assert!(
        drive(&mut eps, server, transport, |e| e[0].selected
            && e[1].selected),
        "{transport:?}: not connected through coturn; log:\n{}",
        coturn.log()
    );
    let a = eps[0].agent.selected_pair().unwrap();
    assert_eq!(a.local.kind, CandidateKind::Relayed, "{transport:?}");
    let b = eps[1].agent.selected_pair().unwrap();
    assert_eq!(b.remote.kind, CandidateKind::Relayed, "{transport:?}");
    // Under the relay policy only relayed candidates are paired.
    assert!(
        eps[0]
            .agent
            .pairs()
            .all(|p| p.local.kind == CandidateKind::Relayed)
    );

    // Data both ways through the relay.
    for (from, msg) in [
        (0usize, b"\x17relayed A->B".as_slice()),
        (1, b"\x17relayed B->A"),
    ] {
        let now = Instant::now();
        let mut framed = Vec::new();
        let t = eps[from].agent.send(now, msg, &mut framed).unwrap();
        if t.transport.is_stream() {
            eps[from]
                .tcp
                .as_mut()
                .unwrap()
                .write_all(t.contents)
                .unwrap();
        } else {
            eps[from].udp.send_to(t.contents, t.destination).unwrap();
        }
        let to = 1 - from;
        let want = msg.to_vec();
        assert!(
            drive(&mut eps, server, transport, |e| e[to]
                .received
                .contains(&want)),
            "{transport:?}: data {from}->{to} did not arrive"
        );
    }
}

#[test]
fn relayed_candidate_over_udp_through_coturn() {
    relay_over(Transport::Udp);
}

#[test]
fn relayed_candidate_over_tcp_through_coturn() {
    relay_over(Transport::Tcp);
}

#[test]
fn relayed_candidate_over_tls_through_coturn() {
    relay_over(Transport::Tls);
}
