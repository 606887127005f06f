//! Raw video and its codecs: I420 pictures, and (behind cargo features) the encoders and
//! decoders that turn them into VP8, VP9 and H.264 frames and back.

mod frame;
mod pattern;

pub use frame::{DecodedVideoFrame, FrameError, I420Frame, MAX_SIDE, RawVideoFrame};
pub use pattern::{Fill, PatternCode, PatternError, TestPattern, read_code};
