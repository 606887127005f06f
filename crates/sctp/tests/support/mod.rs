//! Two associations on the simulated network (SCTP packets as UDP payloads, where WebRTC
//! puts them in DTLS records), in simulated time: the shared [`rtcweb_test_support::Pair`]
//! with an association at each end.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_netsim::HostId;
use rtcweb_sctp::{Association, Config, Event, Received};

/// Two associations, A and B.
pub type Pair = rtcweb_test_support::Pair<End>;

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

impl rtcweb_test_support::Endpoint for End {
    type Config = Config;
    const CONNECT_WITHIN: Duration = Duration::from_secs(60);

    /// Each end's association seeded from the pair's seed and its side.
    fn new(
        config: &Config,
        seed: u64,
        a: bool,
        now: Instant,
        host: HostId,
        addr: SocketAddr,
    ) -> Self {
        let salt = if a { 0x1111 } else { 0x2222 };
        Self {
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
    }

    fn host(&self) -> HostId {
        self.host
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn connect(&mut self, now: Instant) {
        self.sctp.connect(now);
    }

    fn is_connected(&self) -> bool {
        self.sctp.is_established()
    }

    fn poll_transmit_into(&mut self, buf: &mut Vec<u8>) -> bool {
        self.sctp.poll_transmit_into(buf)
    }

    fn record_events(&mut self) {
        self.events
            .extend(std::iter::from_fn(|| self.sctp.poll_event()));
    }

    fn handle_datagram(&mut self, now: Instant, contents: &[u8]) {
        self.sctp.handle_datagram(now, contents);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.sctp.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.sctp.handle_timeout(now);
    }
}
