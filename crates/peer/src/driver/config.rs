//! What the driver binds, and the core's configuration.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;

use crate::Config;

/// Settings of a driver-backed [`PeerConnection`](super::PeerConnection): the sans-IO
/// core's [`Config`] plus what the driver binds (W3C `RTCConfiguration` with the
/// interface and port choices browsers make themselves).
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// The core's settings: certificate, ICE servers and policy, seed, bounds.
    pub peer: Config,
    /// One UDP socket is bound on each of these addresses (IPv4 or IPv6), and each becomes
    /// a host candidate. Give the interfaces' own addresses; unspecified addresses
    /// (`0.0.0.0`, `::`) are refused, as they make no candidate. Default: `127.0.0.1`.
    pub interfaces: Vec<IpAddr>,
    /// The UDP ports to try, lowest first; `None` lets the OS choose.
    pub port_range: Option<RangeInclusive<u16>>,
    /// Bytes queued on a data channel above which
    /// [`DataChannel::send`](super::DataChannel::send) waits until the queue has drained
    /// to [`send_low_water`](Self::send_low_water): the backpressure of the async send.
    pub send_high_water: usize,
    /// See [`send_high_water`](Self::send_high_water).
    pub send_low_water: usize,
    /// Most commands queued from the handles to the connection task; more make the
    /// callers wait.
    pub command_queue: usize,
    /// Most received messages queued on one data channel's handle for
    /// [`DataChannel::recv`](super::DataChannel::recv). When a channel's queue is full the
    /// connection stops reading its sockets until the application reads (see the
    /// [module docs](super)): nothing is dropped, the peer's SCTP waits.
    pub receive_queue_messages: usize,
    /// Most bytes of received messages queued on one data channel's handle (a message
    /// larger than this still goes through, alone). See
    /// [`receive_queue_messages`](Self::receive_queue_messages).
    pub receive_queue_bytes: usize,
    /// Most [`PeerConnectionEvent`](super::PeerConnectionEvent)s queued on the
    /// [`Events`](super::Events) stream. Past it, state changes are coalesced to the latest
    /// of each kind and other events make the connection stop reading its sockets until
    /// the application reads events.
    pub event_queue: usize,
    /// Resolve the peer's `.local` (mDNS) host candidates with a multicast DNS query on the
    /// IPv4 interfaces (RFC 6762 §5.1), as browsers obfuscate their host addresses. The
    /// [`PeerConnectionEvent::ResolveMdns`](super::PeerConnectionEvent::ResolveMdns) event
    /// comes either way.
    pub resolve_mdns: bool,
    /// Decode remote audio with the audio layer (jitter buffer, Opus or G.711): remote
    /// audio comes as
    /// [`PeerConnectionEvent::AudioTrack`](super::PeerConnectionEvent::AudioTrack) with PCM.
    /// Off: it comes encoded, as
    /// [`PeerConnectionEvent::Track`](super::PeerConnectionEvent::Track). On by default.
    pub decode_audio: bool,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            peer: Config::default(),
            interfaces: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            port_range: None,
            send_high_water: 1 << 20,
            send_low_water: 256 << 10,
            command_queue: 256,
            receive_queue_messages: 1024,
            receive_queue_bytes: 16 << 20,
            event_queue: 256,
            resolve_mdns: true,
            decode_audio: true,
        }
    }
}
