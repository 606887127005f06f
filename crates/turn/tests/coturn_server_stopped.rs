//! The server stops mid-allocation: the client reports failure after its retransmissions.
#![allow(clippy::disallowed_methods)] // a real coturn on real sockets runs on the wall clock

mod support;

use std::time::Instant;

use rtcweb_common::Transport;
use rtcweb_turn::{Event, TurnError};
use support::{Coturn, Driver};

#[test]
fn refresh_to_a_dead_server_times_out() {
    let mut coturn = Coturn::start();
    let server = coturn.udp_addr();
    let mut d = Driver::connect(coturn.config(Transport::Udp));
    d.allocate();
    coturn.stop();

    // Drive the client in simulated time from here: the socket is real, the server is gone,
    // and the RFC 8489 schedule (7 requests, 39.5 s) runs without waiting for it.
    let mut now = Instant::now();
    d.client.refresh(now).unwrap();
    let mut sent = 0;
    let failed = loop {
        while d.client.poll_transmit().is_some() {
            sent += 1;
        }
        if let Some(e) = d.client.poll_event() {
            break e;
        }
        now = d.client.poll_timeout().expect("a refresh is pending");
        d.client.handle_timeout(now);
    };
    assert_eq!(failed, Event::Failed(TurnError::Timeout { server }));
    assert_eq!(sent, 7, "Rc = 7 Refresh requests");
    assert!(!d.client.is_allocated());
}
