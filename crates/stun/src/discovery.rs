//! Server-reflexive address discovery against a STUN server (RFC 8489 §6, RFC 8445 §5.1.1.2).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rtcweb_common::{Datagram, Transmit, Transport};
use thiserror::Error;

use crate::classify::{self, Class};
use crate::{BindingRequest, ClientTransactions, Message, Method, RetransmitConfig};

/// Why discovery failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// No response after all retransmissions (RFC 8489 §6.2.1).
    #[error("no response from the STUN server {server}")]
    Timeout {
        /// The server asked.
        server: SocketAddr,
    },
    /// The server answered with an error response.
    #[error("STUN server answered {code} {reason}")]
    ErrorResponse {
        /// ERROR-CODE code.
        code: u16,
        /// ERROR-CODE reason phrase.
        reason: String,
    },
    /// The success response carried no (XOR-)MAPPED-ADDRESS.
    #[error("success response without a mapped address")]
    NoMappedAddress,
}

/// What discovery reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryEvent {
    /// The server saw us at `mapped`: our server-reflexive address.
    Discovered {
        /// The server-reflexive address (XOR-MAPPED-ADDRESS).
        mapped: SocketAddr,
        /// The server that answered.
        server: SocketAddr,
        /// Round-trip time, when the request was not retransmitted.
        rtt: Option<Duration>,
    },
    /// Discovery failed.
    Failed(DiscoveryError),
}

/// Asks one STUN server what our address looks like from outside.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtcweb_stun::{ReflexiveDiscovery, DiscoveryEvent};
///
/// let server = "127.0.0.1:3478".parse().unwrap();
/// let mut d = ReflexiveDiscovery::new(server, Default::default());
/// # #[allow(clippy::disallowed_methods)]
/// let mut now = Instant::now();
/// d.start(now);
/// while let Some(t) = d.poll_transmit() {
///     // send t.contents to t.destination; feed replies to d.handle_datagram(now, datagram)
///     assert_eq!(t.destination, server);
/// }
/// // No reply: sleep until the deadline and tell the machine the time.
/// while let Some(deadline) = d.poll_timeout() {
///     now = deadline;
///     d.handle_timeout(now);
///     while d.poll_transmit().is_some() {}
/// }
/// assert!(matches!(d.poll_event(), Some(DiscoveryEvent::Failed(_))));
/// ```
#[derive(Debug)]
pub struct ReflexiveDiscovery {
    server: SocketAddr,
    transactions: ClientTransactions<()>,
    rng: StdRng,
    events: VecDeque<DiscoveryEvent>,
    software: Option<String>,
    /// UDP, or TCP for a request over the owner's connection to the server.
    transport: Transport,
}

impl ReflexiveDiscovery {
    /// Discovery against `server` over UDP, with these retransmission parameters.
    pub fn new(server: SocketAddr, config: RetransmitConfig) -> Self {
        Self::with_rng(server, config, StdRng::from_os_rng())
    }

    /// The same with a seeded random generator for transaction IDs (deterministic tests).
    pub fn with_seed(server: SocketAddr, config: RetransmitConfig, seed: u64) -> Self {
        Self::with_rng(server, config, StdRng::seed_from_u64(seed))
    }

    fn with_rng(server: SocketAddr, config: RetransmitConfig, rng: StdRng) -> Self {
        Self {
            server,
            transactions: ClientTransactions::new(config, 4),
            rng,
            events: VecDeque::new(),
            software: None,
            transport: Transport::Udp,
        }
    }

    /// Sets the SOFTWARE attribute sent in requests.
    pub fn set_software(&mut self, software: &str) {
        self.software = Some(software.to_owned());
    }

    /// Asks over `transport` (UDP unless set; set it before [`start`](Self::start)). Over
    /// TCP the request is sent once and waits Ti, `reliable_timeout`, for its response
    /// (RFC 8489 §6.2.2); the owner carries it on a connection to the server and hands back
    /// each STUN message read from it (the header's length delimits one, RFC 8489 §6.2.2)
    /// as a datagram over that transport.
    pub fn set_transport(&mut self, transport: Transport) {
        self.transport = transport;
    }

    /// The transport asked over.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The server asked.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Sends a Binding request (again, if one is not already outstanding).
    pub fn start(&mut self, now: Instant) {
        if !self.transactions.is_empty() {
            return;
        }
        let mut id = [0u8; 12];
        self.rng.fill_bytes(&mut id);
        let mut request = BindingRequest::plain(id);
        request.software = self.software.as_deref();
        let mut buf = [0u8; 256];
        // A Binding request with at most a SOFTWARE attribute always fits 256 bytes.
        let n = match request.encode(&mut buf) {
            Ok(n) => n,
            Err(_) => {
                let mut request = BindingRequest::plain(id);
                request.software = None;
                request
                    .encode(&mut buf)
                    .expect("a bare Binding request fits 256 bytes")
            }
        };
        let _ = self.transactions.start(
            now,
            id,
            buf[..n].to_vec(),
            self.transport,
            None,
            self.server,
            (),
        );
    }

    /// Feeds a datagram that arrived. Returns whether it was the response this machine waits
    /// for (otherwise the owner routes it elsewhere): a datagram from the server over the
    /// transport asked over.
    pub fn handle_datagram(&mut self, now: Instant, datagram: Datagram<'_>) -> bool {
        if datagram.transport != self.transport || datagram.remote != self.server {
            return false;
        }
        let datagram = datagram.contents;
        let Ok(header) = classify::classify(datagram) else {
            return false;
        };
        if !header.class.is_response()
            || header.method != Method::BINDING.0
            || !self.transactions.contains(&header.transaction_id)
        {
            return false;
        }
        let Ok(msg) = Message::decode(datagram) else {
            // RFC 8489 §6.3: a malformed response is discarded; the transaction goes on.
            return true;
        };
        let Some(done) = self.transactions.complete(now, &header.transaction_id) else {
            return true;
        };
        let event = match msg.class() {
            Class::SuccessResponse => match msg.xor_mapped_address().or(msg.mapped_address()) {
                Some(mapped) => DiscoveryEvent::Discovered {
                    mapped,
                    server: self.server,
                    rtt: done.rtt,
                },
                None => DiscoveryEvent::Failed(DiscoveryError::NoMappedAddress),
            },
            _ => {
                let e = msg.error_code().unwrap_or(crate::ErrorCode {
                    code: crate::codes::BAD_REQUEST,
                    reason: String::new(),
                });
                DiscoveryEvent::Failed(DiscoveryError::ErrorResponse {
                    code: e.code,
                    reason: e.reason,
                })
            }
        };
        self.events.push_back(event);
        true
    }

    /// Retransmits or times out. Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
        while let Some(t) = self.transactions.poll_event() {
            self.events
                .push_back(DiscoveryEvent::Failed(DiscoveryError::Timeout {
                    server: t.destination,
                }));
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transactions.poll_transmit()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DiscoveryEvent> {
        self.events.pop_front()
    }

    /// The next deadline; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.transactions.poll_timeout()
    }
}
