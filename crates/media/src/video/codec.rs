//! The codec-independent video encoder and decoder: VP8 and VP9 through libvpx
//! (`rtcweb-vpx`, the `vpx` feature), H.264 through OpenH264 (the `h264` feature).
// Built with no codec at all, every backend match is over an uninhabited variant only.
#![cfg_attr(
    not(any(feature = "vpx", feature = "h264")),
    allow(unreachable_code, unused_variables, unused_mut)
)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::frame::{DecodedVideoFrame, I420Frame, RawVideoFrame};
use crate::{CodecError, VideoCodec};

/// Encoded frames held until polled; an owner that stops polling gets
/// [`CodecError::Backlog`] rather than a growing queue.
const MAX_PENDING: usize = 16;

/// How much CPU an encoder may spend per frame.
///
/// For VP8 and VP9 these are libvpx's real-time speed presets (`cpu-used` −4/−6/−12/−16
/// and 5/7/8/9); for H.264 OpenH264's complexity (high, medium, low, low).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VideoSpeed {
    /// Best quality that still runs in real time on a desktop.
    Quality,
    /// What WebRTC picks on a desktop for VGA and above.
    #[default]
    Balanced,
    /// For slow machines or large pictures.
    Fast,
    /// The fastest preset.
    Fastest,
}

/// How to encode video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoEncoderConfig {
    /// The codec.
    pub codec: VideoCodec,
    /// Picture width; pictures of another size re-initialise the encoder.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Target bitrate, bits per second (at least 1 kbit/s).
    pub bitrate_bps: u32,
    /// Pictures per second (1 to 240).
    pub frame_rate: u32,
    /// Most frames between two key frames (key frames also come on request).
    pub max_keyframe_interval: u32,
    /// CPU against quality.
    pub speed: VideoSpeed,
    /// Encoder threads (1 to 16).
    pub threads: u32,
}

impl VideoEncoderConfig {
    /// Real-time defaults for a codec and size: 1 Mbit/s, 30 fps, a key frame at most
    /// every 3000 frames unless asked, [`VideoSpeed::Balanced`], one thread.
    pub fn new(codec: VideoCodec, width: u32, height: u32) -> Self {
        Self {
            codec,
            width,
            height,
            bitrate_bps: 1_000_000,
            frame_rate: 30,
            max_keyframe_interval: 3000,
            speed: VideoSpeed::Balanced,
            threads: 1,
        }
    }

    fn check(&self) -> Result<(), CodecError> {
        let bad = |what: &str| Err(CodecError::VideoConfig(what.to_owned()));
        if self.width == 0
            || self.height == 0
            || self.width > super::MAX_SIDE
            || self.height > super::MAX_SIDE
        {
            return bad("picture size out of range");
        }
        if self.bitrate_bps < 1000 {
            return bad("bitrate below 1 kbit/s");
        }
        if !(1..=240).contains(&self.frame_rate) {
            return bad("frame rate outside 1..=240");
        }
        if self.max_keyframe_interval == 0 {
            return bad("key-frame interval of 0");
        }
        if !(1..=16).contains(&self.threads) {
            return bad("threads outside 1..=16");
        }
        Ok(())
    }
}

/// A compressed picture: a VP8 frame, a VP9 superframe or an H.264 Annex B access unit,
/// ready for the codec's RTP packetizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedVideoFrame {
    /// The compressed bytes.
    pub data: Vec<u8>,
    /// A key frame (VP8/VP9) or an IDR access unit (H.264): decodable on its own.
    pub keyframe: bool,
    /// The RTP timestamp of the picture it codes.
    pub rtp_timestamp: u32,
    /// When that picture was captured.
    pub capture_time: Option<Instant>,
    /// Width of the picture coded (H.264 codes even sizes: an odd side loses its last
    /// column or row).
    pub width: u32,
    /// Height of the picture coded.
    pub height: u32,
    /// The quantiser used, for the webrtc-stats `qpSum` (VP8/VP9: libvpx's 0..=63 scale;
    /// `None` for H.264, which the `openh264` crate does not report).
    pub qp: Option<u32>,
}

#[cfg(feature = "vpx")]
fn vpx_codec(codec: VideoCodec) -> Option<rtcweb_vpx::Codec> {
    match codec {
        VideoCodec::Vp8 => Some(rtcweb_vpx::Codec::Vp8),
        VideoCodec::Vp9 => Some(rtcweb_vpx::Codec::Vp9),
        VideoCodec::H264 => None,
    }
}

#[cfg(feature = "vpx")]
fn vpx_err(e: rtcweb_vpx::VpxError) -> CodecError {
    CodecError::Vpx(e.to_string())
}

#[cfg(feature = "vpx")]
fn vpx_config(c: &VideoEncoderConfig, codec: rtcweb_vpx::Codec) -> rtcweb_vpx::EncoderConfig {
    rtcweb_vpx::EncoderConfig {
        bitrate_bps: c.bitrate_bps,
        frame_rate: c.frame_rate,
        max_keyframe_interval: c.max_keyframe_interval,
        speed: match c.speed {
            VideoSpeed::Quality => rtcweb_vpx::Speed::Quality,
            VideoSpeed::Balanced => rtcweb_vpx::Speed::Balanced,
            VideoSpeed::Fast => rtcweb_vpx::Speed::Fast,
            VideoSpeed::Fastest => rtcweb_vpx::Speed::Fastest,
        },
        threads: c.threads,
        ..rtcweb_vpx::EncoderConfig::new(codec, c.width, c.height)
    }
}

#[cfg(feature = "vpx")]
fn vpx_planes(p: &I420Frame) -> Result<rtcweb_vpx::Planes<'_>, CodecError> {
    let c = p.chroma_width() as usize;
    rtcweb_vpx::Planes::new(
        p.width(),
        p.height(),
        (p.y(), p.width() as usize),
        (p.u(), c),
        (p.v(), c),
    )
    .map_err(vpx_err)
}

#[derive(Debug)]
enum EncoderBackend {
    #[cfg(feature = "vpx")]
    Vpx(rtcweb_vpx::Encoder),
    /// Boxed: OpenH264's encoder carries its whole bitstream description inline.
    #[cfg(feature = "h264")]
    H264(Box<super::h264::H264Encoder>),
    /// No codec built in: never made.
    #[allow(dead_code)]
    Unavailable(std::convert::Infallible),
}

/// A video encoder: raw pictures in, compressed frames out (polled), one per picture.
///
/// ```
/// # #[cfg(feature = "vpx")] {
/// use rtcweb_media::VideoCodec;
/// use rtcweb_media::video::{I420Frame, RawVideoFrame, VideoEncoder, VideoEncoderConfig};
///
/// let mut encoder = VideoEncoder::new(VideoEncoderConfig::new(VideoCodec::Vp8, 320, 240))?;
/// let picture = I420Frame::black(320, 240)?;
/// let raw = RawVideoFrame { picture, rtp_timestamp: 3000, capture_time: None };
/// encoder.handle_frame(&raw, false)?;
/// let frame = encoder.poll_frame().expect("one frame per picture");
/// assert!(frame.keyframe);
/// assert_eq!(frame.rtp_timestamp, 3000);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct VideoEncoder {
    config: VideoEncoderConfig,
    backend: EncoderBackend,
    keyframe_requested: bool,
    pending: VecDeque<EncodedVideoFrame>,
}

impl VideoEncoder {
    /// An encoder; [`CodecError::NoCodec`] when the codec's feature is not built in.
    pub fn new(config: VideoEncoderConfig) -> Result<Self, CodecError> {
        config.check()?;
        let backend = match config.codec {
            #[cfg(feature = "vpx")]
            VideoCodec::Vp8 | VideoCodec::Vp9 => {
                let codec = vpx_codec(config.codec).ok_or(CodecError::NoCodec)?;
                EncoderBackend::Vpx(
                    rtcweb_vpx::Encoder::new(vpx_config(&config, codec)).map_err(vpx_err)?,
                )
            }
            #[cfg(feature = "h264")]
            VideoCodec::H264 => {
                EncoderBackend::H264(Box::new(super::h264::H264Encoder::new(&config)?))
            }
            #[allow(unreachable_patterns)]
            _ => return Err(CodecError::NoCodec),
        };
        Ok(Self {
            config,
            backend,
            keyframe_requested: false,
            pending: VecDeque::new(),
        })
    }

    /// The configuration in force (the size follows the last picture).
    pub fn config(&self) -> &VideoEncoderConfig {
        &self.config
    }

    /// Encodes one picture (a key frame when `force_keyframe`, or when one was requested);
    /// the frame is then ready in [`poll_frame`](Self::poll_frame). A picture of another
    /// size re-initialises the encoder, and its frame is a key frame.
    pub fn handle_frame(
        &mut self,
        frame: &RawVideoFrame,
        force_keyframe: bool,
    ) -> Result<(), CodecError> {
        if self.pending.len() >= MAX_PENDING {
            return Err(CodecError::Backlog);
        }
        let picture = &frame.picture;
        let force = force_keyframe || self.keyframe_requested;
        self.config.width = picture.width();
        self.config.height = picture.height();
        let out = match &mut self.backend {
            #[cfg(feature = "vpx")]
            EncoderBackend::Vpx(e) => e
                .encode(&vpx_planes(picture)?, force)
                .map_err(vpx_err)?
                .map(|f| (f.data.to_vec(), f.keyframe, f.qp)),
            #[cfg(feature = "h264")]
            EncoderBackend::H264(e) => e
                .encode(&self.config, picture, force)?
                .map(|(data, key)| (data.to_vec(), key, None)),
            EncoderBackend::Unavailable(never) => match *never {},
        };
        self.keyframe_requested = false;
        if let Some((data, keyframe, qp)) = out {
            let (width, height) = match self.config.codec {
                #[cfg(feature = "h264")]
                VideoCodec::H264 => super::h264::coded_size(picture.width(), picture.height()),
                _ => (picture.width(), picture.height()),
            };
            self.pending.push_back(EncodedVideoFrame {
                data,
                keyframe,
                rtp_timestamp: frame.rtp_timestamp,
                capture_time: frame.capture_time,
                width,
                height,
                qp,
            });
        }
        Ok(())
    }

    /// The next compressed frame.
    pub fn poll_frame(&mut self) -> Option<EncodedVideoFrame> {
        self.pending.pop_front()
    }

    /// Makes the next picture a key frame (on a PLI or FIR from the receiver).
    pub fn request_keyframe(&mut self) {
        self.keyframe_requested = true;
    }

    /// A new target bitrate, in force from the next picture (no key frame with any codec).
    pub fn set_bitrate(&mut self, bitrate_bps: u32) -> Result<(), CodecError> {
        let new = VideoEncoderConfig {
            bitrate_bps,
            ..self.config
        };
        new.check()?;
        self.config = new;
        match &mut self.backend {
            #[cfg(feature = "vpx")]
            EncoderBackend::Vpx(e) => e.set_bitrate(bitrate_bps).map_err(vpx_err)?,
            #[cfg(feature = "h264")]
            // Handed to OpenH264 before the next picture (`SetOption`).
            EncoderBackend::H264(_) => {}
            EncoderBackend::Unavailable(never) => match *never {},
        }
        Ok(())
    }

    /// A new frame rate, in force from the next picture (no key frame with any codec).
    pub fn set_frame_rate(&mut self, frame_rate: u32) -> Result<(), CodecError> {
        let new = VideoEncoderConfig {
            frame_rate,
            ..self.config
        };
        new.check()?;
        self.config = new;
        match &mut self.backend {
            #[cfg(feature = "vpx")]
            EncoderBackend::Vpx(e) => e.set_frame_rate(frame_rate).map_err(vpx_err)?,
            #[cfg(feature = "h264")]
            // Handed to OpenH264 before the next picture (`SetOption`).
            EncoderBackend::H264(_) => {}
            EncoderBackend::Unavailable(never) => match *never {},
        }
        Ok(())
    }
}

/// Counters of a [`VideoDecoder`] (the webrtc-stats `framesDecoded` and `keyFramesDecoded`,
/// and the frames refused).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VideoDecoderStats {
    /// Pictures decoded.
    pub frames_decoded: u64,
    /// Of those, from key frames (IDR access units for H.264).
    pub key_frames_decoded: u64,
    /// Frames the decoder refused (corrupt, missing references, unsupported format).
    pub errors: u64,
}

#[derive(Debug)]
enum DecoderBackend {
    #[cfg(feature = "vpx")]
    Vpx(rtcweb_vpx::Decoder),
    #[cfg(feature = "h264")]
    H264(super::h264::H264Decoder),
    /// No codec built in: never made.
    #[allow(dead_code)]
    Unavailable(std::convert::Infallible),
}

/// A video decoder: compressed frames in (as the RTP depacketizers or the
/// [`VideoFrameBuffer`](crate::VideoFrameBuffer) give them), I420 pictures out (polled).
/// A frame the codec refuses is an error and counted; the decoder recovers at the next
/// key frame.
#[derive(Debug)]
pub struct VideoDecoder {
    codec: VideoCodec,
    backend: DecoderBackend,
    pending: VecDeque<DecodedVideoFrame>,
    stats: VideoDecoderStats,
}

impl VideoDecoder {
    /// A decoder; [`CodecError::NoCodec`] when the codec's feature is not built in.
    pub fn new(codec: VideoCodec) -> Result<Self, CodecError> {
        let backend = match codec {
            #[cfg(feature = "vpx")]
            VideoCodec::Vp8 | VideoCodec::Vp9 => {
                let c = vpx_codec(codec).ok_or(CodecError::NoCodec)?;
                DecoderBackend::Vpx(rtcweb_vpx::Decoder::new(c, 1).map_err(vpx_err)?)
            }
            #[cfg(feature = "h264")]
            VideoCodec::H264 => DecoderBackend::H264(super::h264::H264Decoder::new()?),
            #[allow(unreachable_patterns)]
            _ => return Err(CodecError::NoCodec),
        };
        Ok(Self {
            codec,
            backend,
            pending: VecDeque::new(),
            stats: VideoDecoderStats::default(),
        })
    }

    /// The codec decoded.
    pub fn codec(&self) -> VideoCodec {
        self.codec
    }

    /// Decodes one compressed frame; its picture is then ready in
    /// [`poll_frame`](Self::poll_frame). `sender_time` is carried to the picture.
    pub fn handle_frame(
        &mut self,
        data: &[u8],
        rtp_timestamp: u32,
        sender_time: Option<Duration>,
    ) -> Result<(), CodecError> {
        if self.pending.len() >= MAX_PENDING {
            return Err(CodecError::Backlog);
        }
        let result = self.decode(data);
        let (pictures, keyframe) = match result {
            Ok(out) => out,
            Err(e) => {
                self.stats.errors += 1;
                return Err(e);
            }
        };
        for picture in pictures {
            self.stats.frames_decoded += 1;
            self.stats.key_frames_decoded += u64::from(keyframe);
            self.pending.push_back(DecodedVideoFrame {
                picture,
                rtp_timestamp,
                sender_time,
            });
        }
        Ok(())
    }

    /// The pictures of one frame, and whether it was a key frame.
    fn decode(&mut self, data: &[u8]) -> Result<(Vec<I420Frame>, bool), CodecError> {
        let mut pictures = Vec::new();
        let keyframe;
        match &mut self.backend {
            #[cfg(feature = "vpx")]
            DecoderBackend::Vpx(d) => {
                d.decode(data).map_err(vpx_err)?;
                keyframe = d.keyframe();
                while let Some(p) = d.next_frame().map_err(vpx_err)? {
                    let (y, u, v) = (p.y(), p.u(), p.v());
                    let picture = I420Frame::from_planes(p.width(), p.height(), y, u, v)
                        .map_err(|e| CodecError::Vpx(format!("decoded picture: {e}")))?;
                    pictures.push(picture);
                    if pictures.len() >= MAX_PENDING {
                        break;
                    }
                }
            }
            #[cfg(feature = "h264")]
            DecoderBackend::H264(d) => {
                keyframe = super::h264::is_idr(data);
                pictures.extend(d.decode(data)?);
            }
            DecoderBackend::Unavailable(never) => match *never {},
        }
        Ok((pictures, keyframe))
    }

    /// The next decoded picture.
    pub fn poll_frame(&mut self) -> Option<DecodedVideoFrame> {
        self.pending.pop_front()
    }

    /// The counters.
    pub fn stats(&self) -> VideoDecoderStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a codec's feature, asking for it is `NoCodec`, not a panic (run with
    /// `--no-default-features`).
    #[test]
    fn a_codec_not_built_in_is_no_codec() {
        for codec in [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::H264] {
            let built_in = match codec {
                VideoCodec::H264 => cfg!(feature = "h264"),
                _ => cfg!(feature = "vpx"),
            };
            let enc = VideoEncoder::new(VideoEncoderConfig::new(codec, 64, 48));
            let dec = VideoDecoder::new(codec);
            if built_in {
                assert!(enc.is_ok() && dec.is_ok(), "{codec:?}");
            } else {
                assert_eq!(enc.err(), Some(CodecError::NoCodec), "{codec:?}");
                assert_eq!(dec.err(), Some(CodecError::NoCodec), "{codec:?}");
            }
        }
    }
}
