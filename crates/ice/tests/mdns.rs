//! mDNS candidates (`<uuid>.local`): held until the owner resolves them.

mod support;

use std::time::Duration;

use support::{Place, Setup, World};

#[test]
fn mdns_candidates_resolved_late_connect_after_resolution() {
    let mut setup = Setup::new(700, Place::Lan("192.168.1.10"), Place::Lan("192.168.1.11"));
    setup.servers = false;
    let mut world = World::new(setup);
    world.a.mdns = true;
    world.b.mdns = true;
    world.a.mdns_delay = Duration::from_secs(1);
    world.b.mdns_delay = Duration::from_secs(1);
    let took = world.connect(Duration::from_secs(5));
    assert!(
        took >= Duration::from_secs(1),
        "connected before any name resolved: {took:?}"
    );
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    // The resolved candidate is the one in use.
    let selected = world.a.agent.selected_pair().unwrap();
    assert_eq!(selected.remote.port, 50_000);
    world.assert_data_flows();
}
