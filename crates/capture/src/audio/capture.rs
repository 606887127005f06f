//! A microphone, open: 10 ms frames in the settings asked for, with capture times.

use std::sync::Arc;
use std::time::Duration;

use super::Running;
use super::convert::{NativeFormat, check_settings};
use super::generated::{Generated, PacedThread, ToneMicrophone, WavMicrophone};
use super::sound_server::{self, LatencyCell};
use crate::device::{Backend, DeviceInfo, DeviceKind};
use crate::error::CaptureError;
use crate::frame::{AudioFrame, AudioSettings, StreamLatency};
use crate::stream::FrameQueue;

/// Frames waiting for the application at most (half a second); older ones are dropped.
const QUEUE_FRAMES: usize = 50;

/// An open microphone. Frames arrive in [`AudioCapture::frames`]: 10 ms each, converted to
/// the settings asked for, with the time their first sample reached the device. A device
/// that fails (unplugged) delivers an error event ([`CaptureError::Disconnected`]) and then
/// `Ended`; a passing error (an overrun: samples lost, the stream goes on) delivers
/// [`CaptureError::BadFrame`]. Dropping the capture stops the device.
pub struct AudioCapture {
    // Field order: the device stops before the queue goes.
    _running: Running,
    frames: FrameQueue<AudioFrame>,
    device: DeviceInfo,
    settings: AudioSettings,
    native: NativeFormat,
    device_latency: Arc<LatencyCell>,
    resampler_delay: Duration,
}

impl std::fmt::Debug for AudioCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioCapture")
            .field("device", &self.device.id)
            .field("settings", &self.settings)
            .field("native", &self.native)
            .field("latency", &self.latency())
            .finish_non_exhaustive()
    }
}

impl AudioCapture {
    /// Opens a microphone (from [`crate::enumerate_audio`] or made with
    /// [`DeviceInfo::tone_microphone`] / [`DeviceInfo::wav_microphone`]) and starts it.
    /// A sound device runs in its configuration nearest to `settings`; what differs is
    /// converted.
    pub fn open(device: &DeviceInfo, settings: AudioSettings) -> Result<Self, CaptureError> {
        check_settings(settings)?;
        if device.kind != DeviceKind::AudioInput {
            return Err(CaptureError::NotFound(device.id.clone()));
        }
        let (frames, sender) = FrameQueue::new(QUEUE_FRAMES);
        let device_latency = Arc::new(LatencyCell::default());
        let (running, native, resampler_delay) = match device.backend {
            Backend::Audio => {
                let open = sound_server::open_input(
                    device,
                    settings,
                    sender,
                    Arc::clone(&device_latency),
                )?;
                (
                    Running::SoundServer(open.stream),
                    open.native,
                    open.resampler_delay,
                )
            }
            Backend::Synthetic | Backend::File => match Generated::of(device)? {
                Generated::Tone(hz) => {
                    let mic = ToneMicrophone::new(hz, settings, sender);
                    let thread = PacedThread::spawn("tone microphone", Box::new(mic))?;
                    let native = NativeFormat {
                        sample_rate: settings.sample_rate,
                        channels: settings.channels,
                    };
                    (Running::Generated(thread), native, Duration::ZERO)
                }
                Generated::WavMicrophone { path, looping } => {
                    let mic = WavMicrophone::open(&device.id, path, looping, settings, sender)?;
                    let (native, delay) = (mic.native(), mic.delay());
                    let thread = PacedThread::spawn("wav microphone", Box::new(mic))?;
                    (Running::Generated(thread), native, delay)
                }
                Generated::NullSpeaker | Generated::WavSpeaker(_) => {
                    return Err(CaptureError::NotFound(device.id.clone()));
                }
            },
            Backend::V4l2 => return Err(CaptureError::NotFound(device.id.clone())),
        };
        Ok(Self {
            _running: running,
            frames,
            device: device.clone(),
            settings,
            native,
            device_latency,
            resampler_delay,
        })
    }

    /// The frames, errors and end of the stream.
    pub fn frames(&self) -> &FrameQueue<AudioFrame> {
        &self.frames
    }

    /// What the frames are (W3C `getSettings()`).
    pub fn settings(&self) -> AudioSettings {
        self.settings
    }

    /// What the device runs at (converted to [`AudioCapture::settings`]).
    pub fn native_format(&self) -> NativeFormat {
        self.native
    }

    /// The device.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }

    /// From sound reaching the device to its frame being handed out: the device's buffer
    /// (from the backend's callback timestamps; 0 for generated devices) plus what the
    /// resampler holds back.
    pub fn latency(&self) -> StreamLatency {
        StreamLatency {
            latency: self.device_latency.get() + self.resampler_delay,
        }
    }
}
