//! Against a real coturn: allocate over UDP, TCP and TLS, and relay data to a loopback UDP
//! peer and back, first with Send/Data indications, then with ChannelData.
#![allow(clippy::disallowed_methods)] // a real coturn on real sockets runs on the wall clock

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::Transport;
use rtcweb_turn::{Event, PasswordAlgorithm, TlsConfig};
use support::{Coturn, Driver, EchoPeer};

fn relay_both_ways(coturn: &Coturn, transport: Transport, tls: Option<TlsConfig>) {
    let peer = EchoPeer::start("127.0.0.1");
    let mut config = coturn.config(transport);
    if tls.is_some() {
        config.tls = tls;
    }
    let mut d = Driver::connect(config);
    let relayed = d.allocate();
    assert_eq!(relayed.ip(), peer.addr.ip(), "coturn relays on 127.0.0.1");
    assert!(d.client.mapped_address().is_some());
    // coturn's nonce has no RFC 8489 §9.2 cookie: the MD5 key and MESSAGE-INTEGRITY, as
    // before (no installable TURN server offers PASSWORD-ALGORITHMS or USERHASH).
    assert_eq!(d.client.password_algorithm(), Some(PasswordAlgorithm::Md5));

    // Send/Data indications need a permission first.
    d.client
        .create_permission(Instant::now(), peer.addr.ip())
        .unwrap();
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(
        e,
        Event::PermissionCreated { .. }
    )));
    d.send_to(peer.addr, b"via indication").unwrap();
    assert!(
        d.run_until_data(Duration::from_secs(5), |_, _| true),
        "no Data indication back ({transport})"
    );
    assert_eq!(
        d.data_from(peer.addr),
        vec![b"echo:via indication".to_vec()]
    );

    // Then a channel: 4-byte ChannelData headers both ways.
    d.client.bind_channel(Instant::now(), peer.addr).unwrap();
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(
        e,
        Event::ChannelBound { .. }
    )));
    let channel = d.client.channel(Instant::now(), peer.addr).unwrap();
    assert!((0x4000..=0x4FFF).contains(&channel));
    for i in 0..20u8 {
        // Sizes that exercise the 4-byte padding on streams.
        let msg = vec![i; 1 + usize::from(i) * 37];
        d.send_to(peer.addr, &msg).unwrap();
    }
    let mut echoed = 1; // the indication's echo is already in
    assert!(
        d.run_until_data(Duration::from_secs(5), |_, _| {
            echoed += 1;
            echoed == 21
        }),
        "{transport}: not every ChannelData message came back"
    );
    let got = d.data_from(peer.addr);
    assert_eq!(got.len(), 21, "{transport}: every message echoed");
    for i in 0..20u8 {
        let mut expected = b"echo:".to_vec();
        expected.extend(vec![i; 1 + usize::from(i) * 37]);
        assert!(got.contains(&expected), "{transport}: message {i} missing");
    }
    assert_eq!(d.client.stats().dropped_malformed, 0);

    d.client.close(Instant::now());
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(e, Event::Closed)));
}

#[test]
fn udp() {
    let coturn = Coturn::start();
    relay_both_ways(&coturn, Transport::Udp, None);
}

#[test]
fn tcp() {
    let coturn = Coturn::start();
    relay_both_ways(&coturn, Transport::Tcp, None);
}

#[test]
fn tls_verified_against_roots() {
    let coturn = Coturn::start();
    relay_both_ways(&coturn, Transport::Tls, None);
}

#[test]
fn tls_with_pinned_certificate() {
    let coturn = Coturn::start();
    let tls = coturn.tls_pinned();
    relay_both_ways(&coturn, Transport::Tls, Some(tls));
}

#[test]
fn tls_refuses_an_unknown_certificate() {
    let coturn = Coturn::start();
    // Pin another certificate: the handshake must fail and nothing be allocated.
    let other = support::Certs::generate();
    let mut config = coturn.config(Transport::Tls);
    config.tls = Some(
        TlsConfig::new(
            "turn.example".try_into().unwrap(),
            rtcweb_turn::ServerVerification::Pinned(other.server_der),
            std::sync::Arc::new(rtcweb_turn::rustls::time_provider::DefaultTimeProvider),
        )
        .unwrap(),
    );
    let mut d = Driver::connect(config);
    d.client.allocate(Instant::now()).unwrap();
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(e, Event::Failed(_))));
    assert!(
        matches!(
            d.events.last(),
            Some(Event::Failed(rtcweb_turn::TurnError::Tls(_)))
        ),
        "{:?}",
        d.events
    );
    assert!(d.client.relayed_address().is_none());
    let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
    assert!(d.send_to(peer, b"x").is_err());
}
