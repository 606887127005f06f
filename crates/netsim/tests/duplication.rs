//! Access-link duplication: copies arrive as extra deliveries, counted.

mod support;

use std::collections::BTreeMap;

use rtcweb_netsim::{LinkConfig, Network};
use support::{addr, drain, epoch, ip, settle};

#[test]
fn duplicated_packets_arrive_twice() {
    let mut net = Network::new(11, epoch());
    let a = net.add_host(ip("198.51.100.1"), None);
    let b = net.add_host(ip("198.51.100.2"), None);
    net.set_link(
        a,
        LinkConfig {
            duplicate: 0.2,
            ..LinkConfig::default()
        },
    );
    for i in 0..1000u32 {
        net.send(
            a,
            addr("198.51.100.1:1"),
            addr("198.51.100.2:2"),
            i.to_be_bytes().to_vec(),
        );
    }
    settle(&mut net);
    let got = drain(&mut net, b);
    let stats = net.stats();
    assert_eq!(got.len() as u64, 1000 + stats.duplicated);
    assert!(
        (150..=250).contains(&stats.duplicated),
        "{}",
        stats.duplicated
    );
    let mut copies: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    for d in &got {
        *copies.entry(d.contents.clone()).or_default() += 1;
    }
    assert_eq!(copies.len(), 1000, "every packet arrived");
    assert_eq!(
        copies.values().filter(|n| **n == 2).count() as u64,
        stats.duplicated
    );
    assert!(copies.values().all(|n| *n <= 2));
}
