//! Configuration of the TURN client.

use std::net::SocketAddr;
use std::time::Duration;

use rtcweb_common::Transport;
use rtcweb_stun::RetransmitConfig;

use crate::TlsConfig;

/// How to reach and use one TURN server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server's address.
    pub server: SocketAddr,
    /// UDP, TCP, or TLS over TCP. TLS needs [`Config::tls`].
    pub transport: Transport,
    /// Long-term credential username.
    pub username: String,
    /// Long-term credential password.
    pub password: String,
    /// SOFTWARE sent in requests, if any.
    pub software: Option<String>,
    /// Allocation lifetime asked for (RFC 8656 §7.2; servers grant at most 3600 s).
    pub lifetime: Duration,
    /// Retransmission parameters of requests over UDP.
    pub retransmit: RetransmitConfig,
    /// TLS settings, required when `transport` is TLS.
    pub tls: Option<TlsConfig>,
    /// Most peer IPs with a permission at once.
    pub max_permissions: usize,
    /// Most channels bound at once.
    pub max_channels: usize,
    /// Most unframed bytes held from a TCP or TLS stream.
    pub max_stream_buffer: usize,
    /// Seed of the random generator for transaction IDs; `None` seeds it from the OS.
    pub seed: Option<u64>,
}

impl Config {
    /// A configuration with the defaults: 600 s lifetime, RFC 8489 retransmissions, 64
    /// permissions, 64 channels, a 128 KiB stream buffer.
    pub fn new(server: SocketAddr, transport: Transport, username: &str, password: &str) -> Self {
        Self {
            server,
            transport,
            username: username.to_owned(),
            password: password.to_owned(),
            software: Some(concat!("rtcweb-turn ", env!("CARGO_PKG_VERSION")).to_owned()),
            lifetime: Duration::from_secs(600),
            retransmit: RetransmitConfig::default(),
            tls: None,
            max_permissions: 64,
            max_channels: 64,
            max_stream_buffer: 128 * 1024,
            seed: None,
        }
    }
}
