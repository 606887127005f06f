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
