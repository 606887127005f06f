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
    /// to the TURN server, `None` when that is a TCP or TLS connection; for an ICE-TCP
    /// candidate its base: the listener, or the active candidate's address at port 9).
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
    /// A STUN or TURN server could not give us a candidate (W3C `icecandidateerror`): it
    /// did not answer, or refused (a TURN server refusing our credentials answers 401).
    CandidateError(CandidateError),
    /// A DTLS datagram the peer attached to an authenticated check or response (SPED,
    /// draft-hancke-webrtc-sped): hand it to DTLS as if it had arrived on its own, then
    /// call [`Agent::sped_flight`](crate::Agent::sped_flight) with what DTLS sent back.
    PiggybackedDtls {
        /// The DTLS datagram.
        data: Vec<u8>,
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

/// Why a STUN or TURN server gave no candidate (W3C `RTCPeerConnectionIceErrorEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateError {
    /// The server.
    pub server: SocketAddr,
    /// How we talked to it.
    pub transport: rtcweb_common::Transport,
    /// Whether it was a TURN server (else STUN).
    pub turn: bool,
    /// The STUN error code it answered (401 for refused credentials, RFC 8489 §14.8), or
    /// 701 when it did not answer at all (the W3C code for an unreachable server).
    pub code: u16,
    /// What went wrong, in words.
    pub text: String,
}

impl CandidateError {
    /// The W3C code for a server that did not answer.
    pub const UNREACHABLE: u16 = 701;
}

impl std::fmt::Display for CandidateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match (self.turn, self.transport) {
            (false, _) => "stun",
            (true, rtcweb_common::Transport::Tls) => "turns",
            (true, _) => "turn",
        };
        let transport = match self.transport {
            rtcweb_common::Transport::Udp => "udp",
            _ => "tcp",
        };
        write!(
            f,
            "{scheme}:{}?transport={transport}: {} ({})",
            self.server, self.text, self.code
        )
    }
}
