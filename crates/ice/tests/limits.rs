//! Tables stay bounded whatever the peer signals or sends.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{Agent, Candidate, CandidateKind, Config, Credentials, IceError};
use rtcweb_stun::{BindingRequest, IceRole, IntegrityKey};

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

fn agent(now: Instant, sockets: usize) -> Agent {
    let mut agent = Agent::new(
        Config {
            seed: Some(5),
            credentials: Some(Credentials::new("LoCa", "localpassword0123456789x")),
            ..Config::default()
        },
        now,
    )
    .unwrap();
    for i in 0..sockets {
        agent
            .add_local_socket(now, SocketAddr::from(([192, 0, 2, 1 + i as u8], 5000)))
            .unwrap();
    }
    agent.gather(now);
    agent
        .set_remote_credentials(now, Credentials::new("ReMo", "remotepassword0123456789"))
        .unwrap();
    agent
}

#[test]
fn remote_candidates_and_pairs_are_bounded() {
    let now = epoch();
    let mut agent = agent(now, 4);
    let mut refused = 0;
    for i in 0..1000u32 {
        let addr = SocketAddr::from(([198, 51, (i / 250) as u8, (i % 250) as u8], 6000));
        let c = Candidate::new(CandidateKind::Host, format!("{i}"), 1000 + i, addr);
        match agent.add_remote_candidate(now, c) {
            Ok(()) => {}
            Err(IceError::TooManyCandidates(64)) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(agent.remote_candidates().count(), 64);
    assert_eq!(refused, 936);
    assert_eq!(agent.stats().candidates_refused, 936);
    // 4 sockets × 64 candidates would be 256 pairs; the checklist holds 100, the best ones.
    assert_eq!(agent.pairs().count(), 100);
    let lowest_kept = agent.pairs().map(|p| p.priority).min().unwrap();
    assert!(agent.stats().pairs_pruned >= 156);
    assert!(lowest_kept > 0);
    // Checks run paced, transactions stay bounded.
    let mut t = now;
    let mut sent = 0;
    for _ in 0..2000 {
        t += Duration::from_millis(10);
        agent.handle_timeout(t);
        while agent.poll_transmit().is_some() {
            sent += 1;
        }
    }
    // 20 s at one check per 50 ms plus retransmissions, never a burst.
    assert!(sent <= 20_000 / 50 * 7, "{sent} datagrams");
    assert!(agent.stats().checks_sent <= 400);
}

#[test]
fn authenticated_checks_from_many_sources_stay_bounded() {
    let now = epoch();
    let mut agent = agent(now, 1);
    let key = IntegrityKey::short_term("localpassword0123456789x").unwrap();
    let local: SocketAddr = "192.0.2.1:5000".parse().unwrap();
    for i in 0..500u32 {
        let remote = SocketAddr::from(([203, 0, 113, (i % 250) as u8], 7000 + (i / 250) as u16));
        let mut id = [0u8; 12];
        id[..4].copy_from_slice(&i.to_be_bytes());
        let mut buf = [0u8; 256];
        let n = BindingRequest {
            transaction_id: id,
            username: Some("LoCa:ReMo"),
            priority: Some(1_845_501_695),
            role: Some(IceRole::Controlled(1)),
            use_candidate: false,
            key: Some(&key),
            software: None,
        }
        .encode(&mut buf)
        .unwrap();
        agent.handle_datagram(
            now,
            Datagram {
                transport: Transport::Udp,
                local,
                remote,
                contents: &buf[..n],
            },
        );
        while agent.poll_transmit().is_some() {}
    }
    // Every check was answered, but peer-reflexive candidates stop at the limit.
    assert_eq!(agent.stats().requests_answered, 500);
    assert_eq!(agent.remote_candidates().count(), 64);
    assert!(agent.pairs().count() <= 100);
}
