//! Against a real coturn acting as STUN server: rtcweb-stun's server-reflexive discovery.
#![allow(clippy::disallowed_methods)] // a real coturn on real sockets runs on the wall clock

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_stun::{DiscoveryEvent, ReflexiveDiscovery, RetransmitConfig};
use support::Coturn;

#[test]
fn discovers_the_server_reflexive_address() {
    let coturn = Coturn::start();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = sock.local_addr().unwrap();
    let mut d = ReflexiveDiscovery::new(coturn.udp_addr(), RetransmitConfig::default());
    d.set_software("rtcweb test");
    d.start(Instant::now());
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 1500];
    let event = loop {
        assert!(Instant::now() < deadline, "no answer from coturn");
        while let Some(t) = d.poll_transmit() {
            sock.send_to(&t.contents, t.destination).unwrap();
        }
        if let Some(e) = d.poll_event() {
            break e;
        }
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                let datagram = Datagram {
                    transport: Transport::Udp,
                    local,
                    remote: from,
                    contents: &buf[..n],
                };
                assert!(d.handle_datagram(Instant::now(), datagram))
            }
            Err(_) => d.handle_timeout(Instant::now()),
        }
    };
    // On loopback there is no NAT: the reflexive address is the socket's own.
    match event {
        DiscoveryEvent::Discovered {
            mapped,
            server,
            rtt,
        } => {
            assert_eq!(mapped, local);
            assert_eq!(server, coturn.udp_addr());
            assert!(rtt.is_some());
        }
        other => panic!("{other:?}"),
    }
}
