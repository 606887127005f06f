//! Configuration of a peer connection (W3C `RTCConfiguration`, sans-IO part).

use rtcweb_dtls::Certificate;
use rtcweb_ice::{IceServer, TransportPolicy};

/// Settings of a [`Peer`](crate::Peer). `Config::default()` behaves as a browser does.
#[derive(Debug, Clone)]
pub struct Config {
    /// Our DTLS certificate; a fresh self-signed ECDSA P-256 one when `None`
    /// (RFC 8827 §6.5).
    pub certificate: Option<Certificate>,
    /// STUN and TURN servers, addresses resolved by the owner (`iceServers`).
    pub ice_servers: Vec<IceServer>,
    /// Which candidates may be used (`iceTransportPolicy`).
    pub ice_transport_policy: TransportPolicy,
    /// Seed of every random generator (ICE credentials and tie-breaker, SDP ids, DTLS
    /// randoms) for reproducible tests; from the OS when `None`. Certificates and DTLS
    /// ephemeral keys always use the OS generator.
    pub seed: Option<u64>,
    /// Most data channels at once (both sides' together).
    pub max_data_channels: usize,
    /// Most datagrams queued for [`Peer::poll_transmit`](crate::Peer::poll_transmit); more
    /// are dropped and counted, as a full socket buffer would.
    pub max_queued_transmits: usize,
    /// Most events queued for [`Peer::poll_event`](crate::Peer::poll_event); more are dropped
    /// and counted. The owner drains events after every input.
    pub max_queued_events: usize,
    /// Most DTLS datagrams held while ICE has no selected pair yet (the peer's ClientHello
    /// can arrive on a validated pair before our nomination completes).
    pub max_pending_dtls: usize,
    /// The wall-clock time at the `now` given to [`Peer::new`](crate::Peer::new), since the
    /// Unix epoch: the NTP time of RTCP sender reports (RFC 3550 §6.4.1). The core reads no
    /// clock; when `None` reports count from the epoch, which only their absolute value
    /// notices. The driver sets it.
    pub wallclock: Option<std::time::Duration>,
    /// Audio codecs we offer and accept, in order of preference (the codecs of W3C
    /// `RTCRtpSender.getCapabilities`, as `setCodecPreferences` narrows them, for every
    /// transceiver): Opus, PCMU, PCMA and telephone events by default.
    pub audio_codecs: Vec<rtcweb_sdp::CodecCapability>,
    /// Video codecs we offer and accept, in order of preference: VP8, VP9 profile 0 and
    /// H.264 constrained baseline (packetization-mode 1), each with RTX, by default. The
    /// first one the peer accepts is the one we send. Both lists are fixed when the peer is
    /// made: [`Peer::set_configuration`](crate::Peer::set_configuration) keeps them.
    pub video_codecs: Vec<rtcweb_sdp::CodecCapability>,
    /// Congestion control of what we send, when the peer negotiates transport-wide
    /// feedback (it does by default, as browsers do): every RTP packet goes through a
    /// pacer, the bandwidth estimate sets each sender's bitrate (between these bounds,
    /// starting at the start rate). `None` sends every packet at once and leaves bitrates
    /// to the application; the feedback the peer asks for is sent either way.
    pub congestion_control: Option<rtcweb_cc::CcConfig>,
    /// SNAP (draft-hancke-tsvwg-snap): put our SCTP INIT in the data channel section
    /// (`a=sctp-init`), answer a peer's with ours, and when both descriptions carry one,
    /// start the association established once DTLS is up, two round trips sooner (no
    /// INIT, INIT ACK, COOKIE ECHO, COOKIE ACK). A peer without SNAP leaves it out of its
    /// answer and the handshake runs. On by default: Chromium speaks it behind its
    /// `WebRTC-Sctp-Snap` field trial. Fixed when the peer is made, as the codec lists
    /// are.
    pub snap: bool,
    /// SPED (draft-hancke-webrtc-sped): carry the DTLS handshake in the ICE checks and
    /// their responses (attributes 0xC070 and 0xC071), so DTLS runs alongside ICE instead
    /// of after it; the DTLS client starts as soon as the roles are known. Nothing is
    /// signalled: a peer whose first check or response carries neither attribute does not
    /// do it, and DTLS goes as ordinary datagrams, as soon as it would have without SPED.
    /// On by default: Chromium speaks it behind its `WebRTC-IceHandshakeDtls` field trial.
    /// Fixed when the peer is made.
    pub sped: bool,
    /// The DTLS versions (RFC 6347, RFC 9147): by default DTLS 1.3 is offered and chosen
    /// when the peer has it, with the X25519MLKEM768 hybrid key exchange first and an
    /// x25519 share beside it, and DTLS 1.2 is accepted. Chromium 156 negotiates 1.3 with
    /// X25519MLKEM768; `Dtls12` keeps to 1.2, `Dtls13` refuses 1.2. Fixed when the peer is
    /// made.
    pub dtls_versions: rtcweb_dtls::Versions,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            certificate: None,
            ice_servers: Vec::new(),
            ice_transport_policy: TransportPolicy::All,
            seed: None,
            max_data_channels: 1024,
            max_queued_transmits: 8192,
            max_queued_events: 8192,
            max_pending_dtls: 32,
            wallclock: None,
            audio_codecs: rtcweb_sdp::CodecCapability::default_audio(),
            video_codecs: rtcweb_sdp::CodecCapability::default_video(),
            congestion_control: Some(rtcweb_cc::CcConfig::default()),
            snap: true,
            sped: true,
            dtls_versions: rtcweb_dtls::Versions::Both,
        }
    }
}
