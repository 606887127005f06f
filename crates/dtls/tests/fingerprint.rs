//! A certificate that does not match the SDP fingerprint fails the handshake with a clear
//! error before any keying material or data is released.

mod support;

use std::time::Duration;

use rtcweb_dtls::{
    AlertDescription, Certificate, Error, Fingerprint, HashAlgorithm, SRTP_EXPORTER_LABEL,
};
use support::{LinkConfig, Pair, configs, connected, failure};

#[test]
fn client_refuses_a_server_with_the_wrong_fingerprint() {
    let (mut c, s) = configs();
    let stranger = Certificate::generate().unwrap();
    c.remote_fingerprints = vec![stranger.fingerprint(HashAlgorithm::Sha256)];
    let server_print = s.certificate.fingerprint(HashAlgorithm::Sha256);
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 1);
    p.run_until(Duration::from_secs(10), |p| {
        failure(&p.client_events).is_some() && failure(&p.server_events).is_some()
    });
    assert_eq!(
        failure(&p.client_events),
        Some(Error::FingerprintMismatch {
            actual: server_print
        })
    );
    let msg = failure(&p.client_events).unwrap().to_string();
    assert!(
        msg.contains("matches none of the expected fingerprints"),
        "{msg}"
    );
    assert!(connected(&p.client_events).is_none());
    assert!(
        p.client
            .export_keying_material(SRTP_EXPORTER_LABEL, None, 60)
            .is_err()
    );
    // The server hears why.
    assert_eq!(
        failure(&p.server_events),
        Some(Error::AlertReceived(AlertDescription::BAD_CERTIFICATE))
    );
    assert!(connected(&p.server_events).is_none());
}

#[test]
fn server_refuses_a_client_with_the_wrong_fingerprint() {
    for versions in [rtcweb_dtls::Versions::Dtls12, rtcweb_dtls::Versions::Dtls13] {
        server_refuses_a_client_with_the_wrong_fingerprint_in(versions);
    }
}

fn server_refuses_a_client_with_the_wrong_fingerprint_in(versions: rtcweb_dtls::Versions) {
    let (mut c, mut s) = configs();
    c.versions = versions;
    s.versions = versions;
    // A sha-512 fingerprint of another certificate: the strongest hash is what counts.
    let stranger = Certificate::generate().unwrap();
    s.remote_fingerprints = vec![
        c.certificate.fingerprint(HashAlgorithm::Sha256),
        stranger.fingerprint(HashAlgorithm::Sha512),
    ];
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 2);
    p.run_until(Duration::from_secs(10), |p| {
        failure(&p.client_events).is_some() && failure(&p.server_events).is_some()
    });
    assert!(matches!(
        failure(&p.server_events),
        Some(Error::FingerprintMismatch { actual }) if actual.algorithm == HashAlgorithm::Sha512
    ));
    assert!(connected(&p.server_events).is_none());
    // In DTLS 1.3 the client completes with its last flight (RFC 8446 §4.4.4), before the
    // server checks its certificate: it learns the refusal from the alert.
    if versions == rtcweb_dtls::Versions::Dtls12 {
        assert!(connected(&p.client_events).is_none());
    }
    assert_eq!(
        failure(&p.client_events),
        Some(Error::AlertReceived(AlertDescription::BAD_CERTIFICATE))
    );
    assert!(!p.client.is_connected());
    // A failed connection stays failed.
    assert!(p.server.send(p.now, b"x").is_err());
}

#[test]
fn any_of_several_fingerprints_of_the_strongest_hash_matches() {
    let (mut c, s) = configs();
    let stranger = Certificate::generate().unwrap();
    c.remote_fingerprints = vec![
        stranger.fingerprint(HashAlgorithm::Sha384),
        s.certificate.fingerprint(HashAlgorithm::Sha384),
        "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
            .parse::<Fingerprint>()
            .unwrap(),
    ];
    let expected = s.certificate.fingerprint(HashAlgorithm::Sha384);
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 3);
    let (client, _) = p.handshake(Duration::from_secs(5));
    assert_eq!(client.peer_fingerprint, expected);
}
