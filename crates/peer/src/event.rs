//! What the peer tells its owner, and the W3C-style values it reports.

use std::fmt;

use rtcweb_datachannel::Message;
use rtcweb_ice::{ConnectionState, GatheringState, SelectedPair};
use rtcweb_sdp::{SdpType, SignalingState};

use crate::FailureReason;
use crate::frame::{KeyFrameRequest, ReceivedFrame};
use crate::transceiver::{RemoteTrack, TransceiverId};

/// A data channel's handle within one [`Peer`](crate::Peer), stable from
/// `create_data_channel` on (the SCTP stream id is known only once the DTLS role is,
/// RFC 8832 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataChannelId(pub(crate) u32);

impl fmt::Display for DataChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dc{}", self.0)
    }
}

/// A session description with its type (W3C `RTCSessionDescriptionInit`): what signalling
/// carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// Offer, provisional answer or answer.
    pub kind: SdpType,
    /// The SDP text (RFC 8866).
    pub sdp: String,
}

/// W3C `RTCIceConnectionState`, as the ICE agent reports it.
pub type IceConnectionState = ConnectionState;

/// W3C `RTCDtlsTransportState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsState {
    /// No handshake yet.
    New,
    /// Handshaking.
    Connecting,
    /// The handshake completed and the peer's certificate matched its fingerprint.
    Connected,
    /// Closed by a close_notify (ours or the peer's).
    Closed,
    /// The handshake or the connection failed.
    Failed,
}

/// W3C `RTCPeerConnectionState`: ICE and DTLS together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerConnectionState {
    /// Nothing started.
    New,
    /// ICE checks or the DTLS handshake are under way.
    Connecting,
    /// ICE has a selected pair and DTLS is connected (or was closed by the peer).
    Connected,
    /// ICE lost consent for a while; it may come back.
    Disconnected,
    /// ICE or DTLS failed; [`Peer::failure`](crate::Peer::failure) says why.
    Failed,
    /// [`Peer::close`](crate::Peer::close) was called.
    Closed,
}

/// A local ICE candidate to signal to the peer (W3C `RTCIceCandidate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCandidate {
    /// The media section it belongs to (`sdpMid`): the BUNDLE tag.
    pub mid: String,
    /// The `candidate:...` attribute value (RFC 8839 §5.1).
    pub candidate: String,
}

/// Events, drained with [`Peer::poll_event`](crate::Peer::poll_event) after every input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // a handful per connection besides messages
pub enum Event {
    /// Something changed that needs an offer (W3C `negotiationneeded`).
    NegotiationNeeded,
    /// The signaling state changed.
    SignalingState(SignalingState),
    /// A local candidate to trickle to the peer (RFC 8838 §4).
    LocalCandidate(LocalCandidate),
    /// The gathering state changed; at `Complete` the owner signals end-of-candidates.
    IceGatheringState(GatheringState),
    /// The ICE connection state changed.
    IceConnectionState(IceConnectionState),
    /// ICE selected a candidate pair (or changed it): DTLS, SCTP and media go over it.
    SelectedCandidatePair(SelectedPair),
    /// The DTLS transport state changed.
    DtlsState(DtlsState),
    /// The peer connection state changed.
    ConnectionState(PeerConnectionState),
    /// The connection failed, and why (before the `Failed` connection state).
    Failed(FailureReason),
    /// A STUN or TURN server gave no candidate (W3C `icecandidateerror`): it did not answer
    /// (code 701), or refused (401: the TURN credentials are wrong).
    IceCandidateError(rtcweb_ice::CandidateError),
    /// A remote candidate has an mDNS name: resolve it and call
    /// [`Peer::resolve_mdns`](crate::Peer::resolve_mdns).
    ResolveMdns {
        /// The `.local` name.
        name: String,
    },
    /// The peer opened a data channel (W3C `datachannel`); it is open, and
    /// [`Event::DataChannelOpen`] follows.
    IncomingDataChannel {
        /// Its handle.
        channel: DataChannelId,
        /// Its label.
        label: String,
        /// Its sub-protocol.
        protocol: String,
    },
    /// A data channel is open: messages flow.
    DataChannelOpen {
        /// Its handle.
        channel: DataChannelId,
    },
    /// A message arrived on a data channel.
    Message {
        /// The channel.
        channel: DataChannelId,
        /// The message.
        message: Message,
    },
    /// The channel's buffered amount fell to its low threshold.
    BufferedAmountLow {
        /// The channel.
        channel: DataChannelId,
    },
    /// The peer started closing the channel.
    DataChannelClosing {
        /// The channel.
        channel: DataChannelId,
    },
    /// The channel is closed; its handle is no longer valid.
    DataChannelClosed {
        /// The channel.
        channel: DataChannelId,
    },
    /// The peer sends media on a section (W3C `track`): its frames come as
    /// [`Event::Frame`].
    Track {
        /// The transceiver whose receiver has the track.
        transceiver: TransceiverId,
        /// The remote track.
        track: RemoteTrack,
        /// The mid of its section.
        mid: String,
    },
    /// The peer no longer sends on a transceiver (a renegotiation stopped it, or the
    /// transceiver stopped): its track ended (W3C `ended`).
    TrackEnded {
        /// The transceiver.
        transceiver: TransceiverId,
    },
    /// The peer's stream said BYE (muted), or media came again (unmuted) (W3C `mute`,
    /// `unmute`).
    TrackMuted {
        /// The transceiver.
        transceiver: TransceiverId,
        /// Muted or not.
        muted: bool,
    },
    /// An encoded frame arrived: an audio packet's payload, or a whole video frame in
    /// decoding order (the first a key frame).
    Frame {
        /// The transceiver that received it.
        transceiver: TransceiverId,
        /// The frame.
        frame: ReceivedFrame,
    },
    /// The peer asked for a key frame of one of our video senders (PLI or FIR): the
    /// encoder should make the next frame one.
    KeyFrameRequest {
        /// The transceiver whose sender is asked.
        transceiver: TransceiverId,
        /// PLI or FIR.
        kind: KeyFrameRequest,
    },
    /// A DTMF tone arrived (RFC 4733), when it ended.
    Dtmf {
        /// The transceiver that received it.
        transceiver: TransceiverId,
        /// `0`-`9`, `*`, `#`, `A`-`D`.
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
    /// Congestion control gives a sender this bitrate (webrtc-stats `targetBitrate`): its
    /// encoder should aim at it. Told when the share moves by more than 2 %. The driver
    /// applies it to its own encoders.
    SendBitrate {
        /// The transceiver whose sender it is.
        transceiver: TransceiverId,
        /// Bits per second.
        bitrate_bps: u32,
    },
    /// The peer closed the connection (a DTLS close_notify, or an SCTP ABORT or SHUTDOWN):
    /// the connection is closed, as after [`Peer::close`](crate::Peer::close).
    ClosedByPeer,
}
