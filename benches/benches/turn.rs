//! rtcweb-turn: ChannelData frame and deframe, one message and 16 in a stream, against a plain
//! copy of the same bytes.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_turn::{ChannelData, StreamFramer};

fn turn(c: &mut Criterion) {
    let mut g = c.benchmark_group("turn");
    for size in [160usize, 1200] {
        let data = vec![0xA5u8; size];
        let mut buf = vec![0u8; size + 8];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("baseline_copy", size), &data, |b, data| {
            b.iter(|| {
                buf[4..4 + data.len()].copy_from_slice(black_box(data));
                black_box(&buf);
            })
        });
        g.bench_with_input(
            BenchmarkId::new("channel_data_frame", size),
            &data,
            |b, data| {
                b.iter(|| {
                    ChannelData {
                        channel: 0x4001,
                        data: black_box(data),
                    }
                    .emit(false, &mut buf)
                    .unwrap()
                })
            },
        );
        let n = ChannelData {
            channel: 0x4001,
            data: &data,
        }
        .emit(true, &mut buf)
        .unwrap();
        let framed = buf[..n].to_vec();
        g.bench_with_input(
            BenchmarkId::new("channel_data_deframe", size),
            &framed,
            |b, framed| b.iter(|| ChannelData::parse(black_box(framed)).unwrap().data.len()),
        );
        // 16 padded messages in one TCP read, cut apart by the stream framer.
        let stream: Vec<u8> = framed
            .iter()
            .copied()
            .cycle()
            .take(framed.len() * 16)
            .collect();
        let mut framer = StreamFramer::new(1 << 20);
        g.throughput(Throughput::Bytes((size * 16) as u64));
        g.bench_with_input(
            BenchmarkId::new("stream_deframe_x16", size),
            &stream,
            |b, stream| {
                b.iter(|| {
                    framer.push(black_box(stream)).unwrap();
                    let mut total = 0;
                    while let Ok(Some(rtcweb_turn::Frame::ChannelData(m))) = framer.next_frame() {
                        total += m.data.len();
                    }
                    total
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, turn);
criterion_main!(benches);
