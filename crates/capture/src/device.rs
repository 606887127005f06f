//! What a device is: its kind, a stable id, a label and its capabilities (W3C
//! `MediaDeviceInfo` and `getCapabilities()`).

use std::fmt;

/// The three kinds of `MediaDeviceInfo.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKind {
    /// A microphone (`audioinput`).
    AudioInput,
    /// A speaker or headset (`audiooutput`).
    AudioOutput,
    /// A camera (`videoinput`).
    VideoInput,
}

impl DeviceKind {
    /// The W3C name of the kind (`audioinput`, `audiooutput`, `videoinput`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AudioInput => "audioinput",
            Self::AudioOutput => "audiooutput",
            Self::VideoInput => "videoinput",
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a device comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A sound device through `cpal` (ALSA, or the PulseAudio / PipeWire host).
    Audio,
    /// A camera through Video4Linux2.
    V4l2,
    /// A generated device: a tone microphone, a test-pattern camera, a null speaker.
    Synthetic,
    /// A file played as a device (WAV microphone, Y4M camera) or written as one (WAV speaker).
    File,
}

/// A device's id: stable across enumerations and program runs for the same device (W3C
/// `deviceId`), made of the backend and the backend's own name for it
/// (`v4l2:usb-0000:00:14.0-1`, `audio:pulse:alsa_output.pci-0000_00_1f.3.analog-stereo`,
/// `synthetic:test-pattern`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(String);

impl DeviceId {
    /// An id from its text.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One device, as `enumerateDevices()` lists it, with what `getCapabilities()` tells.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    /// Stable id (`deviceId`).
    pub id: DeviceId,
    /// Kind (`kind`).
    pub kind: DeviceKind,
    /// A human-readable name (`label`), as the backend gives it.
    pub label: String,
    /// Devices that belong to one physical product (a headset's microphone and speaker)
    /// share a group id (`groupId`), where the backend tells.
    pub group_id: Option<String>,
    /// Where the device comes from.
    pub backend: Backend,
    /// What it can do.
    pub capabilities: Capabilities,
}

/// What a device can do (`getCapabilities()`).
#[derive(Debug, Clone, PartialEq)]
pub enum Capabilities {
    /// A microphone's or a speaker's.
    Audio(AudioCapabilities),
    /// A camera's.
    Video(VideoCapabilities),
}

/// The modes an audio device supports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AudioCapabilities {
    /// Every supported combination of channel count and sample-rate range.
    pub modes: Vec<AudioMode>,
}

/// Channel count and a range of sample rates an audio device supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioMode {
    /// Channels (1 mono, 2 stereo, ...).
    pub channels: u16,
    /// Lowest sample rate in Hz.
    pub min_sample_rate: u32,
    /// Highest sample rate in Hz.
    pub max_sample_rate: u32,
}

/// The modes a camera supports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VideoCapabilities {
    /// Every supported combination of pixel format, size and frame rates.
    pub modes: Vec<VideoMode>,
}

/// A pixel format, a picture size and the frame rates a camera offers for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoMode {
    /// What the device delivers (converted to I420 on capture).
    pub format: PixelFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frame rates offered at this size, highest first.
    pub frame_rates: Vec<FrameRate>,
}

/// A frame rate as a fraction (V4L2 gives frame intervals, 1/30 s is 30/1 frames per
/// second; NTSC rates are 30000/1001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    /// Frames ...
    pub numerator: u32,
    /// ... per this many seconds.
    pub denominator: u32,
}

impl FrameRate {
    /// Whole frames per second.
    pub const fn per_second(fps: u32) -> Self {
        Self {
            numerator: fps,
            denominator: 1,
        }
    }

    /// Frames per second as a number (0 for a zero denominator).
    pub fn as_f64(self) -> f64 {
        if self.denominator == 0 {
            0.0
        } else {
            f64::from(self.numerator) / f64::from(self.denominator)
        }
    }
}

/// Pixel formats cameras deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// Planar 4:2:0, what the encoders take (V4L2 `YU12`).
    I420,
    /// Packed 4:2:2, Y0 U Y1 V (V4L2 `YUYV`), what most USB cameras give uncompressed.
    Yuyv,
    /// 4:2:0 with one interleaved UV plane (V4L2 `NV12`).
    Nv12,
    /// Motion JPEG: each frame a JPEG picture (V4L2 `MJPG`), for high sizes over USB 2.
    Mjpeg,
}

impl PixelFormat {
    /// The V4L2 four-character code.
    pub fn fourcc(self) -> [u8; 4] {
        match self {
            Self::I420 => *b"YU12",
            Self::Yuyv => *b"YUYV",
            Self::Nv12 => *b"NV12",
            Self::Mjpeg => *b"MJPG",
        }
    }

    /// The format with this V4L2 four-character code, if it is one we convert.
    pub fn from_fourcc(code: [u8; 4]) -> Option<Self> {
        match &code {
            b"YU12" => Some(Self::I420),
            b"YUYV" => Some(Self::Yuyv),
            b"NV12" => Some(Self::Nv12),
            b"MJPG" => Some(Self::Mjpeg),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourcc_round_trips_and_unknown_is_none() {
        for f in [
            PixelFormat::I420,
            PixelFormat::Yuyv,
            PixelFormat::Nv12,
            PixelFormat::Mjpeg,
        ] {
            assert_eq!(PixelFormat::from_fourcc(f.fourcc()), Some(f));
        }
        assert_eq!(PixelFormat::from_fourcc(*b"H264"), None);
    }

    #[test]
    fn frame_rate_as_number() {
        assert_eq!(FrameRate::per_second(30).as_f64(), 30.0);
        let ntsc = FrameRate {
            numerator: 30000,
            denominator: 1001,
        };
        assert!((ntsc.as_f64() - 29.97).abs() < 0.01);
        assert_eq!(
            FrameRate {
                numerator: 1,
                denominator: 0
            }
            .as_f64(),
            0.0
        );
    }
}
