//! rtcweb-sdp: parse and write Chromium's real offer (`offer_audio_video_datachannel.sdp`)
//! against raw `sdp-types` in the same run (the untyped parser and writer underneath), then
//! the JSEP answer to it: `createAnswer` alone, and the whole answerer side from offer text to
//! answer text.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_sdp::{Config, Fingerprint, HashAlgorithm, Negotiator, SdpType, SessionDescription};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/chromium")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn negotiator() -> Negotiator {
    let mut config = Config::new(Fingerprint::new(HashAlgorithm::Sha256, vec![0xab; 32]));
    config.seed = Some(1);
    Negotiator::new(config).expect("default configuration is valid")
}

fn parse_and_write(c: &mut Criterion) {
    let text = fixture("offer_audio_video_datachannel.sdp");
    let bytes = text.as_bytes();
    let raw = sdp_types::Session::parse(bytes).expect("sdp-types parses Chromium's offer");
    let typed = SessionDescription::parse(&text).expect("we parse Chromium's offer");
    let mut g = c.benchmark_group("sdp_chromium_offer");
    g.throughput(Throughput::Bytes(bytes.len() as u64));

    g.bench_function("baseline_sdp_types_parse", |b| {
        b.iter(|| sdp_types::Session::parse(black_box(bytes)).map(|s| s.medias.len()))
    });
    g.bench_function("parse", |b| {
        b.iter(|| SessionDescription::parse_bytes(black_box(bytes)).map(|d| d.media.len()))
    });

    let mut out = Vec::with_capacity(8192);
    g.bench_function("baseline_sdp_types_write", |b| {
        b.iter(|| {
            out.clear();
            black_box(&raw).write(&mut out).expect("writing to a Vec");
            out.len()
        })
    });
    g.bench_function("write", |b| {
        b.iter(|| {
            out.clear();
            black_box(&typed).write_to(&mut out);
            out.len()
        })
    });

    g.bench_function("baseline_sdp_types_parse_and_write", |b| {
        b.iter(|| {
            let s = sdp_types::Session::parse(black_box(bytes)).expect("parses");
            out.clear();
            s.write(&mut out).expect("writing to a Vec");
            out.len()
        })
    });
    g.bench_function("parse_and_write", |b| {
        b.iter(|| {
            let d = SessionDescription::parse_bytes(black_box(bytes)).expect("parses");
            out.clear();
            d.write_to(&mut out);
            out.len()
        })
    });
    g.finish();
}

fn answer(c: &mut Criterion) {
    let text = fixture("offer_audio_video_datachannel.sdp");
    let offer = SessionDescription::parse(&text).expect("we parse Chromium's offer");
    let mut applied = negotiator();
    applied
        .set_remote_description(SdpType::Offer, offer.clone())
        .expect("Chromium's offer applies");
    let mut g = c.benchmark_group("sdp_answer_chromium_offer");
    g.throughput(Throughput::Elements(1));

    // The same run's baseline: the untyped parse + write of the offer's bytes.
    g.bench_function("baseline_sdp_types_parse_and_write", |b| {
        let mut out = Vec::with_capacity(8192);
        b.iter(|| {
            let s = sdp_types::Session::parse(black_box(text.as_bytes())).expect("parses");
            out.clear();
            s.write(&mut out).expect("writing to a Vec");
            out.len()
        })
    });
    // createAnswer on a negotiator that holds the applied offer (cloned outside the timing).
    g.bench_function("create_answer", |b| {
        b.iter_batched_ref(
            || applied.clone(),
            |n| n.create_answer().expect("answers").media.len(),
            BatchSize::SmallInput,
        )
    });
    // The answerer end to end: offer text in, validated and applied; answer created, applied
    // (the negotiation result built) and written out.
    let fresh = negotiator();
    g.bench_function("offer_text_to_answer_text", |b| {
        b.iter_batched_ref(
            || fresh.clone(),
            |n| {
                n.set_remote_sdp(SdpType::Offer, black_box(&text))
                    .expect("applies");
                let answer = n.create_answer().expect("answers");
                n.set_local_description(SdpType::Answer, &answer)
                    .expect("our answer applies");
                answer.to_string().len()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, parse_and_write, answer);
criterion_main!(benches);
