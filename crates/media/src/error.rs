//! Why a codec or a converter refused.

use thiserror::Error;

/// Why libopus, the G.711 coder, the resampler, the audio layers or a video codec refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
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
    /// None of the negotiated codecs can be encoded or decoded in this build.
    #[error("no negotiated codec can be encoded or decoded here")]
    NoCodec,
    /// PCM with a zero sample rate or channel count.
    #[error("PCM needs a sample rate and at least one channel")]
    Format,
    /// The resampler could not be made for these rates.
    #[error("resampler: {0}")]
    Resampler(String),
    /// libvpx (VP8 or VP9) said no: corrupt frame, missing reference, unsupported format.
    #[error("libvpx: {0}")]
    Vpx(String),
    /// OpenH264 said no.
    #[error("OpenH264: {0}")]
    H264(String),
    /// A video encoder setting out of range.
    #[error("video encoder setting: {0}")]
    VideoConfig(String),
    /// The owner has not polled the frames already produced.
    #[error("output queue full: poll the frames out first")]
    Backlog,
}
