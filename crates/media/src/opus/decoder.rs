//! Opus packets to 48 kHz PCM, with loss concealment and FEC recovery.

use super::{CodecError, FRAME_SAMPLES, MAX_PACKET_SAMPLES, channels};

/// Decodes Opus packets to 48 kHz PCM, concealing lost ones.
pub struct OpusDecoder {
    inner: opus::Decoder,
    channels: usize,
    /// Samples per channel of the last packet decoded: what a lost packet stands for.
    last_duration: usize,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("channels", &self.channels)
            .field("last_duration", &self.last_duration)
            .finish()
    }
}

impl OpusDecoder {
    /// A decoder, mono or stereo output (either decodes any Opus stream).
    pub fn new(stereo: bool) -> Result<Self, CodecError> {
        Ok(Self {
            inner: opus::Decoder::new(48_000, channels(stereo))?,
            channels: if stereo { 2 } else { 1 },
            last_duration: FRAME_SAMPLES,
        })
    }

    /// Interleaved samples `pcm` needs for any packet (120 ms).
    pub fn max_output_len(&self) -> usize {
        MAX_PACKET_SAMPLES * self.channels
    }

    fn check(&self, pcm: &[i16], samples: usize) -> Result<(), CodecError> {
        let needed = samples * self.channels;
        if pcm.len() < needed {
            return Err(CodecError::BufferTooSmall {
                needed,
                got: pcm.len(),
            });
        }
        Ok(())
    }

    /// Decodes one packet into `pcm`; returns samples per channel. A malformed packet is an
    /// error, and the caller conceals instead.
    pub fn decode(&mut self, packet: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        let samples = opus::packet::get_nb_samples(packet, 48_000)?;
        self.check(pcm, samples)?;
        let n = self.inner.decode(packet, pcm, false)?;
        self.last_duration = n;
        Ok(n)
    }

    /// Conceals one lost packet (as long as the last one decoded) with libopus's packet-loss
    /// concealment, or, with the next packet at hand, recovers it from that packet's in-band
    /// FEC (RFC 6716 §2.1.7). Returns samples per channel.
    pub fn conceal(&mut self, next: Option<&[u8]>, pcm: &mut [i16]) -> Result<usize, CodecError> {
        let samples = self.last_duration;
        self.check(pcm, samples)?;
        let frame = &mut pcm[..samples * self.channels];
        Ok(match next {
            Some(p) if opus::packet::parse(p).is_ok() => self.inner.decode(p, frame, true)?,
            _ => self.inner.decode(&[], frame, false)?,
        })
    }
}

#[cfg(all(test, feature = "opus"))]
mod tests {
    //! Output sizes of decoding and concealment, which follow the last packet decoded.

    use super::*;
    use crate::opus::{FrameDuration, OpusConfig, OpusEncoder};

    /// One packet of `frame` (mono) carrying a quiet tone.
    fn packet(frame: FrameDuration) -> Vec<u8> {
        let mut e = OpusEncoder::new(OpusConfig {
            frame,
            ..OpusConfig::default()
        })
        .unwrap();
        let pcm: Vec<i16> = (0..e.frame_len())
            .map(|i| ((i as f64 * 0.13).sin() * 3000.0) as i16)
            .collect();
        let mut out = vec![0u8; crate::opus::MAX_PACKET];
        let n = e.encode(&pcm, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn decode_gives_the_packets_samples_per_channel_and_concealment_follows_the_last() {
        let mut d = OpusDecoder::new(false).unwrap();
        assert_eq!(d.max_output_len(), 5760);
        let mut pcm = vec![0i16; d.max_output_len()];
        // Before any packet a loss stands for 20 ms.
        assert_eq!(d.conceal(None, &mut pcm).unwrap(), FRAME_SAMPLES);
        for frame in [
            FrameDuration::Ms10,
            FrameDuration::Ms40,
            FrameDuration::Ms60,
            FrameDuration::Ms20,
        ] {
            let p = packet(frame);
            assert_eq!(d.decode(&p, &mut pcm).unwrap(), frame.samples());
            // RFC 6716 §4.4: concealment stands in for a packet as long as the last one.
            assert_eq!(d.conceal(None, &mut pcm).unwrap(), frame.samples());
            // With the next packet at hand, its FEC (§2.1.7) fills the same span.
            assert_eq!(d.conceal(Some(&p), &mut pcm).unwrap(), frame.samples());
            // A next packet that does not parse falls back to plain concealment.
            assert_eq!(d.conceal(Some(&[]), &mut pcm).unwrap(), frame.samples());
        }
    }

    #[test]
    fn stereo_output_is_interleaved_and_buffers_are_checked_first() {
        let mut d = OpusDecoder::new(true).unwrap();
        assert_eq!(d.max_output_len(), 2 * 5760);
        let p = packet(FrameDuration::Ms40);
        let mut small = vec![0i16; 1920 * 2 - 1];
        assert_eq!(
            d.decode(&p, &mut small),
            Err(CodecError::BufferTooSmall {
                needed: 3840,
                got: 3839
            })
        );
        // The refused packet did not change what a loss stands for.
        assert_eq!(
            d.conceal(None, &mut small[..1919]),
            Err(CodecError::BufferTooSmall {
                needed: 1920,
                got: 1919
            })
        );
        let mut pcm = vec![0i16; 3840];
        assert_eq!(d.decode(&p, &mut pcm).unwrap(), 1920);
        // The mono tone comes out the same on both channels.
        assert!(pcm.chunks(2).all(|f| f[0] == f[1]));
        assert!(pcm.iter().any(|s| *s != 0));
    }

    #[test]
    fn a_malformed_packet_is_an_error_and_leaves_the_concealment_length() {
        let mut d = OpusDecoder::new(false).unwrap();
        let mut pcm = vec![0i16; d.max_output_len()];
        d.decode(&packet(FrameDuration::Ms40), &mut pcm).unwrap();
        assert!(matches!(d.decode(&[], &mut pcm), Err(CodecError::Opus(_))));
        // RFC 6716 §3.4 R1: a packet has at least one byte; code 3 needs a frame count.
        assert!(d.decode(&[0x03], &mut pcm).is_err());
        assert_eq!(d.conceal(None, &mut pcm).unwrap(), 1920);
    }
}
