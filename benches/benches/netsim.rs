//! rtcweb-netsim, per datagram: send, advance simulated time to its arrival, take the
//! delivery; on a plain link, through an endpoint-independent NAT on the sender's side, with
//! jitter and loss, and through a bottleneck with a standing queue. Baseline in the same run: moving the same 1,200-byte `Vec` through a
//! `VecDeque` (what carrying a datagram costs before any simulation).
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::collections::VecDeque;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_netsim::{Bottleneck, Direction, HostId, LinkConfig, NatBehavior, NatConfig, Network};

const SIZE: usize = 1200;

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

/// A network with two hosts, A behind an endpoint-independent NAT or not; returns it with
/// both hosts and A's and B's addresses.
fn network(nat: bool, link: LinkConfig) -> (Network, HostId, HostId, SocketAddr, SocketAddr) {
    let mut net = Network::new(1, epoch());
    let ei = NatBehavior::EndpointIndependent;
    let behind = nat.then(|| net.add_nat(NatConfig::new("203.0.113.1".parse().unwrap(), ei, ei)));
    let ip_a = if nat { "10.0.0.1" } else { "192.0.2.1" };
    let a = net.add_host(ip_a.parse().unwrap(), behind);
    let b = net.add_host("192.0.2.2".parse().unwrap(), None);
    net.set_link(a, link);
    let from = SocketAddr::new(ip_a.parse().unwrap(), 5000);
    (net, a, b, from, "192.0.2.2:5000".parse().unwrap())
}

fn per_datagram(c: &mut Criterion) {
    let mut g = c.benchmark_group("netsim_datagram");
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline_vecdeque_move", |bench| {
        let mut q = VecDeque::with_capacity(4);
        bench.iter(|| {
            q.push_back(black_box(vec![7u8; SIZE]));
            black_box(q.pop_front().map(|v| v.len()))
        })
    });
    let cases = [
        (
            "plain_link",
            false,
            LinkConfig::with_delay(Duration::from_millis(10)),
        ),
        (
            "through_nat",
            true,
            LinkConfig::with_delay(Duration::from_millis(10)),
        ),
        (
            "jitter_and_loss",
            false,
            LinkConfig {
                delay: Duration::from_millis(10),
                jitter: Duration::from_millis(5),
                loss: 0.05,
                duplicate: 0.01,
                reorder: 0.01,
            },
        ),
    ];
    for (name, nat, link) in cases {
        let (mut net, a, b, from, to) = network(nat, link);
        g.bench_function(name, |bench| {
            bench.iter(|| {
                net.send(a, from, to, vec![7u8; SIZE]);
                if let Some(t) = net.poll_timeout() {
                    net.advance_to(t);
                }
                let mut got = 0;
                while let Some(d) = net.poll_delivery(b) {
                    got += d.contents.len();
                }
                black_box(got)
            })
        });
    }
    // A 10 Mbit/s uplink bottleneck holding a queue of 20 packets: each iteration sends one
    // packet and advances by one serialization time (0.96 ms), so one leaves per send.
    let (mut net, a, b, from, to) =
        network(false, LinkConfig::with_delay(Duration::from_millis(10)));
    net.set_bottleneck(
        a,
        Direction::Up,
        Some(Bottleneck::new(10_000_000, Duration::from_millis(100))),
    );
    for _ in 0..20 {
        net.send(a, from, to, vec![7u8; SIZE - 28]);
    }
    let step = Duration::from_micros(960);
    g.bench_function("bottleneck_queue", |bench| {
        bench.iter(|| {
            net.send(a, from, to, vec![7u8; SIZE - 28]);
            let now = net.now() + step;
            net.advance_to(now);
            let mut got = 0;
            while let Some(d) = net.poll_delivery(b) {
                got += d.contents.len();
            }
            black_box(got)
        })
    });
    assert_eq!(net.stats().dropped_bottleneck, 0, "the queue stays short");
    g.finish();
}

criterion_group!(benches, per_datagram);
criterion_main!(benches);
