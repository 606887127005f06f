//! Published mDNS host candidates (`DriverConfig::publish_mdns`,
//! draft-ietf-mmusic-mdns-ice-candidates): two rtcweb peers hide their host addresses
//! behind `<uuid>.local` names, each resolves the other's name through the other's
//! responder, and a data channel carries messages both ways.
//!
//! Each case re-runs in a network namespace of its own holding `lo` and a veth pair whose
//! `veth0` has 203.0.113.7 (RFC 5737) and the multicast route (`rtcweb_lab::isolate`);
//! multicast sent on `veth0` is looped back to the namespace's own sockets, so both peers'
//! responders and resolvers share 224.0.0.251:5353 (and [ff02::fb]:5353) on one link.
//!
//! - `two_peers_publishing_names_resolve_each_other`: IPv4, both peers on 203.0.113.7.
//! - `two_peers_resolve_ipv6_names`: IPv6, both peers on 2001:db8::7 (RFC 3849), added to
//!   `veth0` in the namespace: the names are answered with AAAA records over ff02::fb.
//! - `a_new_address_gets_a_new_name`: one peer on the default interfaces; 198.51.100.7
//!   (RFC 5737) added to `veth0` mid-session is gathered on under a new name, which the
//!   responder answers with that address (the first name still with the first address).
//!
//! In both, a legacy resolver's query (from a port other than 5353) for A's name gets a
//! unicast answer with the address (RFC 6762 §6.7); over IPv4, two multicast queries for
//! it within a second get at most one multicast answer (RFC 6762 §6), the other counted.
//!
//! All need `unshare -n`; without it they say so and pass (CI has it).
#![allow(clippy::disallowed_methods)] // real time

mod messages;

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use rtcweb_lab::isolate::{self, VETH_ADDRESS};
use rtcweb_peer::DataChannelInit;
use rtcweb_peer::driver::{
    DataChannel, DriverConfig, Events, PeerConnection, PeerConnectionEvent, PeerConnectionInfo,
};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// The peers' IPv6 address in the IPv6 case (RFC 3849 documentation range).
const V6_ADDRESS: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7);

/// Whether test `name` runs in this process: the copy re-run in its namespace.
fn runs_here(name: &str) -> bool {
    !isolate::run_in_namespace(name, true) && isolate::inside_namespace()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Forwards one side's trickled candidates to the other (recording each line) and hands
/// over the channels its peer opens.
fn forward(
    mut events: Events,
    to: PeerConnection,
    lines: mpsc::UnboundedSender<String>,
    channels: mpsc::Sender<DataChannel>,
) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    let _ = lines.send(c.candidate.clone());
                    to.add_ice_candidate(Some(&c.mid), &c.candidate)
                        .await
                        .expect("the peer takes our candidate");
                }
                PeerConnectionEvent::Failed(reason) => panic!("connection failed: {reason}"),
                PeerConnectionEvent::DataChannel(channel) => {
                    let _ = channels.send(channel).await;
                }
                _ => {}
            }
        }
    });
}

/// The `a=candidate` lines of an SDP.
fn candidate_lines(sdp: &str) -> Vec<&str> {
    sdp.lines()
        .filter(|l| l.starts_with("a=candidate:"))
        .collect()
}

/// Asserts that a signalled candidate is a host candidate under a `.local` name, never
/// the address.
fn assert_hidden(label: &str, line: &str, ip: IpAddr) {
    let c = rtcweb_ice::Candidate::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(c.kind, rtcweb_ice::CandidateKind::Host, "{label}: {line}");
    assert!(c.address.is_mdns(), "{label}: a .local name, not {line}");
    assert!(!line.contains(&ip.to_string()), "{label}: {line}");
}

/// Waits (up to 5 s) until `pc` has resolved a peer's name; its info then.
async fn resolved(pc: &PeerConnection) -> PeerConnectionInfo {
    let mut info = pc.info().await.unwrap();
    for _ in 0..50 {
        if info.io.mdns_resolved > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        info = pc.info().await.unwrap();
    }
    info
}

/// Asks A's responder for `name` as a legacy resolver would (RFC 6762 §6.7: a query from
/// a port other than 5353), from a socket on `ip`, to the group on `veth0`: the answer
/// comes back by unicast, with the query's ID, and gives `ip`.
async fn legacy_query(name: &str, ip: IpAddr) {
    let socket = tokio::net::UdpSocket::bind((ip, 0)).await.unwrap();
    let group: std::net::SocketAddr = match ip {
        IpAddr::V4(_) => (std::net::Ipv4Addr::new(224, 0, 0, 251), 5353).into(),
        IpAddr::V6(_) => {
            let index = rtcweb_peer::driver::list_interfaces()
                .unwrap()
                .into_iter()
                .find(|a| a.name == "veth0")
                .and_then(|a| a.index)
                .expect("veth0's index");
            std::net::SocketAddrV6::new(
                Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb),
                5353,
                0,
                index,
            )
            .into()
        }
    };
    let query = rtcweb_peer::mdns::query(name).expect("a query");
    socket.send_to(&query, group).await.unwrap();
    let mut buf = vec![0u8; 9000];
    let (n, from) = timeout(Duration::from_secs(3), socket.recv_from(&mut buf))
        .await
        .expect("the responder answers the legacy query by unicast")
        .unwrap();
    assert_eq!(from.port(), 5353, "from the responder's port");
    assert_eq!(
        rtcweb_peer::mdns::resolved_address(&buf[..n], name),
        Some(ip)
    );
    println!("legacy unicast query for {name}: answered from {from}");
}

/// Two multicast queries (QM, from port 5353) for A's name back to back, on `veth0`'s
/// IPv4 address: A's responder multicasts the record at most once a second on an
/// interface (RFC 6762 §6): after a quiet second the first is answered, the second is
/// left unanswered and counted.
async fn repeated_multicast_query(a: &PeerConnection, name: &str) {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket.set_reuse_port(true).unwrap();
    socket
        .bind(&std::net::SocketAddr::from((VETH_ADDRESS, 5353)).into())
        .unwrap();
    socket.set_multicast_if_v4(&VETH_ADDRESS).unwrap();
    let group = std::net::SocketAddr::from((std::net::Ipv4Addr::new(224, 0, 0, 251), 5353));
    // B's resolver had the record multicast moments ago.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = a.info().await.unwrap().io;
    let query = rtcweb_peer::mdns::query(name).expect("a query");
    for _ in 0..2 {
        socket.send_to(&query, &group.into()).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = a.info().await.unwrap().io;
    let (sent, limited) = (
        after.mdns_answers_sent - before.mdns_answers_sent,
        after.mdns_answers_limited - before.mdns_answers_limited,
    );
    println!("two multicast queries within 1 s: {sent} answered, {limited} limited");
    assert_eq!(sent, 1, "one multicast of the record per second");
    assert_eq!(limited, 1, "the repeated query is counted as limited");
}

/// Two peers on `ip`, both publishing names: A offers a channel, B answers, candidates
/// trickle; every signalled host candidate is a name, each side resolves the other's,
/// and 20 messages go from A to B and back.
async fn connect_with_names(ip: IpAddr, label: &str) {
    let config = DriverConfig {
        interfaces: vec![ip],
        publish_mdns: true,
        ..DriverConfig::default()
    };
    let (a, a_events) = PeerConnection::new(config.clone()).await.expect("peer A");
    let (b, b_events) = PeerConnection::new(config).await.expect("peer B");
    let mut channel = a
        .create_data_channel("mdns", DataChannelInit::default())
        .await
        .unwrap();
    let offer = a.create_offer().await.unwrap();
    a.set_local_description(&offer).await.unwrap();
    b.set_remote_description(&offer).await.unwrap();
    let answer = b.create_answer().await.unwrap();
    b.set_local_description(&answer).await.unwrap();
    a.set_remote_description(&answer).await.unwrap();
    let (lines_tx, mut lines) = mpsc::unbounded_channel();
    let (a_channels, _a_incoming) = mpsc::channel(4);
    let (b_channels, mut b_incoming) = mpsc::channel(4);
    forward(a_events, b.clone(), lines_tx.clone(), a_channels);
    forward(b_events, a.clone(), lines_tx, b_channels);

    messages::echo_twenty(label, &mut channel, &mut b_incoming).await;

    let a_info = resolved(&a).await;
    let b_info = resolved(&b).await;
    let mut trickled = Vec::new();
    while let Ok(line) = lines.try_recv() {
        trickled.push(line);
    }
    println!("{label}: trickled {trickled:?}");
    assert!(
        trickled.len() >= 2,
        "{label}: each side trickled a candidate"
    );
    for line in &trickled {
        assert_hidden(label, line, ip);
    }
    for (side, info) in [("A", &a_info), ("B", &b_info)] {
        let sdp = info
            .local_description
            .as_deref()
            .expect("a local description");
        let candidates = candidate_lines(sdp);
        for line in &candidates {
            assert_hidden(label, line, ip);
        }
        let pair = info
            .selected_candidate_pair
            .as_ref()
            .expect("a selected pair");
        println!(
            "{label}: {side}: {} name published, {} resolved, {} answers sent, {} limited; \
             {} description candidates; selected pair {}:{} -> {} {}:{}",
            info.io.mdns_names_published,
            info.io.mdns_resolved,
            info.io.mdns_answers_sent,
            info.io.mdns_answers_limited,
            candidates.len(),
            pair.local.address,
            pair.local.port,
            pair.remote.kind.as_str(),
            pair.remote.address,
            pair.remote.port,
        );
        assert_eq!(
            info.io.mdns_names_published, 1,
            "{label}: {side} named its address"
        );
        assert!(
            info.io.mdns_resolved >= 1,
            "{label}: {side} resolved the other's name"
        );
        assert!(
            info.io.mdns_answers_sent >= 1,
            "{label}: {side}'s responder answered the other's query"
        );
    }
    // The stats show our host candidates as signalled: by name (webrtc-stats: a local
    // candidate's address is its RTCIceCandidate's), never the address the name hides.
    for (side, pc) in [("A", &a), ("B", &b)] {
        let report = serde_json::to_value(pc.stats().await.expect("stats")).unwrap();
        let hosts: Vec<String> = report
            .as_object()
            .unwrap()
            .values()
            .filter(|s| s["type"] == "local-candidate" && s["candidateType"] == "host")
            .map(|s| s["address"].as_str().unwrap_or("").to_owned())
            .collect();
        println!("{label}: {side}'s host candidates in its stats: {hosts:?}");
        assert!(!hosts.is_empty(), "{label}: {side}");
        for address in &hosts {
            assert!(
                address.ends_with(".local") && address.parse::<IpAddr>().is_err(),
                "{label}: {side}'s stats show {address}, not its name"
            );
        }
    }
    // A's name, from its description, answered to a legacy resolver too.
    let a_sdp = a_info.local_description.as_deref().unwrap();
    let a_name = rtcweb_ice::Candidate::parse(candidate_lines(a_sdp)[0])
        .unwrap()
        .address
        .to_string();
    legacy_query(&a_name, ip).await;
    if ip.is_ipv4() {
        repeated_multicast_query(&a, &a_name).await;
    }
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[test]
fn two_peers_publishing_names_resolve_each_other() {
    let name = "two_peers_publishing_names_resolve_each_other";
    if !runs_here(name) {
        return;
    }
    runtime().block_on(connect_with_names(
        IpAddr::V4(VETH_ADDRESS),
        "IPv4 names on veth0",
    ));
}

#[test]
fn two_peers_resolve_ipv6_names() {
    let name = "two_peers_resolve_ipv6_names";
    if !runs_here(name) {
        return;
    }
    // No duplicate address detection: the address is usable at once.
    let status = std::process::Command::new("ip")
        .args([
            "-6",
            "addr",
            "add",
            "2001:db8::7/64",
            "dev",
            "veth0",
            "nodad",
        ])
        .status()
        .expect("ip runs");
    assert!(status.success(), "2001:db8::7 is added to veth0");
    runtime().block_on(connect_with_names(
        IpAddr::V6(V6_ADDRESS),
        "IPv6 names on veth0",
    ));
}

/// The next candidate `events` trickles (5 s at most).
/// The next UDP candidate trickled (an address's ICE-TCP candidates, under the same name,
/// come beside its UDP one and are skipped).
async fn next_candidate(events: &mut Events) -> String {
    timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Some(PeerConnectionEvent::LocalCandidate(c)) if c.candidate.contains(" udp ") => {
                    return c.candidate;
                }
                Some(_) => {}
                None => panic!("the events ended"),
            }
        }
    })
    .await
    .expect("a candidate in time")
}

/// An address that comes up while the connection lives gets a name of its own: the
/// driver's interface watch gathers on it, the trickled candidate carries a new `.local`
/// name, and the responder answers for it with the new address.
#[test]
fn a_new_address_gets_a_new_name() {
    let name = "a_new_address_gets_a_new_name";
    if !runs_here(name) {
        return;
    }
    let added = std::net::Ipv4Addr::new(198, 51, 100, 7);
    runtime().block_on(async {
        let config = DriverConfig {
            publish_mdns: true,
            watch_interfaces: Some(Duration::from_millis(200)),
            ..DriverConfig::default()
        };
        let (pc, mut events) = PeerConnection::new(config).await.expect("a peer");
        let _channel = pc
            .create_data_channel("probe", DataChannelInit::default())
            .await
            .unwrap();
        let offer = pc.create_offer().await.unwrap();
        pc.set_local_description(&offer).await.unwrap();
        let first = next_candidate(&mut events).await;
        assert_hidden("first address", &first, IpAddr::V4(VETH_ADDRESS));
        let status = std::process::Command::new("ip")
            .args(["addr", "add", "198.51.100.7/24", "dev", "veth0"])
            .status()
            .expect("ip runs");
        assert!(status.success(), "198.51.100.7 is added to veth0");
        let second = next_candidate(&mut events).await;
        assert_hidden("new address", &second, IpAddr::V4(added));
        let first_name = rtcweb_ice::Candidate::parse(&first).unwrap().address;
        let second_name = rtcweb_ice::Candidate::parse(&second).unwrap().address;
        println!("first {first}\nafter the new address {second}");
        assert_ne!(first_name, second_name, "a name per address");
        legacy_query(&second_name.to_string(), IpAddr::V4(added)).await;
        legacy_query(&first_name.to_string(), IpAddr::V4(VETH_ADDRESS)).await;
        let io = pc.info().await.unwrap().io;
        assert_eq!(io.mdns_names_published, 2);
        pc.close().await.unwrap();
    });
}
