//! The sans-IO peer connection: its state, the sans-IO contract and the accessors.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtcweb_common::{Datagram, PacketKind, Transmit};
use rtcweb_datachannel::DataChannels;
use rtcweb_dtls::{Certificate, Connection, HashAlgorithm};
use rtcweb_ice::{Agent, ConnectionState, Credentials, GatheringState, Received};
use rtcweb_sdp::{Negotiator, SessionDescription, SignalingState};

use rtcweb_rtp::AnchoredNtpClock;

use crate::channels::Channels;
use crate::media::Media;
use crate::{
    Config, DtlsState, Error, Event, FailureReason, IceConnectionState, PeerConnectionState, Stats,
};

/// One WebRTC peer connection, sans-IO: the ICE agent, the DTLS connection, the SRTP
/// session, the data channels (SCTP) and the JSEP negotiator, and the routing between them.
///
/// See the [crate documentation](crate) for the drive loop.
#[derive(Debug)]
pub struct Peer {
    pub(crate) config: Config,
    pub(crate) rng: StdRng,
    /// The time origin given to [`Peer::new`] (the SCTP layer's clock starts here).
    pub(crate) epoch: Instant,
    pub(crate) certificate: Certificate,
    pub(crate) ice_credentials: Credentials,
    pub(crate) negotiator: Negotiator,
    /// The last offer and answer we created, as text and as the negotiator's value.
    pub(crate) created_offer: Option<(String, SessionDescription)>,
    pub(crate) created_answer: Option<(String, SessionDescription)>,
    pub(crate) local_addresses: Vec<SocketAddr>,
    /// The owner's ICE-TCP listeners ([`add_local_tcp_listener`](Peer::add_local_tcp_listener)).
    pub(crate) local_tcp_listeners: Vec<SocketAddr>,
    /// The mDNS names our host addresses are signalled under
    /// ([`publish_mdns_name`](Peer::publish_mdns_name)); at most one per address.
    pub(crate) mdns_names: Vec<(IpAddr, String)>,
    /// Made when our role is known: at `set_local_description(offer)` (controlling) or
    /// `set_remote_description(offer)` (controlled), RFC 8445 §6.1.1.
    pub(crate) ice: Option<Agent>,
    /// The BUNDLE tag of our description: the `sdpMid` of our candidates.
    pub(crate) local_mid: Option<String>,
    pub(crate) data_requested: bool,
    /// From the negotiation: our DTLS role and the fingerprints the peer's certificate must
    /// match.
    pub(crate) dtls_role: Option<rtcweb_sdp::DtlsRole>,
    pub(crate) remote_fingerprints: Vec<rtcweb_dtls::Fingerprint>,
    pub(crate) dtls: Option<Connection>,
    pub(crate) srtp: Option<rtcweb_srtp::Session>,
    pub(crate) sctp: Option<DataChannels>,
    /// `connect` was called on the association (DTLS is up).
    pub(crate) sctp_started: bool,
    /// The association's seed, fixed at creation (see [`snap_init`]).
    pub(crate) sctp_seed: u64,
    /// SNAP: the peer's INIT from its `a=sctp-init`, when both descriptions carried one;
    /// the association starts from it instead of the handshake.
    pub(crate) remote_sctp_init: Option<Vec<u8>>,
    /// The SCTP packet being handed to DTLS, kept between packets.
    pub(crate) sctp_packet: Vec<u8>,
    pub(crate) channels: Channels,
    /// DTLS datagrams waiting for ICE to select a pair.
    pub(crate) pending_dtls: VecDeque<Vec<u8>>,
    /// ICE selected a pair: `pending_dtls` goes out once DTLS has been drained, so that a
    /// handshake that completed with the same input drops what it no longer needs first.
    pub(crate) pending_dtls_due: bool,
    /// The DTLS handshake's ephemeral keys, made with the peer so that the signalling
    /// calls that start DTLS do not make them; taken by the connection.
    pub(crate) dtls_keys: Option<rtcweb_dtls::PreparedKeys>,
    /// SPED: the first datagrams of a DTLS flight whose rest is still to come (a DTLS 1.3
    /// server's ServerHello): the flight rides in the checks whole, once it is complete.
    pub(crate) sped_partial: Vec<Vec<u8>>,
    /// SPED: DTLS datagrams the peer attached to its checks before our DTLS connection
    /// existed (its ClientHello can come before its answer), fed to DTLS when it starts.
    pub(crate) early_dtls: VecDeque<Vec<u8>>,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
    pub(crate) ice_state: IceConnectionState,
    pub(crate) gathering_state: GatheringState,
    pub(crate) dtls_state: DtlsState,
    pub(crate) state: PeerConnectionState,
    pub(crate) failure: Option<FailureReason>,
    pub(crate) closed: bool,
    pub(crate) stats: Stats,
    /// Framing buffer for data sent through a TURN relay.
    pub(crate) relay_buf: Vec<u8>,
    /// SRTP unprotects in place: a copy of the datagram goes here.
    pub(crate) media_buf: Vec<u8>,
    /// Audio and video tracks, and their RTCP.
    pub(crate) media: Media,
    /// The DTLS cipher suite's IANA name and the peer's DER certificate, once connected.
    pub(crate) dtls_cipher: Option<&'static str>,
    /// The negotiated DTLS version and key exchange group, once connected.
    pub(crate) dtls_version: Option<rtcweb_dtls::ProtocolVersion>,
    pub(crate) dtls_group: Option<rtcweb_dtls::NamedGroup>,
    pub(crate) remote_certificate: Option<Vec<u8>>,
}

impl Peer {
    /// A new peer connection; `now` is its time origin. Generates a certificate unless
    /// [`Config::certificate`] gives one. Nothing is sent until descriptions are applied.
    pub fn new(config: Config, now: Instant) -> Result<Self, Error> {
        let congestion_control = config.congestion_control;
        let certificate = match &config.certificate {
            Some(c) => c.clone(),
            None => Certificate::generate()?,
        };
        let mut rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        // One set of credentials for the agent and the descriptions (RFC 8839 §5.4).
        let ice_credentials = Credentials::random(&mut rng);
        let fingerprint = certificate.fingerprint(HashAlgorithm::Sha256);
        let mut sdp_config = rtcweb_sdp::Config::new(rtcweb_sdp::Fingerprint::new(
            rtcweb_sdp::HashAlgorithm::Sha256,
            fingerprint.value,
        ));
        sdp_config.ice_credentials = Some(ice_credentials.clone());
        sdp_config.seed = Some(rng.random());
        // The association's seed is drawn now: its INIT (tag, initial TSN) goes into every
        // description for SNAP, and the association made at negotiation must match it.
        let sctp_seed: u64 = rng.random();
        if config.snap {
            sdp_config.sctp_init = Some(snap_init(sctp_seed, sdp_config.max_message_size, now));
        }
        if config.sped {
            sdp_config.ice_options = Self::SPED_ICE_OPTIONS
                .iter()
                .map(|o| rtcweb_sdp::IceOption::Other((*o).to_owned()))
                .collect();
        }
        sdp_config.audio_codecs = config.audio_codecs.clone();
        sdp_config.video_codecs = config.video_codecs.clone();
        let negotiator = Negotiator::new(sdp_config)?;
        let max_channels = config.max_data_channels;
        let media_seed: u64 = rng.random();
        let dtls_keys = rtcweb_dtls::PreparedKeys::generate(&crate::routing::dtls_config(
            &certificate,
            Vec::new(),
            config.dtls_versions,
        ));
        let wallclock = config.wallclock.unwrap_or_default();
        Ok(Self {
            config,
            rng,
            epoch: now,
            certificate,
            ice_credentials,
            negotiator,
            created_offer: None,
            created_answer: None,
            local_addresses: Vec::new(),
            local_tcp_listeners: Vec::new(),
            mdns_names: Vec::new(),
            ice: None,
            local_mid: None,
            data_requested: false,
            dtls_role: None,
            remote_fingerprints: Vec::new(),
            dtls: None,
            srtp: None,
            sctp: None,
            sctp_started: false,
            sctp_seed,
            remote_sctp_init: None,
            sctp_packet: Vec::new(),
            channels: Channels::new(max_channels),
            pending_dtls: VecDeque::new(),
            pending_dtls_due: false,
            dtls_keys: Some(dtls_keys),
            sped_partial: Vec::new(),
            early_dtls: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            ice_state: ConnectionState::New,
            gathering_state: GatheringState::New,
            dtls_state: DtlsState::New,
            state: PeerConnectionState::New,
            failure: None,
            closed: false,
            stats: Stats::default(),
            relay_buf: Vec::new(),
            media_buf: Vec::new(),
            media: Media::new(
                AnchoredNtpClock::new(now, wallclock),
                media_seed,
                congestion_control,
            ),
            dtls_cipher: None,
            dtls_version: None,
            dtls_group: None,
            remote_certificate: None,
        })
    }

    /// Adds a local host address (one UDP socket the owner opened). Candidates are gathered
    /// from it once a description is applied, or at once if gathering has started.
    pub fn add_local_address(&mut self, now: Instant, address: SocketAddr) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.local_addresses.contains(&address) {
            return Err(rtcweb_ice::IceError::DuplicateSocket(address).into());
        }
        if let Some(agent) = self.ice.as_mut() {
            agent.add_local_socket(now, address)?;
        } else if self.local_addresses.len() >= rtcweb_ice::Config::default().max_sockets {
            return Err(rtcweb_ice::IceError::TooManySockets(self.local_addresses.len()).into());
        }
        self.local_addresses.push(address);
        self.drive(now);
        Ok(())
    }

    /// Adds an ICE-TCP listener (RFC 6544) the owner opened on one of its host addresses:
    /// a passive TCP host candidate at it and an active one on its IP (port 9 in SDP) are
    /// gathered with the UDP ones. The owner carries each datagram of an ICE-TCP
    /// connection in an RFC 4571 frame, names connections as
    /// [`rtcweb_ice::Agent::add_tcp_listener`] says, feeds what it reads to
    /// [`handle_datagram`](Self::handle_datagram) with [`rtcweb_common::Transport::Tcp`],
    /// and opens a connection when a TCP transmit comes from the active candidate's address
    /// and none is open to its destination. DTLS, SRTP and SCTP run over the selected TCP
    /// pair as over UDP.
    pub fn add_local_tcp_listener(
        &mut self,
        now: Instant,
        listener: SocketAddr,
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.local_tcp_listeners.contains(&listener) {
            return Err(rtcweb_ice::IceError::DuplicateSocket(listener).into());
        }
        if let Some(agent) = self.ice.as_mut() {
            agent.add_tcp_listener(now, listener)?;
        } else if self.local_addresses.len() + self.local_tcp_listeners.len()
            >= rtcweb_ice::Config::default().max_sockets
        {
            return Err(
                rtcweb_ice::IceError::TooManySockets(self.local_tcp_listeners.len()).into(),
            );
        }
        self.local_tcp_listeners.push(listener);
        self.drive(now);
        Ok(())
    }

    /// Removes an ICE-TCP listener given to
    /// [`add_local_tcp_listener`](Self::add_local_tcp_listener) (its interface went away):
    /// its candidates and their pairs are dropped, as
    /// [`remove_local_address`](Self::remove_local_address) does for a socket.
    pub fn remove_local_tcp_listener(&mut self, now: Instant, listener: SocketAddr) {
        self.local_tcp_listeners.retain(|a| *a != listener);
        if let Some(agent) = self.ice.as_mut() {
            agent.remove_tcp_listener(now, listener);
        }
        self.drive(now);
    }

    /// Whether the owner's ICE-TCP connection between `local` and `remote` (named as for
    /// [`add_local_tcp_listener`](Self::add_local_tcp_listener)) has carried an
    /// authenticated ICE check (or an answer to one of ours); see
    /// [`rtcweb_ice::Agent::tcp_connection_checked`]. An accepted connection that never does
    /// may be closed to make room.
    pub fn tcp_connection_checked(&self, local: SocketAddr, remote: SocketAddr) -> bool {
        self.ice
            .as_ref()
            .is_some_and(|agent| agent.tcp_connection_checked(local, remote))
    }

    /// The owner's ICE-TCP connection between `local` and `remote` (named as for
    /// [`add_local_tcp_listener`](Self::add_local_tcp_listener)) closed or could not be
    /// opened: the candidate pairs on it fail at once (RFC 6544 §7.1).
    pub fn tcp_connection_closed(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr) {
        if let Some(agent) = self.ice.as_mut() {
            agent.stream_closed(now, local, remote);
        }
        self.drive(now);
    }

    /// Removes a socket address given to
    /// [`add_local_address`](Self::add_local_address) (its interface went away): its
    /// candidates and their pairs are dropped; if the selected pair used it, another
    /// nominated pair takes over, or the connection waits for an ICE restart
    /// ([`restart_ice`](Self::restart_ice)). Unknown addresses are ignored.
    pub fn remove_local_address(&mut self, now: Instant, address: SocketAddr) {
        self.local_addresses.retain(|a| *a != address);
        if let Some(agent) = self.ice.as_mut() {
            agent.remove_local_socket(now, address);
        }
        self.drive(now);
    }

    /// Signals the host address `ip` as the mDNS name `name` (a `<uuid v4>.local` name the
    /// owner answers multicast DNS queries for, draft-ietf-mmusic-mdns-ice-candidates §3.1):
    /// from now on every local host candidate on `ip`, in descriptions and in
    /// [`Event::LocalCandidate`], carries `name` instead of the address, and once any name
    /// is published, server-reflexive candidates carry `raddr 0.0.0.0` (`::`) and `rport 0`
    /// and no candidate's related address is a published host address. Give names before
    /// the descriptions that gather on `ip`; candidates already signalled keep what they
    /// said. An address keeps its first name for the connection's life: naming it again
    /// is ignored. At most as many names as the ICE agent has sockets
    /// (`rtcweb_ice::Config::max_sockets`).
    pub fn publish_mdns_name(&mut self, ip: IpAddr, name: &str) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.mdns_names.iter().any(|(a, _)| *a == ip) {
            return Ok(());
        }
        let max = rtcweb_ice::Config::default().max_sockets;
        if self.mdns_names.len() >= max {
            return Err(rtcweb_ice::IceError::TooManySockets(self.mdns_names.len()).into());
        }
        self.mdns_names.push((ip, name.to_owned()));
        Ok(())
    }

    /// The owner resolved the mDNS name of a remote candidate ([`Event::ResolveMdns`]).
    pub fn resolve_mdns(&mut self, now: Instant, name: &str, ip: IpAddr) {
        if let Some(agent) = self.ice.as_mut() {
            agent.resolve_mdns(now, name, ip);
        }
        self.drive(now);
    }

    /// Feeds one datagram that arrived on one of our sockets. It is demultiplexed by its
    /// first byte (RFC 7983 §7): STUN and TURN go to the ICE agent; DTLS and SRTP on the
    /// validated pair come back from it and go to DTLS (then SCTP) or SRTP. Bytes read from
    /// a TCP or TLS connection to a TURN server go to the agent as they are.
    pub fn handle_datagram(&mut self, now: Instant, datagram: Datagram<'_>) {
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += datagram.contents.len() as u64;
        if self.closed {
            return;
        }
        // RFC 7983 demultiplexing applies to datagrams. A piece of a TCP or TLS stream to a
        // TURN server may begin anywhere in a message: it goes to the TURN client's framing
        // whatever its first byte (RFC 8656 §12.5).
        if !datagram.transport.is_stream()
            && matches!(
                PacketKind::of(datagram.contents),
                PacketKind::Zrtp | PacketKind::Unknown
            )
        {
            self.stats.datagrams_unknown += 1;
            return;
        }
        let Some(agent) = self.ice.as_mut() else {
            self.stats.datagrams_rejected += 1;
            return;
        };
        match agent.handle_datagram(now, datagram) {
            Received::Data { contents, .. } => self.route_payload(now, contents),
            Received::Consumed => {}
            Received::Rejected => self.stats.datagrams_rejected += 1,
        }
        self.drive(now);
    }

    /// Time passed: ICE checks and consent, DTLS retransmissions, SCTP timers. Safe to call
    /// early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(agent) = self.ice.as_mut() {
            agent.handle_timeout(now);
        }
        if let Some(dtls) = self.dtls.as_mut() {
            dtls.handle_timeout(now);
        }
        if let Some(sctp) = self.sctp.as_mut() {
            sctp.handle_timeout(now);
        }
        if !self.closed {
            self.media_timeout(now);
        }
        self.drive(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ice = self.ice.as_ref().and_then(Agent::poll_timeout);
        if self.closed {
            return ice;
        }
        let dtls = self.dtls.as_ref().and_then(Connection::poll_timeout);
        let sctp = self.sctp.as_ref().and_then(DataChannels::poll_timeout);
        let media = self.media.poll_timeout();
        [ice, dtls, sctp, media].into_iter().flatten().min()
    }

    /// The next datagram to send, with the local socket to send it from.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.transmits.pop_front()?;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += t.bytes().len() as u64;
        Some(t)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// W3C `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.state
    }

    /// W3C `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.ice_state
    }

    /// W3C `iceGatheringState`.
    pub fn ice_gathering_state(&self) -> GatheringState {
        self.gathering_state
    }

    /// W3C `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        self.negotiator.state()
    }

    /// The DTLS transport state.
    pub fn dtls_state(&self) -> DtlsState {
        self.dtls_state
    }

    /// Why the connection failed, once it did.
    pub fn failure(&self) -> Option<&FailureReason> {
        self.failure.as_ref()
    }

    /// Our certificate's SHA-256 fingerprint, as our descriptions carry it.
    pub fn fingerprint(&self) -> rtcweb_dtls::Fingerprint {
        self.certificate.fingerprint(HashAlgorithm::Sha256)
    }

    /// The SRTP protection profile, once DTLS negotiated one.
    pub fn srtp_profile(&self) -> Option<rtcweb_srtp::Profile> {
        self.srtp.as_ref().map(rtcweb_srtp::Session::profile)
    }

    /// Whether the SCTP association started from the peer's `a=sctp-init` (SNAP,
    /// draft-hancke-tsvwg-snap), without the INIT/COOKIE handshake: both descriptions
    /// carried one and DTLS is up.
    pub fn sctp_snap(&self) -> bool {
        self.sctp_started && self.remote_sctp_init.is_some()
    }

    /// Where SPED (draft-hancke-webrtc-sped, [`Config::sped`]) stands: `None` before the
    /// ICE agent exists.
    pub fn sped_state(&self) -> Option<rtcweb_ice::SpedState> {
        self.ice.as_ref().map(Agent::sped_state)
    }

    /// Counters of the SPED attributes the ICE agent sent and received: how many checks
    /// and responses carried a DTLS datagram each way.
    pub fn sped_stats(&self) -> rtcweb_ice::SpedStats {
        self.ice.as_ref().map(Agent::sped_stats).unwrap_or_default()
    }

    /// Whether the DTLS handshake rode in the ICE checks (SPED): DTLS datagrams went both
    /// ways inside STUN.
    pub fn sped_used(&self) -> bool {
        let s = self.sped_stats();
        s.data_sent > 0 && s.data_received > 0
    }

    /// The DTLS cipher suite's IANA name, once DTLS connected (webrtc-stats `dtlsCipher`).
    pub fn dtls_cipher(&self) -> Option<&'static str> {
        self.dtls_cipher
    }

    /// The DTLS version once connected: webrtc-stats `tlsVersion` is its bytes in hex,
    /// "FEFC" for DTLS 1.3, "FEFD" for DTLS 1.2.
    pub fn dtls_version(&self) -> Option<rtcweb_dtls::ProtocolVersion> {
        self.dtls_version
    }

    /// The key exchange group of the DTLS handshake once connected (X25519MLKEM768 with a
    /// browser that has it).
    pub fn dtls_group(&self) -> Option<rtcweb_dtls::NamedGroup> {
        self.dtls_group
    }

    /// The ICE candidate pair in use.
    pub fn selected_candidate_pair(&self) -> Option<rtcweb_ice::SelectedPair> {
        self.ice.as_ref().and_then(Agent::selected_pair)
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Congestion control of what we send, while it runs.
    pub fn congestion_control(&self) -> Option<crate::CongestionControlStats> {
        let side = self.media.send_side.as_ref()?;
        Some(crate::CongestionControlStats {
            target: side.target(),
            estimator: side.stats(),
            pacer: side.pacer_stats(),
            packets_dropped: side.dropped,
            packets_unstamped: side.unstamped,
        })
    }

    /// Closes the connection (W3C `close()`): every data channel closes, SCTP is shut down
    /// and DTLS sends close_notify (RFC 5246 §7.2.1), the ICE agent stops (and releases
    /// TURN allocations), the negotiator refuses everything from now on.
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        // Our senders leave (RFC 3550 §6.6), then SCTP and DTLS.
        self.media.bye_all();
        self.flush_media(now);
        self.closed = true;
        if let Some(sctp) = self.sctp.as_mut() {
            sctp.close(now);
        }
        self.drive(now);
        if let Some(dtls) = self.dtls.as_mut() {
            dtls.close(now);
        }
        self.drive(now);
        self.close_all_channels();
        self.sctp = None;
        if let Some(agent) = self.ice.as_mut() {
            agent.close(now);
        }
        self.negotiator.close();
        self.closed = true;
        self.drive(now);
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        if self.events.len() >= self.config.max_queued_events {
            self.stats.events_dropped += 1;
            return;
        }
        self.events.push_back(event);
    }
}

/// The data channels' settings, shared by the association made at negotiation and the SNAP
/// INIT written before it exists: its tag, initial TSN and window come from these.
pub(crate) fn data_channels_config(
    seed: u64,
    local_max_message_size: u64,
) -> rtcweb_datachannel::Config {
    rtcweb_datachannel::Config {
        local_max_message_size: usize::try_from(local_max_message_size).unwrap_or(usize::MAX),
        seed,
        ..rtcweb_datachannel::Config::default()
    }
}

/// Our SCTP INIT chunk for `a=sctp-init` (SNAP): the one the association made at
/// negotiation with the same seed and message size will have.
fn snap_init(seed: u64, local_max_message_size: u64, now: Instant) -> Vec<u8> {
    DataChannels::new(data_channels_config(seed, local_max_message_size), now).snap_init()
}
