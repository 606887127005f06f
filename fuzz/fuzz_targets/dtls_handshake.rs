//! Handshake fragments (arbitrary, arbitrary order) through the bounded reassembler, and every
//! released message through the parser of its type: never panics, limits hold, and what
//! parses re-emits to bytes that parse the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_dtls::handshake::reassembly::Reassembler;
use rtcweb_dtls::wire::certificate::CertificateMsg;
use rtcweb_dtls::wire::certificate_request::CertificateRequest;
use rtcweb_dtls::wire::certificate_verify::CertificateVerify;
use rtcweb_dtls::wire::client_hello::ClientHello;
use rtcweb_dtls::wire::client_key_exchange::ClientKeyExchange;
use rtcweb_dtls::wire::finished::Finished;
use rtcweb_dtls::wire::handshake::{Fragment, HandshakeType};
use rtcweb_dtls::wire::hello_verify_request::HelloVerifyRequest;
use rtcweb_dtls::wire::server_hello::ServerHello;
use rtcweb_dtls::wire::server_key_exchange::ServerKeyExchange;

const MAX_MESSAGE: usize = 4096;
const MAX_TOTAL: usize = 8192;

fn parse_message(ty: HandshakeType, body: &[u8]) {
    match ty {
        HandshakeType::CLIENT_HELLO => {
            if let Ok(m) = ClientHello::parse(body) {
                let mut out = Vec::new();
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
    // Whole messages parsed directly as well (the message parsers on raw input).
    if let Some((&ty, body)) = rest.split_first() {
        parse_message(HandshakeType(ty % 21), body);
    }
});
