//! # rtcweb-audio-processing: echo cancellation, noise suppression and gain control, sans-IO
//!
//! Audio processing of the capture stream against the render stream (what the loudspeaker
//! plays), on 10 ms frames of mono or stereo (interleaved) 16-bit PCM at 16, 32 or 48 kHz.
//! At 32 and 48 kHz the band below 8 kHz is split off and processed at 16 kHz; the band
//! above follows the gain of the lower band's top (`band_split`), as in libwebrtc. No threads, no clock,
//! no allocation after construction: the owner hands frames in as they come, in their order,
//! and takes the processed capture frame back.
//!
//! ```
//! use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};
//!
//! let mut config = AudioProcessingConfig::new(48_000); // AEC, high-pass and NS on
//! config.auto_gain_control = true; // W3C `autoGainControl`
//! let mut apm = AudioProcessor::new(config)?;
//! let played = vec![0i16; apm.frame_len()]; // 10 ms the loudspeaker plays
//! let mut captured = vec![0i16; apm.frame_len()]; // 10 ms the microphone heard
//! apm.handle_render_frame(&played)?;
//! apm.process_capture_frame(&mut captured)?; // now without the echo of `played`
//! let stats = apm.stats(); // echoReturnLoss, echoReturnLossEnhancement, delay, gain
//! # let _ = stats;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The capture goes through, in this order, each stage switchable in
//! [`AudioProcessingConfig`]: the echo canceller (`echoCancellation`), the high-pass filter,
//! the post-filter (residual echo per bin whenever the canceller is on, stationary noise
//! with `noiseSuppression`; one frame, 10 ms, of latency), and gain control
//! (`autoGainControl`).
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
//! - Residual echo suppression in two stages: a broadband one without latency (a gain from
//!   the residual echo estimated off the main filter's echo estimate, comfort noise at the
//!   noise floor), then a frequency-selective one in the post-filter (per bin, a
//!   residual-to-echo ratio learnt on far-end single talk times the echo estimate's
//!   spectrum; spectral subtraction with a -30 dB floor, gentler in double talk; comfort
//!   noise back to the noise floor).
//! - A high-pass filter (2nd-order Butterworth at 80 Hz, the `biquad` crate), after the
//!   canceller (see `high_pass` for why not before it).
//! - Noise suppression: minimum-statistics noise tracking per bin and a decision-directed
//!   Wiener gain floored at -18 dB (no musical noise).
//! - Automatic gain control, digital: speech level estimated on frames 10 dB over the
//!   noise floor, gain toward -18 dBFS RMS (0 to 30 dB) at most 3 dB a second and only
//!   during speech, a limiter at -1 dBFS.
//! - Statistics with the webrtc-stats names `echoReturnLoss` and
//!   `echoReturnLossEnhancement`, and the gain control's gain.
//!
//! ## What is not built yet (issue 18)
//! Timestamps on frames, and a multichannel render reference (a stereo render is mixed
//! down: a panned voice is cancelled fully, two unrelated loudspeaker signals only by the
//! suppressors, 26 dB in `tests/stereo.rs`'s setup). Clock drift is followed by the filter
//! itself: once converged it keeps its strongest partition (the direct path) two blocks
//! from its start, moving along as the echo drifts; there is no resampling of the render. (`rtcweb-peer`'s driver runs it on an audio sender's
//! PCM: `RtpSender::set_audio_processing`.)
//!
//! ## Measured
//! Against speexdsp (echo canceller and preprocessor) and the `aec3` crate (libwebrtc's
//! AEC3 in Rust) on issue 18's scenarios at 16 and 48 kHz (`tests/scenarios.rs`; the table
//! is there): ERLE after convergence 32.4-39.8 dB as ITU-T G.168 measures it, background
//! noise included on both sides, and 30.6-56.2 dB on the echo alone, the same scenarios
//! without the background noise. 20 dB within 0.15-0.52 s of the far end starting and
//! 0.32-0.40 s after the room changes. In double talk the near end is kept at -0.1 dB
//! (16 kHz) and -0.2 dB (48 kHz) with a segmental SNR of 20.4 and 20.9 dB against the
//! processor's output for the near end alone (speexdsp -0.1 dB and 20.1/19.5 dB; aec3
//! -2.3/-2.0 dB and 5.8/5.1 dB). Noise suppression takes the background noise down
//! 10.6-17.0 dB on noise-only frames (speexdsp 5.0-8.0 dB, aec3 2.3-5.5 dB)
//! and leaves the talker at -0.3 dB. Gain control brings a -38 dBFS talker to -18.0 dBFS,
//! its gain moving at most 2.85 dB in any second (`tests/gain_control.rs`).
//!
//! ## Measuring
//! The feature `testkit` (not part of the API) holds the measuring bench of issue 18:
//! speech from espeak-ng, synthetic rooms, the scenarios, the metrics, and speexdsp as the
//! baseline; `tests/scenarios.rs` prints the table of both.
#![cfg_attr(not(feature = "testkit"), forbid(unsafe_code))]

mod band_split;
mod channel;
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
