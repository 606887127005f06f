//! One capture channel's processing at 16 kHz (the whole stream at 16 kHz, the band below
//! 8 kHz at 32 and 48 kHz): the echo canceller, the high-pass filter and the post-filter.

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

use crate::config::AudioProcessingConfig;
use crate::control::{Decision, Energies, StepControl, TwoPath};
use crate::delay::DelayEstimator;
use crate::filter::{AdaptiveFilter, RenderSpectra, Transforms};
use crate::high_pass::HighPass;
use crate::postfilter::{EchoBlock, PostFilter};
use crate::processor::AudioProcessingStats;
use crate::suppressor::Suppressor;

/// The rate a channel runs at, Hz.
pub(crate) const CHANNEL_RATE: u32 = 16_000;
/// Samples in one 10 ms frame at [`CHANNEL_RATE`].
pub(crate) const CHANNEL_FRAME: usize = (CHANNEL_RATE / 100) as usize;
/// Blocks of filter before the estimated delay, so an echo that arrives a little earlier
/// than estimated (the estimate is in whole blocks, the delay drifts) is still modelled.
const DELAY_MARGIN_BLOCKS: usize = 2;
/// While the filter holds the echo path, its strongest partition is looked for every this
/// many blocks (100 ms) ...
const PEAK_CHECK_BLOCKS: u32 = 10;
/// ... and the filter is moved when that partition has been off [`DELAY_MARGIN_BLOCKS`],
/// at the same place, this many looks in a row (0.5 s).
const PEAK_VOTES: u32 = 5;
/// Render blocks whose energy predicts a block's echo for the double-talk detector (120 ms
/// from the start of the filter).
const NEAR_END_RENDER_BLOCKS: usize = 12;
/// A block is far-end single talk with echo in it, for the suppressor's learning, when the
/// echo estimate holds this fraction of the capture's energy.
const SINGLE_TALK_ECHO: f32 = 0.25;
/// Smoothing of the two filters' error energies (per block, about 100 ms).
const ERROR_SMOOTHING: f32 = 0.1;
/// While the near end talks, the shadow replaces the main filter only when its smoothed
/// error is at most this fraction of the main filter's (-6 dB).
const NEAR_END_UPDATE_RATIO: f32 = 0.25;
/// Regularisation of the NLMS normalisation: a render at -70 dBFS per sample.
const RENDER_FLOOR: f32 = 1e-7;
/// Smoothing of the powers behind the ERL and ERLE statistics (per frame with far-end
/// activity; about a second).
const STATS_ALPHA: f32 = 0.01;
/// Render frames below this mean square (about -60 dBFS) do not count as far-end activity.
const RENDER_ACTIVE: f32 = 1e-6;

/// One capture channel's processing state; every buffer is allocated in
/// [`CaptureChannel::new`].
#[derive(Debug)]
pub(crate) struct CaptureChannel {
    echo_cancellation: bool,
    partitions: usize,
    max_lag: usize,
    render_window: Vec<f32>,
    capture_window: Vec<f32>,
    render: RenderSpectra,
    transforms: Transforms,
    delay: DelayEstimator,
    offset: usize,
    /// Blocks since the filter's strongest partition was last looked for.
    peak_checks: u32,
    /// The offset the strongest partition asks for, and the looks in a row it has.
    peak_candidate: usize,
    peak_votes: u32,
    main: AdaptiveFilter,
    shadow: AdaptiveFilter,
    capture_spectrum: Vec<Complex<f32>>,
    error_spectrum: Vec<Complex<f32>>,
    estimate_spectrum: Vec<Complex<f32>>,
    step: Vec<f32>,
    step_control: StepControl,
    main_error: f32,
    shadow_error: f32,
    suppressor: Suppressor,
    post_filter: Option<PostFilter>,
    echo_estimate: Vec<f32>,
    learn_residual: bool,
    near_end: bool,
    high_pass: Option<HighPass>,
    two_path: TwoPath,
    error_main: Vec<f32>,
    error_shadow: Vec<f32>,
    render_power: f32,
    capture_power: f32,
    output_power: f32,
    far_end_heard: bool,
    stats: AudioProcessingStats,
}

impl CaptureChannel {
    /// A channel doing what `config` turns on (its rate and channel count are the
    /// processor's business).
    pub(crate) fn new(config: &AudioProcessingConfig) -> Self {
        let frame = CHANNEL_FRAME;
        let bins = frame + 1;
        let partitions = config.echo_tail_ms.div_ceil(10) as usize + DELAY_MARGIN_BLOCKS;
        let max_lag = (config.max_delay_ms / 10) as usize;
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(2 * frame);
        let inverse = planner.plan_fft_inverse(2 * frame);
        let transforms = Transforms {
            time: forward.make_input_vec(),
            freq: forward.make_output_vec(),
            scratch_forward: forward.make_scratch_vec(),
            scratch_inverse: inverse.make_scratch_vec(),
            forward,
            inverse,
        };
        Self {
            echo_cancellation: config.echo_cancellation,
            partitions,
            max_lag,
            render_window: vec![0.0; 2 * frame],
            capture_window: vec![0.0; 2 * frame],
            render: RenderSpectra::new(bins, max_lag + partitions + 1),
            transforms,
            delay: DelayEstimator::new(max_lag),
            offset: 0,
            peak_checks: 0,
            peak_candidate: 0,
            peak_votes: 0,
            main: AdaptiveFilter::new(bins, partitions),
            shadow: AdaptiveFilter::new(bins, partitions),
            capture_spectrum: vec![Complex::new(0.0, 0.0); bins],
            error_spectrum: vec![Complex::new(0.0, 0.0); bins],
            estimate_spectrum: vec![Complex::new(0.0, 0.0); bins],
            step: vec![0.0; bins],
            step_control: StepControl::new(bins, frame, CHANNEL_RATE),
            two_path: TwoPath::default(),
            main_error: 0.0,
            shadow_error: 0.0,
            suppressor: Suppressor::new(),
            post_filter: (config.noise_suppression || config.echo_cancellation)
                .then(|| PostFilter::new(frame, config.noise_suppression)),
            echo_estimate: vec![0.0; frame],
            learn_residual: false,
            near_end: false,
            high_pass: config.high_pass_filter.then(|| HighPass::new(CHANNEL_RATE)),
            error_main: vec![0.0; frame],
            error_shadow: vec![0.0; frame],
            render_power: 0.0,
            capture_power: 0.0,
            output_power: 0.0,
            far_end_heard: false,
            stats: AudioProcessingStats::default(),
        }
    }

    /// Frames by which the output trails the input: 1 with the post-filter, else 0.
    pub(crate) fn latency(&self) -> usize {
        usize::from(self.post_filter.is_some())
    }

    /// What the channel measured: the echo statistics, the delay and the shadow resets.
    pub(crate) fn stats(&self) -> &AudioProcessingStats {
        &self.stats
    }

    /// Processes one 10 ms `capture` frame in place against `render`, the render frame of
    /// the same moment (both at [`CHANNEL_RATE`]); the output trails by
    /// [`CaptureChannel::latency`] frames.
    pub(crate) fn process(&mut self, render: &[f32], capture: &mut [f32]) {
        let n = CHANNEL_FRAME;
        self.render_window.copy_within(n.., 0);
        self.render_window[n..].copy_from_slice(render);
        self.transforms.time.copy_from_slice(&self.render_window);
        self.transforms.forward();
        self.render.push(&self.transforms.freq);

        self.capture_window.copy_within(n.., 0);
        for (w, &s) in self.capture_window[n..].iter_mut().zip(capture.iter()) {
            *w = if s.is_finite() { s } else { 0.0 };
        }
        self.transforms.time.copy_from_slice(&self.capture_window);
        self.transforms.forward();
        self.capture_spectrum.copy_from_slice(&self.transforms.freq);
        self.delay
            .update(self.render.get(0), &self.capture_spectrum);
        self.follow_delay();

        if self.echo_cancellation {
            self.cancel();
            capture.copy_from_slice(&self.error_main);
        } else {
            capture.copy_from_slice(&self.capture_window[n..]);
        }
        if let Some(high_pass) = &mut self.high_pass {
            high_pass.process(capture);
        }
        if let Some(post_filter) = &mut self.post_filter {
            let echo = self.echo_cancellation.then_some(EchoBlock {
                estimate: &self.echo_estimate,
                learn: self.learn_residual,
                near_end: self.near_end,
            });
            post_filter.process(capture, echo);
        }
    }

    /// Aligns the filters with the echo, moving their coefficients along so what they
    /// learnt stays where the echo is. Until the filter has converged (and again once it
    /// has lost the echo path) the delay estimator says where the echo is; while it holds
    /// the echo path, the filter itself does: its strongest partition (the direct path)
    /// is kept [`DELAY_MARGIN_BLOCKS`] from its start. So a drifting clock, which walks the
    /// echo through the filter, is followed block by block, and the estimator, which on
    /// speech can prefer a strong reflection to the direct path for a while, cannot move a
    /// working filter off its direct path.
    fn follow_delay(&mut self) {
        let target = if self.step_control.converged() {
            self.peak_checks += 1;
            if self.peak_checks < PEAK_CHECK_BLOCKS {
                return;
            }
            self.peak_checks = 0;
            let peak = self.main.peak_partition();
            let wanted = (self.offset + peak).saturating_sub(DELAY_MARGIN_BLOCKS);
            if peak == DELAY_MARGIN_BLOCKS || wanted != self.peak_candidate {
                self.peak_candidate = wanted;
                self.peak_votes = 0;
                return;
            }
            self.peak_votes += 1;
            if self.peak_votes < PEAK_VOTES {
                return;
            }
            self.peak_votes = 0;
            wanted
        } else {
            let Some(delay) = self.delay.delay() else {
                return;
            };
            delay.saturating_sub(DELAY_MARGIN_BLOCKS)
        };
        let offset = target.min(self.max_lag);
        if offset != self.offset {
            let shift = offset as isize - self.offset as isize;
            self.main.shift(shift);
            self.shadow.shift(shift);
            self.offset = offset;
        }
        self.stats.delay_ms = u32::try_from((offset + DELAY_MARGIN_BLOCKS) * 10).ok();
    }

    /// The two-path canceller: the shadow filter adapts on every block, with the step
    /// [`StepControl`] gives; the main filter gives the output and takes the shadow's
    /// coefficients when [`TwoPath`] finds the shadow significantly better; a shadow that is
    /// as much worse is reset to the main filter. (Ochiai et al., "Echo canceller with two
    /// echo path models", IEEE Trans. Comm. 25(6), 1977.)
    fn cancel(&mut self) {
        let n = CHANNEL_FRAME;
        let capture = &self.capture_window[n..];
        filter_error(
            &self.main,
            &self.render,
            self.offset,
            &mut self.transforms,
            capture,
            &mut self.error_main,
        );
        self.shadow
            .estimate(&self.render, self.offset, &mut self.estimate_spectrum);
        self.transforms
            .freq
            .copy_from_slice(&self.estimate_spectrum);
        self.transforms.inverse();
        let mut energies = Energies {
            error: 0.0,
            estimate: 0.0,
            cross: 0.0,
        };
        for ((e, &c), &y) in self
            .error_shadow
            .iter_mut()
            .zip(capture)
            .zip(&self.transforms.time[n..])
        {
            *e = c - y;
            energies.error += *e * *e;
            energies.estimate += y * y;
            energies.cross += *e * y;
        }

        let capture_energy: f32 = capture.iter().map(|c| c * c).sum();
        let main_estimate: f32 = capture
            .iter()
            .zip(&self.error_main)
            .map(|(c, e)| (c - e) * (c - e))
            .sum();
        let mut render_recent = 0.0;
        for p in 0..NEAR_END_RENDER_BLOCKS.min(self.partitions) {
            render_recent += self.render.power(self.offset + p).iter().sum::<f32>();
        }
        let near_end = self
            .step_control
            .near_end(capture_energy, main_estimate, render_recent);

        self.transforms.time[..n].fill(0.0);
        self.transforms.time[n..].copy_from_slice(&self.error_shadow);
        self.transforms.forward();
        self.error_spectrum.copy_from_slice(&self.transforms.freq);
        self.step_control.steps(
            &self.error_spectrum,
            &self.estimate_spectrum,
            energies,
            &mut self.step,
        );
        let regularisation = RENDER_FLOOR * (2 * n * self.partitions) as f32;
        self.shadow.adapt(
            &self.render,
            self.offset,
            &self.error_spectrum,
            &self.step,
            regularisation,
            &mut self.transforms,
        );

        let main_energy: f32 = self.error_main.iter().map(|e| e * e).sum();
        let difference: f32 = self
            .error_main
            .iter()
            .zip(&self.error_shadow)
            .map(|(m, s)| (m - s) * (m - s))
            .sum();
        let decision = self
            .two_path
            .decide(main_energy, energies.error, difference);
        self.main_error += ERROR_SMOOTHING * (main_energy - self.main_error);
        self.shadow_error += ERROR_SMOOTHING * (energies.error - self.shadow_error);
        match decision {
            // In double talk the shadow may look better for having learnt the talker; only
            // a shadow far better than the main filter (the room changed) is taken then.
            Decision::UpdateMain
                if near_end && self.shadow_error > NEAR_END_UPDATE_RATIO * self.main_error => {}
            Decision::UpdateMain => {
                self.main.copy_from(&self.shadow);
                self.error_main.copy_from_slice(&self.error_shadow);
            }
            Decision::ResetShadow => {
                self.shadow.copy_from(&self.main);
                self.stats.shadow_resets += 1;
            }
            Decision::Keep => {}
        }
        let linear_output: f32 = self.error_main.iter().map(|e| e * e).sum();
        let final_estimate: f32 = capture
            .iter()
            .zip(&self.error_main)
            .map(|(c, e)| (c - e) * (c - e))
            .sum();
        let single_talk = !near_end
            && self.step_control.converged()
            && final_estimate > SINGLE_TALK_ECHO * capture_energy;
        for ((y, &c), &e) in self
            .echo_estimate
            .iter_mut()
            .zip(capture)
            .zip(&self.error_main)
        {
            *y = c - e;
        }
        // The post-filter learns its residual ratios on every block of far-end single talk,
        // converged or not: before convergence (or where a drifting clock keeps the linear
        // filter from converging) the residual is large, and so is what it must suppress.
        self.learn_residual = !near_end && final_estimate > SINGLE_TALK_ECHO * capture_energy;
        self.near_end = near_end;
        self.suppressor
            .process(&mut self.error_main, final_estimate, single_talk, near_end);
        let output_energy: f32 = self.error_main.iter().map(|e| e * e).sum();
        self.step_control
            .observe_main(capture_energy, linear_output, main_estimate);
        self.update_stats(capture_energy, output_energy);
    }

    fn update_stats(&mut self, capture_energy: f32, output_energy: f32) {
        let n = CHANNEL_FRAME;
        // The render the echo of this block comes from: the aligned render block.
        let render_energy: f32 = self
            .render
            .power(self.offset + DELAY_MARGIN_BLOCKS)
            .iter()
            .sum::<f32>()
            / (2 * n) as f32;
        if render_energy / (n as f32) < RENDER_ACTIVE {
            return;
        }
        let alpha = if self.far_end_heard { STATS_ALPHA } else { 1.0 };
        self.far_end_heard = true;
        self.render_power += alpha * (render_energy - self.render_power);
        self.capture_power += alpha * (capture_energy - self.capture_power);
        self.output_power += alpha * (output_energy - self.output_power);
        let db = |a: f32, b: f32| f64::from(10.0 * (a.max(1e-12) / b.max(1e-12)).log10());
        self.stats.echo_return_loss = Some(db(self.render_power, self.capture_power));
        self.stats.echo_return_loss_enhancement = Some(db(self.capture_power, self.output_power));
    }
}

/// `capture` minus `filter`'s echo estimate, into `error`.
fn filter_error(
    filter: &AdaptiveFilter,
    render: &RenderSpectra,
    offset: usize,
    transforms: &mut Transforms,
    capture: &[f32],
    error: &mut [f32],
) {
    let n = capture.len();
    filter.estimate(render, offset, &mut transforms.freq);
    transforms.inverse();
    for ((e, &c), &y) in error.iter_mut().zip(capture).zip(&transforms.time[n..]) {
        *e = c - y;
    }
}
