//! 48 kHz PCM to Opus packets.

use super::{CodecError, FrameDuration, OpusConfig, channels};

/// Encodes 48 kHz PCM into Opus packets, one per [`FrameDuration`].
pub struct OpusEncoder {
    inner: opus::Encoder,
    config: OpusConfig,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("config", &self.config)
            .finish()
    }
}

impl OpusEncoder {
    /// A VoIP encoder with these settings.
    pub fn new(config: OpusConfig) -> Result<Self, CodecError> {
        let inner = opus::Encoder::new(48_000, channels(config.stereo), opus::Application::Voip)?;
        let mut encoder = Self { inner, config };
        encoder.apply(config)?;
        Ok(encoder)
    }

    /// Changes the settings (bitrate, FEC, DTX, frame duration…) from the next frame on; the
    /// channel count is fixed at creation.
    pub fn apply(&mut self, config: OpusConfig) -> Result<(), CodecError> {
        if config.stereo != self.config.stereo {
            return Err(CodecError::Opus(
                "the channel count is fixed when the encoder is made".to_owned(),
            ));
        }
        let bitrate = match config.bitrate {
            Some(bps) => opus::Bitrate::Bits(i32::try_from(bps).unwrap_or(i32::MAX)),
            None => opus::Bitrate::Auto,
        };
        self.inner.set_bitrate(bitrate)?;
        self.inner.set_inband_fec(config.fec)?;
        self.inner
            .set_packet_loss_perc(i32::from(config.expected_loss_percent.min(100)))?;
        self.inner.set_dtx(config.dtx)?;
        if let Some(c) = config.complexity {
            self.inner.set_complexity(i32::from(c.min(10)))?;
        }
        self.config = config;
        Ok(())
    }

    /// The settings in force.
    pub fn config(&self) -> OpusConfig {
        self.config
    }

    /// Sets the target bitrate in bits per second (e.g. from congestion control).
    pub fn set_bitrate(&mut self, bps: u32) -> Result<(), CodecError> {
        self.apply(OpusConfig {
            bitrate: Some(bps),
            ..self.config
        })
    }

    /// Interleaved samples one frame takes.
    pub fn frame_len(&self) -> usize {
        self.config.frame.samples() * if self.config.stereo { 2 } else { 1 }
    }

    /// The frame duration in force.
    pub fn frame_duration(&self) -> FrameDuration {
        self.config.frame
    }

    /// Encodes one frame ([`Self::frame_len`] interleaved samples) into `out`; returns the
    /// packet length. With DTX on, silence gives packets of one or two bytes, which need not
    /// be sent (RFC 7587 §3.1.3).
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.len() != self.frame_len() {
            return Err(CodecError::FrameLength {
                expected: self.frame_len(),
                got: pcm.len(),
            });
        }
        Ok(self.inner.encode(pcm, out)?)
    }
}
