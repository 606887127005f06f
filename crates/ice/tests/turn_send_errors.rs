//! A TURN server that closes an allocation when a datagram it relays cannot be routed, as
//! coturn does when its relay socket's send fails (no route to a peer's private host
//! address, or an egress firewall): a relayed check to the peer's host candidate behind its
//! NAT would silently end our own allocation. Behind symmetric NATs the relay is the only
//! way, so the agent must not check from its relayed candidate to a remote host candidate
//! that the peer's own server-reflexive candidate shows to be behind a NAT.

mod support;

use std::time::Duration;

use rtcweb_ice::CandidateKind;
use rtcweb_netsim::NatBehavior;
use support::{Place, Setup, World};

fn hostile(a: NatBehavior, b: NatBehavior, seed: u64) -> World {
    let mut setup = Setup::new(
        seed,
        Place::BehindNat(a, "10.0.0.2"),
        Place::BehindNat(b, "10.1.0.2"),
    );
    setup.turn_closes_on_unroutable = true;
    World::new(setup)
}

fn relayed(kinds: Option<(CandidateKind, CandidateKind)>) -> bool {
    let (l, r) = kinds.expect("a selected pair");
    l == CandidateKind::Relayed || r == CandidateKind::Relayed
}

#[test]
fn symmetric_nats_connect_through_a_relay_that_drops_allocations_on_send_errors() {
    let mut report = Vec::new();
    for seed in 0..10 {
        let mut world = hostile(
            NatBehavior::AddressAndPortDependent,
            NatBehavior::AddressAndPortDependent,
            seed,
        );
        let took = world.connect(Duration::from_secs(20));
        world.assert_data_flows();
        assert!(
            relayed(world.a.selected_kinds()),
            "seed {seed}: not relayed"
        );
        assert_eq!(
            world.net.stats().allocations_closed,
            0,
            "seed {seed}: a relayed check went to an unroutable address"
        );
        assert!(took < Duration::from_secs(2), "seed {seed}: took {took:?}");
        report.push(format!("seed {seed}: {took:?}"));
    }
    println!("{}", report.join("\n"));
}

#[test]
fn one_symmetric_nat_connects_through_a_relay_that_drops_allocations_on_send_errors() {
    for (a, b) in [
        (
            NatBehavior::EndpointIndependent,
            NatBehavior::AddressAndPortDependent,
        ),
        (
            NatBehavior::AddressAndPortDependent,
            NatBehavior::EndpointIndependent,
        ),
    ] {
        let mut world = hostile(a, b, 3);
        let took = world.connect(Duration::from_secs(20));
        world.assert_data_flows();
        assert_eq!(world.net.stats().allocations_closed, 0, "{a:?}/{b:?}");
        assert!(took < Duration::from_secs(2), "{a:?}/{b:?}: took {took:?}");
    }
}
