//! A datagram delivered to a host.

use std::net::SocketAddr;
use std::time::Instant;

use rtcweb_common::{Datagram, Transport};

/// A UDP datagram that arrived at a host, taken with
/// [`Network::poll_delivery`](crate::Network::poll_delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The host socket it arrived at (the private address behind a NAT).
    pub local: SocketAddr,
    /// Its source as the receiver sees it, after any NAT on the way.
    pub remote: SocketAddr,
    /// The payload.
    pub contents: Vec<u8>,
    /// The simulated time it arrived.
    pub at: Instant,
}

impl Delivery {
    /// The delivery as the [`Datagram`] protocol state machines take (transport UDP).
    pub fn datagram(&self) -> Datagram<'_> {
        Datagram {
            transport: Transport::Udp,
            local: self.local,
            remote: self.remote,
            contents: &self.contents,
        }
    }
}
