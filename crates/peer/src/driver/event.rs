//! What a driver-backed connection tells its owner, as an async stream.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{Notify, mpsc};

use super::{DataChannel, RemoteAudioTrack, RemoteTrack};
use crate::{
    DtlsState, FailureReason, GatheringState, IceConnectionState, KeyFrameRequest, LocalCandidate,
    PeerConnectionState, SelectedPair, SignalingState, Stats, TransceiverId, TransceiverStats,
};

/// Events of a [`PeerConnection`](super::PeerConnection) (the W3C event handlers, as
/// values). Data-channel messages and state changes go to each
/// [`DataChannel`] handle instead.
#[derive(Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // a handful per connection, as the core's events
pub enum PeerConnectionEvent {
    /// Something changed that needs an offer (W3C `negotiationneeded`).
    NegotiationNeeded,
    /// The signaling state changed.
    SignalingState(SignalingState),
    /// A local candidate to trickle to the peer (RFC 8838 §4).
    LocalCandidate(LocalCandidate),
    /// The gathering state changed; at `Complete` signal end-of-candidates.
    IceGatheringState(GatheringState),
    /// The ICE connection state changed.
    IceConnectionState(IceConnectionState),
    /// ICE selected a candidate pair (or changed it).
    SelectedCandidatePair(SelectedPair),
    /// The DTLS transport state changed.
    DtlsState(DtlsState),
    /// The peer connection state changed.
    ConnectionState(PeerConnectionState),
    /// The connection failed, and why.
    Failed(FailureReason),
    /// A STUN or TURN server gave no candidate (W3C `icecandidateerror`): no answer
    /// (code 701), or a refusal (401: wrong TURN credentials).
    IceCandidateError(rtcweb_ice::CandidateError),
    /// The machine's interface addresses changed
    /// ([`DriverConfig::watch_interfaces`](super::DriverConfig::watch_interfaces)): sockets
    /// were bound on the new ones (their host candidates follow as
    /// [`LocalCandidate`](Self::LocalCandidate)s) and closed on those that went away
    /// (their candidates and pairs are dropped). An ICE restart is under way:
    /// [`NegotiationNeeded`](Self::NegotiationNeeded) follows; make an offer.
    InterfacesChanged {
        /// The local addresses of the new sockets.
        added: Vec<std::net::SocketAddr>,
        /// The local addresses of the closed sockets.
        removed: Vec<std::net::SocketAddr>,
    },
    /// The host name of an ICE server URL did not resolve (W3C `icecandidateerror` with
    /// code 701): no server of that URL is used. The connection goes on with the others.
    IceServerUnresolved {
        /// The URL as given in
        /// [`DriverConfig::ice_servers`](super::DriverConfig::ice_servers).
        url: String,
        /// The resolver's error.
        error: String,
    },
    /// A remote candidate has an mDNS name; the driver resolves it with an mDNS query
    /// ([`DriverConfig::resolve_mdns`](super::DriverConfig::resolve_mdns)), and
    /// [`PeerConnection::resolve_mdns`](super::PeerConnection::resolve_mdns) takes an
    /// answer found another way.
    ResolveMdns {
        /// The `.local` name.
        name: String,
    },
    /// The peer opened a data channel (W3C `datachannel`); it is open.
    DataChannel(DataChannel),
    /// The peer sends audio (W3C `track`), decoded by the connection's audio layer: its
    /// PCM comes from the handle.
    AudioTrack(RemoteAudioTrack),
    /// The peer sends media (W3C `track`) whose frames come encoded: video, and audio
    /// when the connection does not decode it.
    Track(RemoteTrack),
    /// The peer no longer sends on a transceiver (W3C track `ended`).
    TrackEnded(TransceiverId),
    /// The peer's stream said BYE (muted), or media came again (W3C `mute`/`unmute`).
    TrackMuted {
        /// The transceiver.
        transceiver: TransceiverId,
        /// Muted or not.
        muted: bool,
    },
    /// The peer asks one of our video senders for a key frame (PLI or FIR).
    KeyFrameRequest {
        /// The transceiver whose sender is asked.
        transceiver: TransceiverId,
        /// PLI or FIR.
        kind: KeyFrameRequest,
    },
    /// A DTMF tone came in (RFC 4733).
    Dtmf {
        /// The transceiver that received it.
        transceiver: TransceiverId,
        /// The tone.
        tone: char,
        /// How long it lasted.
        duration: std::time::Duration,
    },
    /// Our DTMF sender started a tone, or its buffer ran out (`None`) (W3C `tonechange`).
    ToneChange {
        /// The transceiver.
        transceiver: TransceiverId,
        /// The tone that started.
        tone: Option<char>,
    },
    /// The peer hung up (DTLS close_notify, SCTP SHUTDOWN or ABORT): the connection is
    /// closed and its sockets released.
    ClosedByPeer,
}

/// The event stream of one connection: a bounded tokio mpsc receiver
/// ([`DriverConfig::event_queue`](super::DriverConfig::event_queue)). It ends when the
/// connection's task ends (after [`close`](super::PeerConnection::close)).
///
/// Nothing is dropped when it is not read: past the bound, state changes are coalesced to
/// the latest of each kind, and any other event makes the connection stop reading from the
/// network until events are read.
#[derive(Debug)]
pub struct Events {
    pub(crate) receiver: mpsc::Receiver<PeerConnectionEvent>,
    /// The connection task's wake-up: an event was taken.
    pub(crate) space: Arc<Notify>,
}

impl Events {
    /// The next event; `None` when the connection is gone.
    pub async fn recv(&mut self) -> Option<PeerConnectionEvent> {
        let event = self.receiver.recv().await;
        self.taken(event)
    }

    /// An event that is already there, without waiting.
    pub fn try_recv(&mut self) -> Option<PeerConnectionEvent> {
        let event = self.receiver.try_recv().ok();
        self.taken(event)
    }

    /// Polls for the next event (what the [`Stream`](futures_core::Stream) implementation
    /// does).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<PeerConnectionEvent>> {
        self.receiver.poll_recv(cx).map(|event| self.taken(event))
    }

    /// Wakes the task, which may hold events back, when one was taken.
    fn taken(&self, event: Option<PeerConnectionEvent>) -> Option<PeerConnectionEvent> {
        if event.is_some() {
            self.space.notify_one();
        }
        event
    }
}

/// Events are a stream: combine them with `StreamExt` (futures-util or tokio-stream), e.g.
/// `events.next().await`, `events.filter(..)`, or `select!` over several connections.
impl futures_core::Stream for Events {
    type Item = PeerConnectionEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        // The task may hold events for this stream: they are discarded now.
        self.receiver.close();
        self.space.notify_one();
    }
}

/// A snapshot of a connection's state (the W3C attributes), taken by
/// [`PeerConnection::info`](super::PeerConnection::info).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PeerConnectionInfo {
    /// `connectionState`.
    pub connection_state: PeerConnectionState,
    /// `iceConnectionState`.
    pub ice_connection_state: IceConnectionState,
    /// `iceGatheringState`.
    pub ice_gathering_state: GatheringState,
    /// `signalingState`.
    pub signaling_state: SignalingState,
    /// The DTLS transport's state.
    pub dtls_state: DtlsState,
    /// Why the connection failed, if it did.
    pub failure: Option<FailureReason>,
    /// The candidate pair in use.
    pub selected_candidate_pair: Option<SelectedPair>,
    /// The negotiated SRTP protection profile.
    pub srtp_profile: Option<rtcweb_srtp::Profile>,
    /// The DTLS cipher suite's IANA name, once connected.
    pub dtls_cipher: Option<&'static str>,
    /// The DTLS version, once connected (DTLS 1.3 with browsers that have it).
    pub dtls_version: Option<rtcweb_dtls::ProtocolVersion>,
    /// The DTLS key exchange group, once connected.
    pub dtls_group: Option<rtcweb_dtls::NamedGroup>,
    /// The SCTP association started from SNAP (both descriptions carried `a=sctp-init`),
    /// without its handshake; see [`Peer::sctp_snap`](crate::Peer::sctp_snap).
    pub sctp_snap: bool,
    /// Where SPED stands (the DTLS handshake in the ICE checks); see
    /// [`Peer::sped_state`](crate::Peer::sped_state).
    pub sped_state: Option<rtcweb_ice::SpedState>,
    /// The SPED attributes the ICE agent sent and received; see
    /// [`Peer::sped_stats`](crate::Peer::sped_stats).
    pub sped_stats: rtcweb_ice::SpedStats,
    /// The local description in force, as text.
    pub local_description: Option<String>,
    /// The remote description in force, as text.
    pub remote_description: Option<String>,
    /// W3C `pendingLocalDescription`: ours while an exchange is under way.
    pub pending_local_description: Option<String>,
    /// W3C `currentLocalDescription`: ours as of the last completed exchange.
    pub current_local_description: Option<String>,
    /// W3C `pendingRemoteDescription`.
    pub pending_remote_description: Option<String>,
    /// W3C `currentRemoteDescription`.
    pub current_remote_description: Option<String>,
    /// The core's counters.
    pub stats: Stats,
    /// Every transceiver, with what it sent and received.
    pub transceivers: Vec<(TransceiverId, TransceiverStats)>,
    /// What the audio layer played for each decoded remote track.
    pub playout: Vec<(TransceiverId, rtcweb_media::audio::PlayoutStats)>,
    /// Congestion control of what we send, while it runs.
    pub congestion_control: Option<crate::CongestionControlStats>,
    /// The driver's counters.
    pub io: IoStats,
}

/// What the driver's sockets carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IoStats {
    /// Datagrams received on the sockets.
    pub datagrams_received: u64,
    /// Bytes in them.
    pub bytes_received: u64,
    /// Datagrams sent.
    pub datagrams_sent: u64,
    /// Bytes in them.
    pub bytes_sent: u64,
    /// Sends the OS refused (no route, ...): dropped, as a lossy network would.
    pub send_errors: u64,
    /// Sends that carried several datagrams at once (UDP GSO).
    pub gso_sends: u64,
    /// Reads that returned several datagrams at once (UDP GRO).
    pub gro_reads: u64,
    /// Times the task stopped reading its sockets because a data channel's receive queue
    /// (or the event stream) was full: the backpressure that reaches the peer's SCTP.
    pub read_pauses: u64,
    /// Most bytes of received messages the task held back at once, beyond the handles'
    /// queues, while it was not reading (what the core had already released).
    pub held_bytes_peak: u64,
    /// State-change events replaced by a later one of the same kind while the event
    /// stream was full.
    pub events_coalesced: u64,
    /// Decoded audio frames dropped because a remote audio track's handle was not read
    /// (or was dropped): audio is live and never pauses the network.
    pub audio_frames_dropped: u64,
    /// Encoded frames dropped because a remote track's handle was not read (or was
    /// dropped).
    pub frames_dropped: u64,
    /// Remote `.local` candidate names resolved (by the driver's mDNS queries or by
    /// [`PeerConnection::resolve_mdns`](super::PeerConnection::resolve_mdns)).
    pub mdns_resolved: u64,
    /// Our host addresses published as `.local` names
    /// ([`DriverConfig::publish_mdns`](super::DriverConfig::publish_mdns)).
    pub mdns_names_published: u64,
    /// Answers our mDNS responder sent to queries for those names.
    pub mdns_answers_sent: u64,
    /// Queries for those names left unanswered by the responder's bounds (a record is
    /// multicast at most once a second per interface, RFC 6762 §6, and at most 50 answers
    /// go out per second).
    pub mdns_answers_limited: u64,
    /// ICE-TCP connections accepted on our listeners (RFC 6544 passive candidates).
    pub tcp_connections_accepted: u64,
    /// ICE-TCP connections our active candidates opened.
    pub tcp_connections_opened: u64,
    /// ICE-TCP connections refused (past the limit, with none to evict) or that could not
    /// be opened.
    pub tcp_connections_refused: u64,
    /// Accepted ICE-TCP connections closed because no authenticated ICE check came on them
    /// within five seconds, or to make room for a newer one with the table full.
    pub tcp_connections_evicted: u64,
    /// Datagrams for ICE-TCP dropped: no connection to send them on, or its write queue
    /// full.
    pub tcp_datagrams_dropped: u64,
}
