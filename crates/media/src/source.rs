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
