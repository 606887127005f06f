//! H.264 through Cisco's OpenH264 (the `openh264` crate): constrained baseline, real-time
//! camera settings, one Annex B access unit per picture (RFC 6184 packetization-mode 1
//! takes it as is).

use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, Profile,
    RateControlMode, UsageType,
};
use openh264::formats::YUVSource;
use openh264_sys2::{
    ENCODER_OPTION, ENCODER_OPTION_BITRATE, ENCODER_OPTION_FRAME_RATE, ENCODER_OPTION_MAX_BITRATE,
    SBitrateInfo, SPATIAL_LAYER_0, SPATIAL_LAYER_ALL,
};

use super::codec::{VideoEncoderConfig, VideoSpeed};
use super::frame::I420Frame;
use crate::CodecError;

/// The NAL unit type of an IDR slice (H.264 Table 7-1).
const NAL_IDR: u8 = 5;

/// Largest side OpenH264 encodes (level 5.2: 3840x2160 either way round).
const MAX_ENCODE_LONG_SIDE: u32 = 3840;
const MAX_ENCODE_SHORT_SIDE: u32 = 2160;

fn err(e: openh264::Error) -> CodecError {
    CodecError::H264(e.to_string())
}

/// An [`I420Frame`] as OpenH264 reads it.
struct Source<'a>(&'a I420Frame);

impl YUVSource for Source<'_> {
    fn dimensions(&self) -> (usize, usize) {
        (self.0.width() as usize, self.0.height() as usize)
    }

    fn strides(&self) -> (usize, usize, usize) {
        let c = self.0.chroma_width() as usize;
        (self.0.width() as usize, c, c)
    }

    fn y(&self) -> &[u8] {
        self.0.y()
    }

    fn u(&self) -> &[u8] {
        self.0.u()
    }

    fn v(&self) -> &[u8] {
        self.0.v()
    }
}

/// The OpenH264 encoder and the settings it was made with.
pub(super) struct H264Encoder {
    encoder: Encoder,
    /// The bitrate and frame rate OpenH264 runs with: a change is handed to it before
    /// the next picture (`SetOption`, no new IDR).
    rates: (u32, u32),
    /// The size of the last picture: OpenH264 restarts on another size, and is then
    /// remade so that it starts from today's settings rather than its first ones.
    size: Option<(u32, u32)>,
    frames: u64,
    /// The next picture's time for OpenH264's rate control, in milliseconds.
    clock_ms: u64,
    out: Vec<u8>,
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Encoder")
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

fn openh264_config(c: &VideoEncoderConfig) -> EncoderConfig {
    let complexity = match c.speed {
        VideoSpeed::Quality => Complexity::High,
        VideoSpeed::Balanced => Complexity::Medium,
        VideoSpeed::Fast | VideoSpeed::Fastest => Complexity::Low,
    };
    EncoderConfig::new()
        .usage_type(UsageType::CameraVideoRealTime)
        .profile(Profile::Baseline)
        .rate_control_mode(RateControlMode::Bitrate)
        .bitrate(BitRate::from_bps(c.bitrate_bps))
        .max_frame_rate(FrameRate::from_hz(c.frame_rate as f32))
        // A picture may be skipped when the rate control needs it, as libwebrtc lets
        // OpenH264 do: without it a low target is overshot, and the debt it leaves keeps
        // the rate low after the target rises again.
        .skip_frames(true)
        // Off: a skipped picture looked like a scene change, and each one brought an IDR.
        .scene_change_detect(false)
        .intra_frame_period(IntraFramePeriod::from_num_frames(c.max_keyframe_interval))
        .complexity(complexity)
        .num_threads(c.threads as u16)
}

fn new_encoder(c: &VideoEncoderConfig) -> Result<Encoder, CodecError> {
    Encoder::with_api_config(OpenH264API::from_source(), openh264_config(c)).map_err(err)
}

/// `ISVCEncoder::SetOption` on a running encoder, for the rate options only.
#[allow(unsafe_code)] // FFI to OpenH264; see the crate docs' "Unsafe code".
fn set_option(
    encoder: &mut Encoder,
    option: ENCODER_OPTION,
    value: *mut std::ffi::c_void,
) -> Result<(), CodecError> {
    // SAFETY: `raw_api` asks not to change settings the `openh264` crate relies on;
    // bitrate, maximum bitrate and frame rate are not among them (it reads its own copy
    // only when it restarts on a new picture size, and `encode` remakes the encoder then).
    // `value` points at the type OpenH264 reads for `option` (`SBitrateInfo` for the two
    // bitrates, `f32` for the frame rate), alive for the call; OpenH264 keeps no pointer.
    let rc = unsafe { encoder.raw_api().set_option(option, value) };
    if rc == 0 {
        Ok(())
    } else {
        Err(CodecError::H264(format!(
            "SetOption({option}) refused with {rc}"
        )))
    }
}

impl H264Encoder {
    pub(super) fn new(c: &VideoEncoderConfig) -> Result<Self, CodecError> {
        Ok(Self {
            encoder: new_encoder(c)?,
            rates: (c.bitrate_bps, c.frame_rate),
            size: None,
            frames: 0,
            clock_ms: 0,
            out: Vec::new(),
        })
    }

    /// Hands a new bitrate or frame rate to the running encoder, as libwebrtc's
    /// `H264EncoderImpl::SetRates` does: no new encoder and no IDR. The ceiling
    /// (`ENCODER_OPTION_MAX_BITRATE`) follows the target, as the `openh264` crate sets it
    /// at creation; it moves first when the target rises and last when it falls, so the
    /// target never exceeds it.
    fn apply_rates(&mut self, c: &VideoEncoderConfig) -> Result<(), CodecError> {
        let (bitrate, frame_rate) = (c.bitrate_bps, c.frame_rate);
        if (bitrate, frame_rate) == self.rates {
            return Ok(());
        }
        let bps = i32::try_from(bitrate)
            .map_err(|_| CodecError::H264(format!("bitrate {bitrate} bit/s too high")))?;
        // The one spatial layer's ceiling (`SPATIAL_LAYER_0`), the encoder's overall
        // ceiling and the target (`SPATIAL_LAYER_ALL`); OpenH264 refuses a target above
        // its layer's ceiling.
        let ceilings = [
            (ENCODER_OPTION_MAX_BITRATE, SPATIAL_LAYER_0),
            (ENCODER_OPTION_MAX_BITRATE, SPATIAL_LAYER_ALL),
        ];
        let target = [(ENCODER_OPTION_BITRATE, SPATIAL_LAYER_ALL)];
        let order: Vec<_> = if bitrate > self.rates.0 {
            ceilings.iter().chain(&target).collect()
        } else {
            target.iter().chain(&ceilings).collect()
        };
        for &(option, layer) in order {
            let mut info = SBitrateInfo {
                iLayer: layer,
                iBitrate: bps,
            };
            set_option(&mut self.encoder, option, (&raw mut info).cast())?;
        }
        let mut fps = frame_rate as f32;
        set_option(
            &mut self.encoder,
            ENCODER_OPTION_FRAME_RATE,
            (&raw mut fps).cast(),
        )?;
        self.rates = (bitrate, frame_rate);
        Ok(())
    }

    /// Encodes a picture: the access unit and whether it is an IDR, or `None` if OpenH264
    /// skipped it. OpenH264 codes even sizes: an odd width or height loses its last column
    /// or row (see [`coded_size`]).
    pub(super) fn encode(
        &mut self,
        c: &VideoEncoderConfig,
        picture: &I420Frame,
        force_keyframe: bool,
    ) -> Result<Option<(&[u8], bool)>, CodecError> {
        let (long, short) = (
            picture.width().max(picture.height()),
            picture.width().min(picture.height()),
        );
        if long > MAX_ENCODE_LONG_SIDE || short > MAX_ENCODE_SHORT_SIDE {
            return Err(CodecError::H264(format!(
                "OpenH264 encodes up to 3840x2160, not {}x{}",
                picture.width(),
                picture.height()
            )));
        }
        let size = (picture.width(), picture.height());
        if self.size.is_some_and(|s| s != size) {
            // OpenH264 would restart with the settings it was made with.
            self.encoder = new_encoder(c)?;
            self.rates = (c.bitrate_bps, c.frame_rate);
        }
        self.size = Some(size);
        self.apply_rates(c)?;
        if force_keyframe {
            self.encoder.force_intra_frame();
        }
        // OpenH264's rate control reads time in milliseconds; each picture lasts one
        // interval at the frame rate it was sent at.
        let ms = self.clock_ms;
        self.clock_ms += 1000 / u64::from(c.frame_rate.max(1));
        let stream = self
            .encoder
            .encode_at(&Source(picture), openh264::Timestamp::from_millis(ms))
            .map_err(err)?;
        self.frames += 1;
        let kind = stream.frame_type();
        if matches!(kind, FrameType::Skip | FrameType::Invalid) {
            return Ok(None);
        }
        self.out.clear();
        stream.write_vec(&mut self.out);
        if self.out.is_empty() {
            return Ok(None);
        }
        Ok(Some((&self.out, kind == FrameType::IDR)))
    }
}

/// The size OpenH264 codes a picture at: each side rounded down to even (4:2:0 macroblock
/// pairs; OpenH264 does not signal the cropping an odd side would need).
pub(super) fn coded_size(width: u32, height: u32) -> (u32, u32) {
    ((width & !1).max(2), (height & !1).max(2))
}

/// Whether an Annex B access unit holds an IDR slice: the type of its first slice NAL
/// unit (an access unit's slices are all IDR or none are, H.264 §7.4.1.2.4), found
/// without walking the slices' bytes (parameter sets and SEI come first and are short).
pub(super) fn is_idr(access_unit: &[u8]) -> bool {
    let mut rest = access_unit;
    while let Some(at) = rest.windows(3).position(|w| w == [0, 0, 1]) {
        let Some(&header) = rest.get(at + 3) else {
            return false;
        };
        match header & 0x1f {
            NAL_IDR => return true,
            // A non-IDR slice or a data partition (Table 7-1): the picture is not IDR.
            1..=4 => return false,
            _ => rest = &rest[at + 3..],
        }
    }
    false
}

/// The OpenH264 decoder.
pub(super) struct H264Decoder {
    decoder: Decoder,
}

impl std::fmt::Debug for H264Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoder").finish_non_exhaustive()
    }
}

impl H264Decoder {
    pub(super) fn new() -> Result<Self, CodecError> {
        // One access unit in, its picture out at once (no reordering in baseline).
        let config = DecoderConfig::new().flush_after_decode(Flush::Flush);
        Ok(Self {
            decoder: Decoder::with_api_config(OpenH264API::from_source(), config).map_err(err)?,
        })
    }

    /// Decodes one Annex B access unit; the picture, if one came out.
    pub(super) fn decode(&mut self, access_unit: &[u8]) -> Result<Option<I420Frame>, CodecError> {
        if access_unit.is_empty() {
            return Err(CodecError::H264("empty access unit".to_owned()));
        }
        let Some(yuv) = self.decoder.decode(access_unit).map_err(err)? else {
            return Ok(None);
        };
        let (w, h) = yuv.dimensions();
        let (ys, us, vs) = yuv.strides();
        let picture = I420Frame::from_planes(
            w as u32,
            h as u32,
            (yuv.y(), ys),
            (yuv.u(), us),
            (yuv.v(), vs),
        )
        .map_err(|e| CodecError::H264(format!("decoded picture: {e}")))?;
        Ok(Some(picture))
    }
}

#[cfg(test)]
mod tests {
    use super::is_idr;

    #[test]
    fn the_first_slice_says_whether_an_access_unit_is_idr() {
        // SPS (7), PPS (8), SEI (6), then an IDR slice (5) with 4- and 3-byte start codes.
        let idr = [
            0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x06, 0x05, 0, 0, 0, 1, 0x65,
            0x88, 0x84,
        ];
        assert!(is_idr(&idr));
        // A non-IDR slice (1).
        assert!(!is_idr(&[0, 0, 0, 1, 0x41, 0x9a, 0x00]));
        // Parameter sets only, a start code at the very end, nothing at all.
        assert!(!is_idr(&[0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68]));
        assert!(!is_idr(&[0x12, 0, 0, 1]));
        assert!(!is_idr(&[]));
    }
}
