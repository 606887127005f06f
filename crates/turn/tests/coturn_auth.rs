//! Against a real coturn: a wrong password is an authentication error and nothing is relayed.
#![allow(clippy::disallowed_methods)] // a real coturn on real sockets runs on the wall clock

mod support;

use std::time::{Duration, Instant};

use rtcweb_common::Transport;
use rtcweb_turn::{Event, TurnError};
use support::{Coturn, Driver, EchoPeer};

#[test]
fn wrong_password_fails_and_relays_nothing() {
    let coturn = Coturn::start();
    let peer = EchoPeer::start("127.0.0.1");
    for transport in [Transport::Udp, Transport::Tcp, Transport::Tls] {
        let mut config = coturn.config(transport);
        config.password = "not-the-password".to_owned();
        let mut d = Driver::connect(config);
        d.client.allocate(Instant::now()).unwrap();
        assert!(d.run_until(Duration::from_secs(10), |e| matches!(e, Event::Failed(_))));
        assert_eq!(
            d.events.last(),
            Some(&Event::Failed(TurnError::Unauthenticated)),
            "{transport}"
        );
        assert!(d.client.relayed_address().is_none());
        assert_eq!(d.send_to(peer.addr, b"x"), Err(TurnError::NotAllocated));
        assert_eq!(
            d.client.create_permission(Instant::now(), peer.addr.ip()),
            Err(TurnError::NotAllocated)
        );
    }
    assert_eq!(peer.received.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn wrong_username_fails() {
    let coturn = Coturn::start();
    let mut config = coturn.config(Transport::Udp);
    config.username = "mallory".to_owned();
    let mut d = Driver::connect(config);
    d.client.allocate(Instant::now()).unwrap();
    assert!(d.run_until(Duration::from_secs(10), |e| matches!(e, Event::Failed(_))));
    assert_eq!(
        d.events.last(),
        Some(&Event::Failed(TurnError::Unauthenticated))
    );
}
