//! SRTP protect and unprotect, per profile, for 160-byte (audio) and 1200-byte (video) RTP
//! packets. In the same run, for each case:
//!
//! - `rtcweb`: this project's `rtcweb-srtp`, in place;
//! - `ceiling`: the raw cipher work on the same bytes with precomputed keys (ring AES-GCM
//!   seal/open with the header as AAD; AES-128-CTR + HMAC-SHA1 over the header, payload and
//!   ROC), which no SRTP implementation can beat;
//! - `rtc-srtp` (webrtc-rs 0.21, sans-IO) and `webrtc-srtp` (webrtc-rs 0.17) doing the same.
//!
//! Unprotect benches take a freshly protected packet per iteration (made outside the timed
//! part), since replay protection refuses a packet twice.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;

use aes::Aes128Enc;
use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use rtcweb_srtp::{Context, MasterKey, Profile};
use sha1::Sha1;

const SIZES: [usize; 2] = [160, 1200];
const SSRC: u32 = 0x1234_5678;

fn name(p: Profile) -> &'static str {
    match p {
        Profile::Aes128CmHmacSha1_80 => "AES128_CM_SHA1_80",
        Profile::Aes128CmHmacSha1_32 => "AES128_CM_SHA1_32",
        Profile::AeadAes128Gcm => "AEAD_AES_128_GCM",
        _ => "AEAD_AES_256_GCM",
    }
}

fn key(p: Profile) -> Vec<u8> {
    (0..p.master_key_len() as u8)
        .map(|i| i.wrapping_mul(29) ^ 0x5c)
        .collect()
}

fn salt(p: Profile) -> Vec<u8> {
    (0..p.master_salt_len() as u8)
        .map(|i| i.wrapping_mul(17) ^ 0xa3)
        .collect()
}

/// An RTP packet of `size` bytes in total, `room` spare bytes after it.
fn packet(size: usize, seq: u16, room: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend((12..size).map(|i| i as u8));
    p.resize(size + room, 0);
    p
}

fn set_seq(p: &mut [u8], seq: u16) {
    p[2..4].copy_from_slice(&seq.to_be_bytes());
}

fn ours(p: Profile) -> Context {
    let (k, s) = (key(p), salt(p));
    Context::new(
        p,
        MasterKey { key: &k, salt: &s },
        &rtcweb_srtp::Config::default(),
    )
    .unwrap()
}

fn rtc_profile(p: Profile) -> rtc_srtp::protection_profile::ProtectionProfile {
    use rtc_srtp::protection_profile::ProtectionProfile as P;
    match p {
        Profile::Aes128CmHmacSha1_80 => P::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32 => P::Aes128CmHmacSha1_32,
        Profile::AeadAes128Gcm => P::AeadAes128Gcm,
        _ => P::AeadAes256Gcm,
    }
}

fn rtc(p: Profile) -> rtc_srtp::context::Context {
    let provider = rtc_srtp::crypto::default_provider().expect("ring provider");
    rtc_srtp::context::Context::new(
        &key(p),
        &salt(p),
        rtc_profile(p),
        None,
        None,
        provider.crypto(),
    )
    .unwrap()
}

fn webrtc(p: Profile) -> webrtc_srtp::context::Context {
    use webrtc_srtp::protection_profile::ProtectionProfile as P;
    let profile = match p {
        Profile::Aes128CmHmacSha1_80 => P::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32 => P::Aes128CmHmacSha1_32,
        Profile::AeadAes128Gcm => P::AeadAes128Gcm,
        _ => P::AeadAes256Gcm,
    };
    webrtc_srtp::context::Context::new(&key(p), &salt(p), profile, None, None).unwrap()
}

/// The raw cipher work of one packet with everything precomputed.
#[allow(clippy::large_enum_variant)] // one per benchmark, like the cipher state in rtcweb-srtp
enum Ceiling {
    Gcm(LessSafeKey),
    Cm {
        aes: Aes128Enc,
        mac: Hmac<Sha1>,
        tag: usize,
    },
}

impl Ceiling {
    fn new(p: Profile) -> Self {
        let k = key(p);
        match p {
            Profile::AeadAes128Gcm => {
                Self::Gcm(LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &k).unwrap()))
            }
            Profile::AeadAes256Gcm => {
                Self::Gcm(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &k).unwrap()))
            }
            _ => Self::Cm {
                aes: Aes128Enc::new_from_slice(&k).unwrap(),
                mac: <Hmac<Sha1> as Mac>::new_from_slice(&[7; 20]).unwrap(),
                tag: p.rtp_tag_len(),
            },
        }
    }

    fn iv(seq: u16) -> [u8; 16] {
        let mut iv = [0x42u8; 16];
        iv[12..14].copy_from_slice(&seq.to_be_bytes());
        iv[14] = 0;
        iv[15] = 0;
        iv
    }

    fn nonce(seq: u16) -> Nonce {
        let iv = Self::iv(seq);
        Nonce::assume_unique_for_key(iv[..12].try_into().unwrap())
    }

    /// Encrypts `buf[12..len]`, appends the tag; returns the new length.
    fn seal(&self, buf: &mut [u8], len: usize, seq: u16) -> usize {
        match self {
            Self::Gcm(k) => {
                let (header, rest) = buf.split_at_mut(12);
                let tag = k
                    .seal_in_place_separate_tag(
                        Self::nonce(seq),
                        Aad::from(&header[..]),
                        &mut rest[..len - 12],
                    )
                    .unwrap();
                buf[len..len + 16].copy_from_slice(tag.as_ref());
                len + 16
            }
            Self::Cm { aes, mac, tag } => {
                let core = ctr::CtrCore::<&Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
                    aes,
                    &Self::iv(seq).into(),
                );
                ctr::Ctr128BE::from_core(core).apply_keystream(&mut buf[12..len]);
                let mut m = mac.clone();
                m.update(&buf[..len]);
                m.update(&[0, 0, 0, 0]);
                let full = m.finalize().into_bytes();
                buf[len..len + tag].copy_from_slice(&full[..*tag]);
                len + tag
            }
        }
    }

    /// Verifies and decrypts a packet made by `seal`.
    fn open(&self, buf: &mut [u8], seq: u16) -> usize {
        match self {
            Self::Gcm(k) => {
                let (header, rest) = buf.split_at_mut(12);
                k.open_in_place(Self::nonce(seq), Aad::from(&header[..]), rest)
                    .unwrap()
                    .len()
                    + 12
            }
            Self::Cm { aes, mac, tag } => {
                let body = buf.len() - tag;
                let (packet, t) = buf.split_at_mut(body);
                let mut m = mac.clone();
                m.update(packet);
                m.update(&[0, 0, 0, 0]);
                m.verify_truncated_left(t).unwrap();
                let core = ctr::CtrCore::<&Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
                    aes,
                    &Self::iv(seq).into(),
                );
                ctr::Ctr128BE::from_core(core).apply_keystream(&mut packet[12..]);
                body
            }
        }
    }
}

fn protect(c: &mut Criterion) {
    for p in Profile::ALL {
        let mut g = c.benchmark_group(format!("srtp_protect/{}", name(p)));
        for size in SIZES {
            g.throughput(Throughput::Bytes(size as u64));
            g.bench_with_input(BenchmarkId::new("rtcweb", size), &size, |b, &size| {
                let mut ctx = ours(p);
                let mut buf = packet(size, 0, 16);
                let mut seq = 0u16;
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    set_seq(&mut buf, seq);
                    black_box(ctx.protect_rtp(&mut buf, size).unwrap())
                });
            });
            g.bench_with_input(BenchmarkId::new("ceiling", size), &size, |b, &size| {
                let ceiling = Ceiling::new(p);
                let mut buf = packet(size, 0, 16);
                let mut seq = 0u16;
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    set_seq(&mut buf, seq);
                    black_box(ceiling.seal(&mut buf, size, seq))
                });
            });
            g.bench_with_input(BenchmarkId::new("rtc-srtp", size), &size, |b, &size| {
                let mut ctx = rtc(p);
                let mut buf = packet(size, 0, 0);
                let mut seq = 0u16;
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    set_seq(&mut buf, seq);
                    black_box(ctx.encrypt_rtp(&buf).unwrap())
                });
            });
            g.bench_with_input(BenchmarkId::new("webrtc-srtp", size), &size, |b, &size| {
                let mut ctx = webrtc(p);
                let mut buf = packet(size, 0, 0);
                let mut seq = 0u16;
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    set_seq(&mut buf, seq);
                    black_box(ctx.encrypt_rtp(&buf).unwrap())
                });
            });
        }
        g.finish();
    }
}

fn unprotect(c: &mut Criterion) {
    for p in Profile::ALL {
        let mut g = c.benchmark_group(format!("srtp_unprotect/{}", name(p)));
        for size in SIZES {
            g.throughput(Throughput::Bytes(size as u64));
            g.bench_with_input(BenchmarkId::new("rtcweb", size), &size, |b, &size| {
                let (mut tx, mut rx) = (ours(p), ours(p));
                let template = packet(size, 0, 16);
                let mut seq = 0u16;
                b.iter_batched_ref(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut buf = template.clone();
                        set_seq(&mut buf, seq);
                        let n = tx.protect_rtp(&mut buf, size).unwrap();
                        buf.truncate(n);
                        buf
                    },
                    |buf| black_box(rx.unprotect_rtp(buf).unwrap()),
                    BatchSize::SmallInput,
                );
            });
            g.bench_with_input(BenchmarkId::new("ceiling", size), &size, |b, &size| {
                let ceiling = Ceiling::new(p);
                let template = packet(size, 0, 16);
                let mut seq = 0u16;
                b.iter_batched_ref(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut buf = template.clone();
                        set_seq(&mut buf, seq);
                        let n = ceiling.seal(&mut buf, size, seq);
                        buf.truncate(n);
                        (buf, seq)
                    },
                    |(buf, seq)| black_box(ceiling.open(buf, *seq)),
                    BatchSize::SmallInput,
                );
            });
            g.bench_with_input(BenchmarkId::new("rtc-srtp", size), &size, |b, &size| {
                let (mut tx, mut rx) = (rtc(p), rtc(p));
                let template = packet(size, 0, 0);
                let mut seq = 0u16;
                b.iter_batched_ref(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut buf = template.clone();
                        set_seq(&mut buf, seq);
                        tx.encrypt_rtp(&buf).unwrap().to_vec()
                    },
                    |buf| black_box(rx.decrypt_rtp(buf).unwrap()),
                    BatchSize::SmallInput,
                );
            });
            g.bench_with_input(BenchmarkId::new("webrtc-srtp", size), &size, |b, &size| {
                let (mut tx, mut rx) = (webrtc(p), webrtc(p));
                let template = packet(size, 0, 0);
                let mut seq = 0u16;
                b.iter_batched_ref(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut buf = template.clone();
                        set_seq(&mut buf, seq);
                        tx.encrypt_rtp(&buf).unwrap().to_vec()
                    },
                    |buf| black_box(rx.decrypt_rtp(buf).unwrap()),
                    BatchSize::SmallInput,
                );
            });
        }
        g.finish();
    }
}

criterion_group!(benches, protect, unprotect);
criterion_main!(benches);
