//! From what a device gives to what the pipeline wants, and back: channel count
//! (`rtcweb_media::audio::convert_channels`), sample rate (`rtcweb_media::audio::Resampler`)
//! and, on capture, cutting the stream into 10 ms frames with their capture times.
//!
//! The buffers are kept between calls, so once they have grown to a callback's size a
//! conversion allocates nothing but the frames it hands out.

use std::time::{Duration, Instant};

use rtcweb_media::audio::{Resampler, convert_channels};

use crate::error::CaptureError;
use crate::frame::{AudioFrame, AudioSettings};

/// The rate and channel count a device runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeFormat {
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Interleaved channels.
    pub channels: u16,
}

/// Sample rates a stream can be set to: 10 ms must be a whole number of samples.
pub(crate) fn check_settings(settings: AudioSettings) -> Result<(), CaptureError> {
    if !(8000..=192_000).contains(&settings.sample_rate) || settings.sample_rate % 100 != 0 {
        return Err(CaptureError::Overconstrained {
            constraint: "sampleRate",
        });
    }
    if !(1..=8).contains(&settings.channels) {
        return Err(CaptureError::Overconstrained {
            constraint: "channelCount",
        });
    }
    Ok(())
}

fn resampler(from: u32, to: u32, channels: u16) -> Result<Resampler, CaptureError> {
    Resampler::new(from, to, usize::from(channels)).map_err(|e| CaptureError::Backend {
        backend: "resampler",
        message: e.to_string(),
    })
}

/// Device samples in, 10 ms [`AudioFrame`]s in the wanted settings out.
#[derive(Debug)]
pub(crate) struct CaptureConverter {
    native: NativeFormat,
    settings: AudioSettings,
    resampler: Resampler,
    /// Device samples with the wanted channel count.
    channels_done: Vec<i16>,
    /// Converted samples not yet a whole frame.
    pending: Vec<i16>,
}

impl CaptureConverter {
    pub(crate) fn new(native: NativeFormat, settings: AudioSettings) -> Result<Self, CaptureError> {
        check_settings(settings)?;
        let frame = settings.samples_per_frame() * usize::from(settings.channels);
        Ok(Self {
            native,
            settings,
            resampler: resampler(native.sample_rate, settings.sample_rate, settings.channels)?,
            channels_done: Vec::new(),
            pending: Vec::with_capacity(frame * 4),
        })
    }

    /// What the resampler holds back, in time.
    pub(crate) fn delay(&self) -> Duration {
        frames_to_duration(self.resampler.delay() as u64, self.settings.sample_rate)
    }

    /// Takes interleaved device samples whose first one reached the device at `first`, and
    /// hands every frame completed to `emit`.
    pub(crate) fn push(&mut self, input: &[i16], first: Instant, mut emit: impl FnMut(AudioFrame)) {
        let from = usize::from(self.native.channels);
        let to = usize::from(self.settings.channels);
        self.channels_done.clear();
        convert_channels(input, from, to, &mut self.channels_done);
        self.resampler
            .process(&self.channels_done, &mut self.pending);
        // The newest converted sample is the newest input sample, the resampler's delay
        // earlier; each sample before it is one period earlier again.
        let input_frames = (input.len() / from) as u64;
        let end = first
            .checked_add(frames_to_duration(input_frames, self.native.sample_rate))
            .and_then(|t| t.checked_sub(self.delay()))
            .unwrap_or(first);
        let frame_len = self.settings.samples_per_frame() * to;
        let mut start = 0;
        while self.pending.len() - start >= frame_len {
            let waiting = ((self.pending.len() - start) / to) as u64;
            let capture_time = end
                .checked_sub(frames_to_duration(waiting, self.settings.sample_rate))
                .unwrap_or(end);
            emit(AudioFrame {
                samples: self.pending[start..start + frame_len].to_vec(),
                settings: self.settings,
                capture_time,
            });
            start += frame_len;
        }
        self.pending.drain(..start);
    }
}

/// Samples in the application's settings in, samples for the device out.
#[derive(Debug)]
pub(crate) struct PlayoutConverter {
    native: NativeFormat,
    settings: AudioSettings,
    resampler: Resampler,
    channels_done: Vec<i16>,
}

impl PlayoutConverter {
    pub(crate) fn new(native: NativeFormat, settings: AudioSettings) -> Result<Self, CaptureError> {
        check_settings(settings)?;
        Ok(Self {
            native,
            settings,
            resampler: resampler(settings.sample_rate, native.sample_rate, native.channels)?,
            channels_done: Vec::new(),
        })
    }

    /// What the resampler holds back, in time.
    pub(crate) fn delay(&self) -> Duration {
        frames_to_duration(self.resampler.delay() as u64, self.native.sample_rate)
    }

    /// Converts interleaved samples in the settings' format, appending the device's samples
    /// to `output`. A trailing partial sample frame (fewer samples than channels) is ignored.
    pub(crate) fn push(&mut self, input: &[i16], output: &mut Vec<i16>) {
        let from = usize::from(self.settings.channels);
        let whole = input.len() - input.len() % from;
        self.channels_done.clear();
        convert_channels(
            &input[..whole],
            from,
            usize::from(self.native.channels),
            &mut self.channels_done,
        );
        self.resampler.process(&self.channels_done, output);
    }
}

/// `frames` sample periods at `rate` Hz.
pub(crate) fn frames_to_duration(frames: u64, rate: u32) -> Duration {
    let rate = u64::from(rate.max(1));
    Duration::from_nanos(frames.saturating_mul(1_000_000_000) / rate)
}

#[cfg(test)]
mod tests {
    use rtcweb_media::analysis::peak_frequency;
    use rtcweb_media::{AudioSource, ToneSource};

    use super::*;

    fn native(sample_rate: u32, channels: u16) -> NativeFormat {
        NativeFormat {
            sample_rate,
            channels,
        }
    }

    fn settings(sample_rate: u32, channels: u16) -> AudioSettings {
        AudioSettings {
            sample_rate,
            channels,
        }
    }

    #[test]
    fn uneven_callbacks_are_cut_into_10_ms_frames_timed_from_the_first_sample() {
        let mut c = CaptureConverter::new(native(48_000, 1), settings(48_000, 1)).unwrap();
        let t0 = crate::clock::now();
        let input: Vec<i16> = (0..4800).map(|i| i as i16).collect();
        let mut frames = Vec::new();
        let mut at = 0;
        for len in [100, 333, 47, 1000, 2000, 1320] {
            let first = t0 + frames_to_duration(at as u64, 48_000);
            c.push(&input[at..at + len], first, |f| frames.push(f));
            at += len;
        }
        assert_eq!(frames.len(), 10);
        for (n, frame) in frames.iter().enumerate() {
            assert_eq!(frame.samples.len(), 480);
            // Nothing lost, nothing repeated, in order.
            assert_eq!(frame.samples[0], (n * 480) as i16);
            assert_eq!(frame.samples[479], (n * 480 + 479) as i16);
            // Frame n starts n * 10 ms after the first sample (to rounding of nanoseconds).
            let offset = frame.capture_time.duration_since(t0);
            let want = Duration::from_millis(10 * n as u64);
            assert!(
                offset.abs_diff(want) < Duration::from_micros(1),
                "{n}: {offset:?}"
            );
        }
    }

    #[test]
    fn stereo_44k1_becomes_mono_48k_with_the_tone_kept() {
        let mut c = CaptureConverter::new(native(44_100, 2), settings(48_000, 1)).unwrap();
        assert!(c.delay() > Duration::ZERO, "a resampler holds samples back");
        let mut tone = ToneSource::new(1000.0, 8000.0, 44_100, 2);
        let t0 = crate::clock::now();
        let mut frames = Vec::new();
        let mut buf = vec![0i16; 2 * 441];
        for n in 0..100 {
            tone.fill(&mut buf);
            c.push(&buf, t0 + Duration::from_millis(10 * n), |f| frames.push(f));
        }
        // One second in, about one second out (less what the resampler holds).
        assert!((95..=100).contains(&frames.len()), "{}", frames.len());
        assert!(frames.iter().all(|f| f.samples.len() == 480));
        let mono: Vec<i16> = frames[20..]
            .iter()
            .flat_map(|f| f.samples.clone())
            .collect();
        let hz = peak_frequency(&mono, 48_000);
        assert!((hz - 1000.0).abs() <= 2.0, "{hz} Hz");
        let peak = mono.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((7800..=8300).contains(&peak), "peak {peak}");
        // Frames follow each other 10 ms apart, however the input was cut.
        for w in frames.windows(2) {
            let gap = w[1].capture_time.duration_since(w[0].capture_time);
            assert!(
                gap.abs_diff(Duration::from_millis(10)) < Duration::from_micros(50),
                "{gap:?}"
            );
        }
    }

    #[test]
    fn playout_converts_mono_16k_to_stereo_48k() {
        let mut c = PlayoutConverter::new(native(48_000, 2), settings(16_000, 1)).unwrap();
        let mut tone = ToneSource::new(500.0, 6000.0, 16_000, 1);
        let mut frame = vec![0i16; 160];
        let mut out = Vec::new();
        for _ in 0..100 {
            tone.fill(&mut frame);
            c.push(&frame, &mut out);
        }
        assert_eq!(out.len() % 2, 0);
        assert!(out.len() > 2 * 48_000 * 9 / 10, "{}", out.len());
        assert!(out.chunks_exact(2).all(|lr| lr[0] == lr[1]));
        let left: Vec<i16> = out.iter().step_by(2).copied().skip(4800).collect();
        let hz = peak_frequency(&left, 48_000);
        assert!((hz - 500.0).abs() <= 2.0, "{hz} Hz");
    }

    #[test]
    fn rates_that_are_not_whole_10_ms_frames_and_odd_channel_counts_are_refused() {
        for (rate, channels, constraint) in [
            (44_101, 1, "sampleRate"),
            (7999, 1, "sampleRate"),
            (0, 1, "sampleRate"),
            (48_000, 0, "channelCount"),
            (48_000, 9, "channelCount"),
        ] {
            assert_eq!(
                CaptureConverter::new(native(48_000, 2), settings(rate, channels)).err(),
                Some(CaptureError::Overconstrained { constraint })
            );
        }
    }
}
