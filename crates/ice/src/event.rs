//! What the agent tells its owner.

use std::net::SocketAddr;

use crate::Candidate;

/// Gathering state (`RTCIceGatheringState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatheringState {
    /// Not started.
    New,
    /// Server-reflexive or relayed candidates are still being gathered.
    Gathering,
    /// Everything that could be gathered was; the owner signals end-of-candidates.
    Complete,
}

/// Connection state (W3C `RTCIceConnectionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// No remote credentials or candidates yet.
    New,
    /// Checks are running; no pair is selected.
    Checking,
    /// A pair is selected; checks may still run.
    Connected,
    /// A pair is selected, checks are done and the remote side sent end-of-candidates.
    Completed,
    /// The selected pair showed no life for a while; consent may still come back.
    Disconnected,
    /// No pair works, or consent was lost (RFC 7675 §5.1).
    Failed,
    /// [`Agent::close`](crate::Agent::close) was called.
    Closed,
}

/// The pair media and data go over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedPair {
    /// The local candidate (host or relayed).
    pub local: Candidate,
    /// The remote candidate.
    pub remote: Candidate,
    /// The local socket datagrams leave from (for a relayed candidate: the socket that talks
    /// to the TURN server; `None` when that is a TCP or TLS connection).
    pub socket: Option<SocketAddr>,
}

/// Events, drained with [`Agent::poll_event`](crate::Agent::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // a few events per connection: boxing would not pay
pub enum Event {
    /// A local candidate to signal to the peer (trickle, RFC 8838 §4).
    LocalCandidate(Candidate),
    /// The gathering state changed; `Complete` means end-of-candidates may be signalled.
    GatheringState(GatheringState),
    /// The connection state changed.
    ConnectionState(ConnectionState),
    /// A pair was selected, or the selected pair changed.
    SelectedPair(SelectedPair),
    /// A remote candidate has an mDNS name; resolve it and call
    /// [`Agent::resolve_mdns`](crate::Agent::resolve_mdns). The agent never resolves names.
    ResolveMdns {
        /// The `.local` name.
        name: String,
    },
    /// The role changed after a role conflict (RFC 8445 §7.3.1.1, §7.2.5.1).
    RoleChanged {
        /// Whether the agent is now controlling.
        controlling: bool,
    },
    /// Application data that came through a TURN server over TCP or TLS (UDP data comes back
    /// borrowed from [`Agent::handle_datagram`](crate::Agent::handle_datagram)).
    Data {
        /// The peer's address as the relay saw it.
        remote: SocketAddr,
        /// The bytes.
        data: Vec<u8>,
    },
}
