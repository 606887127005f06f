//! The libvpx decoder (FFI).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_int, c_uint};
use std::mem::MaybeUninit;

use vpx_sys as sys;

use crate::{Codec, MAX_SIDE, Planes, VpxError, error_text, plane_size};

/// Largest compressed frame accepted (libvpx takes the size as a 32-bit count; a frame of a
/// 8192x8192 picture stays far below this).
const MAX_FRAME_BYTES: usize = 64 << 20;

/// A VP8 or VP9 decoder: [`decode`](Self::decode) one compressed frame, then take the
/// pictures it produced with [`next_frame`](Self::next_frame).
pub struct Decoder {
    /// Boxed: libvpx keeps pointers into it between calls, so it must not move.
    ctx: Box<sys::vpx_codec_ctx_t>,
    codec: Codec,
    iter: sys::vpx_codec_iter_t,
    keyframe: bool,
}

// SAFETY: the libvpx context is owned by this value alone (pictures handed out borrow
// `self`), and libvpx contexts may be used from any thread as long as calls are not
// concurrent, which `&mut self` guarantees.
unsafe impl Send for Decoder {}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// A decoder with `threads` threads (1 to 16), postprocessing off.
    pub fn new(codec: Codec, threads: u32) -> Result<Self, VpxError> {
        if !(1..=16).contains(&threads) {
            return Err(VpxError::Config("threads outside 1..=16"));
        }
        // SAFETY: these return pointers to static interface tables.
        let iface = unsafe {
            match codec {
                Codec::Vp8 => sys::vpx_codec_vp8_dx(),
                Codec::Vp9 => sys::vpx_codec_vp9_dx(),
            }
        };
        // SAFETY: all-zero is a valid `vpx_codec_ctx_t` (null pointers, error code 0, a
        // union of pointers), the state libvpx expects before init.
        let mut ctx =
            Box::new(unsafe { MaybeUninit::<sys::vpx_codec_ctx_t>::zeroed().assume_init() });
        let cfg = sys::vpx_codec_dec_cfg_t {
            threads: threads as c_uint,
            w: 0,
            h: 0,
        };
        // SAFETY: `ctx` is zeroed, `iface` a decoder interface, `cfg` lives through the
        // call (libvpx copies it), flags 0 (no postprocessing), and the ABI version is the
        // one the bindings were generated for.
        let err = unsafe {
            sys::vpx_codec_dec_init_ver(
                &mut *ctx,
                iface,
                &cfg,
                0,
                sys::VPX_DECODER_ABI_VERSION as c_int,
            )
        };
        if err != sys::VPX_CODEC_OK {
            // SAFETY: vpx_codec_err_to_string returns a static NUL-terminated string.
            let text = unsafe { CStr::from_ptr(sys::vpx_codec_err_to_string(err)) };
            return Err(VpxError::Codec(text.to_string_lossy().into_owned()));
        }
        Ok(Self {
            ctx,
            codec,
            iter: std::ptr::null(),
            keyframe: false,
        })
    }

    /// Whether the last frame decoded without error was a key frame.
    pub fn keyframe(&self) -> bool {
        self.keyframe
    }

    /// Which codec this decodes.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Decodes one compressed frame (for VP9 a whole superframe). Pictures from the
    /// previous frame not yet taken are gone. A corrupt frame, one that refers to a
    /// picture the decoder does not have, or a key frame above [`MAX_SIDE`] is an error;
    /// the decoder stays usable and recovers at the next key frame.
    pub fn decode(&mut self, data: &[u8]) -> Result<(), VpxError> {
        self.iter = std::ptr::null();
        self.keyframe = false;
        if data.is_empty() {
            // libvpx reads an empty buffer as "flush" or "frame lost"; neither is a frame.
            return Err(VpxError::Empty);
        }
        if data.len() > MAX_FRAME_BYTES {
            return Err(VpxError::Config("frame above 64 MiB"));
        }
        let mut info = sys::vpx_codec_stream_info_t {
            sz: std::mem::size_of::<sys::vpx_codec_stream_info_t>() as c_uint,
            w: 0,
            h: 0,
            is_kf: 0,
        };
        // SAFETY: the interface is the live context's, `data` is valid for `len` bytes
        // (checked to fit a u32) and `info` is a writable stream-info struct with its size
        // set, as vpx_codec_peek_stream_info requires.
        let peek = unsafe {
            sys::vpx_codec_peek_stream_info(
                self.ctx.iface,
                data.as_ptr(),
                data.len() as c_uint,
                &mut info,
            )
        };
        // A key frame announcing a picture above the limit would make libvpx allocate for
        // it: refuse it before it does.
        if peek == sys::VPX_CODEC_OK && (info.w > MAX_SIDE || info.h > MAX_SIDE) {
            return Err(VpxError::Size {
                width: info.w,
                height: info.h,
            });
        }
        // SAFETY: the context is live, `data` is valid for `len` bytes, which libvpx only
        // reads during the call; no user data and no deadline.
        let err = unsafe {
            sys::vpx_codec_decode(
                &mut *self.ctx,
                data.as_ptr(),
                data.len() as c_uint,
                std::ptr::null_mut(),
                0,
            )
        };
        if err == sys::VPX_CODEC_OK {
            self.keyframe = peek == sys::VPX_CODEC_OK && info.is_kf != 0;
            return Ok(());
        }
        // SAFETY: the context is live; vpx_codec_error returns a static or context-owned
        // NUL-terminated string, and vpx_codec_error_detail one or null.
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

    /// The next picture of the last decoded frame, borrowed until the next call on the
    /// decoder; `None` when there is no more (a frame that is not shown gives none). A
    /// picture that is not 8-bit I420 is [`VpxError::UnsupportedFormat`].
    pub fn next_frame(&mut self) -> Result<Option<Planes<'_>>, VpxError> {
        // SAFETY: the context is live; `iter` was reset by `decode` and only advanced by
        // libvpx. The image returned belongs to the context and stays valid until the
        // next decode, which needs `&mut self` and so cannot happen while the planes
        // handed out (borrowing `self`) live.
        let img = unsafe { sys::vpx_codec_get_frame(&mut *self.ctx, &mut self.iter) };
        if img.is_null() {
            return Ok(None);
        }
        // SAFETY: non-null images from vpx_codec_get_frame are valid `vpx_image_t`.
        let img = unsafe { &*img };
        if img.fmt != sys::vpx_img_fmt::VPX_IMG_FMT_I420 || img.bit_depth != 8 {
            return Err(VpxError::UnsupportedFormat(img.fmt as u32));
        }
        let (width, height) = (img.d_w, img.d_h);
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(VpxError::Size { width, height });
        }
        let mut planes: [(&[u8], usize); 3] = [(&[], 0); 3];
        for (i, plane) in planes.iter_mut().enumerate() {
            let (w, h) = plane_size(width, height, i);
            let stride = img.stride[i];
            if stride < w as c_int || img.planes[i].is_null() {
                return Err(VpxError::Codec(format!(
                    "decoded plane {i} with stride {stride} for width {w}"
                )));
            }
            let stride = stride as usize;
            let len = stride * (h - 1) + w;
            // SAFETY: an I420 image of d_w x d_h from libvpx has plane `i` of at least `h`
            // rows of `w` bytes at `stride` bytes apart, starting at `planes[i]`; the
            // memory belongs to the context and is not written until the next decode.
            *plane = (
                unsafe { std::slice::from_raw_parts(img.planes[i], len) },
                stride,
            );
        }
        Planes::new(width, height, planes[0], planes[1], planes[2]).map(Some)
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` (a failed init returns before a
        // `Decoder` exists) and is destroyed once, here.
        unsafe { sys::vpx_codec_destroy(&mut *self.ctx) };
    }
}
