//! rtcweb-common: the RFC 7983 demultiplexing every datagram goes through.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_common::PacketKind;

fn common(c: &mut Criterion) {
    // A mix as on a media 5-tuple: RTP, DTLS, STUN, ChannelData, garbage.
    let datagrams: Vec<Vec<u8>> = [0x80u8, 0x17, 0x00, 0x40, 0xFF, 0x90, 0x01, 0x80]
        .iter()
        .map(|&b| {
            let mut d = vec![0u8; 100];
            d[0] = b;
            d
        })
        .collect();
    let mut g = c.benchmark_group("common");
    g.throughput(Throughput::Elements(datagrams.len() as u64));
    g.bench_function("demux_x8", |b| {
        b.iter(|| {
            datagrams
                .iter()
                .filter(|d| PacketKind::of(black_box(d)) == PacketKind::Rtp)
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, common);
criterion_main!(benches);
