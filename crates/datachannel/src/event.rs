//! What the data-channel layer tells its owner.

use crate::{ChannelInfo, Message};

/// Why the association ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// Shut down in an orderly way (by us or the peer).
    Shutdown,
    /// Aborted by the peer, by us, or after too many retransmissions; SCTP's reason.
    Aborted(String),
}

/// Events, drained with [`DataChannels::poll_event`](crate::DataChannels::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The SCTP association is established.
    Connected,
    /// One of our channels is open (its ACK came, or it is pre-negotiated and the
    /// association is up).
    ChannelOpen {
        /// Stream id.
        id: u16,
    },
    /// The peer opened a channel (DATA_CHANNEL_OPEN received and acknowledged): it is open.
    IncomingChannel(ChannelInfo),
    /// A message on an open channel.
    Message {
        /// Stream id.
        id: u16,
        /// The message.
        message: Message,
    },
    /// The channel's buffered amount fell to its low threshold.
    BufferedAmountLow {
        /// Stream id.
        id: u16,
    },
    /// The peer started closing the channel (it reset its stream); ours is being reset too.
    ChannelClosing {
        /// Stream id.
        id: u16,
    },
    /// Both directions of the channel are reset; the id is free.
    ChannelClosed {
        /// Stream id.
        id: u16,
    },
    /// The association ended; every channel was closed before this event.
    Closed(CloseReason),
}
