//! Input that would grow memory or cost crypto is bounded: oversized handshake messages,
//! floods of ClientHellos without cookies, data before the handshake.

mod support;
use support::NextDatagram;

use std::time::Instant;

use rtcweb_dtls::wire::code_points::ProtocolVersion;
use rtcweb_dtls::wire::handshake::{HandshakeType, emit_header};
use rtcweb_dtls::wire::record::{ContentType, emit_header as record_header};
use rtcweb_dtls::{Connection, Error};
use support::configs12;

fn record(seq: u64, body: &[u8]) -> Vec<u8> {
    let mut r = vec![0u8; 13];
    record_header(
        &mut r,
        ContentType::HANDSHAKE,
        ProtocolVersion::DTLS_1_2,
        0,
        seq,
        body.len() as u16,
    );
    r.extend_from_slice(body);
    r
}

#[test]
fn oversized_and_foreign_fragments_are_dropped() {
    let (_, s) = configs12();
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut server = Connection::server(now, s).unwrap();
    // A ClientHello claiming 1 MiB.
    let mut hs = Vec::new();
    emit_header(&mut hs, HandshakeType::CLIENT_HELLO, 1 << 20, 0, 0, 100);
    hs.extend_from_slice(&[0; 100]);
    server.handle_datagram(now, &record(0, &hs));
    // Not a ClientHello: a listening server keeps nothing.
    let mut hs = Vec::new();
    emit_header(&mut hs, HandshakeType::FINISHED, 12, 0, 0, 12);
    hs.extend_from_slice(&[0; 12]);
    server.handle_datagram(now, &record(1, &hs));
    // A malformed ClientHello is dropped, not fatal (nothing is kept before a cookie).
    let mut hs = Vec::new();
    emit_header(&mut hs, HandshakeType::CLIENT_HELLO, 3, 0, 0, 3);
    hs.extend_from_slice(&[1, 2, 3]);
    server.handle_datagram(now, &record(2, &hs));
    assert_eq!(server.stats().fragments_dropped, 3);
    assert!(server.next_datagram().is_none());
    assert!(server.poll_event().is_none());
    assert!(!server.is_closed());
    assert_eq!(server.poll_timeout(), None, "no state, no timer");
    assert_eq!(server.send(now, b"x"), Err(Error::NotConnected));
    assert_eq!(
        server.export_keying_material("x", None, 1),
        Err(Error::NotConnected)
    );
}

#[test]
fn a_flood_of_client_hellos_gets_only_hello_verify_requests() {
    let (c, s) = configs12();
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut server = Connection::server(now, s).unwrap();
    for i in 0..200u64 {
        let mut cfg = c.clone();
        cfg.seed = Some(i);
        let mut client = Connection::client(now, cfg).unwrap();
        let ch = client.next_datagram().unwrap();
        server.handle_datagram(now, &ch);
        let out: Vec<_> = std::iter::from_fn(|| server.next_datagram()).collect();
        assert_eq!(out.len(), 1);
        assert!(out[0].len() < 100, "a HelloVerifyRequest, not a flight");
    }
    assert_eq!(server.stats().hello_verify_requests_sent, 200);
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn application_data_is_refused_before_and_after() {
    let (c, _) = configs12();
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut client = Connection::client(now, c).unwrap();
    assert_eq!(client.send(now, b"early"), Err(Error::NotConnected));
    client.close(now);
    assert_eq!(client.send(now, b"late"), Err(Error::Closed));
    assert!(client.is_closed());
}
