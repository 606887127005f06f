//! # rtcweb-media: from RTP to media and back
//!
//! - [`JitterBuffer`]: an adaptive audio jitter buffer. Packets go in as they arrive
//!   (reordered, duplicates and late ones dropped and counted); one frame comes out per
//!   playout tick, or a request to conceal. Its target delay follows the spread of transit
//!   times over a 2 s window: up at once on a burst, down slowly. Counters are the
//!   webrtc-stats ones (`jitterBufferDelay`, `jitterBufferEmittedCount`, `concealedSamples`,
//!   `concealmentEvents`, `packetsDiscarded`).
//! - [`VideoFrameBuffer`]: assembles VP8, VP9 or H.264 frames from packets in decoding order,
//!   sends NACKs for missing packets (RFC 4585) and asks for a key frame (PLI) when a frame
//!   cannot complete in time.
//! - [`OpusEncoder`] / [`OpusDecoder`]: libopus (through the `opus` crate) at 48 kHz, mono or
//!   stereo, 10/20/40/60 ms frames, bitrate, in-band FEC and DTX ([`OpusConfig`]), with
//!   packet-loss concealment and FEC recovery on the decoder.
//! - [`VideoEncoder`] / [`VideoDecoder`]: real-time video, one codec-independent API over
//!   VP8 and VP9 (libvpx through `rtcweb-vpx`, the `vpx` feature) and H.264 (OpenH264,
//!   constrained baseline, Annex B access units, the `h264` feature): I420 pictures in,
//!   compressed frames with their key-frame flag and quantiser out; bitrate, frame rate and
//!   key frames on demand; a new picture size re-initialises. Without a codec's feature,
//!   asking for it is [`CodecError::NoCodec`].
//! - Test and example audio: [`ToneSource`], [`NoiseSource`], [`WavSource`] and
//!   [`WavSink`] (WAV through `hound`), behind [`AudioSource`] / [`AudioSink`].
//! - [`LipSync`]: from each stream's sender reports and what is played, the extra delay
//!   that brings audio ([`AudioPlayout`]) and video
//!   ([`VideoPlayout`], a render queue) into sync, in bounded steps as
//!   libwebrtc does.
//! - Test and example video: [`TestPattern`], a moving picture carrying its frame number and
//!   capture time in a bar code that survives lossy coding ([`read_code`]), and Y4M files
//!   ([`Y4mSource`], [`Y4mSink`]).
//!
//! Sans-IO like every protocol crate: time comes in as `Instant` arguments.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtcweb_media::{JitterBuffer, JitterConfig, Playout};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = Instant::now();
//! let mut jb = JitterBuffer::new(JitterConfig::default());
//! jb.handle_packet(t0, 960, b"frame-1");
//! jb.handle_packet(t0 + Duration::from_millis(20), 1920, b"frame-2");
//! // Every 20 ms the audio device wants a frame:
//! match jb.pop(t0 + Duration::from_millis(20)) {
//!     Playout::Frame { payload, .. } => assert_eq!(payload, b"frame-1"),
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! ## Not yet
//! Time-stretching (instead of dropping a frame to shrink the delay, or concealing to grow
//! it). Echo cancellation is `rtcweb-audio-processing`'s, capture `rtcweb-capture`'s.
//!
//! ## Unsafe code
//! One function holds unsafe code: the `h264` feature's call of OpenH264's `SetOption`
//! (FFI to a codec), through which a running encoder takes a new bitrate and frame rate
//! without starting again at a key frame; the `openh264` crate's safe API sets them only
//! when an encoder is made. Everything else in the crate is safe; `unsafe_code` is
//! denied and allowed on that function alone.
#![deny(unsafe_code)]

pub mod analysis;
pub mod audio;
mod error;
mod jitter_buffer;
#[cfg(feature = "opus")]
mod opus;
mod source;
mod sync;
mod transit_window;
pub mod video;
mod video_frame_buffer;
mod wav;

pub use audio::{AudioCodec, AudioEncoder, AudioPlayout, PcmFrame};
pub use error::CodecError;
pub use jitter_buffer::{JitterBuffer, JitterConfig, JitterStats, Playout};
#[cfg(feature = "opus")]
pub use opus::{
    FRAME_SAMPLES, FrameDuration, MAX_PACKET, MAX_PACKET_SAMPLES, OpusConfig, OpusDecoder,
    OpusEncoder,
};
pub use source::{AudioSink, AudioSource, NoiseSource, ToneSource};
pub use sync::{LipSync, LipSyncConfig, LipSyncStats, MediaKind, SenderClock};
pub use video::{
    DecodedVideoFrame, EncodedVideoFrame, I420Frame, PatternCode, RawVideoFrame, TestPattern,
    VideoDecoder, VideoDecoderStats, VideoEncoder, VideoEncoderConfig, VideoPlayout,
    VideoPlayoutConfig, VideoSpeed, Y4mSink, Y4mSource, read_code,
};
pub use video_frame_buffer::{
    VideoBufferConfig, VideoCodec, VideoEvent, VideoFrameBuffer, VideoStats,
};
pub use wav::{WavError, WavSink, WavSource};
