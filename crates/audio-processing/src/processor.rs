//! The processor: render frames queued, capture frames processed in place, channel by
//! channel, the band below 8 kHz at 16 kHz (see `band_split`).

use crate::band_split::SplitChannel;
use crate::channel::{CHANNEL_FRAME, CHANNEL_RATE, CaptureChannel};
use crate::config::{AudioProcessingConfig, ConfigError, FrameError};
use crate::gain_control::GainControl;

/// Render frames held between `handle_render_frame` and the capture frame that takes them:
/// 500 ms. More is dropped, oldest first, and counted.
const RENDER_QUEUE_FRAMES: usize = 50;

/// What the processor measured (webrtc-stats names where there are some).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AudioProcessingStats {
    /// `echoReturnLoss` (webrtc-stats, media-source): how much quieter the echo in the
    /// capture is than the render, dB, smoothed over about a second of far-end activity
    /// (on the first capture channel, below 8 kHz). `None` before the far end has been
    /// heard.
    pub echo_return_loss: Option<f64>,
    /// `echoReturnLossEnhancement` (webrtc-stats, media-source): how much quieter the
    /// processed capture is than the capture, dB, over the same frames.
    pub echo_return_loss_enhancement: Option<f64>,
    /// The estimated render-to-capture delay, ms (10 ms steps); `None` until estimated.
    pub delay_ms: Option<u32>,
    /// Render frames dropped because the render queue was full (render without capture).
    pub render_frames_dropped: u64,
    /// Capture frames processed with no render frame queued (silence used instead).
    pub render_underruns: u64,
    /// Times a shadow filter diverged and was reset to its main filter (all channels).
    pub shadow_resets: u64,
    /// The gain automatic gain control applies now, dB (before its limiter); `None` when
    /// it is off.
    pub gain_db: Option<f64>,
}

/// One capture channel: its processing at 16 kHz and, at 32 and 48 kHz, its band split.
#[derive(Debug)]
struct Channel {
    processing: CaptureChannel,
    split: Option<SplitChannel>,
    /// The channel's samples at the full rate.
    full: Vec<f32>,
    /// Its band below 8 kHz at 16 kHz (the whole of it at 16 kHz).
    low: Vec<f32>,
}

/// Audio processing of the capture stream on 10 ms frames, sans-IO: acoustic echo
/// cancellation, a high-pass filter, noise suppression and automatic gain control, each
/// switched by [`AudioProcessingConfig`].
///
/// Feed every frame the loudspeaker plays to [`AudioProcessor::handle_render_frame`] and
/// every microphone frame to [`AudioProcessor::process_capture_frame`], which replaces it
/// with the processed frame. Both take 10 ms of 16-bit PCM at the configured rate, mono or
/// stereo (interleaved). A stereo render is mixed down to one reference; each capture
/// channel has its own echo canceller, as each microphone has its own echo path. No
/// allocation happens after [`AudioProcessor::new`].
#[derive(Debug)]
pub struct AudioProcessor {
    config: AudioProcessingConfig,
    /// Samples per channel in a frame at the full rate.
    frame: usize,
    channels: usize,
    /// Render frames, mixed down to mono and (at 32 and 48 kHz) decimated to 16 kHz.
    queue: Vec<f32>,
    queue_start: usize,
    queue_len: usize,
    render_mono: Vec<f32>,
    render_split: Option<crate::band_split::Decimator>,
    /// The render frame a capture frame is processed against.
    render_low: Vec<f32>,
    /// Whether the channels do anything (echo cancellation, high-pass filter or noise
    /// suppression).
    channel_work: bool,
    capture: Vec<Channel>,
    gain_control: Option<GainControl>,
    /// The processed frame, interleaved.
    output: Vec<f32>,
    stats: AudioProcessingStats,
}

impl AudioProcessor {
    /// A processor for `config`; refuses what is not built ([`ConfigError`]).
    pub fn new(config: AudioProcessingConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let frame = (config.sample_rate / 100) as usize;
        let channels = usize::from(config.channels);
        let factor = (config.sample_rate / CHANNEL_RATE) as usize;
        let capture = (0..channels)
            .map(|_| {
                let processing = CaptureChannel::new(&config);
                let split = (factor > 1).then(|| {
                    SplitChannel::new(config.sample_rate, factor, frame, processing.latency())
                });
                Channel {
                    processing,
                    split,
                    full: vec![0.0; frame],
                    low: vec![0.0; CHANNEL_FRAME],
                }
            })
            .collect();
        Ok(Self {
            config,
            frame,
            channels,
            queue: vec![0.0; RENDER_QUEUE_FRAMES * CHANNEL_FRAME],
            queue_start: 0,
            queue_len: 0,
            render_mono: vec![0.0; frame],
            render_split: (factor > 1)
                .then(|| crate::band_split::Decimator::new(config.sample_rate, factor, frame)),
            render_low: vec![0.0; CHANNEL_FRAME],
            channel_work: config.echo_cancellation
                || config.noise_suppression
                || config.high_pass_filter,
            capture,
            gain_control: config.auto_gain_control.then(GainControl::new),
            output: vec![0.0; frame * channels],
            stats: AudioProcessingStats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AudioProcessingConfig {
        &self.config
    }

    /// Samples in one 10 ms frame, all channels (interleaved).
    pub fn frame_len(&self) -> usize {
        self.frame * self.channels
    }

    /// What the processor measured so far.
    pub fn stats(&self) -> AudioProcessingStats {
        let mut stats = self.stats;
        if let Some(first) = self.capture.first() {
            let channel = first.processing.stats();
            stats.echo_return_loss = channel.echo_return_loss;
            stats.echo_return_loss_enhancement = channel.echo_return_loss_enhancement;
            stats.delay_ms = channel.delay_ms;
        }
        stats.shadow_resets = self
            .capture
            .iter()
            .map(|c| c.processing.stats().shadow_resets)
            .sum();
        stats
    }

    /// Takes one 10 ms frame of what the loudspeaker plays (the far end): the reference the
    /// echo is cancelled against. Frames queue (up to 500 ms) until capture frames take
    /// them, one each.
    pub fn handle_render_frame(&mut self, frame: &[i16]) -> Result<(), FrameError> {
        self.check(frame.len())?;
        if self.queue_len == RENDER_QUEUE_FRAMES {
            self.queue_start = (self.queue_start + 1) % RENDER_QUEUE_FRAMES;
            self.queue_len -= 1;
            self.stats.render_frames_dropped += 1;
        }
        let scale = 1.0 / (32768.0 * self.channels as f32);
        for (m, samples) in self
            .render_mono
            .iter_mut()
            .zip(frame.chunks_exact(self.channels))
        {
            *m = samples.iter().map(|&s| f32::from(s)).sum::<f32>() * scale;
        }
        let slot = (self.queue_start + self.queue_len) % RENDER_QUEUE_FRAMES;
        let slot = &mut self.queue[slot * CHANNEL_FRAME..(slot + 1) * CHANNEL_FRAME];
        match &mut self.render_split {
            Some(split) => split.process(&self.render_mono, slot),
            None => slot.copy_from_slice(&self.render_mono),
        }
        self.queue_len += 1;
        Ok(())
    }

    /// Processes one 10 ms microphone frame in place: the echo of the render is removed.
    pub fn process_capture_frame(&mut self, frame: &mut [i16]) -> Result<(), FrameError> {
        self.check(frame.len())?;
        self.take_render_frame();
        if !self.channel_work && self.gain_control.is_none() {
            return Ok(());
        }
        for (c, channel) in self.capture.iter_mut().enumerate() {
            let samples = frame.iter().skip(c).step_by(self.channels);
            if !self.channel_work {
                for (o, &s) in self
                    .output
                    .iter_mut()
                    .skip(c)
                    .step_by(self.channels)
                    .zip(samples)
                {
                    *o = f32::from(s) / 32768.0;
                }
                continue;
            }
            for (x, &s) in channel.full.iter_mut().zip(samples) {
                *x = f32::from(s) / 32768.0;
            }
            match &mut channel.split {
                Some(split) => {
                    split.split(&channel.full, &mut channel.low);
                    channel
                        .processing
                        .process(&self.render_low, &mut channel.low);
                    split.merge(&channel.low, &mut channel.full);
                }
                None => {
                    channel
                        .processing
                        .process(&self.render_low, &mut channel.full);
                }
            }
            for (o, &x) in self
                .output
                .iter_mut()
                .skip(c)
                .step_by(self.channels)
                .zip(&channel.full)
            {
                *o = x;
            }
        }
        if let Some(gain_control) = &mut self.gain_control {
            gain_control.process(&mut self.output);
            self.stats.gain_db = Some(f64::from(gain_control.gain_db()));
        }
        for (out, &e) in frame.iter_mut().zip(&self.output) {
            // Rounded half away from zero, as `f32::round` does, without its library call.
            let v = e * 32768.0;
            *out = (v + 0.5f32.copysign(v)).clamp(-32768.0, 32767.0) as i16;
        }
        Ok(())
    }

    fn check(&self, len: usize) -> Result<(), FrameError> {
        if len == self.frame_len() {
            Ok(())
        } else {
            Err(FrameError::Length {
                expected: self.frame_len(),
                actual: len,
            })
        }
    }

    /// Moves the oldest queued render frame (or silence) into `render_low`.
    fn take_render_frame(&mut self) {
        if self.queue_len == 0 {
            self.render_low.fill(0.0);
            self.stats.render_underruns += 1;
            return;
        }
        let slot = self.queue_start;
        self.render_low
            .copy_from_slice(&self.queue[slot * CHANNEL_FRAME..(slot + 1) * CHANNEL_FRAME]);
        self.queue_start = (self.queue_start + 1) % RENDER_QUEUE_FRAMES;
        self.queue_len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_frame_lengths_are_refused() {
        let mut p = AudioProcessor::new(AudioProcessingConfig::new(16_000)).unwrap();
        assert_eq!(
            p.handle_render_frame(&[0; 100]),
            Err(FrameError::Length {
                expected: 160,
                actual: 100
            })
        );
        assert!(p.process_capture_frame(&mut [0; 480]).is_err());
    }

    #[test]
    fn render_queue_is_bounded_and_counted() {
        let mut p = AudioProcessor::new(AudioProcessingConfig::new(16_000)).unwrap();
        for _ in 0..60 {
            p.handle_render_frame(&[1000; 160]).unwrap();
        }
        assert_eq!(p.stats().render_frames_dropped, 10);
        let mut capture = [0i16; 160];
        for _ in 0..51 {
            p.process_capture_frame(&mut capture).unwrap();
        }
        assert_eq!(p.stats().render_underruns, 1);
    }

    #[test]
    fn with_everything_off_the_capture_passes_through() {
        let mut config = AudioProcessingConfig::new(16_000);
        config.echo_cancellation = false;
        config.noise_suppression = false;
        config.high_pass_filter = false;
        let mut p = AudioProcessor::new(config).unwrap();
        let mut capture: Vec<i16> = (0..160).map(|i| (i * 100) as i16).collect();
        let copy = capture.clone();
        p.handle_render_frame(&capture.clone()).unwrap();
        p.process_capture_frame(&mut capture).unwrap();
        assert_eq!(capture, copy);
    }
}
