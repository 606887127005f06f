//! Server-reflexive discovery in simulated time against a scripted STUN server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_stun::{
    DiscoveryError, DiscoveryEvent, Message, ReflexiveDiscovery, RetransmitConfig,
    encode_binding_error, encode_binding_success,
};

/// A UDP datagram from `remote` to our (unused) local address.
fn udp(remote: SocketAddr, contents: &[u8]) -> Datagram<'_> {
    Datagram {
        transport: Transport::Udp,
        local: "192.0.2.100:5000".parse().unwrap(),
        remote,
        contents,
    }
}

#[allow(clippy::disallowed_methods)] // the simulated epoch
fn epoch() -> Instant {
    Instant::now()
}

#[test]
fn discovers_after_a_lost_request() {
    let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let mapped: SocketAddr = "198.51.100.7:61000".parse().unwrap();
    let t0 = epoch();
    let mut d = ReflexiveDiscovery::with_seed(server, RetransmitConfig::default(), 3);
    d.start(t0);
    let first = d.poll_transmit().unwrap();
    // Lost; the retransmission at RTO is answered.
    let t1 = d.poll_timeout().unwrap();
    assert_eq!(t1 - t0, Duration::from_millis(500));
    d.handle_timeout(t1);
    let second = d.poll_transmit().unwrap();
    assert_eq!(
        first.contents, second.contents,
        "a retransmission is the same request"
    );
    let req = Message::decode(&second.contents).unwrap();
    let mut buf = [0u8; 128];
    let n = encode_binding_success(req.transaction_id(), mapped, None, &mut buf).unwrap();
    // From another address: not ours.
    assert!(!d.handle_datagram(t1, udp("192.0.2.2:3478".parse().unwrap(), &buf[..n])));
    assert!(d.handle_datagram(t1 + Duration::from_millis(30), udp(server, &buf[..n])));
    assert_eq!(
        d.poll_event(),
        Some(DiscoveryEvent::Discovered {
            mapped,
            server,
            rtt: None
        })
    );
    assert_eq!(d.poll_timeout(), None);
}

#[test]
fn error_response_and_timeout() {
    let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let t0 = epoch();
    let mut d = ReflexiveDiscovery::with_seed(server, RetransmitConfig::default(), 4);
    d.start(t0);
    let req = Message::decode(&d.poll_transmit().unwrap().contents).unwrap();
    let mut buf = [0u8; 128];
    let n =
        encode_binding_error(req.transaction_id(), 500, "Server Error", None, &mut buf).unwrap();
    assert!(d.handle_datagram(t0, udp(server, &buf[..n])));
    assert!(matches!(
        d.poll_event(),
        Some(DiscoveryEvent::Failed(DiscoveryError::ErrorResponse {
            code: 500,
            ..
        }))
    ));

    d.start(t0);
    let mut now = t0;
    while let Some(t) = d.poll_timeout() {
        now = t;
        d.handle_timeout(now);
    }
    assert_eq!(now - t0, Duration::from_millis(39_500));
    assert_eq!(
        d.poll_event(),
        Some(DiscoveryEvent::Failed(DiscoveryError::Timeout { server }))
    );
}

#[test]
fn over_tcp_the_request_is_sent_once_and_waits_ti() {
    let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let mapped: SocketAddr = "198.51.100.7:50000".parse().unwrap();
    let t0 = epoch();
    let mut d = ReflexiveDiscovery::with_seed(server, RetransmitConfig::default(), 5);
    d.set_transport(Transport::Tcp);
    assert_eq!(d.transport(), Transport::Tcp);
    d.start(t0);
    let request = d.poll_transmit().unwrap();
    assert_eq!(request.transport, Transport::Tcp);
    assert!(d.poll_transmit().is_none());
    // RFC 8489 §6.2.2: no retransmission; the one deadline is Ti.
    assert_eq!(
        d.poll_timeout().unwrap() - t0,
        Duration::from_millis(39_500)
    );
    let req = Message::decode(&request.contents).unwrap();
    let mut buf = [0u8; 128];
    let n = encode_binding_success(req.transaction_id(), mapped, None, &mut buf).unwrap();
    // The same response over UDP is not for a TCP request.
    assert!(!d.handle_datagram(t0, udp(server, &buf[..n])));
    let tcp = Datagram {
        transport: Transport::Tcp,
        ..udp(server, &buf[..n])
    };
    assert!(d.handle_datagram(t0 + Duration::from_millis(20), tcp));
    assert!(matches!(
        d.poll_event(),
        Some(DiscoveryEvent::Discovered { mapped: m, .. }) if m == mapped
    ));
    assert_eq!(d.poll_timeout(), None);
}
