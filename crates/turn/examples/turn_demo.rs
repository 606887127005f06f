//! The demo of `cargo xtask demo`: a TURN server on 127.0.0.1 (coturn, with a certificate and
//! credentials made on the spot), and the rtcweb crates at work against it: the
//! server-reflexive address discovered with rtcweb-stun, an allocation made over UDP, TCP and
//! TLS with rtcweb-turn, and a message relayed to a local peer and back on each, with timings.
#![allow(clippy::disallowed_methods)] // a program: it owns the sockets and the clock

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_stun::{DiscoveryEvent, ReflexiveDiscovery, RetransmitConfig};
use rtcweb_turn::Event;
use support::{Coturn, Driver, EchoPeer};

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn discover(coturn: &Coturn) -> Result<(), String> {
    let sock = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let mut d = ReflexiveDiscovery::new(coturn.udp_addr(), RetransmitConfig::default());
    let start = Instant::now();
    d.start(start);
    let mut buf = [0u8; 1500];
    loop {
        while let Some(t) = d.poll_transmit() {
            sock.send_to(&t.contents, t.destination)
                .map_err(|e| e.to_string())?;
        }
        match d.poll_event() {
            Some(DiscoveryEvent::Discovered {
                mapped,
                server,
                rtt,
            }) => {
                println!(
                    "STUN   server-reflexive address {mapped} (local {}), from {server}, in {}{}",
                    sock.local_addr().map_err(|e| e.to_string())?,
                    ms(start.elapsed()),
                    rtt.map(|r| format!(", rtt {}", ms(r))).unwrap_or_default()
                );
                return Ok(());
            }
            Some(DiscoveryEvent::Failed(e)) => return Err(format!("discovery failed: {e}")),
            Some(_) | None => {}
        }
        let now = Instant::now();
        let wait = d
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(Duration::from_millis(50))
            .max(Duration::from_millis(1));
        sock.set_read_timeout(Some(wait))
            .map_err(|e| e.to_string())?;
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                let datagram = Datagram {
                    transport: Transport::Udp,
                    local: sock.local_addr().map_err(|e| e.to_string())?,
                    remote: from,
                    contents: &buf[..n],
                };
                d.handle_datagram(Instant::now(), datagram);
            }
            Err(_) => d.handle_timeout(Instant::now()),
        }
    }
}

fn relay(coturn: &Coturn, transport: Transport, peer: &EchoPeer) -> Result<(), String> {
    let limit = Duration::from_secs(5);
    let t0 = Instant::now();
    let mut d = Driver::connect(coturn.config(transport));
    d.client
        .allocate(Instant::now())
        .map_err(|e| e.to_string())?;
    if !d.run_until(limit, |e| {
        matches!(e, Event::Allocated { .. } | Event::Failed(_))
    }) {
        return Err(format!("{transport}: no answer to Allocate"));
    }
    let relayed = match d.events.last() {
        Some(Event::Allocated { relayed, .. }) => *relayed,
        other => return Err(format!("{transport}: allocation failed: {other:?}")),
    };
    let allocated = t0.elapsed();

    let t1 = Instant::now();
    d.client
        .bind_channel(Instant::now(), peer.addr)
        .map_err(|e| e.to_string())?;
    if !d.run_until(limit, |e| matches!(e, Event::ChannelBound { .. })) {
        return Err(format!(
            "{transport}: channel not bound: {:?}",
            d.events.last()
        ));
    }
    let bound = t1.elapsed();

    let message = format!("hello from rtcweb over {transport}");
    let t2 = Instant::now();
    d.send_to(peer.addr, message.as_bytes())
        .map_err(|e| e.to_string())?;
    if !d.run_until_data(limit, |_, _| true) {
        return Err(format!("{transport}: nothing came back"));
    }
    let rtt = t2.elapsed();
    let echoed = d.data_from(peer.addr).pop().unwrap_or_default();
    d.client.close(Instant::now());
    d.run_until(limit, |e| matches!(e, Event::Closed));
    println!(
        "TURN/{:<3} relayed {relayed}  allocate {:>9}  channel {:>9}  relayed round trip {:>9}  {:?}",
        transport.as_str(),
        ms(allocated),
        ms(bound),
        ms(rtt),
        String::from_utf8_lossy(&echoed)
    );
    Ok(())
}

fn main() -> Result<(), String> {
    println!("rtcweb demo: STUN and TURN on 127.0.0.1\n");
    let start = Instant::now();
    let coturn = Coturn::start();
    println!(
        "server coturn on 127.0.0.1:{} (UDP, TCP) and :{} (TLS, certificate made now), started in {}",
        coturn.port,
        coturn.tls_port,
        ms(start.elapsed())
    );
    let peer = EchoPeer::start("127.0.0.1");
    println!("peer   a UDP echo peer on {}\n", peer.addr);
    discover(&coturn)?;
    for transport in [Transport::Udp, Transport::Tcp, Transport::Tls] {
        relay(&coturn, transport, &peer)?;
    }
    Ok(())
}
