//! Reachable by default (issue 22): the default configuration gathers on the machine's
//! interfaces, not on loopback, and ICE servers are given as the URLs of W3C
//! `RTCIceServer`, resolved by name with the system resolver.
//!
//! - `the_default_offers_the_interface_address_not_loopback`: re-run in a network namespace
//!   of its own holding `lo` and a veth pair whose `veth0` has 203.0.113.7 (RFC 5737,
//!   `rtcweb_lab::isolate`): `DriverConfig::default()` binds that address only, the offer
//!   carries it and not 127.0.0.1, and two default peers connect on it.
//! - `ice_server_urls_by_name`: a named namespace (`ip netns add`) with a veth pair whose
//!   `veth0` holds coturn's 203.0.113.1 and 2001:db8::1 (RFC 3849) and the peers' 203.0.113.20
//!   and 2001:db8::20. The resolver the test controls is the system's own: `ip netns exec`
//!   bind-mounts `/etc/netns/<ns>/hosts` over `/etc/hosts` for the process it starts, so
//!   the test writes `turn.rtcweb.test` there with both addresses (an A and an AAAA
//!   answer of getaddrinfo(3)) and re-runs its own binary in the namespace
//!   (`std::env::current_exe()`, `--exact`, an environment variable saying it is inside).
//!   There a `stun:` URL (and a `stuns:` one, asked over UDP as libwebrtc does) gathers within seconds from both addresses (a STUN server that
//!   does not answer holds gathering for 39.5 s, RFC 8489 §6.2.1), and `turn:` with
//!   `?transport=tcp` and `turns:` (certificate pinned, and without TLS settings, checked
//!   by name against the system's roots, which `SSL_CERT_FILE` makes coturn's own
//!   certificate here) carry a data channel relayed by coturn (ICE transport policy
//!   `relay`).
//!
//! - `ipv6_link_local_end_to_end`: in a namespace of its own like the first, `veth0` and
//!   `veth1` get the link-local addresses fe80::a and fe80::b (RFC 4291 §2.5.6); two peers
//!   with `InterfacePolicy::ipv6_link_local` and a filter keeping one address each gather
//!   only there (bound with the interface as scope, RFC 4007 §11), connect, and echo a
//!   data channel's messages; the selected pair is host to host on the link-local
//!   addresses on both sides.
//!
//! Both need root and `ip netns`; without them they say so and pass (CI has them).
#![allow(clippy::disallowed_methods)] // real time

mod messages;
mod signal;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use rtcweb_lab::isolate::{self, VETH_ADDRESS};
use rtcweb_lab::{Coturn, Namespace, PASSWORD, PORT, USER, lab_unavailable};
use rtcweb_peer::driver::{
    DriverConfig, Events, IceServerConfig, PeerConnection, PeerConnectionEvent,
};
use rtcweb_peer::{DataChannelInit, GatheringState, TransportPolicy};
use signal::{Linked, link};
use tokio::time::timeout;

/// Set in the test re-run inside the named namespace; its value is the pinned
/// certificate's file.
const INSIDE_URLS: &str = "RTCWEB_TEST_URLS_INSIDE";
/// The name the test's hosts file gives coturn.
const TURN_NAME: &str = "turn.rtcweb.test";
/// coturn's addresses (RFC 5737, RFC 3849).
const SERVER_V4: Ipv4Addr = rtcweb_lab::SERVER;
const SERVER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
/// The peers' addresses.
const PEER_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 20);
const PEER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Drains `events` until gathering is complete: the candidate lines and every other
/// event's description.
async fn gather(events: &mut Events, limit: Duration) -> (Vec<String>, Vec<String>) {
    let (mut candidates, mut others) = (Vec::new(), Vec::new());
    let done = timeout(limit, async {
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => candidates.push(c.candidate),
                PeerConnectionEvent::IceGatheringState(GatheringState::Complete) => return,
                other => others.push(format!("{other:?}")),
            }
        }
    })
    .await;
    assert!(
        done.is_ok(),
        "gathering complete within {limit:?}; candidates {candidates:?}, events {others:?}"
    );
    (candidates, others)
}

/// Offers a data channel (so that there is something to gather for) and gathers: the
/// candidate lines and every other event's description.
async fn offer_and_gather(
    pc: &PeerConnection,
    events: &mut Events,
    limit: Duration,
) -> (Vec<String>, Vec<String>) {
    let _probe = pc
        .create_data_channel("probe", DataChannelInit::default())
        .await
        .unwrap();
    let offer = pc.create_offer().await.unwrap();
    pc.set_local_description(&offer).await.unwrap();
    gather(events, limit).await
}

/// Whether test `name` runs in this process: it is the copy re-run inside a namespace of
/// its own with a veth address. Not when this is the outer run (the copy ran, and passed),
/// nor when `unshare -n` is refused here (said on stdout): the host's interfaces are not
/// the test's to know.
fn runs_here(name: &str) -> bool {
    !isolate::run_in_namespace(name, true) && isolate::inside_namespace()
}

/// A offers a channel, B answers; 20 messages go from A to B and back, in order.
async fn connect_and_echo(a_config: DriverConfig, b_config: DriverConfig, label: &str) {
    let (a, a_events) = PeerConnection::new(a_config).await.expect("peer A");
    let (b, b_events) = PeerConnection::new(b_config).await.expect("peer B");
    let mut channel = a
        .create_data_channel("echo", DataChannelInit::default())
        .await
        .unwrap();
    let Linked { mut b_incoming, .. } = link(&a, a_events, &b, b_events).await;
    messages::echo_twenty(label, &mut channel, &mut b_incoming).await;
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[test]
fn the_default_offers_the_interface_address_not_loopback() {
    let name = "the_default_offers_the_interface_address_not_loopback";
    if !runs_here(name) {
        return;
    }
    runtime().block_on(async {
        let (pc, mut events) = PeerConnection::new(DriverConfig::default())
            .await
            .expect("the default configuration");
        let bound: Vec<IpAddr> = pc.local_addresses().iter().map(|a| a.ip()).collect();
        // veth0's address only: not loopback, not veth0's or veth1's link-local IPv6.
        assert_eq!(bound, [IpAddr::V4(VETH_ADDRESS)]);
        let (candidates, _) = offer_and_gather(&pc, &mut events, Duration::from_secs(5)).await;
        println!("host candidates of the default configuration: {candidates:?}");
        assert!(!candidates.is_empty());
        assert!(
            candidates
                .iter()
                .all(|c| c.contains(&format!(" {VETH_ADDRESS} ")) && c.contains(" typ host")),
            "{candidates:?}"
        );
        // The description in force carries the gathered candidates (the `o=` line's
        // 127.0.0.1 is JSEP's placeholder, RFC 8829 §5.2.1, not an address of ours).
        let sdp = pc
            .info()
            .await
            .unwrap()
            .local_description
            .expect("the offer");
        let lines: Vec<&str> = sdp
            .lines()
            .filter(|l| l.starts_with("a=candidate:") || l.starts_with("c="))
            .collect();
        println!("the offer's addresses: {lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("a=candidate:") && l.contains(&format!(" {VETH_ADDRESS} "))),
            "the offer has veth0's address"
        );
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("127.0.0.1") || l.contains("::1")),
            "the offer has no loopback address"
        );
        pc.close().await.unwrap();

        connect_and_echo(
            DriverConfig::default(),
            DriverConfig::default(),
            "two default peers on veth0",
        )
        .await;
    });
}

/// `/etc/netns/<ns>/hosts` for `ip netns exec`, removed on drop.
struct NetnsHosts(std::path::PathBuf);

impl NetnsHosts {
    fn write(ns: &Namespace, lines: &str) -> Self {
        let dir = std::path::Path::new("/etc/netns").join(ns.name());
        std::fs::create_dir_all(&dir).expect("/etc/netns/<ns> is made");
        std::fs::write(dir.join("hosts"), lines).expect("the hosts file is written");
        Self(dir)
    }
}

impl Drop for NetnsHosts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn ipv6_link_local_end_to_end() {
    let name = "ipv6_link_local_end_to_end";
    if !runs_here(name) {
        return;
    }
    let a_ip: IpAddr = "fe80::a".parse().unwrap();
    let b_ip: IpAddr = "fe80::b".parse().unwrap();
    // `nodad`: usable at once, without duplicate address detection's wait.
    for (ip, dev) in [(a_ip, "veth0"), (b_ip, "veth1")] {
        let status = std::process::Command::new("ip")
            .args([
                "-6",
                "addr",
                "add",
                &format!("{ip}/64"),
                "dev",
                dev,
                "nodad",
            ])
            .status()
            .expect("ip runs");
        assert!(status.success(), "{ip} on {dev}");
    }
    let config = |keep: IpAddr| {
        let mut c = DriverConfig::default();
        c.interface_policy.ipv6_link_local = true;
        c.interface_policy.filter = Some(std::sync::Arc::new(move |a| a.ip == keep));
        c
    };
    runtime().block_on(async {
        let (a, mut a_events) = PeerConnection::new(config(a_ip)).await.expect("peer A");
        let bound: Vec<String> = a.local_addresses().iter().map(|a| a.to_string()).collect();
        println!("A bound {bound:?}");
        assert_eq!(bound.len(), 1, "{bound:?}");
        assert!(
            a.local_addresses()
                .iter()
                .all(|s| matches!(s, std::net::SocketAddr::V6(v6) if v6.scope_id() != 0 && IpAddr::V6(*v6.ip()) == a_ip)),
            "bound on fe80::a with veth0's index as scope: {bound:?}"
        );
        let (candidates, _) = offer_and_gather(&a, &mut a_events, Duration::from_secs(5)).await;
        println!("A's candidates: {candidates:?}");
        assert!(!candidates.is_empty());
        // The address goes out without a zone (an SDP address has none, RFC 8839 §5.1).
        assert!(candidates.iter().all(|c| c.contains(" fe80::a ")), "{candidates:?}");
        a.close().await.unwrap();

        let (a, a_events) = PeerConnection::new(config(a_ip)).await.expect("peer A");
        let (b, b_events) = PeerConnection::new(config(b_ip)).await.expect("peer B");
        let mut channel = a
            .create_data_channel("echo", DataChannelInit::default())
            .await
            .unwrap();
        let Linked { mut b_incoming, .. } = link(&a, a_events, &b, b_events).await;
        messages::echo_twenty("link-local", &mut channel, &mut b_incoming).await;
        for (label, pc, ip) in [("A", &a, a_ip), ("B", &b, b_ip)] {
            let info = pc.info().await.expect("connection info");
            let pair = info.selected_candidate_pair.expect("a selected pair");
            println!(
                "{label}: selected {} -> {} from socket {:?}",
                pair.local, pair.remote, pair.socket
            );
            assert_eq!(pair.local.socket_addr().map(|a| a.ip()), Some(ip), "{label}");
            let other = if ip == a_ip { b_ip } else { a_ip };
            assert_eq!(pair.remote.socket_addr().map(|a| a.ip()), Some(other), "{label}");
            // The peer's signalled host candidate, not a peer-reflexive copy of it made
            // because the checks' source carried the interface's zone.
            assert!(pair.remote.to_string().contains("typ host"), "{label}: {}", pair.remote);
        }
        a.close().await.unwrap();
        b.close().await.unwrap();
    });
}

#[test]
fn ice_server_urls_by_name() {
    let name = "ice_server_urls_by_name";
    if let Some(certificate) = std::env::var_os(INSIDE_URLS) {
        let certificate = std::fs::read(certificate).expect("coturn's certificate");
        runtime().block_on(urls_inside(certificate));
        return;
    }
    if let Some(why) = lab_unavailable() {
        println!("{name}: skipped: {why}");
        return;
    }
    let ns = Namespace::new("urls").expect("a namespace");
    ns.ip(&[
        "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
    ])
    .unwrap();
    ns.ip(&["link", "set", "veth1", "up"]).unwrap();
    for (address, family) in [
        (format!("{SERVER_V4}/24"), "-4"),
        (format!("{PEER_V4}/24"), "-4"),
        (format!("{SERVER_V6}/64"), "-6"),
        (format!("{PEER_V6}/64"), "-6"),
    ] {
        let mut args = vec![family, "addr", "add", &address, "dev", "veth0"];
        if family == "-6" {
            args.push("nodad");
        }
        ns.ip(&args).unwrap();
    }
    ns.ip(&["link", "set", "veth0", "up"]).unwrap();
    let coturn = Coturn::start_named(
        &ns,
        &[IpAddr::V4(SERVER_V4), IpAddr::V6(SERVER_V6)],
        &[TURN_NAME],
    )
    .expect("coturn on both addresses");
    let _hosts = NetnsHosts::write(
        &ns,
        &format!("127.0.0.1 localhost\n{SERVER_V4} {TURN_NAME}\n{SERVER_V6} {TURN_NAME}\n"),
    );
    let certificate = std::env::temp_dir().join(format!("{}-coturn.der", ns.name()));
    std::fs::write(&certificate, &coturn.certificate).unwrap();
    let exe = std::env::current_exe().expect("the test binary");
    let status = ns
        .command(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE_URLS, &certificate)
        // The system's roots, for the test: coturn's own certificate, self-signed for
        // TURN_NAME (rustls-native-certs reads this file in place of /etc/ssl/certs).
        .env("SSL_CERT_FILE", coturn.certificate_pem_path())
        .status()
        .expect("the test runs in the namespace");
    let _ = std::fs::remove_file(&certificate);
    assert!(
        status.success(),
        "{name} failed in its namespace: {status}\ncoturn's log:\n{}",
        coturn.log()
    );
}

/// Gathering with the STUN server `url` (a name both addresses answer for).
async fn stun_by_name(url: &str) {
    let stun = DriverConfig {
        ice_servers: vec![IceServerConfig::url(url)],
        ..DriverConfig::default()
    };
    let (pc, mut events) = PeerConnection::new(stun).await.expect(url);
    let bound: Vec<IpAddr> = pc.local_addresses().iter().map(|a| a.ip()).collect();
    assert!(bound.contains(&IpAddr::V4(PEER_V4)) && bound.contains(&IpAddr::V6(PEER_V6)));
    let (candidates, others) = offer_and_gather(&pc, &mut events, Duration::from_secs(10)).await;
    println!("{url}: candidates {candidates:?}");
    assert!(
        !others
            .iter()
            .any(|e| e.contains("IceCandidateError") || e.contains("Unresolved")),
        "{url}: both STUN servers answered: {others:?}"
    );
    pc.close().await.unwrap();
}

/// Inside the namespace, where `turn.rtcweb.test` resolves to coturn's two addresses.
async fn urls_inside(certificate: Vec<u8>) {
    let resolved: Vec<IpAddr> = tokio::net::lookup_host((TURN_NAME, PORT))
        .await
        .expect("the hosts file answers")
        .map(|a| a.ip())
        .collect();
    println!("{TURN_NAME} resolves to {resolved:?}");
    assert!(resolved.contains(&IpAddr::V4(SERVER_V4)) && resolved.contains(&IpAddr::V6(SERVER_V6)));

    // stun: one server per address; a socket of each family asks the server of its
    // family, and both answer (gathering would wait 39.5 s for one that does not).
    // stuns: the same, asked over UDP at 3478 as libwebrtc does.
    for url in [format!("stun:{TURN_NAME}"), format!("stuns:{TURN_NAME}")] {
        stun_by_name(&url).await;
    }

    // turn:?transport=tcp and turns:, relay only: the channel can only be relayed.
    for url in [
        format!("turn:{TURN_NAME}?transport=tcp"),
        format!("turns:{TURN_NAME}"),
    ] {
        let mut relayed = DriverConfig {
            ice_servers: vec![IceServerConfig {
                urls: vec![url.clone()],
                username: USER.to_owned(),
                credential: PASSWORD.to_owned(),
                tls: Some(rtcweb_turn::ServerVerification::Pinned(
                    certificate.clone().into(),
                )),
            }],
            ..DriverConfig::default()
        };
        relayed.peer.ice_transport_policy = TransportPolicy::Relay;
        connect_and_echo(relayed, DriverConfig::default(), &url).await;
    }

    // turns: as a W3C RTCIceServer gives it, without TLS settings: the certificate is
    // checked against the system's roots, by the URL's name.
    let url = format!("turns:{TURN_NAME}");
    let mut relayed = DriverConfig {
        ice_servers: vec![IceServerConfig {
            urls: vec![url.clone()],
            username: USER.to_owned(),
            credential: PASSWORD.to_owned(),
            tls: None,
        }],
        ..DriverConfig::default()
    };
    relayed.peer.ice_transport_policy = TransportPolicy::Relay;
    connect_and_echo(
        relayed,
        DriverConfig::default(),
        &format!("{url} (system roots)"),
    )
    .await;

    // A name nobody answers is reported, and the connection is made all the same.
    let unknown = DriverConfig {
        ice_servers: vec![IceServerConfig::url("stun:nobody.rtcweb.test")],
        resolve_timeout: Duration::from_secs(3),
        ..DriverConfig::default()
    };
    let (pc, mut events) = PeerConnection::new(unknown).await.expect("a connection");
    let first = timeout(Duration::from_secs(1), events.recv()).await;
    assert!(
        matches!(
            &first,
            Ok(Some(PeerConnectionEvent::IceServerUnresolved { url, .. }))
                if url == "stun:nobody.rtcweb.test"
        ),
        "{first:?}"
    );
    pc.close().await.unwrap();
}

/// What the event pump of one side tells the test.
#[derive(Debug)]
enum Seen {
    Candidate(String),
    Changed {
        added: Vec<std::net::SocketAddr>,
        removed: Vec<std::net::SocketAddr>,
    },
    NegotiationNeeded,
}

/// Forwards `events`' candidates to `to` (a candidate of a generation `to` does not know
/// yet is tried again for up to 2 s: it may come before the restart's offer does), hands
/// what the test waits for to `seen` and the peer's channels to `channels`.
fn pump(
    mut events: Events,
    to: PeerConnection,
    seen: tokio::sync::mpsc::UnboundedSender<Seen>,
    channels: tokio::sync::mpsc::UnboundedSender<rtcweb_peer::driver::DataChannel>,
) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    let _ = seen.send(Seen::Candidate(c.candidate.clone()));
                    let to = to.clone();
                    tokio::spawn(async move {
                        for _ in 0..20 {
                            if to
                                .add_ice_candidate(Some(&c.mid), &c.candidate)
                                .await
                                .is_ok()
                            {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        println!("candidate never taken: {}", c.candidate);
                    });
                }
                PeerConnectionEvent::InterfacesChanged { added, removed } => {
                    let _ = seen.send(Seen::Changed { added, removed });
                }
                PeerConnectionEvent::NegotiationNeeded => {
                    let _ = seen.send(Seen::NegotiationNeeded);
                }
                PeerConnectionEvent::DataChannel(channel) => {
                    let _ = channels.send(channel);
                }
                PeerConnectionEvent::Failed(reason) => panic!("connection failed: {reason}"),
                _ => {}
            }
        }
    });
}

/// A offers, B answers.
async fn negotiate(a: &PeerConnection, b: &PeerConnection) {
    let offer = a.create_offer().await.expect("an offer");
    a.set_local_description(&offer).await.expect("A's offer");
    b.set_remote_description(&offer).await.expect("B takes it");
    let answer = b.create_answer().await.expect("an answer");
    b.set_local_description(&answer).await.expect("B's answer");
    a.set_remote_description(&answer).await.expect("A takes it");
}

/// Waits for A's report of the change `check` accepts, a candidate on `address` when one
/// was added, and `NegotiationNeeded`.
async fn changed(
    seen: &mut tokio::sync::mpsc::UnboundedReceiver<Seen>,
    check: impl Fn(&[std::net::SocketAddr], &[std::net::SocketAddr]) -> bool,
    address: Option<IpAddr>,
) {
    let (mut change, mut candidate, mut needed) = (false, address.is_none(), false);
    let waited = timeout(Duration::from_secs(10), async {
        while !(change && candidate && needed) {
            match seen.recv().await.expect("A's events") {
                Seen::Changed { added, removed } => {
                    println!("A: interfaces changed: added {added:?}, removed {removed:?}");
                    change |= check(&added, &removed);
                }
                Seen::Candidate(c) => {
                    if let Some(ip) = address
                        && c.contains(&format!(" {ip} "))
                    {
                        println!("A: new local candidate {c}");
                        candidate = true;
                    }
                }
                Seen::NegotiationNeeded => needed |= change,
            }
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "change {change}, candidate {candidate}, negotiationneeded {needed}"
    );
}

#[test]
fn an_address_change_mid_call_restarts_ice_without_losing_a_message() {
    let name = "an_address_change_mid_call_restarts_ice_without_losing_a_message";
    if !runs_here(name) {
        return;
    }
    const MESSAGES: usize = 300;
    // Another subnet (RFC 5737 TEST-NET-2): deleting a primary address deletes the
    // secondary ones of its subnet with it.
    let second = Ipv4Addr::new(198, 51, 100, 8);
    let ip = |args: &str| {
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("ip {args}")])
            .status()
            .expect("ip runs");
        assert!(status.success(), "ip {args}");
    };
    runtime().block_on(async {
        let config = || DriverConfig {
            watch_interfaces: Some(Duration::from_millis(300)),
            ..DriverConfig::default()
        };
        let (a, a_events) = PeerConnection::new(config()).await.unwrap();
        let (b, b_events) = PeerConnection::new(config()).await.unwrap();
        let (a_seen_tx, mut a_seen) = tokio::sync::mpsc::unbounded_channel();
        let (b_seen_tx, _b_seen) = tokio::sync::mpsc::unbounded_channel();
        let (a_channels, _a_incoming) = tokio::sync::mpsc::unbounded_channel();
        let (b_channels, mut b_incoming) = tokio::sync::mpsc::unbounded_channel();
        let channel = a
            .create_data_channel("steady", DataChannelInit::default())
            .await
            .unwrap();
        pump(a_events, b.clone(), a_seen_tx, a_channels);
        pump(b_events, a.clone(), b_seen_tx, b_channels);
        negotiate(&a, &b).await;
        timeout(Duration::from_secs(10), channel.opened())
            .await
            .expect("the channel opens")
            .unwrap();
        let mut remote = timeout(Duration::from_secs(10), b_incoming.recv())
            .await
            .unwrap()
            .unwrap();
        // Drain what the first negotiation reported.
        while a_seen.try_recv().is_ok() {}

        // A steady stream, one message every 20 ms, through both changes.
        let sender = tokio::spawn(async move {
            for i in 0..MESSAGES {
                channel
                    .send(messages::message_up_to(i, 1024))
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            channel
        });
        let receiver = tokio::spawn(async move {
            for i in 0..MESSAGES {
                let got = timeout(Duration::from_secs(30), remote.recv())
                    .await
                    .unwrap_or_else(|_| panic!("message {i} arrives"))
                    .expect("the channel stays open");
                messages::check_up_to("steady", i, &got, 1024);
            }
            remote
        });

        tokio::time::sleep(Duration::from_millis(500)).await;
        // A second address on veth0: a socket, a host candidate, negotiationneeded.
        ip(&format!("addr add {second}/24 dev veth0"));
        changed(
            &mut a_seen,
            |added, _| added.iter().any(|a| a.ip() == IpAddr::V4(second)),
            Some(IpAddr::V4(second)),
        )
        .await;
        negotiate(&a, &b).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;

        // The first address goes away (the selected pair's, on both sides): its sockets
        // close, and after the next ICE restart the pair on the second address carries
        // the stream.
        ip(&format!("addr del {VETH_ADDRESS}/24 dev veth0"));
        changed(
            &mut a_seen,
            |_, removed| removed.iter().any(|a| a.ip() == IpAddr::V4(VETH_ADDRESS)),
            None,
        )
        .await;
        negotiate(&a, &b).await;

        let _channel = sender.await.expect("every message sent");
        let _remote = receiver.await.expect("every message received in order");
        let info = a.info().await.unwrap();
        let pair = info.selected_candidate_pair.expect("a selected pair");
        println!("after the changes: {pair:?}");
        let sdp = info.local_description.unwrap();
        let candidates: Vec<&str> = sdp
            .lines()
            .filter(|l| l.starts_with("a=candidate:"))
            .collect();
        println!("A's candidates now: {candidates:?}");
        assert!(!candidates.is_empty());
        assert!(
            candidates
                .iter()
                .all(|c| c.contains(&format!(" {second} ")))
        );
        println!("{MESSAGES} messages arrived in order through both ICE restarts");
        a.close().await.unwrap();
        b.close().await.unwrap();
    });
}
