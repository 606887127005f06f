//! Against a real coturn: data from a peer without a permission is not delivered, while a
//! permitted peer's data is.
#![allow(clippy::disallowed_methods)] // a real coturn on real sockets runs on the wall clock

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use rtcweb_common::Transport;
use rtcweb_turn::{Event, TurnError};
use support::{Coturn, Driver, EchoPeer};

#[test]
fn only_permitted_peers_get_through() {
    let coturn = Coturn::start();
    let permitted = EchoPeer::start("127.0.0.1");
    let mut d = Driver::connect(coturn.config(Transport::Udp));
    let relayed = d.allocate();

    // Nothing goes to a peer without a permission: refused locally.
    let stranger = UdpSocket::bind("127.0.0.2:0").unwrap();
    let stranger_addr = stranger.local_addr().unwrap();
    assert_eq!(
        d.send_to(stranger_addr, b"hi"),
        Err(TurnError::NoPermission(stranger_addr.ip()))
    );

    d.client
        .create_permission(Instant::now(), permitted.addr.ip())
        .unwrap();
    assert!(d.run_until(Duration::from_secs(5), |e| matches!(
        e,
        Event::PermissionCreated { .. }
    )));

    // A peer on 127.0.0.2 (no permission) sends to the relayed address; then the permitted
    // peer's echo arrives. Only the latter is delivered.
    for _ in 0..5 {
        stranger.send_to(b"unsolicited", relayed).unwrap();
    }
    d.send_to(permitted.addr, b"ping").unwrap();
    assert!(d.run_until_data(Duration::from_secs(5), |_, _| true));
    d.run_until(Duration::from_millis(500), |_| false);
    assert!(d.data_from(stranger_addr).is_empty());
    assert_eq!(d.data_from(permitted.addr), vec![b"echo:ping".to_vec()]);
}
