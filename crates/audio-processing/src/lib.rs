//! # rtcweb-audio-processing: echo cancellation for rtcweb, sans-IO
//!
//! Audio processing of the capture stream against the render stream (what the loudspeaker
//! plays), on 10 ms frames of mono 16-bit PCM at 16, 32 or 48 kHz. No threads, no clock,
//! no allocation after construction: the owner hands frames in as they come, in their order,
//! and takes the processed capture frame back.
//!
//! ```
//! use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};
//!
//! let mut apm = AudioProcessor::new(AudioProcessingConfig::new(48_000))?;
//! let played = vec![0i16; apm.frame_len()]; // 10 ms the loudspeaker plays
//! let mut captured = vec![0i16; apm.frame_len()]; // 10 ms the microphone heard
//! apm.handle_render_frame(&played)?;
//! apm.process_capture_frame(&mut captured)?; // now without the echo of `played`
//! let stats = apm.stats(); // echoReturnLoss, echoReturnLossEnhancement, delay
//! # let _ = stats;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What is built
//! - A render queue (500 ms, oldest dropped and counted) pairing render with capture frames.
//! - A delay estimator on binary spectra (libwebrtc's method), 0 to 500 ms in 10 ms steps,
//!   with hysteresis; it follows a drifting delay (see `delay`).
//! - A partitioned-block frequency-domain adaptive filter (constrained, NLMS per bin with
//!   the step shared among partitions in proportion to their weight, IPNLMS) covering the
//!   echo tail after the estimated delay (400 ms by default), in two copies: a shadow
//!   filter that adapts on every block and a main filter that gives the output and takes
//!   the shadow's coefficients only when the shadow is significantly better; a shadow that
//!   diverges is reset from the main filter.
//! - Step-size control: fast until the filter has converged (and again once it has lost
//!   the echo path), then a per-bin step from the estimated residual echo, which falls by
//!   itself in double talk; an energy double-talk detector keeps the shadow out of the main
//!   filter while the near end talks.
//! - A residual echo suppressor (broadband, no added latency: a gain from the residual
//!   echo estimated off the main filter's echo estimate, so a near-end talker keeps a gain
//!   near 1) with comfort noise at the noise floor in place of what it takes away.
//! - Statistics with the webrtc-stats names `echoReturnLoss` and
//!   `echoReturnLossEnhancement`.
//!
//! ## What is not built yet (issue 18)
//! Noise suppression and automatic gain control (configurations asking for them are refused
//! with [`ConfigError::Unsupported`]), a high-pass filter, clock-drift compensation (the
//! filter follows drift only by re-learning), a frequency-selective residual echo
//! suppressor, stereo, timestamps on frames, and the wiring into `rtcweb-peer`'s audio path.
//!
//! ## Measured
//! Against speexdsp on issue 18's scenarios (`tests/scenarios.rs`, 16 kHz): ERLE after
//! convergence 20.6-28.1 dB (speexdsp 10.1-29.6 dB), 20 dB within 0.16-0.53 s of the far
//! end starting and 0.42 s after the room changes, the near end kept at -0.2 dB with a
//! segmental SNR of 20.5 dB in double talk (speexdsp 9.7 dB).
//!
//! ## Measuring
//! The feature `testkit` (not part of the API) holds the measuring bench of issue 18:
//! speech from espeak-ng, synthetic rooms, the scenarios, the metrics, and speexdsp as the
//! baseline; `tests/scenarios.rs` prints the table of both.
#![cfg_attr(not(feature = "testkit"), forbid(unsafe_code))]

mod config;
mod control;
mod delay;
mod filter;
mod gain_control;
mod high_pass;
mod postfilter;
mod processor;
mod suppressor;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use config::{AudioProcessingConfig, ConfigError, FrameError, MAX_ECHO_TAIL_MS, SAMPLE_RATES};
pub use processor::{AudioProcessingStats, AudioProcessor};
