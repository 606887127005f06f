//! Channel life cycle: many channels opened and closed from both sides, pre-negotiated
//! channels, simultaneous opens, closing seen by both sides, the association's end.

mod support;

use std::time::Duration;

use rtcweb_datachannel::{ChannelOptions, ChannelState, CloseReason, Config, Event, Message};
use rtcweb_test_support::lossy;
use support::Pair;

#[test]
fn a_thousand_channels_open_and_close_from_both_sides() {
    let mut p = Pair::new(6, lossy(0.01), Config::default());
    p.connect();
    let now = p.now;
    let mut a_ids = Vec::new();
    let mut b_ids = Vec::new();
    for i in 0..500 {
        a_ids.push(
            p.a.dc
                .open_channel(now, ChannelOptions::new(format!("a{i}")))
                .unwrap(),
        );
        b_ids.push(
            p.b.dc
                .open_channel(now, ChannelOptions::new(format!("b{i}")))
                .unwrap(),
        );
    }
    assert!(a_ids.iter().all(|id| id % 2 == 0), "DTLS client: even ids");
    assert!(b_ids.iter().all(|id| id % 2 == 1), "DTLS server: odd ids");
    let incoming = |e: &Event| matches!(e, Event::IncomingChannel(_));
    assert!(
        p.run_until(Duration::from_secs(60), |p| p.a.count(incoming) == 500
            && p.b.count(incoming) == 500)
    );
    assert_eq!(p.a.dc.channel_count(), 1000);
    assert_eq!(p.b.dc.channel_count(), 1000);
    // The labels made it across.
    assert!(
        p.b.events
            .iter()
            .any(|e| matches!(e, Event::IncomingChannel(c) if c.label == "a499"))
    );
    // Each side closes half of its own channels and half of the peer's.
    let now = p.now;
    for (i, id) in a_ids.iter().chain(&b_ids).enumerate() {
        let closer = if i % 2 == 0 { &mut p.a } else { &mut p.b };
        closer.dc.close_channel(now, *id);
    }
    let closed = |e: &Event| matches!(e, Event::ChannelClosed { .. });
    assert!(
        p.run_until(Duration::from_secs(60), |p| p.a.count(closed) == 1000
            && p.b.count(closed) == 1000)
    );
    assert_eq!(p.a.dc.channel_count(), 0);
    assert_eq!(p.b.dc.channel_count(), 0);
    // The side that did not start a close saw it coming.
    assert!(p.a.count(|e| matches!(e, Event::ChannelClosing { .. })) == 500);
    // Ids are free again.
    let now = p.now;
    assert_eq!(
        p.a.dc
            .open_channel(now, ChannelOptions::new("again"))
            .unwrap(),
        0
    );
}

#[test]
fn pre_negotiated_channels_need_no_dcep_and_hold_early_messages() {
    let mut p = Pair::new(7, lossy(0.0), Config::default());
    let now = p.now;
    let mut options = ChannelOptions::new("negotiated");
    options.negotiated = Some(7);
    // A creates its side before connecting; B only later.
    assert_eq!(p.a.dc.open_channel(now, options.clone()).unwrap(), 7);
    p.connect();
    assert!(p.a.saw(&Event::ChannelOpen { id: 7 }));
    let now = p.now;
    p.a.dc.send(now, 7, Message::text("early")).unwrap();
    p.run_for(Duration::from_millis(200));
    assert!(p.b.messages(7).is_empty(), "held until B has the channel");
    let now = p.now;
    assert_eq!(p.b.dc.open_channel(now, options).unwrap(), 7);
    p.flush();
    assert_eq!(p.b.messages(7), vec![&Message::text("early")]);
    p.b.dc.send(now, 7, Message::binary(vec![1, 2, 3])).unwrap();
    p.run_for(Duration::from_millis(200));
    assert_eq!(p.a.messages(7), vec![&Message::binary(vec![1, 2, 3])]);
    // No DCEP was involved.
    assert_eq!(p.b.count(|e| matches!(e, Event::IncomingChannel(_))), 0);
}

#[test]
fn both_sides_open_at_the_same_moment() {
    let mut p = Pair::new(8, lossy(0.02), Config::default());
    let now = p.now;
    // Even before the association is up.
    let a =
        p.a.dc
            .open_channel(now, ChannelOptions::new("from-a"))
            .unwrap();
    let b =
        p.b.dc
            .open_channel(now, ChannelOptions::new("from-b"))
            .unwrap();
    assert_ne!(a, b);
    p.connect();
    // Each side's own channel opens with the association (its OPEN goes out then); the
    // other's arrives half a round trip later.
    assert!(p.run_until(Duration::from_secs(10), |p| {
        p.a.saw(&Event::ChannelOpen { id: a })
            && p.b.saw(&Event::ChannelOpen { id: b })
            && p.a
                .count(|e| matches!(e, Event::IncomingChannel(i) if i.id == b))
                == 1
            && p.b
                .count(|e| matches!(e, Event::IncomingChannel(i) if i.id == a))
                == 1
    }));
    assert_eq!(p.a.dc.channel_state(b), ChannelState::Open);
    assert_eq!(p.b.dc.channel_state(a), ChannelState::Open);
    let now = p.now;
    p.a.dc
        .send(now, b, Message::text("on b's channel"))
        .unwrap();
    p.b.dc
        .send(now, a, Message::text("on a's channel"))
        .unwrap();
    p.run_for(Duration::from_millis(300));
    assert_eq!(p.b.messages(b), vec![&Message::text("on b's channel")]);
    assert_eq!(p.a.messages(a), vec![&Message::text("on a's channel")]);
}

#[test]
fn sending_is_refused_unless_open_and_bounded_by_the_buffer() {
    let mut p = Pair::new(
        9,
        lossy(0.0),
        Config {
            max_buffered_per_channel: 200_000,
            ..Config::default()
        },
    );
    let now = p.now;
    let id = p.a.dc.open_channel(now, ChannelOptions::new("x")).unwrap();
    assert_eq!(
        p.a.dc.send(now, id, Message::text("too soon")),
        Err(rtcweb_datachannel::SendError::NotOpen(id))
    );
    p.connect();
    assert!(p.run_until(Duration::from_secs(5), |p| {
        p.a.saw(&Event::ChannelOpen { id })
    }));
    // The peer is gone: nothing drains, the buffer fills and refuses.
    p.net.remove_host(p.b.host);
    let now = p.now;
    let mut full = false;
    for _ in 0..10 {
        if p.a.dc.send(now, id, Message::binary(vec![0u8; 60_000]))
            == Err(rtcweb_datachannel::SendError::Full)
        {
            full = true;
            break;
        }
    }
    assert!(full, "the send buffer never filled");
    // The limit is checked before a message is queued: at most one message over it.
    assert!(p.a.dc.buffered_amount(id) <= 200_000 + 60_000);
}

#[test]
fn a_vanished_peer_aborts_the_association_and_closes_every_channel() {
    let mut p = Pair::new(10, lossy(0.0), Config::default());
    p.connect();
    let now = p.now;
    let ids: Vec<u16> = (0..3)
        .map(|i| {
            p.a.dc
                .open_channel(now, ChannelOptions::new(format!("c{i}")))
                .unwrap()
        })
        .collect();
    p.run_for(Duration::from_secs(1));
    p.net.remove_host(p.b.host);
    let now = p.now;
    p.a.dc
        .send(now, ids[0], Message::text("into the void"))
        .unwrap();
    assert!(p.run_until(Duration::from_secs(3600), |p| {
        p.a.events.iter().any(|e| matches!(e, Event::Closed(_)))
    }));
    let closed_at =
        p.a.events
            .iter()
            .position(|e| matches!(e, Event::Closed(_)))
            .unwrap();
    for id in ids {
        let at =
            p.a.events
                .iter()
                .position(|e| *e == Event::ChannelClosed { id })
                .unwrap();
        assert!(
            at < closed_at,
            "channels close before the association reports its end"
        );
    }
    assert!(matches!(
        p.a.events[closed_at],
        Event::Closed(CloseReason::Aborted(_))
    ));
}

#[test]
fn orderly_shutdown_closes_both_sides() {
    let mut p = Pair::new(11, lossy(0.0), Config::default());
    p.connect();
    let now = p.now;
    let id = p.a.dc.open_channel(now, ChannelOptions::new("x")).unwrap();
    p.run_for(Duration::from_secs(1));
    let now = p.now;
    p.a.dc.close(now);
    assert!(p.run_until(
        Duration::from_secs(10),
        |p| p.b.saw(&Event::Closed(CloseReason::Shutdown))
            && p.a.saw(&Event::Closed(CloseReason::Shutdown))
    ));
    assert!(p.b.saw(&Event::ChannelClosed { id }));
}

/// The opener's channel is open as its DATA_CHANNEL_OPEN leaves, a round trip before the
/// ACK (RFC 8832 §6, as browsers announce it); what it sends before the ACK goes ordered,
/// even on an unordered channel, so nothing overtakes the OPEN and every message reaches
/// the peer's new channel.
#[test]
fn the_opener_sends_before_the_ack_in_order() {
    let mut p = Pair::new(9, lossy(0.05), Config::default());
    p.connect();
    let now = p.now;
    let mut options = ChannelOptions::new("eager");
    options.channel_type.ordered = false;
    let id = p.a.dc.open_channel(now, options).unwrap();
    p.flush();
    assert!(
        p.a.saw(&Event::ChannelOpen { id }),
        "open at once on an established association"
    );
    assert_eq!(p.a.dc.channel_state(id), ChannelState::Open);
    for i in 0..20u8 {
        p.a.dc.send(now, id, Message::binary(vec![i; 100])).unwrap();
    }
    assert!(p.run_until(Duration::from_secs(10), |p| p.b.messages(id).len() == 20));
    let got: Vec<u8> = p.b.messages(id).iter().map(|m| m.data[0]).collect();
    assert_eq!(got, (0..20).collect::<Vec<_>>(), "in order, all of them");
    assert!(
        p.b.events.iter().any(
            |e| matches!(e, Event::IncomingChannel(c) if c.id == id && !c.channel_type.ordered)
        ),
        "the peer's channel is the unordered one asked for"
    );
}
