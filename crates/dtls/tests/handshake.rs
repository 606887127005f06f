//! Client and server of this crate complete the handshake in memory, for every suite, group
//! and SRTP profile, with and without cookies, then exchange data and close.

mod support;

use std::time::Duration;

use rtcweb_dtls::{CipherSuite, Event, NamedGroup, Role, SRTP_EXPORTER_LABEL, SrtpProfile};
use support::{LinkConfig, Pair, configs12, data};

#[test]
fn default_handshake_exchanges_data_and_agrees_on_keys() {
    let (c, s) = configs12();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 1);
    let (client, server) = p.handshake(Duration::from_secs(5));
    assert_eq!(client.role, Role::Client);
    assert_eq!(server.role, Role::Server);
    assert_eq!(
        client.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
    assert_eq!(client.group, NamedGroup::X25519);
    let (ck, sk) = (client.srtp.unwrap(), server.srtp.unwrap());
    assert_eq!(ck.profile, SrtpProfile::AEAD_AES_128_GCM);
    assert_eq!(ck, sk);
    assert_eq!(ck.keying_material.len(), 56);
    assert_eq!(
        p.client
            .export_keying_material(SRTP_EXPORTER_LABEL, None, 56)
            .unwrap(),
        ck.keying_material
    );
    // Cookies are on by default: one HelloVerifyRequest.
    assert_eq!(p.server.stats().hello_verify_requests_sent, 1);

    p.client.send(p.now, b"ping").unwrap();
    p.server.send(p.now, b"pong").unwrap();
    p.run_until(Duration::from_secs(1), |p| {
        !data(&p.server_events).is_empty() && !data(&p.client_events).is_empty()
    });
    assert_eq!(data(&p.server_events), [b"ping".to_vec()]);
    assert_eq!(data(&p.client_events), [b"pong".to_vec()]);

    p.client.close(p.now);
    p.run_until(Duration::from_secs(1), |p| {
        p.server_events.contains(&Event::Closed)
    });
    assert!(p.client_events.contains(&Event::Closed));
    assert!(p.server_events.contains(&Event::Closed));
    assert!(p.server.send(p.now, b"late").is_err());
}

#[test]
fn every_suite_group_and_profile() {
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        for group in NamedGroup::SUPPORTED {
            for profile in SrtpProfile::SUPPORTED {
                let (mut c, mut s) = configs12();
                c.cipher_suites = vec![suite];
                c.groups = vec![group];
                s.srtp_profiles = vec![profile];
                c.cookies = false;
                s.cookies = false;
                let mut p = Pair::new(c, s, LinkConfig::perfect(), 2);
                let (client, server) = p.handshake(Duration::from_secs(5));
                assert_eq!(client.cipher_suite, suite);
                assert_eq!(server.group, group);
                let keys = client.srtp.unwrap();
                assert_eq!(keys.profile, profile);
                assert_eq!(keys, server.srtp.unwrap());
                assert_eq!(
                    keys.keying_material.len(),
                    profile.keying_material_len().unwrap()
                );
                assert_eq!(p.server.stats().hello_verify_requests_sent, 0);
                p.server.send(p.now, &[7; 1000]).unwrap();
                p.run_until(Duration::from_secs(1), |p| {
                    !data(&p.client_events).is_empty()
                });
                assert_eq!(data(&p.client_events), [vec![7; 1000]], "{suite} {group}");
            }
        }
    }
}

#[test]
fn without_srtp_for_data_channels_only() {
    let (mut c, mut s) = configs12();
    c.srtp_profiles.clear();
    s.srtp_profiles.clear();
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 3);
    let (client, server) = p.handshake(Duration::from_secs(5));
    assert!(client.srtp.is_none() && server.srtp.is_none());
}

#[test]
fn small_mtu_fragments_every_flight() {
    let (mut c, mut s) = configs12();
    c.mtu = 256;
    s.mtu = 256;
    let mut p = Pair::new(c, s, LinkConfig::perfect(), 4);
    p.handshake(Duration::from_secs(5));
    // The server's flight (certificate ~400 bytes) needs several datagrams.
    assert!(p.sent.1 >= 4, "server sent {} datagrams", p.sent.1);
}
