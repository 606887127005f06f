//! RFC 4787 §6: a host sending to its own NAT's public address reaches a neighbour through
//! the NAT when hairpinning is on, and is dropped when it is off.

mod support;

use rtcweb_netsim::{NatConfig, Network};
use support::{addr, epoch, exchange, ip};

fn run(hairpinning: bool) -> (Vec<rtcweb_netsim::Delivery>, Network) {
    let mut net = Network::new(3, epoch());
    let nat = net.add_nat(NatConfig {
        hairpinning,
        ..NatConfig::full_cone(ip("203.0.113.1"))
    });
    let a = net.add_host(ip("192.168.1.10"), Some(nat));
    let b = net.add_host(ip("192.168.1.11"), Some(nat));
    let server = net.add_host(ip("198.51.100.1"), None);
    // Both learn their external addresses from a public host.
    let a_ext = exchange(
        &mut net,
        a,
        addr("192.168.1.10:5000"),
        addr("198.51.100.1:1"),
        server,
    )[0]
    .remote;
    let b_ext = exchange(
        &mut net,
        b,
        addr("192.168.1.11:6000"),
        addr("198.51.100.1:1"),
        server,
    )[0]
    .remote;
    assert_ne!(a_ext, b_ext);
    // A sends to B's external address.
    let got = exchange(&mut net, a, addr("192.168.1.10:5000"), b_ext, b);
    if let Some(d) = got.first() {
        // Seen from A's external (mapped) address, at B's private socket.
        assert_eq!(d.local, addr("192.168.1.11:6000"));
        assert_eq!(d.remote, a_ext);
    }
    (got, net)
}

#[test]
fn hairpinning_on_loops_back_with_the_mapped_source() {
    let (got, net) = run(true);
    assert_eq!(got.len(), 1);
    assert_eq!(net.stats().dropped_hairpin, 0);
}

#[test]
fn hairpinning_off_drops() {
    let (got, net) = run(false);
    assert!(got.is_empty());
    assert_eq!(net.stats().dropped_hairpin, 1);
}

#[test]
fn hosts_in_one_realm_reach_each_other_directly() {
    let mut net = Network::new(3, epoch());
    let nat = net.add_nat(NatConfig::symmetric(ip("203.0.113.1")));
    let other = net.add_nat(NatConfig::symmetric(ip("203.0.113.2")));
    let a = net.add_host(ip("192.168.1.10"), Some(nat));
    let b = net.add_host(ip("192.168.1.11"), Some(nat));
    // The same private address in another realm is another host.
    let c = net.add_host(ip("192.168.1.11"), Some(other));
    let got = exchange(
        &mut net,
        a,
        addr("192.168.1.10:5000"),
        addr("192.168.1.11:6000"),
        b,
    );
    assert_eq!(got[0].remote, addr("192.168.1.10:5000"));
    assert!(support::drain(&mut net, c).is_empty());
    assert_eq!(net.nat_mappings(nat), 0);
}
