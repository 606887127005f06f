//! Raw video and its codecs: I420 pictures, and (behind cargo features) the encoders and
//! decoders that turn them into VP8, VP9 and H.264 frames and back.

mod codec;
mod frame;
#[cfg(feature = "h264")]
mod h264;

pub use codec::{
    EncodedVideoFrame, VideoDecoder, VideoDecoderStats, VideoEncoder, VideoEncoderConfig,
    VideoSpeed,
};
pub use frame::{DecodedVideoFrame, FrameError, I420Frame, MAX_SIDE, RawVideoFrame};
