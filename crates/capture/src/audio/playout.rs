//! A speaker, open: the application writes 10 ms frames (from the jitter buffer, say) and
//! the device plays them from a bounded ring.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Running;
use super::convert::{NativeFormat, PlayoutConverter, check_settings, frames_to_duration};
use super::generated::{Generated, PacedSpeaker, PacedThread};
use super::ring::{PlayoutRing, PlayoutStats};
use super::sound_server::{self, ErrorSlot, LatencyCell};
use crate::device::{Backend, DeviceInfo, DeviceKind};
use crate::error::CaptureError;
use crate::frame::{AudioFrame, AudioSettings, StreamLatency};

/// How much audio the ring holds at most: 300 ms. More written than played is dropped,
/// oldest first, so playout never lags by more than this. A sound server that takes
/// 100 ms at a time finds up to 160 ms there (its request, the cushion and a frame), so a
/// request up to 140 ms late still drops nothing (each drop, like a gap, moves all that
/// follows; 200 ms dropped 20 ms once in three calls through a loaded PulseAudio).
const RING: Duration = Duration::from_millis(300);

/// What a ring that ran dry (or a new one) holds beyond a device request before it plays
/// again: two 20 ms frames of lateness in the application's writes (see `ring`).
const CUSHION: Duration = Duration::from_millis(40);

/// The generated speakers take 10 ms per tick: that is their device buffer.
const GENERATED_BUFFER: Duration = Duration::from_millis(10);

/// An open speaker. Write frames at the pace they should be heard; a full ring drops the
/// oldest audio and an empty one plays silence (both counted in [`AudioPlayout::stats`]).
/// A ring that ran dry, and a new one, stays silent until it holds the device's request
/// and 40 ms more, so writes a little late do not cut gaps into the audio (each gap would
/// delay all that follows, and move the echo an echo canceller tracks).
/// Dropping the playout stops the device (and completes a WAV speaker's file).
pub struct AudioPlayout {
    _running: Running,
    ring: Arc<PlayoutRing>,
    converter: PlayoutConverter,
    converted: Vec<i16>,
    device: DeviceInfo,
    settings: AudioSettings,
    native: NativeFormat,
    device_latency: Arc<LatencyCell>,
    errors: ErrorSlot,
}

impl std::fmt::Debug for AudioPlayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioPlayout")
            .field("device", &self.device.id)
            .field("settings", &self.settings)
            .field("native", &self.native)
            .field("latency", &self.latency())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl AudioPlayout {
    /// Opens a speaker (from [`crate::enumerate_audio`] or made with
    /// [`DeviceInfo::null_speaker`] / [`DeviceInfo::wav_speaker`]) for audio in `settings`,
    /// and starts it playing (silence until something is written).
    pub fn open(device: &DeviceInfo, settings: AudioSettings) -> Result<Self, CaptureError> {
        check_settings(settings)?;
        if device.kind != DeviceKind::AudioOutput {
            return Err(CaptureError::NotFound(device.id.clone()));
        }
        let device_latency = Arc::new(LatencyCell::default());
        let errors: ErrorSlot = Arc::new(Mutex::new(None));
        let ring_for = |native: NativeFormat| {
            let frames = frames_in(native.sample_rate, RING);
            let cushion = frames_in(native.sample_rate, CUSHION);
            Arc::new(PlayoutRing::new(native.channels, frames, cushion))
        };
        let (running, ring, native) = match device.backend {
            Backend::Audio => {
                let (native, format, buffers) = sound_server::output_format(device, settings)?;
                let ring = ring_for(native);
                let stream = sound_server::open_output(
                    device,
                    native,
                    format,
                    buffers,
                    Arc::clone(&ring),
                    Arc::clone(&device_latency),
                    Arc::clone(&errors),
                )?;
                (Running::SoundServer(stream), ring, native)
            }
            Backend::Synthetic | Backend::File => {
                let file = match Generated::of(device)? {
                    Generated::NullSpeaker => None,
                    Generated::WavSpeaker(path) => Some(path),
                    Generated::Tone(_) | Generated::WavMicrophone { .. } => {
                        return Err(CaptureError::NotFound(device.id.clone()));
                    }
                };
                let native = NativeFormat {
                    sample_rate: settings.sample_rate,
                    channels: settings.channels,
                };
                let ring = ring_for(native);
                let speaker = PacedSpeaker::new(
                    Arc::clone(&ring),
                    settings,
                    file.as_deref(),
                    Arc::clone(&errors),
                )?;
                device_latency.set(GENERATED_BUFFER);
                let thread = PacedThread::spawn("speaker", Box::new(speaker))?;
                (Running::Generated(thread), ring, native)
            }
            Backend::V4l2 => return Err(CaptureError::NotFound(device.id.clone())),
        };
        Ok(Self {
            _running: running,
            ring,
            converter: PlayoutConverter::new(native, settings)?,
            converted: Vec::new(),
            device: device.clone(),
            settings,
            native,
            device_latency,
            errors,
        })
    }

    /// Queues interleaved samples in [`AudioPlayout::settings`] (any length; 10 ms frames
    /// are what the jitter buffer gives). Fails once the device has failed.
    pub fn write(&mut self, samples: &[i16]) -> Result<(), CaptureError> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        self.converted.clear();
        self.converter.push(samples, &mut self.converted);
        self.ring.write(&self.converted);
        Ok(())
    }

    /// Queues a frame; it must be in [`AudioPlayout::settings`] (else
    /// [`CaptureError::BadFrame`]).
    pub fn write_frame(&mut self, frame: &AudioFrame) -> Result<(), CaptureError> {
        if frame.settings != self.settings {
            return Err(CaptureError::BadFrame(format!(
                "a frame of {} Hz, {} channels on a playout of {} Hz, {} channels",
                frame.settings.sample_rate,
                frame.settings.channels,
                self.settings.sample_rate,
                self.settings.channels
            )));
        }
        self.write(&frame.samples)
    }

    /// The error that stopped the device, if one did ([`CaptureError::Disconnected`] when
    /// it went away). Passing errors are counted in [`PlayoutStats::device_glitches`].
    pub fn error(&self) -> Option<CaptureError> {
        self.errors.lock().ok().and_then(|slot| slot.clone())
    }

    /// From a sample being written to it being heard: what waits in the ring, the device's
    /// buffer (from the backend's callback timestamps) and what the resampler holds back.
    /// The echo canceller aligns the far end's audio with the microphone by it.
    pub fn latency(&self) -> StreamLatency {
        let ring = frames_to_duration(self.ring.fill() as u64, self.native.sample_rate);
        StreamLatency {
            latency: ring + self.device_latency.get() + self.converter.delay(),
        }
    }

    /// Counters: written, dropped because the ring was full, underruns.
    pub fn stats(&self) -> PlayoutStats {
        self.ring.stats()
    }

    /// What the application writes (W3C `getSettings()`).
    pub fn settings(&self) -> AudioSettings {
        self.settings
    }

    /// What the device runs at.
    pub fn native_format(&self) -> NativeFormat {
        self.native
    }

    /// The device.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }
}

/// Sample frames in `duration` at `sample_rate`.
fn frames_in(sample_rate: u32, duration: Duration) -> usize {
    (u128::from(sample_rate) * duration.as_millis() / 1000) as usize
}
