//! Checks are retransmitted: 10 % loss on both access links still connects.

mod support;

use std::time::Duration;

use rtcweb_netsim::{LinkConfig, NatBehavior};
use support::{Place, Setup, World};

#[test]
fn connects_with_ten_percent_loss() {
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
        println!("seed {seed}: connected in {took:?}");
        assert!(took < Duration::from_secs(10));
        assert!(world.net.stats().lost > 0, "the link lost nothing");
    }
}
