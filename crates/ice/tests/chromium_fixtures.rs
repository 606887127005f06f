//! The agent answers Chromium's real Binding requests (`shared/fixtures/chromium`).

use std::net::SocketAddr;
use std::time::Instant;

use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{Agent, Candidate, Config, Credentials, PairState, Received};
use rtcweb_stun::{Class, Fingerprint, IntegrityKey, Message, classify_checked};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/fixtures/chromium/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

struct Call {
    ours: Credentials,
    theirs: Credentials,
    local: SocketAddr,
    remote: SocketAddr,
    controlling: bool,
}

/// chromium-offers: Chromium is controlling; aiortc's answer holds the credentials checked.
fn chromium_controlling() -> Call {
    Call {
        ours: Credentials::new("fZE1", "0qeqTanLnNQyDyqmAOpqBD"),
        theirs: Credentials::new("9HDN", "YEMqi0e8acSmLT4YD6QTGmq3"),
        local: "127.0.0.1:59262".parse().unwrap(),
        remote: "127.0.0.1:42770".parse().unwrap(),
        controlling: false,
    }
}

/// aiortc-offers: Chromium is controlled; aiortc's offer holds the credentials checked.
fn chromium_controlled() -> Call {
    Call {
        ours: Credentials::new("irZb", "5AhAfsoP7WtSghJsQAUUlw"),
        theirs: Credentials::new("T4gi", "mS8Q3CY8oD2KKFfXacABTQCO"),
        local: "127.0.0.1:41247".parse().unwrap(),
        remote: "127.0.0.1:60945".parse().unwrap(),
        controlling: true,
    }
}

fn agent_for(call: &Call, now: Instant) -> Agent {
    let config = Config {
        controlling: call.controlling,
        credentials: Some(call.ours.clone()),
        seed: Some(1),
        ..Config::default()
    };
    let mut agent = Agent::new(config, now).unwrap();
    agent.add_local_socket(now, call.local).unwrap();
    agent.gather(now);
    agent
}

fn datagram<'a>(call: &Call, contents: &'a [u8]) -> Datagram<'a> {
    Datagram {
        transport: Transport::Udp,
        local: call.local,
        remote: call.remote,
        contents,
    }
}

/// The agent's answer to `request`: a success response with the source address as
/// XOR-MAPPED-ADDRESS, integrity under our password, and a valid FINGERPRINT.
fn assert_answered(agent: &mut Agent, call: &Call, request: &[u8]) {
    let txid: [u8; 12] = request[8..20].try_into().unwrap();
    let response = std::iter::from_fn(|| agent.poll_transmit())
        .find(|t| {
            t.destination == call.remote
                && Message::decode(&t.contents).is_ok_and(|m| {
                    m.class() == Class::SuccessResponse && m.transaction_id() == txid
                })
        })
        .expect("a success response to Chromium's check");
    assert_eq!(response.source, Some(call.local));
    let (_, fingerprint) = classify_checked(&response.contents).unwrap();
    assert_eq!(fingerprint, Fingerprint::Valid);
    let key = IntegrityKey::short_term(&call.ours.pwd).unwrap();
    let msg = Message::decode_authenticated(&response.contents, &key).unwrap();
    assert_eq!(msg.xor_mapped_address(), Some(call.remote));
}

#[test]
fn answers_chromium_as_controlling_peer() {
    let now = epoch();
    let call = chromium_controlling();
    let mut agent = agent_for(&call, now);
    agent
        .set_remote_credentials(now, call.theirs.clone())
        .unwrap();
    let offer_candidate = Candidate::parse(
        "candidate:2581753961 1 udp 2122260223 127.0.0.1 42770 typ host generation 0 network-id 1 network-cost 50",
    )
    .unwrap();
    agent.add_remote_candidate(now, offer_candidate).unwrap();
    while agent.poll_transmit().is_some() {}

    let request = fixture("stun_binding_request_chromium_controlling.bin");
    assert_eq!(
        agent.handle_datagram(now, datagram(&call, &request)),
        Received::Consumed
    );
    assert_answered(&mut agent, &call, &request);
    assert_eq!(agent.stats().requests_answered, 1);
    // Chromium sent USE-CANDIDATE: the pair is nominated once our own check succeeds, and
    // the peer's authenticated check already lets its data through.
    assert!(!agent.is_controlling());
    let pair = agent.pairs().next().unwrap();
    assert!(matches!(
        pair.state,
        PairState::Waiting | PairState::InProgress
    ));
    let dtls = [22u8, 0xfe, 0xfd, 0, 0];
    assert!(matches!(
        agent.handle_datagram(now, datagram(&call, &dtls)),
        Received::Data { .. }
    ));
}

#[test]
fn answers_chromium_as_controlled_peer_with_a_peer_reflexive_candidate() {
    let now = epoch();
    let call = chromium_controlled();
    let mut agent = agent_for(&call, now);
    // No remote candidate or credentials yet (trickle: the check came first).
    let request = fixture("stun_binding_request_chromium_controlled.bin");
    assert_eq!(
        agent.handle_datagram(now, datagram(&call, &request)),
        Received::Consumed
    );
    assert_answered(&mut agent, &call, &request);
    let remote: Vec<_> = agent.remote_candidates().cloned().collect();
    assert_eq!(remote.len(), 1);
    assert_eq!(remote[0].kind, rtcweb_ice::CandidateKind::PeerReflexive);
    assert_eq!(remote[0].socket_addr(), Some(call.remote));
    // Chromium is controlled and we are controlling: no conflict, our role stays.
    assert!(agent.is_controlling());
    assert_eq!(agent.stats().role_conflicts, 0);
}

#[test]
fn a_tampered_check_gets_no_response_and_creates_no_state() {
    let now = epoch();
    let call = chromium_controlling();
    let mut agent = agent_for(&call, now);
    while agent.poll_transmit().is_some() {}
    let mut request = fixture("stun_binding_request_chromium_controlling.bin");
    // Flip a bit inside USERNAME: MESSAGE-INTEGRITY no longer validates. Fix FINGERPRINT up
    // so only the integrity check can catch it.
    request[24] ^= 0x01;
    let n = request.len();
    let crc = crc32(&request[..n - 8]) ^ 0x5354_554e;
    request[n - 4..].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(
        agent.handle_datagram(now, datagram(&call, &request)),
        Received::Consumed
    );
    assert!(agent.poll_transmit().is_none());
    assert_eq!(agent.stats().requests_unauthenticated, 1);
    assert_eq!(agent.remote_candidates().count(), 0);
    assert_eq!(agent.pairs().count(), 0);
    // Data from that address is not let through either.
    assert_eq!(
        agent.handle_datagram(now, datagram(&call, &[22u8, 0xfe, 0xfd])),
        Received::Rejected
    );
    // A check for another agent's ufrag is dropped the same way.
    let request = fixture("stun_binding_request_chromium_controlled.bin");
    agent.handle_datagram(now, datagram(&call, &request));
    assert_eq!(agent.stats().requests_unauthenticated, 2);
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
