//! Reordering: held-back packets (and jitter) make packets arrive out of order; without
//! either, order is kept.

mod support;

use std::time::Duration;

use rtcweb_netsim::{LinkConfig, Network};
use support::{addr, drain, epoch, ip};

/// Sends 1000 numbered packets 1 ms apart over `link`; returns the arrival order.
fn arrival_order(link: LinkConfig) -> Vec<u32> {
    let mut net = Network::new(9, epoch());
    let a = net.add_host(ip("198.51.100.1"), None);
    let b = net.add_host(ip("198.51.100.2"), None);
    net.set_link(a, link);
    let mut order = Vec::new();
    for i in 0..1000u32 {
        net.send(
            a,
            addr("198.51.100.1:1"),
            addr("198.51.100.2:2"),
            i.to_be_bytes().to_vec(),
        );
        net.advance_to(net.now() + Duration::from_millis(1));
        order.extend(
            drain(&mut net, b)
                .iter()
                .map(|d| u32::from_be_bytes(d.contents[..].try_into().unwrap())),
        );
    }
    net.advance_to(net.now() + Duration::from_secs(1));
    order.extend(
        drain(&mut net, b)
            .iter()
            .map(|d| u32::from_be_bytes(d.contents[..].try_into().unwrap())),
    );
    assert_eq!(order.len(), 1000);
    order
}

fn inversions(order: &[u32]) -> usize {
    order.windows(2).filter(|w| w[0] > w[1]).count()
}

#[test]
fn order_is_kept_on_a_plain_link() {
    let order = arrival_order(LinkConfig::with_delay(Duration::from_millis(30)));
    assert_eq!(inversions(&order), 0);
}

#[test]
fn held_back_packets_are_overtaken() {
    let order = arrival_order(LinkConfig {
        delay: Duration::from_millis(20),
        reorder: 0.1,
        ..LinkConfig::default()
    });
    let n = inversions(&order);
    assert!((50..=150).contains(&n), "{n} inversions");
}

#[test]
fn jitter_larger_than_the_spacing_reorders() {
    let order = arrival_order(LinkConfig {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        ..LinkConfig::default()
    });
    assert!(inversions(&order) > 100);
}
