//! rtcweb-dtls: a full DTLS handshake (client and server in process, mutual authentication
//! with ECDSA P-256, use_srtp, stateless cookies) and application data records of 1200
//! bytes (seal at one end, open at the other). The handshake in DTLS 1.2 (ECDHE-ECDSA with
//! AES-128-GCM, x25519, a HelloVerifyRequest), DTLS 1.3 with x25519 and DTLS 1.3 with
//! X25519MLKEM768 (TLS_AES_128_GCM_SHA256, a HelloRetryRequest for the cookie; one key share
//! each, so the post-quantum cost reads as the ratio of the two). In the same run, for each:
//!
//! - `rtcweb`: this project's `rtcweb-dtls`;
//! - `dimpl`: dimpl (str0m's sans-IO DTLS, RustCrypto backend) doing the same, in 1.2 and
//!   in 1.3 (x25519; dimpl has no ML-KEM);
//! - `rtc-dtls`: webrtc-rs's sans-IO DTLS (the `rtc` crate's, ring provider) doing the same;
//! - `ring public-key ops` (handshake): the public-key work of one handshake with ring alone
//!   (two x25519 key pairs and agreements, two ECDSA P-256 signatures and two
//!   verifications), a floor no stack can go below;
//! - `ceiling` (records): raw ring AES-128-GCM seal and open of the same 1200 bytes with
//!   precomputed keys, which no record layer can beat.
//!
//! DTLS 1.3 records (`rtcweb 1.3 ...`): `RecordLayer13` writing a 1200-byte application data
//! record of epoch 3 (unified header, AES-128-GCM, sequence number encryption, RFC 9147 §4)
//! and reading it back in place (sequence number decryption and reconstruction, replay
//! window, open, content type), against the same `ceiling`; the target is 80 % of it.
//!
//! rtcweb's records are measured three ways: `send_into` + `handle_datagram_in_place` (the
//! caller's buffers, no copy or allocation beyond the ceiling's), `send_into` +
//! `handle_datagram` (the plaintext copied into an owned `Event::ApplicationData`), and
//! `send` + `poll_transmit` + `handle_datagram` (owned datagrams both ways).
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dimpl::{Dtls, DtlsCertificate, Output};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{EphemeralPrivateKey, UnparsedPublicKey, X25519, agree_ephemeral};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
};
use rtc_dtls::cipher_suite::CipherSuiteId;
use rtc_dtls::config::{ClientAuthType, ConfigBuilder, ExtendedMasterSecretType, HandshakeConfig};
use rtc_dtls::endpoint::{Endpoint, EndpointEvent};
use rtc_dtls::extension::extension_use_srtp::SrtpProtectionProfile;
use rtcweb_dtls::fuzzing::{BulkCipher, Outcome, RecordPair};
use rtcweb_dtls::{Certificate, CipherSuite, Config, Event, HashAlgorithm, NamedGroup, Versions};

#[path = "dtls_support/handshake.rs"]
mod handshake;
use handshake::rtcweb_handshake;

const RECORD: usize = 1200;

struct Identities {
    client: Certificate,
    server: Certificate,
}

impl Identities {
    fn new() -> Self {
        Self {
            client: Certificate::generate().unwrap(),
            server: Certificate::generate().unwrap(),
        }
    }

    fn configs(&self) -> (Config, Config) {
        let mut c = Config::new(
            self.client.clone(),
            vec![self.server.fingerprint(HashAlgorithm::Sha256)],
        );
        let mut s = Config::new(
            self.server.clone(),
            vec![self.client.fingerprint(HashAlgorithm::Sha256)],
        );
        c.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
        s.cipher_suites = c.cipher_suites.clone();
        c.versions = Versions::Dtls12;
        s.versions = Versions::Dtls12;
        (c, s)
    }

    /// DTLS 1.3 configurations with one key share, of `group`.
    fn configs13(&self, group: NamedGroup) -> (Config, Config) {
        let (mut c, mut s) = self.configs();
        for cfg in [&mut c, &mut s] {
            cfg.versions = Versions::Dtls13;
            cfg.tls13_cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
            cfg.tls13_groups = vec![group];
            cfg.tls13_key_shares = 1;
        }
        (c, s)
    }

    fn dimpl(&self, cert: &Certificate) -> DtlsCertificate {
        DtlsCertificate {
            certificate: cert.der().to_vec(),
            private_key: cert.private_key_pkcs8().to_vec(),
        }
    }
}

/// rtc-dtls endpoint configurations (client, server) with the same certificates and the
/// same choices: ECDHE-ECDSA-AES128-GCM, use_srtp, EMS, mutual authentication.
fn rtc_configs(ids: &Identities) -> (Arc<HandshakeConfig>, Arc<HandshakeConfig>) {
    let provider = rtc_dtls::crypto_provider::default_provider().unwrap();
    let cert = |c: &Certificate| rtc_dtls::crypto::Certificate {
        certificate: vec![c.der().to_vec().into()],
        private_key: rtc_dtls::crypto::CryptoPrivateKey::from_signing_key(
            provider
                .crypto()
                .import_signing_key(
                    rtc_dtls::crypto_provider::SignatureScheme::EcdsaP256Sha256,
                    c.private_key_pkcs8(),
                )
                .unwrap(),
        ),
    };
    let builder = |c: &Certificate| {
        ConfigBuilder::default()
            .with_crypto_provider(provider.clone())
            .with_certificates(vec![cert(c)])
            .with_cipher_suites(vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256])
            .with_srtp_protection_profiles(vec![SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm])
            .with_extended_master_secret(ExtendedMasterSecretType::Require)
            .with_insecure_skip_verify(true)
    };
    let client = builder(&ids.client).build(true, None).unwrap();
    let server = builder(&ids.server)
        .with_client_auth(ClientAuthType::RequireAnyClientCert)
        .build(false, None)
        .unwrap();
    (Arc::new(client), Arc::new(server))
}

const RTC_CLIENT: &str = "127.0.0.1:5000";
const RTC_SERVER: &str = "127.0.0.1:5001";

/// Feeds `from`'s datagrams to `to`; true when `to` completed its handshake.
fn rtc_transfer(
    now: Instant,
    from: &mut Endpoint,
    from_addr: std::net::SocketAddr,
    to: &mut Endpoint,
    data: &mut usize,
) -> bool {
    let mut done = false;
    while let Some(t) = from.poll_transmit() {
        for e in to.read(now, from_addr, None, t.message).unwrap() {
            match e {
                EndpointEvent::HandshakeComplete => done = true,
                EndpointEvent::ApplicationData(a) => *data += a.len(),
                _ => {}
            }
        }
    }
    done
}

/// A full rtc-dtls handshake; returns the connected (client, server) endpoints.
fn rtc_handshake(
    now: Instant,
    client_config: &Arc<HandshakeConfig>,
    server_config: &Arc<HandshakeConfig>,
) -> (Endpoint, Endpoint) {
    let (ca, sa) = (RTC_CLIENT.parse().unwrap(), RTC_SERVER.parse().unwrap());
    let mut client = Endpoint::new(ca, Default::default(), None);
    let mut server = Endpoint::new(sa, Default::default(), Some(server_config.clone()));
    client
        .connect(now, sa, client_config.clone(), None)
        .unwrap();
    let (mut c_done, mut s_done) = (false, false);
    let mut sink = 0;
    while !(c_done && s_done) {
        s_done |= rtc_transfer(now, &mut client, ca, &mut server, &mut sink);
        c_done |= rtc_transfer(now, &mut server, sa, &mut client, &mut sink);
    }
    (client, server)
}

/// Drains dimpl's output: packets into `out`; true once connected.
fn dimpl_drain(d: &mut Dtls, buf: &mut Vec<u8>, out: &mut Vec<Vec<u8>>, data: &mut usize) -> bool {
    let mut connected = false;
    loop {
        match d.poll_output(buf) {
            Output::Packet(p) => out.push(p.to_vec()),
            Output::BufferTooSmall { needed } => buf.resize(needed, 0),
            Output::Connected => connected = true,
            Output::ApplicationData(a) => *data += a.len(),
            Output::Timeout(_) => return connected,
            _ => {}
        }
    }
}

fn dimpl_pair(now: Instant, ids: &Identities, config: &Arc<dimpl::Config>) -> (Dtls, Dtls) {
    let mut client = Dtls::new_12(config.clone(), ids.dimpl(&ids.client), now);
    client.set_active(true);
    let server = Dtls::new_12(config.clone(), ids.dimpl(&ids.server), now);
    (client, server)
}

fn dimpl_handshake(now: Instant, ids: &Identities, config: &Arc<dimpl::Config>) -> (Dtls, Dtls) {
    dimpl_handshake_of(now, ids, config, false)
}

fn dimpl_handshake_of(
    now: Instant,
    ids: &Identities,
    config: &Arc<dimpl::Config>,
    dtls13: bool,
) -> (Dtls, Dtls) {
    let (mut client, mut server) = if dtls13 {
        let mut client = Dtls::new_13(config.clone(), ids.dimpl(&ids.client), now);
        client.set_active(true);
        let server = Dtls::new_13(config.clone(), ids.dimpl(&ids.server), now);
        (client, server)
    } else {
        dimpl_pair(now, ids, config)
    };
    client.handle_timeout(now).unwrap();
    server.handle_timeout(now).unwrap();
    let mut buf = vec![0u8; 2048];
    let (mut c_done, mut s_done) = (false, false);
    let mut sink = 0;
    while !(c_done && s_done) {
        let mut to_server = Vec::new();
        c_done |= dimpl_drain(&mut client, &mut buf, &mut to_server, &mut sink);
        for d in &to_server {
            server.handle_packet(d).unwrap();
        }
        let mut to_client = Vec::new();
        s_done |= dimpl_drain(&mut server, &mut buf, &mut to_client, &mut sink);
        for d in &to_client {
            client.handle_packet(d).unwrap();
        }
    }
    (client, server)
}

/// The public-key operations of one ECDHE-ECDSA handshake with mutual authentication.
fn ring_public_key_ops(rng: &SystemRandom, keys: &[EcdsaKeyPair; 2]) {
    let a = EphemeralPrivateKey::generate(&X25519, rng).unwrap();
    let b = EphemeralPrivateKey::generate(&X25519, rng).unwrap();
    let pa = a.compute_public_key().unwrap();
    let pb = b.compute_public_key().unwrap();
    let sa = agree_ephemeral(a, &UnparsedPublicKey::new(&X25519, pb.as_ref()), |s| s[0]).unwrap();
    let sb = agree_ephemeral(b, &UnparsedPublicKey::new(&X25519, pa.as_ref()), |s| s[0]).unwrap();
    assert_eq!(sa, sb);
    for k in keys {
        let msg = [sa; 64];
        let sig = k.sign(rng, &msg).unwrap();
        ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, k.public_key().as_ref())
            .verify(&msg, sig.as_ref())
            .unwrap();
    }
}

fn handshake(c: &mut Criterion) {
    let ids = Identities::new();
    let (cc, sc) = ids.configs();
    let (cc13, sc13) = ids.configs13(NamedGroup::X25519);
    let (cc_pq, sc_pq) = ids.configs13(NamedGroup::X25519MLKEM768);
    let dimpl_config = Arc::new(
        dimpl::Config::builder()
            .require_client_certificate(true)
            .build()
            .unwrap(),
    );
    let rng = SystemRandom::new();
    let keys = [&ids.client, &ids.server].map(|cert| {
        EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            cert.private_key_pkcs8(),
            &rng,
        )
        .unwrap()
    });
    let (rtc_client, rtc_server) = rtc_configs(&ids);
    let now = Instant::now();

    let mut g = c.benchmark_group("dtls_handshake");
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("rtcweb", |b| {
        b.iter(|| black_box(rtcweb_handshake(now, &cc, &sc)))
    });
    g.bench_function("rtcweb 1.3 x25519", |b| {
        b.iter(|| black_box(rtcweb_handshake(now, &cc13, &sc13)))
    });
    g.bench_function("rtcweb 1.3 X25519MLKEM768", |b| {
        b.iter(|| black_box(rtcweb_handshake(now, &cc_pq, &sc_pq)))
    });
    g.bench_function("dimpl", |b| {
        b.iter(|| black_box(dimpl_handshake(now, &ids, &dimpl_config)))
    });
    g.bench_function("dimpl 1.3 x25519", |b| {
        b.iter(|| black_box(dimpl_handshake_of(now, &ids, &dimpl_config, true)))
    });
    g.bench_function("rtc-dtls", |b| {
        b.iter(|| black_box(rtc_handshake(now, &rtc_client, &rtc_server)))
    });
    g.bench_function("ring public-key ops", |b| {
        b.iter(|| ring_public_key_ops(&rng, &keys))
    });
    g.finish();
}

fn records(c: &mut Criterion) {
    let ids = Identities::new();
    let (cc, sc) = ids.configs();
    let now = Instant::now();
    let payload: Vec<u8> = (0..RECORD).map(|i| i as u8).collect();

    let mut g = c.benchmark_group("dtls_record_1200");
    g.throughput(Throughput::Bytes(RECORD as u64));

    // Ceiling: ring AES-128-GCM, precomputed key; copy in, seal, open.
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7; 16]).unwrap());
    let mut buf = vec![0u8; RECORD + 16];
    let mut seq = 0u64;
    g.bench_function("ceiling (ring AES-128-GCM seal+open)", |b| {
        b.iter(|| {
            seq += 1;
            let mut n = [0u8; 12];
            n[4..].copy_from_slice(&seq.to_be_bytes());
            buf.truncate(RECORD);
            buf.copy_from_slice(&payload);
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(n),
                    Aad::from([0u8; 13]),
                    &mut buf,
                )
                .unwrap();
            buf.extend_from_slice(tag.as_ref());
            let plain = key
                .open_in_place(
                    Nonce::assume_unique_for_key(n),
                    Aad::from([0u8; 13]),
                    &mut buf,
                )
                .unwrap();
            black_box(plain.len())
        })
    });

    let mut pair13 = RecordPair::new(BulkCipher::Aes128Gcm);
    let mut wire13 = Vec::with_capacity(RECORD + 64);
    g.bench_function(
        "rtcweb 1.3 (write + read in place, AES-128-GCM, encrypted sequence numbers)",
        |b| {
            b.iter(|| {
                wire13.clear();
                assert!(pair13.seal(3, 23, &payload, &mut wire13));
                match pair13.read(&mut wire13, 0) {
                    Outcome::Protected { plaintext, .. } => black_box(plaintext.len()),
                    other => panic!("{other:?}"),
                }
            })
        },
    );

    let (mut client, mut server) = rtcweb_handshake(now, &cc, &sc);
    let mut wire = Vec::with_capacity(RECORD + 64);
    g.bench_function("rtcweb (send_into + handle_datagram)", |b| {
        b.iter(|| {
            wire.clear();
            client.send_into(now, &payload, &mut wire).unwrap();
            server.handle_datagram(now, &wire);
            match server.poll_event() {
                Some(Event::ApplicationData(d)) => black_box(d.len()),
                other => panic!("{other:?}"),
            }
        })
    });
    let mut ranges = Vec::with_capacity(4);
    g.bench_function("rtcweb (send_into + handle_datagram_in_place)", |b| {
        b.iter(|| {
            wire.clear();
            client.send_into(now, &payload, &mut wire).unwrap();
            ranges.clear();
            server.handle_datagram_in_place(now, &mut wire, &mut ranges);
            black_box(&wire[ranges[0].clone()]).len()
        })
    });
    let mut d = Vec::new();
    g.bench_function(
        "rtcweb (send + poll_transmit_into + handle_datagram)",
        |b| {
            b.iter(|| {
                client.send(now, &payload).unwrap();
                assert!(client.poll_transmit_into(&mut d));
                server.handle_datagram(now, &d);
                match server.poll_event() {
                    Some(Event::ApplicationData(d)) => black_box(d.len()),
                    other => panic!("{other:?}"),
                }
            })
        },
    );

    let dimpl_config = Arc::new(
        dimpl::Config::builder()
            .require_client_certificate(true)
            .dtls12_cipher_suites(&[
                dimpl::crypto::Dtls12CipherSuite::ECDHE_ECDSA_AES128_GCM_SHA256,
            ])
            .build()
            .unwrap(),
    );
    let (mut dc, mut ds) = dimpl_handshake(now, &ids, &dimpl_config);
    let mut obuf = vec![0u8; 4096];
    g.bench_function("dimpl", |b| {
        b.iter(|| {
            dc.send_application_data(&payload).unwrap();
            let mut out = Vec::new();
            let mut got = 0;
            dimpl_drain(&mut dc, &mut obuf, &mut out, &mut got);
            for d in &out {
                ds.handle_packet(d).unwrap();
            }
            dimpl_drain(&mut ds, &mut obuf, &mut Vec::new(), &mut got);
            assert_eq!(got, RECORD);
            black_box(got)
        })
    });

    let (rtc_client, rtc_server) = rtc_configs(&ids);
    let (mut rc, mut rs) = rtc_handshake(now, &rtc_client, &rtc_server);
    let (ca, sa) = (RTC_CLIENT.parse().unwrap(), RTC_SERVER.parse().unwrap());
    g.bench_function("rtc-dtls", |b| {
        b.iter(|| {
            rc.write(now, sa, &payload).unwrap();
            let mut got = 0;
            rtc_transfer(now, &mut rc, ca, &mut rs, &mut got);
            assert_eq!(got, RECORD);
            black_box(got)
        })
    });
    g.finish();
}

criterion_group!(benches, handshake, records);
criterion_main!(benches);
