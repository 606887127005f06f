//! The client's handshake (RFC 6347 §4.2.1, RFC 5246 §7.3):
//!
//! ```text
//! ClientHello                 -->
//!                             <--  HelloVerifyRequest (optional)
//! ClientHello (with cookie)   -->
//!                             <--  ServerHello, Certificate, ServerKeyExchange,
//!                                  CertificateRequest, ServerHelloDone
//! Certificate, ClientKeyExchange, CertificateVerify,
//! [ChangeCipherSpec], Finished -->
//!                             <--  [ChangeCipherSpec], Finished
//! ```

use std::time::Instant;

use super::{Connection, Step};
use crate::crypto::kx::EphemeralKey;
use crate::error::{Error, Parameter};
use crate::handshake::flight::FlightItem;
use crate::handshake::reassembly::Message;
use crate::wire::certificate::CertificateMsg;
use crate::wire::certificate_request::{CertificateRequest, ECDSA_SIGN};
use crate::wire::certificate_verify::CertificateVerify;
use crate::wire::client_key_exchange::ClientKeyExchange;
use crate::wire::code_points::{AuthKind, ProtocolVersion, SignatureScheme};
use crate::wire::finished::Finished;
use crate::wire::handshake::HandshakeType;
use crate::wire::hello_verify_request::HelloVerifyRequest;
use crate::wire::server_hello::ServerHello;
use crate::wire::server_key_exchange::ServerKeyExchange;

/// HelloVerifyRequests we follow before giving up.
const MAX_HELLO_VERIFY_REQUESTS: u8 = 4;

impl Connection {
    /// Which version the ServerHello chose: `Some(suite)` for DTLS 1.3 (a ServerHello or a
    /// HelloRetryRequest selecting it with a 1.3 suite we offered), `None` for 1.2. Refuses a
    /// version we do not allow and a downgrade (RFC 8446 §4.1.3).
    fn dtls13_suite(&self, msg: &Message) -> Result<Option<crate::CipherSuite>, Error> {
        let ty = HandshakeType::SERVER_HELLO;
        let sh = ServerHello::parse(&msg.body).map_err(Error::malformed(ty))?;
        let offered13 = !self.hs.key_shares13.is_empty();
        if sh.extensions.selected_version() == Some(ProtocolVersion::DTLS_1_3) {
            if !offered13 {
                return Err(Error::ProtocolVersion(ProtocolVersion::DTLS_1_3.0));
            }
            if !self.config.tls13_cipher_suites.contains(&sh.cipher_suite) {
                return Err(Error::IllegalParameter(Parameter::CipherSuite));
            }
            return Ok(Some(sh.cipher_suite));
        }
        if !self.config.versions.allows_dtls12() {
            return Err(Error::ProtocolVersion(sh.server_version.0));
        }
        if offered13 && sh.random[24..] == super::tls13::DOWNGRADE_TLS12 {
            return Err(Error::IllegalParameter(Parameter::Downgrade));
        }
        Ok(None)
    }

    /// The server chose DTLS 1.3: everything goes to the 1.3 machine from here.
    fn hand_over_client(&mut self, now: Instant, suite: crate::CipherSuite, msg: Message) {
        let client_hello = self
            .hs
            .transcript
            .get(crate::wire::handshake::HANDSHAKE_HEADER_LEN..)
            .unwrap_or_default()
            .to_vec();
        let handover = super::tls13::ClientHandover {
            random: self.hs.client_random,
            key_shares: std::mem::take(&mut self.hs.key_shares13),
            client_hello,
            retried: false,
        };
        let common = self.hand_over(self.records.epoch0_sequence());
        let mut t = super::tls13::Tls13::client(now, common, handover, suite, msg);
        for tail in std::mem::take(&mut self.pending13) {
            t.handle_datagram_tail(now, &tail);
        }
        self.v13 = Some(t);
    }

    /// Sends (a new) ClientHello with the current cookie; the transcript starts over with it
    /// (RFC 6347 §4.2.6: the first ClientHello and HelloVerifyRequest are not hashed).
    pub(super) fn send_client_hello(&mut self, now: Instant) -> Result<(), Error> {
        let body = super::tls13::client_hello_body(
            &self.config,
            self.hs.client_random,
            &self.hs.cookie,
            &self.hs.key_shares13,
            None,
        )?;
        self.hs.transcript.clear();
        let mut items = Vec::with_capacity(1);
        self.push_message(&mut items, 0, HandshakeType::CLIENT_HELLO, body);
        self.send_flight(now, items, true)
    }

    pub(super) fn client_message(&mut self, now: Instant, msg: Message) -> Result<(), Error> {
        let ty = msg.msg_type;
        if msg.epoch != 0 && ty != HandshakeType::FINISHED {
            return Err(Error::UnexpectedMessage(ty));
        }
        match (self.step, ty) {
            (Step::WaitServerHello, HandshakeType::HELLO_VERIFY_REQUEST) => {
                self.on_hello_verify_request(now, &msg)
            }
            (Step::WaitServerHello, HandshakeType::SERVER_HELLO) => {
                if let Some(suite) = self.dtls13_suite(&msg)? {
                    self.hand_over_client(now, suite, msg);
                    return Ok(());
                }
                self.on_server_hello(&msg)
            }
            (Step::WaitServerCertificate, HandshakeType::CERTIFICATE) => {
                self.accept_peer_certificate(&msg)?;
                let key = self.hs.peer_key.as_ref().ok_or(Error::NoCertificate)?;
                // The suite names the server key type (RFC 8422 §5.3, RFC 5246 §7.4.2).
                let fits = match self.hs.auth {
                    AuthKind::Rsa => key.kind() == crate::crypto::peer_key::KeyKind::Rsa,
                    AuthKind::Ecdsa => key.kind() != crate::crypto::peer_key::KeyKind::Rsa,
                };
                if !fits {
                    return Err(Error::UnsupportedCertificate);
                }
                self.step = Step::WaitServerKeyExchange;
                Ok(())
            }
            (Step::WaitServerKeyExchange, HandshakeType::SERVER_KEY_EXCHANGE) => {
                self.on_server_key_exchange(&msg)
            }
            (Step::WaitCertificateRequestOrDone, HandshakeType::CERTIFICATE_REQUEST) => {
                let cr = CertificateRequest::parse(&msg.body).map_err(Error::malformed(ty))?;
                // We sign with ECDSA P-256 / SHA-256 (RFC 8422 §5.5).
                if !cr.certificate_types.contains(&ECDSA_SIGN)
                    || !cr
                        .signature_schemes
                        .contains(&SignatureScheme::ECDSA_SECP256R1_SHA256)
                {
                    return Err(Error::NoCommonSignatureScheme);
                }
                self.hs.certificate_requested = true;
                self.hs.add_to_transcript(ty, msg.seq, &msg.body);
                self.step = Step::WaitServerHelloDone;
                Ok(())
            }
            (
                Step::WaitCertificateRequestOrDone | Step::WaitServerHelloDone,
                HandshakeType::SERVER_HELLO_DONE,
            ) => {
                if !msg.body.is_empty() {
                    return Err(Error::Malformed {
                        message: ty,
                        error: crate::WireError::TrailingBytes,
                    });
                }
                self.hs.add_to_transcript(ty, msg.seq, &msg.body);
                self.send_client_flight(now)
            }
            (Step::WaitServerFinished, HandshakeType::FINISHED) => {
                self.verify_peer_finished(&msg)?;
                self.retransmit = None;
                self.complete()
            }
            _ => Err(Error::UnexpectedMessage(ty)),
        }
    }

    fn on_hello_verify_request(&mut self, now: Instant, msg: &Message) -> Result<(), Error> {
        let hvr = HelloVerifyRequest::parse(&msg.body)
            .map_err(Error::malformed(HandshakeType::HELLO_VERIFY_REQUEST))?;
        // RFC 6347 §4.2.1: the version here says nothing about what will be negotiated.
        if hvr.cookie.is_empty() {
            return Err(Error::IllegalParameter(Parameter::Cookie));
        }
        self.hs.hello_verify_requests += 1;
        if self.hs.hello_verify_requests > MAX_HELLO_VERIFY_REQUESTS {
            return Err(Error::UnexpectedMessage(
                HandshakeType::HELLO_VERIFY_REQUEST,
            ));
        }
        self.hs.cookie = hvr.cookie.to_vec();
        // Same random, same everything, plus the cookie (RFC 6347 §4.2.1).
        self.send_client_hello(now)
    }

    fn on_server_hello(&mut self, msg: &Message) -> Result<(), Error> {
        let sh =
            ServerHello::parse(&msg.body).map_err(Error::malformed(HandshakeType::SERVER_HELLO))?;
        if sh.server_version != ProtocolVersion::DTLS_1_2 {
            return Err(Error::ProtocolVersion(sh.server_version.0));
        }
        if !self.config.cipher_suites.contains(&sh.cipher_suite)
            || !self.hs.set_suite(sh.cipher_suite)
        {
            return Err(Error::IllegalParameter(Parameter::CipherSuite));
        }
        if sh.compression_method != 0 {
            return Err(Error::IllegalParameter(Parameter::Compression));
        }
        let ext = &sh.extensions;
        // RFC 7627 §5.2: we abort without the extended master secret.
        if !ext.extended_master_secret {
            return Err(Error::ExtendedMasterSecretRequired);
        }
        // RFC 5746 §3.4: on a first handshake the server's renegotiation_info is empty.
        if ext.renegotiation_info.is_some_and(|r| !r.is_empty()) {
            return Err(Error::IllegalParameter(Parameter::Renegotiation));
        }
        // RFC 5764 §4.1.1: one profile, one we offered, and no MKI we did not ask for.
        self.hs.srtp = match (&ext.use_srtp, self.config.srtp_profiles.is_empty()) {
            (None, true) => None,
            (None, false) => return Err(Error::NoCommonSrtpProfile),
            (Some(u), false)
                if u.profiles.len() == 1
                    && u.mki.is_empty()
                    && self.config.srtp_profiles.contains(&u.profiles[0]) =>
            {
                Some(u.profiles[0])
            }
            (Some(_), _) => return Err(Error::IllegalParameter(Parameter::SrtpProfile)),
        };
        self.hs.server_random = sh.random;
        self.hs
            .add_to_transcript(HandshakeType::SERVER_HELLO, msg.seq, &msg.body);
        self.step = Step::WaitServerCertificate;
        Ok(())
    }

    fn on_server_key_exchange(&mut self, msg: &Message) -> Result<(), Error> {
        let ty = HandshakeType::SERVER_KEY_EXCHANGE;
        let ske = ServerKeyExchange::parse(&msg.body).map_err(Error::malformed(ty))?;
        if !self.config.groups.contains(&ske.group) {
            return Err(Error::IllegalParameter(Parameter::Group));
        }
        // RFC 5246 §7.4.3: the signature covers both randoms and the parameters.
        let params =
            ServerKeyExchange::params(ske.group, ske.public).map_err(Error::malformed(ty))?;
        let mut signed = Vec::with_capacity(64 + params.len());
        signed.extend_from_slice(&self.hs.client_random);
        signed.extend_from_slice(&self.hs.server_random);
        signed.extend_from_slice(&params);
        let key = self.hs.peer_key.as_ref().ok_or(Error::NoCertificate)?;
        key.verify(
            ske.scheme,
            Self::verified_schemes(),
            &signed,
            ske.signature,
            ty,
        )?;
        let ours = EphemeralKey::generate(&self.sys_rng, ske.group)?;
        self.hs.group = ske.group;
        // Agreement needs the server's point later; keep it with our key.
        self.hs.peer_kx_public = ske.public.to_vec();
        self.hs.kx = Some(ours);
        self.hs.add_to_transcript(ty, msg.seq, &msg.body);
        self.step = Step::WaitCertificateRequestOrDone;
        Ok(())
    }

    /// Flight 5 of RFC 6347 §4.2.4: Certificate, ClientKeyExchange, CertificateVerify,
    /// ChangeCipherSpec, Finished.
    fn send_client_flight(&mut self, now: Instant) -> Result<(), Error> {
        let mut items = Vec::with_capacity(5);
        if self.hs.certificate_requested {
            let mut body = Vec::with_capacity(self.config.certificate.der().len() + 6);
            CertificateMsg {
                chain: vec![self.config.certificate.der()],
            }
            .emit(&mut body)
            .map_err(Error::malformed(HandshakeType::CERTIFICATE))?;
            self.push_message(&mut items, 0, HandshakeType::CERTIFICATE, body);
        }
        let kx = self.hs.kx.take().ok_or(Error::Crypto)?;
        let mut body = Vec::with_capacity(kx.public().len() + 1);
        ClientKeyExchange {
            public: kx.public(),
        }
        .emit(&mut body)
        .map_err(Error::malformed(HandshakeType::CLIENT_KEY_EXCHANGE))?;
        self.push_message(&mut items, 0, HandshakeType::CLIENT_KEY_EXCHANGE, body);
        let peer_public = std::mem::take(&mut self.hs.peer_kx_public);
        let pre_master_secret = kx.agree(&peer_public)?;
        self.derive_keys(&pre_master_secret)?;
        if self.hs.certificate_requested {
            // RFC 5246 §7.4.8: a signature over every handshake message so far.
            let signature = self
                .config
                .certificate
                .sign(&self.sys_rng, &self.hs.transcript)?;
            let mut body = Vec::with_capacity(signature.len() + 4);
            CertificateVerify {
                scheme: SignatureScheme::ECDSA_SECP256R1_SHA256,
                signature: &signature,
            }
            .emit(&mut body)
            .map_err(Error::malformed(HandshakeType::CERTIFICATE_VERIFY))?;
            self.push_message(&mut items, 0, HandshakeType::CERTIFICATE_VERIFY, body);
        }
        items.push(FlightItem::ChangeCipherSpec);
        let verify_data = self.finished(true)?;
        let mut body = Vec::with_capacity(12);
        Finished { verify_data }.emit(&mut body);
        self.push_message(&mut items, 1, HandshakeType::FINISHED, body);
        self.step = Step::WaitServerFinished;
        self.send_flight(now, items, true)?;
        self.replay_early_records(now)
    }
}
