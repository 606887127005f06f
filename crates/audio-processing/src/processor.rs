//! The processor: render frames queued, capture frames processed in place.

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

use crate::config::{AudioProcessingConfig, ConfigError, FrameError};
use crate::control::{Decision, Energies, StepControl, TwoPath};
use crate::delay::DelayEstimator;
use crate::filter::{AdaptiveFilter, RenderSpectra, Transforms};
use crate::gain_control::GainControl;
use crate::high_pass::HighPass;
use crate::postfilter::{EchoBlock, PostFilter};
use crate::suppressor::Suppressor;

/// Render frames held between `handle_render_frame` and the capture frame that takes them:
/// 500 ms. More is dropped, oldest first, and counted.
const RENDER_QUEUE_FRAMES: usize = 50;
/// Blocks of filter before the estimated delay, so an echo that arrives a little earlier
/// than estimated (the estimate is in whole blocks, the delay drifts) is still modelled.
const DELAY_MARGIN_BLOCKS: usize = 2;
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

/// What the processor measured (webrtc-stats names where there are some).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AudioProcessingStats {
    /// `echoReturnLoss` (webrtc-stats, media-source): how much quieter the echo in the
    /// capture is than the render, dB, smoothed over about a second of far-end activity.
    /// `None` before the far end has been heard.
    pub echo_return_loss: Option<f64>,
    /// `echoReturnLossEnhancement` (webrtc-stats, media-source): how much quieter the
    /// processed capture is than the capture, dB, over the same frames.
    pub echo_return_loss_enhancement: Option<f64>,
    /// The estimated render-to-capture delay, ms (10 ms steps); `None` until estimated.
    pub delay_ms: Option<u32>,
    /// Render frames dropped because the render queue was full (render without capture).
    pub render_frames_dropped: u64,
    /// Capture frames processed with no render frame queued (silence used instead).
    pub render_underruns: u64,
    /// Times the shadow filter diverged and was reset to the main filter.
    pub shadow_resets: u64,
    /// The gain automatic gain control applies now, dB (before its limiter); `None` when
    /// it is off.
    pub gain_db: Option<f64>,
}

/// Audio processing of the capture stream on 10 ms frames, sans-IO: acoustic echo
/// cancellation, a high-pass filter, noise suppression and automatic gain control, each
/// switched by [`AudioProcessingConfig`].
///
/// Feed every frame the loudspeaker plays to [`AudioProcessor::handle_render_frame`] and
/// every microphone frame to [`AudioProcessor::process_capture_frame`], which replaces it
/// with the processed frame. Both take 10 ms of mono 16-bit PCM at the configured rate. No
/// allocation happens after [`AudioProcessor::new`].
#[derive(Debug)]
pub struct AudioProcessor {
    config: AudioProcessingConfig,
    frame: usize,
    partitions: usize,
    max_lag: usize,
    queue: Vec<i16>,
    queue_start: usize,
    queue_len: usize,
    render_window: Vec<f32>,
    capture_window: Vec<f32>,
    render: RenderSpectra,
    transforms: Transforms,
    delay: DelayEstimator,
    offset: usize,
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
    gain_control: Option<GainControl>,
    output: Vec<f32>,
    two_path: TwoPath,
    error_main: Vec<f32>,
    error_shadow: Vec<f32>,
    render_power: f32,
    capture_power: f32,
    output_power: f32,
    far_end_heard: bool,
    stats: AudioProcessingStats,
}

impl AudioProcessor {
    /// A processor for `config`; refuses what is not built ([`ConfigError`]).
    pub fn new(config: AudioProcessingConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let frame = config.frame_len();
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
        Ok(Self {
            config,
            frame,
            partitions,
            max_lag,
            queue: vec![0; RENDER_QUEUE_FRAMES * frame],
            queue_start: 0,
            queue_len: 0,
            render_window: vec![0.0; 2 * frame],
            capture_window: vec![0.0; 2 * frame],
            render: RenderSpectra::new(bins, max_lag + partitions + 1),
            transforms,
            delay: DelayEstimator::new(max_lag),
            offset: 0,
            main: AdaptiveFilter::new(bins, partitions),
            shadow: AdaptiveFilter::new(bins, partitions),
            capture_spectrum: vec![Complex::new(0.0, 0.0); bins],
            error_spectrum: vec![Complex::new(0.0, 0.0); bins],
            estimate_spectrum: vec![Complex::new(0.0, 0.0); bins],
            step: vec![0.0; bins],
            step_control: StepControl::new(bins, frame, config.sample_rate),
            two_path: TwoPath::default(),
            main_error: 0.0,
            shadow_error: 0.0,
            suppressor: Suppressor::new(),
            post_filter: (config.noise_suppression || config.echo_cancellation)
                .then(|| PostFilter::new(frame, config.noise_suppression)),
            gain_control: config.auto_gain_control.then(GainControl::new),
            echo_estimate: vec![0.0; frame],
            learn_residual: false,
            near_end: false,
            output: vec![0.0; frame],
            high_pass: config
                .high_pass_filter
                .then(|| HighPass::new(config.sample_rate)),
            error_main: vec![0.0; frame],
            error_shadow: vec![0.0; frame],
            render_power: 0.0,
            capture_power: 0.0,
            output_power: 0.0,
            far_end_heard: false,
            stats: AudioProcessingStats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AudioProcessingConfig {
        &self.config
    }

    /// Samples in one 10 ms frame.
    pub fn frame_len(&self) -> usize {
        self.frame
    }

    /// What the processor measured so far.
    pub fn stats(&self) -> AudioProcessingStats {
        self.stats
    }

    /// Takes one 10 ms frame of what the loudspeaker plays (the far end): the reference the
    /// echo is cancelled against. Frames queue (up to 500 ms) until capture frames take
    /// them, one each.
    pub fn handle_render_frame(&mut self, frame: &[i16]) -> Result<(), FrameError> {
        self.check(frame.len())?;
        if self.queue_len == RENDER_QUEUE_FRAMES {
            self.queue_start = (self.queue_start + 1) % RENDER_QUEUE_FRAMES;
            self.queue_len -= 1;
            self.stats.render_frames_dropped += 1;
        }
        let slot = (self.queue_start + self.queue_len) % RENDER_QUEUE_FRAMES;
        self.queue[slot * self.frame..(slot + 1) * self.frame].copy_from_slice(frame);
        self.queue_len += 1;
        Ok(())
    }

    /// Processes one 10 ms microphone frame in place: the echo of the render is removed.
    pub fn process_capture_frame(&mut self, frame: &mut [i16]) -> Result<(), FrameError> {
        self.check(frame.len())?;
        let n = self.frame;
        self.take_render_frame();
        self.transforms.time.copy_from_slice(&self.render_window);
        self.transforms.forward();
        self.render.push(&self.transforms.freq);

        self.capture_window.copy_within(n.., 0);
        for (w, &s) in self.capture_window[n..].iter_mut().zip(frame.iter()) {
            *w = f32::from(s) / 32768.0;
        }
        self.transforms.time.copy_from_slice(&self.capture_window);
        self.transforms.forward();
        self.capture_spectrum.copy_from_slice(&self.transforms.freq);
        self.delay
            .update(self.render.get(0), &self.capture_spectrum);
        self.follow_delay();

        if self.config.echo_cancellation {
            self.cancel();
            self.output.copy_from_slice(&self.error_main);
        } else if self.post_filter.is_none()
            && self.high_pass.is_none()
            && self.gain_control.is_none()
        {
            return Ok(());
        } else {
            self.output.copy_from_slice(&self.capture_window[n..]);
        }
        if let Some(high_pass) = &mut self.high_pass {
            high_pass.process(&mut self.output);
        }
        if let Some(post_filter) = &mut self.post_filter {
            let echo = self.config.echo_cancellation.then_some(EchoBlock {
                estimate: &self.echo_estimate,
                learn: self.learn_residual,
                near_end: self.near_end,
            });
            post_filter.process(&mut self.output, echo);
        }
        if let Some(gain_control) = &mut self.gain_control {
            gain_control.process(&mut self.output);
            self.stats.gain_db = Some(f64::from(gain_control.gain_db()));
        }
        for (out, &e) in frame.iter_mut().zip(&self.output) {
            *out = (e * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        }
        Ok(())
    }

    fn check(&self, len: usize) -> Result<(), FrameError> {
        if len == self.frame {
            Ok(())
        } else {
            Err(FrameError::Length {
                expected: self.frame,
                actual: len,
            })
        }
    }

    /// Moves the oldest queued render frame (or silence) into the render window.
    fn take_render_frame(&mut self) {
        let n = self.frame;
        self.render_window.copy_within(n.., 0);
        if self.queue_len == 0 {
            self.render_window[n..].fill(0.0);
            self.stats.render_underruns += 1;
            return;
        }
        let slot = self.queue_start;
        for (w, &s) in self.render_window[n..]
            .iter_mut()
            .zip(&self.queue[slot * n..(slot + 1) * n])
        {
            *w = f32::from(s) / 32768.0;
        }
        self.queue_start = (self.queue_start + 1) % RENDER_QUEUE_FRAMES;
        self.queue_len -= 1;
    }

    /// Aligns the filters with the delay estimate, moving their coefficients along so what
    /// they learnt stays where the echo is.
    fn follow_delay(&mut self) {
        let Some(delay) = self.delay.delay() else {
            return;
        };
        let offset = delay.saturating_sub(DELAY_MARGIN_BLOCKS).min(self.max_lag);
        if offset != self.offset {
            let shift = offset as isize - self.offset as isize;
            self.main.shift(shift);
            self.shadow.shift(shift);
            self.offset = offset;
            self.stats.delay_ms = u32::try_from(delay * 10).ok();
        } else if self.stats.delay_ms.is_none() {
            self.stats.delay_ms = u32::try_from(delay * 10).ok();
        }
    }

    /// The two-path canceller: the shadow filter adapts on every block, with the step
    /// [`StepControl`] gives; the main filter gives the output and takes the shadow's
    /// coefficients when [`TwoPath`] finds the shadow significantly better; a shadow that is
    /// as much worse is reset to the main filter. (Ochiai et al., "Echo canceller with two
    /// echo path models", IEEE Trans. Comm. 25(6), 1977.)
    fn cancel(&mut self) {
        let n = self.frame;
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
        let n = self.frame;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_frame_lengths_are_refused() {
        let mut p = AudioProcessor::new(AudioProcessingConfig::new(16_000)).unwrap();
        assert_eq!(
            p.handle_render_frame(&[0; 100]),
            Err(FrameError::Length {
                expected: 160,
                actual: 100
            })
        );
        assert!(p.process_capture_frame(&mut [0; 480]).is_err());
    }

    #[test]
    fn render_queue_is_bounded_and_counted() {
        let mut p = AudioProcessor::new(AudioProcessingConfig::new(16_000)).unwrap();
        for _ in 0..60 {
            p.handle_render_frame(&[1000; 160]).unwrap();
        }
        assert_eq!(p.stats().render_frames_dropped, 10);
        let mut capture = [0i16; 160];
        for _ in 0..51 {
            p.process_capture_frame(&mut capture).unwrap();
        }
        assert_eq!(p.stats().render_underruns, 1);
    }

    #[test]
    fn with_everything_off_the_capture_passes_through() {
        let mut config = AudioProcessingConfig::new(16_000);
        config.echo_cancellation = false;
        config.noise_suppression = false;
        config.high_pass_filter = false;
        let mut p = AudioProcessor::new(config).unwrap();
        let mut capture: Vec<i16> = (0..160).map(|i| (i * 100) as i16).collect();
        let copy = capture.clone();
        p.handle_render_frame(&capture.clone()).unwrap();
        p.process_capture_frame(&mut capture).unwrap();
        assert_eq!(capture, copy);
    }
}
