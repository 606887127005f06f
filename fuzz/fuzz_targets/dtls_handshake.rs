//! Handshake fragments (arbitrary, arbitrary order) through the bounded reassembler, and every
//! released message through the parser of its type, DTLS 1.2 and 1.3 (the 1.3 forms of
//! Certificate and CertificateRequest, the hello extensions key_share, supported_versions
//! and cookie in each of their forms, ACK and KeyUpdate): never panics, limits hold, and
//! what parses re-emits to bytes that parse the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_dtls::handshake::reassembly::Reassembler;
use rtcweb_dtls::wire::ack::{ack_body, parse_ack, parse_key_update};
use rtcweb_dtls::wire::certificate::CertificateMsg;
use rtcweb_dtls::wire::certificate13::{Certificate13, CertificateRequest13};
use rtcweb_dtls::wire::certificate_request::CertificateRequest;
use rtcweb_dtls::wire::certificate_verify::CertificateVerify;
use rtcweb_dtls::wire::client_hello::ClientHello;
use rtcweb_dtls::wire::client_key_exchange::ClientKeyExchange;
use rtcweb_dtls::wire::finished::Finished;
use rtcweb_dtls::wire::handshake::{Fragment, HandshakeType};
use rtcweb_dtls::wire::hello_verify_request::HelloVerifyRequest;
use rtcweb_dtls::wire::key_share::{
    client_shares_body, parse_client_shares, parse_client_versions, parse_cookie,
    parse_selected_group, parse_server_share, server_share_body,
};
use rtcweb_dtls::wire::server_hello::ServerHello;
use rtcweb_dtls::wire::server_key_exchange::ServerKeyExchange;

const MAX_MESSAGE: usize = 4096;
const MAX_TOTAL: usize = 8192;

fn parse_message(ty: HandshakeType, body: &[u8]) {
    match ty {
        HandshakeType::CLIENT_HELLO => {
            if let Ok(m) = ClientHello::parse(body) {
                let mut out = Vec::new();
                dtls13_extensions(&m.extensions);
                if m.emit(&mut out).is_ok() {
                    let again = ClientHello::parse(&out).unwrap();
                    assert_eq!(again.random, m.random);
                    assert_eq!(again.cipher_suites, m.cipher_suites);
                    assert_eq!(again.cookie, m.cookie);
                }
            }
        }
        HandshakeType::SERVER_HELLO => {
            if let Ok(m) = ServerHello::parse(body) {
                dtls13_extensions(&m.extensions);
                let mut out = Vec::new();
                if m.emit(&mut out).is_ok() {
                    assert_eq!(
                        ServerHello::parse(&out).unwrap().cipher_suite,
                        m.cipher_suite
                    );
                }
            }
        }
        HandshakeType::HELLO_VERIFY_REQUEST => {
            if let Ok(m) = HelloVerifyRequest::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(out, body);
            }
        }
        HandshakeType::CERTIFICATE => {
            if let Ok(m) = CertificateMsg::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(out, body);
            }
            if let Ok(m) = Certificate13::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(Certificate13::parse(&out).unwrap(), m);
            }
        }
        HandshakeType::ENCRYPTED_EXTENSIONS => {
            if let Ok(e) = rtcweb_dtls::wire::extension::Extensions::parse(body) {
                dtls13_extensions(&e);
            }
        }
        HandshakeType::KEY_UPDATE => {
            let _ = parse_key_update(body);
        }
        HandshakeType::SERVER_KEY_EXCHANGE => {
            if let Ok(m) = ServerKeyExchange::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(out, body);
            }
        }
        HandshakeType::CERTIFICATE_REQUEST => {
            if let Ok(m) = CertificateRequest::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(out, body);
            }
            if let Ok(m) = CertificateRequest13::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(
                    CertificateRequest13::parse(&out).unwrap().context,
                    m.context
                );
            }
        }
        HandshakeType::CLIENT_KEY_EXCHANGE => {
            if let Ok(m) = ClientKeyExchange::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(out, body);
            }
        }
        HandshakeType::CERTIFICATE_VERIFY => {
            if let Ok(m) = CertificateVerify::parse(body) {
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(out, body);
            }
        }
        HandshakeType::FINISHED => {
            let _ = Finished::parse(body);
        }
        _ => {}
    }
}

/// The DTLS 1.3 extensions of a hello in each of their forms (the parser cannot tell
/// which message it is in): never panics, and what parses round-trips.
fn dtls13_extensions(e: &rtcweb_dtls::wire::extension::Extensions<'_>) {
    if let Some(k) = e.key_share {
        if let Ok(shares) = parse_client_shares(k) {
            assert_eq!(client_shares_body(&shares).unwrap(), k);
        }
        if let Ok(share) = parse_server_share(k) {
            assert_eq!(server_share_body(&share).unwrap(), k);
        }
        let _ = parse_selected_group(k);
    }
    if let Some(v) = e.supported_versions {
        let _ = parse_client_versions(v);
        let _ = e.selected_version();
    }
    if let Some(c) = e.cookie {
        let _ = parse_cookie(c);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reassembler::new(MAX_MESSAGE, MAX_TOTAL);
    // The first byte picks a starting sequence number, like a server after a cookie.
    let (start, mut rest) = match data.split_first() {
        Some((b, tail)) => (u16::from(*b % 4), tail),
        None => return,
    };
    r.reset(start);
    let mut record_seq = 0;
    while let Ok((f, tail)) = Fragment::parse(rest) {
        rest = tail;
        record_seq += 1;
        r.insert(0, record_seq, &f);
        assert!(r.buffered() <= MAX_TOTAL);
        while let Some(m) = r.pop() {
            assert!(m.body.len() <= MAX_MESSAGE);
            parse_message(m.msg_type, &m.body);
        }
    }
    // Whole messages parsed directly as well (the message parsers on raw input), and the
    // DTLS 1.3 ACK record body.
    if let Some((&ty, body)) = rest.split_first() {
        parse_message(HandshakeType(ty % 25), body);
        if let Ok(acked) = parse_ack(body) {
            let again = parse_ack(&ack_body(&acked).unwrap()).unwrap();
            assert_eq!(again.len(), {
                let mut a = acked.clone();
                a.sort_unstable();
                a.dedup();
                a.len()
            });
        }
    }
});
