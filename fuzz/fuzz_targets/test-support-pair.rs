//! The shared test harness (`rtcweb-test-support`) driven by arbitrary links and send
//! schedules: endpoint A sends numbered datagrams on its own timer, B echoes each one. No
//! panic; `run_until` returns within its simulated timeout; every datagram an end gets is
//! one that was sent, unchanged; on a clean link every datagram comes back exactly once.
#![no_main]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_netsim::{HostId, LinkConfig};
use rtcweb_test_support::{Endpoint, Pair};

/// A's send schedule: sizes of its datagrams and the gap between them.
struct Schedule {
    sizes: Vec<usize>,
    gap: Duration,
}

struct Echo {
    host: HostId,
    addr: SocketAddr,
    a: bool,
    /// A: what it sent, by number; B: nothing.
    sent: HashMap<u32, Vec<u8>>,
    /// A: the sizes still to send, and when the next goes.
    to_send: VecDeque<usize>,
    next_send: Option<Instant>,
    gap: Duration,
    outbox: VecDeque<Vec<u8>>,
    /// What came back (A) or in (B).
    received: Vec<Vec<u8>>,
}

impl Endpoint for Echo {
    type Config = Schedule;
    const CONNECT_WITHIN: Duration = Duration::from_secs(1);

    fn new(c: &Schedule, _: u64, a: bool, now: Instant, host: HostId, addr: SocketAddr) -> Self {
        Self {
            host,
            addr,
            a,
            sent: HashMap::new(),
            to_send: if a {
                c.sizes.iter().copied().collect()
            } else {
                VecDeque::new()
            },
            next_send: a.then_some(now),
            gap: c.gap,
            outbox: VecDeque::new(),
            received: Vec::new(),
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
        assert!(
            self.received.len() < 10_000,
            "the link multiplied datagrams without bound"
        );
        if !self.a {
            self.outbox.push_back(contents.to_vec());
        }
        self.received.push(contents.to_vec());
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.next_send
    }
    fn handle_timeout(&mut self, now: Instant) {
        let Some(at) = self.next_send else { return };
        if now < at {
            return;
        }
        if let Some(size) = self.to_send.pop_front() {
            let n = self.sent.len() as u32;
            let mut d = n.to_be_bytes().to_vec();
            d.resize(size.max(4), (n % 251) as u8);
            self.sent.insert(n, d.clone());
            self.outbox.push_back(d);
        }
        self.next_send = (!self.to_send.is_empty()).then(|| now + self.gap);
    }
}

fuzz_target!(|data: &[u8]| {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let link = LinkConfig {
        delay: Duration::from_millis(u64::from(byte(0))),
        jitter: Duration::from_millis(u64::from(byte(1) % 64)),
        loss: f64::from(byte(2) % 101) / 100.0,
        duplicate: f64::from(byte(3) % 101) / 100.0,
        reorder: f64::from(byte(4) % 101) / 100.0,
    };
    let clean = byte(2) % 101 == 0 && byte(3) % 101 == 0;
    let sizes: Vec<usize> = data
        .get(6..)
        .unwrap_or_default()
        .iter()
        .take(64)
        .map(|b| usize::from(*b) * 5)
        .collect();
    let count = sizes.len();
    let schedule = Schedule {
        sizes,
        gap: Duration::from_millis(u64::from(byte(5))),
    };
    let mut pair: Pair<Echo> = Pair::new(u64::from(byte(0)), link, schedule);
    let start = pair.now;
    let timeout = Duration::from_secs(60);
    let done = pair.run_until(timeout, |p| {
        p.a.received.len() >= count && p.a.to_send.is_empty()
    });
    assert!(
        pair.now <= start + timeout,
        "run_until ran past its timeout"
    );
    for d in &pair.a.received {
        let n = u32::from_be_bytes(d[..4].try_into().expect("4 bytes"));
        assert_eq!(pair.a.sent.get(&n), Some(d), "an echo that was never sent");
    }
    for d in &pair.b.received {
        let n = u32::from_be_bytes(d[..4].try_into().expect("4 bytes"));
        assert_eq!(
            pair.a.sent.get(&n),
            Some(d),
            "a datagram that was never sent"
        );
    }
    if clean {
        assert!(done, "a clean link lost an echo");
        assert_eq!(pair.a.received.len(), count);
    }
});
