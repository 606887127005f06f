//! The STUN server tells each host its reflexive address: through every kind of NAT, and
//! for a host on the public internet, over IPv4 and IPv6.

mod support;

use rtcweb_netsim::{NatBehavior, NatConfig, Network};
use support::{addr, drain, epoch, ip, reflexive, settle};

const BEHAVIORS: [NatBehavior; 3] = [
    NatBehavior::EndpointIndependent,
    NatBehavior::AddressDependent,
    NatBehavior::AddressAndPortDependent,
];

#[test]
fn reflexive_address_through_each_nat_kind() {
    for mapping in BEHAVIORS {
        for filtering in BEHAVIORS {
            let mut net = Network::new(2, epoch());
            let s1 = addr("192.0.2.1:3478");
            let s2 = addr("192.0.2.2:3478");
            net.add_stun_server(s1);
            net.add_stun_server(s2);
            let nat = net.add_nat(NatConfig::new(ip("203.0.113.1"), mapping, filtering));
            let host = net.add_host(ip("10.0.0.2"), Some(nat));
            let local = addr("10.0.0.2:5000");
            let r1 = reflexive(&mut net, host, local, s1);
            let r2 = reflexive(&mut net, host, local, s2);
            assert_eq!(r1, addr("203.0.113.1:40000"), "{mapping:?}/{filtering:?}");
            // RFC 5780-style test: two servers see one mapping only with EIM.
            assert_eq!(r1 == r2, mapping == NatBehavior::EndpointIndependent);
        }
    }
}

#[test]
fn public_hosts_see_their_own_address_on_ipv4_and_ipv6() {
    let mut net = Network::new(2, epoch());
    net.add_stun_server(addr("192.0.2.1:3478"));
    net.add_stun_server(addr("[2001:db8::1]:3478"));
    let host = net.add_host(ip("198.51.100.7"), None);
    net.add_interface(host, ip("2001:db8::7"), None);
    let v4 = addr("198.51.100.7:5000");
    let v6 = addr("[2001:db8::7]:5000");
    assert_eq!(reflexive(&mut net, host, v4, addr("192.0.2.1:3478")), v4);
    assert_eq!(
        reflexive(&mut net, host, v6, addr("[2001:db8::1]:3478")),
        v6
    );
    // Across address families there is no route.
    net.send(
        host,
        v4,
        addr("[2001:db8::1]:3478"),
        support::binding_request(1),
    );
    settle(&mut net);
    assert!(drain(&mut net, host).is_empty());
    assert_eq!(net.stats().dropped_no_route, 1);
}

#[test]
fn other_messages_are_ignored() {
    let mut net = Network::new(2, epoch());
    let server = addr("192.0.2.1:3478");
    net.add_stun_server(server);
    let host = net.add_host(ip("198.51.100.7"), None);
    let local = addr("198.51.100.7:5000");
    for junk in [vec![], vec![0u8; 20], b"not stun at all".to_vec()] {
        net.send(host, local, server, junk);
    }
    settle(&mut net);
    assert!(drain(&mut net, host).is_empty());
    assert_eq!(net.stats().dropped_by_server, 3);
}
