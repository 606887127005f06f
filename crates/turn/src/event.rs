//! What the TURN client reports to its owner.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::TurnError;

/// An event of the TURN client, drained with [`Client::poll_event`](crate::Client::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The allocation is made (RFC 8656 §7.3).
    Allocated {
        /// The relayed transport address peers send to (XOR-RELAYED-ADDRESS).
        relayed: SocketAddr,
        /// Our server-reflexive address as the server saw it (XOR-MAPPED-ADDRESS).
        mapped: Option<SocketAddr>,
        /// The lifetime the server granted.
        lifetime: Duration,
    },
    /// The allocation was refreshed (RFC 8656 §8).
    Refreshed {
        /// The new lifetime.
        lifetime: Duration,
    },
    /// A permission for this peer IP is installed (RFC 8656 §9).
    PermissionCreated {
        /// The peer's IP.
        peer: IpAddr,
    },
    /// A permission could not be installed.
    PermissionFailed {
        /// The peer's IP.
        peer: IpAddr,
        /// Why.
        error: TurnError,
    },
    /// A channel is bound to this peer (RFC 8656 §12).
    ChannelBound {
        /// The peer.
        peer: SocketAddr,
        /// The channel number.
        channel: u16,
    },
    /// A channel could not be bound.
    ChannelBindFailed {
        /// The peer.
        peer: SocketAddr,
        /// Why.
        error: TurnError,
    },
    /// The server redirected us (300 Try Alternate, RFC 8489 §10). Over UDP nothing is to be
    /// done; over TCP or TLS the owner connects to `server` and feeds that connection.
    Redirected {
        /// The new server.
        server: SocketAddr,
    },
    /// The client failed; the allocation, if any, is lost.
    Failed(TurnError),
    /// The allocation is deleted (after [`Client::close`](crate::Client::close)).
    Closed,
}
