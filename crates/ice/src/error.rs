//! Errors of the ICE agent.

use std::net::SocketAddr;

use thiserror::Error;

/// Why a candidate line did not parse (RFC 8839 §5.1 grammar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CandidateParseError {
    /// A required field is missing.
    #[error("candidate attribute lacks its {0}")]
    Missing(&'static str),
    /// A field does not follow the grammar.
    #[error("candidate attribute has an invalid {0}")]
    Invalid(&'static str),
    /// More extension attributes than the agent keeps.
    #[error("candidate attribute has too many extensions")]
    TooManyExtensions,
    /// The line is longer than any real candidate.
    #[error("candidate attribute too long")]
    TooLong,
}

/// What the agent refuses to do (API misuse, limits, or input that does not fit).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum IceError {
    /// Remote credentials are empty or not made of ice-chars.
    #[error("invalid ICE credentials")]
    InvalidCredentials,
    /// A remote candidate for a component other than 1 (only rtcp-mux is supported).
    #[error("component {0} not supported (rtcp-mux only)")]
    UnsupportedComponent(u16),
    /// A remote candidate whose transport the agent does not use: neither UDP nor TCP with
    /// a `tcptype` (RFC 6544 §4.5).
    #[error("candidate transport not supported")]
    UnsupportedTransport,
    /// A remote candidate from an older ICE generation (its ufrag is not the current one).
    #[error("candidate belongs to another ICE generation")]
    StaleCandidate,
    /// The table of remote candidates is full.
    #[error("too many remote candidates (limit {0})")]
    TooManyCandidates(usize),
    /// Too many local sockets.
    #[error("too many local sockets (limit {0})")]
    TooManySockets(usize),
    /// The same local socket was added twice.
    #[error("local socket {0} already added")]
    DuplicateSocket(SocketAddr),
    /// An ICE-TCP listener on port 0 (not bound) or on port 9, which active candidates
    /// are signalled with (RFC 6544 §4.5).
    #[error("ICE-TCP listener {0} has an unusable port")]
    InvalidListener(SocketAddr),
    /// No pair is selected yet, so there is nowhere to send.
    #[error("no selected candidate pair")]
    NotConnected,
    /// The agent was closed or has failed.
    #[error("ICE agent closed")]
    Closed,
    /// The TURN client on the selected relayed pair refused to send.
    #[error("relay: {0}")]
    Relay(#[from] rtcweb_turn::TurnError),
    /// Datagram larger than any STUN or TURN framing allows.
    #[error("datagram too large")]
    TooLarge,
}
