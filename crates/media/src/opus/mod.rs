//! Opus (RFC 6716) through libopus, at 48 kHz as WebRTC sends it (RFC 7587).

mod config;
mod decoder;
mod encoder;

pub use config::{FrameDuration, OpusConfig};
pub use decoder::OpusDecoder;
pub use encoder::OpusEncoder;

use crate::CodecError;

/// Samples per channel in one 20 ms frame at 48 kHz.
pub const FRAME_SAMPLES: usize = 960;
/// Largest Opus packet (RFC 6716 §3.4: 1275 bytes per frame, three frames at most in a
/// 60 ms packet).
pub const MAX_PACKET: usize = 1275 * 3;
/// Samples per channel of the longest packet (120 ms, RFC 6716 §3.2.5).
pub const MAX_PACKET_SAMPLES: usize = 48 * 120;

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
