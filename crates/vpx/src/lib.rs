//! # rtcweb-vpx: VP8 and VP9 through libvpx, for real-time video
//!
//! A thin safe wrapper over libvpx (through `env-libvpx-sys`), set up the way WebRTC uses
//! it:
//!
//! - [`Encoder`]: one-pass CBR with no look-ahead (`g_lag_in_frames = 0`), error resilient,
//!   one temporal layer, automatic key frames at most every
//!   [`EncoderConfig::max_keyframe_interval`] frames and on demand, a real-time speed
//!   preset ([`Speed`]), cyclic-refresh adaptive quantisation on VP9, no frame dropping by
//!   default. One compressed frame comes out per picture in, with its key-frame flag and
//!   the quantiser it used (for the webrtc-stats `qpSum`). Bitrate and frame rate can change
//!   at any time; a picture of another size re-initialises the encoder (and so starts with a
//!   key frame).
//! - [`Decoder`]: one compressed frame in, the decoded picture out as borrowed 8-bit I420
//!   [`Planes`]; anything libvpx refuses is a [`VpxError`], never a panic.
//!
//! Pictures go in and come out as [`Planes`]: a size and three borrowed planes with their
//! strides. This crate knows nothing of RTP or of `rtcweb-media`'s picture type; the media
//! crate builds on it.
//!
//! ```
//! use rtcweb_vpx::{Codec, Decoder, Encoder, EncoderConfig, Planes};
//!
//! let (w, h) = (64, 48);
//! let (y, u, v) = (vec![100u8; 64 * 48], vec![128u8; 32 * 24], vec![128u8; 32 * 24]);
//! let picture = Planes::new(w, h, (&y, 64), (&u, 32), (&v, 32))?;
//!
//! let mut encoder = Encoder::new(EncoderConfig::new(Codec::Vp8, w, h))?;
//! let mut decoder = Decoder::new(Codec::Vp8, 1)?;
//! let frame = encoder.encode(&picture, false)?.expect("no frame dropping by default");
//! assert!(frame.keyframe);
//! decoder.decode(frame.data)?;
//! let decoded = decoder.next_frame()?.expect("one picture per frame");
//! assert_eq!((decoded.width(), decoded.height()), (w, h));
//! # Ok::<(), rtcweb_vpx::VpxError>(())
//! ```
//!
//! ## Why this crate has `unsafe`
//! libvpx is C; calling it is `unsafe` in Rust, and no maintained pure-Rust VP8/VP9 encoder
//! exists. Every other rtcweb crate forbids `unsafe` code; this one denies it at crate level
//! and allows it only in its FFI modules (`encoder`, `decoder`, and the benchmarks' raw
//! libvpx floor behind the `bench-floor` feature), where each `unsafe`
//! block states in a `// SAFETY:` comment why the call is sound: the contexts are
//! initialised before use and destroyed once, pointers handed to libvpx point into
//! borrowed slices whose lengths were checked against the size and strides, and pictures
//! handed out borrow the decoder, so they cannot outlive the next call into libvpx.
#![deny(unsafe_code)]

mod decoder;
mod encoder;
#[cfg(feature = "bench-floor")]
#[doc(hidden)]
pub mod floor;

pub use decoder::Decoder;
pub use encoder::{EncodedFrame, Encoder};

/// Largest side of a picture, in and out (what a level 6.2 stream allows, and what keeps a
/// decoder fed with garbage from allocating gigabytes).
pub const MAX_SIDE: u32 = 8192;

/// Largest stride accepted (libvpx takes strides as C `int`s).
const MAX_STRIDE: usize = 4 * MAX_SIDE as usize;

/// Which VPx codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// VP8 (RFC 6386).
    Vp8,
    /// VP9 (profile 0: 8-bit 4:2:0).
    Vp9,
}

/// How much CPU the encoder may spend per frame, as libvpx's real-time speed presets
/// (`VP8E_SET_CPUUSED`): VP8 takes −4, −6, −12, −16 and VP9 takes 5, 7, 8, 9 for the four
/// steps. Faster means fewer search modes and lower quality at the same bitrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Speed {
    /// Best quality that still runs in real time on a desktop (VP8 −4, VP9 5).
    Quality,
    /// What WebRTC picks on a desktop for VGA and above (VP8 −6, VP9 7).
    #[default]
    Balanced,
    /// For slow machines or large pictures (VP8 −12, VP9 8).
    Fast,
    /// The fastest preset (VP8 −16, VP9 9).
    Fastest,
}

impl Speed {
    /// The `VP8E_SET_CPUUSED` value for a codec.
    pub fn cpu_used(self, codec: Codec) -> i32 {
        match (codec, self) {
            (Codec::Vp8, Self::Quality) => -4,
            (Codec::Vp8, Self::Balanced) => -6,
            (Codec::Vp8, Self::Fast) => -12,
            (Codec::Vp8, Self::Fastest) => -16,
            (Codec::Vp9, Self::Quality) => 5,
            (Codec::Vp9, Self::Balanced) => 7,
            (Codec::Vp9, Self::Fast) => 8,
            (Codec::Vp9, Self::Fastest) => 9,
        }
    }
}

/// How to encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderConfig {
    /// VP8 or VP9.
    pub codec: Codec,
    /// Picture width (1 to [`MAX_SIDE`]); a picture of another size re-initialises.
    pub width: u32,
    /// Picture height (1 to [`MAX_SIDE`]).
    pub height: u32,
    /// Target bitrate in bits per second (at least 1 kbit/s).
    pub bitrate_bps: u32,
    /// Pictures per second (1 to 240).
    pub frame_rate: u32,
    /// Most frames between two key frames (libvpx's `kf_max_dist`, at least 1); key frames
    /// also come on demand.
    pub max_keyframe_interval: u32,
    /// CPU against quality.
    pub speed: Speed,
    /// Encoder threads (1 to 16).
    pub threads: u32,
    /// Buffer fullness (percent) below which the encoder may skip a frame to keep the
    /// bitrate (`rc_dropframe_thresh`); 0, the default, never skips.
    pub drop_frame_threshold: u32,
}

impl EncoderConfig {
    /// Real-time defaults for a size: 1 Mbit/s, 30 fps, a key frame at most every 3000
    /// frames, [`Speed::Balanced`], one thread, no frame skipping.
    pub fn new(codec: Codec, width: u32, height: u32) -> Self {
        Self {
            codec,
            width,
            height,
            bitrate_bps: 1_000_000,
            frame_rate: 30,
            max_keyframe_interval: 3000,
            speed: Speed::Balanced,
            threads: 1,
            drop_frame_threshold: 0,
        }
    }

    /// Refuses settings out of range before libvpx sees them.
    pub(crate) fn check(&self) -> Result<(), VpxError> {
        check_size(self.width, self.height)?;
        if self.bitrate_bps < 1000 {
            return Err(VpxError::Config("bitrate below 1 kbit/s"));
        }
        if !(1..=240).contains(&self.frame_rate) {
            return Err(VpxError::Config("frame rate outside 1..=240"));
        }
        if self.max_keyframe_interval == 0 {
            return Err(VpxError::Config("key-frame interval of 0"));
        }
        if !(1..=16).contains(&self.threads) {
            return Err(VpxError::Config("threads outside 1..=16"));
        }
        if self.drop_frame_threshold > 100 {
            return Err(VpxError::Config("drop-frame threshold above 100 %"));
        }
        Ok(())
    }
}

/// Why libvpx or this wrapper refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VpxError {
    /// libvpx returned an error: its error string, and its detail when it gave one.
    #[error("libvpx: {0}")]
    Codec(String),
    /// A setting out of range.
    #[error("bad setting: {0}")]
    Config(&'static str),
    /// A side is 0 or above [`MAX_SIDE`].
    #[error("picture size {width}x{height} out of range")]
    Size {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// A plane is shorter than its size and stride need, or its stride is below its width.
    #[error("plane {plane} of {got} bytes with stride {stride}, {needed} needed")]
    Plane {
        /// 0 for Y, 1 for U, 2 for V.
        plane: usize,
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        got: usize,
        /// Stride given.
        stride: usize,
    },
    /// The decoded picture is not 8-bit I420 (VP9 profiles 1 to 3: 4:2:2, 4:4:4, 4:4:0 or
    /// high bit depth); the `vpx_img_fmt` value.
    #[error("decoded picture format {0:#x} is not 8-bit I420")]
    UnsupportedFormat(u32),
    /// An empty frame.
    #[error("empty frame")]
    Empty,
}

fn check_size(width: u32, height: u32) -> Result<(), VpxError> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(VpxError::Size { width, height });
    }
    Ok(())
}

/// A borrowed 8-bit I420 picture: a size and three planes with their strides (bytes per
/// row). The U and V planes are half the width and height, rounded up. The lengths are
/// checked when it is made, which is what makes handing the planes to libvpx sound.
#[derive(Debug, Clone, Copy)]
pub struct Planes<'a> {
    width: u32,
    height: u32,
    planes: [(&'a [u8], usize); 3],
}

impl<'a> Planes<'a> {
    /// Checks that each plane holds its rows at its stride: `stride × (rows − 1) + width`
    /// bytes at least, with the stride at least the plane's width.
    pub fn new(
        width: u32,
        height: u32,
        y: (&'a [u8], usize),
        u: (&'a [u8], usize),
        v: (&'a [u8], usize),
    ) -> Result<Self, VpxError> {
        check_size(width, height)?;
        let planes = [y, u, v];
        for (i, &(data, stride)) in planes.iter().enumerate() {
            let (w, h) = plane_size(width, height, i);
            let needed = stride.max(w) * (h - 1) + w;
            if stride < w || stride > MAX_STRIDE || data.len() < needed {
                return Err(VpxError::Plane {
                    plane: i,
                    needed,
                    got: data.len(),
                    stride,
                });
            }
        }
        Ok(Self {
            width,
            height,
            planes,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The Y plane and its stride.
    pub fn y(&self) -> (&'a [u8], usize) {
        self.planes[0]
    }

    /// The U plane and its stride.
    pub fn u(&self) -> (&'a [u8], usize) {
        self.planes[1]
    }

    /// The V plane and its stride.
    pub fn v(&self) -> (&'a [u8], usize) {
        self.planes[2]
    }
}

/// Width and height of plane `i` (0 = Y) of a picture.
fn plane_size(width: u32, height: u32, i: usize) -> (usize, usize) {
    let (w, h) = (width as usize, height as usize);
    if i == 0 {
        (w, h)
    } else {
        (w.div_ceil(2), h.div_ceil(2))
    }
}

/// libvpx's error string for a context, with the detail when there is one.
fn error_text(message: Option<&std::ffi::CStr>, detail: Option<&std::ffi::CStr>) -> String {
    let mut text = message
        .map(|m| m.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unknown error".to_owned());
    if let Some(d) = detail {
        text.push_str(": ");
        text.push_str(&d.to_string_lossy());
    }
    text
}

#[cfg(test)]
mod tests;
