//! RFC 4787 §5: which inbound packets a mapping lets in, for every filtering behaviour
//! (and whatever the mapping).

mod support;

use rtcweb_netsim::{NatBehavior, NatConfig, Network};
use support::{addr, drain, epoch, exchange, ip, settle};

const BEHAVIORS: [NatBehavior; 3] = [
    NatBehavior::EndpointIndependent,
    NatBehavior::AddressDependent,
    NatBehavior::AddressAndPortDependent,
];

#[test]
fn unsolicited_inbound_is_dropped_until_an_outbound_packet_makes_a_mapping() {
    for filtering in BEHAVIORS {
        let mut net = Network::new(1, epoch());
        let nat = net.add_nat(NatConfig::new(
            ip("203.0.113.1"),
            NatBehavior::EndpointIndependent,
            filtering,
        ));
        let inside = net.add_host(ip("192.168.1.10"), Some(nat));
        let peer = net.add_host(ip("198.51.100.1"), None);
        let got = exchange(
            &mut net,
            peer,
            addr("198.51.100.1:1000"),
            addr("203.0.113.1:40000"),
            inside,
        );
        assert!(got.is_empty());
        assert_eq!(net.stats().dropped_no_nat_mapping, 1);
        // After an outbound packet, the peer it went to gets in, whatever the filtering.
        exchange(
            &mut net,
            inside,
            addr("192.168.1.10:5000"),
            addr("198.51.100.1:1000"),
            peer,
        );
        let got = exchange(
            &mut net,
            peer,
            addr("198.51.100.1:1000"),
            addr("203.0.113.1:40000"),
            inside,
        );
        assert_eq!(got.len(), 1, "{filtering:?}");
        assert_eq!(got[0].local, addr("192.168.1.10:5000"));
        assert_eq!(got[0].remote, addr("198.51.100.1:1000"));
    }
}

#[test]
fn inbound_is_filtered_as_the_filtering_behaviour_says() {
    for mapping in BEHAVIORS {
        for filtering in BEHAVIORS {
            let mut net = Network::new(1, epoch());
            let nat = net.add_nat(NatConfig::new(ip("203.0.113.1"), mapping, filtering));
            let inside = net.add_host(ip("192.168.1.10"), Some(nat));
            let p1 = net.add_host(ip("198.51.100.1"), None);
            let p2 = net.add_host(ip("198.51.100.2"), None);
            let local = addr("192.168.1.10:5000");
            let out = exchange(&mut net, inside, local, addr("198.51.100.1:1000"), p1);
            let mapped = out[0].remote;
            let mut gets_in = |host, from: &str| {
                net.send(host, addr(from), mapped, b"in".to_vec());
                settle(&mut net);
                let got = drain(&mut net, inside);
                assert!(
                    got.iter()
                        .all(|d| d.local == local && d.remote == addr(from))
                );
                got.len() == 1
            };
            let label = format!("{mapping:?}/{filtering:?}");
            assert!(
                gets_in(p1, "198.51.100.1:1000"),
                "{label}: the endpoint sent to"
            );
            let same_ip = gets_in(p1, "198.51.100.1:2000");
            let other_ip = gets_in(p2, "198.51.100.2:1000");
            match filtering {
                NatBehavior::EndpointIndependent => assert!(same_ip && other_ip, "{label}"),
                NatBehavior::AddressDependent => assert!(same_ip && !other_ip, "{label}"),
                NatBehavior::AddressAndPortDependent => {
                    assert!(!same_ip && !other_ip, "{label}")
                }
            }
            let refused = u64::from(!same_ip) + u64::from(!other_ip);
            assert_eq!(net.stats().dropped_by_nat_filter, refused, "{label}");
        }
    }
}
