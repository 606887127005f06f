//! The handshake completes over a link with 30 % loss, reordering and duplication, for many
//! seeds, both with and without cookies; flights are retransmitted with backoff.

mod support;
use support::NextDatagram;

use std::time::Duration;

use support::{LinkConfig, Pair, configs};

fn lossy_pair(seed: u64, cookies: bool) -> Pair {
    let (mut c, mut s) = configs();
    for cfg in [&mut c, &mut s] {
        cfg.initial_retransmit = Duration::from_millis(100);
        cfg.max_retransmit = Duration::from_secs(2);
        cfg.max_retransmissions = 20;
        cfg.cookies = cookies;
        // Small datagrams: more of them, more to lose and reorder.
        cfg.mtu = 400;
    }
    Pair::new(c, s, LinkConfig::lossy(0.3), seed)
}

#[test]
fn handshake_completes_with_30_percent_loss_reordering_and_duplication() {
    let mut retransmissions = 0;
    for seed in 0..40 {
        let mut p = lossy_pair(seed, seed % 2 == 0);
        let (client, server) = p.handshake(Duration::from_secs(120));
        assert_eq!(client.srtp, server.srtp, "seed {seed}");
        assert!(client.srtp.is_some());
        retransmissions += p.client.stats().retransmissions + p.server.stats().retransmissions;
    }
    assert!(
        retransmissions > 40,
        "loss must have forced retransmissions"
    );
}

#[test]
fn flights_back_off_exponentially_then_fail() {
    // DTLS 1.2: its ClientHello is one datagram (the 1.3 one with ML-KEM is two).
    let (mut c, _) = support::configs12();
    c.initial_retransmit = Duration::from_millis(100);
    c.max_retransmit = Duration::from_millis(800);
    c.max_retransmissions = 6;
    #[allow(clippy::disallowed_methods)]
    let start = std::time::Instant::now();
    let mut client = rtcweb_dtls::Connection::client(start, c).unwrap();
    let first = client.next_datagram().unwrap();
    let mut now = start;
    let mut gaps = Vec::new();
    while let Some(deadline) = client.poll_timeout() {
        gaps.push(deadline - now);
        now = deadline;
        // Early and repeated calls do nothing.
        client.handle_timeout(now - Duration::from_millis(1));
        assert!(client.next_datagram().is_none());
        client.handle_timeout(now);
        client.handle_timeout(now);
        if let Some(again) = client.next_datagram() {
            // The same ClientHello, in a new record.
            assert_eq!(again[13..], first[13..]);
            assert_ne!(again[5..11], first[5..11], "new record sequence number");
        }
    }
    let ms: Vec<u128> = gaps.iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [100, 200, 400, 800, 800, 800, 800]);
    assert!(matches!(
        client.poll_event(),
        Some(rtcweb_dtls::Event::Failed(rtcweb_dtls::Error::Timeout))
    ));
    assert!(client.is_closed());
}
