//! What an open device is set to, and the frames it delivers.

use std::time::{Duration, Instant};

use rtcweb_media::I420Frame;

use crate::device::{FrameRate, PixelFormat};

/// What an audio device was opened with (W3C `getSettings()` for audio).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioSettings {
    /// Samples per second per channel of the frames the stream hands out (the device's
    /// own rate may differ: the stream resamples).
    pub sample_rate: u32,
    /// Channels of the frames the stream hands out.
    pub channels: u16,
}

impl AudioSettings {
    /// Samples per channel in one 10 ms frame.
    pub fn samples_per_frame(self) -> usize {
        (self.sample_rate / 100) as usize
    }
}

/// What a camera was opened with (W3C `getSettings()` for video).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoSettings {
    /// The format the device delivers (frames are handed out as I420 whatever it is).
    pub format: PixelFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub frame_rate: FrameRate,
}

/// 10 ms of captured audio.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrame {
    /// Interleaved samples: `settings.samples_per_frame() * channels` of them.
    pub samples: Vec<i16>,
    /// Rate and channels of `samples`.
    pub settings: AudioSettings,
    /// When the first sample reached the device (the backend's timestamp where it gives
    /// one, mapped onto the monotonic clock).
    pub capture_time: Instant,
}

/// A captured picture.
#[derive(Debug, Clone)]
pub struct VideoFrame {
    /// The picture, converted to I420.
    pub picture: I420Frame,
    /// When it was captured (the driver's timestamp where it gives one, mapped onto the
    /// monotonic clock).
    pub capture_time: Instant,
    /// Frame counter of the stream, from 0; a gap means frames were lost by the device.
    pub sequence: u64,
}

/// How far behind real time a stream is, which the echo canceller needs (W3C `latency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamLatency {
    /// For capture: from the sound reaching the device to the frame being handed out. For
    /// playout: from a frame being written to it being heard.
    pub latency: Duration,
}
