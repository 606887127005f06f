//! Every combination of the three NAT kinds of RFC 4787 on both sides: direct where the
//! mappings allow it, through the TURN relay where they do not.

mod support;

use std::time::Duration;

use rtcweb_ice::CandidateKind;
use rtcweb_netsim::NatBehavior;
use support::{Place, Setup, World};

const KINDS: [NatBehavior; 3] = [
    NatBehavior::EndpointIndependent,
    NatBehavior::AddressDependent,
    NatBehavior::AddressAndPortDependent,
];

fn relayed(kinds: Option<(CandidateKind, CandidateKind)>) -> bool {
    let (l, r) = kinds.expect("a selected pair");
    l == CandidateKind::Relayed || r == CandidateKind::Relayed
}

#[test]
fn every_nat_combination_connects_directly_or_through_the_relay() {
    let mut report = Vec::new();
    for (i, a) in KINDS.iter().enumerate() {
        for (j, b) in KINDS.iter().enumerate() {
            let seed = 10 + (i * 3 + j) as u64;
            let mut world = World::new(Setup::new(
                seed,
                Place::BehindNat(*a, "10.0.0.2"),
                Place::BehindNat(*b, "10.0.0.2"),
            ));
            let took = world.connect(Duration::from_secs(20));
            world.assert_data_flows();
            // A direct path exists when at least one NAT keeps one mapping for all
            // destinations and accepts from anyone through it (RFC 4787 §4.1, §5).
            let direct_possible =
                *a == NatBehavior::EndpointIndependent || *b == NatBehavior::EndpointIndependent;
            let ra = relayed(world.a.selected_kinds());
            let rb = relayed(world.b.selected_kinds());
            assert_eq!(ra, rb, "{a:?}/{b:?}: sides disagree on relaying");
            assert_eq!(!ra, direct_possible, "{a:?}/{b:?}: relayed = {ra}");
            report.push(format!("{a:?}/{b:?}: {took:?} relayed={ra}"));
            assert!(took < Duration::from_secs(5), "{a:?}/{b:?} took {took:?}");
        }
    }
    println!("{}", report.join("\n"));
}
