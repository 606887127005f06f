//! Against rtc-dtls (webrtc-rs's sans-IO DTLS 1.2, the stack behind the `rtc` crate), in
//! memory in virtual time: the handshake completes in both roles, data goes both ways, both
//! sides see each other's certificate, and both export the same SRTP keying material. An
//! rtc-dtls server with an RSA certificate gets an `ECDHE_RSA` suite from our client.

mod support;
use support::NextDatagram;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc_dtls::cipher_suite::CipherSuiteId;
use rtc_dtls::config::{ClientAuthType, ConfigBuilder, ExtendedMasterSecretType};
use rtc_dtls::crypto::{Certificate as TheirCertificate, CryptoPrivateKey};
use rtc_dtls::endpoint::{Endpoint, EndpointEvent};
use rtc_dtls::extension::extension_use_srtp::SrtpProtectionProfile;
use rtcweb_dtls::wire::code_points::AuthKind;
use rtcweb_dtls::{
    Certificate, CipherSuite, Config, Connected, Connection, Event, Fingerprint, HashAlgorithm,
    SRTP_EXPORTER_LABEL, SrtpProfile,
};

/// Their certificate's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Ecdsa,
    Rsa,
}

/// A throw-away RSA 2048 key in PKCS#8 (testdata/README.md).
const RSA_KEY: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/rsa_test_key.pk8"
));

/// A certificate for the rtc-dtls side: its DER and rcgen key pair.
fn their_identity(key: KeyType) -> (Vec<u8>, rcgen::KeyPair) {
    let pair = match key {
        KeyType::Ecdsa => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        // ring cannot generate RSA keys: a throw-away test key (testdata/README.md).
        KeyType::Rsa => rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
            &RSA_KEY[..].into(),
            &rcgen::PKCS_RSA_SHA256,
        )
        .unwrap(),
    };
    let cert = rcgen::CertificateParams::new(vec!["rtc-dtls".to_owned()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    (cert.der().to_vec(), pair)
}

fn to_rtc_profile(p: SrtpProfile) -> SrtpProtectionProfile {
    match p {
        SrtpProfile::AES128_CM_HMAC_SHA1_80 => SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
        SrtpProfile::AES128_CM_HMAC_SHA1_32 => SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_32,
        SrtpProfile::AEAD_AES_128_GCM => SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
        SrtpProfile::AEAD_AES_256_GCM => SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm,
        other => panic!("no rtc-dtls profile for {other:?}"),
    }
}

struct Run {
    ours: Connection,
    theirs: Endpoint,
    /// Addresses only name the association inside their endpoint; no socket is involved.
    our_addr: SocketAddr,
    their_connected: bool,
    their_data: Vec<Vec<u8>>,
    our_der: Vec<u8>,
    their_der: Vec<u8>,
    events: Vec<Event>,
    now: Instant,
}

/// What one run negotiates.
struct Setup {
    we_are_client: bool,
    key: KeyType,
    their_suites: Vec<CipherSuiteId>,
    profiles: Vec<SrtpProfile>,
    cookies: bool,
}

impl Run {
    fn new(setup: &Setup) -> Self {
        let ours = Certificate::generate().unwrap();
        let (their_der, their_pair) = their_identity(setup.key);
        let mut config = Config::new(
            ours.clone(),
            vec![Fingerprint::of(&their_der, HashAlgorithm::Sha256)],
        );
        config.seed = Some(17);
        config.cookies = setup.cookies;
        config.srtp_profiles = setup.profiles.clone();

        let provider = rtc_dtls::crypto_provider::default_provider().unwrap();
        let their_cert = TheirCertificate {
            certificate: vec![their_der.clone().into()],
            private_key: CryptoPrivateKey::from_key_pair(&their_pair, provider.crypto()).unwrap(),
        };
        let builder = ConfigBuilder::default()
            .with_crypto_provider(provider)
            .with_certificates(vec![their_cert])
            .with_cipher_suites(setup.their_suites.clone())
            .with_srtp_protection_profiles(
                setup.profiles.iter().copied().map(to_rtc_profile).collect(),
            )
            .with_extended_master_secret(ExtendedMasterSecretType::Require)
            // WebRTC authenticates by fingerprint; we check theirs, and compare the DER below.
            .with_insecure_skip_verify(true);

        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let our_addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let their_addr: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        let (ours_conn, theirs) = if setup.we_are_client {
            let server_config = builder
                .with_client_auth(ClientAuthType::RequireAnyClientCert)
                .build(false, None)
                .unwrap();
            let theirs = Endpoint::new(
                their_addr,
                Default::default(),
                Some(Arc::new(server_config)),
            );
            (Connection::client(now, config).unwrap(), theirs)
        } else {
            let client_config = builder.build(true, Some(our_addr)).unwrap();
            let mut theirs = Endpoint::new(their_addr, Default::default(), None);
            theirs
                .connect(now, our_addr, Arc::new(client_config), None)
                .unwrap();
            (Connection::server(now, config).unwrap(), theirs)
        };
        Self {
            ours: ours_conn,
            theirs,
            our_addr,
            their_connected: false,
            their_data: Vec::new(),
            our_der: ours.der().to_vec(),
            their_der,
            events: Vec::new(),
            now,
        }
    }

    /// Delivers everything both ways, advancing virtual time to the next deadline when both
    /// are idle, until `done`.
    fn run_until(&mut self, mut done: impl FnMut(&Self) -> bool) {
        let end = self.now + Duration::from_secs(60);
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
            while let Some(t) = self.theirs.poll_transmit() {
                to_ours.push(t.message.to_vec());
            }
            if done(self) {
                return;
            }
            assert!(self.now < end, "no progress; our events {:?}", self.events);
            let idle = to_theirs.is_empty() && to_ours.is_empty();
            for d in to_theirs {
                let events = self
                    .theirs
                    .read(self.now, self.our_addr, None, d.as_slice().into())
                    .expect("rtc-dtls refused our datagram");
                for e in events {
                    match e {
                        EndpointEvent::HandshakeComplete => self.their_connected = true,
                        EndpointEvent::ApplicationData(a) => self.their_data.push(a.to_vec()),
                        _ => {}
                    }
                }
            }
            for d in to_ours {
                self.ours.handle_datagram(self.now, &d);
            }
            if idle {
                let next = [
                    self.theirs.poll_timeout(&self.our_addr),
                    self.ours.poll_timeout(),
                ]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(self.now + Duration::from_millis(10));
                self.now = self.now.max(next);
                self.ours.handle_timeout(self.now);
                self.theirs
                    .handle_timeout(self.our_addr, self.now)
                    .expect("rtc-dtls timed out");
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
        self.run_until(|r| r.connected().is_some() && r.their_connected);
        let c = self.connected().unwrap().clone();
        let state = self
            .theirs
            .get_connection_state(self.our_addr)
            .expect("rtc-dtls holds the association");

        // Each side saw the other's certificate.
        assert_eq!(c.peer_certificate, self.their_der);
        assert_eq!(state.peer_certificates.first(), Some(&self.our_der));
        // Same suite, same SRTP profile, same keying material.
        assert_eq!(
            state.cipher_suite().map(|s| s.id() as u16),
            Some(c.cipher_suite.0)
        );
        let srtp = c.srtp.clone().expect("use_srtp negotiated");
        assert_eq!(
            state.srtp_protection_profile(),
            to_rtc_profile(srtp.profile)
        );
        let theirs = state
            .export_keying_material(SRTP_EXPORTER_LABEL, &[], srtp.keying_material.len())
            .unwrap();
        assert_eq!(
            hex::encode(&srtp.keying_material),
            hex::encode(theirs.as_ref()),
            "same SRTP keying material"
        );
        // And the general exporter agrees beyond the profile's length.
        let ours60 = self
            .ours
            .export_keying_material(SRTP_EXPORTER_LABEL, None, 60)
            .unwrap();
        let theirs60 = state
            .export_keying_material(SRTP_EXPORTER_LABEL, &[], 60)
            .unwrap();
        assert_eq!(ours60, theirs60.as_ref());

        // Data both ways.
        self.ours.send(self.now, b"from rtcweb").unwrap();
        self.theirs
            .write(self.now, self.our_addr, b"from rtc-dtls")
            .unwrap();
        self.run_until(|r| {
            !r.their_data.is_empty()
                && r.events
                    .iter()
                    .any(|e| matches!(e, Event::ApplicationData(_)))
        });
        assert_eq!(self.their_data, [b"from rtcweb".to_vec()]);
        assert!(
            self.events
                .contains(&Event::ApplicationData(b"from rtc-dtls".to_vec()))
        );
        c
    }
}

const ECDSA_SUITES: [(CipherSuiteId, CipherSuite); 2] = [
    (
        CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        CipherSuiteId::Tls_Ecdhe_Ecdsa_With_ChaCha20_Poly1305_Sha256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

#[test]
fn we_are_client_rtc_dtls_is_server() {
    for (theirs, ours) in ECDSA_SUITES {
        let mut r = Run::new(&Setup {
            we_are_client: true,
            key: KeyType::Ecdsa,
            their_suites: vec![theirs],
            profiles: vec![SrtpProfile::AEAD_AES_128_GCM],
            cookies: true,
        });
        assert_eq!(r.handshake_and_exchange().cipher_suite, ours);
    }
}

#[test]
fn we_are_server_rtc_dtls_is_client_with_and_without_cookies() {
    for (theirs, ours) in ECDSA_SUITES {
        for cookies in [true, false] {
            let mut r = Run::new(&Setup {
                we_are_client: false,
                key: KeyType::Ecdsa,
                their_suites: vec![theirs],
                profiles: vec![SrtpProfile::AES128_CM_HMAC_SHA1_80],
                cookies,
            });
            assert_eq!(r.handshake_and_exchange().cipher_suite, ours);
        }
    }
}

#[test]
fn every_srtp_profile_both_roles() {
    for profile in SrtpProfile::SUPPORTED {
        for we_are_client in [true, false] {
            let mut r = Run::new(&Setup {
                we_are_client,
                key: KeyType::Ecdsa,
                their_suites: vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256],
                profiles: vec![profile],
                cookies: true,
            });
            let c = r.handshake_and_exchange();
            assert_eq!(c.srtp.unwrap().profile, profile);
        }
    }
}

#[test]
fn rtc_dtls_server_with_an_rsa_certificate() {
    for (theirs, ours) in [
        (
            CipherSuiteId::Tls_Ecdhe_Rsa_With_Aes_128_Gcm_Sha256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ),
        (
            CipherSuiteId::Tls_Ecdhe_Rsa_With_ChaCha20_Poly1305_Sha256,
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ),
    ] {
        let mut r = Run::new(&Setup {
            we_are_client: true,
            key: KeyType::Rsa,
            their_suites: vec![theirs],
            profiles: vec![SrtpProfile::AEAD_AES_256_GCM],
            cookies: true,
        });
        let c = r.handshake_and_exchange();
        assert_eq!(c.cipher_suite, ours);
        assert_eq!(c.cipher_suite.params().unwrap().2, AuthKind::Rsa);
    }
}

#[test]
fn rtc_dtls_client_with_an_rsa_certificate() {
    // Their CertificateVerify is RSA (PKCS#1 v1.5); our server's certificate stays ECDSA.
    let mut r = Run::new(&Setup {
        we_are_client: false,
        key: KeyType::Rsa,
        their_suites: vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256],
        profiles: vec![SrtpProfile::AEAD_AES_128_GCM],
        cookies: true,
    });
    let c = r.handshake_and_exchange();
    assert_eq!(
        c.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
}
