//! The measuring bench of issue 18 (feature `testkit`; for tests, benches and the fuzz
//! target, not part of the API): deterministic test signals, the metrics the issue judges by,
//! the scenarios, and speexdsp and the `aec3` crate (libwebrtc's AEC3 in Rust) as the
//! baselines.
//!
//! Needs `espeak-ng` (speech) and `libspeexdsp-dev` (the baseline) installed; `cargo xtask
//! test` installs both.

pub mod aec3;
pub mod metrics;
pub mod scenario;
pub mod signals;
pub mod speex;

/// What can go wrong while making test signals.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// espeak-ng could not be run or failed.
    #[error("espeak-ng: {0}")]
    Espeak(String),
    /// The WAV file espeak-ng wrote could not be read.
    #[error("reading espeak-ng's WAV: {0}")]
    Wav(#[from] hound::Error),
    /// A temporary directory could not be made.
    #[error("temporary directory: {0}")]
    Io(#[from] std::io::Error),
    /// rubato refused a conversion.
    #[error("resampling: {0}")]
    Resample(String),
}
