//! DTLS 1.3 (RFC 9147) between two connections of this crate, in memory: every suite and
//! group (X25519MLKEM768 first), the stateless HelloRetryRequest, version negotiation with
//! 1.2 fallback and the downgrade sentinel, KeyUpdate, loss, and close.

mod support;

use std::time::Duration;

use rtcweb_dtls::{
    CipherSuite, Connection, Error, Event, NamedGroup, Parameter, PreparedKeys, ProtocolVersion,
    Role, SRTP_EXPORTER_LABEL, SrtpProfile, Versions,
};
use support::{LinkConfig, Pair, configs, data, failure};

fn configs13() -> (rtcweb_dtls::Config, rtcweb_dtls::Config) {
    let (mut c, mut s) = configs();
    c.versions = Versions::Both;
    s.versions = Versions::Both;
    (c, s)
}

/// Sends one message each way and checks it arrives.
fn exchange(p: &mut Pair, what: &[u8]) {
    let (before_c, before_s) = (data(&p.client_events).len(), data(&p.server_events).len());
    p.client.send(p.now, what).unwrap();
    p.server.send(p.now, what).unwrap();
    let ok = p.run_until(Duration::from_secs(1), |p| {
        data(&p.server_events).len() > before_s && data(&p.client_events).len() > before_c
    });
    assert!(ok, "data did not arrive");
    assert_eq!(data(&p.server_events).last().unwrap(), what);
    assert_eq!(data(&p.client_events).last().unwrap(), what);
}

#[test]
fn default_13_handshake_uses_the_hybrid_group_and_agrees_on_srtp_keys() {
    let (c, s) = configs13();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 1);
    let (client, server) = p.handshake(Duration::from_secs(5));
    assert_eq!(client.role, Role::Client);
    assert_eq!(server.role, Role::Server);
    for side in [&client, &server] {
        assert_eq!(side.version, ProtocolVersion::DTLS_1_3);
        assert_eq!(side.cipher_suite, CipherSuite::TLS_AES_128_GCM_SHA256);
        assert_eq!(side.group, NamedGroup::X25519MLKEM768);
    }
    assert_eq!(p.client.version(), Some(ProtocolVersion::DTLS_1_3));
    let (ck, sk) = (client.srtp.unwrap(), server.srtp.unwrap());
    assert_eq!(ck.profile, SrtpProfile::AEAD_AES_128_GCM);
    assert_eq!(ck, sk);
    assert_eq!(
        p.server
            .export_keying_material(SRTP_EXPORTER_LABEL, None, 56)
            .unwrap(),
        ck.keying_material
    );
    // Cookies on: one stateless HelloRetryRequest.
    assert_eq!(p.server.stats().hello_verify_requests_sent, 1);
    exchange(&mut p, b"ping");
    // The client's last flight was acknowledged: nothing left to retransmit.
    assert_eq!(p.client.poll_timeout(), None);
    assert_eq!(p.server.poll_timeout(), None);

    p.client.close(p.now);
    p.run_until(Duration::from_secs(1), |p| {
        p.server_events.contains(&Event::Closed)
    });
    assert!(p.client_events.contains(&Event::Closed));
    assert!(p.server_events.contains(&Event::Closed));
    assert!(p.server.send(p.now, b"late").is_err());
}

/// Keys made ahead ([`PreparedKeys`]) in both roles: the handshake completes in the
/// hybrid group and in x25519 (where the client has no use for the ML-KEM pair), and a
/// 1.2-only configuration makes none.
#[test]
fn keys_made_ahead_serve_both_roles() {
    for groups in [
        vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519],
        vec![NamedGroup::X25519],
    ] {
        let (mut c, mut s) = configs13();
        c.tls13_groups.clone_from(&groups);
        s.tls13_groups.clone_from(&groups);
        let mut p = Pair::new(c.clone(), s.clone(), LinkConfig::perfect(), 7);
        let (client_keys, server_keys) = (PreparedKeys::generate(&c), PreparedKeys::generate(&s));
        let shown = format!("{client_keys:?}");
        assert!(shown.contains("x25519: true"), "{shown}");
        assert_eq!(
            shown.contains("mlkem768: true"),
            groups[0] == NamedGroup::X25519MLKEM768,
            "{shown}"
        );
        p.client = Connection::client_prepared(p.now, c, client_keys).unwrap();
        p.server = Connection::server_prepared(p.now, s, server_keys).unwrap();
        let (client, server) = p.handshake(Duration::from_secs(5));
        assert_eq!(client.group, groups[0]);
        assert_eq!(server.group, groups[0]);
        assert_eq!(client.srtp, server.srtp);
        exchange(&mut p, b"made ahead");
    }
    let (mut c, _) = configs13();
    c.versions = Versions::Dtls12;
    let shown = format!("{:?}", PreparedKeys::generate(&c));
    assert!(
        shown.contains("x25519: false") && shown.contains("mlkem768: false"),
        "{shown}"
    );
}

#[test]
fn every_suite_and_group_with_and_without_cookies() {
    for suite in CipherSuite::SUPPORTED_TLS13 {
        for group in NamedGroup::SUPPORTED_TLS13 {
            for cookies in [true, false] {
                let (mut c, mut s) = configs13();
                c.tls13_cipher_suites = vec![suite];
                c.tls13_groups = vec![group];
                s.cookies = cookies;
                let mut p = Pair::new(c, s, LinkConfig::perfect(), 2);
                let (client, server) = p.handshake(Duration::from_secs(5));
                assert_eq!(client.cipher_suite, suite);
                assert_eq!(server.group, group);
                assert_eq!(client.srtp, server.srtp);
                assert_eq!(
                    p.server.stats().hello_verify_requests_sent,
                    u64::from(cookies),
                    "{suite} {group} cookies {cookies}"
                );
                exchange(&mut p, &[7; 1000]);
            }
        }
    }
}

#[test]
fn a_hello_retry_request_asks_for_the_group_the_server_wants() {
    let (mut c, mut s) = configs13();
    // The client sends an x25519 share only, the server wants P-256: the
    // HelloRetryRequest names it (and carries the cookie), the client sends that share.
    c.tls13_groups = vec![NamedGroup::X25519, NamedGroup::SECP256R1];
    c.tls13_key_shares = 1;
    s.tls13_groups = vec![NamedGroup::SECP256R1];
    s.cookies = false;
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 3);
    let (client, _) = p.handshake(Duration::from_secs(5));
    assert_eq!(client.group, NamedGroup::SECP256R1);
    assert_eq!(p.server.stats().hello_verify_requests_sent, 1);
    exchange(&mut p, b"after a retry");
}

#[test]
fn versions_are_negotiated_with_fallback_to_12() {
    use Versions::*;
    for (client, server, expected) in [
        (Both, Dtls12, Some(ProtocolVersion::DTLS_1_2)),
        (Dtls12, Both, Some(ProtocolVersion::DTLS_1_2)),
        (Dtls13, Dtls13, Some(ProtocolVersion::DTLS_1_3)),
        (Dtls13, Both, Some(ProtocolVersion::DTLS_1_3)),
        (Both, Dtls13, Some(ProtocolVersion::DTLS_1_3)),
        (Dtls13, Dtls12, None),
        (Dtls12, Dtls13, None),
    ] {
        let (mut c, mut s) = configs();
        c.versions = client;
        s.versions = server;
        let mut p = Pair::new(c, s, LinkConfig::perfect(), 4);
        match expected {
            Some(v) => {
                let (cc, sc) = p.handshake(Duration::from_secs(5));
                assert_eq!((cc.version, sc.version), (v, v), "{client:?} {server:?}");
                exchange(&mut p, b"x");
            }
            None => {
                p.run_until(Duration::from_secs(5), |p| {
                    failure(&p.client_events).is_some() || failure(&p.server_events).is_some()
                });
                let err = failure(&p.client_events).or(failure(&p.server_events));
                assert!(
                    matches!(err, Some(Error::ProtocolVersion(_))),
                    "{client:?} {server:?}: {err:?}"
                );
            }
        }
    }
}

#[test]
fn a_downgrade_to_12_is_refused() {
    // A man in the middle strips supported_versions from the ClientHello: the server
    // (which also speaks 1.3) answers 1.2 with the RFC 8446 §4.1.3 sentinel in its random,
    // and the client refuses.
    let (c, s) = configs13();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 5);
    p.client_to_server = Some(Box::new(|d: &mut Vec<u8>| {
        let pattern = [0x00, 0x2b, 0x00, 0x05, 0x04, 0xfe, 0xfc, 0xfe, 0xfd];
        if let Some(i) = d.windows(pattern.len()).position(|w| w == pattern) {
            d[i] = 0xfa;
            d[i + 1] = 0xfa;
        }
        true
    }));
    p.run_until(Duration::from_secs(5), |p| {
        failure(&p.client_events).is_some()
    });
    assert_eq!(
        failure(&p.client_events),
        Some(Error::IllegalParameter(Parameter::Downgrade))
    );
}

#[test]
fn key_updates_move_both_directions_to_new_epochs() {
    let (c, s) = configs13();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 6);
    p.handshake(Duration::from_secs(5));
    exchange(&mut p, b"epoch 3");
    for round in 0..3 {
        p.client.update_keys(p.now).unwrap();
        p.run_until(Duration::from_secs(1), |p| {
            p.client.poll_timeout().is_none()
        });
        p.server.update_keys(p.now).unwrap();
        p.run_until(Duration::from_secs(1), |p| {
            p.server.poll_timeout().is_none()
        });
        exchange(&mut p, format!("after update {round}").as_bytes());
    }
    assert!(p.client.is_connected() && p.server.is_connected());
}

#[test]
fn records_of_an_old_epoch_are_dropped_after_key_updates() {
    let (c, s) = configs13();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 7);
    p.handshake(Duration::from_secs(5));
    exchange(&mut p, b"warm");
    // A record of epoch 3, captured.
    let mut old = Vec::new();
    p.client.send_into(p.now, b"old epoch", &mut old).unwrap();
    for _ in 0..3 {
        p.client.update_keys(p.now).unwrap();
        p.run_until(Duration::from_secs(1), |p| {
            p.client.poll_timeout().is_none()
        });
    }
    exchange(&mut p, b"new epoch");
    let before = data(&p.server_events).len();
    let dropped = p.server.stats().records_dropped;
    p.server.handle_datagram(p.now, &old);
    p.drain();
    assert_eq!(
        data(&p.server_events).len(),
        before,
        "old epoch record delivered"
    );
    assert!(p.server.stats().records_dropped > dropped);
    assert!(p.server.is_connected());
}

#[test]
fn handshake_completes_at_10_percent_loss_with_reordering_and_duplication() {
    let mut retransmissions = 0;
    for seed in 0..30 {
        let (mut c, mut s) = configs13();
        for cfg in [&mut c, &mut s] {
            cfg.initial_retransmit = Duration::from_millis(100);
            cfg.max_retransmit = Duration::from_secs(2);
            cfg.max_retransmissions = 20;
            // The hybrid ClientHello (1.2 KB of key shares) is cut into several records.
            cfg.mtu = 500;
        }
        let mut p = Pair::new(c, s, LinkConfig::lossy(0.1), seed);
        let (client, server) = p.handshake(Duration::from_secs(60));
        assert_eq!(client.version, ProtocolVersion::DTLS_1_3);
        assert_eq!(client.srtp, server.srtp, "seed {seed}");
        retransmissions += p.client.stats().retransmissions + p.server.stats().retransmissions;
    }
    assert!(retransmissions > 5, "loss must have forced retransmissions");
}

#[test]
fn a_hundred_key_updates_each_acknowledged() {
    // More updates than the record numbers a connection keeps for its ACKs: each one is
    // still acknowledged, and data keeps flowing in the newest epoch.
    let (c, s) = configs13();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 8);
    p.handshake(Duration::from_secs(5));
    for round in 0..100 {
        p.client.update_keys(p.now).unwrap();
        let done = p.run_until(Duration::from_secs(1), |p| {
            p.client.poll_timeout().is_none()
        });
        assert!(done, "update {round} not acknowledged");
    }
    exchange(&mut p, b"epoch 103");
}
