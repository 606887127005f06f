//! What the driver binds, and the core's configuration.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

use super::DriverError;
use super::ice_servers::IceServerConfig;
use super::interfaces::{InterfacePolicy, list_interfaces};
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
    /// (`0.0.0.0`, `::`) are refused, as they make no candidate. Empty (the default): the
    /// machine's interfaces are listed and [`interface_policy`](Self::interface_policy)
    /// chooses, as a browser does.
    pub interfaces: Vec<IpAddr>,
    /// Which of the machine's addresses are gathered on when
    /// [`interfaces`](Self::interfaces) is empty. Default: every interface that is up,
    /// IPv4 and IPv6, except loopback, IPv6 link-local and virtual or VPN adapters;
    /// loopback when nothing else is left.
    pub interface_policy: InterfacePolicy,
    /// How often the machine's interfaces are listed again while the connection lives,
    /// when [`interfaces`](Self::interfaces) is empty: an address that came up gets a
    /// socket and a host candidate, one that went away loses its socket and candidates,
    /// and the connection asks for an ICE restart
    /// ([`PeerConnectionEvent::InterfacesChanged`](super::PeerConnectionEvent::InterfacesChanged),
    /// then `NegotiationNeeded`), as a browser does on a network change. `None`: the
    /// interfaces of the start are kept. Default: every 2 s.
    pub watch_interfaces: Option<Duration>,
    /// STUN and TURN servers by URL (W3C `iceServers`): checked when the connection is
    /// made, host names resolved then (A and AAAA, every address used), added to the
    /// servers of [`peer`](Self::peer) (`Config::ice_servers`, given as addresses).
    pub ice_servers: Vec<IceServerConfig>,
    /// How long resolving the host names of [`ice_servers`](Self::ice_servers) may take
    /// (all are looked up at once); a name without an answer by then is reported with
    /// [`PeerConnectionEvent::IceServerUnresolved`](super::PeerConnectionEvent::IceServerUnresolved).
    pub resolve_timeout: Duration,
    /// The UDP ports to try, lowest first; `None` lets the OS choose. ICE-TCP listeners
    /// take theirs from the same range.
    pub port_range: Option<RangeInclusive<u16>>,
    /// ICE-TCP (RFC 6544), as browsers gather it: a TCP listener beside each UDP socket
    /// gives a passive host candidate, and an active one (port 9 in SDP) connects to the
    /// peer's passive candidates, so that a connection comes up where UDP is blocked
    /// (Chromium connects to our passive candidate, Firefox too; each datagram rides in an
    /// RFC 4571 frame). TCP candidates rank below UDP ones (RFC 6544 §4.2), so UDP is
    /// chosen wherever it works. At most 16 TCP connections per peer connection, 5 s to
    /// open one. On by default; off: UDP candidates only.
    pub ice_tcp: bool,
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
    /// Resolve the peer's `.local` (mDNS) host candidates with a multicast DNS query (A and
    /// AAAA) on the IPv4 and IPv6 interfaces (RFC 6762 §5.1), as browsers obfuscate their host addresses. The
    /// [`PeerConnectionEvent::ResolveMdns`](super::PeerConnectionEvent::ResolveMdns) event
    /// comes either way.
    pub resolve_mdns: bool,
    /// Publish our host candidates under random `<uuid v4>.local` names instead of their
    /// addresses, as browsers do (draft-ietf-mmusic-mdns-ice-candidates §3.1): one name per
    /// host address, kept for the connection's life; the signalled candidates (SDP and
    /// [`PeerConnectionEvent::LocalCandidate`](super::PeerConnectionEvent::LocalCandidate))
    /// carry the name, server-reflexive ones `raddr 0.0.0.0 rport 0`, and the driver
    /// answers the multicast DNS queries for the names (A or AAAA, RFC 6762 §6) on
    /// 224.0.0.251:5353 and \[ff02::fb\]:5353, each only on the interface its address is
    /// on, while the connection lives. The port is shared (SO_REUSEADDR, SO_REUSEPORT) with
    /// the host's other responders and peers.
    ///
    /// Off by default, unlike browsers: a name is useful only to a peer that resolves it by
    /// multicast on the same link. Servers, most non-browser stacks, peers on loopback
    /// (which carries no multicast) and peers across a router cannot, and would be left
    /// with peer-reflexive candidates alone, or no connection when both sides hide. Turn it
    /// on for peer-to-peer use on a LAN where the host addresses should stay private.
    pub publish_mdns: bool,
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
            interfaces: Vec::new(),
            interface_policy: InterfacePolicy::default(),
            watch_interfaces: Some(Duration::from_secs(2)),
            ice_servers: Vec::new(),
            resolve_timeout: Duration::from_secs(5),
            port_range: None,
            ice_tcp: true,
            send_high_water: 1 << 20,
            send_low_water: 256 << 10,
            command_queue: 256,
            receive_queue_messages: 1024,
            receive_queue_bytes: 16 << 20,
            event_queue: 256,
            resolve_mdns: true,
            publish_mdns: false,
            decode_audio: true,
        }
    }
}

impl DriverConfig {
    /// The default settings on `127.0.0.1` only: two peers on one machine, or a browser
    /// beside the application.
    pub fn loopback() -> Self {
        Self {
            interfaces: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            ..Self::default()
        }
    }

    /// The addresses to bind, port 0: [`interfaces`](Self::interfaces) as given, or the
    /// machine's that [`interface_policy`](Self::interface_policy) chooses.
    pub(crate) fn bind_addresses(&self) -> Result<Vec<SocketAddr>, DriverError> {
        if !self.interfaces.is_empty() {
            return Ok(self
                .interfaces
                .iter()
                .map(|&ip| SocketAddr::new(ip, 0))
                .collect());
        }
        let all = list_interfaces().map_err(DriverError::ListInterfaces)?;
        let chosen = self.interface_policy.select(&all);
        if chosen.is_empty() {
            return Err(DriverError::NoInterfaces);
        }
        Ok(chosen.iter().map(|a| a.bind_address()).collect())
    }
}
