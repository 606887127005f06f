//! The band split of 32 and 48 kHz streams: the band below 8 kHz, decimated to 16 kHz, goes
//! through the echo canceller and the post-filter; the band above it is delayed to match
//! and scaled by the gain the lower band's top (4-8 kHz) received, as libwebrtc's audio
//! processing does with its band-split filter bank (`modules/audio_processing/
//! splitting_filter.cc`, AEC3's `SuppressionGain::UpperBandsGain`). So a 48 kHz stream costs
//! about what a 16 kHz one does, and speech, whose echo lies mostly below 8 kHz, loses
//! nothing of the canceller's work.
//!
//! The split is a linear-phase low-pass FIR (Kaiser-windowed sinc, cut-off 7.6 kHz,
//! 32 taps per polyphase branch) with decimation by 2 or 3; the lower band goes back up
//! through the same filter (interpolation). The upper band is not filtered on its own: it is
//! the input, delayed by the two filters' delay, minus the interpolated *unprocessed* lower
//! band. So the split reconstructs exactly: with the lower band untouched and a gain of 1
//! the output is the input, delayed; and what the decimation aliases stays in the band it
//! came from.

/// Cut-off of the split's low-pass filter, Hz: between the 16 kHz rate's Nyquist (8 kHz)
/// and the top of what the lower band is trusted with; the transition band (about 6.7 to
/// 8.5 kHz) aliases into the lower band's top only after the filter's attenuation.
const CUTOFF_HZ: f64 = 7_600.0;
/// Taps per polyphase branch (96 taps at 48 kHz, 64 at 32 kHz).
const TAPS_PER_PHASE: usize = 32;
/// Kaiser window's β: about 60 dB of stop-band attenuation.
const KAISER_BETA: f64 = 5.65;

/// The split's low-pass filter for decimation by `factor` from `rate` Hz: `32 × factor`
/// taps, unit gain at DC.
fn low_pass(rate: u32, factor: usize) -> Vec<f32> {
    let len = TAPS_PER_PHASE * factor;
    let centre = (len - 1) as f64 / 2.0;
    let fc = CUTOFF_HZ / f64::from(rate);
    let mut taps: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 - centre;
            let sinc = if t == 0.0 {
                2.0 * fc
            } else {
                (std::f64::consts::TAU * fc * t).sin() / (std::f64::consts::PI * t)
            };
            let r = t / (centre + 0.5);
            sinc * bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(KAISER_BETA)
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|t| *t /= sum);
    taps.into_iter().map(|t| t as f32).collect()
}

/// The modified Bessel function of the first kind, order 0 (its power series).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..40 {
        let f = x / (2.0 * k as f64);
        term *= f * f;
        sum += term;
        if term < 1e-12 * sum {
            break;
        }
    }
    sum
}

/// The delay, samples at the full rate, of a decimation and interpolation by `factor`
/// through [`Decimator`] and [`Interpolator`]: the two filters' `len − 1` less the
/// decimator's look at the newest of each `factor` samples.
pub(crate) fn split_delay(factor: usize) -> usize {
    TAPS_PER_PHASE * factor - factor
}

/// `out[i] += h · x[i]`: the inner loop of both filters, in blocks of eight the compiler
/// turns into vector instructions.
fn multiply_add(out: &mut [f32], x: &[f32], h: f32) {
    let mut out_blocks = out.chunks_exact_mut(8);
    let mut x_blocks = x.chunks_exact(8);
    for (o, x) in (&mut out_blocks).zip(&mut x_blocks) {
        // Loaded into registers first: the compiler cannot tell `out` and `x` apart
        // once this is inlined, and would otherwise go sample by sample.
        let mut sum = [0.0f32; 8];
        for ((s, &o), &x) in sum.iter_mut().zip(o.iter()).zip(x) {
            *s = o + h * x;
        }
        o.copy_from_slice(&sum);
    }
    for (o, &x) in out_blocks
        .into_remainder()
        .iter_mut()
        .zip(x_blocks.remainder())
    {
        *o += h * x;
    }
}

/// Low-pass filtering and decimation by `factor`, frame by frame (polyphase: the input is
/// kept as `factor` phases, so every inner loop runs over contiguous samples).
#[derive(Debug)]
pub(crate) struct Decimator {
    factor: usize,
    /// `taps[r]`: the taps of branch `r`, `h[factor·j + r]` for each `j`.
    branches: Vec<Vec<f32>>,
    /// Per phase `s`, the samples `x[factor·i + s]`: 31 of history, then one frame's.
    phases: Vec<Vec<f32>>,
}

impl Decimator {
    /// A decimator from `rate` Hz by `factor` for frames of `frame` samples (a multiple of
    /// `factor`).
    pub(crate) fn new(rate: u32, factor: usize, frame: usize) -> Self {
        let taps = low_pass(rate, factor);
        let branches = (0..factor)
            .map(|r| taps.iter().skip(r).step_by(factor).copied().collect())
            .collect();
        let phases = (0..factor)
            .map(|_| vec![0.0; TAPS_PER_PHASE - 1 + frame / factor])
            .collect();
        Self {
            factor,
            branches,
            phases,
        }
    }

    /// Decimates `input` (one frame) into `output` (`input.len() / factor` samples):
    /// `y[m] = Σ_k h[k] x[factor·m + factor − 1 − k]`.
    pub(crate) fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let history = TAPS_PER_PHASE - 1;
        let m_len = output.len();
        for phase in &mut self.phases {
            phase.copy_within(m_len.., 0);
        }
        for (m, samples) in input.chunks_exact(self.factor).enumerate() {
            for (phase, &x) in self.phases.iter_mut().zip(samples) {
                phase[history + m] = if x.is_finite() { x } else { 0.0 };
            }
        }
        output.fill(0.0);
        for (r, branch) in self.branches.iter().enumerate() {
            // Branch r reads phase factor − 1 − r.
            let phase = &self.phases[self.factor - 1 - r];
            for (j, &h) in branch.iter().enumerate() {
                let at = history - j;
                multiply_add(output, &phase[at..at + m_len], h);
            }
        }
    }
}

/// Interpolation by `factor` through the split's low-pass filter, frame by frame.
#[derive(Debug)]
pub(crate) struct Interpolator {
    factor: usize,
    /// `branches[s]`: `factor · h[factor·j + s]` for each `j` (the gain makes up for the
    /// zeros stuffed between the samples).
    branches: Vec<Vec<f32>>,
    /// The low-rate input: 31 samples of history, then one frame's.
    input: Vec<f32>,
    /// The branches' outputs, one after the other (scratch).
    branch_out: Vec<f32>,
}

impl Interpolator {
    /// An interpolator to `rate` Hz by `factor` for frames of `frame` samples at the low
    /// rate.
    pub(crate) fn new(rate: u32, factor: usize, frame: usize) -> Self {
        let taps = low_pass(rate, factor);
        let branches = (0..factor)
            .map(|s| {
                taps.iter()
                    .skip(s)
                    .step_by(factor)
                    .map(|h| h * factor as f32)
                    .collect()
            })
            .collect();
        Self {
            factor,
            branches,
            input: vec![0.0; TAPS_PER_PHASE - 1 + frame],
            branch_out: vec![0.0; factor * frame],
        }
    }

    /// Interpolates `input` (one low-rate frame) into `output` (`factor` times as long):
    /// `z[factor·m + s] = factor Σ_j h[factor·j + s] y[m − j]`.
    pub(crate) fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let history = TAPS_PER_PHASE - 1;
        let m_len = input.len();
        self.input.copy_within(m_len.., 0);
        for (d, &x) in self.input[history..].iter_mut().zip(input) {
            *d = if x.is_finite() { x } else { 0.0 };
        }
        self.branch_out.fill(0.0);
        for (branch, out) in self
            .branches
            .iter()
            .zip(self.branch_out.chunks_exact_mut(m_len))
        {
            for (j, &h) in branch.iter().enumerate() {
                let at = history - j;
                multiply_add(out, &self.input[at..at + m_len], h);
            }
        }
        // Interleaved: branch s gives the samples s, s + factor, ...
        for (m, samples) in output.chunks_exact_mut(self.factor).enumerate() {
            for (s, o) in samples.iter_mut().enumerate() {
                *o = self.branch_out[s * m_len + m];
            }
        }
    }
}

/// Below this second-difference energy of the lower band's input (per frame, about
/// -90 dBFS at 6 kHz), the upper band's gain keeps its last value: no ratio to take.
const GAIN_SILENT: f32 = 1e-9;

/// One capture channel's split into the band below 8 kHz at 16 kHz and the band above, and
/// the merge after the lower band has been processed with a latency of whole frames.
#[derive(Debug)]
pub(crate) struct SplitChannel {
    decimator: Decimator,
    /// The unprocessed lower band back up to the full rate (for the upper band).
    unprocessed: Interpolator,
    /// The processed lower band back up to the full rate.
    processed: Interpolator,
    /// The full-rate input, delayed by the split's delay plus the latency.
    input: Vec<f32>,
    /// The unprocessed lower band, delayed by the latency (the last frame is the one the
    /// processed frame belongs to).
    low: Vec<f32>,
    /// Scratch: a full-rate frame.
    scratch: Vec<f32>,
    /// The upper band's gain at the end of the last frame.
    gain: f32,
    frame: usize,
}

impl SplitChannel {
    /// A split of frames of `frame` samples at `rate` Hz by `factor` (2 or 3), for a lower
    /// band processed with a latency of `latency` frames.
    pub(crate) fn new(rate: u32, factor: usize, frame: usize, latency: usize) -> Self {
        let low_frame = frame / factor;
        Self {
            decimator: Decimator::new(rate, factor, frame),
            unprocessed: Interpolator::new(rate, factor, low_frame),
            processed: Interpolator::new(rate, factor, low_frame),
            input: vec![0.0; split_delay(factor) + (latency + 1) * frame],
            low: vec![0.0; (latency + 1) * low_frame],
            scratch: vec![0.0; frame],
            gain: 1.0,
            frame,
        }
    }

    /// Takes one full-rate frame `input` and gives its lower band into `low`.
    pub(crate) fn split(&mut self, input: &[f32], low: &mut [f32]) {
        self.decimator.process(input, low);
        let n = self.frame;
        self.input.copy_within(n.., 0);
        let at = self.input.len() - n;
        for (d, &x) in self.input[at..].iter_mut().zip(input) {
            *d = if x.is_finite() { x } else { 0.0 };
        }
        let m = low.len();
        self.low.copy_within(m.., 0);
        let at = self.low.len() - m;
        self.low[at..].copy_from_slice(low);
    }

    /// Puts the processed lower band `low` (the frame of `latency` frames ago) back together
    /// with the upper band of the same moment into `output`. The upper band is scaled by
    /// the gain the lower band's top received, its output against its input in energy of
    /// the second difference (which weighs 6 kHz 30 dB over 1 kHz), moving linearly
    /// across the frame.
    pub(crate) fn merge(&mut self, low: &[f32], output: &mut [f32]) {
        let m = low.len();
        let unprocessed = &self.low[..m];
        let top = |x: &[f32]| -> f32 {
            x.windows(3)
                .map(|w| {
                    let d = w[2] - 2.0 * w[1] + w[0];
                    d * d
                })
                .sum()
        };
        let energy_in = top(unprocessed);
        let target = if energy_in > GAIN_SILENT {
            (top(low) / energy_in).sqrt().min(1.0)
        } else {
            self.gain
        };
        // The upper band: the delayed input less the unprocessed lower band.
        self.unprocessed.process(unprocessed, &mut self.scratch);
        self.processed.process(low, output);
        let n = self.frame;
        let start = self.gain;
        let step = (target - start) / n as f32;
        for (i, ((o, &x), &l)) in output
            .iter_mut()
            .zip(&self.input[..n])
            .zip(&self.scratch)
            .enumerate()
        {
            let g = start + step * (i + 1) as f32;
            *o += g * (x - l);
        }
        self.gain = target;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (0.5 * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    fn energy(x: &[f32]) -> f64 {
        x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
    }

    /// Decimates and interpolates `input` at `rate` by `factor`, frame by frame.
    fn round_trip(rate: u32, factor: usize, input: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let frame = (rate / 100) as usize;
        let mut decimator = Decimator::new(rate, factor, frame);
        let mut interpolator = Interpolator::new(rate, factor, frame / factor);
        let mut low = vec![0.0; frame / factor];
        let mut out = vec![0.0; input.len()];
        let mut lows = Vec::new();
        for (i, o) in input.chunks_exact(frame).zip(out.chunks_exact_mut(frame)) {
            decimator.process(i, &mut low);
            lows.extend_from_slice(&low);
            interpolator.process(&low, o);
        }
        (lows, out)
    }

    #[test]
    fn speech_band_passes_with_the_split_delay_and_the_top_is_stopped() {
        for (rate, factor) in [(48_000, 3), (32_000, 2)] {
            let len = rate as usize;
            let delay = split_delay(factor);
            for hz in [200.0, 1_000.0, 3_000.0, 6_000.0] {
                let input = tone(rate, hz, len);
                let (_, out) = round_trip(rate, factor, &input);
                // Past the start-up, the output is the input `delay` samples late.
                let error: Vec<f32> = out[2_000..]
                    .iter()
                    .zip(&input[2_000 - delay..])
                    .map(|(o, i)| o - i)
                    .collect();
                let snr = 10.0 * (energy(&input[2_000..]) / energy(&error)).log10();
                assert!(snr > 35.0, "{rate} Hz, {hz} Hz tone: {snr:.1} dB");
            }
            // The transition band ends near 8.5 kHz: 9 kHz is 45 dB down, above that 50 dB.
            for (hz, floor) in [(9_000.0, 45.0), (12_000.0, 50.0), (15_000.0, 50.0)] {
                let input = tone(rate, hz, len);
                let (low, out) = round_trip(rate, factor, &input);
                let stop = 10.0 * (energy(&input[2_000..]) / energy(&out[2_000..])).log10();
                assert!(
                    stop > floor,
                    "{rate} Hz, {hz} Hz tone through: -{stop:.1} dB"
                );
                // Nothing of it aliases into the lower band either.
                let alias = 10.0 * (energy(&input) / (factor as f64 * energy(&low))).log10();
                assert!(
                    alias > floor,
                    "{rate} Hz, {hz} Hz tone aliased: -{alias:.1} dB"
                );
            }
        }
    }
}
