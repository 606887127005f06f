//! A channel's description and state.

use crate::ChannelType;

/// Options of `createDataChannel` (W3C `RTCDataChannelInit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOptions {
    /// Label.
    pub label: String,
    /// Sub-protocol.
    pub protocol: String,
    /// Reliability and ordering.
    pub channel_type: ChannelType,
    /// Priority (RFC 8832 §5.1; W3C: very-low 128, low 256, medium 512, high 1024).
    pub priority: u16,
    /// `negotiated: true` with this id: no DCEP, both sides create the channel themselves
    /// (RFC 8832 §6).
    pub negotiated: Option<u16>,
}

impl ChannelOptions {
    /// A reliable, ordered, in-band channel with this label.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            protocol: String::new(),
            channel_type: ChannelType::RELIABLE,
            priority: 256,
            negotiated: None,
        }
    }
}

/// A channel's state (W3C `RTCDataChannelState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// DATA_CHANNEL_OPEN sent, no ACK yet (or the association is not up).
    Connecting,
    /// Messages flow.
    Open,
    /// A stream reset is in progress (RFC 8831 §6.7).
    Closing,
    /// Both directions reset; the id is free again.
    Closed,
}

/// What is known about a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// The SCTP stream id.
    pub id: u16,
    /// Label.
    pub label: String,
    /// Sub-protocol.
    pub protocol: String,
    /// Reliability and ordering.
    pub channel_type: ChannelType,
    /// Priority.
    pub priority: u16,
    /// Pre-negotiated (no DCEP).
    pub negotiated: bool,
}

#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) info: ChannelInfo,
    pub(crate) state: ChannelState,
    /// Our outgoing stream was reset.
    pub(crate) out_reset: bool,
    /// The peer reset its outgoing stream.
    pub(crate) in_reset: bool,
    /// We sent DATA_CHANNEL_OPEN and no DATA_CHANNEL_ACK (nor data) came back yet: what we
    /// send goes ordered (RFC 8832 §6).
    pub(crate) awaiting_ack: bool,
}
