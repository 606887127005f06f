//! Encoded frames in and out of the core (the W3C `RTCEncodedAudioFrame` /
//! `RTCEncodedVideoFrame` model, as str0m's frame API has it): the core packetizes,
//! protects and reports; codecs are the owner's (or `rtcweb-media`'s layers).

use std::time::{Duration, Instant};

/// An encoded frame to send on a transceiver with
/// [`Peer::write_frame`](crate::Peer::write_frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutgoingFrame<'a> {
    /// The negotiated payload type of its codec (see
    /// [`SendParameters::codecs`](crate::SendParameters::codecs)).
    pub payload_type: u8,
    /// Its RTP timestamp, in the codec's clock rate. The owner keeps the timeline: it
    /// advances by the frame's duration (48 000 Hz × 20 ms = 960 for an Opus frame).
    pub rtp_timestamp: u32,
    /// When it was captured, if known: sender reports map RTP time to wall-clock time from
    /// it (RFC 3550 §6.4.1), which the receiver's lip sync relies on.
    pub capture_time: Option<Instant>,
    /// Audio: the level of the frame in -dBov (0 loudest, 127 silence) and whether it holds
    /// voice, for the `ssrc-audio-level` header extension (RFC 6464) when negotiated.
    pub audio_level: Option<(u8, bool)>,
    /// Audio: the first frame of a talkspurt after silence that was not sent (DTX); the
    /// packet gets the marker bit (RFC 3551 §4.1).
    pub talkspurt_start: bool,
    /// Video: a key frame (counted in `keyFramesEncoded`).
    pub keyframe: bool,
    /// Video: the picture's width and height, when known: VP9 key frames carry it in their
    /// scalability structure (RFC 9628 §4.2.1).
    pub video_size: Option<(u16, u16)>,
    /// The codec bitstream: one Opus or G.711 frame, a whole VP8 frame, an H.264 access
    /// unit in Annex B form.
    pub data: &'a [u8],
}

impl<'a> OutgoingFrame<'a> {
    /// A frame with only what every frame needs.
    pub fn new(payload_type: u8, rtp_timestamp: u32, data: &'a [u8]) -> Self {
        Self {
            payload_type,
            rtp_timestamp,
            capture_time: None,
            audio_level: None,
            talkspurt_start: false,
            keyframe: false,
            video_size: None,
            data,
        }
    }
}

/// An encoded frame the peer sent us ([`Event::Frame`](crate::Event::Frame)): one audio
/// packet's payload, or a whole video frame assembled from its packets (retransmissions
/// included) in decoding order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFrame {
    /// The payload type it came with.
    pub payload_type: u8,
    /// The codec of that payload type, as negotiated.
    pub codec: CodecInfo,
    /// Its RTP timestamp.
    pub rtp_timestamp: u32,
    /// The RTP marker bit (audio: start of a talkspurt; video: the frame's last packet).
    pub marker: bool,
    /// Video: a key frame, decodable on its own.
    pub keyframe: bool,
    /// The SSRC of the stream.
    pub ssrc: u32,
    /// The sequence numbers of its first and last packets.
    pub sequence: (u16, u16),
    /// When its (last) packet arrived.
    pub received_at: Instant,
    /// The sender's wall-clock time when the frame was captured, since the Unix epoch, once
    /// a sender report has mapped the stream's RTP time to NTP time (RFC 3550 §6.4.1): what
    /// lip sync aligns audio and video with.
    pub sender_time: Option<Duration>,
    /// Audio: the level in -dBov and the voice flag, from the `ssrc-audio-level` header
    /// extension (RFC 6464) when the sender wrote it.
    pub audio_level: Option<(u8, bool)>,
    /// The codec bitstream (for H.264: Annex B, with start codes).
    pub data: Vec<u8>,
}

/// A negotiated codec as frames name it (W3C `RTCRtpCodec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecInfo {
    /// The encoding name as negotiated (`opus`, `PCMU`, `VP8`, `H264`, `telephone-event`).
    pub name: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels (1 when not written).
    pub channels: u16,
    /// The `a=fmtp` line of the side that receives with it (W3C `sdpFmtpLine`).
    pub fmtp: String,
}

impl CodecInfo {
    /// Whether the encoding name is `name` (case-insensitive, RFC 4855 §3).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value of one fmtp parameter.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.fmtp.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

/// What the peer asked of one of our video senders (RFC 4585 §6.3.1 PLI, RFC 5104 §4.3.1
/// FIR): encode a key frame next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFrameRequest {
    /// Picture Loss Indication.
    Pli,
    /// Full Intra Request.
    Fir,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmtp_parameters_by_name() {
        let c = CodecInfo {
            name: "opus".into(),
            clock_rate: 48_000,
            channels: 2,
            fmtp: "minptime=10; stereo=1;useinbandfec=1".into(),
        };
        assert!(c.is("OPUS"));
        assert_eq!(c.parameter("stereo"), Some("1"));
        assert_eq!(c.parameter("usedtx"), None);
    }
}
