//! DTLS 1.3 hellos that break the rules get a typed error (and the alert it names), never a
//! panic: a key share for a group the ClientHello does not list, twice the same group, a
//! truncated ML-KEM share, a ServerHello share of the wrong length or for a group nobody
//! offered; the machine then stays failed.

mod support;
use support::NextDatagram;

use std::time::Instant;

use rtcweb_dtls::wire::client_hello::ClientHello;
use rtcweb_dtls::wire::code_points::ProtocolVersion;
use rtcweb_dtls::wire::extension::Extensions;
use rtcweb_dtls::wire::handshake::{HandshakeType, emit_header};
use rtcweb_dtls::wire::key_share::{
    KeyShareEntry, client_shares_body, client_versions_body, server_share_body,
};
use rtcweb_dtls::wire::record::{ContentType, RECORD_HEADER_LEN, emit_header as record_header};
use rtcweb_dtls::wire::server_hello::ServerHello;
use rtcweb_dtls::{
    CipherSuite, Connection, Error, Event, NamedGroup, Parameter, SignatureScheme, WireError,
};
use support::configs;

/// One epoch-0 record carrying one whole handshake message.
fn record(msg_type: HandshakeType, body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    emit_header(&mut plain, msg_type, body.len(), 0, 0, body.len());
    plain.extend_from_slice(body);
    let mut out = vec![0u8; RECORD_HEADER_LEN];
    record_header(
        &mut out,
        ContentType::HANDSHAKE,
        ProtocolVersion::DTLS_1_2,
        0,
        0,
        plain.len() as u16,
    );
    out.extend_from_slice(&plain);
    out
}

/// A DTLS 1.3 ClientHello listing `groups` with the raw `key_share` body `shares`.
fn client_hello(groups: Vec<NamedGroup>, shares: Vec<u8>) -> Vec<u8> {
    let versions = client_versions_body(&[ProtocolVersion::DTLS_1_3]).unwrap();
    let ch = ClientHello {
        client_version: ProtocolVersion::DTLS_1_2,
        random: [3; 32],
        session_id: &[],
        cookie: &[],
        cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256],
        compression_methods: &[0],
        extensions: Extensions {
            supported_groups: Some(groups),
            signature_algorithms: Some(vec![SignatureScheme::ECDSA_SECP256R1_SHA256]),
            supported_versions: Some(&versions),
            key_share: Some(&shares),
            ..Extensions::default()
        },
    };
    let mut body = Vec::new();
    ch.emit(&mut body).unwrap();
    record(HandshakeType::CLIENT_HELLO, &body)
}

fn shares(entries: &[(NamedGroup, Vec<u8>)]) -> Vec<u8> {
    let e: Vec<KeyShareEntry<'_>> = entries
        .iter()
        .map(|(g, k)| KeyShareEntry {
            group: *g,
            key_exchange: k,
        })
        .collect();
    client_shares_body(&e).unwrap()
}

/// Feeds `datagram` to a fresh server (cookies off, so the hello is acted on at once) and
/// returns its failure.
fn server_failure(datagram: &[u8]) -> Error {
    let (_, mut s) = configs();
    s.cookies = false;
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut server = Connection::server(now, s).unwrap();
    server.handle_datagram(now, datagram);
    let failure = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            Event::Failed(err) => Some(err),
            _ => None,
        })
        .expect("the server fails");
    assert!(server.is_closed());
    // The alert went out, and a failed server stays silent.
    assert!(server.next_datagram().is_some());
    server.handle_datagram(now, datagram);
    assert!(server.next_datagram().is_none());
    failure
}

#[test]
fn a_key_share_for_a_group_the_client_does_not_list() {
    let ch = client_hello(
        vec![NamedGroup::SECP256R1],
        shares(&[(NamedGroup::X25519, vec![9; 32])]),
    );
    assert_eq!(
        server_failure(&ch),
        Error::IllegalParameter(Parameter::KeyShare)
    );
}

#[test]
fn the_same_group_twice() {
    let ch = client_hello(
        vec![NamedGroup::X25519],
        shares(&[
            (NamedGroup::X25519, vec![9; 32]),
            (NamedGroup::X25519, vec![9; 32]),
        ]),
    );
    assert_eq!(
        server_failure(&ch),
        Error::Malformed {
            message: HandshakeType::CLIENT_HELLO,
            error: WireError::BadExtension
        }
    );
}

#[test]
fn a_truncated_ml_kem_share() {
    for len in [1, 32, 1183, 1215, 1217, 2000] {
        let ch = client_hello(
            vec![NamedGroup::X25519MLKEM768],
            shares(&[(NamedGroup::X25519MLKEM768, vec![7; len])]),
        );
        assert_eq!(
            server_failure(&ch),
            Error::IllegalParameter(Parameter::PublicKey),
            "{len} bytes"
        );
    }
}

/// A client offering X25519MLKEM768 and x25519 receives `server_share` in a 1.3
/// ServerHello; returns its failure.
fn client_failure(group: NamedGroup, server_share: &[u8]) -> Error {
    let (c, _) = configs();
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut client = Connection::client(now, c).unwrap();
    while client.next_datagram().is_some() {}
    let share = server_share_body(&KeyShareEntry {
        group,
        key_exchange: server_share,
    })
    .unwrap();
    let sh = ServerHello {
        server_version: ProtocolVersion::DTLS_1_2,
        random: [5; 32],
        session_id: &[],
        cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        compression_method: 0,
        extensions: Extensions {
            supported_versions: Some(&[0xfe, 0xfc]),
            key_share: Some(&share),
            ..Extensions::default()
        },
    };
    let mut body = Vec::new();
    sh.emit(&mut body).unwrap();
    client.handle_datagram(now, &record(HandshakeType::SERVER_HELLO, &body));
    let failure = std::iter::from_fn(|| client.poll_event())
        .find_map(|e| match e {
            Event::Failed(err) => Some(err),
            _ => None,
        })
        .expect("the client fails");
    assert!(client.is_closed() && !client.is_connected());
    failure
}

#[test]
fn an_encapsulation_of_the_wrong_length() {
    for len in [1, 1087, 1119, 1121, 1500] {
        assert_eq!(
            client_failure(NamedGroup::X25519MLKEM768, &vec![1; len]),
            Error::IllegalParameter(Parameter::PublicKey),
            "{len} bytes"
        );
    }
}

#[test]
fn a_server_share_for_a_group_we_did_not_share() {
    assert_eq!(
        client_failure(NamedGroup::SECP256R1, &[4; 65]),
        Error::IllegalParameter(Parameter::KeyShare)
    );
}
