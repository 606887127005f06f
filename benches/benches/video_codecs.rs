//! rtcweb-media's video codecs per frame (`VideoEncoder` / `VideoDecoder`: VP8, VP9, H.264
//! at 640x480 and 1280x720), each next to its floor measured in the same run: the same work
//! done by calling the codec library directly (libvpx through `rtcweb_vpx::floor`, OpenH264
//! through the `openh264` crate with the same settings), so the media layer's overhead
//! shows: wrapping the picture, copying the compressed frame into an `EncodedVideoFrame`,
//! and the decoded picture into an `I420Frame`.
//!
//! The real-time factor at 30 fps is 33.3 ms divided by the time per frame.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

mod video_support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Complexity, EncoderConfig as H264Config, FrameRate, IntraFramePeriod, Profile,
    RateControlMode, UsageType,
};
use openh264::formats::YUVSlices;
use rtcweb_media::VideoCodec;
use rtcweb_media::video::{
    I420Frame, RawVideoFrame, VideoDecoder, VideoEncoder, VideoEncoderConfig,
};
use rtcweb_vpx::floor::{RawDecoder, RawEncoder};

const SIZES: [(u32, u32, u32); 2] = [(640, 480, 1_000_000), (1280, 720, 2_500_000)];
const FRAMES: u32 = 30;

/// The floor of each codec: the library called directly.
enum Floor {
    Vpx(RawEncoder, RawDecoder),
    H264(
        Box<openh264::encoder::Encoder>,
        openh264::decoder::Decoder,
        Vec<u8>,
    ),
}

impl Floor {
    fn new(codec: VideoCodec, w: u32, h: u32, bps: u32) -> Self {
        let vpx = match codec {
            VideoCodec::Vp8 => Some(rtcweb_vpx::Codec::Vp8),
            VideoCodec::Vp9 => Some(rtcweb_vpx::Codec::Vp9),
            _ => None,
        };
        if let Some(vc) = vpx {
            let config = rtcweb_vpx::EncoderConfig {
                bitrate_bps: bps,
                ..rtcweb_vpx::EncoderConfig::new(vc, w, h)
            };
            return Self::Vpx(RawEncoder::new(&config), RawDecoder::new(vc));
        }
        // The settings rtcweb-media gives OpenH264.
        let config = H264Config::new()
            .usage_type(UsageType::CameraVideoRealTime)
            .profile(Profile::Baseline)
            .rate_control_mode(RateControlMode::Bitrate)
            .bitrate(BitRate::from_bps(bps))
            .max_frame_rate(FrameRate::from_hz(30.0))
            .skip_frames(true)
            .scene_change_detect(false)
            .intra_frame_period(IntraFramePeriod::from_num_frames(3000))
            .complexity(Complexity::Medium)
            .num_threads(1);
        let api = OpenH264API::from_source();
        let enc = openh264::encoder::Encoder::with_api_config(api, config).unwrap();
        let dec = openh264::decoder::Decoder::new().unwrap();
        Self::H264(Box::new(enc), dec, Vec::new())
    }

    /// Encodes a packed picture: the compressed size.
    fn encode(&mut self, data: &[u8], w: u32, h: u32, frame: u64) -> usize {
        match self {
            Self::Vpx(enc, _) => enc.encode(data, false).0,
            Self::H264(enc, _, out) => {
                let (w, h) = (w as usize, h as usize);
                let (y, rest) = data.split_at(w * h);
                let (u, v) = rest.split_at(w * h / 4);
                let src = YUVSlices::new((y, u, v), (w, h), (w, w / 2, w / 2));
                let ts = openh264::Timestamp::from_millis(frame * 1000 / 30);
                let bs = enc.encode_at(&src, ts).unwrap();
                out.clear();
                bs.write_vec(out);
                out.len()
            }
        }
    }

    /// Decodes a frame: its width and first luma byte.
    fn decode(&mut self, frame: &[u8]) -> Option<(u32, u8)> {
        use openh264::formats::YUVSource;
        match self {
            Self::Vpx(_, dec) => dec.decode(frame).map(|(w, _, y)| (w, y)),
            Self::H264(_, dec, _) => dec
                .decode(frame)
                .unwrap()
                .map(|yuv| (yuv.dimensions().0 as u32, yuv.y()[0])),
        }
    }
}

fn video_codecs(c: &mut Criterion) {
    for (w, h, bps) in SIZES {
        let packed = video_support::sequence(w, h, FRAMES);
        let pictures: Vec<I420Frame> = packed
            .iter()
            .map(|p| I420Frame::from_bytes(w, h, p.clone()).unwrap())
            .collect();
        for codec in [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::H264] {
            let name = format!("{codec:?}").to_lowercase();
            let mut g = c.benchmark_group(format!("video_{name}_{w}x{h}"));
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(1));
            let config = VideoEncoderConfig {
                bitrate_bps: bps,
                ..VideoEncoderConfig::new(codec, w, h)
            };
            g.bench_function("encode/floor_library", |b| {
                let mut floor = Floor::new(codec, w, h, bps);
                let mut i = 0u64;
                b.iter(|| {
                    let p = &packed[i as usize % packed.len()];
                    i += 1;
                    black_box(floor.encode(black_box(p), w, h, i))
                })
            });
            // Made before the loop, as a capturer hands them over: not timed.
            let raws: Vec<RawVideoFrame> = pictures
                .iter()
                .enumerate()
                .map(|(i, p)| RawVideoFrame {
                    picture: p.clone(),
                    rtp_timestamp: i as u32 * 3000,
                    capture_time: None,
                })
                .collect();
            g.bench_function("encode/rtcweb_media", |b| {
                let mut enc = VideoEncoder::new(config).unwrap();
                let mut i = 0;
                b.iter(|| {
                    let raw = &raws[i % raws.len()];
                    i += 1;
                    enc.handle_frame(black_box(raw), false).unwrap();
                    black_box(enc.poll_frame().unwrap().data.len())
                })
            });
            // One stream for both decoders.
            let mut enc = VideoEncoder::new(config).unwrap();
            let stream: Vec<Vec<u8>> = raws
                .iter()
                .map(|raw| {
                    enc.handle_frame(raw, false).unwrap();
                    enc.poll_frame().unwrap().data
                })
                .collect();
            g.bench_function("decode/floor_library", |b| {
                let mut floor = Floor::new(codec, w, h, bps);
                let mut i = 0;
                b.iter(|| {
                    let f = &stream[i % stream.len()];
                    i += 1;
                    black_box(floor.decode(black_box(f)))
                })
            });
            g.bench_function("decode/rtcweb_media", |b| {
                let mut dec = VideoDecoder::new(codec).unwrap();
                let mut i = 0;
                b.iter(|| {
                    let f = &stream[i % stream.len()];
                    i += 1;
                    dec.handle_frame(black_box(f), i as u32, None).unwrap();
                    let out = dec.poll_frame().unwrap();
                    black_box((out.picture.width(), out.picture.y()[0]))
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, video_codecs);
criterion_main!(benches);
