//! The DTLS 1.3 server (RFC 9147 §5.1, RFC 8446 §4): a ClientHello offering 1.3 gets a
//! stateless HelloRetryRequest with a cookie first (RFC 9147 §5.1: no state and no costly
//! operation for a client that has not shown it receives our datagrams), then the server's
//! flight.

use std::time::Instant;

use super::{
    EPOCH_HANDSHAKE, HELLO_RETRY_RANDOM, Params, Step, Tls13, Transcript, VERIFIED13, tls_message,
};
use crate::config::Role;
use crate::connection::Connection;
use crate::crypto::key_schedule13::{KeySchedule13, LabelPrefix};
use crate::crypto::key_share13;
use crate::error::{Error, Parameter};
use crate::handshake::reassembly::Message;
use crate::wire::certificate13::CertificateRequest13;
use crate::wire::client_hello::ClientHello;
use crate::wire::code_points::{NamedGroup, ProtocolVersion, SignatureScheme, SrtpProfile};
use crate::wire::extension::{Extensions, UseSrtp};
use crate::wire::handshake::HandshakeType;
use crate::wire::key_share::{
    KeyShareEntry, cookie_body, parse_client_shares, parse_cookie, selected_group_body,
    server_share_body,
};
use crate::wire::server_hello::ServerHello;

/// `supported_versions` of a 1.3 ServerHello: DTLS 1.3.
const SELECTED_DTLS13: [u8; 2] = [0xfe, 0xfc];

/// The HelloRetryRequest body: deterministic in what the cookie carries, so that the server
/// can rebuild it for the transcript when the cookie comes back (RFC 8446 §4.4.1).
fn hello_retry_request(
    session_id: &[u8],
    suite: crate::CipherSuite,
    group: Option<NamedGroup>,
    cookie: &[u8],
) -> Result<Vec<u8>, Error> {
    let malformed = Error::malformed(HandshakeType::SERVER_HELLO);
    let selected = group.map(selected_group_body);
    let cookie = cookie_body(cookie).map_err(&malformed)?;
    let hrr = ServerHello {
        server_version: ProtocolVersion::DTLS_1_2,
        random: HELLO_RETRY_RANDOM,
        session_id,
        cipher_suite: suite,
        compression_method: 0,
        extensions: Extensions {
            supported_versions: Some(&SELECTED_DTLS13),
            key_share: selected.as_ref().map(|s| &s[..]),
            cookie: Some(&cookie),
            ..Extensions::default()
        },
    };
    let mut body = Vec::with_capacity(64 + cookie.len());
    hrr.emit(&mut body).map_err(malformed)?;
    Ok(body)
}

/// What a 1.3 server negotiated from a ClientHello.
struct Choice13 {
    suite: crate::CipherSuite,
    /// The client's share we take, if it sent one of a group we want.
    share: Option<(NamedGroup, Vec<u8>)>,
    /// The group a HelloRetryRequest asks for when there is no such share.
    retry_group: Option<NamedGroup>,
    srtp: Option<SrtpProfile>,
}

impl Connection {
    /// A ClientHello offering DTLS 1.3 reached a server that allows 1.3.
    pub(in crate::connection) fn on_client_hello13(
        &mut self,
        now: Instant,
        msg: &Message,
        ch: &ClientHello<'_>,
    ) -> Result<(), Error> {
        let choice = self.negotiate13(ch)?;
        let (cipher, hash) = choice.suite.params13().ok_or(Error::NoCommonCipherSuite)?;
        let schedule = KeySchedule13::new(hash, LabelPrefix::Dtls13);
        let key = self.cookie_key.as_ref().ok_or(Error::Crypto)?;
        let cookie = ch
            .extensions
            .cookie
            .map(parse_cookie)
            .transpose()
            .map_err(Error::malformed(HandshakeType::CLIENT_HELLO))?;
        let ch_message = tls_message(HandshakeType::CLIENT_HELLO, &msg.body);
        let transcript = match cookie.and_then(|c| key.open13(c, &ch.random).map(|s| (c, s))) {
            Some((cookie, state)) => {
                // The second ClientHello: the cookie carries what the first one told us.
                if state.suite != choice.suite {
                    return Err(Error::IllegalParameter(Parameter::CipherSuite));
                }
                let Some((group, _)) = &choice.share else {
                    return Err(Error::IllegalParameter(Parameter::KeyShare));
                };
                if state.group.is_some_and(|g| g != *group) {
                    return Err(Error::IllegalParameter(Parameter::KeyShare));
                }
                let hrr = hello_retry_request(ch.session_id, state.suite, state.group, cookie)?;
                let mut t = schedule.message_hash(&state.client_hello_hash);
                t.extend_from_slice(&tls_message(HandshakeType::SERVER_HELLO, &hrr));
                t.extend_from_slice(&ch_message);
                t
            }
            None if self.config.cookies || choice.share.is_none() => {
                // RFC 9147 §5.1: a HelloRetryRequest with a cookie, sent statelessly.
                let ch1_hash = ring::digest::digest(schedule.digest_algorithm(), &ch_message);
                let cookie = key.seal13(
                    choice.suite,
                    choice.retry_group,
                    ch1_hash.as_ref(),
                    &ch.random,
                );
                let hrr =
                    hello_retry_request(ch.session_id, choice.suite, choice.retry_group, &cookie)?;
                self.send_stateless(msg, HandshakeType::SERVER_HELLO, &hrr);
                self.reassembler.reset(0);
                return Ok(());
            }
            None => ch_message,
        };
        let Some((group, client_share)) = choice.share else {
            return Err(Error::IllegalParameter(Parameter::KeyShare));
        };
        // From here the client proved it receives our datagrams (or cookies are off).
        self.next_send_seq = msg.seq;
        let common = self.hand_over(msg.record_seq);
        let params = Params {
            suite: choice.suite,
            cipher,
            group,
            srtp: choice.srtp,
        };
        let mut t = Box::new(Tls13::new(
            Role::Server,
            common,
            params,
            schedule,
            Step::WaitClientCertificate,
        ));
        t.transcript = Transcript::new(transcript);
        t.last_peer_message = Some(msg.seq);
        if let Err(e) = t.start_server(now, ch.session_id, &client_share) {
            t.fail(e);
        }
        self.v13 = Some(t);
        Ok(())
    }

    /// Picks suite, key share (or the group to ask for) and SRTP profile.
    fn negotiate13(&self, ch: &ClientHello<'_>) -> Result<Choice13, Error> {
        let ext = &ch.extensions;
        let malformed = Error::malformed(HandshakeType::CLIENT_HELLO);
        if ch.client_version != ProtocolVersion::DTLS_1_2 {
            return Err(Error::ProtocolVersion(ch.client_version.0));
        }
        // RFC 8446 §4.1.2: legacy_compression_methods is exactly the null method.
        if ch.compression_methods != [0] {
            return Err(Error::IllegalParameter(Parameter::Compression));
        }
        let suite = self
            .config
            .tls13_cipher_suites
            .iter()
            .copied()
            .find(|s| ch.cipher_suites.contains(s))
            .ok_or(Error::NoCommonCipherSuite)?;
        let shares = ext
            .key_share
            .map(parse_client_shares)
            .transpose()
            .map_err(malformed)?
            .unwrap_or_default();
        let client_groups = ext.supported_groups.clone().unwrap_or_default();
        // RFC 8446 §4.2.8: every share is of a group the client lists.
        if shares.iter().any(|s| !client_groups.contains(&s.group)) {
            return Err(Error::IllegalParameter(Parameter::KeyShare));
        }
        let share = self
            .config
            .tls13_groups
            .iter()
            .find_map(|g| shares.iter().find(|s| s.group == *g))
            .map(|s: &KeyShareEntry<'_>| (s.group, s.key_exchange.to_vec()));
        let retry_group = match share {
            Some(_) => None,
            None => Some(
                self.config
                    .tls13_groups
                    .iter()
                    .copied()
                    .find(|g| client_groups.contains(g))
                    .ok_or(Error::NoCommonGroup)?,
            ),
        };
        if !ext
            .signature_algorithms
            .as_ref()
            .is_some_and(|s| s.contains(&SignatureScheme::ECDSA_SECP256R1_SHA256))
        {
            return Err(Error::NoCommonSignatureScheme);
        }
        let srtp = self.config.choose_srtp(ext.use_srtp.as_ref())?;
        Ok(Choice13 {
            suite,
            share,
            retry_group,
            srtp,
        })
    }
}

impl Tls13 {
    /// The server's flight: ServerHello, then under the handshake keys EncryptedExtensions,
    /// CertificateRequest (RFC 8827 §6.5: always), Certificate, CertificateVerify, Finished.
    fn start_server(
        &mut self,
        now: Instant,
        session_id: &[u8],
        client_share: &[u8],
    ) -> Result<(), Error> {
        let group = self.params.group;
        // The first expensive operations, after the cookie.
        let x25519 = self.server_x25519.take();
        let (server_share, answer) =
            key_share13::answer(&self.sys_rng, group, client_share, x25519)?;
        let share = server_share_body(&KeyShareEntry {
            group,
            key_exchange: &server_share,
        })
        .map_err(Error::malformed(HandshakeType::SERVER_HELLO))?;
        let mut random = self.random();
        if random == HELLO_RETRY_RANDOM {
            random[0] ^= 1;
        }
        let sh = ServerHello {
            server_version: ProtocolVersion::DTLS_1_2,
            random,
            session_id,
            cipher_suite: self.params.suite,
            compression_method: 0,
            extensions: Extensions {
                supported_versions: Some(&SELECTED_DTLS13),
                key_share: Some(&share),
                ..Extensions::default()
            },
        };
        let mut items = Vec::with_capacity(6);
        let mut body = Vec::with_capacity(128 + server_share.len());
        sh.emit(&mut body)
            .map_err(Error::malformed(HandshakeType::SERVER_HELLO))?;
        self.push_message(&mut items, 0, HandshakeType::SERVER_HELLO, body, true);
        self.step = Step::WaitClientCertificate;
        // The ServerHello goes first: the client derives its keys from it (ML-KEM
        // decapsulation, ECDH) while we do our ECDH and sign the rest of the flight, which
        // follows right after it is out (`finish_server_flight`).
        self.send_flight(now, items, true)?;
        self.server_flight_rest = Some((answer, now));
        Ok(())
    }

    /// The rest of the server's flight, made once its ServerHello is out: our ECDH, the
    /// handshake keys, EncryptedExtensions, CertificateRequest, Certificate,
    /// CertificateVerify and Finished, sent as part of the same flight (one retransmission
    /// unit, RFC 9147 §5.8). Nothing else is taken before it.
    pub(super) fn finish_server_flight(&mut self) {
        let Some((answer, _)) = self.server_flight_rest.take() else {
            return;
        };
        if let Err(e) = self.server_flight_tail(answer) {
            self.fail(e);
        }
    }

    fn server_flight_tail(&mut self, answer: key_share13::Answer) -> Result<(), Error> {
        let shared = answer.shared_secret()?;
        self.install_handshake_keys(&shared)?;
        let mut items = Vec::with_capacity(5);
        let ee = Extensions {
            use_srtp: self.params.srtp.map(|p| UseSrtp {
                profiles: vec![p],
                mki: &[],
            }),
            ..Extensions::default()
        };
        let mut body = Vec::with_capacity(16);
        ee.emit(&mut body)
            .map_err(Error::malformed(HandshakeType::ENCRYPTED_EXTENSIONS))?;
        self.push_message(
            &mut items,
            EPOCH_HANDSHAKE,
            HandshakeType::ENCRYPTED_EXTENSIONS,
            body,
            true,
        );

        let cr = CertificateRequest13 {
            context: &[],
            extensions: Extensions {
                signature_algorithms: Some(VERIFIED13.to_vec()),
                ..Extensions::default()
            },
        };
        let mut body = Vec::with_capacity(32);
        cr.emit(&mut body)
            .map_err(Error::malformed(HandshakeType::CERTIFICATE_REQUEST))?;
        self.push_message(
            &mut items,
            EPOCH_HANDSHAKE,
            HandshakeType::CERTIFICATE_REQUEST,
            body,
            true,
        );
        self.push_certificate(&mut items, &[])?;
        self.push_finished(&mut items)?;
        self.derive_application_keys()?;
        self.extend_flight(items)
    }

    pub(super) fn server_message(&mut self, _now: Instant, msg: Message) -> Result<(), Error> {
        let ty = msg.msg_type;
        match (self.step, ty) {
            (Step::WaitClientCertificate, HandshakeType::CERTIFICATE) => {
                Self::expect_handshake_epoch(&msg)?;
                self.accept_peer_certificate(&msg, &[])?;
                self.step = Step::WaitClientCertificateVerify;
                Ok(())
            }
            (Step::WaitClientCertificateVerify, HandshakeType::CERTIFICATE_VERIFY) => {
                Self::expect_handshake_epoch(&msg)?;
                self.verify_peer_certificate_verify(&msg)?;
                self.step = Step::WaitClientFinished;
                Ok(())
            }
            (Step::WaitClientFinished, HandshakeType::FINISHED) => {
                Self::expect_handshake_epoch(&msg)?;
                self.verify_peer_finished(&msg)?;
                // The client's flight answered ours; ours needs no more retransmission.
                self.retransmit = None;
                self.flight.clear();
                self.flight_records.clear();
                self.install_application_write_keys()?;
                // RFC 9147 §7: acknowledge the client's last flight; again whenever it
                // repeats it.
                self.send_ack();
                self.peer_flight_last = Some(msg.seq);
                self.peer_retransmit_budget = self.config.max_retransmissions;
                self.complete()
            }
            // RFC 8827 §6.5: we asked for a certificate; a client that skips it is refused.
            (Step::WaitClientCertificate, HandshakeType::FINISHED) => Err(Error::NoCertificate),
            _ => Err(Error::UnexpectedMessage(ty)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Versions;
    use crate::connection::Connection;
    use crate::connection::test_util::{configs_with, drain, start};

    /// The server answers the ClientHello with its ServerHello alone, in plaintext, and
    /// makes the rest of its flight (protected) once that is out: due at once, sent at the
    /// next timeout; the handshake then completes as before.
    #[test]
    fn the_server_hello_goes_out_before_the_rest_of_the_flight() {
        let now = start();
        let (client, mut server) = configs_with(Versions::Both, Clone::clone);
        server.cookies = false;
        let mut client = Connection::client(now, client).unwrap();
        let mut server = Connection::server(now, server).unwrap();
        for d in drain(&mut client) {
            server.handle_datagram(now, &d);
        }
        let hello = drain(&mut server);
        assert_eq!(hello.len(), 1, "the ServerHello alone");
        // A plaintext handshake record (RFC 9147 §4) holding a ServerHello (type 2).
        assert_eq!((hello[0][0], hello[0][13]), (22, 2));
        assert_eq!(server.poll_timeout(), Some(now), "the rest is due at once");
        server.handle_timeout(now);
        let rest = drain(&mut server);
        assert!(!rest.is_empty());
        // DTLS 1.3 ciphertexts: the unified header's fixed bits 001 (RFC 9147 §4).
        assert!(rest.iter().all(|d| d[0] & 0xe0 == 0x20));
        for d in hello.iter().chain(&rest) {
            client.handle_datagram(now, d);
        }
        client.handle_timeout(now);
        assert!(client.is_connected());
        for d in drain(&mut client) {
            server.handle_datagram(now, &d);
        }
        assert!(server.is_connected());
    }
}
