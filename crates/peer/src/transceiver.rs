//! Transceivers, senders and receivers: the W3C `RTCRtpTransceiver` model over the
//! negotiator's transceivers (RFC 8829 §3.4.1).

use rtcweb_sdp::{Direction, MediaKind};

use crate::frame::CodecInfo;

/// A transceiver's handle within one [`Peer`](crate::Peer), stable for the connection's
/// life (a stopped transceiver's id is not reused).
pub type TransceiverId = rtcweb_sdp::TransceiverId;

/// A local media track as the core knows it (W3C `MediaStreamTrack`): its kind and id. The
/// media itself comes as encoded frames; the id travels in `a=msid` (RFC 8830).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaTrack {
    /// Audio or video.
    pub kind: MediaKind,
    /// Its id (a token: letters, digits, `-`, `.`, ...).
    pub id: String,
}

impl MediaTrack {
    /// An audio track.
    pub fn audio(id: impl Into<String>) -> Self {
        Self {
            kind: MediaKind::Audio,
            id: id.into(),
        }
    }

    /// A video track.
    pub fn video(id: impl Into<String>) -> Self {
        Self {
            kind: MediaKind::Video,
            id: id.into(),
        }
    }
}

/// What [`Peer::add_transceiver`](crate::Peer::add_transceiver) starts from: a kind (the
/// sender has no track yet) or a track (W3C `addTransceiver(trackOrKind)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackOrKind {
    /// A sender without a track.
    Kind(MediaKind),
    /// A sender with this track.
    Track(MediaTrack),
}

impl From<MediaKind> for TrackOrKind {
    fn from(kind: MediaKind) -> Self {
        Self::Kind(kind)
    }
}

impl From<MediaTrack> for TrackOrKind {
    fn from(track: MediaTrack) -> Self {
        Self::Track(track)
    }
}

/// W3C `RTCRtpTransceiverInit`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransceiverInit {
    /// The direction wanted (default `sendrecv`).
    pub direction: Direction,
    /// The media streams the sender's track belongs to (its `a=msid` stream id; only the
    /// first is written, as one stream per track is what browsers use).
    pub streams: Vec<String>,
    /// The sender's encodings (one: simulcast is not implemented).
    pub send_encodings: Vec<SendEncoding>,
}

impl Default for TransceiverInit {
    fn default() -> Self {
        Self {
            direction: Direction::SendRecv,
            streams: Vec::new(),
            send_encodings: vec![SendEncoding::default()],
        }
    }
}

impl TransceiverInit {
    /// The default with this direction.
    pub fn direction(direction: Direction) -> Self {
        Self {
            direction,
            ..Self::default()
        }
    }
}

/// One encoding of a sender (W3C `RTCRtpEncodingParameters`). The core acts on `active`
/// (an inactive encoding sends nothing); the rest is for the encoder layer above it.
#[derive(Debug, Clone, PartialEq)]
pub struct SendEncoding {
    /// Frames are sent.
    pub active: bool,
    /// Highest bitrate the encoder should use, bits per second.
    pub max_bitrate: Option<u32>,
    /// Highest frame rate for video.
    pub max_framerate: Option<f64>,
    /// Video scaled down by this factor before encoding.
    pub scale_resolution_down_by: Option<f64>,
}

impl Default for SendEncoding {
    fn default() -> Self {
        Self {
            active: true,
            max_bitrate: None,
            max_framerate: None,
            scale_resolution_down_by: None,
        }
    }
}

/// W3C `RTCRtpSendParameters`: the encodings, and the codecs the last exchange
/// negotiated for sending (the one to use first).
#[derive(Debug, Clone, PartialEq)]
pub struct SendParameters {
    /// The encodings.
    pub encodings: Vec<SendEncoding>,
    /// The negotiated codecs with their payload types, preferred first (empty before an
    /// exchange made the section send).
    pub codecs: Vec<(u8, CodecInfo)>,
}

/// A sender's state (W3C `RTCRtpSender`).
#[derive(Debug, Clone, PartialEq)]
pub struct SenderInfo {
    /// Its track, if any: frames are sent only with one.
    pub track: Option<MediaTrack>,
    /// The stream ids of its `a=msid`.
    pub streams: Vec<String>,
    /// The SSRC it sends with, and the one of its retransmissions.
    pub ssrc: u32,
    /// The SSRC of its RTX stream (RFC 4588), when negotiated.
    pub rtx_ssrc: Option<u32>,
    /// Encodings and negotiated codecs.
    pub parameters: SendParameters,
    /// DTMF can be inserted: `telephone-event` was negotiated and the section sends
    /// (W3C `canInsertDTMF`).
    pub can_insert_dtmf: bool,
}

/// A receiver's state (W3C `RTCRtpReceiver`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverInfo {
    /// The id of its (remote) track: the peer's `a=msid` track id, else one of ours.
    pub track_id: String,
    /// The peer's stream ids for it.
    pub streams: Vec<String>,
    /// The SSRC it receives, once a packet came.
    pub ssrc: Option<u32>,
    /// The negotiated codecs it receives, with their payload types.
    pub codecs: Vec<(u8, CodecInfo)>,
}

/// A transceiver's state (W3C `RTCRtpTransceiver`).
#[derive(Debug, Clone, PartialEq)]
pub struct TransceiverInfo {
    /// Its handle.
    pub id: TransceiverId,
    /// Audio or video.
    pub kind: MediaKind,
    /// The mid of its media section, once associated.
    pub mid: Option<String>,
    /// The direction wanted.
    pub direction: Direction,
    /// The direction the last exchange settled (`None` before one, or once stopped).
    pub current_direction: Option<Direction>,
    /// Stopped: its section is (or will be) rejected.
    pub stopped: bool,
    /// Its sender.
    pub sender: SenderInfo,
    /// Its receiver.
    pub receiver: ReceiverInfo,
}

/// The track of a remote stream (the W3C `track` event's `receiver.track` and
/// `streams`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTrack {
    /// Audio or video.
    pub kind: MediaKind,
    /// The track id (the peer's `a=msid`, else one of ours).
    pub id: String,
    /// The peer's stream ids.
    pub streams: Vec<String>,
}
