//! Opus (RFC 6716) through libopus, at 48 kHz as WebRTC sends it (RFC 7587).

mod config;
mod decoder;
mod encoder;

pub use config::{FrameDuration, OpusConfig};
pub use decoder::OpusDecoder;
pub use encoder::OpusEncoder;

use thiserror::Error;

/// Samples per channel in one 20 ms frame at 48 kHz.
pub const FRAME_SAMPLES: usize = 960;
/// Largest Opus packet (RFC 6716 §3.4: 1275 bytes per frame, three frames at most in a
/// 60 ms packet).
pub const MAX_PACKET: usize = 1275 * 3;
/// Samples per channel of the longest packet (120 ms, RFC 6716 §3.2.5).
pub const MAX_PACKET_SAMPLES: usize = 48 * 120;

/// Why libopus or the wrapper refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// libopus said no (bad packet, bad setting).
    #[error("libopus: {0}")]
    Opus(String),
    /// The PCM handed to the encoder is not exactly one frame.
    #[error("a frame is {expected} interleaved samples, got {got}")]
    FrameLength {
        /// Samples expected (per channel × channels).
        expected: usize,
        /// Samples given.
        got: usize,
    },
    /// The output buffer cannot hold what was asked.
    #[error("output buffer of {got} samples, {needed} needed")]
    BufferTooSmall {
        /// Samples needed.
        needed: usize,
        /// Samples available.
        got: usize,
    },
}

impl From<opus::Error> for CodecError {
    fn from(e: opus::Error) -> Self {
        Self::Opus(e.to_string())
    }
}

fn channels(stereo: bool) -> opus::Channels {
    if stereo {
        opus::Channels::Stereo
    } else {
        opus::Channels::Mono
    }
}
