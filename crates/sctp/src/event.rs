//! What an [`Association`](crate::Association) tells its owner.

/// A message that arrived whole on a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The stream it came on.
    pub stream: u16,
    /// Its payload protocol identifier (RFC 9260 §3.3.1).
    pub ppid: u32,
    /// Whether it was sent unordered.
    pub unordered: bool,
    /// The reassembled payload.
    pub data: Vec<u8>,
}

/// Why an association ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// A graceful shutdown (RFC 9260 §9.2) completed, started by either side.
    Shutdown,
    /// The peer sent ABORT; the text says what its causes were.
    AbortedByPeer(String),
    /// We aborted ([`Association::abort`](crate::Association::abort)).
    AbortedByUs,
    /// The peer stopped answering: the retransmission limit was reached (RFC 9260 §8.1).
    TooManyRetransmissions,
    /// INIT or COOKIE ECHO went unanswered too many times (RFC 9260 §5.1).
    HandshakeTimeout,
    /// The peer broke the protocol in a way that ended the association.
    ProtocolViolation(&'static str),
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shutdown => f.write_str("shut down"),
            Self::AbortedByPeer(why) => write!(f, "aborted by the peer: {why}"),
            Self::AbortedByUs => f.write_str("aborted"),
            Self::TooManyRetransmissions => f.write_str("the peer stopped answering"),
            Self::HandshakeTimeout => f.write_str("the handshake timed out"),
            Self::ProtocolViolation(why) => write!(f, "protocol violation: {why}"),
        }
    }
}

/// Something the owner must know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The association is established (RFC 9260 §5.1): messages can flow.
    Connected,
    /// A whole message arrived.
    Message(Received),
    /// The bytes queued on a stream fell to or below its low threshold.
    BufferedAmountLow {
        /// The stream.
        stream: u16,
    },
    /// The peer reset these incoming streams (RFC 6525 §5.2.2): their sequence numbers
    /// start again; for data channels, the peer closed them.
    IncomingStreamsReset(Vec<u16>),
    /// The reset of these outgoing streams that we asked for was performed.
    OutgoingStreamsReset(Vec<u16>),
    /// The peer refused to reset these outgoing streams.
    OutgoingStreamsResetFailed(Vec<u16>),
    /// The association ended; nothing more will be sent or received.
    Closed(CloseReason),
}
