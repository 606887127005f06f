//! The frequency-domain post-filter after the echo canceller: noise suppression of
//! stationary noise (fans, hum, air conditioning) and suppression of the residual echo per
//! frequency bin, with comfort noise, at one frame (10 ms) of latency.
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
//!   keep isolated noise peaks from turning into "musical" tones;
//! - the residual echo the linear filter leaves is estimated from the filter's echo
//!   estimate, `R = η |Ŷ|²`, with the residual-to-echo ratio `η` learnt per bin over blocks
//!   of far-end single talk (a frequency-selective residual echo suppressor, as libwebrtc's
//!   AEC3 has: what the filter misses with a drifting clock or a clipping loudspeaker is
//!   mostly at high frequencies, and a talker in other bins keeps them), and its gain is
//!   the spectral-subtraction rule `1 − β R / |E|²`, bounded below;
//! - the smaller of the two gains is applied, and where the echo gain took a bin below
//!   what noise suppression leaves of the noise, comfort noise (random phase, the noise
//!   estimate's power) fills it back to that level, so the far end hears no gaps.

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
const NOISE_FLOOR_GAIN: f32 = 0.125;
/// Frames (after the first) whose running mean is the noise estimate before minimum
/// statistics take over (100 ms).
const START_FRAMES: u8 = 11;
/// Noise power below which a bin counts as silent (-140 dBFS per bin).
const SILENT: f32 = 1e-14;
/// Overestimation of the residual echo in the echo gain.
const ECHO_OVERESTIMATION: f32 = 4.0;
/// Smallest echo gain (-30 dB); comfort noise fills what it takes below the noise.
const ECHO_FLOOR_GAIN: f32 = 0.03;
/// The echo gain's overestimation and floor while the near end talks (AEC3 too suppresses
/// less in its near-end state): the talker matters more than the last of the echo.
/// (2, half the single-talk 4: with the longer double-talk hangover in `control`, 0.5
/// left 1.3 dB of ERLE behind on single talk for 0.4 dB of double-talk segmental SNR.)
const NEAR_END_OVERESTIMATION: f32 = 2.0;
/// The echo gain's floor while the near end talks (-4.4 dB).
const NEAR_END_FLOOR_GAIN: f32 = 0.6;
/// Smoothing, per single-talk block, of the residual and echo powers whose ratio is the
/// residual-to-echo ratio (about 200 ms of far-end single talk): a ratio of smoothed
/// powers, not a smoothed ratio, which single bins of little echo would dominate.
const RATIO_SMOOTHING: f32 = 0.05;
/// Echo estimate power below which a bin does not teach the ratio (-140 dBFS per bin).
const NO_ECHO: f32 = 1e-14;

/// What the echo canceller tells the post-filter about one block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EchoBlock<'a> {
    /// The linear filter's echo estimate for the block (the samples it subtracted).
    pub(crate) estimate: &'a [f32],
    /// Whether the block is far-end single talk with echo in it: the residual-to-echo
    /// ratio learns only then.
    pub(crate) learn: bool,
    /// Whether the canceller's double-talk detector holds: the echo gain is gentler then.
    pub(crate) near_end: bool,
}

/// The post-filter's state: all buffers are allocated once, in [`PostFilter::new`].
pub(crate) struct PostFilter {
    suppress_noise: bool,
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
    echo_input: Vec<f32>,
    echo_spectrum: Vec<Complex<f32>>,
    echo_ratio: Vec<f32>,
    residual_power: Vec<f32>,
    echo_power: Vec<f32>,
    noise_state: u32,
}

impl std::fmt::Debug for PostFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostFilter")
            .field("frame", &self.overlap.len())
            .field("suppress_noise", &self.suppress_noise)
            .finish_non_exhaustive()
    }
}

impl PostFilter {
    /// A post-filter for frames of `frame` samples; `suppress_noise` switches noise
    /// suppression (the noise is tracked either way, for the comfort noise).
    pub(crate) fn new(frame: usize, suppress_noise: bool) -> Self {
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
            suppress_noise,
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
            echo_input: vec![0.0; 2 * frame],
            echo_spectrum: vec![Complex::new(0.0, 0.0); bins],
            echo_ratio: vec![0.0; bins],
            residual_power: vec![0.0; bins],
            echo_power: vec![0.0; bins],
            noise_state: 0x2545_F491,
        }
    }

    /// The current noise power estimate per bin (of the windowed 2N-point spectrum).
    #[cfg(test)]
    fn noise(&self) -> &[f32] {
        &self.noise
    }

    /// Suppresses the noise and (given the canceller's `echo` block) the residual echo in
    /// `frame` in place; the output trails the input by one frame.
    pub(crate) fn process(&mut self, frame: &mut [f32], echo: Option<EchoBlock<'_>>) {
        let n = self.overlap.len();
        let (mut learn, mut near_end) = (false, false);
        if let Some(echo) = echo {
            learn = echo.learn;
            near_end = echo.near_end;
            self.echo_input.copy_within(n.., 0);
            for (i, &x) in self.echo_input[n..].iter_mut().zip(echo.estimate) {
                *i = if x.is_finite() { x } else { 0.0 };
            }
            for ((t, &x), &w) in self.time.iter_mut().zip(&self.echo_input).zip(&self.window) {
                *t = x * w;
            }
            // Lengths all come from the plans; realfft only fails on wrong lengths.
            let _ = self.forward.process_with_scratch(
                &mut self.time,
                &mut self.echo_spectrum,
                &mut self.scratch_forward,
            );
        }
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
        if self.suppress_noise {
            self.update_gains();
        }
        if echo.is_some() {
            self.suppress_echo(learn, near_end);
        } else {
            for (x, &g) in self.spectrum.iter_mut().zip(&self.gain) {
                *x *= g;
            }
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

impl PostFilter {
    /// The per-bin residual echo gain, combined with the noise gain, and comfort noise.
    fn suppress_echo(&mut self, learn: bool, near_end: bool) {
        let mut state = self.noise_state;
        let (overestimation, floor) = if near_end {
            (NEAR_END_OVERESTIMATION, NEAR_END_FLOOR_GAIN)
        } else {
            (ECHO_OVERESTIMATION, ECHO_FLOOR_GAIN)
        };
        for (((((x, y), &noise), ratio), &noise_gain), (residual_power, echo_power)) in self
            .spectrum
            .iter_mut()
            .zip(&self.echo_spectrum)
            .zip(&self.noise)
            .zip(self.echo_ratio.iter_mut())
            .zip(&self.gain)
            .zip(
                self.residual_power
                    .iter_mut()
                    .zip(self.echo_power.iter_mut()),
            )
        {
            let power = x.norm_sqr();
            let echo = y.norm_sqr();
            if learn {
                *residual_power += RATIO_SMOOTHING * ((power - noise).max(0.0) - *residual_power);
                *echo_power += RATIO_SMOOTHING * (echo - *echo_power);
                if *echo_power > NO_ECHO {
                    *ratio = (*residual_power / *echo_power).min(1.0);
                }
            }
            let echo_gain = if power > 0.0 {
                (1.0 - overestimation * *ratio * echo / power).clamp(floor, 1.0)
            } else {
                1.0
            };
            let gain = echo_gain.min(noise_gain);
            // Fill back to what noise suppression leaves of the noise (all of it when
            // noise suppression is off): random phase, the missing power.
            let missing = (noise * (noise_gain * noise_gain - gain * gain)).max(0.0);
            let fill = (1.5 * missing).sqrt();
            let (re, im) = (uniform(&mut state), uniform(&mut state));
            *x = *x * gain + Complex::new(re, im) * fill;
        }
        self.noise_state = state;
    }
}

/// A uniform draw in [-1, 1) (xorshift32: comfort noise needs no better); two of them as a
/// complex number have a mean power of 2/3.
fn uniform(state: &mut u32) -> f32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    (x as f32 / u32::MAX as f32) * 2.0 - 1.0
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
        let mut ns = PostFilter::new(160, true);
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
            ns.process(frame, None);
        }
        for (o, s) in out[320..].iter().zip(&signal[160..]) {
            assert!((o - s).abs() < 1e-4, "{o} vs {s}");
        }
    }

    #[test]
    fn white_noise_level_is_estimated() {
        let mut ns = PostFilter::new(160, true);
        let mut draw = noise_source(7);
        let amplitude = 0.01;
        for _ in 0..300 {
            let mut frame: Vec<f32> = (0..160).map(|_| amplitude * draw()).collect();
            ns.process(&mut frame, None);
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
        let mut ns = PostFilter::new(160, true);
        let mut draw = noise_source(3);
        let noise_amplitude = 0.003;
        // 3 s of noise alone, then 1 s of a tone 30 dB above it with the noise.
        let mut noise_in = 0.0;
        let mut noise_out = 0.0;
        for f in 0..300 {
            let mut frame: Vec<f32> = (0..160).map(|_| noise_amplitude * draw()).collect();
            let before = energy(&frame);
            ns.process(&mut frame, None);
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
            ns.process(&mut frame, None);
            if f >= 310 {
                tone_in += before;
                tone_out += energy(&frame);
            }
        }
        let level = 10.0 * (tone_out / tone_in).log10();
        assert!(level > -0.5, "the tone lost {level} dB");
    }

    /// Amplitude of the `hz` component of `x` at 16 kHz (least squares on sine and cosine).
    fn amplitude(x: &[f32], hz: f32, start: usize) -> f32 {
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let phase = std::f32::consts::TAU * hz * (start + i) as f32 / 16_000.0;
            s += v * phase.sin();
            c += v * phase.cos();
        }
        2.0 * (s * s + c * c).sqrt() / x.len() as f32
    }

    #[test]
    fn residual_echo_is_suppressed_where_it_is_and_a_talker_elsewhere_is_kept() {
        let mut pf = PostFilter::new(160, false);
        let tone = |hz: f32, amplitude: f32, i: usize| {
            amplitude * (std::f32::consts::TAU * hz * i as f32 / 16_000.0).sin()
        };
        // The far end talks in bursts (0.3 s on, 0.2 s off: not stationary, so not noise).
        let on = |f: usize| if f % 50 < 30 { 1.0 } else { 0.0 };
        // Learn: the echo estimate is a 1 kHz tone, the canceller's output holds 1 % of it
        // (-20 dB) slightly out of phase.
        for f in 0..200 {
            let estimate: Vec<f32> = (0..160)
                .map(|i| on(f) * tone(1000.0, 0.1, f * 160 + i))
                .collect();
            let mut frame: Vec<f32> = (0..160)
                .map(|i| on(f) * tone(1000.0, 0.01, f * 160 + i + 3))
                .collect();
            let echo = EchoBlock {
                estimate: &estimate,
                learn: true,
                near_end: false,
            };
            pf.process(&mut frame, Some(echo));
        }
        // Then a talker at 2.5 kHz joins, unseen by the double-talk detector.
        let (mut residual, mut talker, mut frames) = (0.0, 0.0, 0.0);
        for f in 200..300 {
            let estimate: Vec<f32> = (0..160)
                .map(|i| on(f) * tone(1000.0, 0.1, f * 160 + i))
                .collect();
            let mut frame: Vec<f32> = (0..160)
                .map(|i| {
                    on(f) * tone(1000.0, 0.01, f * 160 + i + 3) + tone(2500.0, 0.05, f * 160 + i)
                })
                .collect();
            let echo = EchoBlock {
                estimate: &estimate,
                learn: false,
                near_end: false,
            };
            pf.process(&mut frame, Some(echo));
            // The output trails by one frame: frame f - 1 inside a burst.
            if f % 50 >= 2 && f % 50 < 30 {
                residual += amplitude(&frame, 1000.0, (f - 1) * 160);
                talker += amplitude(&frame, 2500.0, (f - 1) * 160);
                frames += 1.0;
            }
        }
        let (residual, talker) = (residual / frames, talker / frames);
        // At least 14 dB off the residual (what leaks into the neighbouring bins through the
        // window's side lobes is suppressed less).
        assert!(residual < 0.01 * 0.2, "residual echo left at {residual}");
        assert!(talker > 0.05 * 0.95, "talker at {talker}");
    }

    #[test]
    fn non_finite_input_does_not_poison_the_state() {
        let mut ns = PostFilter::new(160, true);
        let mut frame = vec![f32::NAN; 160];
        ns.process(&mut frame, None);
        let mut draw = noise_source(9);
        // The NaN is in the overlap and the windows for two frames; after that the output
        // is finite again only if the state recovered.
        let mut finite = false;
        for _ in 0..400 {
            let mut frame: Vec<f32> = (0..160).map(|_| 0.01 * draw()).collect();
            ns.process(&mut frame, None);
            finite = frame.iter().all(|s| s.is_finite());
        }
        assert!(finite);
    }
}
