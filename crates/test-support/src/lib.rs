//! # rtcweb-test-support: what rtcweb's test suites share
//!
//! A dev-dependency only (`publish = false`). It holds the harness that runs endpoints on
//! the simulated network of `rtcweb-netsim` in simulated time, so each test suite says only
//! what differs about its endpoint:
//! - [`Simulation`] and [`run_until`]: the drive loop of every harness (flush, check, step to
//!   the next deadline), with [`next_deadline`] to pick that deadline.
//! - [`Endpoint`] and [`Pair`]: two endpoints of one kind (an SCTP association, a
//!   data-channel layer) joined over simulated access links, packets carried as UDP payloads.
//! - [`epoch`], [`lossy`], [`XorShift32`], [`chromium_fixture`]: the small helpers the suites
//!   had each written again.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::{Duration, Instant};
//!
//! use rtcweb_netsim::{HostId, LinkConfig};
//! use rtcweb_test_support::{Endpoint, Pair};
//!
//! /// Sends one datagram to the other end once "connected", and counts what it gets.
//! struct Pinger { host: HostId, addr: SocketAddr, connected: bool, sent: bool, got: usize }
//!
//! impl Endpoint for Pinger {
//!     type Config = ();
//!     const CONNECT_WITHIN: Duration = Duration::from_secs(1);
//!     fn new(_: &(), _seed: u64, _a: bool, _now: Instant, host: HostId, addr: SocketAddr) -> Self {
//!         Self { host, addr, connected: false, sent: false, got: 0 }
//!     }
//!     fn host(&self) -> HostId { self.host }
//!     fn addr(&self) -> SocketAddr { self.addr }
//!     fn connect(&mut self, _now: Instant) { self.connected = true; }
//!     fn is_connected(&self) -> bool { self.connected }
//!     fn poll_transmit_into(&mut self, buf: &mut Vec<u8>) -> bool {
//!         buf.clear();
//!         if self.sent { return false; }
//!         self.sent = true;
//!         buf.extend_from_slice(b"ping");
//!         true
//!     }
//!     fn record_events(&mut self) {}
//!     fn handle_datagram(&mut self, _now: Instant, contents: &[u8]) {
//!         assert_eq!(contents, b"ping");
//!         self.got += 1;
//!     }
//!     fn poll_timeout(&self) -> Option<Instant> { None }
//!     fn handle_timeout(&mut self, _now: Instant) {}
//! }
//!
//! let mut pair: Pair<Pinger> = Pair::new(1, LinkConfig::default(), ());
//! pair.connect();
//! assert!(pair.run_until(Duration::from_secs(1), |p| p.a.got == 1 && p.b.got == 1));
//! ```
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_netsim::{HostId, LinkConfig, Network};

/// The epoch of simulated time: the one reading of the clock a test makes.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

/// A link with `loss` loss, half as much duplication, as much reordering, 10 ms ± 4 ms.
pub fn lossy(loss: f64) -> LinkConfig {
    LinkConfig {
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(4),
        loss,
        duplicate: loss / 2.0,
        reorder: loss,
    }
}

/// A capture from `shared/fixtures/chromium/` (next to the checkout), read whole; panics
/// with the path when it is missing.
pub fn chromium_fixture(name: &str) -> Vec<u8> {
    // Every crate lives in `crates/<name>`, so this path holds from any of them.
    let path = format!(
        "{}/../../../shared/fixtures/chromium/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Marsaglia's xorshift32 (shifts 13, 17, 5): cheap, deterministic test content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XorShift32(pub u32);

impl XorShift32 {
    /// The next state, which is also the output.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// The low byte of [`next_u32`](Self::next_u32).
    pub fn next_u8(&mut self) -> u8 {
        self.next_u32() as u8
    }
}

/// Something driven in simulated time: what [`run_until`] needs of it.
pub trait Simulation {
    /// The current simulated time.
    fn now(&self) -> Instant;
    /// Sends what every endpoint queued and records their events.
    fn flush(&mut self);
    /// One step: to the next deadline (not past `limit`), deliver, time out, flush.
    fn step(&mut self, limit: Instant);
}

/// Runs `sim` until `done` or `timeout` of simulated time passed; true when done. `done` is
/// asked after every flush, before the first step too.
pub fn run_until<S: Simulation + ?Sized>(
    sim: &mut S,
    timeout: Duration,
    mut done: impl FnMut(&mut S) -> bool,
) -> bool {
    let limit = sim.now() + timeout;
    loop {
        sim.flush();
        if done(sim) {
            return true;
        }
        if sim.now() >= limit {
            return false;
        }
        sim.step(limit);
    }
}

/// The earliest of `deadlines`, or `limit` when there is none; never before `now` nor after
/// `limit`.
pub fn next_deadline(
    now: Instant,
    limit: Instant,
    deadlines: impl IntoIterator<Item = Option<Instant>>,
) -> Instant {
    deadlines
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(limit)
        .max(now)
        .min(limit)
}

/// An endpoint a [`Pair`] drives: it takes datagrams, gives datagrams to send to the other
/// end, has a deadline, and keeps its own record of its events.
pub trait Endpoint: Sized {
    /// What [`Pair::new`] builds both ends from.
    type Config;
    /// How much simulated time [`Pair::connect`] allows.
    const CONNECT_WITHIN: Duration;
    /// End A (`a`) or B at `addr` on `host`, at `now`; `seed` is the pair's.
    fn new(
        config: &Self::Config,
        seed: u64,
        a: bool,
        now: Instant,
        host: HostId,
        addr: SocketAddr,
    ) -> Self;
    /// Its host on the network.
    fn host(&self) -> HostId;
    /// Its address.
    fn addr(&self) -> SocketAddr;
    /// Starts connecting to the other end.
    fn connect(&mut self, now: Instant);
    /// Whether it is connected.
    fn is_connected(&self) -> bool;
    /// Writes the next datagram for the other end into `buf`; whether there was one.
    fn poll_transmit_into(&mut self, buf: &mut Vec<u8>) -> bool;
    /// Drains its events into its own record.
    fn record_events(&mut self);
    /// A datagram from the other end arrived.
    fn handle_datagram(&mut self, now: Instant, contents: &[u8]);
    /// Its next deadline.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Time passed (the network delivered what was due first).
    fn handle_timeout(&mut self, now: Instant);
}

/// Two endpoints on the simulated network in simulated time: A at 192.0.2.1:5000 and B at
/// 192.0.2.2:5000, each behind its own access link.
#[derive(Debug)]
pub struct Pair<E> {
    /// The network between them.
    pub net: Network,
    /// The current simulated time.
    pub now: Instant,
    /// End A.
    pub a: E,
    /// End B.
    pub b: E,
}

impl<E: Endpoint> Pair<E> {
    /// Both ends built from `config`, with `link` on both access links; the network's
    /// randomness is seeded with `seed`.
    pub fn new(seed: u64, link: LinkConfig, config: E::Config) -> Self {
        let now = epoch();
        let mut net = Network::new(seed, now);
        let mut end = |ip: &str, a: bool| {
            let addr: SocketAddr = format!("{ip}:5000").parse().expect("an address");
            let host = net.add_host(addr.ip(), None);
            net.set_link(host, link);
            E::new(&config, seed, a, now, host, addr)
        };
        let a = end("192.0.2.1", true);
        let b = end("192.0.2.2", false);
        Self { net, now, a, b }
    }

    /// Both sides connect at once, as WebRTC peers do; runs until both are connected.
    pub fn connect(&mut self) {
        let now = self.now;
        self.a.connect(now);
        self.b.connect(now);
        assert!(
            self.run_until(E::CONNECT_WITHIN, |p| p.a.is_connected()
                && p.b.is_connected()),
            "association not established"
        );
    }

    /// End A (`a`) or B.
    pub fn end(&mut self, a: bool) -> &mut E {
        if a { &mut self.a } else { &mut self.b }
    }

    /// Sends what both ends queued and records their events.
    pub fn flush(&mut self) {
        let mut packet = Vec::new();
        for a_to_b in [true, false] {
            let (src, dst) = if a_to_b {
                (&mut self.a, &self.b)
            } else {
                (&mut self.b, &self.a)
            };
            while src.poll_transmit_into(&mut packet) {
                // The network keeps the datagram: hand it the buffer rather than a copy.
                let datagram = std::mem::take(&mut packet);
                self.net.send(src.host(), src.addr(), dst.addr(), datagram);
            }
            src.record_events();
        }
    }

    /// One step: to the next deadline (not past `limit`), deliver, time out, flush.
    pub fn step(&mut self, limit: Instant) {
        self.flush();
        let deadlines = [
            self.net.poll_timeout(),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ];
        let next = next_deadline(self.now, limit, deadlines);
        self.now = next;
        self.net.advance_to(next);
        for end in [&mut self.a, &mut self.b] {
            while let Some(d) = self.net.poll_delivery(end.host()) {
                end.handle_datagram(next, &d.contents);
            }
            end.handle_timeout(next);
        }
        self.flush();
    }

    /// Runs until `done` or `timeout` of simulated time; true when done.
    pub fn run_until(&mut self, timeout: Duration, done: impl FnMut(&mut Self) -> bool) -> bool {
        run_until(self, timeout, done)
    }

    /// Runs `d` of simulated time.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }
}

impl<E: Endpoint> Simulation for Pair<E> {
    fn now(&self) -> Instant {
        self.now
    }

    fn flush(&mut self) {
        Self::flush(self);
    }

    fn step(&mut self, limit: Instant) {
        Self::step(self, limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift32_steps() {
        // 1 → 1 ^ 1 << 13 = 0x2001; ^ >> 17 = 0x2001; ^ << 5 = 0x42021.
        let mut x = XorShift32(1);
        assert_eq!(x.next_u32(), 0x0004_2021);
        assert_eq!(x.0, 0x0004_2021);
        assert_eq!(XorShift32(1).next_u8(), 0x21);
    }

    #[test]
    fn next_deadline_stays_between_now_and_limit() {
        let now = epoch();
        let s = Duration::from_secs(1);
        let limit = now + 10 * s;
        assert_eq!(next_deadline(now, limit, [None, None]), limit);
        assert_eq!(
            next_deadline(now, limit, [Some(now + 3 * s), Some(now + 2 * s)]),
            now + 2 * s
        );
        assert_eq!(next_deadline(now, limit, [Some(now - s)]), now);
        assert_eq!(next_deadline(now, limit, [Some(now + 20 * s)]), limit);
    }
}
