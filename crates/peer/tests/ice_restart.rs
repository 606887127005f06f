//! ICE restart (W3C `restartIce`, RFC 8445 §9) between two peers in the simulator: after
//! the restart exchange both sides use new credentials, the agents select a pair again, and
//! the data channel opened before keeps carrying messages both ways throughout.

mod support;

use std::time::Duration;

use rtcweb_peer::{DataChannelInit, Event, Message};
use support::{World, lossy};

fn ufrag(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .expect("an ice-ufrag")
        .to_owned()
}

#[test]
fn restart_keeps_the_channel_and_changes_the_credentials() {
    let mut world = World::new(11, lossy(0.0));
    let now = world.now;
    let channel = world
        .a
        .peer
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    world.offer();
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.a.saw(&Event::DataChannelOpen { channel }) && w.b.incoming_channel().is_some()
    }));
    let (remote, _) = world.b.incoming_channel().unwrap();
    let a_before = ufrag(&world.a.peer.local_description().unwrap());
    let b_before = ufrag(&world.b.peer.local_description().unwrap());
    let selections_before = count_selections(&world.a.events);

    let now = world.now;
    world.a.peer.restart_ice(now).unwrap();
    world.a.events.clear();
    world.b.events.clear();
    world.offer();
    // Messages keep flowing while the agents restart.
    for i in 0..20u8 {
        let now = world.now;
        world
            .a
            .peer
            .send(now, channel, Message::binary(vec![i; 100]))
            .unwrap();
        world.run_for(Duration::from_millis(50));
    }
    assert!(
        world.run_until(Duration::from_secs(10), |w| count_selections(&w.a.events)
            > 0
            && count_selections(&w.b.events) > 0),
        "no pair selected after the restart"
    );
    let a_after = ufrag(&world.a.peer.local_description().unwrap());
    let b_after = ufrag(&world.b.peer.local_description().unwrap());
    assert_ne!(a_before, a_after, "the offerer's credentials changed");
    assert_ne!(
        b_before, b_after,
        "the answerer's credentials changed (RFC 8839 §4.4.1.1)"
    );
    let got: Vec<_> = world.b.messages(remote).into_iter().cloned().collect();
    assert_eq!(
        got.len(),
        20,
        "every message sent during the restart arrived"
    );
    let now = world.now;
    world
        .b
        .peer
        .send(now, remote, Message::text("after"))
        .unwrap();
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.a.messages(channel).contains(&&Message::text("after"))
    }));
    println!(
        "ICE restart: ufrag {a_before} -> {a_after} (A), {b_before} -> {b_after} (B); \
         {selections_before} selection(s) before, a new pair selected after"
    );
}

fn count_selections(events: &[(std::time::Instant, Event)]) -> usize {
    events
        .iter()
        .filter(|(_, e)| matches!(e, Event::SelectedCandidatePair(_)))
        .count()
}
