//! ICE restart (RFC 8445 §9): new credentials, new checks, the old pair carries data until
//! the new one is selected.

mod support;

use std::time::Duration;

use rtcweb_netsim::NatBehavior;
use support::{Place, Setup, Side, World};

#[test]
fn restart_selects_a_new_pair_and_keeps_data_flowing() {
    let mut world = World::new(Setup::new(
        500,
        Place::BehindNat(NatBehavior::EndpointIndependent, "10.0.0.2"),
        Place::BehindNat(NatBehavior::AddressDependent, "10.0.0.3"),
    ));
    world.connect(Duration::from_secs(10));
    let old_ufrag = world.a.agent.local_credentials().ufrag.clone();
    let selections = (world.a.selected.len(), world.b.selected.len());

    // A restarts; the new credentials go through signalling, B restarts in its answer.
    let now = world.now;
    world.a.agent.restart(now);
    world.b.agent.restart(now);
    assert_ne!(world.a.agent.local_credentials().ufrag, old_ufrag);
    assert_eq!(world.a.agent.generation(), 1);
    // During the restart the old pair still carries data.
    world.pump();
    world.assert_data_flows();
    let ca = world.a.agent.local_credentials().clone();
    let cb = world.b.agent.local_credentials().clone();
    let now = world.now;
    world.a.agent.set_remote_credentials(now, cb).unwrap();
    world.b.agent.set_remote_credentials(now, ca).unwrap();
    world.pump();
    assert!(
        world.run_until(Duration::from_secs(10), |w| w.a.selected.len()
            > selections.0
            && w.b.selected.len() > selections.1)
    );
    let new = world.a.agent.selected_pair().unwrap();
    assert_eq!(new.local.generation, Some(1));
    world.assert_data_flows();
    // Old-generation checks are no longer answered: the old ufrag is gone.
    assert_eq!(world.b.agent.generation(), 1);
    let _ = Side::A;
}

/// New servers (W3C `setConfiguration`) take effect at the next restart: an agent that
/// had only STUN gathers a relayed candidate from the TURN server it was given, and keeps
/// its connection meanwhile.
#[test]
fn servers_set_before_a_restart_are_gathered_from() {
    use rtcweb_ice::{CandidateKind, Config, IceServer, TransportPolicy};
    use support::{STUN, TURN, TURN_PASS, TURN_USER};
    let stun = IceServer::Stun {
        address: STUN.parse().unwrap(),
    };
    let mut setup = Setup::new(
        501,
        Place::BehindNat(NatBehavior::EndpointIndependent, "10.0.0.2"),
        Place::BehindNat(NatBehavior::EndpointIndependent, "10.0.0.3"),
    );
    setup.config_a = Config {
        controlling: true,
        servers: vec![stun.clone()],
        ..Config::default()
    };
    let mut world = World::new(setup);
    world.connect(Duration::from_secs(10));
    let relayed = |w: &World| {
        w.a.gathered
            .iter()
            .filter(|c| c.kind == CandidateKind::Relayed)
            .count()
    };
    assert_eq!(relayed(&world), 0, "no TURN server yet");

    let turn = IceServer::Turn {
        address: TURN.parse().unwrap(),
        transport: rtcweb_common::Transport::Udp,
        username: TURN_USER.into(),
        password: TURN_PASS.into(),
        tls: None,
    };
    world
        .a
        .agent
        .set_servers(vec![stun, turn], TransportPolicy::All);
    world.run_for(Duration::from_secs(1));
    assert_eq!(relayed(&world), 0, "nothing changes before the restart");
    let now = world.now;
    world.a.agent.restart(now);
    world.b.agent.restart(now);
    assert!(
        world.run_until(Duration::from_secs(5), |w| relayed(w) > 0),
        "a relayed candidate from the new TURN server"
    );
    world.assert_data_flows();
}
