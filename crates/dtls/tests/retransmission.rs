//! Flights resent because the peer resent its own (RFC 6347 §4.2.4): a lost final flight is
//! recovered, but replayed or forged handshake records cannot make us send without bound.

mod support;
use support::NextDatagram;

use std::time::{Duration, Instant};

use rtcweb_dtls::wire::code_points::ProtocolVersion;
use rtcweb_dtls::wire::handshake::{HandshakeType, emit_header};
use rtcweb_dtls::wire::record::{ContentType, emit_header as record_header};
use rtcweb_dtls::{Connection, Event};
use support::configs12;

fn drain(c: &mut Connection) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| c.next_datagram()).collect()
}

fn deliver(to: &mut Connection, now: Instant, datagrams: &[Vec<u8>]) {
    for d in datagrams {
        to.handle_datagram(now, d);
    }
}

fn connected(c: &mut Connection) -> bool {
    std::iter::from_fn(|| c.poll_event()).any(|e| matches!(e, Event::Connected(_)))
}

/// An unprotected (epoch 0) handshake record anyone on the path could forge.
fn forged_handshake(msg_type: HandshakeType, message_seq: u16, record_seq: u64) -> Vec<u8> {
    let mut hs = Vec::new();
    emit_header(&mut hs, msg_type, 12, message_seq, 0, 12);
    hs.extend_from_slice(&[0; 12]);
    let mut r = vec![0u8; 13];
    record_header(
        &mut r,
        ContentType::HANDSHAKE,
        ProtocolVersion::DTLS_1_2,
        0,
        record_seq,
        hs.len() as u16,
    );
    r.extend_from_slice(&hs);
    r
}

/// Runs a handshake with cookies until the server completed; its final flight is left
/// queued (not delivered). Returns the pair, the time, and the client's flight 5.
fn up_to_the_final_flight(max: u32) -> (Connection, Connection, Instant, Vec<Vec<u8>>) {
    let (mut c, mut s) = configs12();
    for cfg in [&mut c, &mut s] {
        cfg.max_retransmissions = max;
        cfg.initial_retransmit = Duration::from_millis(100);
    }
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut client = Connection::client(now, c).unwrap();
    let mut server = Connection::server(now, s).unwrap();
    let ch = drain(&mut client);
    deliver(&mut server, now, &ch);
    let hvr = drain(&mut server);
    deliver(&mut client, now, &hvr);
    let ch2 = drain(&mut client);
    deliver(&mut server, now, &ch2);
    let flight4 = drain(&mut server);
    deliver(&mut client, now, &flight4);
    let flight5 = drain(&mut client);
    deliver(&mut server, now, &flight5);
    assert!(connected(&mut server));
    (client, server, now, flight5)
}

#[test]
fn a_lost_final_flight_is_resent_when_the_client_resends_its_flight() {
    let (mut client, mut server, _, _) = up_to_the_final_flight(5);
    // The server's ChangeCipherSpec and Finished are lost.
    let lost = drain(&mut server);
    assert!(!lost.is_empty());
    assert!(!connected(&mut client));
    // The client's timer fires: flight 5 again, with new record numbers.
    let deadline = client
        .poll_timeout()
        .expect("the client waits for Finished");
    client.handle_timeout(deadline);
    let again = drain(&mut client);
    assert!(!again.is_empty());
    deliver(&mut server, deadline, &again);
    let resent = drain(&mut server);
    assert!(
        !resent.is_empty(),
        "the server answers the repeated Finished"
    );
    assert_eq!(server.stats().retransmissions, 1);
    deliver(&mut client, deadline, &resent);
    assert!(connected(&mut client));
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn forged_or_replayed_records_do_not_make_a_connected_side_resend() {
    let (mut client, mut server, now, flight5) = up_to_the_final_flight(5);
    let flight6 = drain(&mut server);
    deliver(&mut client, now, &flight6);
    assert!(connected(&mut client));

    // The client's Finished was message 5 (ClientHello 0 and 1 around the cookie exchange,
    // then Certificate, ClientKeyExchange, CertificateVerify). A forged epoch-0 copy of it,
    // and of every other message of flight 5, asks for nothing.
    for seq in 0..=5 {
        server.handle_datagram(
            now,
            &forged_handshake(HandshakeType::FINISHED, seq, 1000 + u64::from(seq)),
        );
    }
    // The genuine flight 5 replayed: its epoch-1 Finished is caught by the replay window.
    for _ in 0..10 {
        deliver(&mut server, now, &flight5);
    }
    assert!(drain(&mut server).is_empty(), "no retransmission");
    assert_eq!(server.stats().retransmissions, 0);
    assert!(server.stats().records_replayed >= 10);
    assert!(server.is_connected());

    // A connected client never resends: the server's Finished acknowledged its flight. The
    // server's flight 4 ended with ServerHelloDone, message 5 (after HelloVerifyRequest 0).
    for seq in 0..=5 {
        client.handle_datagram(
            now,
            &forged_handshake(HandshakeType::SERVER_HELLO_DONE, seq, 100 + u64::from(seq)),
        );
    }
    assert!(drain(&mut client).is_empty());
    assert_eq!(client.stats().retransmissions, 0);
    assert!(client.is_connected());
}

#[test]
fn a_repeated_client_hello_gets_a_bounded_number_of_flights() {
    let (mut c, mut s) = configs12();
    s.cookies = false;
    s.max_retransmissions = 3;
    c.cookies = false;
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut client = Connection::client(now, c).unwrap();
    let mut server = Connection::server(now, s).unwrap();
    let ch = drain(&mut client);
    deliver(&mut server, now, &ch);
    let flight4 = drain(&mut server);
    assert!(!flight4.is_empty());
    // The same ClientHello 50 times (a replaying path): the flight goes out 3 more times.
    let mut answered = 0;
    for _ in 0..50 {
        deliver(&mut server, now, &ch);
        if !drain(&mut server).is_empty() {
            answered += 1;
        }
    }
    assert_eq!(answered, 3);
    assert_eq!(server.stats().retransmissions, 3);
    // The handshake still completes with the flight we have.
    deliver(&mut client, now, &flight4);
    let flight5 = drain(&mut client);
    deliver(&mut server, now, &flight5);
    assert!(connected(&mut server));
    let flight6 = drain(&mut server);
    deliver(&mut client, now, &flight6);
    assert!(connected(&mut client));
}
