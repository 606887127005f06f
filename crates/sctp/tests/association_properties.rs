//! Property test: over links with random loss, duplication, reordering and delay, every
//! reliable message arrives exactly once and byte-exact; ordered ones in order.

mod support;

use std::time::Duration;

use proptest::prelude::*;
use rtcweb_netsim::LinkConfig;
use rtcweb_sctp::{Config, SendOptions};
use support::Pair;

fn body(stream: u16, i: u32, len: usize) -> Vec<u8> {
    let mut data: Vec<u8> = (0..len).map(|k| (k as u32 ^ i) as u8).collect();
    if len >= 6 {
        data[..2].copy_from_slice(&stream.to_be_bytes());
        data[2..6].copy_from_slice(&i.to_be_bytes());
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn reliable_messages_arrive_exactly_once(
        seed in any::<u64>(),
        loss in 0.0f64..0.12,
        delay_ms in 1u64..60,
        sizes in proptest::collection::vec((0u16..4, 6usize..20_000, any::<bool>()), 1..120),
    ) {
        let link = LinkConfig {
            delay: Duration::from_millis(delay_ms),
            jitter: Duration::from_millis(delay_ms / 3),
            loss,
            duplicate: loss / 2.0,
            reorder: loss,
        };
        let mut p = Pair::new(seed, link, Config { mtu: 1200, ..Config::default() });
        p.connect();
        let now = p.now;
        for (i, &(stream, len, unordered)) in sizes.iter().enumerate() {
            let options = SendOptions { unordered, ..SendOptions::default() };
            p.a.sctp.send(now, stream, 53, body(stream, i as u32, len), options).unwrap();
        }
        let n = sizes.len() as u64;
        prop_assert!(p.run_until(Duration::from_secs(600), |p| p.b.sctp.metrics().messages_received >= n));
        p.run_for(Duration::from_secs(2));
        let got = p.b.take_messages();
        prop_assert_eq!(got.len(), sizes.len());
        let mut seen = vec![false; sizes.len()];
        let mut last_ordered = [None::<u32>; 4];
        for m in got {
            let i = u32::from_be_bytes(m.data[2..6].try_into().unwrap());
            let (stream, len, unordered) = sizes[i as usize];
            prop_assert_eq!(m.stream, stream);
            prop_assert_eq!(m.unordered, unordered);
            prop_assert_eq!(&m.data, &body(stream, i, len));
            prop_assert!(!seen[i as usize], "message {} twice", i);
            seen[i as usize] = true;
            if !unordered {
                let last = &mut last_ordered[usize::from(stream)];
                prop_assert!(*last < Some(i), "stream {} out of order", stream);
                *last = Some(i);
            }
        }
    }
}
