//! The client's check of the server's CertificateVerify, made once its own last flight is
//! handed out.
//!
//! The signature check is the costliest step of the client's turn (an ECDSA P-256
//! verification takes as long as the rest of it). RFC 8446 §4.4.3 has the recipient of a
//! CertificateVerify verify it, and says nothing of when against sending: so the client
//! answers the server's flight first (the server's Finished is checked before that, so the
//! transcript and keys are the server's) and verifies the signature right after, while the
//! flight is on its way and the server checks the client's own signature. Nothing of the
//! application goes either way before it passes: the connection stays handshaking (no
//! `Connected`, no keys exported, no data sent or handed out) and every later input is
//! taken only after the check. A bad signature fails the connection with a fatal alert,
//! as it would have before the flight. The server never defers: it authenticates the
//! client before it sends data.

use std::time::Instant;

use super::{Tls13, VERIFIED13};
use crate::crypto::peer_key::PeerKey;
use crate::error::Error;
use crate::wire::code_points::SignatureScheme;
use crate::wire::handshake::HandshakeType;

/// A peer's CertificateVerify: the signature and the content it must sign (RFC 8446
/// §4.4.3, over the transcript before it).
#[derive(Debug)]
pub(super) struct PeerSignature {
    scheme: SignatureScheme,
    signature: Vec<u8>,
    content: Vec<u8>,
}

impl PeerSignature {
    pub(super) fn new(scheme: SignatureScheme, signature: &[u8], content: Vec<u8>) -> Self {
        Self {
            scheme,
            signature: signature.to_vec(),
            content,
        }
    }

    /// Checks it with the key of the peer's certificate.
    pub(super) fn check(&self, key: Option<&PeerKey>) -> Result<(), Error> {
        key.ok_or(Error::NoCertificate)?.verify(
            self.scheme,
            &VERIFIED13,
            &self.content,
            &self.signature,
            HandshakeType::CERTIFICATE_VERIFY,
        )
    }
}

/// The server's CertificateVerify, received and not yet checked.
#[derive(Debug)]
pub(super) struct DeferredVerify {
    pub(super) signature: PeerSignature,
    /// When it became due: the check runs at the next input or timeout from then on.
    pub(super) due: Instant,
}

impl Tls13 {
    /// Runs the deferred check, if one waits: the handshake completes, or fails.
    pub(super) fn check_deferred_verify(&mut self) {
        let Some(d) = self.deferred_verify.take() else {
            return;
        };
        let result = d
            .signature
            .check(self.peer_key.as_ref())
            .and_then(|()| self.complete());
        if let Err(e) = result {
            self.fail(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::certificate::Certificate;
    use crate::config::Versions;
    use crate::connection::Connection;
    use crate::connection::test_util::{configs_with, drain, events, start};
    use crate::error::Error;
    use crate::event::Event;
    use crate::wire::handshake::HandshakeType;

    fn connected(events: &[Event]) -> bool {
        events.iter().any(|e| matches!(e, Event::Connected(_)))
    }

    /// A 1.3 client and server (the server signing with `server_key`'s key), and the
    /// client's turn that answers the server's flight: the client's events so far, its
    /// last flight, and the time.
    fn to_the_clients_last_flight(
        server_key: impl Fn(&Certificate) -> Certificate,
    ) -> (Connection, Connection, Vec<Vec<u8>>, Instant) {
        let now = start();
        let (client, server) = configs_with(Versions::Both, server_key);
        let mut client = Connection::client(now, client).unwrap();
        let mut server = Connection::server(now, server).unwrap();
        // ClientHello, HelloRetryRequest, ClientHello, then the server's flight.
        for _ in 0..2 {
            for d in drain(&mut client) {
                server.handle_datagram(now, &d);
            }
            // The server's flight after its ServerHello is due at once.
            server.handle_timeout(now);
            let flight = drain(&mut server);
            assert!(!flight.is_empty());
            for d in flight {
                client.handle_datagram(now, &d);
            }
        }
        let last = drain(&mut client);
        (client, server, last, now)
    }

    /// The client's last flight leaves before the server's signature is checked; the
    /// check is due at once, and the client connects only once it ran.
    #[test]
    fn the_client_answers_first_and_connects_once_the_signature_is_checked() {
        let (mut client, mut server, last, now) = to_the_clients_last_flight(Clone::clone);
        assert!(!last.is_empty(), "the client's flight is out");
        assert!(!client.is_connected() && !connected(&events(&mut client)));
        assert_eq!(client.poll_timeout(), Some(now));
        assert!(client.send(now, b"too early").is_err());
        client.handle_timeout(now);
        assert!(client.is_connected() && connected(&events(&mut client)));
        // The server takes the flight meanwhile, and its data arrives after the check.
        for d in last {
            server.handle_datagram(now, &d);
        }
        assert!(server.is_connected());
        server.send(now, b"hello").unwrap();
        for d in drain(&mut server) {
            client.handle_datagram(now, &d);
        }
        let data: Vec<_> = events(&mut client)
            .into_iter()
            .filter_map(|e| match e {
                Event::ApplicationData(d) => Some(d),
                _ => None,
            })
            .collect();
        assert_eq!(data, vec![b"hello".to_vec()]);
    }

    /// A server whose signature does not verify: the client's flight went out, but the
    /// client never connects, fails with the signature's error and a fatal alert, and
    /// hands out none of the server's data, which came before its next turn.
    #[test]
    fn a_bad_server_signature_fails_the_client_before_any_data() {
        let other = Certificate::generate().unwrap();
        let (mut client, mut server, last, now) =
            to_the_clients_last_flight(|s| s.with_key_of(&other));
        assert!(!last.is_empty());
        for d in last {
            server.handle_datagram(now, &d);
        }
        // The server cannot tell: it authenticated the client.
        assert!(server.is_connected());
        server.send(now, b"secret").unwrap();
        for d in drain(&mut server) {
            client.handle_datagram(now, &d);
        }
        let events = events(&mut client);
        assert!(!connected(&events) && !client.is_connected());
        assert!(
            events.iter().any(|e| matches!(
                e,
                Event::Failed(Error::BadSignature(HandshakeType::CERTIFICATE_VERIFY))
            )),
            "{events:?}"
        );
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::ApplicationData(_)))
        );
        assert_eq!(drain(&mut client).len(), 1, "the fatal alert");
        assert_eq!(client.poll_timeout(), None);
    }
}
