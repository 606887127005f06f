//! The benchmarks' floor: the same encode and decode work done by calling libvpx directly,
//! without this crate's checks, copies and types, so the benchmarks show what the wrapper
//! costs. Only with the `bench-floor` feature; not part of the API (it panics on errors).
#![allow(unsafe_code)]

use std::ffi::{c_int, c_uint, c_ulong};
use std::mem::MaybeUninit;

use vpx_sys as sys;

use crate::encoder::{TIMEBASE_HZ, configure, controls, iface};
use crate::{Codec, EncoderConfig};

/// A libvpx encoder driven with raw calls: `vpx_img_wrap` over a packed I420 buffer,
/// `vpx_codec_encode`, `vpx_codec_get_cx_data`.
pub struct RawEncoder {
    ctx: Box<sys::vpx_codec_ctx_t>,
    _cfg: Box<sys::vpx_codec_enc_cfg_t>,
    width: u32,
    height: u32,
    pts: i64,
    duration: c_ulong,
}

impl RawEncoder {
    /// An encoder with the settings [`crate::Encoder`] would use for `config`.
    pub fn new(config: &EncoderConfig) -> Self {
        let iface = iface(config.codec);
        let mut cfg = MaybeUninit::<sys::vpx_codec_enc_cfg_t>::uninit();
        // SAFETY: `cfg` is writable memory of the struct's size; libvpx fills it on OK.
        let err = unsafe { sys::vpx_codec_enc_config_default(iface, cfg.as_mut_ptr(), 0) };
        assert_eq!(err, sys::VPX_CODEC_OK);
        // SAFETY: vpx_codec_enc_config_default returned OK: every field is written.
        let mut cfg = Box::new(unsafe { cfg.assume_init() });
        configure(&mut cfg, config);
        // SAFETY: all-zero is a valid, unused `vpx_codec_ctx_t`.
        let mut ctx =
            Box::new(unsafe { MaybeUninit::<sys::vpx_codec_ctx_t>::zeroed().assume_init() });
        // SAFETY: a zeroed context, an encoder interface and a complete, boxed configuration.
        let err = unsafe {
            sys::vpx_codec_enc_init_ver(
                &mut *ctx,
                iface,
                &*cfg,
                0,
                sys::VPX_ENCODER_ABI_VERSION as c_int,
            )
        };
        assert_eq!(err, sys::VPX_CODEC_OK);
        for (id, value) in controls(config) {
            // SAFETY: a live context; these controls take one `int`.
            let err = unsafe { sys::vpx_codec_control_(&mut *ctx, id, value) };
            assert_eq!(err, sys::VPX_CODEC_OK);
        }
        Self {
            ctx,
            _cfg: cfg,
            width: config.width,
            height: config.height,
            pts: 0,
            duration: c_ulong::from(TIMEBASE_HZ / config.frame_rate),
        }
    }

    /// Encodes a packed I420 picture (Y, U, V); the compressed size and the key-frame flag.
    pub fn encode(&mut self, i420: &[u8], force_keyframe: bool) -> (usize, bool) {
        let (w, h) = (self.width as usize, self.height as usize);
        assert!(i420.len() >= w * h + 2 * w.div_ceil(2) * h.div_ceil(2));
        let mut img = MaybeUninit::<sys::vpx_image_t>::uninit();
        // SAFETY: `i420` holds a packed picture of the encoder's size (checked above);
        // vpx_img_wrap only fills the header `img` with pointers into it.
        let img = unsafe {
            sys::vpx_img_wrap(
                img.as_mut_ptr(),
                sys::vpx_img_fmt::VPX_IMG_FMT_I420,
                self.width as c_uint,
                self.height as c_uint,
                1,
                i420.as_ptr().cast_mut(),
            )
        };
        assert!(!img.is_null());
        let flags = if force_keyframe {
            sys::VPX_EFLAG_FORCE_KF as sys::vpx_enc_frame_flags_t
        } else {
            0
        };
        // SAFETY: a live context and an image header over `i420`, read during the call.
        let err = unsafe {
            sys::vpx_codec_encode(
                &mut *self.ctx,
                img,
                self.pts,
                self.duration,
                flags,
                sys::VPX_DL_REALTIME as c_ulong,
            )
        };
        assert_eq!(err, sys::VPX_CODEC_OK);
        self.pts += self.duration as i64;
        let (mut size, mut key) = (0, false);
        let mut iter: sys::vpx_codec_iter_t = std::ptr::null();
        loop {
            // SAFETY: a live context; `iter` starts null and only libvpx advances it.
            let pkt = unsafe { sys::vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
            if pkt.is_null() {
                break;
            }
            // SAFETY: a non-null packet is valid until the next call on the context, and
            // its kind says whether the union holds a frame.
            unsafe {
                if (*pkt).kind == sys::vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                    size += (*pkt).data.frame.sz as usize;
                    key |= (*pkt).data.frame.flags & sys::VPX_FRAME_IS_KEY != 0;
                }
            }
        }
        (size, key)
    }
}

impl std::fmt::Debug for RawEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawEncoder").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RawDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawDecoder").finish_non_exhaustive()
    }
}

impl Drop for RawEncoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` and is destroyed once.
        unsafe { sys::vpx_codec_destroy(&mut *self.ctx) };
    }
}

/// A libvpx decoder driven with raw calls: `vpx_codec_decode`, `vpx_codec_get_frame`.
pub struct RawDecoder {
    ctx: Box<sys::vpx_codec_ctx_t>,
}

impl RawDecoder {
    /// A one-thread decoder, postprocessing off.
    pub fn new(codec: Codec) -> Self {
        // SAFETY: static interface tables.
        let iface = unsafe {
            match codec {
                Codec::Vp8 => sys::vpx_codec_vp8_dx(),
                Codec::Vp9 => sys::vpx_codec_vp9_dx(),
            }
        };
        // SAFETY: all-zero is a valid, unused `vpx_codec_ctx_t`.
        let mut ctx =
            Box::new(unsafe { MaybeUninit::<sys::vpx_codec_ctx_t>::zeroed().assume_init() });
        let cfg = sys::vpx_codec_dec_cfg_t {
            threads: 1,
            w: 0,
            h: 0,
        };
        // SAFETY: a zeroed context, a decoder interface, a configuration libvpx copies.
        let err = unsafe {
            sys::vpx_codec_dec_init_ver(
                &mut *ctx,
                iface,
                &cfg,
                0,
                sys::VPX_DECODER_ABI_VERSION as c_int,
            )
        };
        assert_eq!(err, sys::VPX_CODEC_OK);
        Self { ctx }
    }

    /// Decodes a frame; the size of the picture it showed, and the first luma byte.
    pub fn decode(&mut self, frame: &[u8]) -> Option<(u32, u32, u8)> {
        // SAFETY: a live context and `frame` valid for its length during the call.
        let err = unsafe {
            sys::vpx_codec_decode(
                &mut *self.ctx,
                frame.as_ptr(),
                frame.len() as c_uint,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(err, sys::VPX_CODEC_OK);
        let mut iter: sys::vpx_codec_iter_t = std::ptr::null();
        // SAFETY: a live context; the image is valid until the next decode.
        unsafe {
            let img = sys::vpx_codec_get_frame(&mut *self.ctx, &mut iter);
            (!img.is_null()).then(|| ((*img).d_w, (*img).d_h, *(*img).planes[0]))
        }
    }
}

impl Drop for RawDecoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` and is destroyed once.
        unsafe { sys::vpx_codec_destroy(&mut *self.ctx) };
    }
}
