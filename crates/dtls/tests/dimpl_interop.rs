//! Against dimpl (another sans-IO DTLS stack, str0m's), in memory in virtual time, in DTLS
//! 1.2 and 1.3: the handshake completes in both roles, data goes both ways, and both sides
//! export the same SRTP keying material.

mod support;
use support::NextDatagram;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dimpl::{Dtls, DtlsCertificate, Output};
use rtcweb_dtls::{
    Certificate, CipherSuite, Config, Connected, Connection, Event, HashAlgorithm, NamedGroup,
    ProtocolVersion, SrtpProfile, Versions,
};

/// What the dimpl side reported.
#[derive(Default)]
struct DimplLog {
    connected: bool,
    peer_cert: Option<Vec<u8>>,
    keying: Option<(Vec<u8>, dimpl::SrtpProfile)>,
    data: Vec<Vec<u8>>,
}

fn drain_dimpl(d: &mut Dtls, log: &mut DimplLog, out: &mut Vec<Vec<u8>>) -> Option<Instant> {
    let mut buf = vec![0u8; 4096];
    loop {
        match d.poll_output(&mut buf) {
            Output::Packet(p) => out.push(p.to_vec()),
            Output::BufferTooSmall { needed } => buf.resize(needed, 0),
            Output::Timeout(t) => return Some(t),
            Output::Connected => log.connected = true,
            Output::PeerCert(c) => log.peer_cert = Some(c.to_vec()),
            Output::KeyingMaterial(km, p) => log.keying = Some((km.to_vec(), p)),
            Output::ApplicationData(a) => log.data.push(a.to_vec()),
            Output::CloseNotify => return None,
            _ => {}
        }
    }
}

struct Run {
    ours: Connection,
    theirs: Dtls,
    log: DimplLog,
    events: Vec<Event>,
    now: Instant,
}

impl Run {
    fn new(we_are_client: bool, suite: Option<CipherSuite>) -> Self {
        Self::with_version(we_are_client, suite, false, |_| {})
    }

    /// `dtls13`: dimpl speaks 1.3 only and we offer both; `tune` adjusts our config.
    fn with_version(
        we_are_client: bool,
        suite: Option<CipherSuite>,
        dtls13: bool,
        tune: impl FnOnce(&mut Config),
    ) -> Self {
        let our_cert = Certificate::generate().unwrap();
        let their_cert = Certificate::generate().unwrap();
        let mut config = Config::new(
            our_cert.clone(),
            vec![their_cert.fingerprint(HashAlgorithm::Sha256)],
        );
        config.seed = Some(9);
        if let Some(s) = suite {
            if dtls13 {
                config.tls13_cipher_suites = vec![s];
            } else {
                config.cipher_suites = vec![s];
            }
        }
        if dtls13 {
            config.versions = Versions::Both;
        }
        tune(&mut config);
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let dimpl_config = Arc::new(
            dimpl::Config::builder()
                .require_client_certificate(true)
                .build()
                .unwrap(),
        );
        let certificate = DtlsCertificate {
            certificate: their_cert.der().to_vec(),
            private_key: their_cert.private_key_pkcs8().to_vec(),
        };
        let mut theirs = if dtls13 {
            Dtls::new_13(dimpl_config, certificate, now)
        } else {
            Dtls::new_12(dimpl_config, certificate, now)
        };
        theirs.set_active(!we_are_client);
        let ours = if we_are_client {
            Connection::client(now, config).unwrap()
        } else {
            Connection::server(now, config).unwrap()
        };
        Self {
            ours,
            theirs,
            log: DimplLog::default(),
            events: Vec::new(),
            now,
        }
    }

    /// Delivers everything both ways at once, advancing virtual time to the next deadline
    /// when both are idle, until `done`.
    fn run_until(&mut self, mut done: impl FnMut(&Self) -> bool) {
        let end = self.now + Duration::from_secs(30);
        self.theirs.handle_timeout(self.now).unwrap();
        loop {
            let mut to_theirs = Vec::new();
            while let Some(d) = self.ours.next_datagram() {
                to_theirs.push(d);
            }
            while let Some(e) = self.ours.poll_event() {
                assert!(!matches!(e, Event::Failed(_)), "we failed: {e:?}");
                self.events.push(e);
            }
            let mut to_ours = Vec::new();
            let their_deadline = drain_dimpl(&mut self.theirs, &mut self.log, &mut to_ours);
            if done(self) {
                return;
            }
            assert!(self.now < end, "no progress; our events {:?}", self.events);
            let idle = to_theirs.is_empty() && to_ours.is_empty();
            for d in to_theirs {
                self.theirs.handle_packet(&d).unwrap();
            }
            for d in to_ours {
                self.ours.handle_datagram(self.now, &d);
            }
            if idle {
                let next = [their_deadline, self.ours.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(self.now + Duration::from_millis(10));
                self.now = self.now.max(next);
                self.ours.handle_timeout(self.now);
                self.theirs.handle_timeout(self.now).unwrap();
            }
        }
    }

    fn connected(&self) -> Option<&Connected> {
        self.events.iter().find_map(|e| match e {
            Event::Connected(c) => Some(&**c),
            _ => None,
        })
    }

    fn handshake_and_exchange(&mut self) -> Connected {
        self.run_until(|r| r.connected().is_some() && r.log.connected && r.log.keying.is_some());
        let c = self.connected().unwrap().clone();
        let (their_keys, their_profile) = self.log.keying.clone().unwrap();
        let srtp = c.srtp.clone().unwrap();
        assert_eq!(
            srtp.keying_material, their_keys,
            "same SRTP keying material"
        );
        let expected = match their_profile {
            dimpl::SrtpProfile::AEAD_AES_128_GCM => SrtpProfile::AEAD_AES_128_GCM,
            dimpl::SrtpProfile::AEAD_AES_256_GCM => SrtpProfile::AEAD_AES_256_GCM,
            _ => SrtpProfile::AES128_CM_HMAC_SHA1_80,
        };
        assert_eq!(srtp.profile, expected);
        // dimpl saw our certificate; we matched its fingerprint.
        assert!(self.log.peer_cert.is_some());

        self.ours.send(self.now, b"from rtcweb").unwrap();
        self.theirs.send_application_data(b"from dimpl").unwrap();
        self.run_until(|r| {
            !r.log.data.is_empty()
                && r.events
                    .iter()
                    .any(|e| matches!(e, Event::ApplicationData(_)))
        });
        assert_eq!(self.log.data, [b"from rtcweb".to_vec()]);
        assert!(
            self.events
                .contains(&Event::ApplicationData(b"from dimpl".to_vec()))
        );
        c
    }
}

#[test]
fn we_are_client_dimpl_is_server() {
    let mut r = Run::new(true, None);
    let c = r.handshake_and_exchange();
    assert_eq!(
        c.cipher_suite.params().unwrap().2,
        rtcweb_dtls::wire::code_points::AuthKind::Ecdsa
    );
}

#[test]
fn we_are_server_dimpl_is_client() {
    let mut r = Run::new(false, None);
    r.handshake_and_exchange();
}

#[test]
fn every_suite_dimpl_shares_both_roles() {
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        for client in [true, false] {
            let mut r = Run::new(client, Some(suite));
            assert_eq!(r.handshake_and_exchange().cipher_suite, suite);
        }
    }
}

#[test]
fn dtls13_both_roles_every_suite() {
    for suite in CipherSuite::SUPPORTED_TLS13 {
        for client in [true, false] {
            let mut r = Run::with_version(client, Some(suite), true, |_| {});
            let c = r.handshake_and_exchange();
            assert_eq!(c.version, ProtocolVersion::DTLS_1_3, "client {client}");
            assert_eq!(c.cipher_suite, suite);
            // dimpl has no ML-KEM: our server takes its x25519 share; as client our
            // second share (x25519) spares a HelloRetryRequest.
            assert_eq!(c.group, NamedGroup::X25519);
        }
    }
}

#[test]
fn dtls13_with_a_hello_retry_request_for_the_group() {
    // We share only X25519MLKEM768, which dimpl lacks: dimpl's HelloRetryRequest asks for
    // a group we listed, and the second ClientHello carries that share.
    let mut r = Run::with_version(true, None, true, |c| c.tls13_key_shares = 1);
    let c = r.handshake_and_exchange();
    assert_eq!(c.version, ProtocolVersion::DTLS_1_3);
    assert_ne!(c.group, NamedGroup::X25519MLKEM768);
    // And as server with cookies off: dimpl's shares are taken directly.
    let mut r = Run::with_version(false, None, true, |c| c.cookies = false);
    assert_eq!(
        r.handshake_and_exchange().version,
        ProtocolVersion::DTLS_1_3
    );
}
