//! What a driver-backed connection tells its owner, as an async stream.

use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{Notify, mpsc};

use super::{DataChannel, RemoteAudioTrack, RemoteVideoTrack};
use crate::{
    DtlsState, FailureReason, GatheringState, IceConnectionState, LocalCandidate,
    PeerConnectionState, SelectedPair, SignalingState, Stats, TrackId, TrackStats,
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
    /// A remote candidate has an mDNS name: resolve it and call
    /// [`PeerConnection::resolve_mdns`](super::PeerConnection::resolve_mdns) (the driver
    /// does not resolve `.local` names yet).
    ResolveMdns {
        /// The `.local` name.
        name: String,
    },
    /// The peer opened a data channel (W3C `datachannel`); it is open.
    DataChannel(DataChannel),
    /// The peer sends audio (W3C `track`): its decoded frames come from the handle.
    AudioTrack(RemoteAudioTrack),
    /// The peer sends video (W3C `track`): its assembled frames come from the handle.
    VideoTrack(RemoteVideoTrack),
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

    /// Polls for the next event (for a `Stream` implementation of the caller's choice).
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
    /// The local description in force, as text.
    pub local_description: Option<String>,
    /// The remote description in force, as text.
    pub remote_description: Option<String>,
    /// The core's counters.
    pub stats: Stats,
    /// Every track, local and remote, with what it sent and received.
    pub tracks: Vec<(TrackId, TrackStats)>,
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
    /// Decoded audio frames dropped because a remote track's handle was not read (or
    /// was dropped): audio is live and never pauses the network.
    pub audio_frames_dropped: u64,
    /// Video frames dropped because a remote video track's handle was not read (or was
    /// dropped).
    pub video_frames_dropped: u64,
    /// Remote `.local` candidate names resolved (by the driver's mDNS queries or by
    /// [`PeerConnection::resolve_mdns`](super::PeerConnection::resolve_mdns)).
    pub mdns_resolved: u64,
}
