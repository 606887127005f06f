//! Consent freshness (RFC 7675): a peer that vanishes makes the agent disconnected, then
//! failed 30 s after the last response.

mod support;

use std::time::Duration;

use rtcweb_ice::ConnectionState;
use support::{Place, Setup, Side, World};

#[test]
fn consent_is_lost_thirty_seconds_after_the_peer_vanishes() {
    let mut setup = Setup::new(
        600,
        Place::Public("192.0.2.10"),
        Place::Public("192.0.2.11"),
    );
    setup.servers = false;
    let mut world = World::new(setup);
    world.connect(Duration::from_secs(5));
    // Consent checks keep the pair alive for a minute.
    world.run_for(Duration::from_secs(60));
    assert!(matches!(
        world.a.state(),
        ConnectionState::Connected | ConnectionState::Completed
    ));
    assert!(world.a.agent.stats().consent_checks_sent >= 10);

    let vanished = world.now;
    let host = world.b.host;
    world.net.remove_host(host);
    world.run_for(Duration::from_secs(40));
    let disconnected = world
        .a
        .saw(ConnectionState::Disconnected)
        .expect("disconnected");
    let failed = world.a.saw(ConnectionState::Failed).expect("failed");
    assert!(disconnected < failed);
    // The last response came at most one consent interval (5 s ± 20 %) before the peer
    // vanished; consent is lost 30 s after it.
    let lost_after = failed - vanished;
    assert!(
        lost_after > Duration::from_secs(23) && lost_after <= Duration::from_secs(31),
        "consent lost {lost_after:?} after the peer vanished"
    );
    // Nothing is sent any more.
    assert!(!world.send(Side::A, b"\x17late"));
}
