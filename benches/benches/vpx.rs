//! rtcweb-vpx per frame, each next to its floor measured in the same run: the same work done
//! by calling libvpx directly (`rtcweb_vpx::floor`, raw `vpx_codec_*` calls over a packed
//! buffer, no checks, no copies), so the wrapper's overhead shows.
//!
//! - encode one picture of a moving 30-frame sequence (VP8 and VP9, 640x480 and 1280x720,
//!   1 Mbit/s and 2.5 Mbit/s, real-time speed preset, one thread), the encoder running on
//!   from frame to frame;
//! - decode one frame of the same stream (a key frame, then 29 deltas, round and round).
//!
//! The real-time factor at 30 fps is 33.3 ms divided by the time per frame.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

mod video_support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use rtcweb_vpx::floor::{RawDecoder, RawEncoder};
use rtcweb_vpx::{Codec, Decoder, Encoder, EncoderConfig, Planes};

const SIZES: [(u32, u32, u32); 2] = [(640, 480, 1_000_000), (1280, 720, 2_500_000)];
const FRAMES: u32 = 30;

fn planes(data: &[u8], w: u32, h: u32) -> Planes<'_> {
    let (wu, hu) = (w as usize, h as usize);
    let c = wu.div_ceil(2) * hu.div_ceil(2);
    let (y, rest) = data.split_at(wu * hu);
    let (u, v) = rest.split_at(c);
    Planes::new(w, h, (y, wu), (u, wu.div_ceil(2)), (v, wu.div_ceil(2))).unwrap()
}

fn config(codec: Codec, w: u32, h: u32, bps: u32) -> EncoderConfig {
    EncoderConfig {
        bitrate_bps: bps,
        ..EncoderConfig::new(codec, w, h)
    }
}

fn vpx(c: &mut Criterion) {
    for (w, h, bps) in SIZES {
        let pictures = video_support::sequence(w, h, FRAMES);
        for codec in [Codec::Vp8, Codec::Vp9] {
            let name = format!("{codec:?}").to_lowercase();
            let mut g = c.benchmark_group(format!("vpx_{name}_{w}x{h}"));
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(1));
            g.bench_function("encode/floor_libvpx", |b| {
                let mut enc = RawEncoder::new(&config(codec, w, h, bps));
                let mut i = 0;
                b.iter(|| {
                    let p = &pictures[i % pictures.len()];
                    i += 1;
                    black_box(enc.encode(black_box(p), false))
                })
            });
            g.bench_function("encode/rtcweb_vpx", |b| {
                let mut enc = Encoder::new(config(codec, w, h, bps)).unwrap();
                let mut i = 0;
                b.iter(|| {
                    let p = planes(&pictures[i % pictures.len()], w, h);
                    i += 1;
                    let f = enc.encode(black_box(&p), false).unwrap().unwrap();
                    black_box((f.data.len(), f.keyframe, f.qp))
                })
            });
            // One stream for both decoders.
            let mut enc = Encoder::new(config(codec, w, h, bps)).unwrap();
            let stream: Vec<Vec<u8>> = pictures
                .iter()
                .map(|p| {
                    let f = enc.encode(&planes(p, w, h), false).unwrap().unwrap();
                    f.data.to_vec()
                })
                .collect();
            g.bench_function("decode/floor_libvpx", |b| {
                let mut dec = RawDecoder::new(codec);
                let mut i = 0;
                b.iter(|| {
                    let f = &stream[i % stream.len()];
                    i += 1;
                    black_box(dec.decode(black_box(f)))
                })
            });
            g.bench_function("decode/rtcweb_vpx", |b| {
                let mut dec = Decoder::new(codec, 1).unwrap();
                let mut i = 0;
                b.iter(|| {
                    let f = &stream[i % stream.len()];
                    i += 1;
                    dec.decode(black_box(f)).unwrap();
                    let p = dec.next_frame().unwrap().unwrap();
                    black_box((p.width(), p.y().0[0]))
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, vpx);
criterion_main!(benches);
