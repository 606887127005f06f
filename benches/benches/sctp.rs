//! SCTP wire format: parse and write of a packet with one 1,200-byte DATA chunk, and of a
//! packet with a SACK of 4 gap ack blocks. In the same run, for each case:
//!
//! - `rtcweb`: this project's `rtcweb-sctp` (parse verifies the CRC32c and walks every
//!   chunk; write pads, and computes the CRC32c);
//! - `ceiling`: the work no implementation can skip on the same bytes: the CRC32c alone for
//!   parse, a copy of the packet plus its CRC32c for write.
//!
//! sctp-proto's `Packet::unmarshal`/`marshal` would be the other stack here, but its packet
//! and chunk types are crate-private (0.10), so it cannot be measured at this level.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_sctp::wire::{
    Chunk, CommonHeader, Data, GapBlock, List, Packet, PacketWriter, Sack, crc32c,
};

const HEADER: CommonHeader = CommonHeader {
    source_port: 5000,
    destination_port: 5000,
    verification_tag: 0x1234_5678,
};
const GAPS: [GapBlock; 4] = [
    GapBlock { start: 2, end: 3 },
    GapBlock { start: 5, end: 9 },
    GapBlock { start: 12, end: 12 },
    GapBlock { start: 20, end: 31 },
];

fn data(payload: &[u8]) -> Chunk<'_> {
    Chunk::Data(Data {
        tsn: 1000,
        stream_id: 1,
        ssn: 7,
        ppid: 53,
        beginning: true,
        ending: true,
        payload,
        ..Data::default()
    })
}

fn sack() -> Chunk<'static> {
    Chunk::Sack(Sack {
        cumulative_tsn_ack: 1000,
        a_rwnd: 5 << 20,
        gap_blocks: List::new(&GAPS),
        duplicate_tsns: List::default(),
    })
}

fn packet(chunk: &Chunk<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = PacketWriter::new_in_vec(&mut out, HEADER, 1500).unwrap();
    w.push(chunk).unwrap();
    w.finish();
    out
}

/// Parses a packet and touches every field a receiver would.
fn parse(bytes: &[u8]) -> u64 {
    let p = Packet::parse(bytes).unwrap();
    let mut sum = 0u64;
    for c in p.chunks() {
        match c.unwrap() {
            Chunk::Data(d) => sum += u64::from(d.tsn) + d.payload.len() as u64,
            Chunk::Sack(s) => {
                sum += u64::from(s.cumulative_tsn_ack);
                for g in s.gap_blocks.iter() {
                    sum += u64::from(g.end - g.start);
                }
            }
            _ => {}
        }
    }
    sum
}

const PAYLOAD: [u8; 1200] = [0x5a; 1200];

fn cases() -> [(&'static str, Chunk<'static>); 2] {
    [("data_1200", data(&PAYLOAD)), ("sack_4_gaps", sack())]
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("sctp_parse");
    for (name, chunk) in cases() {
        let bytes = packet(&chunk);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("rtcweb", name), &bytes, |b, bytes| {
            b.iter(|| black_box(parse(black_box(bytes))))
        });
        g.bench_with_input(BenchmarkId::new("ceiling", name), &bytes, |b, bytes| {
            b.iter(|| black_box(crc32c(black_box(bytes))))
        });
    }
    g.finish();
}

fn bench_write(c: &mut Criterion) {
    let mut g = c.benchmark_group("sctp_write");
    for (name, chunk) in cases() {
        let bytes = packet(&chunk);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut buf = [0u8; 1500];
        g.bench_with_input(BenchmarkId::new("rtcweb", name), &chunk, |b, chunk| {
            b.iter(|| {
                let mut w = PacketWriter::new(&mut buf, HEADER, 1500).unwrap();
                w.push(black_box(chunk)).unwrap();
                black_box(w.finish())
            })
        });
        let mut out = [0u8; 1500];
        g.bench_with_input(BenchmarkId::new("ceiling", name), &bytes, |b, bytes| {
            b.iter(|| {
                out[..bytes.len()].copy_from_slice(black_box(bytes));
                black_box(crc32c(&out[..bytes.len()]))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_parse, bench_write);
criterion_main!(benches);
