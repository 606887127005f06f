//! The network simulator driven by arbitrary operations: hosts behind NATs of every
//! behaviour, arbitrary link settings and bottlenecks (rates, queue limits, rate changes now
//! and scheduled), datagrams from and to any address, time jumps. No
//! panic, the in-flight and inbox limits hold, and every datagram sent is accounted for.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_netsim::{
    Bottleneck, Direction, HostId, Limits, LinkConfig, NatBehavior, NatConfig, Network, QueueLimit,
};

fn behavior(b: u8) -> NatBehavior {
    match b % 3 {
        0 => NatBehavior::EndpointIndependent,
        1 => NatBehavior::AddressDependent,
        _ => NatBehavior::AddressAndPortDependent,
    }
}

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let mut net = Network::new(u64::from(data.first().copied().unwrap_or(0)), start);
    let limits = Limits {
        max_in_flight: 64,
        max_inbox: 16,
        max_nat_mappings: 8,
    };
    net.set_limits(limits);
    let public = |i: u8| IpAddr::V4(Ipv4Addr::new(203, 0, 113, i));
    let private = |i: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, i));
    let nats: Vec<_> = (0..2u8)
        .map(|i| {
            let b = data.get(1 + usize::from(i)).copied().unwrap_or(0);
            net.add_nat(NatConfig::new(public(100 + i), behavior(b), behavior(b / 3)))
        })
        .collect();
    let mut hosts: Vec<(HostId, IpAddr)> = vec![
        (net.add_host(public(1), None), public(1)),
        (net.add_host(public(2), None), public(2)),
        (net.add_host(private(1), Some(nats[0])), private(1)),
        (net.add_host(private(2), Some(nats[1])), private(2)),
    ];
    let mut now = start;
    let mut delivered = 0u64;
    for op in data.get(3..).unwrap_or_default().chunks(4) {
        let [kind, a, b, c] = *op else { break };
        let (host, ip) = hosts[usize::from(a) % hosts.len()];
        let dir = if c % 2 == 0 {
            Direction::Up
        } else {
            Direction::Down
        };
        match kind % 8 {
            0 => net.set_link(
                host,
                LinkConfig {
                    delay: Duration::from_millis(u64::from(b)),
                    jitter: Duration::from_millis(u64::from(c % 32)),
                    loss: f64::from(b % 64) / 100.0,
                    duplicate: f64::from(c % 16) / 100.0,
                    reorder: f64::from(b % 16) / 100.0,
                },
            ),
            1 => {
                now += Duration::from_millis(u64::from(b) * 4);
                net.advance_to(now);
            }
            5 => {
                // Rates from 0 (a link that is down) to 25.5 Mbit/s; b = 255 removes it.
                let bottleneck = (b != 255).then(|| Bottleneck {
                    rate_bps: u64::from(b) * 100_000,
                    queue: if c % 4 < 2 {
                        QueueLimit::Time(Duration::from_millis(u64::from(c)))
                    } else {
                        QueueLimit::Bytes(usize::from(c) * 64)
                    },
                    overhead: usize::from(c % 3) * 20,
                });
                net.set_bottleneck(host, dir, bottleneck);
            }
            6 => net.set_bottleneck_rate(host, dir, u64::from(b) * 50_000),
            7 => net.schedule_bottleneck_rate(
                host,
                dir,
                now + Duration::from_millis(u64::from(c) * 2),
                u64::from(b) * 50_000,
            ),
            2 if hosts.len() > 1 => {
                // Any host may leave; its datagrams in flight are dropped.
                net.remove_host(host);
                hosts.retain(|(h, _)| *h != host);
            }
            _ => {
                let to_ip = match c % 4 {
                    0 => public(1),
                    1 => public(100 + c % 2),
                    2 => private(c % 3),
                    _ => public(c),
                };
                let from = SocketAddr::new(ip, 5000 + u16::from(b % 4));
                let to = SocketAddr::new(to_ip, 5000 + u16::from(c % 4));
                net.send(host, from, to, vec![b; usize::from(c)]);
            }
        }
        assert!(net.in_flight() <= limits.max_in_flight);
        for &(h, _) in &hosts {
            while net.poll_delivery(h).is_some() {
                delivered += 1;
            }
        }
        for &nat in &nats {
            assert!(net.nat_mappings(nat) <= limits.max_nat_mappings);
        }
    }
    assert!(net.poll_timeout().is_none_or(|t| t >= now));
    let stats = net.stats();
    assert!(delivered <= stats.delivered);
    assert!(stats.delivered + stats.lost <= stats.sent + stats.duplicated);
    // Each packet crosses at most its sender's uplink and each copy its receiver's downlink.
    assert!(stats.bottlenecked <= 2 * stats.sent + stats.duplicated);
});
