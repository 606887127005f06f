//! The libvpx encoder (FFI).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_int, c_uint, c_ulong};
use std::mem::MaybeUninit;

use vpx_sys as sys;

use crate::{Codec, EncoderConfig, Planes, VpxError, error_text};

/// The RTP video clock: libvpx's time base, so the frame rate only changes frame durations.
pub(crate) const TIMEBASE_HZ: u32 = 90_000;
/// libvpx's `rc_buf_optimal_sz`: the buffer level (in ms of the target bitrate) rate control
/// aims at.
const OPTIMAL_BUFFER_MS: u32 = 600;

/// One compressed frame, borrowed from the encoder until its next call.
#[derive(Debug, Clone, Copy)]
pub struct EncodedFrame<'a> {
    /// The frame (for VP9 one superframe holding every layer and hidden frame).
    pub data: &'a [u8],
    /// A key frame (`VPX_FRAME_IS_KEY`).
    pub keyframe: bool,
    /// The quantiser the frame was coded with, on libvpx's 0..=63 scale
    /// (`VP8E_GET_LAST_QUANTIZER_64`), for the webrtc-stats `qpSum`.
    pub qp: Option<u32>,
    /// Width of the picture it codes.
    pub width: u32,
    /// Height of the picture it codes.
    pub height: u32,
}

/// A real-time VP8 or VP9 encoder (see the crate docs for the settings).
pub struct Encoder {
    /// Boxed: libvpx keeps pointers into it between calls, so it must not move.
    ctx: Box<sys::vpx_codec_ctx_t>,
    cfg: Box<sys::vpx_codec_enc_cfg_t>,
    config: EncoderConfig,
    pts: i64,
    frames: u64,
    out: Vec<u8>,
}

// SAFETY: the libvpx context is owned by this value alone (no shared pointers escape; the
// frames handed out borrow `self`), and libvpx contexts may be used from any thread as long
// as calls are not concurrent, which `&mut self` guarantees.
unsafe impl Send for Encoder {}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("config", &self.config)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

pub(crate) fn iface(codec: Codec) -> *mut sys::vpx_codec_iface_t {
    // SAFETY: these return pointers to static interface tables; no arguments, no state.
    unsafe {
        match codec {
            Codec::Vp8 => sys::vpx_codec_vp8_cx(),
            Codec::Vp9 => sys::vpx_codec_vp9_cx(),
        }
    }
}

fn err_string(err: sys::vpx_codec_err_t) -> String {
    // SAFETY: vpx_codec_err_to_string returns a pointer to a static NUL-terminated string
    // for every value (an "unrecognized error" text for unknown ones).
    let s = unsafe { CStr::from_ptr(sys::vpx_codec_err_to_string(err)) };
    s.to_string_lossy().into_owned()
}

impl Encoder {
    /// An encoder for a configuration.
    pub fn new(config: EncoderConfig) -> Result<Self, VpxError> {
        config.check()?;
        let iface = iface(config.codec);
        let mut cfg = MaybeUninit::<sys::vpx_codec_enc_cfg_t>::uninit();
        // SAFETY: `iface` is a valid encoder interface and `cfg` points to writable memory
        // of the struct's size, which libvpx fills completely on success.
        let err = unsafe { sys::vpx_codec_enc_config_default(iface, cfg.as_mut_ptr(), 0) };
        if err != sys::VPX_CODEC_OK {
            return Err(VpxError::Codec(err_string(err)));
        }
        // SAFETY: vpx_codec_enc_config_default returned OK, so every field is written.
        let cfg = Box::new(unsafe { cfg.assume_init() });
        // SAFETY: all-zero is a valid `vpx_codec_ctx_t` (null pointers, error code 0 = OK, a
        // union of pointers), the state libvpx expects before init.
        let ctx = Box::new(unsafe { MaybeUninit::<sys::vpx_codec_ctx_t>::zeroed().assume_init() });
        let mut encoder = Self {
            ctx,
            cfg,
            config,
            pts: 0,
            frames: 0,
            out: Vec::new(),
        };
        encoder.init()?;
        Ok(encoder)
    }

    /// Fills the libvpx configuration from ours and initialises the context.
    fn init(&mut self) -> Result<(), VpxError> {
        let c = self.config;
        configure(&mut self.cfg, &c);
        let iface = iface(c.codec);
        // SAFETY: `ctx` is zeroed or destroyed (never a live context here), `iface` is an
        // encoder interface, `cfg` is a complete configuration; both are boxed and outlive
        // the context, and the ABI version is the one the bindings were generated for.
        let err = unsafe {
            sys::vpx_codec_enc_init_ver(
                &mut *self.ctx,
                iface,
                &*self.cfg,
                0,
                sys::VPX_ENCODER_ABI_VERSION as c_int,
            )
        };
        if err != sys::VPX_CODEC_OK {
            // A failed init leaves nothing to destroy; mark the context unused.
            self.ctx.priv_ = std::ptr::null_mut();
            return Err(VpxError::Codec(err_string(err)));
        }
        for (id, value) in controls(&c) {
            self.control(id, value)?;
        }
        self.pts = 0;
        Ok(())
    }

    /// One integer control.
    fn control(&mut self, id: c_int, value: c_int) -> Result<(), VpxError> {
        // SAFETY: the context is initialised (only called after a successful init); the
        // controls used here all take one `int` argument.
        let err = unsafe { sys::vpx_codec_control_(&mut *self.ctx, id, value) };
        self.check(err)
    }

    /// The last libvpx error as ours.
    fn check(&mut self, err: sys::vpx_codec_err_t) -> Result<(), VpxError> {
        if err == sys::VPX_CODEC_OK {
            return Ok(());
        }
        // SAFETY: the context is initialised; vpx_codec_error returns a static or
        // context-owned NUL-terminated string, and vpx_codec_error_detail one or null.
        let text = unsafe {
            let msg = sys::vpx_codec_error(&mut *self.ctx);
            let detail = sys::vpx_codec_error_detail(&mut *self.ctx);
            error_text(
                (!msg.is_null()).then(|| CStr::from_ptr(msg)),
                (!detail.is_null()).then(|| CStr::from_ptr(detail)),
            )
        };
        Err(VpxError::Codec(text))
    }

    /// Destroys the context if it is live.
    fn destroy(&mut self) {
        if !self.ctx.priv_.is_null() {
            // SAFETY: a non-null `priv_` means a live context from a successful init; it
            // is destroyed once and marked unused.
            unsafe { sys::vpx_codec_destroy(&mut *self.ctx) };
            self.ctx.priv_ = std::ptr::null_mut();
        }
    }

    /// The configuration in force (the size follows the last picture).
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// A new target bitrate, in force from the next frame.
    pub fn set_bitrate(&mut self, bitrate_bps: u32) -> Result<(), VpxError> {
        let new = EncoderConfig {
            bitrate_bps,
            ..self.config
        };
        new.check()?;
        self.config = new;
        self.cfg.rc_target_bitrate = bitrate_bps.div_ceil(1000);
        self.apply_config()
    }

    /// A new frame rate, in force from the next frame (pictures are timed from it).
    pub fn set_frame_rate(&mut self, frame_rate: u32) -> Result<(), VpxError> {
        let new = EncoderConfig {
            frame_rate,
            ..self.config
        };
        new.check()?;
        self.config = new;
        self.apply_config()
    }

    fn apply_config(&mut self) -> Result<(), VpxError> {
        if self.ctx.priv_.is_null() {
            return self.init();
        }
        // SAFETY: the context is live and `cfg` a complete configuration of the same size.
        let err = unsafe { sys::vpx_codec_enc_config_set(&mut *self.ctx, &*self.cfg) };
        self.check(err)
    }

    /// Encodes one picture, a key frame when `force_keyframe`. Returns the compressed frame,
    /// or `None` when the encoder skipped the picture (only with a drop-frame threshold).
    /// A picture of another size than the last re-initialises the encoder first.
    pub fn encode(
        &mut self,
        picture: &Planes<'_>,
        force_keyframe: bool,
    ) -> Result<Option<EncodedFrame<'_>>, VpxError> {
        if picture.width() != self.config.width
            || picture.height() != self.config.height
            || self.ctx.priv_.is_null()
        {
            self.destroy();
            self.config.width = picture.width();
            self.config.height = picture.height();
            self.init()?;
        }
        let image = wrap(picture);
        let duration = (TIMEBASE_HZ / self.config.frame_rate) as c_ulong;
        let flags = if force_keyframe {
            sys::VPX_EFLAG_FORCE_KF as sys::vpx_enc_frame_flags_t
        } else {
            0
        };
        // SAFETY: the context is live; `image` describes the borrowed planes of `picture`,
        // whose lengths `Planes::new` checked against the size and strides, and the planes
        // are only read during this call (g_lag_in_frames = 0: libvpx copies the picture).
        let err = unsafe {
            sys::vpx_codec_encode(
                &mut *self.ctx,
                &image,
                self.pts,
                duration,
                flags,
                sys::VPX_DL_REALTIME as c_ulong,
            )
        };
        self.check(err)?;
        self.pts += duration as i64;
        self.out.clear();
        let mut keyframe = false;
        let mut got = false;
        let mut iter: sys::vpx_codec_iter_t = std::ptr::null();
        loop {
            // SAFETY: the context is live and `iter` starts null and is only advanced by
            // libvpx; the packet returned stays valid until the next call on the context.
            let pkt = unsafe { sys::vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
            if pkt.is_null() {
                break;
            }
            // SAFETY: non-null packets point to a valid `vpx_codec_cx_pkt_t`.
            let pkt = unsafe { &*pkt };
            if pkt.kind != sys::vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                continue;
            }
            // SAFETY: `kind` says the union holds a frame, whose `buf` holds `sz` bytes
            // owned by the context until the next call on it.
            let bytes = unsafe {
                let frame = pkt.data.frame;
                if frame.buf.is_null() || frame.sz == 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(frame.buf as *const u8, frame.sz as usize)
                }
            };
            // SAFETY: as above, the union holds a frame.
            let flags = unsafe { pkt.data.frame.flags };
            keyframe |= flags & sys::VPX_FRAME_IS_KEY != 0;
            self.out.extend_from_slice(bytes);
            got = true;
        }
        if !got || self.out.is_empty() {
            return Ok(None);
        }
        self.frames += 1;
        let mut q: c_int = -1;
        // SAFETY: VP8E_GET_LAST_QUANTIZER_64 takes one `int *`, which points to `q`.
        let err = unsafe {
            sys::vpx_codec_control_(
                &mut *self.ctx,
                sys::vp8e_enc_control_id::VP8E_GET_LAST_QUANTIZER_64 as c_int,
                &mut q as *mut c_int,
            )
        };
        let qp = (err == sys::VPX_CODEC_OK && q >= 0).then_some(q as u32);
        Ok(Some(EncodedFrame {
            data: &self.out,
            keyframe,
            qp,
            width: self.config.width,
            height: self.config.height,
        }))
    }
}

/// Our real-time settings on a libvpx configuration (filled with its defaults first).
pub(crate) fn configure(cfg: &mut sys::vpx_codec_enc_cfg_t, c: &EncoderConfig) {
    cfg.g_w = c.width;
    cfg.g_h = c.height;
    cfg.g_threads = c.threads;
    cfg.g_timebase = sys::vpx_rational {
        num: 1,
        den: TIMEBASE_HZ as c_int,
    };
    cfg.g_lag_in_frames = 0;
    cfg.g_error_resilient = sys::VPX_ERROR_RESILIENT_DEFAULT;
    cfg.g_pass = sys::vpx_enc_pass::VPX_RC_ONE_PASS;
    cfg.rc_end_usage = sys::vpx_rc_mode::VPX_CBR;
    cfg.rc_target_bitrate = c.bitrate_bps.div_ceil(1000);
    cfg.rc_dropframe_thresh = c.drop_frame_threshold;
    cfg.rc_resize_allowed = 0;
    // WebRTC's real-time rate-control settings (libvpx_vp8_encoder.cc).
    cfg.rc_min_quantizer = 2;
    cfg.rc_max_quantizer = 56;
    cfg.rc_undershoot_pct = 100;
    cfg.rc_overshoot_pct = 15;
    cfg.rc_buf_initial_sz = 500;
    cfg.rc_buf_optimal_sz = OPTIMAL_BUFFER_MS;
    cfg.rc_buf_sz = 1000;
    cfg.kf_mode = sys::vpx_kf_mode::VPX_KF_AUTO;
    cfg.kf_min_dist = 0;
    cfg.kf_max_dist = c.max_keyframe_interval;
    cfg.ts_number_layers = 1;
    cfg.ss_number_layers = 1;
}

/// The `VP8E_SET_CPUUSED`-style controls of a configuration: (control, value) pairs.
pub(crate) fn controls(c: &EncoderConfig) -> Vec<(c_int, c_int)> {
    let mut list = vec![
        (
            sys::vp8e_enc_control_id::VP8E_SET_CPUUSED as c_int,
            c.speed.cpu_used(c.codec),
        ),
        // A key frame may take at most this many percent of an average frame's bits, as
        // libwebrtc sets it (half the optimal buffer's worth of frames, at least 3 frames):
        // an uncapped key frame at the start or after a loss is a burst the path's queue
        // cannot hold, which loses it and asks for the next one.
        (
            sys::vp8e_enc_control_id::VP8E_SET_MAX_INTRA_BITRATE_PCT as c_int,
            max_intra_bitrate_pct(c.frame_rate),
        ),
    ];
    if c.codec == Codec::Vp9 {
        // Cyclic-refresh adaptive quantisation, what WebRTC runs for real-time VP9.
        list.push((sys::vp8e_enc_control_id::VP9E_SET_AQ_MODE as c_int, 3));
        if c.threads > 1 {
            let log2 = (c.threads.ilog2() as c_int).min(4);
            list.push((
                sys::vp8e_enc_control_id::VP9E_SET_TILE_COLUMNS as c_int,
                log2,
            ));
            list.push((sys::vp8e_enc_control_id::VP9E_SET_ROW_MT as c_int, 1));
        }
    }
    list
}

/// The key-frame size cap in percent of an average frame: `rc_buf_optimal_sz` (600 ms)
/// times 0.5 times the frame rate / 10, at least 300 %, as libwebrtc's `MaxIntraTarget`
/// (900 % at 30 frame/s).
fn max_intra_bitrate_pct(frame_rate: u32) -> c_int {
    let pct = (OPTIMAL_BUFFER_MS * frame_rate / 20).max(300);
    c_int::try_from(pct).unwrap_or(c_int::MAX)
}

/// A libvpx image header over borrowed planes (nothing allocated, nothing owned).
fn wrap(picture: &Planes<'_>) -> sys::vpx_image_t {
    let [(y, ys), (u, us), (v, vs)] = [picture.y(), picture.u(), picture.v()];
    sys::vpx_image_t {
        fmt: sys::vpx_img_fmt::VPX_IMG_FMT_I420,
        cs: sys::vpx_color_space::VPX_CS_UNKNOWN,
        range: sys::vpx_color_range::VPX_CR_STUDIO_RANGE,
        w: picture.width() as c_uint,
        h: picture.height() as c_uint,
        bit_depth: 8,
        d_w: picture.width() as c_uint,
        d_h: picture.height() as c_uint,
        r_w: 0,
        r_h: 0,
        x_chroma_shift: 1,
        y_chroma_shift: 1,
        // libvpx only reads through these when encoding (the pointer type is C's).
        planes: [
            y.as_ptr().cast_mut(),
            u.as_ptr().cast_mut(),
            v.as_ptr().cast_mut(),
            std::ptr::null_mut(),
        ],
        stride: [ys as c_int, us as c_int, vs as c_int, 0],
        bps: 12,
        user_priv: std::ptr::null_mut(),
        img_data: std::ptr::null_mut(),
        img_data_owner: 0,
        self_allocd: 0,
        fb_priv: std::ptr::null_mut(),
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        self.destroy();
    }
}
