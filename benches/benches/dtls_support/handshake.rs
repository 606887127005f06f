//! A full rtcweb-dtls handshake in memory, shared by the DTLS and peer benchmarks.

use std::time::Instant;

use rtcweb_dtls::{Config, Connection, Event};

/// Drains the events; true once connected.
fn connected(c: &mut Connection) -> bool {
    let mut yes = false;
    while let Some(e) = c.poll_event() {
        match e {
            Event::Connected(_) => yes = true,
            Event::Failed(e) => panic!("handshake failed: {e}"),
            _ => {}
        }
    }
    yes
}

/// A full rtcweb handshake; returns the connected pair (client, server).
pub(crate) fn rtcweb_handshake(now: Instant, c: &Config, s: &Config) -> (Connection, Connection) {
    let mut client = Connection::client(now, c.clone()).unwrap();
    let mut server = Connection::server(now, s.clone()).unwrap();
    let (mut c_done, mut s_done) = (false, false);
    let mut d = Vec::new();
    let mut idle = 0;
    while !(c_done && s_done) {
        let mut moved = false;
        while client.poll_transmit_into(&mut d) {
            server.handle_datagram(now, &d);
            moved = true;
        }
        while server.poll_transmit_into(&mut d) {
            client.handle_datagram(now, &d);
            moved = true;
        }
        c_done |= connected(&mut client);
        s_done |= connected(&mut server);
        if !moved {
            // Work due at once (a 1.3 server's flight after its ServerHello, a client's
            // check of the server's signature): the time does not move.
            idle += 1;
            assert!(idle < 100, "the handshake stalled");
            client.handle_timeout(now);
            server.handle_timeout(now);
        } else {
            idle = 0;
        }
    }
    (client, server)
}
