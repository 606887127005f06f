//! Raw video and its codecs: I420 pictures, and (behind cargo features) the encoders and
//! decoders that turn them into VP8, VP9 and H.264 frames and back; a moving test pattern
//! that carries its frame number and capture time ([`TestPattern`], [`read_code`]); Y4M
//! files as sources and sinks ([`Y4mSource`], [`Y4mSink`]).

mod codec;
mod frame;
#[cfg(feature = "h264")]
mod h264;
mod pattern;
mod playout;
mod y4m;

pub use codec::{
    EncodedVideoFrame, VideoDecoder, VideoDecoderStats, VideoEncoder, VideoEncoderConfig,
    VideoSpeed,
};
pub use frame::{DecodedVideoFrame, FrameError, I420Frame, MAX_SIDE, RawVideoFrame};
pub use pattern::{Fill, PatternCode, PatternError, TestPattern, read_code};
pub use playout::{RenderedFrame, VideoPlayout, VideoPlayoutConfig, VideoPlayoutStats};
pub use y4m::{Y4mError, Y4mSink, Y4mSource};
