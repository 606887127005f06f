//! Two associations on the simulated network (SCTP packets as UDP payloads, where WebRTC
//! puts them in DTLS records), in simulated time.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_netsim::{HostId, LinkConfig, Network};
use rtcweb_sctp::{Association, Config, Event, Received};

pub struct End {
    pub sctp: Association,
    pub host: HostId,
    pub addr: SocketAddr,
    pub events: Vec<Event>,
}

impl End {
    /// Messages received, in delivery order, taken out of the event list.
    pub fn take_messages(&mut self) -> Vec<Received> {
        let mut out = Vec::new();
        self.events.retain(|e| match e {
            Event::Message(m) => {
                out.push(m.clone());
                false
            }
            _ => true,
        });
        out
    }

    pub fn saw(&self, f: impl Fn(&Event) -> bool) -> bool {
        self.events.iter().any(f)
    }
}

pub struct Pair {
    pub net: Network,
    pub now: Instant,
    pub a: End,
    pub b: End,
}

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

impl Pair {
    pub fn new(seed: u64, link: LinkConfig, config: Config) -> Self {
        let now = epoch();
        let mut net = Network::new(seed, now);
        let mut mk = |ip: &str, salt: u64| {
            let addr: SocketAddr = format!("{ip}:5000").parse().unwrap();
            let host = net.add_host(addr.ip(), None);
            net.set_link(host, link);
            End {
                sctp: Association::new(
                    Config {
                        seed: seed ^ salt,
                        ..config.clone()
                    },
                    now,
                ),
                host,
                addr,
                events: Vec::new(),
            }
        };
        let a = mk("192.0.2.1", 0x1111);
        let b = mk("192.0.2.2", 0x2222);
        Self { net, now, a, b }
    }

    /// Both sides send INIT at once, as WebRTC peers do; runs until both are connected.
    pub fn connect(&mut self) {
        let now = self.now;
        self.a.sctp.connect(now);
        self.b.sctp.connect(now);
        assert!(
            self.run_until(Duration::from_secs(60), |p| p.a.sctp.is_established()
                && p.b.sctp.is_established()),
            "association not established"
        );
    }

    pub fn flush(&mut self) {
        for a_to_b in [true, false] {
            let (src, dst) = if a_to_b {
                (&mut self.a, &self.b)
            } else {
                (&mut self.b, &self.a)
            };
            let mut packet = Vec::new();
            while src.sctp.poll_transmit_into(&mut packet) {
                self.net.send(src.host, src.addr, dst.addr, packet.clone());
            }
            src.events
                .extend(std::iter::from_fn(|| src.sctp.poll_event()));
        }
    }

    /// One step: to the next deadline (not past `limit`), deliver, time out, flush.
    pub fn step(&mut self, limit: Instant) {
        self.flush();
        let next = [
            self.net.poll_timeout(),
            self.a.sctp.poll_timeout(),
            self.b.sctp.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(limit)
        .max(self.now)
        .min(limit);
        self.now = next;
        self.net.advance_to(next);
        for end in [&mut self.a, &mut self.b] {
            while let Some(d) = self.net.poll_delivery(end.host) {
                end.sctp.handle_datagram(next, &d.contents);
            }
            end.sctp.handle_timeout(next);
        }
        self.flush();
    }

    pub fn run_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&mut Self) -> bool,
    ) -> bool {
        let limit = self.now + timeout;
        loop {
            self.flush();
            if done(self) {
                return true;
            }
            if self.now >= limit {
                return false;
            }
            self.step(limit);
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }
}
