//! Sample-rate and channel-count conversion of interleaved 16-bit PCM, for the audio
//! layers: what the application hands over is converted to what the codec takes, and
//! what a decoder gives to what the application plays. Rates go through `rubato`'s FFT
//! resampler (synchronous: the two rates are fixed and locked).

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _};

use crate::CodecError;

/// Converts one interleaved stream from one rate to another, keeping its channels.
pub struct Resampler {
    channels: usize,
    inner: Option<Fft<f32>>,
    /// Input frames not yet processed, interleaved.
    pending: Vec<f32>,
    out: Vec<f32>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("channels", &self.channels)
            .field("resampling", &self.inner.is_some())
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A converter from `from` Hz to `to` Hz for `channels` interleaved channels, working in
    /// chunks of 10 ms of input.
    pub fn new(from: u32, to: u32, channels: usize) -> Result<Self, CodecError> {
        let channels = channels.max(1);
        let inner = if from == to {
            None
        } else {
            let chunk = (from as usize / 100).max(1);
            Some(
                Fft::<f32>::new(from as usize, to as usize, chunk, channels, FixedSync::Both)
                    .map_err(|e| CodecError::Resampler(e.to_string()))?,
            )
        };
        Ok(Self {
            channels,
            inner,
            pending: Vec::new(),
            out: Vec::new(),
        })
    }

    /// Frames of delay the conversion adds at the output rate.
    pub fn delay(&self) -> usize {
        self.inner.as_ref().map_or(0, |r| r.output_delay())
    }

    /// Converts `input` (interleaved), appending what is ready to `output`.
    pub fn process(&mut self, input: &[i16], output: &mut Vec<i16>) {
        let Some(inner) = self.inner.as_mut() else {
            output.extend_from_slice(input);
            return;
        };
        self.pending
            .extend(input.iter().map(|&s| f32::from(s) / 32768.0));
        loop {
            let need = inner.input_frames_next();
            if self.pending.len() < need * self.channels {
                break;
            }
            let produce = inner.output_frames_next();
            self.out.resize(produce * self.channels, 0.0);
            let ok =
                InterleavedSlice::new(&self.pending[..need * self.channels], self.channels, need)
                    .ok()
                    .zip(InterleavedSlice::new_mut(&mut self.out, self.channels, produce).ok())
                    .and_then(|(i, mut o)| inner.process_into_buffer(&i, &mut o, None).ok());
            self.pending.drain(..need * self.channels);
            let Some((_, written)) = ok else {
                continue;
            };
            output.extend(
                self.out[..written * self.channels]
                    .iter()
                    .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16),
            );
        }
    }
}

/// Converts interleaved PCM from `from` channels to `to` channels: mono is copied to every
/// channel, several channels are averaged to mono, and between other counts the first
/// channels are kept (missing ones repeat the last).
pub fn convert_channels(input: &[i16], from: usize, to: usize, output: &mut Vec<i16>) {
    let (from, to) = (from.max(1), to.max(1));
    if from == to {
        output.extend_from_slice(input);
        return;
    }
    for frame in input.chunks_exact(from) {
        if to == 1 {
            let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
            output.push((sum / from as i32) as i16);
        } else {
            for c in 0..to {
                output.push(frame[c.min(from - 1)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (10_000.0 * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin())
                    as i16
            })
            .collect()
    }

    fn crossings(s: &[i16]) -> usize {
        s.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count()
    }

    #[test]
    fn down_and_up_keep_the_tone() {
        for (from, to) in [
            (48_000, 8000),
            (8000, 48_000),
            (44_100, 48_000),
            (16_000, 48_000),
        ] {
            let input = tone(from, 440.0, from as usize);
            let mut r = Resampler::new(from, to, 1).unwrap();
            let mut out = Vec::new();
            for chunk in input.chunks(333) {
                r.process(chunk, &mut out);
            }
            // One second in; about one second out, less the delay and what waits.
            assert!(
                out.len() as f64 > f64::from(to) * 0.9,
                "{from}->{to}: {}",
                out.len()
            );
            let steady = &out[out.len() / 4..];
            let hz = crossings(steady) as f64 / 2.0 / (steady.len() as f64 / f64::from(to));
            assert!((hz - 440.0).abs() < 5.0, "{from}->{to}: {hz} Hz");
        }
    }

    #[test]
    fn same_rate_passes_through_and_channels_convert() {
        let mut r = Resampler::new(48_000, 48_000, 2).unwrap();
        let mut out = Vec::new();
        r.process(&[1, 2, 3, 4], &mut out);
        assert_eq!(out, [1, 2, 3, 4]);
        let mut mono = Vec::new();
        convert_channels(&[100, 300, -50, 50], 2, 1, &mut mono);
        assert_eq!(mono, [200, 0]);
        let mut stereo = Vec::new();
        convert_channels(&[7, 8], 1, 2, &mut stereo);
        assert_eq!(stereo, [7, 7, 8, 8]);
    }
}
