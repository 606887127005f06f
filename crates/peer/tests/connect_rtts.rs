//! Time to a usable connection, in round trips, in simulated time (issue 24): from the
//! answer reaching the offerer to the first message on a new data channel reaching the
//! answerer, with 50 ms on each access link (a 100 ms round trip) and signalling that
//! takes 30 ms. Classic WebRTC setup: ICE, then DTLS 1.2, then SCTP and DCEP.
//!
//! What the stack does to keep it short: the first check goes out when the answer comes;
//! both agents send on their best valid pair before a nomination (RFC 8445 §12.1), so the
//! DTLS client's ClientHello leaves as soon as its own check succeeded; the DTLS server
//! skips the cookie exchange (ICE has proved the address); the opener's channel is open
//! as its DATA_CHANNEL_OPEN leaves (RFC 8832 §6). Measured: 4.7 round trips on a clean
//! path (it was 7.5 before these changes). Issue 24 asks for at most 4 classic: the
//! remaining SCTP handshake's two round trips are what SNAP removes.
#![allow(clippy::disallowed_methods)] // the simulation's epoch

mod support;

use std::time::Duration;

use rtcweb_netsim::LinkConfig;
use rtcweb_peer::{DataChannelInit, Event, SignalingState};
use support::{World, test_message};

/// Both access links' one-way delay.
const ONE_WAY: Duration = Duration::from_millis(25);
/// The round trip: two access links each way.
const RTT: Duration = Duration::from_millis(100);

/// Round trips from the answer at the offerer to the first message at the answerer.
fn time_to_first_message(seed: u64, link: LinkConfig) -> f64 {
    let mut w = World::new(seed, link);
    let now = w.now;
    let channel =
        w.a.peer
            .create_data_channel(now, "first", DataChannelInit::default())
            .unwrap();
    w.offer();
    assert!(
        w.run_until(Duration::from_secs(5), |w| w.a.peer.signaling_state()
            == SignalingState::Stable)
    );
    let answered = w.now;
    assert!(w.run_until(Duration::from_secs(30), |w| {
        w.a.saw(&Event::DataChannelOpen { channel })
    }));
    let now = w.now;
    w.a.peer.send(now, channel, test_message(0, 1)).unwrap();
    assert!(w.run_until(Duration::from_secs(30), |w| {
        w.b.incoming_channel()
            .is_some_and(|(c, _)| !w.b.messages(c).is_empty())
    }));
    (w.now - answered).as_secs_f64() / RTT.as_secs_f64()
}

#[test]
fn classic_setup_takes_under_five_round_trips() {
    let clean: Vec<f64> = (0..5)
        .map(|seed| time_to_first_message(seed, LinkConfig::with_delay(ONE_WAY)))
        .collect();
    println!("clean path: {clean:.2?} round trips");
    for rtts in &clean {
        assert!(*rtts <= 4.75, "{rtts:.2} round trips");
    }
    let mut lossy: Vec<f64> = (0..40)
        .map(|seed| {
            time_to_first_message(
                seed,
                LinkConfig {
                    loss: 0.05,
                    ..LinkConfig::with_delay(ONE_WAY)
                },
            )
        })
        .collect();
    lossy.sort_by(f64::total_cmp);
    let (median, p95) = (lossy[lossy.len() / 2], lossy[lossy.len() * 95 / 100]);
    println!("5 % loss on each link, 40 seeds: median {median:.2}, p95 {p95:.2} round trips");
    assert!(median <= 10.0, "median {median:.2} round trips");
    assert!(p95 <= 20.0, "p95 {p95:.2} round trips");
}
