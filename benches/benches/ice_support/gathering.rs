//! Gathering time (issue 22): how long an agent takes from `gather` to the end of its
//! candidates with several interfaces and servers.
//!
//! - Simulated (`ice_gathering/simulated`): one agent on the connect case's eight
//!   interfaces (six public IPv6, two IPv4 behind a NAT) with one STUN and one TURN server
//!   over UDP, 10 ms of access link; the simulated time to `Complete` is printed (it is
//!   deterministic), the CPU time of the whole gathering is measured, against the simulator
//!   alone carrying the same datagrams (`ice_gathering/baseline_simulator_only`).
//!   `ice_gathering/simulated_with_tcp` is the same agent with an ICE-TCP listener on each
//!   interface too (RFC 6544: a passive and an active candidate each, and the listener's
//!   Binding request to the STUN server over TCP, RFC 6544 §4.1, which the simulator, UDP
//!   only, does not carry: the bench answers it as the server would, a 20 ms round trip
//!   later).
//! - Wall time (`ice_gathering/driver_loopback`): a driver peer (`rtcweb-peer`, real UDP
//!   sockets, its tokio task; ICE-TCP listeners as by default) on three loopback addresses
//!   with two STUN servers of this process, from `set_local_description` to
//!   `IceGatheringState(Complete)`; `driver_loopback_udp_only` the same without ICE-TCP.
//!   Against them, one Binding transaction per interface and server done by hand on the
//!   same sockets, all at once (`ice_gathering/baseline_binding_round_trips`): the
//!   network's floor. Making the peer (its sockets and, by default, its TCP listeners) is
//!   timed apart: `ice_gathering/driver_setup` and `driver_setup_udp_only`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use criterion::Criterion;
use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{Event, GatheringState};
use rtcweb_peer::MediaTrack;
use rtcweb_peer::driver::{DriverConfig, IceServerConfig, PeerConnection, PeerConnectionEvent};
use rtcweb_stun::{Class, Message, Method, encode_binding_success};
use tokio::net::UdpSocket;

use crate::ice_connect::{build, simulator_only, with_servers};

/// One agent's gathering in the simulator, with an ICE-TCP listener beside each socket
/// when `tcp`: the simulated time it took, the datagrams that crossed the network and the
/// candidates gathered.
fn gather_once(tcp: bool) -> (Duration, u64, usize) {
    let start = Instant::now();
    let mut net = with_servers(start);
    let mut peer = build(&mut net, 1, start);
    if tcp {
        for (socket, _) in peer.hosts.clone() {
            let listener = SocketAddr::new(socket.ip(), socket.port() + 1);
            peer.agent.add_tcp_listener(start, listener).unwrap();
        }
    }
    peer.agent.gather(start);
    let mut now = start;
    let mut datagrams = 0;
    let limit = start + Duration::from_secs(30);
    // Binding responses over TCP on their way: when, to which listener, from which server.
    let mut tcp_answers: Vec<(Instant, SocketAddr, SocketAddr, Vec<u8>)> = Vec::new();
    loop {
        while let Some(t) = peer.agent.poll_transmit() {
            let from = t.source.unwrap();
            datagrams += 1;
            if t.transport == Transport::Tcp {
                if let Ok(m) = Message::decode(&t.contents) {
                    let mut out = vec![0u8; 256];
                    let n = encode_binding_success(m.transaction_id(), from, None, &mut out)
                        .expect("a Binding response fits");
                    out.truncate(n);
                    let at = now + Duration::from_millis(20);
                    tcp_answers.push((at, from, t.destination, out));
                }
                continue;
            }
            let host = peer.hosts.iter().find(|(s, _)| *s == from).unwrap().1;
            net.send(host, from, t.destination, t.contents);
        }
        while let Some(e) = peer.agent.poll_event() {
            if e == Event::GatheringState(GatheringState::Complete) {
                return (
                    now - start,
                    datagrams,
                    peer.agent.local_candidates().count(),
                );
            }
        }
        let answer_due = tcp_answers.iter().map(|(at, ..)| *at).min();
        let next = [peer.agent.poll_timeout(), net.poll_timeout(), answer_due]
            .into_iter()
            .flatten()
            .min()
            .expect("gathering waits on something");
        now = now.max(next);
        assert!(
            now < limit,
            "gathering not complete in 30 s of simulated time"
        );
        net.advance_to(now);
        for (_, host) in peer.hosts.clone() {
            while let Some(d) = net.poll_delivery(host) {
                peer.agent.handle_datagram(now, d.datagram());
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = tcp_answers.drain(..).partition(|(at, ..)| *at <= now);
        tcp_answers = later;
        for (_, local, remote, contents) in due {
            let datagram = Datagram {
                transport: Transport::Tcp,
                local,
                remote,
                contents: &contents,
            };
            peer.agent.handle_datagram(now, datagram);
        }
        peer.agent.handle_timeout(now);
    }
}

/// A STUN server on 127.0.0.1 answering Binding requests, in a task of `rt`; its address.
fn stun_server(rt: &tokio::runtime::Runtime) -> SocketAddr {
    let socket = rt
        .block_on(UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)))
        .expect("a loopback port");
    let address = socket.local_addr().unwrap();
    rt.spawn(async move {
        let mut buf = vec![0u8; 2048];
        let mut out = vec![0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let Ok(m) = Message::decode(&buf[..n]) else {
                continue;
            };
            if m.class() != Class::Request || m.method() != Method::BINDING {
                continue;
            }
            if let Ok(len) = encode_binding_success(m.transaction_id(), from, None, &mut out) {
                let _ = socket.send_to(&out[..len], from).await;
            }
        }
    });
    address
}

/// The loopback addresses the driver gathers on.
fn interfaces() -> Vec<IpAddr> {
    (1..=3).map(|i| IpAddr::from([127, 0, 0, i])).collect()
}

/// The driver's configuration: three loopback addresses, the STUN servers, ICE-TCP or not.
fn driver_config(servers: &[SocketAddr], ice_tcp: bool) -> DriverConfig {
    DriverConfig {
        interfaces: interfaces(),
        ice_servers: servers
            .iter()
            .map(|s| IceServerConfig::url(&format!("stun:{s}")))
            .collect(),
        ice_tcp,
        ..DriverConfig::loopback()
    }
}

/// Making a driver peer (binding its sockets and listeners, starting its task), wall time.
async fn driver_setup(servers: &[SocketAddr], ice_tcp: bool) -> Duration {
    let started = Instant::now();
    let (pc, _events) = PeerConnection::new(driver_config(servers, ice_tcp))
        .await
        .expect("a peer");
    let took = started.elapsed();
    let _ = pc.close().await;
    took
}

/// One driver peer's gathering over loopback, wall time; the local candidates it signalled.
async fn driver_gathering(servers: &[SocketAddr], ice_tcp: bool) -> (Duration, usize) {
    let config = driver_config(servers, ice_tcp);
    let (pc, mut events) = PeerConnection::new(config).await.expect("a peer");
    pc.add_track(MediaTrack::audio("a"), &["s"]).await.unwrap();
    let offer = pc.create_offer().await.unwrap();
    let started = Instant::now();
    pc.set_local_description(&offer).await.unwrap();
    let mut candidates = 0;
    loop {
        match events.recv().await {
            Some(PeerConnectionEvent::IceGatheringState(GatheringState::Complete)) => break,
            Some(PeerConnectionEvent::LocalCandidate(_)) => candidates += 1,
            Some(_) => {}
            None => panic!("the peer ended before gathering completed"),
        }
    }
    let took = started.elapsed();
    let _ = pc.close().await;
    (took, candidates)
}

/// The floor: one Binding transaction per interface and server, all at once, on sockets
/// bound beforehand (as the driver's are).
async fn binding_round_trips(sockets: &[UdpSocket], servers: &[SocketAddr]) {
    let mut out = [0u8; 64];
    let mut buf = [0u8; 2048];
    let request = |id: u8, out: &mut [u8; 64]| {
        rtcweb_stun::MessageWriter::request(Method::BINDING, [id; 12])
            .encode(None, true, out)
            .expect("a Binding request")
    };
    for (i, socket) in sockets.iter().enumerate() {
        for (j, server) in servers.iter().enumerate() {
            let n = request((i * servers.len() + j) as u8, &mut out);
            socket.send_to(&out[..n], server).await.unwrap();
        }
    }
    for socket in sockets {
        for _ in servers {
            let (n, _) = socket.recv_from(&mut buf).await.unwrap();
            black_box(&buf[..n]);
        }
    }
}

pub(crate) fn gathering(c: &mut Criterion) {
    for tcp in [false, true] {
        let (simulated, datagrams, candidates) = gather_once(tcp);
        println!(
            "ice_gathering/simulated{}: 8 interfaces{}, one STUN and one TURN server, 10 ms \
             links: complete after {:.0} ms of simulated time, {datagrams} datagrams, \
             {candidates} candidates",
            if tcp { "_with_tcp" } else { "" },
            if tcp {
                " with an ICE-TCP listener each"
            } else {
                ""
            },
            simulated.as_secs_f64() * 1000.0
        );
    }
    let (_, datagrams, _) = gather_once(false);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let servers = [stun_server(&rt), stun_server(&rt)];
    let sockets: Vec<UdpSocket> = interfaces()
        .into_iter()
        .map(|ip| rt.block_on(UdpSocket::bind((ip, 0))).unwrap())
        .collect();

    let mut g = c.benchmark_group("ice_gathering");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("baseline_simulator_only", |b| {
        b.iter(|| simulator_only(black_box(datagrams)))
    });
    g.bench_function("simulated", |b| b.iter(|| black_box(gather_once(false))));
    g.bench_function("simulated_with_tcp", |b| {
        b.iter(|| black_box(gather_once(true)))
    });
    g.bench_function("baseline_binding_round_trips", |b| {
        b.iter(|| rt.block_on(binding_round_trips(&sockets, &servers)))
    });
    for ice_tcp in [true, false] {
        let suffix = if ice_tcp { "" } else { "_udp_only" };
        let (_, candidates) = rt.block_on(driver_gathering(&servers, ice_tcp));
        println!("ice_gathering/driver_loopback{suffix}: {candidates} candidates signalled");
        // Only the gathering is timed: making the peer, its offer and closing it are not.
        g.bench_function(format!("driver_loopback{suffix}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| rt.block_on(driver_gathering(&servers, ice_tcp)).0)
                    .sum()
            })
        });
        g.bench_function(format!("driver_setup{suffix}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| rt.block_on(driver_setup(&servers, ice_tcp)))
                    .sum()
            })
        });
    }
    g.finish();
}
