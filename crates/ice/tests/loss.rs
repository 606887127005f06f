//! Checks are retransmitted: 10 % loss on both access links still connects.

mod support;

use std::time::Duration;

use rtcweb_netsim::{LinkConfig, NatBehavior};
use support::{Place, Setup, World};

#[test]
fn connects_with_ten_percent_loss() {
    let mut lost = 0;
    for seed in 0..5 {
        let mut setup = Setup::new(
            100 + seed,
            Place::BehindNat(NatBehavior::EndpointIndependent, "10.0.0.2"),
            Place::BehindNat(NatBehavior::AddressAndPortDependent, "10.0.0.3"),
        );
        setup.link = LinkConfig {
            delay: Duration::from_millis(20),
            jitter: Duration::from_millis(10),
            loss: 0.10,
            ..LinkConfig::default()
        };
        let mut world = World::new(setup);
        let took = world.connect(Duration::from_secs(20));
        println!(
            "seed {seed}: connected in {took:?}, {} datagrams lost",
            world.net.stats().lost
        );
        assert!(took < Duration::from_secs(10));
        lost += world.net.stats().lost;
    }
    // A connection takes a few datagrams: a seed may lose none of them, the five together
    // must have lost some.
    assert!(lost > 0, "the link lost nothing");
}
