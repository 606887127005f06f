//! Test support: two DTLS connections wired through a simulated link in virtual time, with
//! seeded loss, duplication, reordering and delay.
#![allow(dead_code, unreachable_pub)] // each test binary uses part of it

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtcweb_dtls::{Certificate, Config, Connected, Connection, Event, HashAlgorithm};

/// Behaviour of one direction of the link.
#[derive(Debug, Clone, Copy)]
pub struct LinkConfig {
    /// Probability a datagram is lost.
    pub loss: f64,
    /// Probability a datagram is delivered twice.
    pub duplicate: f64,
    /// Base one-way delay.
    pub delay: Duration,
    /// Extra random delay up to this much (reorders datagrams).
    pub jitter: Duration,
}

impl LinkConfig {
    /// A perfect link with 10 ms delay.
    pub fn perfect() -> Self {
        Self {
            loss: 0.0,
            duplicate: 0.0,
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
        }
    }

    /// Loss, duplication and reordering.
    pub fn lossy(loss: f64) -> Self {
        Self {
            loss,
            duplicate: 0.1,
            delay: Duration::from_millis(10),
            jitter: Duration::from_millis(30),
        }
    }
}

/// Which side a datagram goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Client,
    Server,
}

/// A datagram in flight.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: Instant,
    order: u64,
    to: Side,
    data: Vec<u8>,
}

/// A hook on datagrams from the client to the server: may change them; false drops them.
pub type Tamper = Box<dyn FnMut(&mut Vec<u8>) -> bool>;

/// Two connections and the link between them, in simulated time.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub now: Instant,
    pub link: LinkConfig,
    pub rng: StdRng,
    queue: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// Datagrams each side sent: (client → server, server → client).
    pub sent: (u64, u64),
    /// A hook that may change (tamper) or drop datagrams from the client to the server.
    pub client_to_server: Option<Tamper>,
}

/// [`configs`] pinned to DTLS 1.2, for tests of the 1.2 machine's wire behaviour.
pub fn configs12() -> (Config, Config) {
    let (mut c, mut s) = configs();
    c.versions = rtcweb_dtls::Versions::Dtls12;
    s.versions = rtcweb_dtls::Versions::Dtls12;
    (c, s)
}

/// Two fresh certificates and configurations that expect each other.
pub fn configs() -> (Config, Config) {
    let c = Certificate::generate().unwrap();
    let s = Certificate::generate().unwrap();
    let client = Config::new(c.clone(), vec![s.fingerprint(HashAlgorithm::Sha256)]);
    let server = Config::new(s, vec![c.fingerprint(HashAlgorithm::Sha256)]);
    (client, server)
}

impl Pair {
    /// A client and a server with these configurations, over `link`, seeded with `seed`.
    pub fn new(mut client: Config, mut server: Config, link: LinkConfig, seed: u64) -> Self {
        client.seed = Some(seed);
        server.seed = Some(seed.wrapping_add(1));
        // The wall clock only gives an arbitrary epoch; time then advances virtually.
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        Self {
            client: Connection::client(now, client).unwrap(),
            server: Connection::server(now, server).unwrap(),
            now,
            link,
            rng: StdRng::seed_from_u64(seed),
            queue: BinaryHeap::new(),
            order: 0,
            client_events: Vec::new(),
            server_events: Vec::new(),
            sent: (0, 0),
            client_to_server: None,
        }
    }

    fn enqueue(&mut self, to: Side, mut data: Vec<u8>) {
        if to == Side::Server {
            if let Some(hook) = &mut self.client_to_server {
                if !hook(&mut data) {
                    return;
                }
            }
        }
        if self.rng.random_bool(self.link.loss) {
            return;
        }
        let copies = if self.rng.random_bool(self.link.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = if self.link.jitter.is_zero() {
                Duration::ZERO
            } else {
                self.link.jitter.mul_f64(self.rng.random::<f64>())
            };
            self.order += 1;
            self.queue.push(Reverse(InFlight {
                at: self.now + self.link.delay + jitter,
                order: self.order,
                to,
                data: data.clone(),
            }));
        }
    }

    /// Drains both sides' transmits into the link and their events into the logs.
    pub fn drain(&mut self) {
        while let Some(d) = self.client.next_datagram() {
            self.sent.0 += 1;
            self.enqueue(Side::Server, d);
        }
        while let Some(d) = self.server.next_datagram() {
            self.sent.1 += 1;
            self.enqueue(Side::Client, d);
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
    }

    /// Advances to the next delivery or timeout and handles it. False when nothing is left.
    pub fn step(&mut self) -> bool {
        self.drain();
        let next_delivery = self.queue.peek().map(|Reverse(d)| d.at);
        let next_timeout = [self.client.poll_timeout(), self.server.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = [next_delivery, next_timeout].into_iter().flatten().min() else {
            return false;
        };
        self.now = self.now.max(at);
        if next_delivery == Some(at) {
            let Reverse(d) = self.queue.pop().unwrap();
            match d.to {
                Side::Client => self.client.handle_datagram(self.now, &d.data),
                Side::Server => self.server.handle_datagram(self.now, &d.data),
            }
        } else {
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
        }
        self.drain();
        true
    }

    /// Runs until `done` holds, nothing is left to do, or `limit` of virtual time passed.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let end = self.now + limit;
        while !done(self) {
            if self.now > end || !self.step() {
                return done(self);
            }
        }
        true
    }

    /// Runs the handshake to completion on both sides; returns both `Connected` events.
    pub fn handshake(&mut self, limit: Duration) -> (Connected, Connected) {
        let ok = self.run_until(limit, |p| {
            connected(&p.client_events).is_some() && connected(&p.server_events).is_some()
        });
        assert!(
            ok,
            "handshake did not complete: client {:?} events {:?}; server {:?} events {:?}",
            self.client, self.client_events, self.server, self.server_events
        );
        (
            connected(&self.client_events).unwrap(),
            connected(&self.server_events).unwrap(),
        )
    }
}

/// The `Connected` event in a log, if any.
pub fn connected(events: &[Event]) -> Option<Connected> {
    events.iter().find_map(|e| match e {
        Event::Connected(c) => Some((**c).clone()),
        _ => None,
    })
}

/// The `Failed` error in a log, if any.
pub fn failure(events: &[Event]) -> Option<rtcweb_dtls::Error> {
    events.iter().find_map(|e| match e {
        Event::Failed(err) => Some(err.clone()),
        _ => None,
    })
}

/// The application data in a log.
pub fn data(events: &[Event]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ApplicationData(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// `poll_transmit_into` into a fresh buffer, for tests that keep the datagrams they drain.
pub trait NextDatagram {
    /// The next datagram to send, if any.
    fn next_datagram(&mut self) -> Option<Vec<u8>>;
}

impl NextDatagram for Connection {
    fn next_datagram(&mut self) -> Option<Vec<u8>> {
        let mut datagram = Vec::new();
        self.poll_transmit_into(&mut datagram).then_some(datagram)
    }
}
