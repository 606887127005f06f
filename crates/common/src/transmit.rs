//! Outgoing bytes with their addressing.

use std::net::SocketAddr;

use crate::Transport;

/// Bytes a state machine asks its owner to send.
///
/// `T` is the container of the contents: an owned `Vec<u8>` for messages a state machine queues
/// (the default), or a slice borrowed from a buffer the caller lent for a hot-path send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit<T = Vec<u8>> {
    /// Transport to send on.
    pub transport: Transport,
    /// Local address to send from: `None` when the state machine has one socket and leaves the
    /// choice to its owner.
    pub source: Option<SocketAddr>,
    /// Remote address to send to.
    pub destination: SocketAddr,
    /// The bytes: one datagram for UDP; for TCP and TLS to a TURN server a piece of the
    /// byte stream; on an ICE-TCP connection (RFC 6544) one datagram, which the owner
    /// frames ([`encode_frame`](crate::encode_frame), RFC 4571).
    pub contents: T,
}

impl<T: AsRef<[u8]>> Transmit<T> {
    /// The bytes to send.
    pub fn bytes(&self) -> &[u8] {
        self.contents.as_ref()
    }

    /// The same transmit with its contents copied into an owned buffer.
    pub fn to_owned(&self) -> Transmit<Vec<u8>> {
        Transmit {
            transport: self.transport,
            source: self.source,
            destination: self.destination,
            contents: self.contents.as_ref().to_vec(),
        }
    }
}
