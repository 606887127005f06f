//! rtcweb-rtp: RTP parse + extension lookup per packet against raw rtp-rs in the same run;
//! RTCP compound parse (SR + SDES + transport-wide CC feedback).
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_rtp::rtcp::{
    Compound, ReportBlock, Sdes, SdesChunk, SdesItem, SenderReport, TransportCc,
};
use rtcweb_rtp::{AudioLevel, RtpPacket};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/chromium")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rtp(c: &mut Criterion) {
    let opus = fixture("rtp_opus_chromium.decrypted.bin");
    let mut g = c.benchmark_group("rtp");
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline_rtp_rs_header_and_extension_block", |b| {
        b.iter(|| {
            let r = rtp_rs::RtpReader::new(black_box(&opus)).unwrap();
            black_box((r.payload().len(), r.extension().map(|(p, e)| (p, e.len()))))
        })
    });
    g.bench_function("parse_and_find_mid_and_audio_level", |b| {
        b.iter(|| {
            let p = RtpPacket::parse(black_box(&opus)).unwrap();
            let ext = p.extensions();
            let mid = ext.get(4).map(<[u8]>::len);
            let level = ext.get(1).and_then(AudioLevel::parse);
            black_box((p.payload().len(), mid, level))
        })
    });

    let mut compound = Vec::new();
    SenderReport {
        ssrc: 1,
        ntp_time: 0xe8a1_2345_6789_abcd,
        rtp_time: 960,
        packet_count: 10,
        octet_count: 1000,
        reports: vec![ReportBlock::default(); 2],
    }
    .emit(&mut compound)
    .unwrap();
    Sdes {
        chunks: vec![SdesChunk {
            ssrc: 1,
            items: vec![SdesItem {
                item_type: 1,
                text: b"0123456789abcdef".to_vec(),
            }],
        }],
    }
    .emit(&mut compound)
    .unwrap();
    TransportCc {
        sender_ssrc: 1,
        media_ssrc: 2,
        base_seq: 100,
        reference_time: 1000,
        feedback_count: 1,
        arrivals: (0..40).map(|i| (i % 9 != 0).then_some(i * 1000)).collect(),
    }
    .emit(&mut compound)
    .unwrap();
    g.throughput(Throughput::Bytes(compound.len() as u64));
    g.bench_function("rtcp_compound_sr_sdes_twcc_parse", |b| {
        b.iter(|| {
            Compound::new(black_box(&compound))
                .filter(|p| p.is_ok())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, rtp);
criterion_main!(benches);
