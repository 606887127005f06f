//! Chromium 156's DTLS as captured in `../shared/fixtures/chromium/`: our server answers its
//! fragmented ClientHello (both fragments, either order, cookies off and on) in DTLS 1.2 and
//! in DTLS 1.3 (with X25519MLKEM768, against Chromium's real ML-KEM key), and our parsers
//! read its server flight.

mod support;
use support::NextDatagram;

use std::time::Instant;

use rtcweb_dtls::handshake::reassembly::{Message, Reassembler};
use rtcweb_dtls::wire::certificate::CertificateMsg;
use rtcweb_dtls::wire::certificate_request::{CertificateRequest, ECDSA_SIGN};
use rtcweb_dtls::wire::client_hello::ClientHello;
use rtcweb_dtls::wire::code_points::ProtocolVersion;
use rtcweb_dtls::wire::handshake::{Fragment, HandshakeType, emit_header};
use rtcweb_dtls::wire::hello_verify_request::HelloVerifyRequest;
use rtcweb_dtls::wire::key_share::{parse_cookie, parse_server_share};
use rtcweb_dtls::wire::record::{ContentType, Record, emit_header as emit_record_header};
use rtcweb_dtls::wire::server_hello::ServerHello;
use rtcweb_dtls::wire::server_key_exchange::ServerKeyExchange;
use rtcweb_dtls::wire::unified_header::{UnifiedHeader, is_unified_header};
use rtcweb_dtls::{
    Certificate, CipherSuite, Config, Connection, Fingerprint, NamedGroup, SignatureScheme,
    SrtpProfile, Versions,
};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/chromium/"
);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

fn sdp_fingerprints(name: &str) -> Vec<Fingerprint> {
    String::from_utf8(fixture(name))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("a=fingerprint:"))
        .map(|v| v.parse().unwrap())
        .collect()
}

/// Every handshake message in a sequence of datagrams (epoch 0 only), in order.
fn messages(datagrams: &[Vec<u8>]) -> Vec<Message> {
    let mut r = Reassembler::new(1 << 16, 1 << 17);
    let mut out = Vec::new();
    let mut first = true;
    for d in datagrams {
        let mut rest = &d[..];
        while !rest.is_empty() {
            let (rec, tail) = Record::parse(rest).unwrap();
            rest = tail;
            assert_eq!(rec.content_type, ContentType::HANDSHAKE);
            assert_eq!(rec.epoch, 0);
            let mut body = rec.fragment;
            while !body.is_empty() {
                let (f, tail) = Fragment::parse(body).unwrap();
                body = tail;
                if first {
                    r.reset(f.message_seq);
                    first = false;
                }
                r.insert(0, rec.sequence, &f);
            }
        }
        while let Some(m) = r.pop() {
            out.push(m);
        }
    }
    out
}

fn server(cookies: bool) -> Connection {
    server_with(cookies, Versions::Dtls12)
}

fn server_with(cookies: bool, versions: Versions) -> Connection {
    // Chromium's certificate in the aiortc-offers call is in answer_chromium.sdp.
    let mut config = Config::new(
        Certificate::generate().unwrap(),
        sdp_fingerprints("answer_chromium.sdp"),
    );
    config.cookies = cookies;
    config.versions = versions;
    config.seed = Some(7);
    #[allow(clippy::disallowed_methods)]
    Connection::server(Instant::now(), config).unwrap()
}

fn drain(conn: &mut Connection) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| conn.next_datagram()).collect()
}

/// Checks our answer to Chromium's ClientHello: ServerHello with DTLS 1.2,
/// ECDHE-ECDSA-AES128-GCM-SHA256, x25519, EMS and an offered SRTP profile, then Certificate,
/// ServerKeyExchange, CertificateRequest, ServerHelloDone.
fn check_server_flight(flight: &[Vec<u8>], first_seq: u16) {
    assert!(flight.iter().all(|d| d.len() <= 1200));
    let msgs = messages(flight);
    let types: Vec<HandshakeType> = msgs.iter().map(|m| m.msg_type).collect();
    assert_eq!(
        types,
        [
            HandshakeType::SERVER_HELLO,
            HandshakeType::CERTIFICATE,
            HandshakeType::SERVER_KEY_EXCHANGE,
            HandshakeType::CERTIFICATE_REQUEST,
            HandshakeType::SERVER_HELLO_DONE
        ]
    );
    assert_eq!(msgs[0].seq, first_seq);
    let sh = ServerHello::parse(&msgs[0].body).unwrap();
    assert_eq!(sh.server_version, ProtocolVersion::DTLS_1_2);
    assert_eq!(
        sh.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
    assert!(sh.extensions.extended_master_secret);
    assert_eq!(sh.extensions.renegotiation_info, Some(&[][..]));
    assert!(sh.extensions.supported_versions.is_none());
    let srtp = sh.extensions.use_srtp.unwrap();
    assert_eq!(srtp.profiles.len(), 1);
    // Chromium offers AES128_CM_HMAC_SHA1_80, AEAD_AES_256_GCM, AEAD_AES_128_GCM.
    assert_eq!(srtp.profiles[0], SrtpProfile::AEAD_AES_128_GCM);
    let cert = CertificateMsg::parse(&msgs[1].body).unwrap();
    assert_eq!(cert.chain.len(), 1);
    let ske = ServerKeyExchange::parse(&msgs[2].body).unwrap();
    assert_eq!(ske.group, NamedGroup::X25519);
    assert_eq!(ske.public.len(), 32);
    assert_eq!(ske.scheme, SignatureScheme::ECDSA_SECP256R1_SHA256);
    let cr = CertificateRequest::parse(&msgs[3].body).unwrap();
    assert!(cr.certificate_types.contains(&ECDSA_SIGN));
    assert!(msgs[4].body.is_empty());
}

#[test]
fn answers_chromiums_fragmented_client_hello_in_either_order() {
    let (one, two) = (
        fixture("dtls_client_hello_chromium_1.bin"),
        fixture("dtls_client_hello_chromium_2.bin"),
    );
    assert_eq!((one.len(), two.len()), (1200, 263));
    for order in [[&one, &two], [&two, &one]] {
        let mut s = server(false);
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        s.handle_datagram(now, order[0]);
        assert!(
            s.next_datagram().is_none(),
            "nothing before the whole ClientHello"
        );
        s.handle_datagram(now, order[1]);
        let flight = drain(&mut s);
        check_server_flight(&flight, 0);
        assert!(s.poll_event().is_none());
    }
}

/// Chromium's ClientHello body again, with `cookie` in it, cut into two records the way
/// Chromium cuts (message_seq 1, record sequence numbers 2 and 3).
fn client_hello_with_cookie(body: &[u8], cookie: &[u8]) -> Vec<Vec<u8>> {
    // version(2) random(32) session_id<1+n> cookie<1+n>...
    let sid_len = usize::from(body[34]);
    let at = 35 + sid_len;
    assert_eq!(body[at], 0, "Chromium's first ClientHello has no cookie");
    let mut with = body[..at].to_vec();
    with.push(cookie.len() as u8);
    with.extend_from_slice(cookie);
    with.extend_from_slice(&body[at + 1..]);
    let cut = 1175;
    [(0, cut), (cut, with.len())]
        .into_iter()
        .enumerate()
        .map(|(i, (a, b))| {
            let mut hs = Vec::new();
            emit_header(
                &mut hs,
                HandshakeType::CLIENT_HELLO,
                with.len(),
                1,
                a,
                b - a,
            );
            hs.extend_from_slice(&with[a..b]);
            let mut rec = vec![0u8; 13];
            emit_record_header(
                &mut rec,
                ContentType::HANDSHAKE,
                ProtocolVersion::DTLS_1_2,
                0,
                2 + i as u64,
                hs.len() as u16,
            );
            rec.extend_from_slice(&hs);
            rec
        })
        .collect()
}

#[test]
fn with_cookies_a_hello_verify_request_comes_back_then_the_flight() {
    let (one, two) = (
        fixture("dtls_client_hello_chromium_1.bin"),
        fixture("dtls_client_hello_chromium_2.bin"),
    );
    let mut s = server(true);
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    s.handle_datagram(now, &two);
    s.handle_datagram(now, &one);
    let hvr = drain(&mut s);
    assert_eq!(hvr.len(), 1);
    let (rec, rest) = Record::parse(&hvr[0]).unwrap();
    assert!(rest.is_empty());
    // RFC 6347 §4.2.1: the ClientHello's record sequence number and message_seq.
    let (ch_rec, _) = Record::parse(&one).unwrap();
    let (ch_rec2, _) = Record::parse(&two).unwrap();
    assert_eq!(rec.sequence, ch_rec.sequence.max(ch_rec2.sequence));
    let (f, _) = Fragment::parse(rec.fragment).unwrap();
    assert_eq!(f.msg_type, HandshakeType::HELLO_VERIFY_REQUEST);
    assert_eq!(f.message_seq, 0);
    let parsed = HelloVerifyRequest::parse(f.body).unwrap();
    assert_eq!(parsed.cookie.len(), 32);
    assert_eq!(s.stats().hello_verify_requests_sent, 1);

    // The same ClientHello again (a retransmission) gets the same cookie and no state.
    s.handle_datagram(now, &one);
    s.handle_datagram(now, &two);
    let again = drain(&mut s);
    assert_eq!(again.len(), 1);
    let (rec2, _) = Record::parse(&again[0]).unwrap();
    let (f2, _) = Fragment::parse(rec2.fragment).unwrap();
    assert_eq!(
        HelloVerifyRequest::parse(f2.body).unwrap().cookie,
        parsed.cookie
    );

    // Chromium's ClientHello with the cookie: the server flight, numbered from 1.
    let body = fixture("dtls_client_hello_chromium.handshake_body.bin");
    let ch = ClientHello::parse(&body).unwrap();
    assert!(ch.extensions.offers_dtls13());
    let second = client_hello_with_cookie(&body, parsed.cookie);
    s.handle_datagram(now, &second[1]);
    s.handle_datagram(now, &second[0]);
    let flight = drain(&mut s);
    check_server_flight(&flight, 1);

    // A wrong cookie gets a HelloVerifyRequest, not a flight, on a fresh server.
    let mut s = server(true);
    for d in client_hello_with_cookie(&body, &[0xee; 32]) {
        s.handle_datagram(now, &d);
    }
    let out = drain(&mut s);
    assert_eq!(out.len(), 1);
    let (rec, _) = Record::parse(&out[0]).unwrap();
    let (f, _) = Fragment::parse(rec.fragment).unwrap();
    assert_eq!(f.msg_type, HandshakeType::HELLO_VERIFY_REQUEST);
}

#[test]
fn parses_chromiums_server_flight() {
    let flight = fixture("dtls_server_flight_chromium_1.bin");
    assert_eq!(flight.len(), 643);
    let mut records = 0;
    let mut rest = &flight[..];
    while !rest.is_empty() {
        let (_, tail) = Record::parse(rest).unwrap();
        rest = tail;
        records += 1;
    }
    assert_eq!(records, 5);
    let msgs = messages(&[flight]);
    assert_eq!(msgs.len(), 5);
    let sh = ServerHello::parse(&msgs[0].body).unwrap();
    assert_eq!(sh.server_version, ProtocolVersion::DTLS_1_2);
    assert_eq!(
        sh.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
    assert!(sh.extensions.extended_master_secret);
    // capture_meta.json: the chromium-offers call used SRTP_AES128_CM_SHA1_80.
    assert_eq!(
        sh.extensions.use_srtp.unwrap().profiles,
        [SrtpProfile::AES128_CM_HMAC_SHA1_80]
    );
    // Chromium's certificate matches the fingerprint of its offer.
    let cert = CertificateMsg::parse(&msgs[1].body).unwrap();
    let prints = sdp_fingerprints("offer_audio_video_datachannel.sdp");
    assert!(!prints.is_empty());
    assert!(prints.iter().all(|f| f.matches(cert.chain[0])));
    let ske = ServerKeyExchange::parse(&msgs[2].body).unwrap();
    assert_eq!(ske.group, NamedGroup::X25519);
    assert_eq!(ske.scheme, SignatureScheme::ECDSA_SECP256R1_SHA256);
    let cr = CertificateRequest::parse(&msgs[3].body).unwrap();
    assert!(cr.certificate_types.contains(&ECDSA_SIGN));
    assert!(
        cr.signature_schemes
            .contains(&SignatureScheme::ECDSA_SECP256R1_SHA256)
    );
    assert_eq!(msgs[4].msg_type, HandshakeType::SERVER_HELLO_DONE);
    assert!(msgs[4].body.is_empty());
}

/// The epoch-0 handshake messages of a DTLS 1.3 flight (the protected records, with the
/// unified header, are skipped: they need the keys), and how many protected records there
/// were.
fn plaintext_messages13(datagrams: &[Vec<u8>]) -> (Vec<Message>, usize) {
    let mut r = Reassembler::new(1 << 16, 1 << 17);
    let mut out = Vec::new();
    let mut protected = 0;
    for d in datagrams {
        let mut rest = &d[..];
        while !rest.is_empty() {
            if is_unified_header(rest[0]) {
                let (_, tail) = UnifiedHeader::parse(rest).unwrap();
                rest = tail;
                protected += 1;
                continue;
            }
            let (rec, tail) = Record::parse(rest).unwrap();
            rest = tail;
            assert_eq!(rec.epoch, 0);
            let mut body = rec.fragment;
            while !body.is_empty() {
                let (f, tail) = Fragment::parse(body).unwrap();
                body = tail;
                r.insert(0, rec.sequence, &f);
            }
        }
        while let Some(m) = r.pop() {
            out.push(m);
        }
    }
    (out, protected)
}

#[test]
fn answers_chromiums_client_hello_with_dtls13_and_its_ml_kem_share() {
    let (one, two) = (
        fixture("dtls_client_hello_chromium_1.bin"),
        fixture("dtls_client_hello_chromium_2.bin"),
    );
    // Cookies off: the ServerHello takes Chromium's X25519MLKEM768 share (our
    // encapsulation to its real ML-KEM-768 key) and the encrypted flight follows.
    let mut s = server_with(false, Versions::Both);
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    s.handle_datagram(now, &one);
    s.handle_datagram(now, &two);
    // The ServerHello goes out first, the rest of the flight at the timeout due at once.
    let mut flight = drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(now));
    s.handle_timeout(now);
    flight.extend(drain(&mut s));
    assert!(flight.iter().all(|d| d.len() <= 1200));
    let (msgs, protected) = plaintext_messages13(&flight);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].msg_type, HandshakeType::SERVER_HELLO);
    // EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished.
    assert!(protected >= 5, "{protected} protected records");
    let sh = ServerHello::parse(&msgs[0].body).unwrap();
    assert_eq!(sh.server_version, ProtocolVersion::DTLS_1_2);
    assert_eq!(
        sh.extensions.selected_version(),
        Some(ProtocolVersion::DTLS_1_3)
    );
    assert_eq!(sh.cipher_suite, CipherSuite::TLS_AES_128_GCM_SHA256);
    let share = parse_server_share(sh.extensions.key_share.unwrap()).unwrap();
    assert_eq!(share.group, NamedGroup::X25519MLKEM768);
    // An ML-KEM-768 ciphertext and an X25519 public key.
    assert_eq!(share.key_exchange.len(), 1088 + 32);
    assert!(!s.is_closed());

    // Cookies on: a stateless HelloRetryRequest with a cookie, in the ClientHello's record
    // sequence number and message_seq, and no key_share (Chromium's share is fine).
    let mut s = server_with(true, Versions::Both);
    s.handle_datagram(now, &two);
    s.handle_datagram(now, &one);
    let hrr = drain(&mut s);
    assert_eq!(hrr.len(), 1);
    let (rec, rest) = Record::parse(&hrr[0]).unwrap();
    assert!(rest.is_empty());
    let (ch_rec, _) = Record::parse(&one).unwrap();
    let (ch_rec2, _) = Record::parse(&two).unwrap();
    assert_eq!(rec.sequence, ch_rec.sequence.max(ch_rec2.sequence));
    let (f, _) = Fragment::parse(rec.fragment).unwrap();
    assert_eq!(f.msg_type, HandshakeType::SERVER_HELLO);
    assert_eq!(f.message_seq, 0);
    let hrr = ServerHello::parse(f.body).unwrap();
    assert_eq!(hrr.random[..4], [0xcf, 0x21, 0xad, 0x74]);
    assert!(hrr.extensions.key_share.is_none());
    assert!(
        !parse_cookie(hrr.extensions.cookie.unwrap())
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.stats().hello_verify_requests_sent, 1);
}
