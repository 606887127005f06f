//! Messages of 0 B, 1 B, 1199 B, 64 KiB and 256 KiB, text and binary, both ways, over a
//! lossy link; the peer's maximum message size is enforced on send.

mod support;

use std::time::Duration;

use rtcweb_datachannel::{ChannelOptions, Config, Event, Message, SendError};
use rtcweb_test_support::lossy;
use support::Pair;

const SIZES: [usize; 5] = [0, 1, 1199, 64 * 1024, 256 * 1024];

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn every_size_arrives_intact_both_ways() {
    let config = Config {
        remote_max_message_size: 256 * 1024,
        ..Config::default()
    };
    let mut p = Pair::new(1, lossy(0.02), config);
    p.connect();
    let now = p.now;
    let id =
        p.a.dc
            .open_channel(now, ChannelOptions::new("sizes"))
            .unwrap();
    // Open at A as its DATA_CHANNEL_OPEN leaves; B has it when that arrives.
    assert!(p.run_until(Duration::from_secs(10), |p| {
        p.a.saw(&Event::ChannelOpen { id })
            && p.b
                .events
                .iter()
                .any(|e| matches!(e, Event::IncomingChannel(c) if c.id == id))
    }));
    let mut expected = Vec::new();
    for (i, len) in SIZES.iter().enumerate() {
        let text = Message::text(String::from_utf8(vec![b'a' + i as u8; *len]).unwrap());
        let binary = Message::binary(payload(*len, i as u8));
        expected.push(text.clone());
        expected.push(binary.clone());
        let now = p.now;
        p.a.dc.send(now, id, text.clone()).unwrap();
        p.a.dc.send(now, id, binary.clone()).unwrap();
        p.b.dc.send(now, id, text).unwrap();
        p.b.dc.send(now, id, binary).unwrap();
    }
    let n = expected.len();
    assert!(
        p.run_until(Duration::from_secs(60), |p| p.a.messages(id).len() == n
            && p.b.messages(id).len() == n)
    );
    let got_b: Vec<Message> = p.b.messages(id).into_iter().cloned().collect();
    let got_a: Vec<Message> = p.a.messages(id).into_iter().cloned().collect();
    assert_eq!(got_b, expected);
    assert_eq!(got_a, expected);
    assert!(p.net.stats().lost > 0);

    // One byte more than the peer accepts is refused before anything is sent.
    let too_big = Message::binary(vec![0u8; 256 * 1024 + 1]);
    let now = p.now;
    assert_eq!(
        p.a.dc.send(now, id, too_big),
        Err(SendError::TooLarge {
            len: 256 * 1024 + 1,
            limit: 256 * 1024
        })
    );
}

#[test]
fn messages_larger_than_ours_are_dropped_and_counted() {
    // B accepts at most 1 KiB; A was told 64 KiB (a lying or misconfigured peer).
    let mut p = Pair::new(2, lossy(0.0), Config::default());
    p.b = {
        let now = p.now;
        let host = p.b.host;
        let addr = p.b.addr;
        support::End {
            dc: rtcweb_datachannel::DataChannels::new(
                Config {
                    role: rtcweb_datachannel::DtlsRole::Server,
                    local_max_message_size: 1024,
                    ..Config::default()
                },
                now,
            ),
            host,
            addr,
            events: Vec::new(),
        }
    };
    p.connect();
    let now = p.now;
    let id = p.a.dc.open_channel(now, ChannelOptions::new("x")).unwrap();
    p.run_for(Duration::from_secs(1));
    let now = p.now;
    p.a.dc
        .send(now, id, Message::binary(vec![1u8; 2000]))
        .unwrap();
    p.a.dc
        .send(now, id, Message::binary(vec![2u8; 100]))
        .unwrap();
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.b.messages(id), vec![&Message::binary(vec![2u8; 100])]);
    assert_eq!(p.b.dc.stats().too_large_dropped, 1);
}
