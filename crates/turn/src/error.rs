//! Typed errors of the TURN client.

use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

/// A wire-format error: bytes that are not a valid ChannelData message or stream frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer bytes than the header or the length field says.
    #[error("truncated message")]
    Truncated,
    /// A channel number outside 0x4000..=0x4FFF (RFC 8656 §12).
    #[error("channel number 0x{0:04x} is outside 0x4000..=0x4FFF")]
    BadChannelNumber(u16),
    /// Application data longer than 65535 bytes.
    #[error("data longer than 65535 bytes")]
    TooLong,
    /// The caller's buffer is too small.
    #[error("buffer too small")]
    BufferTooSmall,
    /// A stream carries bytes that are neither STUN nor ChannelData.
    #[error("stream carries neither STUN nor ChannelData")]
    BadFrame,
    /// A stream's unframed bytes exceed the framer's limit.
    #[error("stream buffer full")]
    StreamBufferFull,
}

/// Why the TURN client failed, or refused a call.
///
/// Server verdicts carry the RFC 8656 §18 / RFC 8489 §14.8 error code they come from.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TurnError {
    /// 401 to an authenticated request: the server refuses our username or password
    /// (RFC 8489 §9.2.5).
    #[error("authentication failed (401): wrong username or password")]
    Unauthenticated,
    /// 403 Forbidden: the server will not do this for us (e.g. a peer address it blocks).
    #[error("forbidden by the server (403)")]
    Forbidden,
    /// 437 Allocation Mismatch: the server has no such allocation, or already has one for
    /// this 5-tuple.
    #[error("allocation mismatch (437)")]
    AllocationMismatch,
    /// 441 Wrong Credentials: credentials differ from those the allocation was made with.
    #[error("wrong credentials (441)")]
    WrongCredentials,
    /// 442 Unsupported Transport Protocol.
    #[error("unsupported transport protocol (442)")]
    UnsupportedTransport,
    /// 486 Allocation Quota Reached.
    #[error("allocation quota reached (486)")]
    QuotaReached,
    /// 508 Insufficient Capacity.
    #[error("server has insufficient capacity (508)")]
    InsufficientCapacity,
    /// Any other error response.
    #[error("server refused the request ({code} {reason})")]
    Rejected {
        /// The error code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// No response after every retransmission (RFC 8489 §6.2.1), or after Ti on TCP/TLS.
    #[error("no response from the TURN server {server}")]
    Timeout {
        /// The server that did not answer.
        server: SocketAddr,
    },
    /// A second 300 Try Alternate, or one without ALTERNATE-SERVER (RFC 8489 §10).
    #[error("redirected more than once, or without an alternate server")]
    BadRedirect,
    /// The server kept answering 438 Stale Nonce.
    #[error("server kept answering 438 Stale Nonce")]
    StaleNonceLoop,
    /// A later 401 or 438 bid the security down (RFC 8489 §9.2.5): its nonce cookie dropped
    /// the "Password algorithms" or "Username anonymity" feature the first challenge set, or
    /// its PASSWORD-ALGORITHMS differs from the first one. The client stops rather than
    /// fall back to a weaker key or to USERNAME.
    #[error("the server's challenge bid the password algorithm or username anonymity down")]
    BidDown,
    /// The server's PASSWORD-ALGORITHMS names neither MD5 nor SHA-256 (RFC 8489 §18.5), so
    /// no key can be made.
    #[error("no password algorithm in common with the server")]
    NoCommonPasswordAlgorithm,
    /// A response lacks what it must carry (e.g. XOR-RELAYED-ADDRESS in an Allocate success,
    /// REALM and NONCE in a 401).
    #[error("malformed response from the server")]
    MalformedResponse,
    /// The call needs an allocation and there is none (yet, or any more).
    #[error("no allocation")]
    NotAllocated,
    /// There is no permission for this peer: nothing is sent (RFC 8656 §9).
    #[error("no permission for peer {0}")]
    NoPermission(IpAddr),
    /// The permission table is full.
    #[error("too many permissions (limit {0})")]
    TooManyPermissions(usize),
    /// All channel numbers in use, or the channel table is full.
    #[error("no channel number left (limit {0})")]
    TooManyChannels(usize),
    /// The peer is already bound to a channel, or being bound.
    #[error("peer {0} already has a channel")]
    AlreadyBound(SocketAddr),
    /// Too many requests outstanding.
    #[error("too many outstanding requests")]
    TooManyRequests,
    /// The credentials are refused by the OpaqueString profile.
    #[error("credentials refused by the OpaqueString profile")]
    Credentials,
    /// A message could not be encoded (e.g. a SOFTWARE value too long).
    #[error("could not encode a message: {0}")]
    Encode(#[from] rtcweb_stun::EncodeError),
    /// A wire-format error on the stream from the server.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The TLS configuration could not be built or a session not started.
    #[error("invalid TLS configuration")]
    TlsConfig,
    /// TLS failed (handshake, certificate, or a bad record).
    #[error("TLS: {0}")]
    Tls(rustls::Error),
    /// More plaintext than the TLS session buffers.
    #[error("TLS buffer full")]
    TlsBufferFull,
    /// The client is closed or failed.
    #[error("client closed")]
    Closed,
}

impl TurnError {
    /// The error for an error response code (RFC 8656 §18, RFC 8489 §14.8).
    pub(crate) fn from_code(code: u16, reason: &str) -> Self {
        use rtcweb_stun::codes::*;
        match code {
            UNAUTHENTICATED => Self::Unauthenticated,
            FORBIDDEN => Self::Forbidden,
            ALLOCATION_MISMATCH => Self::AllocationMismatch,
            WRONG_CREDENTIALS => Self::WrongCredentials,
            UNSUPPORTED_TRANSPORT => Self::UnsupportedTransport,
            ALLOCATION_QUOTA_REACHED => Self::QuotaReached,
            INSUFFICIENT_CAPACITY => Self::InsufficientCapacity,
            _ => Self::Rejected {
                code,
                reason: reason.to_owned(),
            },
        }
    }
}
