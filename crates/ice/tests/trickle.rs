//! Trickle ICE (RFC 8838): candidates that arrive late still connect; checks that arrive
//! before the candidates create peer-reflexive ones.

mod support;

use std::time::Duration;

use rtcweb_ice::CandidateKind;
use support::{Place, Setup, World};

#[test]
fn late_candidates_connect_when_they_arrive() {
    let mut setup = Setup::new(
        400,
        Place::Public("192.0.2.10"),
        Place::Public("192.0.2.11"),
    );
    setup.servers = false;
    let mut world = World::new(setup);
    // Both directions of signalling are slow: nothing can be checked for 2 s.
    world.a.signalling_delay = Duration::from_secs(2);
    world.b.signalling_delay = Duration::from_secs(2);
    let took = world.connect(Duration::from_secs(10));
    assert!(
        took >= Duration::from_secs(2),
        "connected before any candidate: {took:?}"
    );
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

#[test]
fn checks_before_candidates_make_peer_reflexive_candidates() {
    let mut setup = Setup::new(
        401,
        Place::Public("192.0.2.10"),
        Place::Public("192.0.2.11"),
    );
    setup.servers = false;
    let mut world = World::new(setup);
    // A's candidates reach B at once; B's reach A only after 5 s. A learns B from B's checks.
    world.a.signalling_delay = Duration::from_millis(10);
    world.b.signalling_delay = Duration::from_secs(5);
    let took = world.connect(Duration::from_secs(10));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(
        world.a.selected_kinds(),
        Some((CandidateKind::Host, CandidateKind::PeerReflexive))
    );
    // The signalled candidate replaces the peer-reflexive one when it arrives.
    world.run_for(Duration::from_secs(6));
    assert!(
        world
            .a
            .agent
            .remote_candidates()
            .all(|c| c.kind == CandidateKind::Host)
    );
    world.assert_data_flows();
}
