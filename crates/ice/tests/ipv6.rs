//! IPv6-only hosts connect over IPv6 host candidates.

mod support;

use std::time::Duration;

use rtcweb_ice::CandidateKind;
use support::{Place, Setup, World};

#[test]
fn ipv6_only_hosts_connect() {
    let mut setup = Setup::new(
        800,
        Place::Public("2001:db8::10"),
        Place::Public("2001:db8::11"),
    );
    setup.servers = false;
    let mut world = World::new(setup);
    let took = world.connect(Duration::from_secs(5));
    let selected = world.a.agent.selected_pair().unwrap();
    assert!(selected.socket.unwrap().is_ipv6());
    assert_eq!(selected.local.kind, CandidateKind::Host);
    assert!(selected.remote.socket_addr().unwrap().is_ipv6());
    assert!(took < Duration::from_millis(500), "took {took:?}");
    world.assert_data_flows();
}
