//! Why the driver refused a call.

use std::io;
use std::net::IpAddr;

use thiserror::Error;

/// Why a [`PeerConnection`](super::PeerConnection) or a
/// [`DataChannel`](super::DataChannel) call failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The sans-IO core refused the call (the caller's or the remote side's fault, see
    /// [`Error::is_remote_fault`](crate::Error::is_remote_fault)).
    #[error(transparent)]
    Peer(#[from] crate::Error),
    /// No address to bind a UDP socket on: the machine has no interface that is up (not
    /// even loopback) that [`DriverConfig::interface_policy`](super::DriverConfig::interface_policy)
    /// keeps.
    #[error("no interface to bind a UDP socket on")]
    NoInterfaces,
    /// The machine's interfaces could not be listed (getifaddrs(3) failed).
    #[error("cannot list the network interfaces: {0}")]
    ListInterfaces(io::Error),
    /// An unspecified address (`0.0.0.0`, `::`) cannot be a host candidate: name the
    /// interface's own address.
    #[error("{0} is unspecified: give the interface's own address")]
    UnspecifiedAddress(IpAddr),
    /// An ICE server URL of
    /// [`DriverConfig::ice_servers`](super::DriverConfig::ice_servers) was refused.
    #[error(transparent)]
    IceServer(#[from] super::IceServerError),
    /// The port range is empty (its start is above its end).
    #[error("empty port range {0}..={1}")]
    EmptyPortRange(u16, u16),
    /// No port of the range could be bound on this address.
    #[error("cannot bind a UDP socket on {address}: {source}")]
    Bind {
        /// The interface address.
        address: IpAddr,
        /// The last error the OS gave.
        source: io::Error,
    },
    /// [`PeerConnection::new`](super::PeerConnection::new) was called outside a tokio
    /// runtime: the connection's task runs on the runtime it is created from.
    #[error("PeerConnection::new must be called from within a tokio runtime")]
    NoRuntime,
    /// The connection task is gone: the connection was closed (by
    /// [`PeerConnection::close`](super::PeerConnection::close) or because every handle
    /// was dropped), or the runtime shut down.
    #[error("peer connection closed")]
    Closed,
    /// The data channel is closed (or closing).
    #[error("data channel closed")]
    ChannelClosed,
    /// The audio layer could not encode (no negotiated codec it can encode, bad PCM).
    #[error("audio: {0}")]
    Audio(#[from] rtcweb_media::CodecError),
    /// The audio processing settings were refused.
    #[error("audio processing: {0}")]
    AudioProcessing(#[from] rtcweb_audio_processing::ConfigError),
    /// The video layer could not encode (no negotiated codec this build encodes, an
    /// encoder failure).
    #[error("video: {0}")]
    Video(rtcweb_media::CodecError),
    /// A codec's thread could not be started.
    #[error("cannot start a codec thread: {0}")]
    Thread(io::Error),
}

impl DriverError {
    /// True when the remote side (its description or candidate) is at fault.
    pub fn is_remote_fault(&self) -> bool {
        matches!(self, Self::Peer(e) if e.is_remote_fault())
    }
}
