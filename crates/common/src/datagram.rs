//! Incoming bytes with their addressing.

use std::net::SocketAddr;

use crate::Transport;

/// Bytes that arrived from the network, borrowed from the owner's receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Transport they arrived on.
    pub transport: Transport,
    /// Local address (socket) they arrived at.
    pub local: SocketAddr,
    /// Remote address they came from.
    pub remote: SocketAddr,
    /// The bytes: one datagram for UDP; for TCP and TLS to a TURN server a piece of the
    /// byte stream; on an ICE-TCP connection (RFC 6544) the datagram one RFC 4571 frame
    /// carried (the owner cuts the stream with [`FrameDecoder`](crate::FrameDecoder)).
    pub contents: &'a [u8],
}
