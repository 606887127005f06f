//! The handshake transcript (RFC 8446 §4.4.1) and its running hash.
//!
//! Every handshake message goes in in its TLS form (type, 24-bit length, body: RFC 9147
//! §5.2 leaves the DTLS fields out). The hash is taken five or six times a handshake,
//! over 3–4 KB by the end (the ML-KEM share and ciphertext alone are 2.3 KB): a running
//! hash feeds each byte once and copies its state for each value, where hashing the whole
//! transcript each time went through it all again. The bytes are kept too, for the one
//! case the hash function is not known yet when the transcript starts (a client's
//! ClientHello, before the server chose a suite).

use ring::digest::{Algorithm, Context};

use crate::wire::handshake::HandshakeType;

/// The handshake messages so far, and their hash under the schedule's function.
#[derive(Default)]
pub(super) struct Transcript {
    bytes: Vec<u8>,
    /// The hash of `bytes` so far, once a function was asked for.
    running: Option<(&'static Algorithm, Context)>,
}

impl Transcript {
    /// A transcript that starts with `bytes` (messages in TLS form already).
    pub(super) fn new(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            running: None,
        }
    }

    /// Adds a handshake message in its TLS form.
    pub(super) fn push(&mut self, msg_type: HandshakeType, body: &[u8]) {
        let len = (body.len() as u32).to_be_bytes();
        let header = [msg_type.0, len[1], len[2], len[3]];
        self.bytes.extend_from_slice(&header);
        self.bytes.extend_from_slice(body);
        if let Some((_, context)) = &mut self.running {
            context.update(&header);
            context.update(body);
        }
    }

    /// `Transcript-Hash` of the messages so far with `algorithm` (RFC 8446 §4.4.1).
    pub(super) fn hash(&mut self, algorithm: &'static Algorithm) -> Vec<u8> {
        match &self.running {
            Some((a, context)) if *a == algorithm => context.clone().finish().as_ref().to_vec(),
            _ => {
                let mut context = Context::new(algorithm);
                context.update(&self.bytes);
                let hash = context.clone().finish().as_ref().to_vec();
                self.running = Some((algorithm, context));
                hash
            }
        }
    }

    /// The handshake is over: nothing is kept.
    pub(super) fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use ring::digest::{SHA256, SHA384, digest};

    use super::*;
    use crate::connection::tls13::tls_message;

    /// The running hash is the hash of all the bytes, whenever it is asked and with
    /// whichever function, and the messages are in TLS form.
    #[test]
    fn the_running_hash_is_the_hash_of_the_whole_transcript() {
        let first = tls_message(HandshakeType::CLIENT_HELLO, b"hello");
        let mut t = Transcript::new(first.clone());
        let mut all = first;
        assert_eq!(t.hash(&SHA256), digest(&SHA256, &all).as_ref());
        for (ty, body) in [
            (HandshakeType::SERVER_HELLO, &b"server"[..]),
            (HandshakeType::ENCRYPTED_EXTENSIONS, &[7u8; 300][..]),
            (HandshakeType::FINISHED, &b""[..]),
        ] {
            t.push(ty, body);
            all.extend_from_slice(&tls_message(ty, body));
            assert_eq!(t.hash(&SHA256), digest(&SHA256, &all).as_ref());
        }
        assert_eq!(t.hash(&SHA384), digest(&SHA384, &all).as_ref());
        t.push(HandshakeType::FINISHED, b"x");
        all.extend_from_slice(&tls_message(HandshakeType::FINISHED, b"x"));
        assert_eq!(t.hash(&SHA384), digest(&SHA384, &all).as_ref());
    }
}
