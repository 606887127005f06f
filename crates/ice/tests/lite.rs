//! ICE-lite (RFC 8445 §2.5): a lite agent on a public address and a full agent behind a NAT.

mod support;

use std::time::Duration;

use rtcweb_ice::CandidateKind;
use rtcweb_netsim::NatBehavior;
use support::{Place, Setup, World};

#[test]
fn full_agent_behind_nat_connects_to_lite_agent() {
    let mut setup = Setup::new(
        900,
        Place::BehindNat(NatBehavior::AddressAndPortDependent, "10.0.0.2"),
        Place::Public("192.0.2.20"),
    );
    setup.config_b.lite = true;
    // Even if the lite side is told to be controlling, it is not (RFC 8445 §6.1.1).
    setup.config_b.controlling = true;
    let mut world = World::new(setup);
    let took = world.connect(Duration::from_secs(5));
    assert!(!world.b.agent.is_controlling());
    assert!(
        world.b.agent.stats().checks_sent == 0,
        "a lite agent sends no checks"
    );
    assert!(
        world
            .b
            .gathered
            .iter()
            .all(|c| c.kind == CandidateKind::Host)
    );
    assert_eq!(world.b.selected_kinds().unwrap().0, CandidateKind::Host);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    world.assert_data_flows();
}
