//! rtcweb-media, per packet or frame, each next to a baseline measured in the same run:
//!
//! - jitter buffer insert + pop of one 20 ms Opus packet (a steady stream with every fifth
//!   pair swapped), against the floor any buffer pays: copying the payload into a
//!   `VecDeque` and out again;
//! - video frame buffer per packet (VP8, three packets per frame, in order) against the
//!   VP8 depacketizer alone fed the same packets;
//! - Opus encode and decode of one 20 ms frame (mono, 32 kbit/s, a 440 Hz tone): the
//!   real-time factor is 20 ms divided by the time per frame;
//! - the test pattern at 640x480: drawing a frame (into a reused picture) and reading its
//!   code back, against the floor of touching every byte once: copying the picture;
//! - the video render queue per frame (in, due, out at 30 frames/s), against pushing the
//!   same payload through a `VecDeque`.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_media::video::{
    Fill, I420Frame, TestPattern, VideoPlayout, VideoPlayoutConfig, read_code,
};
use rtcweb_media::{
    AudioSource, JitterBuffer, JitterConfig, MAX_PACKET, OpusConfig, OpusDecoder, OpusEncoder,
    Playout, ToneSource, VideoBufferConfig, VideoCodec, VideoEvent, VideoFrameBuffer,
};
use rtcweb_rtp::payload::{Vp8Depacketizer, Vp8Packetizer};

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

fn jitter_buffer(c: &mut Criterion) {
    let payload = [0x5au8; 80];
    let mut g = c.benchmark_group("jitter_buffer");
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline_vecdeque_copy_in_out", |b| {
        let mut q: VecDeque<Vec<u8>> = VecDeque::with_capacity(16);
        b.iter(|| {
            q.push_back(black_box(&payload).to_vec());
            black_box(q.pop_front())
        })
    });
    g.bench_function("insert_and_pop", |b| {
        let t0 = epoch();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        let mut k: u64 = 0;
        b.iter(|| {
            // Every fifth pair arrives swapped.
            let i = if k % 10 == 4 {
                k + 1
            } else if k % 10 == 5 {
                k - 1
            } else {
                k
            };
            let now = t0 + Duration::from_millis(k * 20);
            jb.handle_packet(now, (i * 960) as u32, black_box(&payload));
            let out = jb.pop(now + Duration::from_millis(5));
            k += 1;
            black_box(matches!(out, Playout::Frame { .. }))
        })
    });
    g.finish();
}

fn video_frame_buffer(c: &mut Criterion) {
    // 300 frames of 3 packets, replayed with rising sequence numbers and timestamps.
    let mut packetizer = Vp8Packetizer::new(1100, 1);
    let frames: Vec<Vec<Vec<u8>>> = (0..300u32)
        .map(|n| {
            let mut data = vec![if n == 0 { 0x10 } else { 0x11 }];
            data.extend((0..3000u32).map(|i| (i ^ n) as u8));
            packetizer.packetize(&data)
        })
        .collect();
    let mut g = c.benchmark_group("video_frame_buffer");
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline_vp8_depacketizer_alone", |b| {
        let mut d = Vp8Depacketizer::new();
        let (mut seq, mut n) = (0u16, 0usize);
        b.iter(|| {
            let f = n / 3 % frames.len();
            let p = &frames[f][n % 3];
            let out = d.push(seq, (n / 3) as u32 * 3000, n % 3 == 2, black_box(p));
            seq = seq.wrapping_add(1);
            n += 1;
            black_box(out.ok().flatten().map(|f| f.data.len()))
        })
    });
    g.bench_function("per_packet", |b| {
        let t0 = epoch();
        let mut buffer = VideoFrameBuffer::new(VideoBufferConfig::new(VideoCodec::Vp8));
        let (mut seq, mut n) = (0u16, 0usize);
        b.iter(|| {
            let f = n / 3 % frames.len();
            // The first frame of the set is the key frame; later rounds are all deltas and
            // follow on without a gap.
            let p = &frames[f][n % 3];
            let now = t0 + Duration::from_millis((n / 3) as u64 * 33);
            buffer.handle_packet(now, seq, (n / 3) as u32 * 3000, n % 3 == 2, black_box(p));
            seq = seq.wrapping_add(1);
            n += 1;
            let mut bytes = 0;
            while let Some(e) = buffer.poll_event() {
                if let VideoEvent::Frame(f) = e {
                    bytes += f.data.len();
                }
            }
            black_box(bytes)
        })
    });
    g.finish();
}

fn opus(c: &mut Criterion) {
    let config = OpusConfig {
        bitrate: Some(32_000),
        ..OpusConfig::default()
    };
    let mut tone = ToneSource::new(440.0, 8000.0, 48_000, 1);
    let mut pcm = vec![0i16; 960];
    let mut encoder = OpusEncoder::new(config).unwrap();
    let mut out = [0u8; MAX_PACKET];
    // A second of packets to decode.
    let packets: Vec<Vec<u8>> = (0..50)
        .map(|_| {
            tone.fill(&mut pcm);
            let n = encoder.encode(&pcm, &mut out).unwrap();
            out[..n].to_vec()
        })
        .collect();
    let mut g = c.benchmark_group("opus_20ms_frame");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode", |b| {
        b.iter(|| {
            tone.fill(&mut pcm);
            black_box(encoder.encode(black_box(&pcm), &mut out).unwrap())
        })
    });
    let mut decoder = OpusDecoder::new(false).unwrap();
    let mut decoded = vec![0i16; decoder.max_output_len()];
    let mut i = 0;
    g.bench_function("decode", |b| {
        b.iter(|| {
            i = (i + 1) % packets.len();
            black_box(
                decoder
                    .decode(black_box(&packets[i]), &mut decoded)
                    .unwrap(),
            )
        })
    });
    g.bench_function("conceal", |b| {
        b.iter(|| black_box(decoder.conceal(None, &mut decoded).unwrap()))
    });
    g.finish();
}

fn test_pattern(c: &mut Criterion) {
    let mut pattern = TestPattern::new(640, 480).unwrap();
    let mut picture = I420Frame::black(640, 480).unwrap();
    let bytes = picture.as_bytes().len();
    let mut g = c.benchmark_group("test_pattern_640x480");
    g.throughput(Throughput::Bytes(bytes as u64));
    let mut micros = 0u64;
    g.bench_function("draw", |b| {
        b.iter(|| {
            micros += 33_333;
            black_box(pattern.draw(&mut picture, micros, Fill::Pattern))
        })
    });
    g.bench_function("read_code", |b| {
        b.iter(|| black_box(read_code(black_box(&picture))))
    });
    let source = picture.as_bytes().to_vec();
    let mut copy = vec![0u8; bytes];
    g.bench_function("floor_memcpy", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&source));
            black_box(&copy);
        })
    });
    g.finish();
}

fn video_playout(c: &mut Criterion) {
    let mut g = c.benchmark_group("video_playout");
    g.throughput(Throughput::Elements(1));
    let t0 = epoch();
    let frame = Duration::from_micros(33_333);
    let mut playout: VideoPlayout<u64> = VideoPlayout::new(VideoPlayoutConfig::default());
    let mut i = 0u64;
    g.bench_function("frame_in_and_out", |b| {
        b.iter(|| {
            let now = t0 + frame * (i as u32 % 1_000_000);
            if i % 1_000_000 == 0 {
                playout = VideoPlayout::new(VideoPlayoutConfig::default());
            }
            playout.handle_frame(now, (i as u32).wrapping_mul(3000), i);
            if let Some(due) = playout.poll_timeout() {
                playout.handle_timeout(due);
            }
            i += 1;
            black_box(playout.poll_frame())
        })
    });
    let mut queue: VecDeque<u64> = VecDeque::new();
    g.bench_function("floor_vecdeque", |b| {
        b.iter(|| {
            queue.push_back(black_box(i));
            i += 1;
            black_box(queue.pop_front())
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    jitter_buffer,
    video_frame_buffer,
    opus,
    test_pattern,
    video_playout
);
criterion_main!(benches);
