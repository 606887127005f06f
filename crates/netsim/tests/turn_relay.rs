//! Our TURN client (`rtcweb_turn::Client`) behind a NAT allocates on the simulated TURN
//! server, creates a permission, binds a channel and exchanges data with a peer through the
//! relay; unpermitted peers are kept out; refreshes keep it all alive; close deletes it.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::Transport;
use rtcweb_netsim::{HostId, LinkConfig, NatConfig, Network, TurnServerConfig};
use rtcweb_turn::{Client, Config, Event, Input};
use support::{addr, drain, epoch, ip, settle};

const SERVER: &str = "192.0.2.10:3478";

/// The TURN client, its host and socket, and what it got.
struct Side {
    client: Client,
    host: HostId,
    local: SocketAddr,
    events: Vec<Event>,
    relayed: Vec<(SocketAddr, Vec<u8>)>,
}

impl Side {
    fn flush(&mut self, net: &mut Network) {
        while let Some(t) = self.client.poll_transmit() {
            net.send(
                self.host,
                t.source.unwrap_or(self.local),
                t.destination,
                t.contents,
            );
        }
        self.events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
    }

    /// Drives the client and the network until `until`.
    fn run_until(&mut self, net: &mut Network, until: Instant) {
        loop {
            self.flush(net);
            let next = [net.poll_timeout(), self.client.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .filter(|t| *t <= until);
            let Some(now) = next else { break };
            net.advance_to(now);
            self.client.handle_timeout(now);
            for d in drain(net, self.host) {
                assert_eq!(d.local, self.local);
                match self.client.handle_datagram(now, d.datagram()) {
                    Input::Relayed { peer, data } => self.relayed.push((peer, data.to_vec())),
                    Input::Consumed => {}
                    Input::NotForUs => panic!("only the server sends to the client"),
                }
            }
        }
        net.advance_to(until);
    }

    fn run_for(&mut self, net: &mut Network, d: Duration) {
        let until = net.now() + d;
        self.run_until(net, until);
    }

    fn send_to(&mut self, net: &mut Network, peer: SocketAddr, data: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        let t = self
            .client
            .send_to(net.now(), peer, data, &mut buf)
            .unwrap();
        let bytes = t.contents.to_vec();
        net.send(self.host, self.local, t.destination, bytes.clone());
        bytes
    }
}

fn setup(password: &str) -> (Network, Side) {
    setup_with(password, Duration::from_secs(300))
}

fn setup_with(password: &str, mapping_timeout: Duration) -> (Network, Side) {
    let mut net = Network::new(21, epoch());
    net.add_turn_server(TurnServerConfig {
        address: addr(SERVER),
        relay_ip: ip("192.0.2.11"),
        realm: "netsim.test".to_owned(),
        username: "alice".to_owned(),
        password: "secret".to_owned(),
        close_on_unroutable: false,
    });
    // The client refreshes its permissions every 240 s and sends nothing else when idle:
    // the NAT must keep a mapping that long (a 120 s timeout would move it to a new port,
    // and the server would answer 437 on the new 5-tuple).
    let nat = net.add_nat(NatConfig {
        mapping_timeout,
        ..NatConfig::symmetric(ip("203.0.113.1"))
    });
    let host = net.add_host(ip("192.168.1.10"), Some(nat));
    net.set_link(host, LinkConfig::with_delay(Duration::from_millis(25)));
    let mut config = Config::new(addr(SERVER), Transport::Udp, "alice", password);
    config.seed = Some(5);
    let side = Side {
        client: Client::new(config).unwrap(),
        host,
        local: addr("192.168.1.10:5000"),
        events: Vec::new(),
        relayed: Vec::new(),
    };
    (net, side)
}

#[test]
fn client_behind_a_nat_relays_data_through_the_server() {
    let (mut net, mut c) = setup("secret");
    let peer_host = net.add_host(ip("198.51.100.20"), None);
    let stranger = net.add_host(ip("198.51.100.30"), None);
    let peer = addr("198.51.100.20:7000");

    // Allocate: 401 challenge, then the authenticated request.
    c.client.allocate(net.now()).unwrap();
    c.run_for(&mut net, Duration::from_secs(1));
    let relayed = match c.events.as_slice() {
        [
            Event::Allocated {
                relayed,
                mapped,
                lifetime,
            },
        ] => {
            assert_eq!(*mapped, Some(addr("203.0.113.1:40000")));
            assert_eq!(*lifetime, Duration::from_secs(600));
            *relayed
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(relayed, addr("192.0.2.11:50000"));
    c.events.clear();

    // Permission, then data by Send indication, answered by a Data indication.
    c.client.create_permission(net.now(), peer.ip()).unwrap();
    c.run_for(&mut net, Duration::from_secs(1));
    assert_eq!(c.events, vec![Event::PermissionCreated { peer: peer.ip() }]);
    c.events.clear();
    let sent = c.send_to(&mut net, peer, b"via send indication");
    assert_eq!(sent[0], 0x00, "a STUN Send indication");
    settle(&mut net);
    let got = drain(&mut net, peer_host);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].local, got[0].remote), (peer, relayed));
    assert_eq!(got[0].contents, b"via send indication");
    net.send(
        peer_host,
        peer,
        relayed,
        b"back by data indication".to_vec(),
    );
    c.run_for(&mut net, Duration::from_secs(1));
    assert_eq!(c.relayed, vec![(peer, b"back by data indication".to_vec())]);
    c.relayed.clear();

    // A peer without a permission is kept out.
    net.send(
        stranger,
        addr("198.51.100.30:7000"),
        relayed,
        b"let me in".to_vec(),
    );
    c.run_for(&mut net, Duration::from_secs(1));
    assert!(c.relayed.is_empty());
    assert_eq!(net.stats().dropped_by_server, 1);

    // Channel: ChannelData both ways.
    c.client.bind_channel(net.now(), peer).unwrap();
    c.run_for(&mut net, Duration::from_secs(1));
    assert_eq!(
        c.events,
        vec![Event::ChannelBound {
            peer,
            channel: 0x4000
        }]
    );
    c.events.clear();
    let sent = c.send_to(&mut net, peer, b"via channel");
    assert_eq!(&sent[..2], &[0x40, 0x00], "ChannelData on 0x4000");
    settle(&mut net);
    assert_eq!(drain(&mut net, peer_host)[0].contents, b"via channel");
    net.send(peer_host, peer, relayed, b"back by channel".to_vec());
    settle(&mut net);
    let raw = drain(&mut net, c.host);
    assert_eq!(
        &raw[0].contents[..4],
        &[0x40, 0x00, 0x00, 15],
        "the server used the channel"
    );
    let input = c.client.handle_datagram(net.now(), raw[0].datagram());
    assert_eq!(
        input,
        Input::Relayed {
            peer,
            data: b"back by channel"
        }
    );

    // Twenty minutes: the client refreshes the allocation, permission and channel; the
    // server keeps them, and data still flows.
    c.run_for(&mut net, Duration::from_secs(20 * 60));
    assert!(
        c.events
            .iter()
            .any(|e| matches!(e, Event::Refreshed { .. })),
        "{:?}",
        c.events
    );
    assert!(
        !c.events.iter().any(|e| matches!(e, Event::Failed(_))),
        "{:?}",
        c.events
    );
    c.events.clear();
    c.send_to(&mut net, peer, b"still there");
    net.send(peer_host, peer, relayed, b"me too".to_vec());
    c.run_for(&mut net, Duration::from_secs(1));
    assert_eq!(drain(&mut net, peer_host)[0].contents, b"still there");
    assert_eq!(c.relayed, vec![(peer, b"me too".to_vec())]);
    assert!(net.stats().relayed >= 6);

    // Close: the allocation is deleted, the relayed address is gone.
    c.client.close(net.now());
    c.run_for(&mut net, Duration::from_secs(1));
    assert_eq!(c.events, vec![Event::Closed]);
    let before = net.stats().dropped_no_route;
    net.send(peer_host, peer, relayed, b"anyone?".to_vec());
    settle(&mut net);
    assert_eq!(net.stats().dropped_no_route, before + 1);
}

#[test]
fn wrong_password_fails_with_401() {
    let (mut net, mut c) = setup("guess");
    c.client.allocate(net.now()).unwrap();
    c.run_for(&mut net, Duration::from_secs(5));
    assert_eq!(
        c.events,
        vec![Event::Failed(rtcweb_turn::TurnError::Unauthenticated)]
    );
    assert!(!c.client.is_allocated());
}

#[test]
fn an_expired_nat_mapping_loses_the_allocation_without_a_retry_loop() {
    // A 120 s NAT timeout and an idle client: its permission refresh at 240 s leaves from a
    // new port, the server answers 437 (no allocation on that 5-tuple), and the client
    // reports the allocation lost instead of retrying in a loop.
    let (mut net, mut c) = setup_with("secret", Duration::from_secs(120));
    c.client.allocate(net.now()).unwrap();
    c.run_for(&mut net, Duration::from_secs(1));
    assert!(c.client.is_allocated());
    c.client
        .create_permission(net.now(), ip("198.51.100.7"))
        .unwrap();
    c.run_for(&mut net, Duration::from_secs(400));
    assert!(
        c.events
            .contains(&Event::Failed(rtcweb_turn::TurnError::AllocationMismatch)),
        "{:?}",
        c.events
    );
    assert!(!c.client.is_allocated());
    assert!(
        net.stats().sent < 20,
        "{} datagrams: a retry loop",
        net.stats().sent
    );
}
