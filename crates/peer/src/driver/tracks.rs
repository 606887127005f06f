//! Async handles of media: a sender (W3C `RTCRtpSender`) that takes encoded frames, or PCM
//! that the connection's audio layer encodes; remote tracks that give encoded frames, or
//! decoded audio from the audio layer's jitter buffer.

use std::time::{Duration, Instant};

use rtcweb_media::PcmFrame;
use rtcweb_media::audio::DecodedAudio;
use tokio::sync::mpsc;

use super::command::Command;
use super::{DriverError, request};
use crate::{MediaKind, MediaTrack, ReceivedFrame, SendParameters, TransceiverId};

/// Encoded frames queued on a remote track's handle: about 2 s of 20 ms audio, or of
/// 30 frame/s video. Media is live: when the application does not read, newer frames are
/// dropped and counted, and the network is never paused for it.
pub(crate) const REMOTE_FRAMES: usize = 100;

/// An encoded frame to send (owned, for the trip to the connection's task): see
/// [`OutgoingFrame`](crate::OutgoingFrame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    /// The negotiated payload type of its codec.
    pub payload_type: u8,
    /// Its RTP timestamp.
    pub rtp_timestamp: u32,
    /// When it was captured, if known.
    pub capture_time: Option<Instant>,
    /// Audio level (-dBov) and voice flag, for RFC 6464.
    pub audio_level: Option<(u8, bool)>,
    /// A video key frame.
    pub keyframe: bool,
    /// Video: the picture's width and height, when known (see
    /// [`OutgoingFrame::video_size`](crate::OutgoingFrame::video_size)).
    pub video_size: Option<(u16, u16)>,
    /// The bitstream.
    pub data: Vec<u8>,
}

/// The sender of a transceiver (W3C `RTCRtpSender`) of a driver-backed
/// [`PeerConnection`](super::PeerConnection). Clones send on the same transceiver.
#[derive(Debug, Clone)]
pub struct RtpSender {
    pub(crate) id: TransceiverId,
    pub(crate) kind: MediaKind,
    pub(crate) commands: mpsc::Sender<Command>,
}

impl RtpSender {
    /// Its transceiver.
    pub fn transceiver(&self) -> TransceiverId {
        self.id
    }

    /// Audio or video.
    pub fn kind(&self) -> &MediaKind {
        &self.kind
    }

    /// Sends one encoded frame (see [`Peer::write_frame`](crate::Peer::write_frame)):
    /// `Ok(false)` when it was dropped because the connection is not up yet.
    pub async fn write_frame(&self, frame: EncodedFrame) -> Result<bool, DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::WriteFrame {
            id,
            frame,
            reply,
        })
        .await
    }

    /// Sends PCM of any rate, channel count and length (audio senders): the connection's
    /// audio layer converts it to the negotiated codec's format (Opus with the peer's
    /// fmtp, or G.711), cuts it into 20 ms frames and encodes them. Returns the frames
    /// sent (0 while less than a frame is buffered, or before the connection is up).
    /// Call it at the pace of the source: the connection does not buffer.
    pub async fn send_audio(
        &self,
        pcm: PcmFrame,
        capture_time: Option<Instant>,
    ) -> Result<usize, DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::SendAudio {
            id,
            pcm,
            capture_time,
            reply,
        })
        .await
    }

    /// The processing [`send_audio`](Self::send_audio) applies before the encoder, as a
    /// microphone track's W3C constraints `echoCancellation`, `noiseSuppression` and
    /// `autoGainControl` ask for (none by default). The echo cancelled is that of the
    /// remote audio this connection hands out for playout ([`RemoteAudioTrack`]): play it
    /// as it comes. Its `echoReturnLoss` and `echoReturnLossEnhancement` appear on the
    /// sender's `media-source` stats. Changing the settings starts the processing afresh.
    pub async fn set_audio_processing(
        &self,
        settings: super::AudioProcessing,
    ) -> Result<(), DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::SetAudioProcessing {
            id,
            settings,
            reply,
        })
        .await
    }

    /// What the processing of [`set_audio_processing`](Self::set_audio_processing)
    /// measured: besides the `media-source` stats, the echo canceller's estimated
    /// render-to-capture delay and its render queue's overruns and underruns. `None` while
    /// the sender processes nothing.
    pub async fn audio_processing_stats(
        &self,
    ) -> Result<Option<super::AudioProcessingStats>, DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::AudioProcessingStats {
            id,
            reply,
        })
        .await
    }

    /// W3C `replaceTrack` (no renegotiation); `None` stops sending.
    pub async fn replace_track(&self, track: Option<MediaTrack>) -> Result<(), DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::ReplaceTrack {
            id,
            track,
            reply,
        })
        .await
    }

    /// W3C `getParameters`.
    pub async fn parameters(&self) -> Result<SendParameters, DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::SenderParameters {
            id,
            reply,
        })
        .await
    }

    /// W3C `setParameters` (the encodings; `active: false` stops sending).
    pub async fn set_parameters(&self, parameters: SendParameters) -> Result<(), DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::SetSenderParameters {
            id,
            parameters,
            reply,
        })
        .await
    }

    /// W3C `RTCDTMFSender.insertDTMF`: tones `0-9A-D#*` and `,` (a 2 s pause), each lasting
    /// `duration` (40 ms to 6 s) with `gap` (at least 30 ms) between them.
    pub async fn insert_dtmf(
        &self,
        tones: &str,
        duration: Duration,
        gap: Duration,
    ) -> Result<(), DriverError> {
        let (id, tones) = (self.id, tones.to_owned());
        request(&self.commands, |reply| Command::InsertDtmf {
            id,
            tones,
            duration,
            gap,
            reply,
        })
        .await
    }

    /// W3C `RTCDTMFSender.toneBuffer`.
    pub async fn tone_buffer(&self) -> Result<String, DriverError> {
        let id = self.id;
        request(&self.commands, |reply| Command::ToneBuffer { id, reply }).await
    }
}

/// A remote track whose frames come encoded (W3C `track` event): video, and audio when the
/// connection does not decode it ([`DriverConfig::decode_audio`](super::DriverConfig)).
#[derive(Debug)]
pub struct RemoteTrack {
    pub(crate) transceiver: TransceiverId,
    pub(crate) info: crate::RemoteTrack,
    pub(crate) mid: String,
    pub(crate) frames: mpsc::Receiver<ReceivedFrame>,
    /// To the connection, for a decoder's key-frame requests and stats; `None` when no
    /// handle of the connection was left when the track came.
    pub(crate) commands: Option<mpsc::Sender<Command>>,
}

impl RemoteTrack {
    /// The transceiver whose receiver has it.
    pub fn transceiver(&self) -> TransceiverId {
        self.transceiver
    }

    /// Its kind, id and streams.
    pub fn info(&self) -> &crate::RemoteTrack {
        &self.info
    }

    /// The mid of its section.
    pub fn mid(&self) -> &str {
        &self.mid
    }

    /// The next frame; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<ReceivedFrame> {
        self.frames.recv().await
    }

    /// A frame that is already there, without waiting.
    pub fn try_recv(&mut self) -> Option<ReceivedFrame> {
        self.frames.try_recv().ok()
    }
}

/// A remote audio track decoded by the connection's audio layer: one 20 ms frame of 48 kHz
/// PCM every 20 ms while the peer sends, from an adaptive jitter buffer, concealed where
/// packets were lost.
#[derive(Debug)]
pub struct RemoteAudioTrack {
    pub(crate) transceiver: TransceiverId,
    pub(crate) info: crate::RemoteTrack,
    pub(crate) mid: String,
    pub(crate) frames: mpsc::Receiver<DecodedAudio>,
}

impl RemoteAudioTrack {
    /// The transceiver whose receiver has it.
    pub fn transceiver(&self) -> TransceiverId {
        self.transceiver
    }

    /// Its kind, id and streams.
    pub fn info(&self) -> &crate::RemoteTrack {
        &self.info
    }

    /// The mid of its section.
    pub fn mid(&self) -> &str {
        &self.mid
    }

    /// The next frame; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<DecodedAudio> {
        self.frames.recv().await
    }

    /// A frame that is already there, without waiting.
    pub fn try_recv(&mut self) -> Option<DecodedAudio> {
        self.frames.try_recv().ok()
    }
}
