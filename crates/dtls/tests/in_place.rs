//! The allocation-free receive path: `handle_datagram_in_place` decrypts application data
//! where it lies in the caller's buffer and reports plaintext ranges, with the same replay,
//! tamper and alert handling as `handle_datagram`.

mod support;
use support::NextDatagram;

use std::time::Duration;

use rtcweb_dtls::Event;
use support::{LinkConfig, Pair, configs12, data};

#[test]
fn records_are_opened_in_the_callers_buffer() {
    let (c, s) = configs12();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 21);
    p.handshake(Duration::from_secs(5));
    let now = p.now;

    // Two records in one datagram, and a third alone.
    let mut datagram = Vec::new();
    p.client.send_into(p.now, b"first", &mut datagram).unwrap();
    p.client
        .send_into(p.now, b"second record", &mut datagram)
        .unwrap();
    let mut third = Vec::new();
    p.client.send_into(p.now, &[7; 1200], &mut third).unwrap();
    let replay = datagram.clone();
    let before = p.server.stats();

    let mut ranges = Vec::new();
    p.server
        .handle_datagram_in_place(now, &mut datagram, &mut ranges);
    assert_eq!(ranges.len(), 2);
    assert_eq!(&datagram[ranges[0].clone()], b"first");
    assert_eq!(&datagram[ranges[1].clone()], b"second record");
    ranges.clear();
    p.server
        .handle_datagram_in_place(now, &mut third, &mut ranges);
    assert_eq!(&third[ranges[0].clone()], &[7; 1200][..]);

    // Replayed: dropped and counted, no range.
    let mut again = replay.clone();
    ranges.clear();
    p.server
        .handle_datagram_in_place(now, &mut again, &mut ranges);
    assert!(ranges.is_empty());
    // Tampered: dropped and counted.
    let mut tampered = Vec::new();
    p.client
        .send_into(p.now, b"tamper me", &mut tampered)
        .unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x80;
    p.server
        .handle_datagram_in_place(now, &mut tampered, &mut ranges);
    assert!(ranges.is_empty());

    let after = p.server.stats();
    assert_eq!(after.records_replayed - before.records_replayed, 2);
    assert_eq!(after.records_bad_mac - before.records_bad_mac, 1);
    assert_eq!(
        after.application_records_received - before.application_records_received,
        3
    );
    // Nothing went through events.
    p.drain();
    assert!(data(&p.server_events).is_empty());
    assert!(p.server.is_connected());

    // Alerts still work: close_notify closes, and is answered.
    p.client.close(p.now);
    let mut close = p.client.next_datagram().unwrap();
    p.server
        .handle_datagram_in_place(now, &mut close, &mut ranges);
    assert!(ranges.is_empty());
    assert_eq!(p.server.poll_event(), Some(Event::Closed));
    assert!(p.server.next_datagram().is_some(), "our close_notify");
    assert!(p.server.is_closed());
}

#[test]
fn the_handshake_also_runs_through_the_in_place_path() {
    let (c, s) = configs12();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 22);
    // Drive by hand: every datagram to the server goes through the in-place entry point.
    let now = p.now;
    let mut ranges = Vec::new();
    for _ in 0..10 {
        while let Some(mut d) = p.client.next_datagram() {
            p.server.handle_datagram_in_place(now, &mut d, &mut ranges);
        }
        while let Some(d) = p.server.next_datagram() {
            p.client.handle_datagram(now, &d);
        }
    }
    assert!(p.client.is_connected() && p.server.is_connected());
    assert!(ranges.is_empty());
    p.client.send(p.now, b"after").unwrap();
    let mut d = p.client.next_datagram().unwrap();
    p.server.handle_datagram_in_place(now, &mut d, &mut ranges);
    assert_eq!(&d[ranges[0].clone()], b"after");
}
