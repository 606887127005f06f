//! What a transceiver sent and received, named as webrtc-stats names it.

use rtcweb_rtp::RemoteReceiveStats;
use rtcweb_sdp::MediaKind;

pub use crate::media::{ReceiveStats as InboundStats, SenderCounters};

/// What a transceiver carries, for [`Peer::transceiver_stats`](crate::Peer::transceiver_stats).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TransceiverStats {
    /// Audio or video.
    pub kind: MediaKind,
    /// The mid of its media section, once negotiated.
    pub mid: Option<String>,
    /// What we sent (webrtc-stats `outbound-rtp` and `remote-inbound-rtp`), while we send.
    pub outbound: Option<OutboundStats>,
    /// What we received (webrtc-stats `inbound-rtp`), while we receive.
    pub inbound: Option<InboundStats>,
}

/// Counters of what we sent on a transceiver (webrtc-stats `outbound-rtp`) and what the
/// peer reported about it (`remote-inbound-rtp`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct OutboundStats {
    /// Our SSRC.
    pub ssrc: u32,
    /// RTP packets sent (`packetsSent`).
    pub packets_sent: u64,
    /// Payload bytes sent (`bytesSent`).
    pub bytes_sent: u64,
    /// Frames, key frames, retransmissions and feedback received.
    pub counters: SenderCounters,
    /// What the peer's receiver reports said.
    pub remote: RemoteReceiveStats,
}

/// Congestion control of what the peer sends (the pacer and the bandwidth estimator),
/// while it runs: the peer negotiated transport-wide feedback and something sends.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct CongestionControlStats {
    /// The estimate and the rates derived from it.
    pub target: rtcweb_cc::TargetRate,
    /// The estimator's state and counters.
    pub estimator: rtcweb_cc::CcStats,
    /// The pacer's queue and counters.
    pub pacer: rtcweb_cc::PacerStats,
    /// RTP packets the pacer had no room for.
    pub packets_dropped: u64,
    /// RTP packets that left without a transport-wide sequence number.
    pub packets_unstamped: u64,
}
