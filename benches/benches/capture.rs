//! rtcweb-capture, each next to its floor measured in the same run:
//!
//! - conversion of one 1280x720 camera frame to I420 (`FrameConverter::convert`, which
//!   checks sizes and allocates the picture), against the converter crate called directly
//!   into a reused picture: YUYV against `yuvutils_rs::yuyv422_to_yuv420`; MJPEG (a UVC-style
//!   frame without Huffman tables) against `jpeg_decoder` plus `yuvutils_rs::rgb_to_yuv420`
//!   on the same frame with the tables' marker already in place; NV12 (no converter crate
//!   has NV12 to I420) against copying the frame's bytes once;
//! - capture-to-encoder latency with the synthetic camera (640x480 at 60 frames/s): from a
//!   frame's capture time to the frame coming out of the camera's queue and then out of
//!   rtcweb-media's VP8 `VideoEncoder`; the floor is encoding the same kind of picture alone.
//!   The queue's share (capture to dequeue) is printed at the end.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points
#![allow(clippy::disallowed_methods)] // a latency benchmark reads the clock

#[path = "../../crates/capture/tests/samples/mod.rs"]
mod samples;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use rtcweb_capture::{
    FrameConverter, FrameRate, PixelFormat, RawFrame, StreamEvent, VideoCapture, VideoSettings,
    synthetic_camera,
};
use rtcweb_media::video::{I420Frame, TestPattern, VideoEncoder, VideoEncoderConfig};
use rtcweb_media::{RawVideoFrame, VideoCodec};
use yuvutils_rs::{
    BufferStoreMut, YuvConversionMode, YuvPackedImage, YuvPlanarImageMut, YuvRange,
    YuvStandardMatrix,
};

const W: u32 = 1280;
const H: u32 = 720;

fn target(picture: &mut I420Frame) -> YuvPlanarImageMut<'_, u8> {
    let (width, height, cw) = (picture.width(), picture.height(), picture.chroma_width());
    let (y, u, v) = picture.planes_mut();
    YuvPlanarImageMut {
        y_plane: BufferStoreMut::Borrowed(y),
        y_stride: width,
        u_plane: BufferStoreMut::Borrowed(u),
        u_stride: cw,
        v_plane: BufferStoreMut::Borrowed(v),
        v_stride: cw,
        width,
        height,
    }
}

fn raw(format: PixelFormat, data: &[u8]) -> RawFrame<'_> {
    RawFrame {
        format,
        width: W,
        height: H,
        stride: 0,
        data,
    }
}

fn conversion(c: &mut Criterion) {
    let pattern = samples::pattern(W, H);
    let yuyv = samples::yuyv(&pattern);
    let nv12 = samples::nv12(&pattern);
    let mjpeg = samples::mjpeg_without_dht(&pattern);
    // The floor's MJPEG input: the same frame with the AVI1 marker the converter inserts.
    let mut mjpeg_avi1 = mjpeg[..2].to_vec();
    mjpeg_avi1.extend_from_slice(b"\xFF\xE0\x00\x07AVI1\0");
    mjpeg_avi1.extend_from_slice(&mjpeg[2..]);

    let mut g = c.benchmark_group("capture_convert_1280x720");
    g.throughput(Throughput::Elements(1));
    let mut out = I420Frame::black(W, H).unwrap();
    let mut converter = FrameConverter::new();

    g.bench_function("yuyv/floor_yuvutils", |b| {
        b.iter(|| {
            let packed = YuvPackedImage {
                yuy: black_box(&yuyv[..]),
                yuy_stride: W * 2,
                width: W,
                height: H,
            };
            yuvutils_rs::yuyv422_to_yuv420(&mut target(&mut out), &packed).unwrap();
        })
    });
    g.bench_function("yuyv/rtcweb_capture", |b| {
        b.iter(|| {
            black_box(
                converter
                    .convert(&raw(PixelFormat::Yuyv, black_box(&yuyv)))
                    .unwrap(),
            )
        })
    });
    g.bench_function("nv12/floor_copy_bytes", |b| {
        let mut copy = vec![0u8; nv12.len()];
        b.iter(|| {
            copy.copy_from_slice(black_box(&nv12));
            black_box(&copy);
        })
    });
    g.bench_function("nv12/rtcweb_capture", |b| {
        b.iter(|| {
            black_box(
                converter
                    .convert(&raw(PixelFormat::Nv12, black_box(&nv12)))
                    .unwrap(),
            )
        })
    });
    g.bench_function("mjpeg/floor_jpeg_decoder_yuvutils", |b| {
        b.iter(|| {
            let mut decoder = jpeg_decoder::Decoder::new(black_box(&mjpeg_avi1[..]));
            let rgb = decoder.decode().unwrap();
            yuvutils_rs::rgb_to_yuv420(
                &mut target(&mut out),
                &rgb,
                W * 3,
                YuvRange::Limited,
                YuvStandardMatrix::Bt601,
                YuvConversionMode::Balanced,
            )
            .unwrap();
        })
    });
    g.bench_function("mjpeg/rtcweb_capture", |b| {
        b.iter(|| {
            black_box(
                converter
                    .convert(&raw(PixelFormat::Mjpeg, black_box(&mjpeg)))
                    .unwrap(),
            )
        })
    });
    g.finish();
}

fn latency(c: &mut Criterion) {
    let (w, h) = (640, 480);
    let config = VideoEncoderConfig::new(VideoCodec::Vp8, w, h);
    let mut g = c.benchmark_group("capture_to_encoder_640x480");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);

    let mut encoder = VideoEncoder::new(config).unwrap();
    let mut pattern = TestPattern::new(w, h).unwrap();
    g.bench_function("floor_vp8_encode_alone", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for n in 0..iters {
                let frame = RawVideoFrame {
                    picture: pattern.next_frame(n),
                    rtp_timestamp: (n as u32).wrapping_mul(1500),
                    capture_time: None,
                };
                let started = Instant::now();
                encoder.handle_frame(&frame, false).unwrap();
                black_box(encoder.poll_frame().unwrap());
                total += started.elapsed();
            }
            total
        })
    });

    let settings = VideoSettings {
        format: PixelFormat::I420,
        width: w,
        height: h,
        frame_rate: FrameRate::per_second(60),
    };
    let camera = VideoCapture::open(&synthetic_camera(), settings).unwrap();
    let mut encoder = VideoEncoder::new(config).unwrap();
    let (mut queue_total, mut frames) = (Duration::ZERO, 0u32);
    g.bench_function("synthetic_camera_to_vp8_encoded", |b| {
        b.iter_custom(|iters| {
            // Frames that waited while criterion analysed are stale: a consumer that was
            // away takes the next one.
            while let Some(StreamEvent::Frame(_)) = camera.try_recv() {}
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let frame = match camera.recv_timeout(Duration::from_secs(1)) {
                    Some(StreamEvent::Frame(frame)) => frame,
                    other => panic!("{other:?}"),
                };
                queue_total += frame.capture_time.elapsed();
                frames += 1;
                let raw = RawVideoFrame {
                    rtp_timestamp: (frame.sequence as u32).wrapping_mul(1500),
                    capture_time: Some(frame.capture_time),
                    picture: frame.picture,
                };
                encoder.handle_frame(&raw, false).unwrap();
                black_box(encoder.poll_frame().unwrap());
                total += frame.capture_time.elapsed();
            }
            total
        })
    });
    g.finish();
    let stats = camera.stats();
    camera.close();
    println!(
        "capture to dequeue (the queue's share): mean {:.1} µs over {frames} frames; \
         frames dropped by the queue: {} of {}",
        queue_total.as_secs_f64() * 1e6 / f64::from(frames.max(1)),
        stats.frames_dropped,
        stats.frames_pushed
    );
}

criterion_group!(benches, conversion, latency);
criterion_main!(benches);
