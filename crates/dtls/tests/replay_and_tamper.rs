//! After the handshake, replayed and tampered records are dropped and counted; the data is
//! delivered once.

mod support;
use support::NextDatagram;

use std::time::Duration;

use support::{LinkConfig, Pair, configs12, data};

#[test]
fn replayed_and_tampered_records_are_dropped_and_counted() {
    let (c, s) = configs12();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 5);
    p.handshake(Duration::from_secs(5));
    let now = p.now;

    p.client.send(p.now, b"once").unwrap();
    let record = p.client.next_datagram().unwrap();
    let before = p.server.stats();
    p.server.handle_datagram(now, &record);
    p.server.handle_datagram(now, &record);

    // A fresh record, tampered on the way: it does not authenticate.
    p.client.send(p.now, b"tamper me").unwrap();
    let mut tampered = p.client.next_datagram().unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    p.server.handle_datagram(now, &tampered);
    // A tampered header (another sequence number) does not authenticate either.
    let mut renumbered = record.clone();
    renumbered[10] ^= 0x40;
    p.server.handle_datagram(now, &renumbered);
    // Garbage and truncation.
    p.server.handle_datagram(now, &record[..20]);
    p.server.handle_datagram(now, &[23, 0xfe, 0xfd]);

    let after = p.server.stats();
    assert_eq!(after.records_replayed - before.records_replayed, 1);
    assert_eq!(after.records_bad_mac - before.records_bad_mac, 2);
    assert_eq!(after.records_malformed - before.records_malformed, 2);
    assert_eq!(
        after.application_records_received - before.application_records_received,
        1
    );
    p.drain();
    assert_eq!(data(&p.server_events), [b"once".to_vec()]);
    assert!(
        p.server.is_connected(),
        "bad records do not hurt the connection"
    );

    // Records arriving out of order within the window are all delivered once.
    let mut records = Vec::new();
    for i in 0..10u8 {
        p.client.send(p.now, &[i]).unwrap();
        records.push(p.client.next_datagram().unwrap());
    }
    for r in records.iter().rev().chain(records.iter()) {
        p.server.handle_datagram(now, r);
    }
    p.drain();
    let got = data(&p.server_events);
    assert_eq!(got.len(), 11);
    assert_eq!(
        p.server.stats().records_replayed - after.records_replayed,
        10
    );
}

#[test]
fn a_tampering_path_during_the_handshake_cannot_complete_it() {
    let (mut c, mut s) = configs12();
    c.max_retransmissions = 3;
    s.max_retransmissions = 3;
    c.initial_retransmit = Duration::from_millis(50);
    s.initial_retransmit = Duration::from_millis(50);
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 6);
    // Flip a byte inside every epoch-1 record from the client (its Finished).
    p.client_to_server = Some(Box::new(|d: &mut Vec<u8>| {
        let mut at = 0;
        while at + 13 <= d.len() {
            let len = usize::from(u16::from_be_bytes([d[at + 11], d[at + 12]]));
            if d[at + 4] == 1 && len > 0 && at + 13 + len <= d.len() {
                d[at + 13 + len - 1] ^= 0xff;
            }
            at += 13 + len;
        }
        true
    }));
    p.run_until(Duration::from_secs(30), |p| {
        !p.client_events.is_empty() && !p.server_events.is_empty()
    });
    assert!(support::connected(&p.server_events).is_none());
    assert!(p.server.stats().records_bad_mac >= 1);
}
