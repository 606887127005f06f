//! Counters of what a connection received, dropped and sent.

/// Counters, read with [`Connection::stats`](crate::Connection::stats). Dropped input is
/// counted here and otherwise ignored (RFC 6347 §4.1.2.7: invalid records are discarded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams handed to `handle_datagram`.
    pub datagrams_received: u64,
    /// Records parsed from them.
    pub records_received: u64,
    /// Records (or the rest of a datagram) that did not parse.
    pub records_malformed: u64,
    /// Protected records that did not authenticate: tampered, or not for our keys.
    pub records_bad_mac: u64,
    /// Protected records whose sequence number was seen before or is too old.
    pub records_replayed: u64,
    /// Records of an epoch we have no keys for, or of a content type we do not expect.
    pub records_dropped: u64,
    /// Handshake fragments dropped (malformed, inconsistent, over a limit, unexpected).
    pub fragments_dropped: u64,
    /// ClientHellos answered with a HelloVerifyRequest (no state kept).
    pub hello_verify_requests_sent: u64,
    /// Flights sent again (on timer or because the peer retransmitted).
    pub retransmissions: u64,
    /// Datagrams queued for sending.
    pub datagrams_sent: u64,
    /// Application data records delivered.
    pub application_records_received: u64,
    /// Application data records sent.
    pub application_records_sent: u64,
}
