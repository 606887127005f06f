//! 100 MiB through one reliable ordered channel under 5 % loss, reordering and duplication
//! arrives byte-exact (SHA-256 of both streams compared).

mod support;

use std::time::Duration;

use rtcweb_datachannel::{ChannelOptions, Config, Event, Message};
use rtcweb_test_support::lossy;
use sha2::{Digest, Sha256};
use support::Pair;

const TOTAL: usize = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

#[test]
fn hundred_mebibytes_arrive_byte_exact_through_loss() {
    let mut p = Pair::new(3, lossy(0.05), Config::default());
    p.connect();
    let now = p.now;
    let id =
        p.a.dc
            .open_channel(now, ChannelOptions::new("bulk"))
            .unwrap();
    assert!(p.run_until(Duration::from_secs(10), |p| {
        p.a.saw(&Event::ChannelOpen { id })
    }));

    let start = p.now;
    let mut sent = 0usize;
    let mut counter = 0u64;
    let mut sent_hash = Sha256::new();
    let mut received = 0usize;
    let mut received_hash = Sha256::new();
    let limit = p.now + Duration::from_secs(3600);
    while received < TOTAL {
        // Keep about 1 MiB queued, as an application honouring bufferedAmount would.
        while sent < TOTAL && p.a.dc.buffered_amount(id) < 1024 * 1024 {
            let chunk: Vec<u8> = (0..CHUNK / 8)
                .flat_map(|_| {
                    counter += 1;
                    counter.to_le_bytes()
                })
                .collect();
            sent_hash.update(&chunk);
            let now = p.now;
            p.a.dc.send(now, id, Message::binary(chunk)).unwrap();
            sent += CHUNK;
        }
        p.step(limit);
        for m in p.b.take_messages(id) {
            received += m.data.len();
            received_hash.update(&m.data);
        }
        assert!(p.now < limit, "stalled at {received} bytes");
    }
    assert_eq!(received, TOTAL);
    assert_eq!(sent_hash.finalize(), received_hash.finalize());
    let stats = p.net.stats();
    assert!(stats.lost > 1000, "{stats:?}");
    assert!(stats.duplicated > 0);
    println!(
        "100 MiB in {:?} of simulated time; {} datagrams lost, {} duplicated",
        p.now - start,
        stats.lost,
        stats.duplicated
    );
}
