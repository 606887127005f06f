//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a part

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rtcweb_netsim::{Delivery, HostId, Network};
use rtcweb_stun::{BindingRequest, Class, Message, Method};

/// The epoch of simulated time (the only clock read, in tests).
#[allow(clippy::disallowed_methods)]
pub(crate) fn epoch() -> Instant {
    Instant::now()
}

pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Delivers everything in flight.
pub(crate) fn settle(net: &mut Network) {
    while let Some(t) = net.poll_timeout() {
        net.advance_to(t);
    }
}

/// Takes every datagram waiting for `host`.
pub(crate) fn drain(net: &mut Network, host: HostId) -> Vec<Delivery> {
    std::iter::from_fn(|| net.poll_delivery(host)).collect()
}

/// Sends one datagram, delivers everything and returns what `to_host` got.
pub(crate) fn exchange(
    net: &mut Network,
    from_host: HostId,
    from: SocketAddr,
    to: SocketAddr,
    to_host: HostId,
) -> Vec<Delivery> {
    net.send(from_host, from, to, b"probe".to_vec());
    settle(net);
    drain(net, to_host)
}

/// A plain Binding request with this transaction ID.
pub(crate) fn binding_request(id: u8) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let n = BindingRequest::plain([id; 12]).encode(&mut buf).unwrap();
    buf[..n].to_vec()
}

/// The XOR-MAPPED-ADDRESS of a Binding success response.
pub(crate) fn mapped_address(response: &[u8]) -> SocketAddr {
    let msg = Message::decode(response).unwrap();
    assert_eq!(msg.class(), Class::SuccessResponse);
    assert_eq!(msg.method(), Method::BINDING);
    msg.xor_mapped_address().expect("XOR-MAPPED-ADDRESS")
}

/// Asks the STUN server at `server` for the reflexive address of `local` on `host`.
pub(crate) fn reflexive(
    net: &mut Network,
    host: HostId,
    local: SocketAddr,
    server: SocketAddr,
) -> SocketAddr {
    net.send(host, local, server, binding_request(9));
    settle(net);
    let got = drain(net, host);
    assert_eq!(got.len(), 1, "one answer from {server}");
    assert_eq!((got[0].local, got[0].remote), (local, server));
    mapped_address(&got[0].contents)
}
