//! Two agents behind symmetric NATs (address-and-port-dependent mapping and filtering, as
//! Linux `MASQUERADE --random-fully`), private host addresses, one STUN and one TURN
//! server: only the relay connects them. Once with a TURN server that drops what it cannot
//! route, once with one that closes the allocation when a relayed send cannot be routed (as
//! coturn does when its socket's send fails). Reports the simulated time to connected
//! (deterministic) and measures the CPU time of the whole exchange.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use criterion::Criterion;
use rtcweb_ice::{Agent, ConnectionState, Event};
use rtcweb_netsim::{HostId, LinkConfig, NatBehavior, Network, TurnServerConfig};

use crate::ice_connect::{STUN, TURN, add_nat, agent_config};

/// Simulated time from the start to both connected; `None` when ICE failed (or 30 s passed).
fn connect_once(close_on_unroutable: bool) -> Option<Duration> {
    let start = Instant::now();
    let mut net = Network::new(11, start);
    net.add_stun_server(STUN.parse().unwrap());
    net.add_turn_server(TurnServerConfig {
        close_on_unroutable,
        ..TurnServerConfig::new(TURN.parse().unwrap(), "rtcweb.test", "alice", "wonderland")
    });
    let mut peers: Vec<(Agent, SocketAddr, HostId, Option<Instant>)> = (1..=2u8)
        .map(|side| {
            let nat = add_nat(&mut net, side, NatBehavior::AddressAndPortDependent);
            let ip = IpAddr::from([10, side, 0, 2]);
            let host = net.add_host(ip, Some(nat));
            net.set_link(
                host,
                LinkConfig {
                    delay: Duration::from_millis(10),
                    ..LinkConfig::default()
                },
            );
            let mut agent = Agent::new(agent_config(side), start).unwrap();
            let socket = SocketAddr::new(ip, 40_000);
            agent.add_local_socket(start, socket).unwrap();
            (agent, socket, host, None)
        })
        .collect();
    let c0 = peers[0].0.local_credentials().clone();
    let c1 = peers[1].0.local_credentials().clone();
    peers[0].0.set_remote_credentials(start, c1).unwrap();
    peers[1].0.set_remote_credentials(start, c0).unwrap();
    for p in &mut peers {
        p.0.gather(start);
    }
    let mut now = start;
    let limit = start + Duration::from_secs(30);
    loop {
        for i in 0..2 {
            while let Some(t) = peers[i].0.poll_transmit() {
                let (socket, host) = (peers[i].1, peers[i].2);
                net.send(host, t.source.unwrap_or(socket), t.destination, t.contents);
            }
            while let Some(e) = peers[i].0.poll_event() {
                match e {
                    Event::LocalCandidate(c) => {
                        let _ = peers[1 - i].0.add_remote_candidate(now, c);
                    }
                    Event::GatheringState(rtcweb_ice::GatheringState::Complete) => {
                        peers[1 - i].0.end_of_remote_candidates(now);
                    }
                    Event::ConnectionState(ConnectionState::Connected) => {
                        peers[i].3.get_or_insert(now);
                    }
                    Event::ConnectionState(ConnectionState::Failed) => return None,
                    _ => {}
                }
            }
        }
        if let (Some(a), Some(b)) = (peers[0].3, peers[1].3) {
            return Some(a.max(b) - start);
        }
        let next = [
            peers[0].0.poll_timeout(),
            peers[1].0.poll_timeout(),
            net.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()?;
        now = now.max(next);
        if now >= limit {
            return None;
        }
        net.advance_to(now);
        for p in &mut peers {
            while let Some(d) = net.poll_delivery(p.2) {
                p.0.handle_datagram(now, d.datagram());
            }
            p.0.handle_timeout(now);
        }
    }
}

pub(crate) fn symmetric(c: &mut Criterion) {
    for (close, name) in [(false, "drops"), (true, "closes the allocation")] {
        match connect_once(close) {
            Some(t) => println!(
                "ice/symmetric NATs, TURN server that {name} on an unroutable send: \
                 connected after {t:?} of simulated time"
            ),
            None => println!(
                "ice/symmetric NATs, TURN server that {name} on an unroutable send: ICE failed"
            ),
        }
    }
    let mut g = c.benchmark_group("ice");
    g.sample_size(20);
    g.bench_function("connect_symmetric_nats_relay", |b| {
        b.iter(|| connect_once(false))
    });
    g.bench_function("connect_symmetric_nats_relay_closes_on_send_errors", |b| {
        b.iter(|| connect_once(true))
    });
    g.finish();
}
