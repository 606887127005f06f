//! What the unit tests of the connection's state machines share: seeded configurations
//! that accept each other, and draining a connection's datagrams and events.

use std::time::Instant;

use super::Connection;
use crate::certificate::{Certificate, HashAlgorithm};
use crate::config::{Config, Versions};
use crate::event::Event;

/// An arbitrary epoch; time then advances virtually.
pub(crate) fn start() -> Instant {
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

/// Client and server configurations that accept each other, seeded, for `versions`; the
/// server signs with the key `server_key` gives its certificate.
pub(crate) fn configs_with(
    versions: Versions,
    server_key: impl Fn(&Certificate) -> Certificate,
) -> (Config, Config) {
    let c = Certificate::generate().unwrap();
    let s = Certificate::generate().unwrap();
    let mut client = Config::new(c.clone(), vec![s.fingerprint(HashAlgorithm::Sha256)]);
    let mut server = Config::new(server_key(&s), vec![c.fingerprint(HashAlgorithm::Sha256)]);
    client.seed = Some(1);
    server.seed = Some(2);
    client.versions = versions;
    server.versions = versions;
    (client, server)
}

/// The datagrams the connection has to send.
pub(crate) fn drain(conn: &mut Connection) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while conn.poll_transmit_into(&mut buf) {
        out.push(std::mem::take(&mut buf));
    }
    out
}

/// The connection's events.
pub(crate) fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}
