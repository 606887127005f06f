//! Both sides believe they are controlling (or controlled): the tie-breaker settles it
//! (RFC 8445 §7.3.1.1, §7.2.5.1).

mod support;

use std::time::Duration;

use support::{Place, Setup, World};

fn run(controlling: bool, seed: u64) {
    let mut setup = Setup::new(
        seed,
        Place::Public("192.0.2.10"),
        Place::Public("192.0.2.11"),
    );
    setup.config_a.controlling = controlling;
    setup.config_b.controlling = controlling;
    setup.servers = false;
    let mut world = World::new(setup);
    let took = world.connect(Duration::from_secs(10));
    assert_ne!(
        world.a.agent.is_controlling(),
        world.b.agent.is_controlling(),
        "exactly one side must end up controlling"
    );
    assert_eq!(world.a.role_changes + world.b.role_changes, 1);
    assert!(world.a.agent.stats().role_conflicts + world.b.agent.stats().role_conflicts >= 1);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    world.assert_data_flows();
}

#[test]
fn both_controlling() {
    for seed in 0..4 {
        run(true, 200 + seed);
    }
}

#[test]
fn both_controlled() {
    for seed in 0..4 {
        run(false, 300 + seed);
    }
}
