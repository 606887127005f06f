//! Against a real coturn: a Refresh keeps the allocation, and close deletes it.
#![allow(clippy::disallowed_methods)] // a real coturn on real sockets runs on the wall clock

mod support;

use std::time::{Duration, Instant};

use rtcweb_common::Transport;
use rtcweb_turn::Event;
use support::{Coturn, Driver, EchoPeer};

#[test]
fn refresh_then_close() {
    let coturn = Coturn::start();
    let peer = EchoPeer::start("127.0.0.1");
    let mut config = coturn.config(Transport::Udp);
    config.lifetime = Duration::from_secs(300);
    let mut d = Driver::connect(config);
    d.allocate();
    // coturn grants at least its default lifetime (600 s) whatever is asked below that.
    let granted = match d.events.last() {
        Some(Event::Allocated { lifetime, .. }) => *lifetime,
        other => panic!("{other:?}"),
    };
    assert!(granted >= Duration::from_secs(300) && granted <= Duration::from_secs(3600));
    d.client.refresh(Instant::now()).unwrap();
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(
        e,
        Event::Refreshed { .. }
    )));
    assert!(matches!(d.events.last(), Some(Event::Refreshed { lifetime }) if *lifetime == granted));

    // Still usable after the refresh.
    d.client
        .create_permission(Instant::now(), peer.addr.ip())
        .unwrap();
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(
        e,
        Event::PermissionCreated { .. }
    )));
    d.send_to(peer.addr, b"after refresh").unwrap();
    assert!(d.run_until_data(Duration::from_secs(5), |_, _| true));

    // Close: Refresh with LIFETIME 0, then the allocation is gone on the server, so a new
    // Refresh on the same 5-tuple is refused with 437.
    d.client.close(Instant::now());
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(e, Event::Closed)));
    assert!(!d.client.is_allocated());
    assert!(d.send_to(peer.addr, b"after close").is_err());
}
