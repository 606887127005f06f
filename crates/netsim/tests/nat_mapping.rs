//! RFC 4787 §4.1: which destinations share one external mapping, for every mapping behaviour
//! (and whatever the filtering).

mod support;

use rtcweb_netsim::{NatBehavior, NatConfig, Network};
use support::{addr, epoch, exchange, ip};

const BEHAVIORS: [NatBehavior; 3] = [
    NatBehavior::EndpointIndependent,
    NatBehavior::AddressDependent,
    NatBehavior::AddressAndPortDependent,
];

#[test]
fn mappings_are_shared_as_the_mapping_behaviour_says() {
    for mapping in BEHAVIORS {
        for filtering in BEHAVIORS {
            let mut net = Network::new(1, epoch());
            let nat = net.add_nat(NatConfig::new(ip("203.0.113.1"), mapping, filtering));
            let inside = net.add_host(ip("192.168.1.10"), Some(nat));
            let p1 = net.add_host(ip("198.51.100.1"), None);
            let p2 = net.add_host(ip("198.51.100.2"), None);
            let local = addr("192.168.1.10:5000");
            // The external source each destination sees.
            let mut seen = |to: &str, host| {
                let got = exchange(&mut net, inside, local, addr(to), host);
                assert_eq!(got.len(), 1, "{mapping:?}/{filtering:?} to {to}");
                assert_eq!(got[0].remote.ip(), ip("203.0.113.1"));
                got[0].remote
            };
            let a = seen("198.51.100.1:1000", p1);
            let a_again = seen("198.51.100.1:1000", p1);
            let b = seen("198.51.100.1:2000", p1);
            let c = seen("198.51.100.2:1000", p2);
            assert_eq!(a, a_again, "a mapping is reused for the same destination");
            assert_eq!(a.port(), 40000, "ports are handed out from 40000 up");
            match mapping {
                NatBehavior::EndpointIndependent => {
                    assert!(a == b && b == c, "{mapping:?}: one mapping for all")
                }
                NatBehavior::AddressDependent => {
                    assert!(a == b && b != c, "{mapping:?}: one mapping per IP")
                }
                NatBehavior::AddressAndPortDependent => {
                    assert!(
                        a != b && b != c && a != c,
                        "{mapping:?}: one per IP and port"
                    )
                }
            }
            // Another internal endpoint gets its own mapping.
            let other = exchange(
                &mut net,
                inside,
                addr("192.168.1.10:5001"),
                addr("198.51.100.1:1000"),
                p1,
            );
            assert_ne!(other[0].remote, a);
        }
    }
}
