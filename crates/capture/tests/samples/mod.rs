//! Camera frames made from rtcweb-media's test pattern, as a camera would send them: YUYV,
//! NV12, and MJPEG without Huffman tables (as many USB cameras send it). Shared by the
//! conversion tests (which committed the 160x120 frames in `tests/data/`) and the capture
//! benchmark (`#[path]`-included there).
#![allow(dead_code)] // each includer uses part of it

use rtcweb_media::I420Frame;
use rtcweb_media::video::TestPattern;
use yuvutils_rs::{BufferStoreMut, YuvPackedImageMut, YuvPlanarImage, YuvRange, YuvStandardMatrix};

/// Frame number and capture time in the sample frames' bar code.
pub(crate) const FRAME_NUMBER: u32 = 7;
/// Capture time in the bar code, microseconds.
pub(crate) const CAPTURE_MICROS: u64 = 123_456_789;

/// The pattern picture the samples are made from: frame 7 of a `width`x`height` pattern.
pub(crate) fn pattern(width: u32, height: u32) -> I420Frame {
    let mut pattern = TestPattern::new(width, height).expect("pattern size");
    for n in 0..FRAME_NUMBER {
        pattern.next_frame(u64::from(n));
    }
    pattern.next_frame(CAPTURE_MICROS)
}

fn planes(picture: &I420Frame) -> YuvPlanarImage<'_, u8> {
    YuvPlanarImage {
        y_plane: picture.y(),
        y_stride: picture.width(),
        u_plane: picture.u(),
        u_stride: picture.chroma_width(),
        v_plane: picture.v(),
        v_stride: picture.chroma_width(),
        width: picture.width(),
        height: picture.height(),
    }
}

/// The picture as packed YUYV (each chroma row used for two luma rows).
pub(crate) fn yuyv(picture: &I420Frame) -> Vec<u8> {
    let mut out = vec![0u8; picture.width() as usize * picture.height() as usize * 2];
    let mut packed = YuvPackedImageMut {
        yuy: BufferStoreMut::Borrowed(&mut out),
        yuy_stride: picture.width() * 2,
        width: picture.width(),
        height: picture.height(),
    };
    yuvutils_rs::yuv420_to_yuyv422(&mut packed, &planes(picture)).expect("I420 to YUYV");
    out
}

/// The picture as NV12 (the Y plane, then U and V interleaved).
pub(crate) fn nv12(picture: &I420Frame) -> Vec<u8> {
    let mut out = picture.y().to_vec();
    for (u, v) in picture.u().iter().zip(picture.v()) {
        out.extend_from_slice(&[*u, *v]);
    }
    out
}

/// The picture as a baseline 4:2:0 JFIF JPEG at quality 90 with the standard Huffman
/// tables, then with its DHT segments removed, as a UVC camera sends MJPEG.
pub(crate) fn mjpeg_without_dht(picture: &I420Frame) -> Vec<u8> {
    let (w, h) = (picture.width(), picture.height());
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    yuvutils_rs::yuv420_to_rgb(
        &planes(picture),
        &mut rgb,
        w * 3,
        YuvRange::Limited,
        YuvStandardMatrix::Bt601,
    )
    .expect("I420 to RGB");
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 90);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("JPEG encoding");
    strip_dht(&jpeg)
}

/// The JPEG without its DHT segments (everything before the first scan is a segment with a
/// length; the entropy-coded data after SOS is kept whole).
pub(crate) fn strip_dht(jpeg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut at = 2;
    while jpeg[at + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if jpeg[at + 1] != 0xC4 {
            out.extend_from_slice(&jpeg[at..at + 2 + len]);
        }
        at += 2 + len;
    }
    out.extend_from_slice(&jpeg[at..]);
    out
}

/// Luma PSNR of `b` against `a`, dB (infinite when equal).
pub(crate) fn luma_psnr(a: &I420Frame, b: &I420Frame) -> f64 {
    let se: f64 = a
        .y()
        .iter()
        .zip(b.y())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = se / a.y().len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}
