//! SPED (draft-hancke-webrtc-sped) with DTLS 1.3 on a clean path: the offerer's DTLS
//! server sends its flight once (in checks and responses, DTLS-IN-STUN, and on its own when
//! ICE selects its pair) and never again: no retransmission, as nothing was lost, and
//! nothing of it once the client's Finished has acknowledged it implicitly (RFC 9147
//! §7.2). Issue 24: the answerer spent time on the connect's critical path on duplicates.
//!
//! What happened before: the answerer's ClientHello, which had come in a check, came again
//! on its own when the answerer's pair was selected; the server took the copy for a
//! retransmission and retransmitted its whole flight, in checks and on its own, and the
//! client, connected by then, got it after its handshake.
#![allow(clippy::disallowed_methods)] // the simulation's epoch

mod support;

use std::collections::HashSet;
use std::time::Duration;

use rtcweb_common::PacketKind;
use rtcweb_dtls::ProtocolVersion;
use rtcweb_ice::DTLS_IN_STUN;
use rtcweb_netsim::LinkConfig;
use rtcweb_peer::{Config, DataChannelInit, DtlsState, Event};
use support::World;

/// What the offerer sent of its handshake besides its first flight: (datagrams, bytes).
#[derive(Debug, Default, PartialEq, Eq)]
struct Resent {
    /// DTLS datagrams other than the first flight's before its DTLS connected (attached or
    /// not): a retransmitted flight.
    retransmitted: (usize, usize),
    /// Attached to checks and responses (DTLS-IN-STUN).
    attached: (usize, usize),
    /// On their own.
    plain: (usize, usize),
}

/// The DTLS datagram a sent datagram carries, and whether it rode in STUN: the datagram
/// itself when it is DTLS, the DTLS-IN-STUN value of a STUN message.
fn dtls_in(datagram: &[u8]) -> Option<(bool, &[u8])> {
    match PacketKind::of(datagram) {
        PacketKind::Dtls => Some((false, datagram)),
        PacketKind::Stun => rtcweb_stun::raw_attribute(datagram, DTLS_IN_STUN)
            .filter(|d| !d.is_empty())
            .map(|d| (true, d)),
        _ => None,
    }
}

/// Connects A (offerer, ICE-controlling, DTLS server) and B with SPED and SNAP over
/// `link`, runs on for two seconds (past every retransmission timer of the handshake),
/// and counts what A sent of its handshake besides its first flight (the DTLS datagrams of
/// the first moment it sent any): other handshake datagrams before its DTLS connected, and
/// anything it had sent before after the datagram that connected it. Each datagram's
/// output is taken on its own, so what A sent in answer to the datagram that completed its
/// handshake counts as after.
fn resent_after_connected(seed: u64, link: LinkConfig) -> Resent {
    let mut w = World::with_configs(seed, link, &Config::default(), &Config::default());
    w.a.record_sent = true;
    w.flush_each_delivery = true;
    let now = w.now;
    let channel =
        w.a.peer
            .create_data_channel(now, "first", DataChannelInit::default())
            .unwrap();
    w.offer();
    assert!(w.run_until(Duration::from_secs(10), |w| {
        w.a.saw(&Event::DataChannelOpen { channel }) && w.b.incoming_channel().is_some()
    }));
    w.run_for(Duration::from_secs(2));
    assert!(w.a.peer.sped_used() && w.b.peer.sped_used());
    assert_eq!(w.a.peer.dtls_version(), Some(ProtocolVersion::DTLS_1_3));
    let connected =
        w.a.marks
            .iter()
            .find(|(_, e)| *e == Event::DtlsState(DtlsState::Connected))
            .map(|(mark, _)| *mark)
            .expect("A's DTLS connected");
    let (before, after) = w.a.sent.split_at(connected);
    let first_at = before
        .iter()
        .find(|(_, d)| dtls_in(d).is_some())
        .map(|(t, _)| *t)
        .expect("A sent its flight before it connected");
    let first: HashSet<&[u8]> = before
        .iter()
        .filter(|(t, _)| *t == first_at)
        .filter_map(|(_, d)| dtls_in(d).map(|(_, dtls)| dtls))
        .collect();
    let before: HashSet<&[u8]> = before
        .iter()
        .filter_map(|(_, d)| dtls_in(d).map(|(_, dtls)| dtls))
        .collect();
    let mut resent = Resent::default();
    for dtls in before.difference(&first) {
        resent.retransmitted.0 += 1;
        resent.retransmitted.1 += dtls.len();
    }
    for (_, datagram) in after {
        if let Some((attached, dtls)) = dtls_in(datagram)
            && before.contains(dtls)
        {
            let count = if attached {
                &mut resent.attached
            } else {
                &mut resent.plain
            };
            count.0 += 1;
            count.1 += dtls.len();
        }
    }
    resent
}

#[test]
fn the_servers_flight_is_not_sent_again_once_connected() {
    // The connect_rtts path (12.5 ms on each access link), and one about as fast as
    // loopback.
    let mut failed = Vec::new();
    for (name, link) in [
        (
            "50 ms round trip",
            LinkConfig::with_delay(Duration::from_micros(12_500)),
        ),
        (
            "100 us round trip",
            LinkConfig::with_delay(Duration::from_micros(25)),
        ),
    ] {
        let resent: Vec<Resent> = (0..5)
            .map(|seed| resent_after_connected(seed, link))
            .collect();
        println!("{name}, seeds 0..5, sent besides the first flight: {resent:?}");
        if resent.iter().any(|r| *r != Resent::default()) {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "the flight was sent again: {failed:?}");
}
