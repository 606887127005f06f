//! Media tracks as the owner sees them: handles, decoded audio frames, counters.

pub use crate::media::{AudioReceiveStats, AudioSendStats, VideoReceiveStats};
pub use rtcweb_media::VideoCodec;

/// A media track's handle within one [`Peer`](crate::Peer): the transceiver (RFC 8829
/// §3.4.1) that carries it, stable for the connection's life. A local track gets it from
/// [`Peer::add_audio_track`](crate::Peer::add_audio_track); a remote one comes with
/// [`Event::Track`](crate::Event::Track).
pub type TrackId = rtcweb_sdp::TransceiverId;

/// 20 ms of decoded remote audio: 48 kHz, mono, signed 16-bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFrame {
    /// The samples (960 for a 20 ms frame).
    pub samples: Vec<i16>,
    /// The RTP timestamp of the packet decoded; `None` when concealed.
    pub rtp_timestamp: Option<u32>,
    /// The frame was made up by packet-loss concealment (or in-band FEC) because its packet
    /// was missing or late.
    pub concealed: bool,
}

/// One whole remote video frame, assembled from its RTP packets (retransmissions
/// included), in decoding order. It is not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFrame {
    /// The codec bitstream of the frame (VP8 as RFC 7741 carries it; H.264 in Annex B form,
    /// with start codes).
    pub data: Vec<u8>,
    /// A key frame: decodable on its own.
    pub keyframe: bool,
    /// Its RTP timestamp (90 kHz).
    pub rtp_timestamp: u32,
    /// Its codec.
    pub codec: VideoCodec,
}

/// What a track carries, for [`Peer::track_stats`](crate::Peer::track_stats).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TrackStats {
    /// Audio or video.
    pub kind: rtcweb_sdp::MediaKind,
    /// The mid of its media section, once negotiated.
    pub mid: Option<String>,
    /// What we sent (webrtc-stats `outbound-rtp` and `remote-inbound-rtp`), when we send.
    pub sent: Option<AudioSendStats>,
    /// What we received and played (webrtc-stats `inbound-rtp`), when we receive audio.
    pub received: Option<AudioReceiveStats>,
    /// What we received and assembled (webrtc-stats `inbound-rtp`), when we receive video.
    pub video_received: Option<VideoReceiveStats>,
}
