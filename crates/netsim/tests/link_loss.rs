//! Access-link loss: about the configured share of packets is lost, the exact count is fixed
//! by the seed, and every packet is accounted for.

mod support;

use rtcweb_netsim::{LinkConfig, Network};
use support::{addr, drain, epoch, ip, settle};

const PACKETS: u64 = 10_000;

/// Sends `PACKETS` datagrams over links with this loss (sender's and receiver's).
fn run(seed: u64, sender_loss: f64, receiver_loss: f64) -> (u64, Network) {
    let mut net = Network::new(seed, epoch());
    let a = net.add_host(ip("198.51.100.1"), None);
    let b = net.add_host(ip("198.51.100.2"), None);
    net.set_link(
        a,
        LinkConfig {
            loss: sender_loss,
            ..LinkConfig::default()
        },
    );
    net.set_link(
        b,
        LinkConfig {
            loss: receiver_loss,
            ..LinkConfig::default()
        },
    );
    for i in 0..PACKETS {
        net.send(
            a,
            addr("198.51.100.1:1"),
            addr("198.51.100.2:2"),
            i.to_be_bytes().to_vec(),
        );
    }
    settle(&mut net);
    let got = drain(&mut net, b).len() as u64;
    (got, net)
}

#[test]
fn loss_rate_is_roughly_as_configured_and_fixed_by_the_seed() {
    let (got, net) = run(42, 0.1, 0.0);
    let stats = net.stats();
    assert_eq!(stats.sent, PACKETS);
    assert_eq!(stats.delivered, got);
    assert_eq!(stats.lost + got, PACKETS);
    assert!((900..=1100).contains(&stats.lost), "lost {}", stats.lost);
    // Same seed, same count.
    assert_eq!(run(42, 0.1, 0.0).0, got);
    assert_eq!(got, 8_975);
}

#[test]
fn loss_on_both_links_compounds() {
    // 1 - 0.9 * 0.8 = 28 % lost.
    let (got, net) = run(7, 0.1, 0.2);
    assert_eq!(net.stats().lost + got, PACKETS);
    assert!((6_950..=7_450).contains(&got), "got {got}");
}

#[test]
fn lossless_links_lose_nothing() {
    let (got, net) = run(7, 0.0, 0.0);
    assert_eq!(got, PACKETS);
    assert_eq!(net.stats().lost, 0);
}
