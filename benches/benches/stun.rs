//! rtcweb-stun: classify, encode, decode+validate, against one HMAC-SHA1 of the same bytes.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use rtcweb_stun::{
    BindingRequest, IceRole, IntegrityKey, Message, classify_checked, looks_like_stun,
    raw_attribute,
};
use sha1::Sha1;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/chromium")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn stun(c: &mut Criterion) {
    // Chromium's real check as controlling agent; key: a=ice-pwd of answer_aiortc.sdp.
    let request = fixture("stun_binding_request_chromium_controlling.bin");
    let key = IntegrityKey::short_term("0qeqTanLnNQyDyqmAOpqBD").unwrap();
    let mut g = c.benchmark_group("stun");
    g.throughput(Throughput::Elements(1));

    // The floor: one HMAC-SHA1 over the bytes MESSAGE-INTEGRITY covers.
    let covered = &request[..request.len() - 8 - 24];
    g.bench_function("baseline_hmac_sha1", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).unwrap();
            mac.update(black_box(covered));
            black_box(mac.finalize().into_bytes())
        })
    });
    g.bench_function("looks_like_stun", |b| {
        b.iter(|| looks_like_stun(black_box(&request)))
    });
    g.bench_function("classify_checked_with_fingerprint", |b| {
        b.iter(|| classify_checked(black_box(&request)).unwrap())
    });
    let garbage = vec![0x17u8; 100];
    g.bench_function("classify_garbage", |b| {
        b.iter(|| classify_checked(black_box(&garbage)).is_err())
    });
    // A controlling agent's check with USE-CANDIDATE, as the agent sends it.
    let check = || BindingRequest {
        transaction_id: [7; 12],
        username: Some("fZE1:9HDN"),
        priority: Some(1_853_817_087),
        role: Some(IceRole::Controlling(0x1234_5678_9abc_def0)),
        use_candidate: true,
        key: Some(&key),
        software: None,
    };
    g.bench_function("binding_request_encode_integrity_fingerprint", |b| {
        let mut buf = [0u8; 256];
        b.iter(|| check().encode(black_box(&mut buf)).unwrap())
    });
    // SPED (draft-hancke-webrtc-sped): a check carrying a 900-byte DTLS datagram (0xC070)
    // and four CRC-32 acks (0xC071), then reading both back.
    let dtls = vec![0x16u8; 900];
    let acks = [0x5au8; 16];
    let raw: [(u16, &[u8]); 2] = [(0xC070, &dtls), (0xC071, &acks)];
    let mut sped = [0u8; 1500];
    g.bench_function("binding_request_encode_with_sped", |b| {
        b.iter(|| {
            check()
                .encode_with(black_box(&raw), black_box(&mut sped))
                .unwrap()
        })
    });
    let n = check().encode_with(&raw, &mut sped).unwrap();
    let sped = sped[..n].to_vec();
    g.bench_function("raw_attribute_sped_data", |b| {
        b.iter(|| raw_attribute(black_box(&sped), 0xC070).unwrap().len())
    });
    g.bench_function("decode_unauthenticated", |b| {
        b.iter(|| Message::decode(black_box(&request)).unwrap())
    });
    g.bench_function("decode_and_validate", |b| {
        b.iter(|| Message::decode_authenticated(black_box(&request), &key).unwrap())
    });
    g.finish();
}

criterion_group!(benches, stun);
criterion_main!(benches);
