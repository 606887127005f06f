//! Async handles of media tracks: a local audio track fed PCM frames, remote tracks giving
//! decoded audio frames or assembled video frames.

use tokio::sync::mpsc;

use super::command::Command;
use super::{DriverError, request};
use crate::{AudioFrame, TrackId, VideoFrame};

/// Decoded frames queued on a remote track's handle (2 s of 20 ms frames). Audio is live:
/// when the application does not read, the oldest frames are dropped and counted
/// ([`IoStats::audio_frames_dropped`](super::IoStats::audio_frames_dropped)), and the
/// network is never paused for it.
pub(crate) const REMOTE_FRAMES: usize = 100;

/// A local audio track of a driver-backed [`PeerConnection`](super::PeerConnection) (W3C
/// `addTrack`), from [`PeerConnection::add_audio_track`](super::PeerConnection::add_audio_track).
/// Clones send on the same track.
#[derive(Debug, Clone)]
pub struct LocalAudioTrack {
    pub(crate) id: TrackId,
    pub(crate) commands: mpsc::Sender<Command>,
}

impl LocalAudioTrack {
    /// Its handle in the connection (for [`PeerConnectionInfo::tracks`](super::PeerConnectionInfo::tracks)).
    pub fn id(&self) -> TrackId {
        self.id
    }

    /// Sends 20 ms of 48 kHz mono PCM (960 samples) as one Opus packet. `Ok(false)` when
    /// the frame was dropped because the connection is not up yet; an error when the
    /// track is not negotiated to send, or the frame has the wrong length.
    ///
    /// Call it at the pace of the source (every 20 ms); the connection does not buffer.
    pub async fn send(&self, pcm: Vec<i16>) -> Result<bool, DriverError> {
        let track = self.id;
        request(&self.commands, |reply| Command::SendAudio {
            track,
            pcm,
            reply,
        })
        .await
    }
}

/// A remote audio track (W3C `track` event): the peer's audio, decoded from the jitter
/// buffer at its playout time, one 20 ms frame every 20 ms while the peer sends.
#[derive(Debug)]
pub struct RemoteAudioTrack {
    pub(crate) id: TrackId,
    pub(crate) mid: String,
    pub(crate) frames: mpsc::Receiver<AudioFrame>,
}

impl RemoteAudioTrack {
    /// Its handle in the connection.
    pub fn id(&self) -> TrackId {
        self.id
    }

    /// The mid of its media section.
    pub fn mid(&self) -> &str {
        &self.mid
    }

    /// The next frame; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<AudioFrame> {
        self.frames.recv().await
    }

    /// A frame that is already there, without waiting.
    pub fn try_recv(&mut self) -> Option<AudioFrame> {
        self.frames.try_recv().ok()
    }
}

/// Whole video frames queued on a remote video track's handle (about 2 s at 30 frames/s).
/// When the application does not read, newer frames are dropped and counted
/// ([`IoStats::video_frames_dropped`](super::IoStats::video_frames_dropped)).
pub(crate) const REMOTE_VIDEO_FRAMES: usize = 64;

/// A remote video track (W3C `track` event): the peer's frames, assembled but not decoded.
#[derive(Debug)]
pub struct RemoteVideoTrack {
    pub(crate) id: TrackId,
    pub(crate) mid: String,
    pub(crate) frames: mpsc::Receiver<VideoFrame>,
}

impl RemoteVideoTrack {
    /// Its handle in the connection.
    pub fn id(&self) -> TrackId {
        self.id
    }

    /// The mid of its media section.
    pub fn mid(&self) -> &str {
        &self.mid
    }

    /// The next whole frame; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<VideoFrame> {
        self.frames.recv().await
    }
}
