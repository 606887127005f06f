//! The mDNS messages of `.local` host candidates (`rtcweb_peer::mdns`) fed arbitrary
//! datagrams, as anyone on the link can multicast to 224.0.0.251:5353: the responder's
//! `answer` and the resolver's `resolved_address` never panic; an answer is a response
//! that parses, answers only for names it was given (each once), and resolves them to
//! their own addresses; the bytes are also tried as a name to query for.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use rtcweb_peer::mdns::{MdnsName, answer, query, resolved_address};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, datagram)) = data.split_first() else {
        return;
    };
    let names = [
        MdnsName::new(
            "1f4712db-ea17-4bcf-a596-105139dfd8bf.local",
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        ),
        MdnsName::new(
            "6b1a9a7e-2f47-4e0c-9f0e-5d2b2f0f8a11.local",
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)),
        ),
    ];
    let legacy = mode & 1 == 1;
    if let Some(response) = answer(datagram, &names, legacy) {
        assert!(!response.answered.is_empty());
        let mut seen = response.answered.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len(),
            response.answered.len(),
            "each name answered once"
        );
        for &i in &response.answered {
            let name = &names[i];
            assert_eq!(
                resolved_address(&response.bytes, &name.name),
                Some(name.ip),
                "the answer resolves {} to its address",
                name.name
            );
        }
        // Our own answer heard back on the group is not a query.
        assert!(answer(&response.bytes, &names, legacy).is_none());
    }
    for name in &names {
        let _ = resolved_address(datagram, &name.name);
    }
    if let Ok(text) = std::str::from_utf8(datagram)
        && let Some(q) = query(text)
    {
        // A query is never taken for an answer.
        assert_eq!(resolved_address(&q, text), None);
    }
});
