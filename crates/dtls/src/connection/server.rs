//! The server's handshake (RFC 6347 §4.2.1, RFC 5246 §7.3), with stateless cookies: until a
//! ClientHello carries a valid cookie nothing is kept and nothing costly is computed.

use std::time::Instant;

use super::{Connection, Step};
use crate::crypto::kx::EphemeralKey;
use crate::error::{Error, Parameter};
use crate::handshake::flight::FlightItem;
use crate::handshake::reassembly::Message;
use crate::wire::certificate::CertificateMsg;
use crate::wire::certificate_request::{CertificateRequest, ECDSA_SIGN, RSA_SIGN};
use crate::wire::certificate_verify::CertificateVerify;
use crate::wire::client_hello::ClientHello;
use crate::wire::client_key_exchange::ClientKeyExchange;
use crate::wire::code_points::{AuthKind, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::wire::extension::{Extensions, UseSrtp};
use crate::wire::finished::Finished;
use crate::wire::handshake::{HandshakeType, emit_header};
use crate::wire::hello_verify_request::HelloVerifyRequest;
use crate::wire::record::ContentType;
use crate::wire::server_hello::ServerHello;
use crate::wire::server_key_exchange::ServerKeyExchange;

/// What the server negotiated from a ClientHello.
struct Choice {
    suite: crate::wire::code_points::CipherSuite,
    group: NamedGroup,
    srtp: Option<crate::wire::code_points::SrtpProfile>,
    renegotiation_info: bool,
    point_formats: bool,
}

impl Connection {
    pub(super) fn server_message(&mut self, now: Instant, msg: Message) -> Result<(), Error> {
        let ty = msg.msg_type;
        if self.step == Step::Listen {
            // Only ClientHello fragments get here (see insert_fragment).
            return self.on_client_hello(now, &msg);
        }
        if msg.epoch != 0 && ty != HandshakeType::FINISHED {
            return Err(Error::UnexpectedMessage(ty));
        }
        match (self.step, ty) {
            (Step::WaitClientCertificate, HandshakeType::CERTIFICATE) => {
                self.accept_peer_certificate(&msg)?;
                self.step = Step::WaitClientKeyExchange;
                Ok(())
            }
            (Step::WaitClientKeyExchange, HandshakeType::CLIENT_KEY_EXCHANGE) => {
                let cke = ClientKeyExchange::parse(&msg.body).map_err(Error::malformed(ty))?;
                let kx = self.hs.kx.take().ok_or(Error::Crypto)?;
                let pre_master_secret = kx.agree(cke.public)?;
                self.hs.add_to_transcript(ty, msg.seq, &msg.body);
                self.derive_keys(&pre_master_secret)?;
                self.step = Step::WaitCertificateVerify;
                self.replay_early_records(now)
            }
            (Step::WaitCertificateVerify, HandshakeType::CERTIFICATE_VERIFY) => {
                let cv = CertificateVerify::parse(&msg.body).map_err(Error::malformed(ty))?;
                let key = self.hs.peer_key.as_ref().ok_or(Error::NoCertificate)?;
                key.verify(
                    cv.scheme,
                    Self::verified_schemes(),
                    &self.hs.transcript,
                    cv.signature,
                    ty,
                )?;
                self.hs.add_to_transcript(ty, msg.seq, &msg.body);
                self.step = Step::WaitClientFinished;
                Ok(())
            }
            (Step::WaitClientFinished, HandshakeType::FINISHED) => {
                self.verify_peer_finished(&msg)?;
                // Flight 6: ChangeCipherSpec, Finished. Our last flight has no timer; it is
                // resent when the client resends its Finished (RFC 6347 §4.2.4).
                let verify_data = self.finished(false)?;
                let mut body = Vec::with_capacity(12);
                Finished { verify_data }.emit(&mut body);
                let mut items = vec![FlightItem::ChangeCipherSpec];
                self.push_message(&mut items, 1, HandshakeType::FINISHED, body);
                self.send_flight(now, items, false)?;
                self.complete()
            }
            // RFC 8827 §6.5 / RFC 5246 §7.4.6: we asked for a certificate; a client that
            // skips it (ClientKeyExchange first) is refused.
            (Step::WaitClientCertificate, HandshakeType::CLIENT_KEY_EXCHANGE) => {
                Err(Error::NoCertificate)
            }
            _ => Err(Error::UnexpectedMessage(ty)),
        }
    }

    fn on_client_hello(&mut self, now: Instant, msg: &Message) -> Result<(), Error> {
        let ch = match ClientHello::parse(&msg.body) {
            Ok(ch) => ch,
            Err(e) => {
                // Stateless: a bad ClientHello is dropped, it cannot fail us.
                tracing::debug!(error = %e, "dropping malformed ClientHello");
                self.stats.fragments_dropped += 1;
                self.reassembler.reset(0);
                return Ok(());
            }
        };
        if self.config.versions.allows_dtls13() && ch.extensions.offers_dtls13() {
            return self.on_client_hello13(now, msg, &ch);
        }
        // RFC 8446 §4.2.1: with supported_versions, only what it lists counts.
        let lists_12 = ch.extensions.supported_versions.is_none_or(|v| {
            crate::wire::key_share::parse_client_versions(v)
                .is_ok_and(|list| list.contains(&ProtocolVersion::DTLS_1_2))
        });
        if !self.config.versions.allows_dtls12() || !lists_12 {
            return Err(Error::ProtocolVersion(ch.client_version.0));
        }
        if self.config.cookies
            && let Some(key) = &self.cookie_key
            && !key.verify(&ch)
        {
            let cookie = key.cookie(&ch);
            self.send_hello_verify_request(msg, &cookie);
            // Forget the ClientHello: the next one starts from scratch.
            self.reassembler.reset(0);
            return Ok(());
        }
        // From here the client proved it receives our datagrams (or cookies are off).
        let choice = self.negotiate(&ch)?;
        self.hs.client_random = ch.random;
        self.hs.server_random = self.random();
        if self.config.versions.allows_dtls13() {
            // RFC 8446 §4.1.3: a 1.3-capable server that settles for 1.2 says so.
            self.hs.server_random[24..].copy_from_slice(&super::tls13::DOWNGRADE_TLS12);
        }
        // RFC 6347 §4.2.2 / §4.2.1: our message_seq follows the ClientHello's, and our
        // records continue from its record sequence number (what a stateless server does).
        self.next_send_seq = msg.seq;
        self.records.set_epoch0_sequence(msg.record_seq);
        self.hs
            .add_to_transcript(HandshakeType::CLIENT_HELLO, msg.seq, &msg.body);
        self.send_server_flight(now, choice)
    }

    /// A HelloVerifyRequest in one record, sent statelessly (RFC 6347 §4.2.1): the
    /// ClientHello's message_seq and record sequence number.
    fn send_hello_verify_request(&mut self, msg: &Message, cookie: &[u8]) {
        let mut body = Vec::with_capacity(3 + cookie.len());
        let hvr = HelloVerifyRequest {
            server_version: ProtocolVersion::DTLS_1_0,
            cookie,
        };
        if hvr.emit(&mut body).is_err() {
            return;
        }
        self.send_stateless(msg, HandshakeType::HELLO_VERIFY_REQUEST, &body);
    }

    /// One handshake message in one epoch-0 record, sent without keeping state: a
    /// HelloVerifyRequest (RFC 6347 §4.2.1) or a DTLS 1.3 HelloRetryRequest (RFC 9147
    /// §5.1), in the ClientHello's message_seq and record sequence number.
    pub(super) fn send_stateless(&mut self, msg: &Message, msg_type: HandshakeType, body: &[u8]) {
        let mut plain = Vec::with_capacity(12 + body.len());
        emit_header(&mut plain, msg_type, body.len(), msg.seq, 0, body.len());
        plain.extend_from_slice(body);
        self.records.set_epoch0_sequence(msg.record_seq);
        let mut out = Vec::with_capacity(13 + plain.len());
        if self
            .records
            .write(0, ContentType::HANDSHAKE, &plain, &mut out)
            .is_ok()
        {
            self.stats.hello_verify_requests_sent += 1;
            self.stats.datagrams_sent += 1;
            self.transmits.push_back(out);
        }
    }

    /// Picks version, suite, group and SRTP profile (RFC 5246 §7.4.1.3, RFC 8422 §5.1,
    /// RFC 5764 §4.1.1), and checks what we require.
    fn negotiate(&mut self, ch: &ClientHello<'_>) -> Result<Choice, Error> {
        // A DTLS 1.3 client also says 1.2 here (RFC 9147 §5.3); we answer with 1.2 and
        // ignore supported_versions. 0xfeff (DTLS 1.0) is older than 1.2.
        if ch.client_version.0 > ProtocolVersion::DTLS_1_2.0 {
            return Err(Error::ProtocolVersion(ch.client_version.0));
        }
        if !ch.compression_methods.contains(&0) {
            return Err(Error::IllegalParameter(Parameter::Compression));
        }
        let ext = &ch.extensions;
        if !ext.extended_master_secret {
            return Err(Error::ExtendedMasterSecretRequired);
        }
        if ext.renegotiation_info.is_some_and(|r| !r.is_empty()) {
            return Err(Error::IllegalParameter(Parameter::Renegotiation));
        }
        if ext.ec_point_formats.is_some_and(|f| !f.contains(&0)) {
            return Err(Error::IllegalParameter(Parameter::PointFormat));
        }
        // Our certificate is ECDSA: only ECDHE_ECDSA suites, in our order of preference.
        let suite = self
            .config
            .cipher_suites
            .iter()
            .copied()
            .find(|s| {
                ch.cipher_suites.contains(s)
                    && s.params().is_some_and(|(_, _, a)| a == AuthKind::Ecdsa)
            })
            .ok_or(Error::NoCommonCipherSuite)?;
        // The first group of the client's list we support (what Chromium expects); a client
        // without the extension supports every group (RFC 8422 §4).
        let group = match &ext.supported_groups {
            Some(list) => list
                .iter()
                .copied()
                .find(|g| self.config.groups.contains(g))
                .ok_or(Error::NoCommonGroup)?,
            None => self.config.groups[0],
        };
        if ext
            .signature_algorithms
            .as_ref()
            .is_some_and(|s| !s.contains(&SignatureScheme::ECDSA_SECP256R1_SHA256))
        {
            return Err(Error::NoCommonSignatureScheme);
        }
        let srtp = self.config.choose_srtp(ext.use_srtp.as_ref())?;
        let renegotiation_info = ext.renegotiation_info.is_some()
            || ch
                .cipher_suites
                .contains(&crate::CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        Ok(Choice {
            suite,
            group,
            srtp,
            renegotiation_info,
            point_formats: ext.ec_point_formats.is_some(),
        })
    }

    /// Flight 4 of RFC 6347 §4.2.4: ServerHello, Certificate, ServerKeyExchange,
    /// CertificateRequest, ServerHelloDone.
    fn send_server_flight(&mut self, now: Instant, choice: Choice) -> Result<(), Error> {
        if !self.hs.set_suite(choice.suite) {
            return Err(Error::NoCommonCipherSuite);
        }
        self.hs.group = choice.group;
        self.hs.srtp = choice.srtp;
        let mut items = Vec::with_capacity(5);

        let sh = ServerHello {
            server_version: ProtocolVersion::DTLS_1_2,
            random: self.hs.server_random,
            session_id: &[],
            cipher_suite: choice.suite,
            compression_method: 0,
            extensions: Extensions {
                ec_point_formats: choice.point_formats.then_some(&[0u8][..]),
                use_srtp: choice.srtp.map(|p| UseSrtp {
                    profiles: vec![p],
                    mki: &[],
                }),
                extended_master_secret: true,
                renegotiation_info: choice.renegotiation_info.then_some(&[][..]),
                ..Extensions::default()
            },
        };
        let mut body = Vec::with_capacity(128);
        sh.emit(&mut body)
            .map_err(Error::malformed(HandshakeType::SERVER_HELLO))?;
        self.push_message(&mut items, 0, HandshakeType::SERVER_HELLO, body);

        let mut body = Vec::with_capacity(self.config.certificate.der().len() + 6);
        CertificateMsg {
            chain: vec![self.config.certificate.der()],
        }
        .emit(&mut body)
        .map_err(Error::malformed(HandshakeType::CERTIFICATE))?;
        self.push_message(&mut items, 0, HandshakeType::CERTIFICATE, body);

        // The first expensive operations, after the cookie: key generation and a signature.
        let kx = EphemeralKey::generate(&self.sys_rng, choice.group)?;
        let ty = HandshakeType::SERVER_KEY_EXCHANGE;
        let params =
            ServerKeyExchange::params(kx.group(), kx.public()).map_err(Error::malformed(ty))?;
        let mut signed = Vec::with_capacity(64 + params.len());
        signed.extend_from_slice(&self.hs.client_random);
        signed.extend_from_slice(&self.hs.server_random);
        signed.extend_from_slice(&params);
        let signature = self.config.certificate.sign(&self.sys_rng, &signed)?;
        let mut body = Vec::with_capacity(params.len() + signature.len() + 4);
        ServerKeyExchange {
            group: kx.group(),
            public: kx.public(),
            scheme: SignatureScheme::ECDSA_SECP256R1_SHA256,
            signature: &signature,
        }
        .emit(&mut body)
        .map_err(Error::malformed(ty))?;
        self.push_message(&mut items, 0, ty, body);
        self.hs.kx = Some(kx);

        // RFC 8827 §6.5: always ask for the client's certificate.
        let mut body = Vec::with_capacity(32);
        CertificateRequest {
            certificate_types: &[ECDSA_SIGN, RSA_SIGN],
            signature_schemes: Self::verified_schemes().to_vec(),
            authorities: &[],
        }
        .emit(&mut body)
        .map_err(Error::malformed(HandshakeType::CERTIFICATE_REQUEST))?;
        self.push_message(&mut items, 0, HandshakeType::CERTIFICATE_REQUEST, body);

        self.push_message(&mut items, 0, HandshakeType::SERVER_HELLO_DONE, Vec::new());
        self.step = Step::WaitClientCertificate;
        self.send_flight(now, items, true)
    }
}
