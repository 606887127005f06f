//! The partitioned-block frequency-domain adaptive filter (PBFDAF, also called the
//! multidelay block filter: Soo and Pang, IEEE Trans. ASSP 38(2), 1990), with the
//! render spectra it filters.
//!
//! Blocks are one 10 ms frame of N samples; every spectrum is the real FFT of the last 2N
//! samples (overlap-save), N + 1 bins. The echo estimate of a block is the last N samples of
//! the inverse FFT of `Σ_p W_p · X_{k-p}`; the filter learns with normalised LMS per bin,
//! `W_p += μ · conj(X_{k-p}) · E / (Σ_p |X_{k-p}|² + δ)`, `E` the FFT of N zeros and the N
//! samples of error. The gradient constraint (coefficients in time are N long, the rest zero)
//! costs two FFTs per partition. It is applied on every block to the first 12 partitions
//! (the direct path and early reflections, where the echo's energy is) and to two of the
//! later ones in turn (libwebrtc's AEC3 constrains one partition per block): 28 FFTs a
//! block instead of 84 for a 400 ms filter. Against constraining every partition, the
//! scenarios (`tests/scenarios.rs`) gained 7.3 dB of ERLE with the clipping loudspeaker
//! and lost 2.2 dB after the echo-path change and 0.13 dB of double-talk segmental SNR;
//! with only two constrained in turn and none always, double talk lost 0.4 dB and ERLE up
//! to 1.3 dB.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealToComplex};

/// The render spectra of the last blocks, newest first on access.
#[derive(Debug)]
pub(crate) struct RenderSpectra {
    bins: usize,
    blocks: usize,
    head: usize,
    spectra: Vec<Complex<f32>>,
    power: Vec<f32>,
}

impl RenderSpectra {
    /// Room for `blocks` spectra of `bins` bins.
    pub(crate) fn new(bins: usize, blocks: usize) -> Self {
        Self {
            bins,
            blocks,
            head: 0,
            spectra: vec![Complex::new(0.0, 0.0); bins * blocks],
            power: vec![0.0; bins * blocks],
        }
    }

    /// Stores the newest spectrum.
    pub(crate) fn push(&mut self, spectrum: &[Complex<f32>]) {
        self.head = (self.head + 1) % self.blocks;
        let at = self.head * self.bins;
        self.spectra[at..at + self.bins].copy_from_slice(spectrum);
        for (p, x) in self.power[at..at + self.bins].iter_mut().zip(spectrum) {
            *p = x.norm_sqr();
        }
    }

    /// The spectrum `age` blocks old (0: newest).
    pub(crate) fn get(&self, age: usize) -> &[Complex<f32>] {
        let at = ((self.head + self.blocks - age % self.blocks) % self.blocks) * self.bins;
        &self.spectra[at..at + self.bins]
    }

    /// `|X|²` of the spectrum `age` blocks old.
    pub(crate) fn power(&self, age: usize) -> &[f32] {
        let at = ((self.head + self.blocks - age % self.blocks) % self.blocks) * self.bins;
        &self.power[at..at + self.bins]
    }
}

/// The FFT plans and scratch space the filters share.
pub(crate) struct Transforms {
    pub(crate) forward: Arc<dyn RealToComplex<f32>>,
    pub(crate) inverse: Arc<dyn ComplexToReal<f32>>,
    pub(crate) time: Vec<f32>,
    pub(crate) freq: Vec<Complex<f32>>,
    pub(crate) scratch_forward: Vec<Complex<f32>>,
    pub(crate) scratch_inverse: Vec<Complex<f32>>,
}

impl std::fmt::Debug for Transforms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transforms")
            .field("len", &self.time.len())
            .finish_non_exhaustive()
    }
}

impl Transforms {
    /// Forward FFT of `self.time` into `self.freq`.
    pub(crate) fn forward(&mut self) {
        // Lengths all come from the plans; realfft only fails on wrong lengths.
        let _ = self.forward.process_with_scratch(
            &mut self.time,
            &mut self.freq,
            &mut self.scratch_forward,
        );
    }

    /// Inverse FFT of `self.freq` into `self.time`, scaled by 1/len (so a round trip is the
    /// identity). The imaginary parts of DC and Nyquist are dropped first, as a real signal
    /// has none.
    pub(crate) fn inverse(&mut self) {
        self.freq[0].im = 0.0;
        if let Some(last) = self.freq.last_mut() {
            last.im = 0.0;
        }
        // Lengths all come from the plans; the imaginary parts realfft checks are zeroed.
        let _ = self.inverse.process_with_scratch(
            &mut self.freq,
            &mut self.time,
            &mut self.scratch_inverse,
        );
        let scale = 1.0 / self.time.len() as f32;
        self.time.iter_mut().for_each(|t| *t *= scale);
    }
}

/// One partitioned adaptive filter.
#[derive(Debug, Clone)]
pub(crate) struct AdaptiveFilter {
    bins: usize,
    partitions: usize,
    coefficients: Vec<Complex<f32>>,
    /// Each partition's share of the step (scratch of `adapt`).
    gains: Vec<f32>,
    /// Per-bin normalisation (scratch of `adapt`).
    norm: Vec<f32>,
    /// The next of the later partitions to constrain (see [`CONSTRAINED_ALWAYS`]).
    next_constrained: usize,
}

/// Partitions constrained on every block: the direct path and the early reflections
/// (80 ms after the estimated delay), where the echo's energy is.
const CONSTRAINED_ALWAYS: usize = 12;
/// Later partitions constrained per block, in turn (libwebrtc's AEC3 constrains one
/// partition of its filter per block): a room's tail decays by then, and the wrap-around a
/// partition gathers between its turns stays small.
const CONSTRAINED_IN_TURN: usize = 2;

impl AdaptiveFilter {
    pub(crate) fn new(bins: usize, partitions: usize) -> Self {
        Self {
            bins,
            partitions,
            coefficients: vec![Complex::new(0.0, 0.0); bins * partitions],
            gains: vec![1.0; partitions],
            norm: vec![0.0; bins],
            next_constrained: CONSTRAINED_ALWAYS,
        }
    }

    /// Copies `other`'s coefficients.
    pub(crate) fn copy_from(&mut self, other: &Self) {
        self.coefficients.copy_from_slice(&other.coefficients);
    }

    /// Moves the coefficients `shift` partitions earlier (positive: the render is now taken
    /// `shift` blocks later, so the echo sits `shift` partitions earlier in the filter) or
    /// later (negative); what falls off is lost, what comes in is zero.
    pub(crate) fn shift(&mut self, shift: isize) {
        let len = self.bins * self.partitions;
        let by = shift.unsigned_abs().min(self.partitions) * self.bins;
        if shift > 0 {
            self.coefficients.copy_within(by..len, 0);
            self.coefficients[len - by..].fill(Complex::new(0.0, 0.0));
        } else if shift < 0 {
            self.coefficients.copy_within(0..len - by, by);
            self.coefficients[..by].fill(Complex::new(0.0, 0.0));
        }
    }

    /// The partition holding the most of the filter's energy (the echo's direct path).
    pub(crate) fn peak_partition(&self) -> usize {
        self.coefficients
            .chunks_exact(self.bins)
            .map(|w| w.iter().map(Complex::norm_sqr).sum::<f32>())
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0, |(p, _)| p)
    }

    /// The echo estimate's spectrum, `Σ_p W_p X_{offset+p}`, into `out`.
    pub(crate) fn estimate(&self, render: &RenderSpectra, offset: usize, out: &mut [Complex<f32>]) {
        out.fill(Complex::new(0.0, 0.0));
        for (p, w) in self.coefficients.chunks_exact(self.bins).enumerate() {
            let x = render.get(offset + p);
            for ((o, w), x) in out.iter_mut().zip(w).zip(x) {
                *o += w * x;
            }
        }
    }

    /// One proportionate NLMS step on the error spectrum `error` (FFT of N zeros and the N
    /// samples of error) with the per-bin step sizes `step`, then the gradient constraint
    /// on every partition, through `transforms`.
    ///
    /// The step is shared among partitions in proportion to what each already holds
    /// (IPNLMS, Benesty and Gay, ICASSP 2002, applied per partition): a room's echo sits
    /// mostly in the direct path and early reflections, and a filter hundreds of
    /// milliseconds long converges there at the speed of a much shorter one.
    /// `W_p += μ g_p conj(X_p) E / (Σ_q g_q |X_q|² + δ)`, `g_p = P (1/(2P) + ‖W_p‖/(2Σ‖W_q‖))`.
    pub(crate) fn adapt(
        &mut self,
        render: &RenderSpectra,
        offset: usize,
        error: &[Complex<f32>],
        step: &[f32],
        regularisation: f32,
        transforms: &mut Transforms,
    ) {
        let partitions = self.partitions as f32;
        let mut total = 0.0;
        for (gain, w) in self
            .gains
            .iter_mut()
            .zip(self.coefficients.chunks_exact(self.bins))
        {
            *gain = w.iter().map(Complex::norm_sqr).sum::<f32>().sqrt();
            total += *gain;
        }
        for gain in &mut self.gains {
            *gain = 0.25 + 0.75 * partitions * *gain / (total + 1e-12);
        }
        self.norm.fill(regularisation);
        for (p, &gain) in self.gains.iter().enumerate() {
            for (norm, power) in self.norm.iter_mut().zip(render.power(offset + p)) {
                *norm += gain * power;
            }
        }
        for ((p, w), &gain) in self
            .coefficients
            .chunks_exact_mut(self.bins)
            .enumerate()
            .zip(&self.gains)
        {
            let x = render.get(offset + p);
            for ((((w, x), e), norm), step) in
                w.iter_mut().zip(x).zip(error).zip(&self.norm).zip(step)
            {
                *w += x.conj() * e * (step * gain / norm);
            }
        }
        let always = CONSTRAINED_ALWAYS.min(self.partitions);
        let later = self.partitions - always;
        let in_turn = CONSTRAINED_IN_TURN.min(later);
        let first = self.next_constrained;
        let turns = (0..in_turn).map(move |i| always + (first - always + i) % later);
        if later > 0 {
            self.next_constrained = always + (self.next_constrained - always + in_turn) % later;
        }
        for p in (0..always).chain(turns) {
            let w = &mut self.coefficients[p * self.bins..(p + 1) * self.bins];
            transforms.freq.copy_from_slice(w);
            transforms.inverse();
            let half = transforms.time.len() / 2;
            transforms.time[half..].fill(0.0);
            transforms.forward();
            w.copy_from_slice(&transforms.freq);
        }
    }
}
