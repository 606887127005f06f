//! Settings of an [`Association`](crate::Association).

use std::time::Duration;

/// Settings of an [`Association`](crate::Association). The defaults are those of WebRTC data
/// channels: port 5000, a 1,191-byte packet limit (what fits a 1,280-byte IPv6 path after
/// DTLS, UDP and IP), 65,535 streams, 5 MiB receive window (what Chromium advertises).
#[derive(Debug, Clone)]
pub struct Config {
    /// Our SCTP port (`a=sctp-port`).
    pub local_port: u16,
    /// The peer's SCTP port.
    pub remote_port: u16,
    /// Largest SCTP packet we send (the path MTU less the lower layers' overhead).
    pub mtu: usize,
    /// Receive window we advertise (RFC 9260 §6.2 a_rwnd), and the bound on bytes held for
    /// reassembly and ordering.
    pub max_receive_buffer: usize,
    /// Bytes queued and not yet sent, over all streams; a send beyond it is refused.
    pub max_send_buffer: usize,
    /// Bytes queued and not yet sent, on one stream.
    pub max_send_buffer_per_stream: usize,
    /// Largest message accepted by [`send`](crate::Association::send) (the peer's
    /// `a=max-message-size`, RFC 8841 §6).
    pub max_message_size: usize,
    /// Largest message reassembled on receipt; larger ones are dropped as they arrive,
    /// without being held, and counted.
    pub max_receive_message_size: usize,
    /// RTO.Initial (RFC 9260 §16: 1 s).
    pub rto_initial: Duration,
    /// RTO.Min (RFC 9260 §16: 1 s; real-time stacks use less, dcsctp 220 ms).
    pub rto_min: Duration,
    /// RTO.Max (RFC 9260 §16: 60 s).
    pub rto_max: Duration,
    /// Upper bound of a backed-off timer (RFC 9260 lets it reach RTO.Max, which leaves a lossy
    /// link idle for a minute; a real-time application wants it retried sooner).
    pub max_timer_backoff: Duration,
    /// Association.Max.Retrans (RFC 9260 §8.1): consecutive expirations without any sign of
    /// the peer before the association is given up; `None` never gives up.
    pub max_retransmissions: Option<u32>,
    /// Max.Init.Retransmits (RFC 9260 §5.1): INIT and COOKIE ECHO retransmissions before the
    /// handshake is given up; `None` never gives up.
    pub max_init_retransmits: Option<u32>,
    /// HB.interval (RFC 9260 §8.3): a HEARTBEAT when the association was idle this long;
    /// `None` sends none.
    pub heartbeat_interval: Option<Duration>,
    /// How long an acknowledgement may be delayed (RFC 9260 §6.2: at most 500 ms, 200 ms
    /// recommended).
    pub delayed_ack: Duration,
    /// Seed of the generator of verification tags, initial TSNs and cookies: give each
    /// association fresh entropy (tests give a fixed one to replay exactly).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            local_port: 5000,
            remote_port: 5000,
            mtu: 1191,
            max_receive_buffer: 5 * 1024 * 1024,
            max_send_buffer: 32 * 1024 * 1024,
            max_send_buffer_per_stream: 16 * 1024 * 1024,
            max_message_size: 16 * 1024 * 1024,
            max_receive_message_size: 16 * 1024 * 1024,
            rto_initial: Duration::from_millis(500),
            rto_min: Duration::from_millis(220),
            rto_max: Duration::from_secs(60),
            max_timer_backoff: Duration::from_secs(3),
            max_retransmissions: Some(10),
            max_init_retransmits: Some(8),
            heartbeat_interval: Some(Duration::from_secs(30)),
            delayed_ack: Duration::from_millis(200),
            seed: 0,
        }
    }
}
