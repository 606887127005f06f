//! What an [`AudioProcessor`](crate::AudioProcessor) is asked to do, and what it refuses.

/// The sample rates the processor takes, Hz (10 ms frames of 160, 320 or 480 samples).
pub const SAMPLE_RATES: [u32; 3] = [16_000, 32_000, 48_000];

/// Longest echo tail the adaptive filter may be asked to model, ms.
pub const MAX_ECHO_TAIL_MS: u32 = 1_000;

/// The configuration of an [`AudioProcessor`](crate::AudioProcessor): the stream format and
/// which processing runs, named after the W3C media constraints (`echoCancellation`,
/// `noiseSuppression`, `autoGainControl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioProcessingConfig {
    /// Sample rate of both streams, Hz: one of [`SAMPLE_RATES`].
    pub sample_rate: u32,
    /// Channels of both streams: 1 (mono) or 2 (stereo, samples interleaved). A stereo
    /// render is mixed down to one reference; each capture channel is processed on its own.
    pub channels: u16,
    /// Acoustic echo cancellation (`echoCancellation`).
    pub echo_cancellation: bool,
    /// Noise suppression of stationary noise (`noiseSuppression`): adds one frame (10 ms)
    /// of latency.
    pub noise_suppression: bool,
    /// The high-pass filter (2nd-order Butterworth, 80 Hz) on the capture stream, after the
    /// echo canceller and before noise suppression: takes away rumble and DC below speech. Browsers have it on whenever
    /// any of the three W3C processing constraints is.
    pub high_pass_filter: bool,
    /// Automatic gain control (`autoGainControl`), digital, last in the chain: raises a
    /// quiet talker toward -18 dBFS RMS by at most 30 dB, at most 3 dB a second and only
    /// while there is speech, with a limiter at -1 dBFS.
    pub auto_gain_control: bool,
    /// How much of the room's echo tail, after the estimated delay, the adaptive filter
    /// models, ms (rounded up to whole 10 ms partitions). 400 ms covers rooms up to an RT60
    /// of about 600 ms to within the ERLE the filter reaches; the cost grows linearly.
    pub echo_tail_ms: u32,
    /// Longest render-to-capture delay the delay estimator searches, ms.
    pub max_delay_ms: u32,
}

impl AudioProcessingConfig {
    /// Mono at `sample_rate` with the high-pass filter, echo cancellation (400 ms of tail,
    /// delays up to 500 ms) and noise suppression on, as browsers default them; gain
    /// control off.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            channels: 1,
            echo_cancellation: true,
            noise_suppression: true,
            high_pass_filter: true,
            auto_gain_control: false,
            echo_tail_ms: 400,
            max_delay_ms: 500,
        }
    }

    /// Samples in one 10 ms frame, all channels (interleaved).
    pub fn frame_len(&self) -> usize {
        (self.sample_rate / 100) as usize * usize::from(self.channels)
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !SAMPLE_RATES.contains(&self.sample_rate) {
            return Err(ConfigError::SampleRate(self.sample_rate));
        }
        if !(1..=2).contains(&self.channels) {
            return Err(ConfigError::Channels(self.channels));
        }
        if self.echo_tail_ms == 0 || self.echo_tail_ms > MAX_ECHO_TAIL_MS {
            return Err(ConfigError::EchoTail(self.echo_tail_ms));
        }
        if self.max_delay_ms > MAX_ECHO_TAIL_MS {
            return Err(ConfigError::MaxDelay(self.max_delay_ms));
        }
        Ok(())
    }
}

/// Why a configuration was refused (the caller's mistake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not one of [`SAMPLE_RATES`].
    #[error("unsupported sample rate {0} Hz (16000, 32000 or 48000)")]
    SampleRate(u32),
    /// Only mono and stereo are supported.
    #[error("unsupported channel count {0} (1 or 2)")]
    Channels(u16),
    /// The echo tail is 0 or longer than [`MAX_ECHO_TAIL_MS`].
    #[error("echo tail of {0} ms (1 to 1000)")]
    EchoTail(u32),
    /// The delay range is longer than [`MAX_ECHO_TAIL_MS`].
    #[error("maximum delay of {0} ms (at most 1000)")]
    MaxDelay(u32),
}

/// Why a frame was refused (API misuse; the frame is dropped, the state is unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame is not 10 ms long.
    #[error("frame of {actual} samples, expected {expected} (10 ms)")]
    Length {
        /// Samples in 10 ms at the configured rate.
        expected: usize,
        /// Samples given.
        actual: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_processing_stage_is_accepted_and_bad_formats_are_refused() {
        assert_eq!(AudioProcessingConfig::new(48_000).validate(), Ok(()));
        assert_eq!(
            AudioProcessingConfig::new(44_100).validate(),
            Err(ConfigError::SampleRate(44_100))
        );
        let mut c = AudioProcessingConfig::new(16_000);
        c.noise_suppression = true;
        assert_eq!(c.validate(), Ok(()));
        let mut c = AudioProcessingConfig::new(16_000);
        c.auto_gain_control = true;
        assert_eq!(c.validate(), Ok(()));
        let mut c = AudioProcessingConfig::new(16_000);
        c.channels = 2;
        assert_eq!(c.validate(), Ok(()));
        c.channels = 3;
        assert_eq!(c.validate(), Err(ConfigError::Channels(3)));
    }
}
