//! Counters of what the peer dropped or carried.

/// Counters, for statistics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams handed to [`Peer::handle_datagram`](crate::Peer::handle_datagram).
    pub datagrams_received: u64,
    /// Bytes in those datagrams.
    pub bytes_received: u64,
    /// Datagrams handed out by [`Peer::poll_transmit`](crate::Peer::poll_transmit).
    pub datagrams_sent: u64,
    /// Bytes in them.
    pub bytes_sent: u64,
    /// Data channels that opened (ours and the peer's).
    pub data_channels_opened: u64,
    /// Data channels that closed.
    pub data_channels_closed: u64,
    /// Datagrams whose first byte is no protocol of ours (RFC 7983 §7): dropped.
    pub datagrams_unknown: u64,
    /// Datagrams the ICE agent refused (not STUN and not from a validated pair), or that
    /// came before there was an agent: dropped.
    pub datagrams_rejected: u64,
    /// DTLS records that came before the DTLS connection existed: dropped (the peer
    /// retransmits its flight).
    pub dtls_dropped: u64,
    /// DTLS datagrams that could not be held until ICE selected a pair.
    pub dtls_pending_dropped: u64,
    /// SCTP packets that DTLS refused to carry (closed, or not connected).
    pub sctp_dropped: u64,
    /// SRTP packets that authenticated (then routed to their transceiver, see
    /// [`Peer::transceiver_stats`](crate::Peer::transceiver_stats)).
    pub rtp_received: u64,
    /// SRTCP packets that authenticated.
    pub rtcp_received: u64,
    /// SRTP packets sent.
    pub rtp_sent: u64,
    /// SRTCP packets sent.
    pub rtcp_sent: u64,
    /// Media frames or reports not sent: before the connection was up, or refused by SRTP
    /// or ICE.
    pub media_not_sent: u64,
    /// SRTP or SRTCP packets that failed authentication, replay or parsing.
    pub srtp_dropped: u64,
    /// RTP or RTCP packets before the SRTP keys existed.
    pub media_before_keys: u64,
    /// Data-channel messages for a stream without a handle.
    pub messages_unrouted: u64,
    /// Transmits dropped because the queue was full.
    pub transmits_dropped: u64,
    /// Events dropped because the queue was full.
    pub events_dropped: u64,
}
