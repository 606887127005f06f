//! Camera pixel formats to I420, the format the encoders take.
//!
//! YUYV goes through `yuvutils-rs` (packed-to-planar); MJPEG is decoded to RGB by
//! `jpeg-decoder` and converted to limited-range BT.601 I420 by `yuvutils-rs` (a camera's
//! JPEG is full-range JFIF, the encoders want the limited range cameras give
//! uncompressed). NV12 already is 4:2:0: its luma is copied and its interleaved chroma
//! plane split, which no converter crate here offers on its own (yuvutils-rs converts NV12
//! only to RGB).
//!
//! Every size and length is checked before a converter sees it: a short buffer, an odd
//! size where the format needs an even one, a corrupt JPEG or one whose size differs from
//! the mode is a [`CaptureError::BadFrame`], never a panic.

use rtcweb_media::I420Frame;
use rtcweb_media::video::MAX_SIDE;
use yuvutils_rs::{
    BufferStoreMut, YuvConversionMode, YuvPackedImage, YuvPlanarImageMut, YuvRange,
    YuvStandardMatrix,
};

use crate::device::PixelFormat;
use crate::error::CaptureError;

/// One frame as a device delivers it, before conversion.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    /// Its pixel format.
    pub format: PixelFormat,
    /// Width in pixels (the mode's; an MJPEG picture must have this size).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per row of the first plane (V4L2 `bytesperline`), 0 for tightly packed; the
    /// chroma planes of I420 and NV12 follow with the stride their layout implies. Ignored
    /// for MJPEG.
    pub stride: u32,
    /// The bytes.
    pub data: &'a [u8],
}

/// Converts frames to I420.
#[derive(Debug, Default)]
pub struct FrameConverter {
    _private: (),
}

fn bad(message: impl Into<String>) -> CaptureError {
    CaptureError::BadFrame(message.into())
}

impl FrameConverter {
    /// A converter.
    pub fn new() -> Self {
        Self::default()
    }

    /// `raw` as an I420 picture of its size.
    pub fn convert(&mut self, raw: &RawFrame<'_>) -> Result<I420Frame, CaptureError> {
        let mut picture = zeroed(raw.width, raw.height).ok_or_else(|| {
            bad(format!(
                "frame size {}x{} out of range",
                raw.width, raw.height
            ))
        })?;
        match raw.format {
            PixelFormat::I420 => i420_copy(raw, &mut picture)?,
            PixelFormat::Yuyv => yuyv_to_i420(raw, &mut picture)?,
            PixelFormat::Nv12 => nv12_to_i420(raw, &mut picture)?,
            PixelFormat::Mjpeg => self.mjpeg_to_i420(raw, &mut picture)?,
        }
        Ok(picture)
    }

    fn mjpeg_to_i420(
        &self,
        raw: &RawFrame<'_>,
        picture: &mut I420Frame,
    ) -> Result<(), CaptureError> {
        let patched;
        let data = match mjpeg_with_default_tables(raw.data)? {
            Some(with) => {
                patched = with;
                &patched[..]
            }
            None => raw.data,
        };
        let (w, h) = (raw.width as usize, raw.height as usize);
        let mut decoder = jpeg_decoder::Decoder::new(data);
        // The limit (the picture and its MCU padding) stops a header claiming a huge picture
        // before anything is allocated.
        decoder.set_max_decoding_buffer_size((w + 16) * (h + 16) * 3);
        decoder
            .read_info()
            .map_err(|e| bad(format!("MJPEG header: {e}")))?;
        let info = decoder
            .info()
            .ok_or_else(|| bad("MJPEG header without a frame"))?;
        let size = (usize::from(info.width), usize::from(info.height));
        if size != (w, h) {
            return Err(bad(format!(
                "MJPEG picture of {}x{}, the mode is {w}x{h}",
                size.0, size.1
            )));
        }
        if info.pixel_format != jpeg_decoder::PixelFormat::RGB24 {
            return Err(bad(format!("MJPEG of {:?} pixels", info.pixel_format)));
        }
        let rgb = decoder
            .decode()
            .map_err(|e| bad(format!("MJPEG data: {e}")))?;
        if rgb.len() < w * h * 3 {
            return Err(bad("MJPEG decoded short"));
        }
        let mut target = planar_target(picture);
        yuvutils_rs::rgb_to_yuv420(
            &mut target,
            &rgb,
            raw.width * 3,
            YuvRange::Limited,
            YuvStandardMatrix::Bt601,
            YuvConversionMode::Balanced,
        )
        .map_err(|e| bad(format!("RGB to I420: {e}")))
    }
}

/// A picture of zeros (the allocator hands out zeroed pages without a pass over them, which
/// `I420Frame::black` makes); `None` for a size out of range.
fn zeroed(width: u32, height: u32) -> Option<I420Frame> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return None;
    }
    let (w, h) = (width as usize, height as usize);
    let len = w * h + 2 * w.div_ceil(2) * h.div_ceil(2);
    I420Frame::from_bytes(width, height, vec![0; len]).ok()
}

/// `raw` as an I420 picture.
pub fn to_i420(raw: &RawFrame<'_>) -> Result<I420Frame, CaptureError> {
    FrameConverter::new().convert(raw)
}

/// The picture's planes as a `yuvutils-rs` target.
fn planar_target(picture: &mut I420Frame) -> YuvPlanarImageMut<'_, u8> {
    let (width, height) = (picture.width(), picture.height());
    let chroma_width = picture.chroma_width();
    let (y, u, v) = picture.planes_mut();
    YuvPlanarImageMut {
        y_plane: BufferStoreMut::Borrowed(y),
        y_stride: width,
        u_plane: BufferStoreMut::Borrowed(u),
        u_stride: chroma_width,
        v_plane: BufferStoreMut::Borrowed(v),
        v_stride: chroma_width,
        width,
        height,
    }
}

/// The stride of the first plane: the one given, or `packed` for 0; an error when it is
/// shorter than a row.
fn stride(raw: &RawFrame<'_>, packed: usize) -> Result<usize, CaptureError> {
    match raw.stride as usize {
        0 => Ok(packed),
        s if s < packed => Err(bad(format!("stride {s} below the row's {packed} bytes"))),
        s => Ok(s),
    }
}

/// Checks that `data` holds `rows` rows of `row` bytes at `stride` (the last row needs no
/// padding).
fn check_len(data: &[u8], stride: usize, row: usize, rows: usize) -> Result<(), CaptureError> {
    let needed = stride * (rows - 1) + row;
    if data.len() < needed {
        return Err(bad(format!("{} bytes, {needed} needed", data.len())));
    }
    Ok(())
}

fn even_size(raw: &RawFrame<'_>) -> Result<(), CaptureError> {
    if raw.width % 2 != 0 || raw.height % 2 != 0 {
        return Err(bad(format!(
            "{:?} needs an even size, not {}x{}",
            raw.format, raw.width, raw.height
        )));
    }
    Ok(())
}

fn yuyv_to_i420(raw: &RawFrame<'_>, picture: &mut I420Frame) -> Result<(), CaptureError> {
    even_size(raw)?;
    let row = raw.width as usize * 2;
    let stride = stride(raw, row)?;
    check_len(raw.data, stride, row, raw.height as usize)?;
    let packed = YuvPackedImage {
        yuy: raw.data,
        yuy_stride: stride as u32,
        width: raw.width,
        height: raw.height,
    };
    let mut target = planar_target(picture);
    yuvutils_rs::yuyv422_to_yuv420(&mut target, &packed).map_err(|e| bad(format!("YUYV: {e}")))
}

fn nv12_to_i420(raw: &RawFrame<'_>, picture: &mut I420Frame) -> Result<(), CaptureError> {
    even_size(raw)?;
    let (w, h) = (raw.width as usize, raw.height as usize);
    let stride = stride(raw, w)?;
    // The UV plane follows the Y plane at the same stride (V4L2 single-plane NV12).
    let uv_start = stride * h;
    check_len(raw.data, stride, w, h)?;
    let uv = raw.data.get(uv_start..).unwrap_or_default();
    check_len(uv, stride, w, h / 2)?;
    let (y_out, u_out, v_out) = picture.planes_mut();
    for (row, out) in y_out.chunks_exact_mut(w).enumerate() {
        out.copy_from_slice(&raw.data[row * stride..row * stride + w]);
    }
    let cw = w / 2;
    for row in 0..h / 2 {
        let pairs = uv[row * stride..row * stride + w].chunks_exact(2);
        let u = &mut u_out[row * cw..(row + 1) * cw];
        let v = &mut v_out[row * cw..(row + 1) * cw];
        for ((pair, u), v) in pairs.zip(u).zip(v) {
            *u = pair[0];
            *v = pair[1];
        }
    }
    Ok(())
}

fn i420_copy(raw: &RawFrame<'_>, picture: &mut I420Frame) -> Result<(), CaptureError> {
    let (w, h) = (raw.width as usize, raw.height as usize);
    let stride = stride(raw, w)?;
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    // V4L2's single-plane YU12: chroma rows have half the luma stride.
    let cstride = stride.div_ceil(2);
    let y_len = stride * h;
    let c_len = cstride * ch;
    let needed = y_len + cstride * (ch - 1) + cw + c_len;
    if raw.data.len() < needed {
        return Err(bad(format!("{} bytes, {needed} needed", raw.data.len())));
    }
    let (y_out, u_out, v_out) = picture.planes_mut();
    for (out, start, pstride, pw) in [
        (y_out, 0, stride, w),
        (u_out, y_len, cstride, cw),
        (v_out, y_len + c_len, cstride, cw),
    ] {
        for (row, out) in out.chunks_exact_mut(pw).enumerate() {
            let at = start + row * pstride;
            out.copy_from_slice(&raw.data[at..at + pw]);
        }
    }
    Ok(())
}

/// JPEG markers (ITU-T T.81 Table B.1).
const SOI: u8 = 0xD8;
const SOS: u8 = 0xDA;
const DHT: u8 = 0xC4;
const APP0: u8 = 0xE0;

/// USB cameras' MJPEG frames often carry no Huffman tables (DHT): the AVI Motion-JPEG
/// format (and the UVC payload that follows it) says the standard tables of T.81 Annex K.3
/// apply. Decoders take them when the frame says it is Motion JPEG with an `AVI1` APP0
/// segment, which UVC cameras do not always send; like libjpeg-turbo and FFmpeg, which use
/// the standard tables whenever DHT is missing, a frame with no DHT before its first scan
/// gets that APP0 segment inserted after SOI. `None` when the frame needs nothing.
pub(crate) fn mjpeg_with_default_tables(data: &[u8]) -> Result<Option<Vec<u8>>, CaptureError> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != SOI {
        return Err(bad("MJPEG frame does not start with SOI"));
    }
    let mut at = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker (T.81 §B.1.1.2).
        while data.get(at) == Some(&0xFF) && data.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (data.get(at), data.get(at + 1)) else {
            return Err(bad("MJPEG frame ends before its first scan"));
        };
        if marker == SOS {
            break;
        }
        if marker == DHT {
            return Ok(None);
        }
        let Some(len) = data.get(at + 2..at + 4) else {
            return Err(bad("MJPEG segment cut short"));
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if marker == APP0 && data.get(at + 4..at + 9) == Some(b"AVI1\0") {
            // Already Motion JPEG: the decoder takes the standard tables itself.
            return Ok(None);
        }
        if len < 2 {
            return Err(bad("MJPEG segment of a length below 2"));
        }
        at += 2 + len;
    }
    let mut patched = Vec::with_capacity(data.len() + 9);
    patched.extend_from_slice(&data[..2]);
    patched.extend_from_slice(&[0xFF, APP0, 0x00, 0x07]);
    patched.extend_from_slice(b"AVI1\0");
    patched.extend_from_slice(&data[2..]);
    Ok(Some(patched))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(format: PixelFormat, width: u32, height: u32, data: &[u8]) -> RawFrame<'_> {
        RawFrame {
            format,
            width,
            height,
            stride: 0,
            data,
        }
    }

    #[test]
    fn yuyv_splits_luma_and_takes_the_chroma_of_the_upper_row() {
        // 2x2: row 0 Y=10,20 U=100 V=200; row 1 Y=30,40 U=110 V=210. yuvutils-rs keeps the
        // upper row's chroma of each pair (libyuv would average them).
        let data = [10, 100, 20, 200, 30, 110, 40, 210];
        let p = to_i420(&raw(PixelFormat::Yuyv, 2, 2, &data)).unwrap();
        assert_eq!(p.y(), &[10, 20, 30, 40]);
        assert_eq!((p.u()[0], p.v()[0]), (100, 200));
    }

    #[test]
    fn every_pixel_of_every_row_width_comes_through() {
        // yuvutils-rs 0.8.3 with its SIMD features lost each row's last 16 pixels.
        for w in (2..=96).step_by(2).chain([160, 640, 1280]) {
            let h = 4u32;
            let luma = |x: u32, y: u32| ((x * 7 + y * 3) % 200) as u8 + 20;
            let mut data = Vec::new();
            for y in 0..h {
                for x in 0..w {
                    data.extend_from_slice(&[luma(x, y), 100 + (x % 2) as u8 * 50]);
                }
            }
            let p = to_i420(&raw(PixelFormat::Yuyv, w, h, &data)).unwrap();
            for y in 0..h {
                for x in 0..w {
                    assert_eq!(p.y()[(y * w + x) as usize], luma(x, y), "{w}: {x},{y}");
                }
            }
            assert!(p.u().iter().all(|&u| u == 100), "{w}");
            assert!(p.v().iter().all(|&v| v == 150), "{w}");
        }
    }

    #[test]
    fn nv12_with_a_padded_stride_deinterleaves_chroma() {
        // 2x2 at a stride of 4: Y rows, then one UV row.
        let data = [1, 2, 0, 0, 3, 4, 0, 0, 50, 60, 0, 0];
        let mut frame = raw(PixelFormat::Nv12, 2, 2, &data);
        frame.stride = 4;
        let p = to_i420(&frame).unwrap();
        assert_eq!(
            (p.y(), p.u(), p.v()),
            (&[1, 2, 3, 4][..], &[50][..], &[60][..])
        );
    }

    #[test]
    fn i420_is_copied_row_by_row() {
        let data: Vec<u8> = (0..6).collect();
        let p = to_i420(&raw(PixelFormat::I420, 2, 2, &data)).unwrap();
        assert_eq!(p.as_bytes(), &data[..]);
    }

    #[test]
    fn bad_sizes_and_short_buffers_are_bad_frames() {
        let cases: [(PixelFormat, u32, u32, usize); 6] = [
            (PixelFormat::Yuyv, 3, 2, 100),
            (PixelFormat::Yuyv, 4, 4, 31),
            (PixelFormat::Nv12, 4, 3, 100),
            (PixelFormat::Nv12, 4, 4, 23),
            (PixelFormat::I420, 4, 4, 23),
            (PixelFormat::Mjpeg, 4, 4, 3),
        ];
        for (format, w, h, len) in cases {
            let data = vec![0u8; len];
            assert!(
                matches!(
                    to_i420(&raw(format, w, h, &data)),
                    Err(CaptureError::BadFrame(_))
                ),
                "{format:?} {w}x{h} {len}"
            );
        }
        assert!(matches!(
            to_i420(&raw(PixelFormat::Yuyv, 0, 2, &[])),
            Err(CaptureError::BadFrame(_))
        ));
        let mut short_stride = raw(PixelFormat::Yuyv, 4, 2, &[0; 64]);
        short_stride.stride = 6;
        assert!(to_i420(&short_stride).is_err());
    }

    #[test]
    fn mjpeg_without_dht_gets_the_avi1_segment_once() {
        // SOI, a DQT-like segment, SOS.
        let frame = [0xFF, SOI, 0xFF, 0xDB, 0x00, 0x02, 0xFF, SOS, 0, 2];
        let patched = mjpeg_with_default_tables(&frame).unwrap().unwrap();
        assert_eq!(&patched[2..11], b"\xFF\xE0\x00\x07AVI1\0");
        assert_eq!(mjpeg_with_default_tables(&patched).unwrap(), None);
        let with_dht = [0xFF, SOI, 0xFF, DHT, 0x00, 0x02, 0xFF, SOS, 0, 2];
        assert_eq!(mjpeg_with_default_tables(&with_dht).unwrap(), None);
        assert!(mjpeg_with_default_tables(&[0xFF, SOI, 0xFF, 0xDB, 0x00]).is_err());
        assert!(mjpeg_with_default_tables(&[0xFF, SOI, 0xFF, 0xDB, 0x00, 0x01, 0xFF]).is_err());
    }
}
