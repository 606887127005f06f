//! Counters and state of an association, for stats and for tests.

use std::time::Duration;

/// What an [`Association`](crate::Association) did and dropped, and its congestion state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Packets sent.
    pub packets_sent: u64,
    /// Packets received that parsed (checksum included).
    pub packets_received: u64,
    /// DATA chunks sent for the first time.
    pub data_chunks_sent: u64,
    /// DATA chunks received for the first time.
    pub data_chunks_received: u64,
    /// Payload bytes sent for the first time.
    pub bytes_sent: u64,
    /// Payload bytes received for the first time.
    pub bytes_received: u64,
    /// Whole messages delivered.
    pub messages_received: u64,
    /// DATA chunks sent again (fast retransmit or T3-rtx).
    pub retransmitted_chunks: u64,
    /// Messages given up by partial reliability after they were sent.
    pub abandoned_messages: u64,
    /// Messages whose lifetime ended before they were sent.
    pub expired_unsent: u64,
    /// Duplicate DATA chunks received.
    pub duplicates_received: u64,
    /// Packets that did not parse (short, bad checksum, bad framing) or chunks that broke
    /// the rules.
    pub dropped_malformed: u64,
    /// Packets with the wrong verification tag or ports.
    pub dropped_bad_tag: u64,
    /// COOKIE ECHOs with a cookie we did not issue, or that expired.
    pub dropped_bad_cookie: u64,
    /// DATA that arrived in a state that takes none.
    pub dropped_out_of_state: u64,
    /// DATA beyond the receive window or the TSN window.
    pub dropped_out_of_window: u64,
    /// Messages larger than the limit, dropped in reassembly.
    pub dropped_too_large: u64,
    /// Chunks of a type we do not know.
    pub unknown_chunks: u64,
    /// ERROR chunks received.
    pub errors_received: u64,
    /// Congestion window, bytes.
    pub cwnd: usize,
    /// Slow-start threshold, bytes.
    pub ssthresh: usize,
    /// The peer's receive window less what is in flight, bytes.
    pub peer_rwnd: usize,
    /// Payload bytes in flight.
    pub in_flight: usize,
    /// Chunks sent and not acknowledged cumulatively.
    pub unacked_chunks: usize,
    /// Bytes queued and not yet sent.
    pub queued: usize,
    /// Smoothed round-trip time, once measured.
    pub srtt: Option<Duration>,
    /// Current retransmission timeout.
    pub rto: Duration,
}
