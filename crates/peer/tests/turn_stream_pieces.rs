//! Bytes read from a TCP connection to a TURN server are a piece of a byte stream, not a
//! datagram: a read can end anywhere in a message, so the next read can begin with any
//! byte. The peer must hand every piece to the TURN client, whatever its first byte says
//! by RFC 7983's demultiplexing rules. Here a scripted server answers the allocation with
//! responses cut where the second piece begins with a byte RFC 7983 calls unknown (a
//! letter of a text attribute), and the relayed candidate must still come.
//! (Seen under load in `loopback_turn`: one lost piece broke the framing for good.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, PacketKind};
use rtcweb_peer::{Config, DataChannelInit, Event, IceServer, Peer, SdpType, Transport};
use rtcweb_stun::{Class, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method};

const REALM: &str = "realm.example";
const USER: &str = "user";
const PASS: &str = "pass";

fn server() -> SocketAddr {
    "127.0.0.1:3478".parse().unwrap()
}

/// The TCP connection's local end, as the driver would report it.
fn local_stream_end() -> SocketAddr {
    "127.0.0.1:50001".parse().unwrap()
}

#[allow(clippy::disallowed_methods)] // the simulated epoch
fn epoch() -> Instant {
    Instant::now()
}

/// The next request the peer writes on the TCP connection to the server.
fn next_request(peer: &mut Peer, what: &str) -> Message {
    while let Some(t) = peer.poll_transmit() {
        if t.transport == Transport::Tcp && t.destination == server() {
            let msg = Message::decode(t.bytes()).expect("one whole STUN message per write");
            assert_eq!(msg.class(), Class::Request);
            return msg;
        }
    }
    panic!("no {what} to the TURN server");
}

/// Feeds `bytes` as two reads, cut before the first byte at or after `from` that RFC 7983
/// does not route anywhere.
fn feed_cut(peer: &mut Peer, now: Instant, bytes: &[u8], from: usize) {
    let cut = (from..bytes.len())
        .find(|&i| PacketKind::of(&bytes[i..]) == PacketKind::Unknown)
        .expect("a byte RFC 7983 calls unknown");
    for piece in [&bytes[..cut], &bytes[cut..]] {
        peer.handle_datagram(
            now,
            Datagram {
                transport: Transport::Tcp,
                local: local_stream_end(),
                remote: server(),
                contents: piece,
            },
        );
    }
}

#[test]
fn pieces_of_the_server_stream_reach_the_turn_client_whatever_their_first_byte() {
    let now = epoch();
    let mut config = Config {
        seed: Some(7),
        ..Config::default()
    };
    config.ice_servers = vec![IceServer::Turn {
        address: server(),
        transport: Transport::Tcp,
        username: USER.to_owned(),
        password: PASS.to_owned(),
        tls: None,
    }];
    let mut peer = Peer::new(config, now).unwrap();
    peer.add_local_address(now, "127.0.0.1:40000".parse().unwrap())
        .unwrap();
    peer.create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    let offer = peer.create_offer().unwrap();
    assert_eq!(offer.kind, SdpType::Offer);
    peer.set_local_description(now, &offer).unwrap();

    // The first Allocate goes out without credentials; the 401 comes in two pieces.
    let first = next_request(&mut peer, "first Allocate");
    assert_eq!(first.method(), Method::ALLOCATE);
    let challenge = MessageWriter::error(Method::ALLOCATE, first.transaction_id(), 401, "Unauth")
        .unwrap()
        .realm(REALM)
        .unwrap()
        .nonce("nonce-for-the-test")
        .unwrap()
        .to_vec(None, true)
        .unwrap();
    let now = now + Duration::from_millis(5);
    feed_cut(&mut peer, now, &challenge, 20);

    // The retry carries the credentials; its success comes in two pieces too.
    let retry = next_request(&mut peer, "authenticated Allocate");
    assert_eq!(retry.method(), Method::ALLOCATE);
    assert_eq!(retry.username(), Some(USER));
    let key = IntegrityKey::long_term(USER, REALM, PASS).unwrap();
    let relayed: SocketAddr = "127.0.0.1:49152".parse().unwrap();
    let success = MessageWriter::success(Method::ALLOCATE, retry.transaction_id())
        .xor_relayed_address(relayed)
        .xor_mapped_address("127.0.0.1:50001".parse().unwrap())
        .lifetime(600)
        .software("scripted server")
        .unwrap()
        .to_vec(Some((&key, IntegrityAlgorithm::Sha1)), true)
        .unwrap();
    let now = now + Duration::from_millis(5);
    feed_cut(&mut peer, now, &success, 20);

    let relay_candidate = std::iter::from_fn(|| peer.poll_event()).find_map(|e| match e {
        Event::LocalCandidate(c) if c.candidate.contains("typ relay") => Some(c.candidate),
        _ => None,
    });
    let candidate = relay_candidate.expect("a relayed candidate from the allocation");
    assert!(
        candidate.contains(&format!("{} {} typ relay", relayed.ip(), relayed.port())),
        "{candidate}"
    );
    assert_eq!(peer.stats().datagrams_unknown, 0);
}
