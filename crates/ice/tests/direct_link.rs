//! Two agents on a perfect, instant link without any simulator: the smallest pair harness,
//! for the basic exchange (checks, nomination, data, consent, close).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{Agent, CandidateKind, Config, ConnectionState, Event, Received};

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

struct Pair {
    now: Instant,
    agents: [Agent; 2],
    sockets: [SocketAddr; 2],
    wire: VecDeque<(usize, SocketAddr, SocketAddr, Vec<u8>)>,
    states: [Vec<ConnectionState>; 2],
    data: [Vec<Vec<u8>>; 2],
}

impl Pair {
    fn new() -> Self {
        let now = epoch();
        let sockets: [SocketAddr; 2] = [
            "192.0.2.1:4000".parse().unwrap(),
            "192.0.2.2:4000".parse().unwrap(),
        ];
        let mk = |controlling, seed, socket| {
            let mut a = Agent::new(
                Config {
                    controlling,
                    seed: Some(seed),
                    ..Config::default()
                },
                now,
            )
            .unwrap();
            a.add_local_socket(now, socket).unwrap();
            a
        };
        let mut agents = [mk(true, 1, sockets[0]), mk(false, 2, sockets[1])];
        let c0 = agents[0].local_credentials().clone();
        let c1 = agents[1].local_credentials().clone();
        agents[0].set_remote_credentials(now, c1).unwrap();
        agents[1].set_remote_credentials(now, c0).unwrap();
        agents[0].gather(now);
        agents[1].gather(now);
        let mut p = Self {
            now,
            agents,
            sockets,
            wire: VecDeque::new(),
            states: Default::default(),
            data: Default::default(),
        };
        p.drain();
        p
    }

    fn drain(&mut self) {
        let now = self.now;
        let mut candidates = Vec::new();
        for i in 0..2 {
            while let Some(t) = self.agents[i].poll_transmit() {
                let to = usize::from(t.destination == self.sockets[0]) ^ 1;
                let to = if t.destination == self.sockets[to] {
                    to
                } else {
                    continue;
                };
                self.wire
                    .push_back((to, t.source.unwrap(), t.destination, t.contents));
            }
            while let Some(e) = self.agents[i].poll_event() {
                match e {
                    Event::LocalCandidate(c) => candidates.push((1 - i, c)),
                    Event::GatheringState(rtcweb_ice::GatheringState::Complete) => {
                        self.agents[1 - i].end_of_remote_candidates(now)
                    }
                    Event::ConnectionState(s) => self.states[i].push(s),
                    _ => {}
                }
            }
        }
        for (i, c) in candidates {
            self.agents[i].add_remote_candidate(now, c).unwrap();
        }
    }

    fn step(&mut self) {
        if let Some((to, from, local, bytes)) = self.wire.pop_front() {
            let d = Datagram {
                transport: Transport::Udp,
                local,
                remote: from,
                contents: &bytes,
            };
            if let Received::Data { contents, .. } = self.agents[to].handle_datagram(self.now, d) {
                self.data[to].push(contents.to_vec());
            }
        } else {
            let next = self.agents.iter().filter_map(|a| a.poll_timeout()).min();
            let Some(next) = next else { return };
            self.now = self.now.max(next);
            for a in &mut self.agents {
                a.handle_timeout(self.now);
            }
        }
        self.drain();
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            let before = self.now;
            self.step();
            if self.wire.is_empty()
                && self.now == before
                && self
                    .agents
                    .iter()
                    .all(|a| a.poll_timeout().is_none_or(|t| t > end))
            {
                break;
            }
        }
    }
}

#[test]
fn two_agents_connect_exchange_data_and_close() {
    let mut p = Pair::new();
    p.run_for(Duration::from_secs(1));
    for i in 0..2 {
        let sel = p.agents[i].selected_pair().expect("selected");
        assert_eq!(sel.local.kind, CandidateKind::Host);
        assert!(
            p.states[i].contains(&ConnectionState::Connected),
            "{i}: {:?}",
            p.states[i]
        );
    }
    // Data both ways.
    let now = p.now;
    let mut buf = Vec::new();
    let t = p.agents[0].send(now, b"\x17ping", &mut buf).unwrap();
    p.wire
        .push_back((1, t.source.unwrap(), t.destination, t.contents.to_vec()));
    p.step();
    assert_eq!(p.data[1], vec![b"\x17ping".to_vec()]);
    // Completed once checks are done and end-of-candidates was exchanged.
    p.run_for(Duration::from_secs(20));
    assert_eq!(
        p.agents[0].connection_state(),
        ConnectionState::Completed,
        "{:?}",
        p.states[0]
    );
    assert!(p.agents[0].stats().consent_checks_sent >= 3);
    // Consent keeps it alive for minutes.
    p.run_for(Duration::from_secs(120));
    assert_eq!(p.agents[0].connection_state(), ConnectionState::Completed);
    p.agents[0].close(p.now);
    assert_eq!(p.agents[0].connection_state(), ConnectionState::Closed);
    assert!(p.agents[0].poll_timeout().is_none());
}
