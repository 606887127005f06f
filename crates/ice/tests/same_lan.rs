//! Two peers on one LAN connect directly over their host candidates.

mod support;

use std::time::Duration;

use rtcweb_ice::{CandidateKind, ConnectionState};
use support::{Place, Setup, World};

#[test]
fn same_lan_connects_over_host_candidates() {
    let mut world = World::new(Setup::new(
        1,
        Place::Lan("192.168.1.10"),
        Place::Lan("192.168.1.11"),
    ));
    let took = world.connect(Duration::from_secs(5));
    assert_eq!(
        world.a.selected_kinds(),
        Some((CandidateKind::Host, CandidateKind::Host))
    );
    assert_eq!(
        world.b.selected_kinds(),
        Some((CandidateKind::Host, CandidateKind::Host))
    );
    // Host checks go first and the LAN round trip is 40 ms: well under half a second.
    assert!(took < Duration::from_millis(500), "took {took:?}");
    world.assert_data_flows();
    // Once both sides gathered and checked everything, the controlling side completes.
    world.run_for(Duration::from_secs(15));
    assert_eq!(world.a.state(), ConnectionState::Completed);
    assert!(matches!(
        world.b.state(),
        ConnectionState::Completed | ConnectionState::Connected
    ));
}
