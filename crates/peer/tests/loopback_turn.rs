//! Two driver-backed peers on 127.0.0.1, one restricted to relayed candidates (ICE
//! transport policy `relay`) through a real coturn reached over TCP, then over TLS: the
//! driver opens the connection to the server, the agent's TURN client frames (and for TLS
//! encrypts) on it. A data channel carries 200 messages of up to 16 KiB both ways
//! byte-exact.

#![allow(clippy::disallowed_methods)] // the test measures wall-clock time
use std::time::{Duration, Instant};

use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use rtcweb_peer::{CandidateKind, DataChannelInit, IceServer, Transport, TransportPolicy};
use tokio::time::timeout;

mod messages;
mod signal;
#[path = "../../turn/tests/support/mod.rs"]
mod turn_support;
use messages::{check_up_to, message_up_to};
use signal::{Linked, link};
use turn_support::{Coturn, PASSWORD, USER};

const MESSAGES: usize = 200;
const MAX_SIZE: usize = 16 * 1024;
/// Messages in flight at most: with at most 64 KiB in flight, coturn's relay socket
/// buffer does not overflow even on a loaded machine.
const WINDOW: usize = 4;

async fn relayed_echo(coturn: &Coturn, transport: Transport) {
    let (address, tls) = match transport {
        Transport::Tls => (coturn.tls_addr(), Some(coturn.tls_roots())),
        _ => (coturn.udp_addr(), None),
    };
    let mut relayed = DriverConfig::loopback();
    relayed.peer.ice_servers = vec![IceServer::Turn {
        address,
        transport,
        username: USER.to_owned(),
        password: PASSWORD.to_owned(),
        tls,
    }];
    relayed.peer.ice_transport_policy = TransportPolicy::Relay;
    let (a, a_events) = PeerConnection::new(relayed).await.unwrap();
    let (b, b_events) = PeerConnection::new(DriverConfig::loopback()).await.unwrap();

    let start = Instant::now();
    let mut channel = a
        .create_data_channel("echo", DataChannelInit::default())
        .await
        .unwrap();
    let Linked { mut b_incoming, .. } = link(&a, a_events, &b, b_events).await;

    let limit = Duration::from_secs(20);
    timeout(limit, channel.opened())
        .await
        .unwrap_or_else(|_| panic!("{transport:?}: channel open in time"))
        .unwrap();
    let open = start.elapsed();
    let mut remote = timeout(limit, b_incoming.recv())
        .await
        .expect("B sees the channel")
        .unwrap();
    let info = a.info().await.unwrap();
    let pair = info.selected_candidate_pair.expect("a selected pair");
    assert_eq!(pair.local.kind, CandidateKind::Relayed, "{pair:?}");
    assert_eq!(pair.socket, None, "relayed over a TCP connection: {pair:?}");

    let echo = tokio::spawn(async move {
        while let Some(m) = remote.recv().await {
            if remote.send(m).await.is_err() {
                break;
            }
        }
    });
    // At most WINDOW messages in flight. When an echo does not come back, both sides'
    // sctp-transport and transport stats are printed.
    let echo_start = Instant::now();
    let mut bytes = 0;
    let mut sent = 0;
    for i in 0..MESSAGES {
        while sent < MESSAGES && sent < i + WINDOW {
            channel
                .send(message_up_to(sent, MAX_SIZE))
                .await
                .expect("send");
            sent += 1;
        }
        let Ok(got) = timeout(limit, channel.recv()).await else {
            let (a_stats, b_stats) = (
                a.stats().await.unwrap().to_json(),
                b.stats().await.unwrap().to_json(),
            );
            panic!(
                "{transport:?}: echo {i} did not come back\nA: {:#} {:#}\nB: {:#} {:#}",
                a_stats["S"], a_stats["T01"], b_stats["S"], b_stats["T01"]
            );
        };
        let got = got.expect("the channel stays open");
        bytes += check_up_to(&format!("{transport:?}"), i, &got, MAX_SIZE);
    }
    println!(
        "TURN over {transport:?}: channel open in {open:?} through relay {}:{}; {MESSAGES} \
         messages ({bytes} bytes) echoed byte-exact in {:?}",
        pair.local.address,
        pair.local.port,
        echo_start.elapsed()
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
    let _ = timeout(Duration::from_secs(5), echo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn relayed_through_coturn_over_tcp_and_tls() {
    let coturn = Coturn::start();
    relayed_echo(&coturn, Transport::Tcp).await;
    relayed_echo(&coturn, Transport::Tls).await;
}
