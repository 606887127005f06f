//! Configuration of the data-channel layer.

use std::time::Duration;

/// Our DTLS role: the DTLS client uses even stream ids, the server odd ones (RFC 8832 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// DTLS client: even ids.
    Client,
    /// DTLS server: odd ids.
    Server,
}

/// Settings of [`DataChannels`](crate::DataChannels).
#[derive(Debug, Clone)]
pub struct Config {
    /// Our DTLS role (picks the stream-id parity).
    pub role: DtlsRole,
    /// Our SCTP port (`a=sctp-port`, 5000 by default).
    pub local_port: u16,
    /// The peer's SCTP port.
    pub remote_port: u16,
    /// Largest message we send: the peer's `a=max-message-size` (RFC 8841 §6; 64 KiB when
    /// the peer does not say, 0 meaning no limit is mapped to [`MAX_MESSAGE_SIZE`]).
    ///
    /// [`MAX_MESSAGE_SIZE`]: crate::MAX_MESSAGE_SIZE
    pub remote_max_message_size: usize,
    /// Largest message we accept (what we advertise in `a=max-message-size`); larger ones
    /// are dropped and counted.
    pub local_max_message_size: usize,
    /// SCTP packet size limit (before DTLS, UDP and IP overhead).
    pub mtu: usize,
    /// Most channels at once.
    pub max_channels: usize,
    /// Send buffer limit per channel, in bytes.
    pub max_buffered_per_channel: usize,
    /// Send buffer limit of all channels together, in bytes.
    pub max_buffered_total: usize,
    /// Bytes of messages held for streams whose channel is not open yet.
    pub max_held_bytes: usize,
    /// SCTP heartbeat interval on an idle association.
    pub heartbeat_interval: Duration,
    /// Upper bound of the exponentially backed-off retransmission timers (T1, T3-rtx, ...):
    /// RFC 9260 lets RTO grow to 60 s, which leaves a lossy link idle for a minute; a
    /// real-time application wants it retried sooner (3 s by default).
    pub max_timer_backoff: Option<Duration>,
    /// Seed of SCTP's verification tags, initial TSNs and cookies: fresh entropy per
    /// association (tests give a fixed one to replay exactly).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            role: DtlsRole::Client,
            local_port: 5000,
            remote_port: 5000,
            remote_max_message_size: 65_536,
            local_max_message_size: 256 * 1024,
            mtu: 1191,
            max_channels: 4096,
            max_buffered_per_channel: 16 * 1024 * 1024,
            max_buffered_total: 32 * 1024 * 1024,
            max_held_bytes: 1024 * 1024,
            heartbeat_interval: Duration::from_secs(30),
            max_timer_backoff: Some(Duration::from_secs(3)),
            seed: 0,
        }
    }
}
