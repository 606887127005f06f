//! Two data-channel endpoints on the simulated network: SCTP packets carried as UDP payloads
//! (where WebRTC would put them in DTLS records), simulated time.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

pub mod sctp_proto_peer;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_datachannel::{Config, DataChannels, DtlsRole, Event, Message};
use rtcweb_netsim::{HostId, LinkConfig, Network};

pub struct End {
    pub dc: DataChannels,
    pub host: HostId,
    pub addr: SocketAddr,
    pub events: Vec<Event>,
}

impl End {
    /// Messages received on channel `id`, in delivery order.
    pub fn messages(&self, id: u16) -> Vec<&Message> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Message { id: i, message } if *i == id => Some(message),
                _ => None,
            })
            .collect()
    }

    pub fn take_messages(&mut self, id: u16) -> Vec<Message> {
        let mut out = Vec::new();
        self.events.retain(|e| match e {
            Event::Message { id: i, message } if *i == id => {
                out.push(message.clone());
                false
            }
            _ => true,
        });
        out
    }

    pub fn saw(&self, wanted: &Event) -> bool {
        self.events.contains(wanted)
    }

    pub fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| f(e)).count()
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
    /// Client (A, even ids) and server (B, odd ids) with `link` on both access links.
    pub fn new(seed: u64, link: LinkConfig, config: Config) -> Self {
        let now = epoch();
        let mut net = Network::new(seed, now);
        let mk = |net: &mut Network, ip: &str, role| {
            let addr: SocketAddr = format!("{ip}:5000").parse().unwrap();
            let host = net.add_host(addr.ip(), None);
            net.set_link(host, link);
            End {
                dc: DataChannels::new(
                    Config {
                        role,
                        ..config.clone()
                    },
                    now,
                ),
                host,
                addr,
                events: Vec::new(),
            }
        };
        let a = mk(&mut net, "192.0.2.1", DtlsRole::Client);
        let b = mk(&mut net, "192.0.2.2", DtlsRole::Server);
        Self { net, now, a, b }
    }

    /// Both sides send INIT, as WebRTC peers do; runs until both are connected.
    pub fn connect(&mut self) {
        let now = self.now;
        self.a.dc.connect(now);
        self.b.dc.connect(now);
        assert!(
            self.run_until(Duration::from_secs(30), |p| p.a.dc.is_connected()
                && p.b.dc.is_connected()),
            "association not established"
        );
    }

    pub fn flush(&mut self) {
        for (from, to) in [(0, 1), (1, 0)] {
            let (src, dst) = if from == 0 {
                (&mut self.a, &self.b)
            } else {
                (&mut self.b, &self.a)
            };
            let mut packet = Vec::new();
            while src.dc.poll_transmit_into(&mut packet) {
                self.net.send(src.host, src.addr, dst.addr, packet.clone());
            }
            src.events
                .extend(std::iter::from_fn(|| src.dc.poll_event()));
            let _ = to;
        }
    }

    /// One step: to the next deadline (not past `limit`), deliver, time out, flush.
    pub fn step(&mut self, limit: Instant) {
        self.flush();
        let next = [
            self.net.poll_timeout(),
            self.a.dc.poll_timeout(),
            self.b.dc.poll_timeout(),
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
                end.dc.handle_datagram(next, &d.contents);
            }
            if end.dc.poll_timeout().is_some_and(|t| t <= next) {
                end.dc.handle_timeout(next);
            }
        }
        self.flush();
    }

    pub fn run_until(&mut self, timeout: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
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

    pub fn end(&mut self, a: bool) -> &mut End {
        if a { &mut self.a } else { &mut self.b }
    }
}
