//! Render-to-capture delay estimation on binary spectra, in whole 10 ms blocks.
//!
//! The method of libwebrtc's delay estimator (`modules/audio_processing/utility/
//! delay_estimator.cc`, after Kristiansson's binary-spectrum matching): each block's spectrum
//! is reduced to 32 bits, one per band between 300 and 3500 Hz, set where the band's log
//! energy is above its own running mean. The capture's bits are compared with the bits of
//! every past render block (Hamming distance); each lag's distance is smoothed over time and
//! the lag with the smallest, clearly below the others, is the delay. A new lag is taken only
//! after it has won for a while, so the estimate follows drift without jumping on a word.

use realfft::num_complex::Complex;

/// Bands of the binary spectrum.
const BANDS: usize = 32;
/// First FFT bin of the first band. Bins are 50 Hz apart at every supported rate (an FFT of
/// 20 ms), so bin 6 is 300 Hz and each band is 2 bins (100 Hz) wide.
const FIRST_BIN: usize = 6;
const BAND_BINS: usize = 2;
/// Smoothing of each band's log-energy mean (per block).
const MEAN_ALPHA: f32 = 0.02;
/// Smoothing of each lag's distance (per block with near-end activity).
const COST_ALPHA: f32 = 0.04;
/// A lag is a candidate when its cost is below this fraction of the mean cost.
const CONFIDENCE: f32 = 0.65;
/// Consecutive blocks a new candidate must win before it becomes the delay.
const HYSTERESIS_BLOCKS: u32 = 15;
/// Blocks of capture activity before any estimate is given.
const WARM_UP_BLOCKS: u32 = 50;

/// Estimates the delay of the echo in the capture behind the render, in blocks.
#[derive(Debug)]
pub(crate) struct DelayEstimator {
    render_mean: [f32; BANDS],
    capture_mean: [f32; BANDS],
    /// Render binary spectra, newest at `head`.
    render_bits: Vec<u32>,
    head: usize,
    cost: Vec<f32>,
    capture_floor: f32,
    updates: u32,
    delay: Option<usize>,
    candidate: usize,
    candidate_blocks: u32,
}

impl DelayEstimator {
    /// An estimator searching lags 0 to `max_lag` blocks.
    pub(crate) fn new(max_lag: usize) -> Self {
        Self {
            render_mean: [0.0; BANDS],
            capture_mean: [0.0; BANDS],
            render_bits: vec![0; max_lag + 1],
            head: 0,
            cost: vec![BANDS as f32 / 2.0; max_lag + 1],
            capture_floor: f32::MAX,
            updates: 0,
            delay: None,
            candidate: 0,
            candidate_blocks: 0,
        }
    }

    /// The current estimate, blocks; `None` until one is confident.
    pub(crate) fn delay(&self) -> Option<usize> {
        self.delay
    }

    /// Takes the spectrum of the newest render block and of the capture block of the same
    /// moment (both FFTs of 20 ms, bins 50 Hz apart).
    pub(crate) fn update(&mut self, render: &[Complex<f32>], capture: &[Complex<f32>]) {
        let mut render_log = [0.0f32; BANDS];
        let mut capture_log = [0.0f32; BANDS];
        band_log_energies(render, &mut render_log);
        band_log_energies(capture, &mut capture_log);
        let render_bits = binarize(&render_log, &mut self.render_mean);
        let capture_bits = binarize(&capture_log, &mut self.capture_mean);
        self.head = (self.head + 1) % self.render_bits.len();
        self.render_bits[self.head] = render_bits;

        // Only blocks where the capture holds more than its noise floor tell the lag apart.
        let capture_level: f32 = capture_log.iter().sum::<f32>() / BANDS as f32;
        self.capture_floor = if capture_level < self.capture_floor {
            capture_level
        } else {
            // Rises slowly (about 0.1 decades of energy per second), falls at once.
            self.capture_floor + 0.001
        };
        if capture_level < self.capture_floor + 1.0 {
            return;
        }
        let lags = self.render_bits.len();
        for (lag, cost) in self.cost.iter_mut().enumerate() {
            let bits = self.render_bits[(self.head + lags - lag) % lags];
            let distance = (bits ^ capture_bits).count_ones() as f32;
            *cost += COST_ALPHA * (distance - *cost);
        }
        self.updates = self.updates.saturating_add(1);
        if self.updates < WARM_UP_BLOCKS {
            return;
        }
        let (best, best_cost) = self
            .cost
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        let mean = self.cost.iter().sum::<f32>() / lags as f32;
        if best_cost >= CONFIDENCE * mean || Some(best) == self.delay {
            self.candidate_blocks = 0;
            return;
        }
        if best == self.candidate {
            self.candidate_blocks += 1;
        } else {
            self.candidate = best;
            self.candidate_blocks = 1;
        }
        if self.candidate_blocks >= HYSTERESIS_BLOCKS || self.delay.is_none() {
            self.delay = Some(best);
            self.candidate_blocks = 0;
        }
    }
}

fn band_log_energies(spectrum: &[Complex<f32>], out: &mut [f32; BANDS]) {
    for (band, value) in out.iter_mut().enumerate() {
        let start = FIRST_BIN + band * BAND_BINS;
        let energy: f32 = spectrum
            .get(start..start + BAND_BINS)
            .map_or(0.0, |bins| bins.iter().map(Complex::norm_sqr).sum());
        *value = (energy + 1e-6).log10();
    }
}

/// One bit per band whose share of the block's energy is above its running mean; the mean
/// follows. Taken relative to the block's mean log energy, the bits describe the spectrum's
/// shape, not its level: otherwise any two loud blocks look alike.
fn binarize(log: &[f32; BANDS], mean: &mut [f32; BANDS]) -> u32 {
    let level = log.iter().sum::<f32>() / BANDS as f32;
    let mut bits = 0;
    for (band, (&value, mean)) in log.iter().zip(mean.iter_mut()).enumerate() {
        let value = value - level;
        if value > *mean {
            bits |= 1 << band;
        }
        *mean += MEAN_ALPHA * (value - *mean);
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use realfft::RealFftPlanner;

    /// Spectra of 20 ms windows of a seeded random "speech-like" signal: noise bursts
    /// with a changing spectral tilt, so band patterns vary from block to block.
    fn blocks(count: usize, seed: u32) -> Vec<Vec<Complex<f32>>> {
        let n = 160;
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(2 * n);
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        };
        let mut signal = vec![0.0f32; (count + 1) * n];
        let (mut lp, mut tilt, mut gate) = (0.0, 0.0, 1.0);
        for (i, s) in signal.iter_mut().enumerate() {
            // A random spectral tilt every 25 ms and a random pause now and then, like
            // syllables and gaps.
            if i % 400 == 0 {
                tilt = (next() + 1.0) * 0.48;
                gate = if next() > 0.3 { 0.03 } else { 1.0 };
            }
            lp = tilt * lp + next();
            *s = lp * gate;
        }
        (0..count)
            .map(|b| {
                let mut window = signal[b * n..b * n + 2 * n].to_vec();
                let mut out = fft.make_output_vec();
                fft.process(&mut window, &mut out).expect("plan lengths");
                out
            })
            .collect()
    }

    #[test]
    fn finds_a_delay_and_follows_a_change() {
        let render = blocks(900, 1);
        let mut estimator = DelayEstimator::new(50);
        let silent = vec![Complex::new(0.0, 0.0); render[0].len()];
        for b in 0..900 {
            let lag = if b < 500 { 25 } else { 27 };
            let capture = if b >= lag { &render[b - lag] } else { &silent };
            estimator.update(&render[b], capture);
            if b == 480 {
                assert_eq!(estimator.delay(), Some(25));
            }
        }
        assert_eq!(estimator.delay(), Some(27));
    }

    #[test]
    fn no_estimate_without_echo() {
        let render = blocks(400, 2);
        let capture = blocks(400, 3);
        let mut estimator = DelayEstimator::new(50);
        for b in 0..400 {
            estimator.update(&render[b], &capture[b]);
        }
        assert_eq!(estimator.delay(), None);
    }
}
