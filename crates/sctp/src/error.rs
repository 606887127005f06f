//! Errors the association's commands return. Errors in what the peer sends are not returned:
//! such packets are counted in [`Metrics`](crate::Metrics) and dropped.

/// Why [`Association::send`](crate::Association::send) refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Larger than [`Config::max_message_size`](crate::Config::max_message_size).
    #[error("message of {len} bytes is larger than the limit of {limit}")]
    TooLarge {
        /// The message's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The send buffer (of the stream or of the association) is full: wait for
    /// [`Event::BufferedAmountLow`](crate::Event::BufferedAmountLow).
    #[error("send buffer full")]
    BufferFull,
    /// The stream is being reset: it takes no more messages until the reset is done.
    #[error("stream {0} is being reset")]
    StreamResetting(u16),
    /// The association is shutting down or closed.
    #[error("association is shutting down or closed")]
    Closed,
}
