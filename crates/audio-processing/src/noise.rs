//! Noise suppression of stationary noise (fans, hum, air conditioning), in the frequency
//! domain, with one frame (10 ms) of latency.
//!
//! Frames are analysed with a square-root Hann window over the last 2N samples (50 %
//! overlap) and put back together by overlap-add with the same window, which reconstructs
//! the input exactly where the gain is 1. Per bin:
//! - the noise power is tracked by minimum statistics (Martin, "Noise power spectral density
//!   estimation based on optimal smoothing and minimum statistics", IEEE Trans. Speech and
//!   Audio Processing 9(5), 2001, simplified: a fixed smoothing, the minimum over six
//!   sub-windows of 0.25 s, and a fixed bias correction), so speech, which never holds a
//!   bin's power up for 1.5 s, does not raise it;
//! - the a-priori SNR is estimated decision-directed (Ephraim and Malah, IEEE Trans. ASSP
//!   32(6), 1984, eq. 51) and the gain is the Wiener gain on it (Scalart and Vieira Filho,
//!   ICASSP 1996), bounded below by a floor: the decision-directed smoothing and the floor
//!   keep isolated noise peaks from turning into "musical" tones.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// Smoothing of the periodogram the minimum is taken over (per frame, about 60 ms).
const POWER_SMOOTHING: f32 = 0.85;
/// Frames per minimum-statistics sub-window (0.25 s).
const SUBWINDOW_FRAMES: usize = 25;
/// Sub-windows the minimum is taken over (6 × 0.25 s = 1.5 s: longer than a word, so speech
/// does not count as noise).
const SUBWINDOWS: usize = 6;
/// The minimum of the smoothed periodogram underestimates the mean noise power; this
/// corrects it (measured on white noise by the test `white_noise_level_is_estimated`).
const MINIMUM_BIAS: f32 = 1.6;
/// Weight of the previous frame's clean-speech estimate in the a-priori SNR (Ephraim and
/// Malah's α).
const DECISION_DIRECTED: f32 = 0.98;
/// Smallest gain (-18 dB): noise is taken down this far and no further, which keeps what is
/// left even in character (no musical noise).
pub(crate) const NOISE_FLOOR_GAIN: f32 = 0.125;
/// Frames (after the first) whose running mean is the noise estimate before minimum
/// statistics take over (100 ms).
const START_FRAMES: u8 = 11;
/// Noise power below which a bin counts as silent (-140 dBFS per bin).
const SILENT: f32 = 1e-14;

/// The noise suppressor's state: all buffers are allocated once, in [`NoiseSuppressor::new`].
pub(crate) struct NoiseSuppressor {
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    time: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch_forward: Vec<Complex<f32>>,
    scratch_inverse: Vec<Complex<f32>>,
    overlap: Vec<f32>,
    smoothed: Vec<f32>,
    minimum: Vec<f32>,
    subwindow_minima: Vec<f32>,
    subwindow: usize,
    frames_in_subwindow: usize,
    noise: Vec<f32>,
    clean_previous: Vec<f32>,
    gain: Vec<f32>,
    frames: u8,
}

impl std::fmt::Debug for NoiseSuppressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoiseSuppressor")
            .field("frame", &self.overlap.len())
            .finish_non_exhaustive()
    }
}

impl NoiseSuppressor {
    /// A suppressor for frames of `frame` samples.
    pub(crate) fn new(frame: usize) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(2 * frame);
        let inverse = planner.plan_fft_inverse(2 * frame);
        let bins = frame + 1;
        // Periodic Hann, square-rooted: its squares at 50 % overlap sum to one.
        let window = (0..2 * frame)
            .map(|i| {
                let phase = std::f32::consts::PI * i as f32 / frame as f32;
                (0.5 - 0.5 * phase.cos()).sqrt()
            })
            .collect();
        Self {
            window,
            input: vec![0.0; 2 * frame],
            time: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            scratch_forward: forward.make_scratch_vec(),
            scratch_inverse: inverse.make_scratch_vec(),
            forward,
            inverse,
            overlap: vec![0.0; frame],
            smoothed: vec![0.0; bins],
            minimum: vec![f32::MAX; bins],
            subwindow_minima: vec![f32::MAX; bins * SUBWINDOWS],
            subwindow: 0,
            frames_in_subwindow: 0,
            noise: vec![0.0; bins],
            clean_previous: vec![0.0; bins],
            gain: vec![1.0; bins],
            frames: 0,
        }
    }

    /// The current noise power estimate per bin (of the windowed 2N-point spectrum).
    #[cfg(test)]
    fn noise(&self) -> &[f32] {
        &self.noise
    }

    /// Suppresses the noise in `frame` in place; the output trails the input by one frame.
    pub(crate) fn process(&mut self, frame: &mut [f32]) {
        let n = self.overlap.len();
        self.input.copy_within(n.., 0);
        // Samples that are not finite (never from 16-bit input) are taken as silence, so
        // they cannot stay in the smoothed powers.
        for (i, &x) in self.input[n..].iter_mut().zip(frame.iter()) {
            *i = if x.is_finite() { x } else { 0.0 };
        }
        for ((t, &x), &w) in self.time.iter_mut().zip(&self.input).zip(&self.window) {
            *t = x * w;
        }
        // Lengths all come from the plans; realfft only fails on wrong lengths.
        let _ = self.forward.process_with_scratch(
            &mut self.time,
            &mut self.spectrum,
            &mut self.scratch_forward,
        );
        self.track_noise();
        self.update_gains();
        for (x, &g) in self.spectrum.iter_mut().zip(&self.gain) {
            *x *= g;
        }
        self.spectrum[0].im = 0.0;
        if let Some(last) = self.spectrum.last_mut() {
            last.im = 0.0;
        }
        // Lengths come from the plans and the imaginary parts realfft checks are zeroed.
        let _ = self.inverse.process_with_scratch(
            &mut self.spectrum,
            &mut self.time,
            &mut self.scratch_inverse,
        );
        let scale = 1.0 / (2 * n) as f32;
        for (i, out) in frame.iter_mut().enumerate() {
            *out = self.overlap[i] + self.time[i] * self.window[i] * scale;
            self.overlap[i] = self.time[n + i] * self.window[n + i] * scale;
        }
    }

    /// Minimum statistics: the smoothed periodogram's minimum over the last 1.5 s, bias
    /// corrected, is the noise power.
    fn track_noise(&mut self) {
        // The first frame's window holds the silence before the stream: it is not noise.
        if self.frames == 0 {
            self.frames = 1;
            return;
        }
        let bins = self.smoothed.len();
        if self.frames < START_FRAMES {
            // Until the smoothing has settled the minimum of a few raw periodograms would be
            // far too low: the running mean is the noise estimate meanwhile.
            self.frames += 1;
            let weight = 1.0 / f32::from(self.frames - 1);
            for ((s, noise), x) in self
                .smoothed
                .iter_mut()
                .zip(self.noise.iter_mut())
                .zip(&self.spectrum)
            {
                *s += weight * (x.norm_sqr() - *s);
                *noise = *s;
            }
            return;
        }
        for (k, x) in self.spectrum.iter().enumerate() {
            let s = POWER_SMOOTHING * self.smoothed[k] + (1.0 - POWER_SMOOTHING) * x.norm_sqr();
            self.smoothed[k] = s;
            self.minimum[k] = self.minimum[k].min(s);
        }
        self.frames_in_subwindow += 1;
        if self.frames_in_subwindow == SUBWINDOW_FRAMES {
            let at = self.subwindow * bins;
            self.subwindow_minima[at..at + bins].copy_from_slice(&self.minimum);
            self.subwindow = (self.subwindow + 1) % SUBWINDOWS;
            self.frames_in_subwindow = 0;
            self.minimum.copy_from_slice(&self.smoothed);
        }
        for (k, noise) in self.noise.iter_mut().enumerate() {
            let mut least = self.minimum[k];
            for w in 0..SUBWINDOWS {
                least = least.min(self.subwindow_minima[w * bins + k]);
            }
            *noise = MINIMUM_BIAS * least;
        }
    }

    /// Decision-directed a-priori SNR and the Wiener gain on it, floored.
    fn update_gains(&mut self) {
        for (((x, &noise), gain), clean) in self
            .spectrum
            .iter()
            .zip(&self.noise)
            .zip(self.gain.iter_mut())
            .zip(self.clean_previous.iter_mut())
        {
            let power = x.norm_sqr();
            if noise <= SILENT {
                *gain = 1.0;
                *clean = power;
                continue;
            }
            // Ephraim and Malah 1984, eq. 51: ξ = α Â²(prev)/λ + (1 − α) max(γ − 1, 0).
            let posterior = power / noise;
            let prior = DECISION_DIRECTED * *clean / noise
                + (1.0 - DECISION_DIRECTED) * (posterior - 1.0).max(0.0);
            *gain = (prior / (1.0 + prior)).max(NOISE_FLOOR_GAIN);
            *clean = *gain * *gain * power;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic uniform draw in [-1, 1) (xorshift32).
    fn noise_source(seed: u32) -> impl FnMut() -> f32 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32) * 2.0 - 1.0
        }
    }

    fn energy(x: &[f32]) -> f32 {
        x.iter().map(|s| s * s).sum()
    }

    #[test]
    fn a_clean_signal_is_passed_through_a_frame_late() {
        // Bursts of a tone (0.5 s) between stretches of digital silence (1 s): the noise
        // estimate stays next to zero, every gain is 1 and the overlap-add reconstructs the
        // input.
        let mut ns = NoiseSuppressor::new(160);
        let signal: Vec<f32> = (0..64_000)
            .map(|i| {
                let on = i % 24_000 >= 16_000;
                if on {
                    0.3 * (i as f32 * 0.05).sin()
                } else {
                    0.0
                }
            })
            .collect();
        let mut out = signal.clone();
        for frame in out.chunks_exact_mut(160) {
            ns.process(frame);
        }
        for (o, s) in out[320..].iter().zip(&signal[160..]) {
            assert!((o - s).abs() < 1e-4, "{o} vs {s}");
        }
    }

    #[test]
    fn white_noise_level_is_estimated() {
        let mut ns = NoiseSuppressor::new(160);
        let mut draw = noise_source(7);
        let amplitude = 0.01;
        for _ in 0..300 {
            let mut frame: Vec<f32> = (0..160).map(|_| amplitude * draw()).collect();
            ns.process(&mut frame);
        }
        // Uniform noise of variance a²/3 through the window (Σw² = N) and a 2N-point FFT:
        // E|X_k|² = N a²/3 in every bin.
        let expected = 160.0 * amplitude * amplitude / 3.0;
        let bins = &ns.noise()[5..150];
        let mean = bins.iter().sum::<f32>() / bins.len() as f32;
        let db = 10.0 * (mean / expected).log10();
        assert!(db.abs() < 1.5, "noise estimate off by {db} dB");
    }

    #[test]
    fn stationary_noise_is_taken_down_and_a_tone_over_it_is_kept() {
        let mut ns = NoiseSuppressor::new(160);
        let mut draw = noise_source(3);
        let noise_amplitude = 0.003;
        // 3 s of noise alone, then 1 s of a tone 30 dB above it with the noise.
        let mut noise_in = 0.0;
        let mut noise_out = 0.0;
        for f in 0..300 {
            let mut frame: Vec<f32> = (0..160).map(|_| noise_amplitude * draw()).collect();
            let before = energy(&frame);
            ns.process(&mut frame);
            if f >= 200 {
                noise_in += before;
                noise_out += energy(&frame);
            }
        }
        let reduction = 10.0 * (noise_in / noise_out).log10();
        assert!(reduction > 12.0, "noise reduced by only {reduction} dB");
        let tone = |i: usize| 0.1 * (i as f32 * 0.2).sin();
        let (mut tone_in, mut tone_out) = (0.0, 0.0);
        for f in 300..400 {
            let mut frame: Vec<f32> = (0..160)
                .map(|i| tone(f * 160 + i) + noise_amplitude * draw())
                .collect();
            let before = energy(&frame);
            ns.process(&mut frame);
            if f >= 310 {
                tone_in += before;
                tone_out += energy(&frame);
            }
        }
        let level = 10.0 * (tone_out / tone_in).log10();
        assert!(level > -0.5, "the tone lost {level} dB");
    }

    #[test]
    fn non_finite_input_does_not_poison_the_state() {
        let mut ns = NoiseSuppressor::new(160);
        let mut frame = vec![f32::NAN; 160];
        ns.process(&mut frame);
        let mut draw = noise_source(9);
        // The NaN is in the overlap and the windows for two frames; after that the output
        // is finite again only if the state recovered.
        let mut finite = false;
        for _ in 0..400 {
            let mut frame: Vec<f32> = (0..160).map(|_| 0.01 * draw()).collect();
            ns.process(&mut frame);
            finite = frame.iter().all(|s| s.is_finite());
        }
        assert!(finite);
    }
}
