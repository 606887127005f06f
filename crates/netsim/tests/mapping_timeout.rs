//! RFC 4787 §4.3: a mapping lives `mapping_timeout` after its last outbound packet; inbound
//! packets do not refresh it.

mod support;

use std::time::Duration;

use rtcweb_netsim::{NatConfig, Network};
use support::{addr, epoch, exchange, ip};

#[test]
fn mappings_expire_after_the_last_outbound_packet() {
    let start = epoch();
    let mut net = Network::new(5, start);
    let nat = net.add_nat(NatConfig {
        mapping_timeout: Duration::from_secs(30),
        ..NatConfig::port_restricted_cone(ip("203.0.113.1"))
    });
    let inside = net.add_host(ip("192.168.1.10"), Some(nat));
    let peer = net.add_host(ip("198.51.100.1"), None);
    let local = addr("192.168.1.10:5000");
    let remote = addr("198.51.100.1:1000");
    let first = exchange(&mut net, inside, local, remote, peer)[0].remote;

    // Outbound keepalives every 20 s keep it; inbound packets in between do not count.
    for _ in 0..5 {
        net.advance_to(net.now() + Duration::from_secs(20));
        assert_eq!(exchange(&mut net, peer, remote, first, inside).len(), 1);
        assert_eq!(
            exchange(&mut net, inside, local, remote, peer)[0].remote,
            first
        );
    }
    assert_eq!(net.nat_mappings(nat), 1);

    // Only inbound for longer than the timeout: the mapping dies.
    net.advance_to(net.now() + Duration::from_secs(20));
    assert_eq!(exchange(&mut net, peer, remote, first, inside).len(), 1);
    net.advance_to(net.now() + Duration::from_secs(11));
    assert!(exchange(&mut net, peer, remote, first, inside).is_empty());
    assert_eq!(net.stats().dropped_no_nat_mapping, 1);
    assert_eq!(net.nat_mappings(nat), 0);

    // The next outbound packet makes a new mapping, on a new port.
    let second = exchange(&mut net, inside, local, remote, peer)[0].remote;
    assert_ne!(second, first);
    assert_eq!(second.ip(), first.ip());
}
