//! A removed host (a peer that vanishes) gets nothing more, not even what was in flight, and
//! can send nothing.

mod support;

use std::time::Duration;

use rtcweb_netsim::{LinkConfig, NatConfig, Network};
use support::{addr, drain, epoch, ip, settle};

#[test]
fn everything_to_a_removed_host_is_dropped() {
    let mut net = Network::new(4, epoch());
    let nat = net.add_nat(NatConfig::full_cone(ip("203.0.113.1")));
    let a = net.add_host(ip("198.51.100.1"), None);
    let b = net.add_host(ip("192.168.1.2"), Some(nat));
    net.set_link(a, LinkConfig::with_delay(Duration::from_millis(50)));
    // B opens its NAT towards A, A answers; one answer is in flight when B vanishes.
    net.send(
        b,
        addr("192.168.1.2:1"),
        addr("198.51.100.1:1"),
        b"hi".to_vec(),
    );
    settle(&mut net);
    let ext = drain(&mut net, a)[0].remote;
    net.send(a, addr("198.51.100.1:1"), ext, b"first".to_vec());
    settle(&mut net);
    assert_eq!(drain(&mut net, b).len(), 1);
    net.send(a, addr("198.51.100.1:1"), ext, b"in flight".to_vec());
    net.send(a, addr("198.51.100.1:1"), ext, b"waiting".to_vec());
    net.advance_to(net.now() + Duration::from_millis(60));
    net.send(a, addr("198.51.100.1:1"), ext, b"in flight".to_vec());
    net.remove_host(b);
    settle(&mut net);
    assert_eq!(net.poll_delivery(b), None, "its inbox was emptied");
    // Later packets have no route; the removed host cannot send.
    net.send(a, addr("198.51.100.1:1"), ext, b"later".to_vec());
    net.send(
        b,
        addr("192.168.1.2:1"),
        addr("198.51.100.1:1"),
        b"ghost".to_vec(),
    );
    settle(&mut net);
    assert!(drain(&mut net, a).is_empty());
    let stats = net.stats();
    assert_eq!(stats.dropped_no_route, 2);
    assert_eq!(stats.dropped_bad_source, 1);
    // Its address can be used by a new host.
    let b2 = net.add_host(ip("192.168.1.2"), Some(nat));
    net.send(a, addr("198.51.100.1:1"), ext, b"new".to_vec());
    settle(&mut net);
    assert_eq!(drain(&mut net, b2).len(), 1);
}

#[test]
fn sends_from_an_address_the_host_does_not_have_are_refused() {
    let mut net = Network::new(4, epoch());
    let a = net.add_host(ip("198.51.100.1"), None);
    let b = net.add_host(ip("198.51.100.2"), None);
    net.send(
        a,
        addr("198.51.100.2:1"),
        addr("198.51.100.2:2"),
        b"spoofed".to_vec(),
    );
    settle(&mut net);
    assert!(drain(&mut net, b).is_empty());
    assert_eq!(net.stats().dropped_bad_source, 1);
}
