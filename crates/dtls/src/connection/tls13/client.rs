//! The DTLS 1.3 client (RFC 9147 §5, RFC 8446 §4): the ClientHello that offers 1.3 beside
//! 1.2, the HelloRetryRequest, and the server's flight.

use std::time::Instant;

use super::{
    HELLO_RETRY_RANDOM, OutMessage, Params, Step, Tls13, Transcript, VERIFIED13, tls_message,
};
use crate::config::{Config, Role};
use crate::crypto::key_schedule13::{KeySchedule13, LabelPrefix};
use crate::crypto::key_share13::ClientKeyShare;
use crate::error::{Error, Parameter};
use crate::handshake::reassembly::Message;
use crate::wire::certificate13::CertificateRequest13;
use crate::wire::client_hello::ClientHello;
use crate::wire::code_points::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::wire::extension::{Extensions, UseSrtp};
use crate::wire::handshake::HandshakeType;
use crate::wire::key_share::{
    KeyShareEntry, client_shares_body, client_versions_body, cookie_body, parse_cookie,
    parse_selected_group, parse_server_share,
};
use crate::wire::server_hello::ServerHello;

/// What the client keeps of its ClientHello for the 1.3 handshake.
pub(crate) struct ClientHandover {
    pub(crate) random: [u8; 32],
    pub(crate) key_shares: Vec<ClientKeyShare>,
    /// The body of the ClientHello the server answered.
    pub(crate) client_hello: Vec<u8>,
    /// A HelloRetryRequest was followed already (RFC 8446 §4.1.4: at most one).
    pub(crate) retried: bool,
}

/// The ClientHello body: DTLS 1.2 as always (suites, groups, extended master secret...) and,
/// when 1.3 is allowed, the 1.3 suites, `supported_versions`, `key_share` (RFC 8446 §4.2.8)
/// and the `cookie` of a HelloRetryRequest (§4.2.2).
pub(crate) fn client_hello_body(
    config: &Config,
    random: [u8; 32],
    cookie12: &[u8],
    key_shares: &[ClientKeyShare],
    cookie13: Option<&[u8]>,
) -> Result<Vec<u8>, Error> {
    let malformed = Error::malformed(HandshakeType::CLIENT_HELLO);
    let v13 = config.versions.allows_dtls13();
    let v12 = config.versions.allows_dtls12();
    let mut suites: Vec<CipherSuite> = Vec::new();
    let mut groups: Vec<NamedGroup> = Vec::new();
    if v13 {
        suites.extend(&config.tls13_cipher_suites);
        groups.extend(&config.tls13_groups);
    }
    if v12 {
        suites.extend(&config.cipher_suites);
        for g in &config.groups {
            if !groups.contains(g) {
                groups.push(*g);
            }
        }
    }
    let mut versions = Vec::new();
    if v13 {
        versions.push(ProtocolVersion::DTLS_1_3);
    }
    if v12 {
        versions.push(ProtocolVersion::DTLS_1_2);
    }
    let supported_versions = if v13 {
        Some(client_versions_body(&versions).map_err(&malformed)?)
    } else {
        None
    };
    let entries: Vec<KeyShareEntry<'_>> = key_shares
        .iter()
        .flat_map(ClientKeyShare::entries)
        .map(|(group, key_exchange)| KeyShareEntry {
            group,
            key_exchange,
        })
        .collect();
    let key_share = if v13 {
        Some(client_shares_body(&entries).map_err(&malformed)?)
    } else {
        None
    };
    let cookie = cookie13.map(cookie_body).transpose().map_err(&malformed)?;
    let mut schemes = SignatureScheme::VERIFIED.to_vec();
    if !v12 {
        schemes.retain(|s| VERIFIED13.contains(s));
    }
    let ch = ClientHello {
        client_version: ProtocolVersion::DTLS_1_2,
        random,
        session_id: &[],
        cookie: cookie12,
        cipher_suites: suites,
        compression_methods: &[0],
        extensions: Extensions {
            supported_groups: Some(groups),
            ec_point_formats: v12.then_some(&[0u8][..]),
            signature_algorithms: Some(schemes),
            use_srtp: (!config.srtp_profiles.is_empty()).then(|| UseSrtp {
                profiles: config.srtp_profiles.clone(),
                mki: &[],
            }),
            extended_master_secret: v12,
            renegotiation_info: v12.then_some(&[][..]),
            supported_versions: supported_versions.as_deref(),
            key_share: key_share.as_deref(),
            cookie: cookie.as_deref(),
            unknown: 0,
        },
    };
    let mut body =
        Vec::with_capacity(512 + entries.iter().map(|e| e.key_exchange.len()).sum::<usize>());
    ch.emit(&mut body).map_err(&malformed)?;
    Ok(body)
}

impl Tls13 {
    /// The client once the server chose DTLS 1.3: `msg` is its ServerHello or
    /// HelloRetryRequest (already checked to select 1.3 with `suite`, which we offered).
    pub(crate) fn client(
        now: Instant,
        common: super::Common,
        handover: ClientHandover,
        suite: CipherSuite,
        msg: Message,
    ) -> Box<Self> {
        let (cipher, hash) = suite.params13().unwrap_or((
            crate::wire::code_points::BulkCipher::Aes128Gcm,
            crate::wire::code_points::PrfHash::Sha256,
        ));
        let params = Params {
            suite,
            cipher,
            group: NamedGroup(0),
            srtp: None,
        };
        let schedule = KeySchedule13::new(hash, LabelPrefix::Dtls13);
        let mut t = Box::new(Self::new(
            Role::Client,
            common,
            params,
            schedule,
            Step::WaitServerHello,
        ));
        t.transcript = Transcript::new(tls_message(
            HandshakeType::CLIENT_HELLO,
            &handover.client_hello,
        ));
        t.client = Some(handover);
        t.last_peer_message = Some(msg.seq);
        if let Err(e) = t.on_server_hello(now, &msg) {
            t.fail(e);
        }
        t
    }

    pub(super) fn client_message(&mut self, now: Instant, msg: Message) -> Result<(), Error> {
        let ty = msg.msg_type;
        match (self.step, ty) {
            (Step::WaitServerHello, HandshakeType::SERVER_HELLO) if msg.epoch == 0 => {
                self.on_server_hello(now, &msg)
            }
            (Step::WaitEncryptedExtensions, HandshakeType::ENCRYPTED_EXTENSIONS) => {
                Self::expect_handshake_epoch(&msg)?;
                let ext = Extensions::parse(&msg.body).map_err(Error::malformed(ty))?;
                self.params.srtp = match &ext.use_srtp {
                    // RFC 5764 §4.1.1: one profile we offered, and no MKI.
                    Some(u) => match u.profiles.as_slice() {
                        [p] if self.config.srtp_profiles.contains(p) && u.mki.is_empty() => {
                            Some(*p)
                        }
                        _ => return Err(Error::IllegalParameter(Parameter::SrtpProfile)),
                    },
                    None if !self.config.srtp_profiles.is_empty() => {
                        return Err(Error::NoCommonSrtpProfile);
                    }
                    None => None,
                };
                self.add_to_transcript(&msg);
                self.step = Step::WaitCertificateRequest;
                Ok(())
            }
            (Step::WaitCertificateRequest, HandshakeType::CERTIFICATE_REQUEST) => {
                Self::expect_handshake_epoch(&msg)?;
                let cr = CertificateRequest13::parse(&msg.body).map_err(Error::malformed(ty))?;
                // We sign with ecdsa_secp256r1_sha256 only.
                if !cr
                    .extensions
                    .signature_algorithms
                    .as_ref()
                    .is_some_and(|s| s.contains(&SignatureScheme::ECDSA_SECP256R1_SHA256))
                {
                    return Err(Error::NoCommonSignatureScheme);
                }
                self.request_context = Some(cr.context.to_vec());
                self.add_to_transcript(&msg);
                self.step = Step::WaitServerCertificate;
                Ok(())
            }
            (
                Step::WaitCertificateRequest | Step::WaitServerCertificate,
                HandshakeType::CERTIFICATE,
            ) => {
                Self::expect_handshake_epoch(&msg)?;
                self.accept_peer_certificate(&msg, &[])?;
                self.step = Step::WaitServerCertificateVerify;
                Ok(())
            }
            (Step::WaitServerCertificateVerify, HandshakeType::CERTIFICATE_VERIFY) => {
                Self::expect_handshake_epoch(&msg)?;
                self.defer_peer_certificate_verify(now, &msg)?;
                self.step = Step::WaitServerFinished;
                Ok(())
            }
            (Step::WaitServerFinished, HandshakeType::FINISHED) => {
                Self::expect_handshake_epoch(&msg)?;
                self.verify_peer_finished(&msg)?;
                self.derive_application_keys()?;
                let mut items: Vec<OutMessage> = Vec::with_capacity(3);
                if let Some(context) = self.request_context.clone() {
                    self.push_certificate(&mut items, &context)?;
                }
                self.push_finished(&mut items)?;
                // Our last flight: nothing answers it but the server's ACK (RFC 9147 §7).
                self.send_flight(now, items, true)?;
                self.install_application_write_keys()?;
                // Complete once the server's signature is checked, right after this
                // flight is handed out (`deferred_verify.rs`).
                self.step = Step::Done;
                match self.deferred_verify.as_mut() {
                    Some(d) => {
                        d.due = now;
                        Ok(())
                    }
                    None => self.complete(),
                }
            }
            _ => Err(Error::UnexpectedMessage(ty)),
        }
    }

    /// A ServerHello or HelloRetryRequest selecting DTLS 1.3 (RFC 8446 §4.1.3, §4.1.4).
    fn on_server_hello(&mut self, now: Instant, msg: &Message) -> Result<(), Error> {
        let ty = HandshakeType::SERVER_HELLO;
        let sh = ServerHello::parse(&msg.body).map_err(Error::malformed(ty))?;
        if sh.server_version != ProtocolVersion::DTLS_1_2 {
            return Err(Error::ProtocolVersion(sh.server_version.0));
        }
        if let Some(v) = sh.extensions.selected_version()
            && v != ProtocolVersion::DTLS_1_3
        {
            return Err(Error::ProtocolVersion(v.0));
        }
        if sh.compression_method != 0 {
            return Err(Error::IllegalParameter(Parameter::Compression));
        }
        if sh.cipher_suite != self.params.suite {
            return Err(Error::IllegalParameter(Parameter::CipherSuite));
        }
        // We send an empty legacy_session_id: the echo must be empty too.
        if !sh.session_id.is_empty() {
            return Err(Error::IllegalParameter(Parameter::Renegotiation));
        }
        // Taken for the borrow checker; put back below (a failure ends the handshake anyway).
        let mut client = self.client.take().ok_or(Error::Crypto)?;
        if sh.random == HELLO_RETRY_RANDOM {
            if client.retried {
                return Err(Error::IllegalParameter(Parameter::HelloRetryRequest));
            }
            client.retried = true;
            let selected = sh
                .extensions
                .key_share
                .map(parse_selected_group)
                .transpose()
                .map_err(Error::malformed(ty))?;
            let cookie = sh
                .extensions
                .cookie
                .map(parse_cookie)
                .transpose()
                .map_err(Error::malformed(ty))?;
            if selected.is_none() && cookie.is_none() {
                return Err(Error::IllegalParameter(Parameter::HelloRetryRequest));
            }
            if let Some(group) = selected {
                // RFC 8446 §4.1.4: a group we offered, and not one we sent a share for.
                if !self.config.tls13_groups.contains(&group)
                    || client.key_shares.iter().any(|k| k.offers(group))
                {
                    return Err(Error::IllegalParameter(Parameter::KeyShare));
                }
                client.key_shares = vec![ClientKeyShare::generate(
                    &self.sys_rng,
                    group,
                    &mut Default::default(),
                )?];
            }
            // RFC 8446 §4.4.1: the first ClientHello becomes a message_hash.
            let ch1_hash = self.transcript_hash();
            self.transcript = Transcript::new(self.schedule.message_hash(&ch1_hash));
            self.transcript.push(ty, &msg.body);
            let body =
                client_hello_body(&self.config, client.random, &[], &client.key_shares, cookie)?;
            client.client_hello = body.clone();
            self.client = Some(client);
            let mut items = Vec::with_capacity(1);
            self.push_message(&mut items, 0, HandshakeType::CLIENT_HELLO, body, true);
            self.step = Step::WaitServerHello;
            return self.send_flight(now, items, true);
        }
        let entry = sh
            .extensions
            .key_share
            .ok_or(Error::IllegalParameter(Parameter::KeyShare))
            .and_then(|k| parse_server_share(k).map_err(Error::malformed(ty)))?;
        let index = client
            .key_shares
            .iter()
            .position(|k| k.offers(entry.group))
            .ok_or(Error::IllegalParameter(Parameter::KeyShare))?;
        let share = client.key_shares.swap_remove(index);
        client.key_shares.clear();
        self.client = Some(client);
        let shared = share.finish(entry.group, entry.key_exchange)?;
        self.params.group = entry.group;
        self.transcript.push(ty, &msg.body);
        self.install_handshake_keys(&shared)?;
        // The ServerHello answered our ClientHello.
        self.retransmit = None;
        self.flight.clear();
        self.flight_records.clear();
        self.step = Step::WaitEncryptedExtensions;
        Ok(())
    }
}
