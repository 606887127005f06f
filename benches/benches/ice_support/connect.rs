//! Two agents with 8 host, 2 server-reflexive and 2 relayed candidates each connect in the
//! network simulator: six public IPv6 interfaces and two IPv4 ones behind a NAT per peer,
//! one STUN and one TURN server. Measures the CPU time of the whole exchange (agents,
//! simulator and servers), with the simulator alone replaying the same traffic volume as the
//! baseline in the same run.

use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use criterion::Criterion;
use rtcweb_common::Transport;
use rtcweb_ice::{Agent, CandidateKind, Config, Event, IceServer};
use rtcweb_netsim::{HostId, LinkConfig, NatBehavior, NatConfig, NatId, Network, TurnServerConfig};

pub(crate) const STUN: &str = "198.51.100.1:3478";
pub(crate) const TURN: &str = "198.51.100.2:3478";

pub(crate) struct Peer {
    pub(crate) agent: Agent,
    pub(crate) hosts: Vec<(SocketAddr, HostId)>,
    connected: bool,
}

struct Outcome {
    datagrams: u64,
    candidates: [usize; 3],
}

/// A NAT for `side` (public 203.0.113.`side`) that maps as `mapping` says and filters by
/// address and port.
pub(crate) fn add_nat(net: &mut Network, side: u8, mapping: NatBehavior) -> NatId {
    net.add_nat(NatConfig {
        public_ip: IpAddr::from([203, 0, 113, side]),
        mapping,
        filtering: NatBehavior::AddressAndPortDependent,
        hairpinning: false,
        mapping_timeout: Duration::from_secs(120),
    })
}

/// The agent of `side` (1 controls) with the STUN server and the TURN server over UDP.
pub(crate) fn agent_config(side: u8) -> Config {
    Config {
        controlling: side == 1,
        seed: Some(u64::from(side)),
        servers: vec![
            IceServer::Stun {
                address: STUN.parse().unwrap(),
            },
            IceServer::Turn {
                address: TURN.parse().unwrap(),
                transport: Transport::Udp,
                username: "alice".into(),
                password: "wonderland".into(),
                tls: None,
            },
        ],
        ..Config::default()
    }
}

/// The agent of `side` on its eight interfaces in `net`, sockets added, not gathering yet.
pub(crate) fn build(net: &mut Network, side: u8, start: Instant) -> Peer {
    let nat = add_nat(net, side, NatBehavior::EndpointIndependent);
    let mut agent = Agent::new(agent_config(side), start).unwrap();
    let mut hosts = Vec::new();
    for i in 0..6u16 {
        let ip: IpAddr = format!("2001:db8:{side}::{}", i + 1).parse().unwrap();
        let host = net.add_host(ip, None);
        hosts.push((SocketAddr::new(ip, 40_000), host));
    }
    for i in 0..2u8 {
        let ip = IpAddr::from([10, 0, side, i + 1]);
        let host = net.add_host(ip, Some(nat));
        hosts.push((SocketAddr::new(ip, 40_000), host));
    }
    for (socket, host) in &hosts {
        net.set_link(
            *host,
            LinkConfig {
                delay: Duration::from_millis(10),
                ..LinkConfig::default()
            },
        );
        agent.add_local_socket(start, *socket).unwrap();
    }
    Peer {
        agent,
        hosts,
        connected: false,
    }
}

/// A simulated network with the STUN server at [`STUN`] and the TURN server at [`TURN`]
/// (over UDP, the credentials of [`agent_config`]).
pub(crate) fn with_servers(start: Instant) -> Network {
    let mut net = Network::new(7, start);
    net.add_stun_server(STUN.parse().unwrap());
    net.add_turn_server(TurnServerConfig {
        address: TURN.parse().unwrap(),
        relay_ip: "198.51.100.3".parse().unwrap(),
        realm: "rtcweb.test".into(),
        username: "alice".into(),
        password: "wonderland".into(),
        close_on_unroutable: false,
    });
    net
}

/// One full connection; returns how many datagrams crossed the network.
fn connect_once() -> Outcome {
    let start = Instant::now();
    let mut net = with_servers(start);
    let mut peers = [build(&mut net, 1, start), build(&mut net, 2, start)];
    let c0 = peers[0].agent.local_credentials().clone();
    let c1 = peers[1].agent.local_credentials().clone();
    peers[0].agent.set_remote_credentials(start, c1).unwrap();
    peers[1].agent.set_remote_credentials(start, c0).unwrap();
    for p in &mut peers {
        p.agent.gather(start);
    }
    let mut now = start;
    let mut datagrams = 0u64;
    let mut candidates = [0usize; 3];
    let limit = start + Duration::from_secs(10);
    while !(peers[0].connected && peers[1].connected) {
        // Drain: transmits into the network, candidates across (signalling is instant).
        for i in 0..2 {
            while let Some(t) = peers[i].agent.poll_transmit() {
                let from = t.source.unwrap();
                let host = peers[i].hosts.iter().find(|(s, _)| *s == from).unwrap().1;
                net.send(host, from, t.destination, t.contents);
                datagrams += 1;
            }
            while let Some(e) = peers[i].agent.poll_event() {
                match e {
                    Event::LocalCandidate(c) => {
                        if i == 0 {
                            let k = match c.kind {
                                CandidateKind::Host => 0,
                                CandidateKind::ServerReflexive => 1,
                                _ => 2,
                            };
                            candidates[k] += 1;
                        }
                        peers[1 - i].agent.add_remote_candidate(now, c).unwrap();
                    }
                    Event::SelectedPair(_) => peers[i].connected = true,
                    _ => {}
                }
            }
        }
        let next = [
            peers[0].agent.poll_timeout(),
            peers[1].agent.poll_timeout(),
            net.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { break };
        now = now.max(next);
        assert!(now < limit, "no connection in 10 s of simulated time");
        net.advance_to(now);
        for p in &mut peers {
            for (_, host) in p.hosts.clone() {
                while let Some(d) = net.poll_delivery(host) {
                    p.agent.handle_datagram(now, d.datagram());
                }
            }
            p.agent.handle_timeout(now);
        }
    }
    Outcome {
        datagrams,
        candidates,
    }
}

/// The simulator alone: the same number of datagrams sent and delivered between two public
/// hosts, without any agent.
pub(crate) fn simulator_only(datagrams: u64) {
    let start = Instant::now();
    let mut net = Network::new(7, start);
    let a: SocketAddr = "192.0.2.1:1".parse().unwrap();
    let b: SocketAddr = "192.0.2.2:1".parse().unwrap();
    let ha = net.add_host(a.ip(), None);
    let hb = net.add_host(b.ip(), None);
    let mut now = start;
    for _ in 0..datagrams {
        net.send(ha, a, b, vec![0u8; 100]);
        now += Duration::from_millis(1);
        net.advance_to(now);
        while let Some(d) = net.poll_delivery(hb) {
            black_box(d);
        }
    }
}

pub(crate) fn connect(c: &mut Criterion) {
    let outcome = connect_once();
    assert_eq!(
        outcome.candidates,
        [8, 2, 2],
        "host, srflx, relay candidates of one peer"
    );
    println!(
        "ice/connect: {} datagrams per connection",
        outcome.datagrams
    );
    let mut g = c.benchmark_group("ice");
    g.sample_size(20);
    g.bench_function("baseline_simulator_same_datagrams", |b| {
        b.iter(|| simulator_only(black_box(outcome.datagrams)))
    });
    g.bench_function("connect_8_host_2_srflx_2_relay", |b| b.iter(connect_once));
    g.finish();
}
