//! What the media tests share: a two-host simulated network and a start instant.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Instant;

use rtcweb_netsim::{HostId, LinkConfig, Network};

/// The start of simulated time.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

/// Two hosts: `a` sends over `a_link`, `b` over `b_link`.
pub struct TwoHosts {
    pub net: Network,
    pub a: SocketAddr,
    pub b: SocketAddr,
    pub ha: HostId,
    pub hb: HostId,
}

impl TwoHosts {
    pub fn new(seed: u64, start: Instant, a_link: LinkConfig, b_link: LinkConfig) -> Self {
        let mut net = Network::new(seed, start);
        let a: SocketAddr = "192.0.2.1:5004".parse().unwrap();
        let b: SocketAddr = "192.0.2.2:5004".parse().unwrap();
        let ha = net.add_host(a.ip(), None);
        let hb = net.add_host(b.ip(), None);
        net.set_link(ha, a_link);
        net.set_link(hb, b_link);
        Self { net, a, b, ha, hb }
    }
}
