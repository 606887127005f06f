//! Two data-channel endpoints on the simulated network: SCTP packets carried as UDP payloads
//! (where WebRTC would put them in DTLS records), simulated time: the shared
//! [`rtcweb_test_support::Pair`] with a data-channel layer at each end (A the DTLS client,
//! B the server).
#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

pub mod sctp_proto_peer;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_datachannel::{Config, DataChannels, DtlsRole, Event, Message};
use rtcweb_netsim::HostId;

/// Two data-channel endpoints, A (client) and B (server).
pub type Pair = rtcweb_test_support::Pair<End>;

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

impl rtcweb_test_support::Endpoint for End {
    type Config = Config;
    const CONNECT_WITHIN: Duration = Duration::from_secs(30);

    /// A is the client (even ids), B the server (odd ids).
    fn new(
        config: &Config,
        _seed: u64,
        a: bool,
        now: Instant,
        host: HostId,
        addr: SocketAddr,
    ) -> Self {
        let role = if a {
            DtlsRole::Client
        } else {
            DtlsRole::Server
        };
        Self {
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
    }

    fn host(&self) -> HostId {
        self.host
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn connect(&mut self, now: Instant) {
        self.dc.connect(now);
    }

    fn is_connected(&self) -> bool {
        self.dc.is_connected()
    }

    fn poll_transmit_into(&mut self, buf: &mut Vec<u8>) -> bool {
        self.dc.poll_transmit_into(buf)
    }

    fn record_events(&mut self) {
        self.events
            .extend(std::iter::from_fn(|| self.dc.poll_event()));
    }

    fn handle_datagram(&mut self, now: Instant, contents: &[u8]) {
        self.dc.handle_datagram(now, contents);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.dc.poll_timeout()
    }

    /// Only when a deadline is due.
    fn handle_timeout(&mut self, now: Instant) {
        if self.dc.poll_timeout().is_some_and(|t| t <= now) {
            self.dc.handle_timeout(now);
        }
    }
}
