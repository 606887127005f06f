//! Errors of the data-channel layer.

use thiserror::Error;

/// A DCEP message that does not parse (RFC 8832 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DcepError {
    /// Shorter than its header or its declared lengths.
    #[error("DCEP message too short")]
    TooShort,
    /// A message type other than OPEN or ACK.
    #[error("unknown DCEP message type {0:#04x}")]
    UnknownMessageType(u8),
    /// A channel type RFC 8832 §5.1 does not define.
    #[error("unknown DCEP channel type {0:#04x}")]
    UnknownChannelType(u8),
    /// Label or protocol not UTF-8.
    #[error("DCEP label or protocol is not UTF-8")]
    NotUtf8,
    /// Label or protocol longer than 65535 bytes.
    #[error("DCEP label or protocol too long")]
    TooLong,
}

/// Why a channel could not be created.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The association is closed or failed.
    #[error("the SCTP association is closed")]
    Closed,
    /// The channel limit is reached.
    #[error("too many data channels (limit {0})")]
    TooManyChannels(usize),
    /// The id is in use, or (for an in-band channel) does not have our DTLS role's parity.
    #[error("stream id {0} not available")]
    IdUnavailable(u16),
    /// Label or protocol longer than 65535 bytes.
    #[error("label or protocol too long")]
    TooLong,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SendError {
    /// No such channel.
    #[error("no data channel with id {0}")]
    UnknownChannel(u16),
    /// The channel is not open (connecting, closing or closed).
    #[error("data channel {0} is not open")]
    NotOpen(u16),
    /// Larger than the peer's `a=max-message-size` (RFC 8841 §6).
    #[error("message of {len} bytes exceeds the peer's maximum of {limit}")]
    TooLarge {
        /// Message size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The send buffer (of the channel or in total) is full; try again after a
    /// buffered-amount-low event.
    #[error("send buffer full")]
    Full,
}
