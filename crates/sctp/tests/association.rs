//! The association between two rtcweb endpoints on the simulated network: handshake with
//! the WebRTC INIT collision, messages of every size, loss, reordering and duplication,
//! unordered and partially reliable delivery, stream reset, shutdown and abort.

mod support;

use std::time::Duration;

use rtcweb_netsim::LinkConfig;
use rtcweb_sctp::{CloseReason, Config, Event, SendOptions, State};
use rtcweb_test_support::lossy;
use support::Pair;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn simultaneous_init_establishes_both_sides_once() {
    let mut p = Pair::new(
        1,
        LinkConfig::with_delay(Duration::from_millis(20)),
        Config::default(),
    );
    p.connect();
    p.run_for(Duration::from_secs(1));
    for end in [&p.a, &p.b] {
        let connected = end
            .events
            .iter()
            .filter(|e| **e == Event::Connected)
            .count();
        assert_eq!(connected, 1);
        assert_eq!(end.sctp.state(), State::Established);
        assert_eq!(end.sctp.metrics().dropped_bad_tag, 0);
    }
}

#[test]
fn one_side_connects_the_other_answers() {
    let mut p = Pair::new(
        2,
        LinkConfig::with_delay(Duration::from_millis(5)),
        Config::default(),
    );
    let now = p.now;
    p.a.sctp.connect(now);
    assert!(
        p.run_until(Duration::from_secs(5), |p| p.a.sctp.is_established()
            && p.b.sctp.is_established())
    );
}

#[test]
fn messages_of_every_size_arrive_byte_exact_both_ways() {
    let mut p = Pair::new(
        3,
        LinkConfig::with_delay(Duration::from_millis(10)),
        Config::default(),
    );
    p.connect();
    let sizes = [1usize, 2, 1171, 1172, 1173, 1199, 65_536, 262_144];
    let now = p.now;
    for (i, &len) in sizes.iter().enumerate() {
        p.a.sctp
            .send(now, 1, 53, pattern(len, i as u8), SendOptions::default())
            .unwrap();
        p.b.sctp
            .send(
                now,
                2,
                53,
                pattern(len, 100 + i as u8),
                SendOptions::default(),
            )
            .unwrap();
    }
    assert!(p.run_until(Duration::from_secs(10), |p| {
        p.a.sctp.metrics().messages_received == sizes.len() as u64
            && p.b.sctp.metrics().messages_received == sizes.len() as u64
    }));
    let at_b = p.b.take_messages();
    let at_a = p.a.take_messages();
    for (i, &len) in sizes.iter().enumerate() {
        assert_eq!(at_b[i].stream, 1);
        assert_eq!(at_b[i].data, pattern(len, i as u8), "size {len} a → b");
        assert_eq!(
            at_a[i].data,
            pattern(len, 100 + i as u8),
            "size {len} b → a"
        );
    }
}

#[test]
fn ten_mib_under_loss_reordering_and_duplication_arrive_in_order() {
    let mut p = Pair::new(4, lossy(0.05), Config::default());
    p.connect();
    let mut sent = 0u32;
    let mut got = Vec::new();
    let total = 10 * 16; // 64 KiB messages: 10 MiB.
    assert!(p.run_until(Duration::from_secs(600), |p| {
        let now = p.now;
        while sent < total && p.a.sctp.buffered_amount(0) < 256 * 1024 {
            let data = pattern(65_536, sent as u8);
            p.a.sctp
                .send(now, 0, 53, data, SendOptions::default())
                .unwrap();
            sent += 1;
        }
        got.extend(p.b.take_messages());
        got.len() == total as usize
    }));
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.data, pattern(65_536, i as u8), "message {i}");
    }
    let m = p.a.sctp.metrics();
    assert!(m.retransmitted_chunks > 0, "5 % loss means retransmissions");
    assert!(p.b.sctp.metrics().duplicates_received > 0);
}

#[test]
fn unordered_messages_all_arrive() {
    let mut p = Pair::new(5, lossy(0.05), Config::default());
    p.connect();
    let now = p.now;
    let unordered = SendOptions {
        unordered: true,
        ..SendOptions::default()
    };
    for i in 0..200u32 {
        p.a.sctp
            .send(now, 3, 53, i.to_be_bytes().to_vec(), unordered)
            .unwrap();
    }
    assert!(p.run_until(
        Duration::from_secs(60),
        |p| p.b.sctp.metrics().messages_received == 200
    ));
    let mut got: Vec<u32> =
        p.b.take_messages()
            .iter()
            .map(|m| {
                assert!(m.unordered);
                u32::from_be_bytes(m.data[..4].try_into().unwrap())
            })
            .collect();
    got.sort_unstable();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
}

#[test]
fn partial_reliability_drops_only_what_its_policy_allows() {
    let mut p = Pair::new(6, lossy(0.10), Config::default());
    p.connect();
    let now = p.now;
    let no_rtx = SendOptions {
        max_retransmissions: Some(0),
        ..SendOptions::default()
    };
    for i in 0..300u32 {
        let mut data = pattern(3000, i as u8);
        data[..4].copy_from_slice(&i.to_be_bytes());
        p.a.sctp.send(now, 5, 53, data, no_rtx).unwrap();
    }
    // A reliable message afterwards on another stream must arrive.
    p.a.sctp
        .send(now, 7, 53, b"reliable".to_vec(), SendOptions::default())
        .unwrap();
    p.run_for(Duration::from_secs(20));
    let got = p.b.take_messages();
    let mut seen = std::collections::HashSet::new();
    let mut last = None;
    for m in got.iter().filter(|m| m.stream == 5) {
        let i = u32::from_be_bytes(m.data[..4].try_into().unwrap());
        let mut want = pattern(3000, i as u8);
        want[..4].copy_from_slice(&i.to_be_bytes());
        assert_eq!(m.data, want, "message {i} whole");
        assert!(seen.insert(i), "message {i} twice");
        assert!(last < Some(i), "ordered");
        last = Some(i);
    }
    assert!(got.iter().any(|m| m.stream == 7 && m.data == b"reliable"));
    let abandoned = p.a.sctp.metrics().abandoned_messages;
    assert!(abandoned > 0, "10 % loss abandons some");
    // Each arrived or was abandoned; an abandoned one may still have arrived (its SACK was
    // lost), never twice.
    assert!(seen.len() as u64 + abandoned >= 300);
    // And the association still works.
    let now = p.now;
    p.a.sctp
        .send(now, 5, 53, b"after".to_vec(), SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(10), |p| {
        p.b.take_messages().iter().any(|m| m.data == b"after")
    }));
}

#[test]
fn messages_past_their_lifetime_are_dropped() {
    let mut p = Pair::new(
        7,
        LinkConfig::with_delay(Duration::from_millis(50)),
        Config::default(),
    );
    p.connect();
    let now = p.now;
    let short = SendOptions {
        expires: Some(now + Duration::from_millis(1)),
        ..SendOptions::default()
    };
    // Far more than one window: the tail waits in the queue past its lifetime.
    for i in 0..400u32 {
        p.a.sctp
            .send(now, 9, 53, pattern(1100, i as u8), short)
            .unwrap();
    }
    p.run_for(Duration::from_secs(5));
    let m = p.a.sctp.metrics();
    let got = p.b.take_messages().len() as u64;
    assert!(m.expired_unsent > 0, "some expired in the queue");
    assert_eq!(got + m.expired_unsent + m.abandoned_messages, 400);
}

#[test]
fn stream_reset_both_ways_restarts_sequence_numbers() {
    let mut p = Pair::new(8, lossy(0.02), Config::default());
    p.connect();
    let now = p.now;
    for i in 0..10u8 {
        p.a.sctp
            .send(now, 4, 51, vec![i; 100], SendOptions::default())
            .unwrap();
    }
    p.a.sctp.reset_streams(now, &[4]);
    assert_eq!(
        p.a.sctp
            .send(now, 4, 51, vec![0; 1], SendOptions::default()),
        Err(rtcweb_sctp::SendError::StreamResetting(4))
    );
    assert!(p.run_until(Duration::from_secs(30), |p| {
        p.a.saw(|e| *e == Event::OutgoingStreamsReset(vec![4]))
            && p.b.saw(|e| *e == Event::IncomingStreamsReset(vec![4]))
    }));
    assert_eq!(
        p.b.take_messages().len(),
        10,
        "everything before the reset arrived"
    );
    // B resets its side too (RFC 8831 §6.7), then both use the stream again from SSN 0.
    let now = p.now;
    p.b.sctp.reset_streams(now, &[4]);
    assert!(p.run_until(Duration::from_secs(30), |p| {
        p.a.saw(|e| *e == Event::IncomingStreamsReset(vec![4]))
    }));
    let now = p.now;
    p.a.sctp
        .send(now, 4, 51, b"again".to_vec(), SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(10), |p| {
        p.b.take_messages().iter().any(|m| m.data == b"again")
    }));
}

#[test]
fn many_streams_reset_at_once_are_split_into_requests() {
    let mut p = Pair::new(
        9,
        LinkConfig::with_delay(Duration::from_millis(5)),
        Config::default(),
    );
    p.connect();
    let now = p.now;
    let streams: Vec<u16> = (0..1000).collect();
    for &s in &streams {
        p.a.sctp
            .send(now, s, 51, vec![1], SendOptions::default())
            .unwrap();
    }
    p.a.sctp.reset_streams(now, &streams);
    assert!(p.run_until(Duration::from_secs(30), |p| {
        let done: usize =
            p.b.events
                .iter()
                .map(|e| match e {
                    Event::IncomingStreamsReset(s) => s.len(),
                    _ => 0,
                })
                .sum();
        done == 1000
    }));
    assert_eq!(p.b.take_messages().len(), 1000);
}

#[test]
fn shutdown_delivers_what_was_queued_then_closes_both() {
    let mut p = Pair::new(10, lossy(0.03), Config::default());
    p.connect();
    let now = p.now;
    for i in 0..20u8 {
        p.a.sctp
            .send(now, 0, 53, pattern(10_000, i), SendOptions::default())
            .unwrap();
    }
    p.a.sctp.shutdown(now);
    assert_eq!(
        p.a.sctp.send(now, 0, 53, vec![1], SendOptions::default()),
        Err(rtcweb_sctp::SendError::Closed)
    );
    let closed = p.run_until(Duration::from_secs(60), |p| {
        p.a.saw(|e| *e == Event::Closed(CloseReason::Shutdown))
            && p.b.saw(|e| *e == Event::Closed(CloseReason::Shutdown))
    });
    assert!(
        closed,
        "{:?} {:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        p.a.sctp.state(),
        p.b.sctp.state(),
        p.a.events
            .iter()
            .filter(|e| !matches!(e, Event::Message(_)))
            .collect::<Vec<_>>(),
        p.b.events
            .iter()
            .filter(|e| !matches!(e, Event::Message(_)))
            .collect::<Vec<_>>(),
        p.a.sctp.metrics(),
        p.b.sctp.metrics()
    );
    assert_eq!(p.b.take_messages().len(), 20);
    assert_eq!(p.a.sctp.poll_timeout(), None);
}

#[test]
fn abort_reaches_the_peer_with_its_reason() {
    let mut p = Pair::new(
        11,
        LinkConfig::with_delay(Duration::from_millis(5)),
        Config::default(),
    );
    p.connect();
    let now = p.now;
    p.a.sctp.abort(now, Some("bye"));
    assert!(
        p.run_until(Duration::from_secs(1), |p| p.b.saw(|e| matches!(e,
        Event::Closed(CloseReason::AbortedByPeer(why)) if why.contains("bye"))))
    );
}

#[test]
fn a_silent_peer_ends_the_association() {
    let mut p = Pair::new(
        12,
        LinkConfig::with_delay(Duration::from_millis(5)),
        Config::default(),
    );
    p.connect();
    // The link goes dead.
    p.net.set_link(
        p.b.host,
        LinkConfig {
            loss: 1.0,
            ..LinkConfig::ideal()
        },
    );
    p.net.set_link(
        p.a.host,
        LinkConfig {
            loss: 1.0,
            ..LinkConfig::ideal()
        },
    );
    let now = p.now;
    p.a.sctp
        .send(now, 0, 53, vec![1; 100], SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(120), |p| {
        p.a.saw(|e| *e == Event::Closed(CloseReason::TooManyRetransmissions))
    }));
}

#[test]
fn handshake_survives_loss() {
    // 15 % on each access link: 28 % of packets lost end to end.
    for seed in 20..40 {
        let mut p = Pair::new(seed, lossy(0.15), Config::default());
        p.connect();
        let now = p.now;
        p.a.sctp
            .send(now, 0, 53, b"x".to_vec(), SendOptions::default())
            .unwrap();
        assert!(
            p.run_until(Duration::from_secs(60), |p| !p.b.take_messages().is_empty()),
            "seed {seed}"
        );
    }
}
