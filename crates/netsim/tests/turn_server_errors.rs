//! The TURN server's answers to what our client does not send: 437 for a second Allocate on
//! a 5-tuple, the cached answer to a retransmitted Allocate, 400 for malformed requests,
//! 438 for a wrong nonce, 401 for an unknown user, Refresh with LIFETIME 0, permission
//! expiry, and garbage that never breaks it.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtcweb_netsim::{HostId, Network, TurnServerConfig};
use rtcweb_stun::{Class, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method, codes};
use support::{addr, drain, epoch, ip, settle};

const SERVER: &str = "192.0.2.10:3478";
const CLIENT: &str = "198.51.100.5:5000";

struct Fixture {
    net: Network,
    host: HostId,
    key: IntegrityKey,
    nonce: String,
    next_id: u8,
}

impl Fixture {
    fn new() -> Self {
        let mut net = Network::new(8, epoch());
        net.add_turn_server(TurnServerConfig::new(addr(SERVER), "realm", "user", "pass"));
        let host = net.add_host(ip("198.51.100.5"), None);
        let mut f = Self {
            net,
            host,
            key: IntegrityKey::long_term("user", "realm", "pass").unwrap(),
            nonce: String::new(),
            next_id: 1,
        };
        // An unauthenticated request learns REALM and NONCE from the 401.
        let bytes = MessageWriter::request(Method::ALLOCATE, f.id())
            .requested_transport_udp()
            .to_vec(None, true)
            .unwrap();
        let reply = f.ask_raw(bytes).expect("a 401");
        assert_eq!(reply.error_code().unwrap().code, 401);
        assert_eq!(reply.realm(), Some("realm"));
        assert!(!reply.has_integrity());
        f.nonce = reply.nonce().unwrap().to_owned();
        f
    }

    fn id(&mut self) -> [u8; 12] {
        self.next_id += 1;
        [self.next_id; 12]
    }

    fn authed(&self, w: MessageWriter) -> Vec<u8> {
        w.username("user")
            .unwrap()
            .realm("realm")
            .unwrap()
            .nonce(&self.nonce)
            .unwrap()
            .to_vec(Some((&self.key, IntegrityAlgorithm::Sha1)), true)
            .unwrap()
    }

    /// Sends to the server, returns its one answer if any.
    fn ask_raw(&mut self, bytes: Vec<u8>) -> Option<Message> {
        self.net.send(self.host, addr(CLIENT), addr(SERVER), bytes);
        settle(&mut self.net);
        let got = drain(&mut self.net, self.host);
        assert!(got.len() <= 1);
        got.first().map(|d| Message::decode(&d.contents).unwrap())
    }

    /// An authenticated request; checks the answer is authenticated too.
    fn ask(&mut self, w: MessageWriter) -> Message {
        let bytes = self.authed(w);
        self.net.send(self.host, addr(CLIENT), addr(SERVER), bytes);
        settle(&mut self.net);
        let got = drain(&mut self.net, self.host);
        assert_eq!(got.len(), 1);
        Message::decode_authenticated(&got[0].contents, &self.key).expect("integrity")
    }

    fn allocate(&mut self) -> (Message, [u8; 12]) {
        let id = self.id();
        let reply =
            self.ask(MessageWriter::request(Method::ALLOCATE, id).requested_transport_udp());
        (reply, id)
    }
}

fn code(m: &Message) -> Option<u16> {
    m.error_code().map(|e| e.code)
}

#[test]
fn allocate_retransmission_and_mismatch() {
    let mut f = Fixture::new();
    let (first, id) = f.allocate();
    assert_eq!(first.class(), Class::SuccessResponse);
    let relayed = first.xor_relayed_address().unwrap();
    assert_eq!(relayed, addr("192.0.2.10:50000"));
    assert_eq!(first.xor_mapped_address(), Some(addr(CLIENT)));
    assert_eq!(first.lifetime(), Some(600));
    // The same transaction again: the same answer.
    let again = f.ask(MessageWriter::request(Method::ALLOCATE, id).requested_transport_udp());
    assert_eq!(again.xor_relayed_address(), Some(relayed));
    assert_eq!(again.transaction_id(), id);
    // Another transaction on the same 5-tuple: 437.
    let (other, _) = f.allocate();
    assert_eq!(code(&other), Some(codes::ALLOCATION_MISMATCH));
}

#[test]
fn malformed_and_unauthenticated_requests() {
    let mut f = Fixture::new();
    // No REQUESTED-TRANSPORT: 400.
    let id = f.id();
    assert_eq!(
        code(&f.ask(MessageWriter::request(Method::ALLOCATE, id))),
        Some(400)
    );
    // Wrong nonce: 438 with the right one.
    let id = f.id();
    let stale = MessageWriter::request(Method::ALLOCATE, id)
        .requested_transport_udp()
        .username("user")
        .unwrap()
        .realm("realm")
        .unwrap()
        .nonce("old")
        .unwrap()
        .to_vec(Some((&f.key, IntegrityAlgorithm::Sha1)), true)
        .unwrap();
    let reply = f.ask_raw(stale).unwrap();
    assert_eq!(code(&reply), Some(codes::STALE_NONCE));
    assert_eq!(reply.nonce(), Some(f.nonce.as_str()));
    // Unknown user, and a wrong password: 401.
    for key in [
        IntegrityKey::long_term("mallory", "realm", "pass").unwrap(),
        IntegrityKey::long_term("user", "realm", "guess").unwrap(),
    ] {
        let id = f.id();
        let user = if key == f.key { "user" } else { "mallory" };
        let bytes = MessageWriter::request(Method::ALLOCATE, id)
            .requested_transport_udp()
            .username(user)
            .unwrap()
            .realm("realm")
            .unwrap()
            .nonce(&f.nonce)
            .unwrap()
            .to_vec(Some((&key, IntegrityAlgorithm::Sha1)), true)
            .unwrap();
        assert_eq!(code(&f.ask_raw(bytes).unwrap()), Some(401));
    }
    // Requests on no allocation: 437.
    let id = f.id();
    let reply = f.ask(
        MessageWriter::request(Method::CREATE_PERMISSION, id)
            .xor_peer_address(addr("203.0.113.9:1")),
    );
    assert_eq!(code(&reply), Some(codes::ALLOCATION_MISMATCH));
    f.allocate();
    // ChannelBind with a channel number out of range, or without a peer: 400.
    let id = f.id();
    let reply = f.ask(
        MessageWriter::request(Method::CHANNEL_BIND, id)
            .channel_number(0x3FFF)
            .xor_peer_address(addr("203.0.113.9:1")),
    );
    assert_eq!(code(&reply), Some(400));
    let id = f.id();
    assert_eq!(
        code(&f.ask(MessageWriter::request(Method::CHANNEL_BIND, id).channel_number(0x4000))),
        Some(400)
    );
    // CreatePermission without a peer: 400; with an IPv6 peer on an IPv4 relay: 443.
    let id = f.id();
    assert_eq!(
        code(&f.ask(MessageWriter::request(Method::CREATE_PERMISSION, id))),
        Some(400)
    );
    let id = f.id();
    let reply = f.ask(
        MessageWriter::request(Method::CREATE_PERMISSION, id)
            .xor_peer_address(addr("[2001:db8::1]:1")),
    );
    assert_eq!(code(&reply), Some(codes::PEER_ADDRESS_FAMILY_MISMATCH));
    // A request whose attribute does not decode: 400 (here a 1-byte LIFETIME).
    let id = f.id();
    let mut bytes = vec![0x00, 0x04, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42];
    bytes.extend_from_slice(&id);
    bytes.extend_from_slice(&[0x00, 0x0D, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00]);
    assert_eq!(code(&f.ask_raw(bytes).unwrap()), Some(400));
}

#[test]
fn refresh_with_lifetime_zero_deletes_the_allocation() {
    let mut f = Fixture::new();
    let (reply, _) = f.allocate();
    let relayed = reply.xor_relayed_address().unwrap();
    let id = f.id();
    let reply = f.ask(MessageWriter::request(Method::REFRESH, id).lifetime(7200));
    assert_eq!(reply.lifetime(), Some(3600), "capped at the maximum");
    let id = f.id();
    let reply = f.ask(MessageWriter::request(Method::REFRESH, id).lifetime(0));
    assert_eq!(reply.class(), Class::SuccessResponse);
    assert_eq!(reply.lifetime(), Some(0));
    let id = f.id();
    let reply = f.ask(MessageWriter::request(Method::REFRESH, id));
    assert_eq!(code(&reply), Some(codes::ALLOCATION_MISMATCH));
    // The relayed address is gone; a new allocation gets a fresh port.
    let (reply, _) = f.allocate();
    assert_ne!(reply.xor_relayed_address(), Some(relayed));
}

#[test]
fn permissions_and_allocations_expire() {
    let mut f = Fixture::new();
    let (reply, _) = f.allocate();
    let relayed = reply.xor_relayed_address().unwrap();
    let peer_host = f.net.add_host(ip("203.0.113.9"), None);
    let peer = addr("203.0.113.9:1000");
    let id = f.id();
    f.ask(MessageWriter::request(Method::CREATE_PERMISSION, id).xor_peer_address(peer));
    let from_peer = |f: &mut Fixture| {
        f.net.send(peer_host, peer, relayed, b"hello".to_vec());
        settle(&mut f.net);
        drain(&mut f.net, f.host).len()
    };
    assert_eq!(from_peer(&mut f), 1);
    // 300 s later the permission is gone (the allocation, 600 s, is not).
    f.net.advance_to(f.net.now() + Duration::from_secs(300));
    assert_eq!(from_peer(&mut f), 0);
    let id = f.id();
    assert_eq!(
        f.ask(MessageWriter::request(Method::CREATE_PERMISSION, id).xor_peer_address(peer))
            .class(),
        Class::SuccessResponse
    );
    assert_eq!(from_peer(&mut f), 1);
    // At 600 s the allocation is gone, and with it the relayed address.
    f.net.advance_to(f.net.now() + Duration::from_secs(300));
    let dropped = f.net.stats().dropped_no_route + f.net.stats().dropped_by_server;
    assert_eq!(from_peer(&mut f), 0);
    assert_eq!(
        f.net.stats().dropped_no_route + f.net.stats().dropped_by_server,
        dropped + 1
    );
    let id = f.id();
    assert_eq!(
        code(&f.ask(MessageWriter::request(Method::REFRESH, id))),
        Some(codes::ALLOCATION_MISMATCH)
    );
}

#[test]
fn garbage_never_breaks_the_server() {
    let mut f = Fixture::new();
    let (reply, _) = f.allocate();
    let relayed: SocketAddr = reply.xor_relayed_address().unwrap();
    let mut rng = StdRng::seed_from_u64(99);
    for i in 0..5000 {
        let len = rng.random_range(0..64);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        // Make some of it look like STUN or ChannelData.
        match i % 3 {
            0 if len >= 8 => bytes[4..8].copy_from_slice(&[0x21, 0x12, 0xA4, 0x42]),
            1 if len >= 1 => bytes[0] = 0x40,
            _ => {}
        }
        if let Some(b) = bytes.first_mut() {
            *b &= 0x7F;
        }
        let to = if i % 2 == 0 { addr(SERVER) } else { relayed };
        f.net.send(f.host, addr(CLIENT), to, bytes);
    }
    settle(&mut f.net);
    drain(&mut f.net, f.host);
    // Still serving.
    let id = f.id();
    let reply = f.ask(MessageWriter::request(Method::REFRESH, id));
    assert_eq!(reply.class(), Class::SuccessResponse);
}
