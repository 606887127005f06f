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

#[cfg(all(test, feature = "opus"))]
mod tests {
    //! That every setting reaches libopus (read back through its getters), within its ranges.

    use super::*;

    #[test]
    fn new_and_apply_hand_every_setting_to_libopus() {
        let config = OpusConfig {
            bitrate: Some(24_000),
            fec: true,
            expected_loss_percent: 12,
            dtx: true,
            complexity: Some(3),
            ..OpusConfig::default()
        };
        let mut e = OpusEncoder::new(config).unwrap();
        assert_eq!(e.inner.get_bitrate().unwrap(), opus::Bitrate::Bits(24_000));
        assert!(e.inner.get_inband_fec().unwrap());
        assert_eq!(e.inner.get_packet_loss_perc().unwrap(), 12);
        assert!(e.inner.get_dtx().unwrap());
        assert_eq!(e.inner.get_complexity().unwrap(), 3);
        assert_eq!(e.config(), config);

        // Out-of-range values are brought into libopus's ranges, not refused.
        e.apply(OpusConfig {
            fec: false,
            expected_loss_percent: 250,
            dtx: false,
            complexity: Some(42),
            ..config
        })
        .unwrap();
        assert!(!e.inner.get_inband_fec().unwrap());
        assert_eq!(e.inner.get_packet_loss_perc().unwrap(), 100);
        assert!(!e.inner.get_dtx().unwrap());
        assert_eq!(e.inner.get_complexity().unwrap(), 10);

        e.set_bitrate(64_000).unwrap();
        assert_eq!(e.inner.get_bitrate().unwrap(), opus::Bitrate::Bits(64_000));
        assert_eq!(e.config().bitrate, Some(64_000));
        // A bitrate over i32 is clamped rather than wrapped (libopus then caps it itself).
        e.set_bitrate(u32::MAX).unwrap();
        assert!(matches!(e.inner.get_bitrate().unwrap(), opus::Bitrate::Bits(b) if b > 64_000));
    }

    #[test]
    fn the_channel_count_cannot_change_and_a_refused_apply_keeps_the_settings() {
        let mut e = OpusEncoder::new(OpusConfig::default()).unwrap();
        let before = e.config();
        let refused = e.apply(OpusConfig {
            stereo: true,
            bitrate: Some(10_000),
            ..before
        });
        assert!(matches!(refused, Err(CodecError::Opus(_))));
        assert_eq!(e.config(), before);
        assert_ne!(e.inner.get_bitrate().unwrap(), opus::Bitrate::Bits(10_000));
    }

    #[test]
    fn a_frame_is_exactly_frame_len_samples_and_the_packet_says_so() {
        // RFC 6716 §3.1: the TOC byte gives the frame duration, so a decoder can count.
        for (frame, stereo) in [
            (FrameDuration::Ms10, false),
            (FrameDuration::Ms20, true),
            (FrameDuration::Ms40, false),
            (FrameDuration::Ms60, true),
        ] {
            let mut e = OpusEncoder::new(OpusConfig {
                frame,
                stereo,
                ..OpusConfig::default()
            })
            .unwrap();
            let channels = if stereo { 2 } else { 1 };
            assert_eq!(e.frame_len(), frame.samples() * channels);
            assert_eq!(e.frame_duration(), frame);
            let mut out = [0u8; super::super::MAX_PACKET];
            let pcm = vec![1000i16; e.frame_len()];
            let n = e.encode(&pcm, &mut out).unwrap();
            assert_eq!(
                opus::packet::get_nb_samples(&out[..n], 48_000).unwrap(),
                frame.samples()
            );
            assert_eq!(
                e.encode(&pcm[1..], &mut out),
                Err(CodecError::FrameLength {
                    expected: e.frame_len(),
                    got: e.frame_len() - 1
                })
            );
        }
    }
}
