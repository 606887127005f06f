//! Synthetic audio for tests and examples: tones and noise, 48 kHz interleaved `i16`.

/// Something that produces PCM, frame by frame.
pub trait AudioSource {
    /// Channels interleaved in the samples.
    fn channels(&self) -> usize;

    /// Fills `pcm` (interleaved) and returns how many samples were written; fewer than
    /// `pcm.len()` means the source has ended.
    fn fill(&mut self, pcm: &mut [i16]) -> usize;
}

/// Something that takes PCM (a speaker, a file, a buffer).
pub trait AudioSink {
    /// Takes interleaved samples.
    fn write(&mut self, pcm: &[i16]);
}

impl AudioSink for Vec<i16> {
    fn write(&mut self, pcm: &[i16]) {
        self.extend_from_slice(pcm);
    }
}

/// A sine tone, the same on every channel.
#[derive(Debug, Clone)]
pub struct ToneSource {
    frequency: f64,
    amplitude: f64,
    sample_rate: u32,
    channels: usize,
    /// Samples per channel produced so far.
    position: u64,
}

impl ToneSource {
    /// A tone of `frequency` Hz with peak `amplitude` (at most `i16::MAX`).
    pub fn new(frequency: f64, amplitude: f64, sample_rate: u32, channels: usize) -> Self {
        Self {
            frequency,
            amplitude: amplitude.clamp(0.0, f64::from(i16::MAX)),
            sample_rate: sample_rate.max(1),
            channels: channels.max(1),
            position: 0,
        }
    }
}

impl AudioSource for ToneSource {
    fn channels(&self) -> usize {
        self.channels
    }

    fn fill(&mut self, pcm: &mut [i16]) -> usize {
        let step = std::f64::consts::TAU * self.frequency / f64::from(self.sample_rate);
        for frame in pcm.chunks_exact_mut(self.channels) {
            // The phase from the position modulo one period keeps precision over hours.
            let value = (self.amplitude * (step * self.position as f64).sin()) as i16;
            frame.fill(value);
            self.position += 1;
        }
        pcm.len() - pcm.len() % self.channels
    }
}

/// White noise of a given peak amplitude from a seeded generator (reproducible).
#[derive(Debug, Clone)]
pub struct NoiseSource {
    amplitude: f64,
    channels: usize,
    state: u64,
}

impl NoiseSource {
    /// Noise with peak `amplitude`, from `seed`.
    pub fn new(amplitude: f64, channels: usize, seed: u64) -> Self {
        Self {
            amplitude: amplitude.clamp(0.0, f64::from(i16::MAX)),
            channels: channels.max(1),
            // splitmix64 of the seed: distinct seeds give distinct streams, and xorshift must
            // not start at zero.
            state: {
                let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)).max(1)
            },
        }
    }

    fn next_unit(&mut self) -> f64 {
        // xorshift64*: plenty for test signals.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let x = self.state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

impl AudioSource for NoiseSource {
    fn channels(&self) -> usize {
        self.channels
    }

    fn fill(&mut self, pcm: &mut [i16]) -> usize {
        for s in pcm.iter_mut() {
            *s = (self.amplitude * self.next_unit()) as i16;
        }
        pcm.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sign changes from negative to non-negative: one per period of a sine.
    fn upward_crossings(mono: &[i16]) -> usize {
        mono.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count()
    }

    #[test]
    fn a_tone_has_its_frequency_and_peak_at_any_sample_rate() {
        for (hz, rate) in [(1000.0, 48_000), (440.0, 16_000), (50.0, 8000)] {
            let mut tone = ToneSource::new(hz, 8000.0, rate, 1);
            let mut pcm = vec![0i16; rate as usize]; // one second
            assert_eq!(tone.fill(&mut pcm), pcm.len());
            let periods = upward_crossings(&pcm) as f64;
            assert!((periods - hz).abs() <= 1.0, "{hz} Hz at {rate}: {periods}");
            let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
            assert!((7990..=8000).contains(&peak), "peak {peak}");
        }
        // The amplitude is clamped to what i16 holds.
        let mut loud = ToneSource::new(1000.0, 1e9, 48_000, 1);
        let mut pcm = vec![0i16; 480];
        loud.fill(&mut pcm);
        assert_eq!(pcm.iter().max(), Some(&i16::MAX));
    }

    #[test]
    fn frames_of_any_size_continue_the_same_tone() {
        let mut whole = vec![0i16; 960 * 2];
        ToneSource::new(700.0, 10_000.0, 48_000, 2).fill(&mut whole);
        let mut pieces = Vec::new();
        let mut tone = ToneSource::new(700.0, 10_000.0, 48_000, 2);
        for len in [2, 480, 958, 480] {
            let mut frame = vec![0i16; len];
            assert_eq!(tone.fill(&mut frame), len);
            pieces.extend(frame);
        }
        assert_eq!(pieces, whole, "the phase runs on across calls");
        assert!(
            whole.chunks(2).all(|f| f[0] == f[1]),
            "same on every channel"
        );
    }

    #[test]
    fn a_frame_that_is_not_whole_samples_of_every_channel_is_filled_to_the_last_whole_one() {
        let mut tone = ToneSource::new(1000.0, 10_000.0, 48_000, 2);
        let mut pcm = vec![i16::MIN; 7];
        assert_eq!(tone.fill(&mut pcm), 6);
        assert_eq!(pcm[6], i16::MIN, "the odd sample is left alone");
        // Zero channels is taken as one.
        let mut mono = ToneSource::new(1000.0, 10_000.0, 48_000, 0);
        assert_eq!(mono.channels(), 1);
        assert_eq!(mono.fill(&mut pcm), 7);
    }

    #[test]
    fn noise_is_reproducible_from_its_seed_and_within_its_amplitude() {
        let fill = |seed| {
            let mut pcm = vec![0i16; 48_000];
            assert_eq!(NoiseSource::new(5000.0, 1, seed).fill(&mut pcm), pcm.len());
            pcm
        };
        let (a, b, c) = (fill(1), fill(1), fill(2));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|s| s.unsigned_abs() <= 5000));
        assert!(a.iter().any(|s| s.unsigned_abs() > 4900), "spans the range");
        let mean = a.iter().map(|s| f64::from(*s)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 50.0, "mean {mean}");
        // Seed 0 still gives noise (xorshift must not start at zero).
        assert!(fill(0).iter().any(|s| *s != 0));
    }
}
