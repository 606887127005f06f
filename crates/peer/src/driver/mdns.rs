//! Resolving the peer's mDNS host candidates (`<uuid>.local`, RFC 8839 §5.1 and
//! draft-ietf-mmusic-mdns-ice-candidates): a one-shot multicast DNS query (RFC 6762 §5.1)
//! for the name's A record, sent on each IPv4 interface, answered by the peer's browser.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use simple_dns::rdata::RData;
use simple_dns::{CLASS, Name, Packet, QCLASS, QTYPE, Question, TYPE};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// The mDNS IPv4 group and port (RFC 6762 §3).
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
const PORT: u16 = 5353;
/// When the query is sent again, from the first sending.
const RETRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(250),
    Duration::from_secs(1),
];
/// How long to wait for an answer in all.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The IPv4 address `name` (a `.local` name) has, asked on the IPv4 `interfaces`; `None`
/// when nobody answers in time.
pub(crate) async fn resolve(name: &str, interfaces: &[IpAddr]) -> Option<IpAddr> {
    if !name.to_ascii_lowercase().ends_with(".local") {
        return None;
    }
    let socket = match bind(interfaces) {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(error = %e, "no mDNS socket");
            return None;
        }
    };
    let query = query(name)?;
    let mut buf = vec![0u8; 9000];
    let resolution = async {
        let mut retries = RETRIES.iter().peekable();
        let start = tokio::time::Instant::now();
        loop {
            if let Some(at) = retries.peek()
                && start.elapsed() >= **at
            {
                retries.next();
                for ip in ipv4(interfaces) {
                    let _ = socket2::SockRef::from(&socket).set_multicast_if_v4(&ip);
                    let _ = socket.send_to(&query, SocketAddrV4::new(GROUP, PORT)).await;
                }
            }
            let wait = retries
                .peek()
                .map_or(TIMEOUT, |at| at.saturating_sub(start.elapsed()));
            match tokio::time::timeout(wait, socket.recv_from(&mut buf)).await {
                Ok(Ok((n, _))) => {
                    if let Some(ip) = answer(&buf[..n], name) {
                        return Some(ip);
                    }
                }
                Ok(Err(e)) => {
                    // A broken socket would spin: give up on this name.
                    tracing::debug!(error = %e, "mDNS receive failed");
                    return None;
                }
                // Time to send the query again.
                Err(_) => {}
            }
        }
    };
    tokio::time::timeout(TIMEOUT, resolution)
        .await
        .ok()
        .flatten()
}

/// A socket on the mDNS port shared with other responders (SO_REUSEADDR / SO_REUSEPORT),
/// in the group on each IPv4 interface, hearing its own host's multicast.
fn bind(interfaces: &[IpAddr]) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.set_multicast_loop_v4(true)?;
    socket.set_multicast_ttl_v4(255)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT)).into())?;
    let mut joined = false;
    for ip in ipv4(interfaces) {
        joined |= socket.join_multicast_v4(&GROUP, &ip).is_ok();
    }
    if !joined {
        socket.join_multicast_v4(&GROUP, &Ipv4Addr::UNSPECIFIED)?;
    }
    UdpSocket::from_std(socket.into())
}

fn ipv4(interfaces: &[IpAddr]) -> impl Iterator<Item = Ipv4Addr> + '_ {
    interfaces.iter().filter_map(|ip| match ip {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(_) => None,
    })
}

/// The query: one question for the A record, multicast response (QM, RFC 6762 §5.4).
fn query(name: &str) -> Option<Vec<u8>> {
    let mut packet = Packet::new_query(0);
    packet.questions.push(Question::new(
        Name::new(name).ok()?,
        QTYPE::TYPE(TYPE::A),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    packet.build_bytes_vec().ok()
}

/// The address an mDNS response gives `name`, if it answers for it.
fn answer(bytes: &[u8], name: &str) -> Option<IpAddr> {
    let packet = Packet::parse(bytes).ok()?;
    packet
        .answers
        .iter()
        .chain(packet.additional_records.iter())
        .filter(|r| {
            r.name
                .to_string()
                .eq_ignore_ascii_case(name.trim_end_matches('.'))
        })
        .find_map(|r| match &r.rdata {
            RData::A(a) => Some(IpAddr::V4(Ipv4Addr::from(a.address))),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use simple_dns::ResourceRecord;
    use simple_dns::rdata::A;

    #[test]
    fn a_response_for_the_name_gives_its_address() {
        let name = "1f4712db-ea17-4bcf-a596-105139dfd8bf.local";
        let bytes = query(name).unwrap();
        let q = Packet::parse(&bytes).unwrap();
        assert_eq!(q.questions.len(), 1);
        let mut response = Packet::new_reply(0);
        response.answers.push(ResourceRecord::new(
            Name::new(name).unwrap(),
            CLASS::IN,
            120,
            RData::A(A {
                address: u32::from(Ipv4Addr::new(10, 77, 0, 1)),
            }),
        ));
        let bytes = response.build_bytes_vec().unwrap();
        assert_eq!(
            answer(&bytes, name),
            Some(IpAddr::V4(Ipv4Addr::new(10, 77, 0, 1)))
        );
        assert_eq!(answer(&bytes, "other.local"), None);
        assert_eq!(answer(b"garbage", name), None);
    }
}
