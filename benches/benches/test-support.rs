//! rtcweb-test-support, per round trip: endpoint A sends one 1,200-byte datagram, B echoes
//! it, and the harness (`Pair::run_until`: flush, next deadline, deliver, time out) carries
//! both through the simulated network until A has it back. Baseline in the same run: the
//! same round trip on a bare `rtcweb_netsim::Network` (send, advance to the arrival, take
//! the delivery, both ways), which is what the harness adds its drive loop to.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::collections::VecDeque;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_netsim::{HostId, LinkConfig, Network};
use rtcweb_test_support::{Endpoint, Pair, epoch};

const SIZE: usize = 1200;
const DELAY: Duration = Duration::from_millis(10);

/// A sends what it is told to; B echoes what it gets.
struct Echo {
    host: HostId,
    addr: SocketAddr,
    a: bool,
    outbox: VecDeque<Vec<u8>>,
    received: usize,
}

impl Endpoint for Echo {
    type Config = ();
    const CONNECT_WITHIN: Duration = Duration::from_secs(1);

    fn new(_: &(), _: u64, a: bool, _: Instant, host: HostId, addr: SocketAddr) -> Self {
        Self {
            host,
            addr,
            a,
            outbox: VecDeque::new(),
            received: 0,
        }
    }
    fn host(&self) -> HostId {
        self.host
    }
    fn addr(&self) -> SocketAddr {
        self.addr
    }
    fn connect(&mut self, _: Instant) {}
    fn is_connected(&self) -> bool {
        true
    }
    fn poll_transmit_into(&mut self, buf: &mut Vec<u8>) -> bool {
        buf.clear();
        match self.outbox.pop_front() {
            Some(d) => {
                buf.extend_from_slice(&d);
                true
            }
            None => false,
        }
    }
    fn record_events(&mut self) {}
    fn handle_datagram(&mut self, _: Instant, contents: &[u8]) {
        self.received += 1;
        if !self.a {
            self.outbox.push_back(contents.to_vec());
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_timeout(&mut self, _: Instant) {}
}

/// Advances the network from deadline to deadline until `host` has a datagram.
fn arrive(net: &mut Network, host: HostId) -> Vec<u8> {
    loop {
        if let Some(d) = net.poll_delivery(host) {
            return d.contents;
        }
        let next = net.poll_timeout().expect("a datagram in flight");
        net.advance_to(next);
    }
}

fn round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("test_support_round_trip_1200B");
    g.throughput(Throughput::Elements(1));

    let mut net = Network::new(1, epoch());
    let (a_addr, b_addr): (SocketAddr, SocketAddr) = (
        "192.0.2.1:5000".parse().unwrap(),
        "192.0.2.2:5000".parse().unwrap(),
    );
    let a = net.add_host(a_addr.ip(), None);
    let b = net.add_host(b_addr.ip(), None);
    for h in [a, b] {
        net.set_link(h, LinkConfig::with_delay(DELAY));
    }
    g.bench_function("baseline_bare_netsim", |bench| {
        bench.iter(|| {
            net.send(a, a_addr, b_addr, black_box(vec![7u8; SIZE]));
            let d = arrive(&mut net, b);
            net.send(b, b_addr, a_addr, d);
            black_box(arrive(&mut net, a).len())
        })
    });

    let mut pair: Pair<Echo> = Pair::new(1, LinkConfig::with_delay(DELAY), ());
    g.bench_function("pair_run_until", |bench| {
        bench.iter(|| {
            let want = pair.a.received + 1;
            pair.a.outbox.push_back(black_box(vec![7u8; SIZE]));
            assert!(pair.run_until(Duration::from_secs(1), |p| p.a.received == want));
            black_box(pair.a.received)
        })
    });
    g.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
