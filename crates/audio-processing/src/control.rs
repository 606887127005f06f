//! Step-size control and the choice between the two filters: what keeps the canceller from
//! learning the near-end talker (double talk) while letting it follow a changed room.
//!
//! Both follow Valin, "On Adjusting the Learning Rate in Frequency Domain Echo Cancellation
//! With Double-Talk", IEEE Trans. ASLP 15(3), 2007, as speexdsp's `mdf.c` implements it:
//!
//! - The optimal NLMS step in a bin is the ratio of the *residual echo* to the error there.
//!   The residual echo is estimated as a "leak" times the echo estimate's power, the leak
//!   being the regression of the error's power fluctuations on the echo estimate's (across
//!   bins, averaged over time, the average moving slower when the error is large against the
//!   echo: in double talk it hardly moves). In double talk the error is large and the
//!   residual echo is not, so the step falls by itself.
//! - The shadow filter's coefficients go to the main filter only when its error is smaller
//!   by more than the two filters' outputs differ can explain (a significance test, per
//!   block and over two averaging lengths); a shadow that is as much worse is reset.

use realfft::num_complex::Complex;

/// Bounds on the leak: below 0.005 (-23 dB) there is nothing to measure, above 1 the echo
/// estimate would be all leak.
const MIN_LEAK: f32 = 0.005;
/// Largest step per bin.
const MAX_STEP: f32 = 0.5;
/// Step until the main filter has converged once (no estimate of the leak before that).
const INITIAL_STEP: f32 = 0.5;
/// The filter counts as converged when the main filter's error has been this fraction of the
/// capture or less (10 dB).
const CONVERGED_RATIO: f32 = 0.1;

/// Capture energy above this multiple of the echo estimate's means a near-end talker (3 dB).
const NEAR_END_RATIO: f32 = 2.0;
/// Blocks the near end counts as talking after it last tripped the detector (200 ms: a
/// talker's syllables are further apart than the 150 ms this was, and in the scenarios'
/// double talk the gaps let the filter and the suppressors at the talker: segmental SNR
/// 19.8 dB at 150 ms, 22.0 at 200 ms; 300 ms trips too long on single talk, costing 4 dB
/// of ERLE).
const NEAR_END_HANGOVER: u32 = 20;
/// Weight of the block's residual-to-error ratio in each bin's step, against the bin's own
/// residual estimate (`leak · |Y|²`). The bin's own estimate is small where the echo
/// estimate is, so bins the filter has not learnt yet (a new voice after the room changed)
/// learn slowly on it alone: with 0.3 the echo alone after the path change kept 28.1 dB
/// of ERLE, with 0.85 30.6 dB (and double talk 20.4 dB of segmental SNR, against 22.0).
const BLOCK_STEP_WEIGHT: f32 = 0.85;

/// Smoothing of the echo path's gain (per block, about 0.5 s).
const PATH_GAIN_SMOOTHING: f32 = 0.02;

/// The echo path counts as lost when the main filter's error is this fraction of the
/// capture or more (3 dB).
const LOST_RATIO: f32 = 0.5;

/// A block carries echo when the echo estimate holds this fraction of the capture's energy.
const ECHO_PRESENT: f32 = 0.25;

/// The per-bin step size of the shadow filter.
#[derive(Debug)]
pub(crate) struct StepControl {
    error_mean: Vec<f32>,
    estimate_mean: Vec<f32>,
    spectral_average: f32,
    pey: f32,
    pyy: f32,
    leak: f32,
    converged: bool,
    main_ratio: f32,
    /// Blocks left in which the near end counts as talking.
    near_end_hangover: u32,
    /// Echo energy per render energy, learnt outside double talk.
    path_gain: f32,
}

/// Frame energies the controls use (sums over one block, time domain).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Energies {
    /// Error of the shadow filter.
    pub(crate) error: f32,
    /// Echo estimate of the shadow filter.
    pub(crate) estimate: f32,
    /// Cross term error × estimate.
    pub(crate) cross: f32,
}

impl StepControl {
    /// For `bins` bins of blocks of `frame` samples at `rate` Hz.
    pub(crate) fn new(bins: usize, frame: usize, rate: u32) -> Self {
        Self {
            error_mean: vec![0.0; bins],
            estimate_mean: vec![0.0; bins],
            // Spectra averaged over about a second (speexdsp: frame / rate).
            spectral_average: frame as f32 / rate as f32,
            pey: 0.0,
            pyy: 0.0,
            leak: 1.0,
            converged: false,
            main_ratio: 1.0,
            near_end_hangover: 0,
            path_gain: 0.0,
        }
    }

    /// Follows how much the main filter removes: `capture` and `output` energies of a block
    /// (outside double talk, where the output is rightly as loud as the capture). The
    /// filter has converged when it removes 10 dB; it has lost the echo path (the room
    /// changed) when it removes less than 3 dB again, and the fast initial step returns.
    /// Blocks where the echo estimate `estimate` is small against the capture (the far end
    /// pauses: only noise) say nothing either way and are skipped.
    pub(crate) fn observe_main(&mut self, capture: f32, output: f32, estimate: f32) {
        let echo_present = estimate > ECHO_PRESENT * capture || !self.converged;
        if capture > 1e-9 && self.near_end_hangover == 0 && echo_present {
            let ratio = (output / capture).min(1.0);
            self.main_ratio += 0.05 * (ratio - self.main_ratio);
            if self.main_ratio < CONVERGED_RATIO {
                self.converged = true;
            } else if self.main_ratio > LOST_RATIO {
                self.converged = false;
            }
        }
    }

    /// Whether the near end talks, from a block's `capture` energy, the main filter's echo
    /// estimate energy `estimate` and the energy of the `render` that makes this block's
    /// echo (the last 120 ms of it, at the estimated delay). Once the filter has converged,
    /// the near end talks when the capture is louder by more than [`NEAR_END_RATIO`] than
    /// both the echo estimate and the render times the echo path's gain learnt in single
    /// talk (Geigel's rule, on energies). A changed room trips the first but not the second:
    /// the loudspeaker is as loud as before. Held for [`NEAR_END_HANGOVER`] blocks.
    pub(crate) fn near_end(&mut self, capture: f32, estimate: f32, render: f32) -> bool {
        let predicted = self.path_gain * render;
        if self.converged
            && capture > 1e-7
            && capture > NEAR_END_RATIO * estimate
            && capture > NEAR_END_RATIO * predicted
        {
            self.near_end_hangover = NEAR_END_HANGOVER;
        } else {
            self.near_end_hangover = self.near_end_hangover.saturating_sub(1);
        }
        if self.near_end_hangover == 0 && render > 1e-9 {
            self.path_gain += PATH_GAIN_SMOOTHING * (capture / render - self.path_gain);
        }
        self.near_end_hangover > 0
    }

    /// Whether the filter has converged (and not lost the echo path since).
    pub(crate) fn converged(&self) -> bool {
        self.converged
    }

    /// Computes the step per bin into `step` from the shadow filter's error and echo
    /// estimate spectra and the block's energies.
    pub(crate) fn steps(
        &mut self,
        error: &[Complex<f32>],
        estimate: &[Complex<f32>],
        energies: Energies,
        step: &mut [f32],
    ) {
        // Regression of the error's power on the echo estimate's power, across bins.
        let mut pey = 0.0f32;
        let mut pyy = 0.0f32;
        let a = self.spectral_average;
        for (((e, y), em), ym) in error
            .iter()
            .zip(estimate)
            .zip(self.error_mean.iter_mut())
            .zip(self.estimate_mean.iter_mut())
        {
            let (e2, y2) = (e.norm_sqr(), y.norm_sqr());
            let (de, dy) = (e2 - *em, y2 - *ym);
            pey += de * dy;
            pyy += dy * dy;
            *em += a * (e2 - *em);
            *ym += a * (y2 - *ym);
        }
        let pyy_root = pyy.sqrt();
        let pey = if pyy_root > 0.0 { pey / pyy_root } else { 0.0 };
        // The averages move slower when the error is large against the echo estimate.
        let see = energies.error.max(1e-12);
        let alpha = (2.0 * a * energies.estimate).min(0.5 * a * see) / see;
        self.pey += alpha * (pey - self.pey);
        self.pyy += alpha * (pyy_root - self.pyy);
        let pyy = self.pyy.max(1e-12);
        self.leak = (self.pey / pyy).clamp(MIN_LEAK, 1.0);

        if !self.converged {
            step.fill(INITIAL_STEP);
            return;
        }
        // Residual-to-error ratio of the block, bounded below by the part of the error
        // that is plainly the echo estimate.
        let mut rer = 3.0 * self.leak * energies.estimate / see;
        let collinear = energies.cross * energies.cross / (see * energies.estimate.max(1e-12));
        rer = rer.max(collinear).min(MAX_STEP);
        for ((s, e), y) in step.iter_mut().zip(error).zip(estimate) {
            let e2 = e.norm_sqr() + 1e-12;
            let residual = (self.leak * y.norm_sqr()).min(0.5 * e2);
            *s = ((1.0 - BLOCK_STEP_WEIGHT) * residual + BLOCK_STEP_WEIGHT * rer * e2) / e2;
        }
    }
}

/// Decides when the shadow filter replaces the main filter and when it is reset to it.
#[derive(Debug, Default)]
pub(crate) struct TwoPath {
    davg1: f32,
    davg2: f32,
    dvar1: f32,
    dvar2: f32,
}

/// What [`TwoPath::decide`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Keep both filters as they are.
    Keep,
    /// Copy the shadow filter into the main filter.
    UpdateMain,
    /// Copy the main filter into the shadow filter.
    ResetShadow,
}

impl TwoPath {
    /// `main` and `shadow`: their error energies over the block; `difference`: the energy of
    /// the difference of their outputs.
    pub(crate) fn decide(&mut self, main: f32, shadow: f32, difference: f32) -> Decision {
        let d = main - shadow;
        let dbf = difference + 1e-9;
        self.davg1 = 0.6 * self.davg1 + 0.4 * d;
        self.davg2 = 0.85 * self.davg2 + 0.15 * d;
        self.dvar1 = 0.36 * self.dvar1 + 0.16 * main * dbf;
        self.dvar2 = 0.7225 * self.dvar2 + 0.0225 * main * dbf;
        let better = d * d.abs() > main * dbf
            || self.davg1 * self.davg1.abs() > 0.5 * self.dvar1
            || self.davg2 * self.davg2.abs() > 0.25 * self.dvar2;
        if better {
            *self = Self::default();
            return Decision::UpdateMain;
        }
        let worse = -d * d.abs() > 4.0 * main * dbf
            || -self.davg1 * self.davg1.abs() > 4.0 * self.dvar1
            || -self.davg2 * self.davg2.abs() > 4.0 * self.dvar2;
        if worse {
            *self = Self::default();
            return Decision::ResetShadow;
        }
        Decision::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clearly_better_shadow_replaces_the_main_filter() {
        let mut two = TwoPath::default();
        // Main error 1.0, shadow 0.5, outputs differing by 0.5: significant.
        assert_eq!(two.decide(1.0, 0.5, 0.5), Decision::UpdateMain);
    }

    #[test]
    fn a_small_difference_under_a_loud_talker_is_not_enough() {
        let mut two = TwoPath::default();
        // Both errors dominated by the near-end talker (1.0), the shadow 2 % better but
        // its output 0.1 away from the main's: not significant.
        for _ in 0..20 {
            assert_eq!(two.decide(1.0, 0.98, 0.1), Decision::Keep);
        }
    }

    #[test]
    fn a_much_worse_shadow_is_reset() {
        let mut two = TwoPath::default();
        assert_eq!(two.decide(0.1, 1.0, 0.9), Decision::ResetShadow);
    }

    #[test]
    fn step_falls_when_the_error_is_not_echo() {
        let bins = 161;
        let mut control = StepControl::new(bins, 160, 16_000);
        control.converged = true;
        let estimate: Vec<Complex<f32>> = (0..bins)
            .map(|k| Complex::new(1.0 + (k % 7) as f32, 0.0))
            .collect();
        let mut step = vec![0.0; bins];
        // Single talk: the error is a tenth of the echo estimate, bin by bin.
        let small: Vec<Complex<f32>> = estimate.iter().map(|y| y * 0.3).collect();
        let single = Energies {
            error: 0.09,
            estimate: 1.0,
            cross: 0.0,
        };
        for _ in 0..500 {
            control.steps(&small, &estimate, single, &mut step);
        }
        let single_talk: f32 = step.iter().sum::<f32>() / bins as f32;
        // Double talk: a loud error unrelated to the echo estimate.
        let loud: Vec<Complex<f32>> = (0..bins)
            .map(|k| Complex::new(10.0 + (k % 5) as f32, 0.0))
            .collect();
        let double = Energies {
            error: 100.0,
            estimate: 1.0,
            cross: 0.0,
        };
        control.steps(&loud, &estimate, double, &mut step);
        let double_talk: f32 = step.iter().sum::<f32>() / bins as f32;
        assert!(
            double_talk < 0.05 * single_talk,
            "{double_talk} vs {single_talk}"
        );
    }
}
