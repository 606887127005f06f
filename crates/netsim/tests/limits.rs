//! Every queue is bounded: a full in-flight queue or inbox drops and counts.

mod support;

use rtcweb_netsim::{Limits, Network};
use support::{addr, drain, epoch, ip, settle};

#[test]
fn full_queues_drop_and_count() {
    let mut net = Network::new(6, epoch());
    net.set_limits(Limits {
        max_in_flight: 100,
        max_inbox: 30,
        ..Limits::default()
    });
    let a = net.add_host(ip("198.51.100.1"), None);
    let b = net.add_host(ip("198.51.100.2"), None);
    for i in 0..150u32 {
        net.send(
            a,
            addr("198.51.100.1:1"),
            addr("198.51.100.2:2"),
            i.to_be_bytes().to_vec(),
        );
    }
    assert_eq!(net.in_flight(), 100);
    settle(&mut net);
    let got = drain(&mut net, b);
    assert_eq!(got.len(), 30);
    // The first ones are kept, in order.
    assert_eq!(got[0].contents, 0u32.to_be_bytes());
    assert_eq!(got[29].contents, 29u32.to_be_bytes());
    let stats = net.stats();
    assert_eq!(stats.dropped_queue_full, 50);
    assert_eq!(stats.dropped_inbox_full, 70);
    assert_eq!(stats.delivered, 30);
}

#[test]
fn nat_tables_are_bounded() {
    let mut net = Network::new(6, epoch());
    net.set_limits(Limits {
        max_nat_mappings: 3,
        ..Limits::default()
    });
    let nat = net.add_nat(rtcweb_netsim::NatConfig::symmetric(ip("203.0.113.1")));
    let a = net.add_host(ip("10.0.0.1"), Some(nat));
    let b = net.add_host(ip("198.51.100.2"), None);
    for port in 1..=5u16 {
        net.send(
            a,
            addr("10.0.0.1:1"),
            std::net::SocketAddr::new(ip("198.51.100.2"), port),
            vec![],
        );
    }
    settle(&mut net);
    assert_eq!(drain(&mut net, b).len(), 3);
    assert_eq!(net.stats().dropped_nat_exhausted, 2);
    assert_eq!(net.nat_mappings(nat), 3);
}
