//! The client against a scripted server in simulated time: the answers coturn does not give
//! on demand (438, 300, 403, 437, 441, 486, 508, unauthenticated or stray responses).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_stun::{Class, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method};
use rtcweb_turn::{Client, Config, Event, Input, TurnError};

const REALM: &str = "example.org";
const USER: &str = "user";
const PASS: &str = "pass";

fn server() -> SocketAddr {
    "192.0.2.10:3478".parse().unwrap()
}

/// A UDP datagram from `remote`, as the owner's socket received it.
fn from(remote: SocketAddr, contents: &[u8]) -> Datagram<'_> {
    Datagram {
        transport: Transport::Udp,
        local: "198.51.100.1:5000".parse().unwrap(),
        remote,
        contents,
    }
}

fn key() -> IntegrityKey {
    IntegrityKey::long_term(USER, REALM, PASS).unwrap()
}

#[allow(clippy::disallowed_methods)] // the simulated epoch
fn epoch() -> Instant {
    Instant::now()
}

fn client() -> Client {
    let mut config = Config::new(server(), Transport::Udp, USER, PASS);
    config.seed = Some(1);
    Client::new(config).unwrap()
}

/// The next request the client sends, decoded.
fn next_request(c: &mut Client) -> (SocketAddr, Message, Vec<u8>) {
    let t = c.poll_transmit().expect("a request");
    let msg = Message::decode(&t.contents).unwrap();
    assert_eq!(msg.class(), Class::Request);
    (t.destination, msg, t.contents)
}

fn challenge(req: &Message, nonce: &str) -> Vec<u8> {
    MessageWriter::error(req.method(), req.transaction_id(), 401, "Unauthorized")
        .unwrap()
        .realm(REALM)
        .unwrap()
        .nonce(nonce)
        .unwrap()
        .to_vec(None, true)
        .unwrap()
}

fn allocate_success(req: &Message) -> Vec<u8> {
    MessageWriter::success(Method::ALLOCATE, req.transaction_id())
        .xor_relayed_address("192.0.2.10:50000".parse().unwrap())
        .xor_mapped_address("198.51.100.1:40000".parse().unwrap())
        .lifetime(600)
        .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
        .unwrap()
}

/// A success response to `req`, authenticated with the long-term key.
fn authed_success(req: &Message) -> Vec<u8> {
    MessageWriter::success(req.method(), req.transaction_id())
        .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
        .unwrap()
}

fn events(c: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// Starts an allocation and answers its first request with a 401 challenge; returns the
/// client and its authenticated retry, decoded and raw.
fn challenged(now: Instant, nonce: &str) -> (Client, Message, Vec<u8>) {
    let mut c = client();
    c.allocate(now).unwrap();
    let (_, req, _) = next_request(&mut c);
    assert!(
        req.username().is_none(),
        "first Allocate goes without credentials"
    );
    c.handle_datagram(now, from(server(), &challenge(&req, nonce)));
    let (_, req, bytes) = next_request(&mut c);
    (c, req, bytes)
}

/// Allocates through a 401 challenge and returns the allocated client.
fn allocated(now: Instant) -> Client {
    let (mut c, req, bytes) = challenged(now, "n1");
    assert_eq!(req.username(), Some(USER));
    assert_eq!(req.realm(), Some(REALM));
    assert_eq!(req.nonce(), Some("n1"));
    Message::decode_authenticated(&bytes, &key()).expect("authenticated with the long-term key");
    c.handle_datagram(now, from(server(), &allocate_success(&req)));
    assert!(matches!(
        events(&mut c).as_slice(),
        [Event::Allocated { .. }]
    ));
    c
}

#[test]
fn stale_nonce_is_retried_with_the_new_nonce() {
    let now = epoch();
    let mut c = allocated(now);
    c.refresh(now).unwrap();
    let (_, req, _) = next_request(&mut c);
    let stale = MessageWriter::error(Method::REFRESH, req.transaction_id(), 438, "Stale Nonce")
        .unwrap()
        .realm(REALM)
        .unwrap()
        .nonce("n2")
        .unwrap()
        .to_vec(None, true)
        .unwrap();
    c.handle_datagram(now, from(server(), &stale));
    let (_, retry, bytes) = next_request(&mut c);
    assert_eq!(retry.method(), Method::REFRESH);
    assert_eq!(retry.nonce(), Some("n2"));
    assert_ne!(retry.transaction_id(), req.transaction_id());
    Message::decode_authenticated(&bytes, &key()).unwrap();
    // A server that keeps answering 438 makes the client give up after a few tries.
    let mut last = retry;
    for i in 0..4 {
        let stale =
            MessageWriter::error(Method::REFRESH, last.transaction_id(), 438, "Stale Nonce")
                .unwrap()
                .nonce(&format!("n{}", 3 + i))
                .unwrap()
                .to_vec(None, true)
                .unwrap();
        c.handle_datagram(now, from(server(), &stale));
        match c.poll_transmit() {
            Some(t) => last = Message::decode(&t.contents).unwrap(),
            None => break,
        }
    }
    assert_eq!(
        events(&mut c),
        vec![Event::Failed(TurnError::StaleNonceLoop)]
    );
}

#[test]
fn try_alternate_is_followed_once() {
    let now = epoch();
    let alternate: SocketAddr = "192.0.2.20:3478".parse().unwrap();
    let mut c = client();
    c.allocate(now).unwrap();
    let (_, req, _) = next_request(&mut c);
    let redirect =
        MessageWriter::error(Method::ALLOCATE, req.transaction_id(), 300, "Try Alternate")
            .unwrap()
            .alternate_server(alternate)
            .to_vec(None, true)
            .unwrap();
    c.handle_datagram(now, from(server(), &redirect));
    assert_eq!(
        events(&mut c),
        vec![Event::Redirected { server: alternate }]
    );
    let (dest, req, _) = next_request(&mut c);
    assert_eq!(dest, alternate);
    assert_eq!(c.server(), alternate);
    // The old server is not listened to any more.
    assert_eq!(
        c.handle_datagram(now, from(server(), &challenge(&req, "x"))),
        Input::NotForUs
    );
    let again = MessageWriter::error(Method::ALLOCATE, req.transaction_id(), 300, "Try Alternate")
        .unwrap()
        .alternate_server(server())
        .to_vec(None, true)
        .unwrap();
    c.handle_datagram(now, from(alternate, &again));
    assert_eq!(events(&mut c), vec![Event::Failed(TurnError::BadRedirect)]);
}

#[test]
fn error_codes_become_typed_errors() {
    for (code, expected) in [
        (403, TurnError::Forbidden),
        (437, TurnError::AllocationMismatch),
        (441, TurnError::WrongCredentials),
        (486, TurnError::QuotaReached),
        (508, TurnError::InsufficientCapacity),
        (442, TurnError::UnsupportedTransport),
        (
            599,
            TurnError::Rejected {
                code: 599,
                reason: "Odd".to_owned(),
            },
        ),
    ] {
        let now = epoch();
        let (mut c, req, _) = challenged(now, "n");
        let reply = MessageWriter::error(Method::ALLOCATE, req.transaction_id(), code, "Odd")
            .unwrap()
            .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
            .unwrap();
        c.handle_datagram(now, from(server(), &reply));
        assert_eq!(events(&mut c), vec![Event::Failed(expected)], "code {code}");
    }
}

#[test]
fn permission_and_channel_errors_do_not_kill_the_allocation() {
    let now = epoch();
    let mut c = allocated(now);
    let peer: SocketAddr = "203.0.113.5:7000".parse().unwrap();
    c.create_permission(now, peer.ip()).unwrap();
    let (_, req, _) = next_request(&mut c);
    let forbidden = MessageWriter::error(
        Method::CREATE_PERMISSION,
        req.transaction_id(),
        403,
        "Forbidden",
    )
    .unwrap()
    .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
    .unwrap();
    c.handle_datagram(now, from(server(), &forbidden));
    assert_eq!(
        events(&mut c),
        vec![Event::PermissionFailed {
            peer: peer.ip(),
            error: TurnError::Forbidden
        }]
    );
    assert!(c.is_allocated());
    let mut out = Vec::new();
    assert_eq!(
        c.send_to(now, peer, b"x", &mut out).unwrap_err(),
        TurnError::NoPermission(peer.ip())
    );
}

#[test]
fn unauthenticated_and_stray_responses_are_dropped() {
    let now = epoch();
    let (mut c, req, _) = challenged(now, "n");
    // A success without MESSAGE-INTEGRITY, and one with a wrong key: discarded (RFC 8489
    // §9.2.5), the transaction still waits.
    let bare = MessageWriter::success(Method::ALLOCATE, req.transaction_id())
        .xor_relayed_address("192.0.2.10:50000".parse().unwrap())
        .to_vec(None, true)
        .unwrap();
    c.handle_datagram(now, from(server(), &bare));
    let wrong = IntegrityKey::long_term(USER, REALM, "guess").unwrap();
    let forged = MessageWriter::success(Method::ALLOCATE, req.transaction_id())
        .xor_relayed_address("192.0.2.10:50000".parse().unwrap())
        .to_vec(Some((&wrong, IntegrityAlgorithm::Sha1)), true)
        .unwrap();
    c.handle_datagram(now, from(server(), &forged));
    let stray = MessageWriter::success(Method::ALLOCATE, [0xAB; 12])
        .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
        .unwrap();
    c.handle_datagram(now, from(server(), &stray));
    assert!(events(&mut c).is_empty());
    assert_eq!(c.stats().dropped_unauthenticated, 2);
    assert_eq!(c.stats().dropped_stray, 1);
    c.handle_datagram(now, from(server(), &allocate_success(&req)));
    assert!(c.is_allocated());
}

#[test]
fn data_is_delivered_only_from_permitted_peers() {
    let now = epoch();
    let mut c = allocated(now);
    let peer: SocketAddr = "203.0.113.5:7000".parse().unwrap();
    let stranger: SocketAddr = "203.0.113.6:7000".parse().unwrap();
    let data_from = |p: SocketAddr| {
        MessageWriter::indication(Method::DATA, [5; 12])
            .xor_peer_address(p)
            .data(b"payload")
            .to_vec(None, false)
            .unwrap()
    };
    assert_eq!(
        c.handle_datagram(now, from(server(), &data_from(peer))),
        Input::Consumed
    );
    c.create_permission(now, peer.ip()).unwrap();
    let (_, req, _) = next_request(&mut c);
    let ok = authed_success(&req);
    c.handle_datagram(now, from(server(), &ok));
    assert_eq!(
        events(&mut c),
        vec![Event::PermissionCreated { peer: peer.ip() }]
    );
    let bytes = data_from(peer);
    assert_eq!(
        c.handle_datagram(now, from(server(), &bytes)),
        Input::Relayed {
            peer,
            data: b"payload"
        }
    );
    assert_eq!(
        c.handle_datagram(now, from(server(), &data_from(stranger))),
        Input::Consumed
    );
    // ChannelData on a channel never bound.
    assert_eq!(
        c.handle_datagram(now, from(server(), b"\x40\x07\x00\x01x")),
        Input::Consumed
    );
    let stats = c.stats();
    assert_eq!(stats.dropped_no_permission, 2);
    assert_eq!(stats.dropped_unknown_channel, 1);

    // Without a refresh answer the permission lapses after 300 s; data is then dropped.
    let later = now + Duration::from_secs(301);
    c.handle_timeout(later);
    assert_eq!(
        c.handle_datagram(later, from(server(), &data_from(peer))),
        Input::Consumed
    );
}

#[test]
fn refreshes_are_scheduled_before_expiry() {
    let now = epoch();
    let mut c = allocated(now);
    let peer: SocketAddr = "203.0.113.5:7000".parse().unwrap();
    c.bind_channel(now, peer).unwrap();
    let (_, req, _) = next_request(&mut c);
    assert_eq!(req.channel_number(), Some(0x4000));
    let ok = authed_success(&req);
    c.handle_datagram(now, from(server(), &ok));
    assert_eq!(
        events(&mut c),
        vec![Event::ChannelBound {
            peer,
            channel: 0x4000
        }]
    );
    // The channel also installed the permission (RFC 8656 §12.1).
    assert!(c.has_permission(now, peer.ip()));

    // Walk the deadlines for 10 minutes, answering every request; record what is sent when.
    let mut sent = vec![];
    let mut t = now;
    while let Some(deadline) = c.poll_timeout() {
        if deadline > now + Duration::from_secs(600) {
            break;
        }
        t = deadline;
        c.handle_timeout(t);
        while let Some(tx) = c.poll_transmit() {
            let m = Message::decode(&tx.contents).unwrap();
            sent.push((m.method(), (t - now).as_secs()));
            let reply = MessageWriter::success(m.method(), m.transaction_id())
                .lifetime(600)
                .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
                .unwrap();
            c.handle_datagram(t, from(server(), &reply));
        }
    }
    assert!(t > now);
    // Permission refreshed at 240 s and 480 s, the channel at 540 s, the allocation at 540 s.
    assert!(sent.contains(&(Method::CREATE_PERMISSION, 240)), "{sent:?}");
    assert!(sent.contains(&(Method::CREATE_PERMISSION, 480)), "{sent:?}");
    assert!(sent.contains(&(Method::CHANNEL_BIND, 540)), "{sent:?}");
    assert!(sent.contains(&(Method::REFRESH, 540)), "{sent:?}");
    assert!(c.is_allocated());
    assert_eq!(c.channel(t, peer), Some(0x4000));
}
