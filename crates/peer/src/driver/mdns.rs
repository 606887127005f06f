//! mDNS host candidates (draft-ietf-mmusic-mdns-ice-candidates, RFC 6762) on the network:
//! resolving the peer's `<uuid>.local` names with a one-shot multicast query on every
//! interface (A and AAAA, on 224.0.0.251 and ff02::fb), and answering the queries for the
//! names we publish for our own host addresses, each only on the interface its address is
//! on, for as long as the connection lives. The messages are built and read by the sans-IO
//! [`crate::mdns`].

use std::collections::HashMap;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use quinn_udp::{RecvMeta, UdpSocketState};
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::time::Instant;

use super::interfaces::list_interfaces;
use crate::mdns::{MdnsName, answer, query, resolved_address};

/// The mDNS groups and port (RFC 6762 §3, §22).
const GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);
const PORT: u16 = 5353;
/// When the query is sent again, from the first sending.
const RETRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(250),
    Duration::from_secs(1),
];
/// How long to wait for an answer in all.
const TIMEOUT: Duration = Duration::from_secs(3);
/// Largest mDNS message read (RFC 6762 §17: up to 9000 bytes).
const MAX_MESSAGE: usize = 9000;
/// A record is multicast on an interface at most once a second (RFC 6762 §6).
const MULTICAST_INTERVAL: Duration = Duration::from_secs(1);
/// Most answers the responder sends per second, all names and interfaces together: the
/// bound on what a flood of queries can make it send.
const MAX_ANSWERS_PER_SECOND: u32 = 50;
/// Most names one connection publishes (one per host address).
pub(crate) const MAX_NAMES: usize = 32;

/// The responder's counters, read into [`IoStats`](super::IoStats).
#[derive(Debug, Default)]
pub(crate) struct ResponderStats {
    /// Answers sent.
    pub(crate) answers: AtomicU64,
    /// Queries for our names left unanswered by the rate bounds.
    pub(crate) limited: AtomicU64,
}

/// The address the peer's `.local` `name` has (IPv4 or IPv6), asked on every interface of
/// `interfaces` (A and AAAA in one query, RFC 6762 §5.1, sent again after 250 ms and 1 s);
/// `None` when nobody answers in 3 s.
pub(crate) async fn resolve(name: &str, interfaces: &[IpAddr]) -> Option<IpAddr> {
    if !name.to_ascii_lowercase().ends_with(".local") {
        return None;
    }
    let query = query(name)?;
    let links = Links::of(interfaces);
    let (v4, v6) = links.bind();
    if v4.is_none() && v6.is_none() {
        tracing::debug!(%name, "no mDNS socket to resolve with");
        return None;
    }
    let mut buf = vec![0u8; MAX_MESSAGE];
    let resolution = async {
        let mut retries = RETRIES.iter().peekable();
        let start = Instant::now();
        loop {
            if let Some(at) = retries.peek()
                && start.elapsed() >= **at
            {
                retries.next();
                if let Some(s) = &v4 {
                    for ip in &links.v4 {
                        s.send_v4(&query, *ip, SocketAddrV4::new(GROUP_V4, PORT).into())
                            .await;
                    }
                }
                if let Some(s) = &v6 {
                    for index in &links.v6 {
                        let group = SocketAddrV6::new(GROUP_V6, PORT, 0, *index);
                        s.send_v6(&query, *index, group.into()).await;
                    }
                }
            }
            let wait = retries
                .peek()
                .map_or(TIMEOUT, |at| at.saturating_sub(start.elapsed()));
            let received = tokio::time::timeout(wait, recv_either(&v4, &v6, &mut buf)).await;
            match received {
                Ok(Ok(incoming)) => {
                    if let Some(ip) = resolved_address(&buf[..incoming.len], name) {
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

/// Answers the queries for the names in `names` until its sender is dropped (the
/// connection ended). When the names change (a new interface), the sockets are bound and
/// the groups joined again.
pub(crate) async fn respond(mut names: watch::Receiver<Vec<MdnsName>>, stats: Arc<ResponderStats>) {
    let mut limits = Limits::default();
    loop {
        let current = names.borrow_and_update().clone();
        let (published, v4_of) = on_interfaces(&current);
        let ips: Vec<IpAddr> = current.iter().map(|n| n.ip).collect();
        let links = Links::of(&ips);
        let (v4, v6) = links.bind();
        if v4.is_none() && v6.is_none() && !published.is_empty() {
            tracing::debug!("no mDNS socket: our names will not be answered");
        }
        let serve = serve(&v4, &v6, &links, &published, &v4_of, &mut limits, &stats);
        tokio::select! {
            () = serve => {
                // Both sockets failed: wait for new names (new interfaces) to try again.
                if names.changed().await.is_err() {
                    return;
                }
            }
            changed = names.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// A published name and the index of the interface its address is on.
struct Published {
    name: MdnsName,
    index: Option<u32>,
}

/// The names with the index of their address's interface, and an IPv4 address of each
/// interface that has one (what IP_MULTICAST_IF takes to name it).
fn on_interfaces(names: &[MdnsName]) -> (Vec<Published>, Vec<(u32, Ipv4Addr)>) {
    let all = list_interfaces().unwrap_or_else(|e| {
        tracing::debug!(error = %e, "cannot list the interfaces for mDNS");
        Vec::new()
    });
    let published = names
        .iter()
        .take(MAX_NAMES)
        .map(|name| Published {
            name: name.clone(),
            index: all.iter().find(|a| a.ip == name.ip).and_then(|a| a.index),
        })
        .collect();
    let mut v4_of = Vec::new();
    for a in &all {
        if let (Some(index), IpAddr::V4(ip)) = (a.index, a.ip)
            && !v4_of.iter().any(|(i, _)| *i == index)
        {
            v4_of.push((index, ip));
        }
    }
    (published, v4_of)
}

/// The sending bounds: when each record was last multicast on each interface, and the
/// answers of the current second.
#[derive(Default)]
struct Limits {
    last_multicast: HashMap<(String, Option<u32>), Instant>,
    second: Option<Instant>,
    answers_this_second: u32,
}

impl Limits {
    /// Whether one more answer may go out now (the per-second bound).
    fn allow(&mut self, now: Instant) -> bool {
        match self.second {
            Some(start) if now.duration_since(start) < Duration::from_secs(1) => {}
            _ => {
                self.second = Some(now);
                self.answers_this_second = 0;
            }
        }
        if self.answers_this_second >= MAX_ANSWERS_PER_SECOND {
            return false;
        }
        self.answers_this_second += 1;
        true
    }
}

async fn serve(
    v4: &Option<Multicast>,
    v6: &Option<Multicast>,
    links: &Links,
    published: &[Published],
    v4_of: &[(u32, Ipv4Addr)],
    limits: &mut Limits,
    stats: &ResponderStats,
) {
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut here = Vec::with_capacity(published.len());
    loop {
        let incoming = match recv_either(v4, v6, &mut buf).await {
            Ok(incoming) => incoming,
            Err(e) => {
                tracing::debug!(error = %e, "mDNS responder socket failed");
                return;
            }
        };
        // Only the names whose address is on the interface the query came in on
        // (RFC 6762 §6.2: answers carry the addresses valid on that link); all of them
        // where the platform does not say which interface that was.
        here.clear();
        here.extend(
            published
                .iter()
                .filter(|p| incoming.index.is_none() || p.index == incoming.index),
        );
        if here.is_empty() {
            continue;
        }
        let legacy = incoming.from.port() != PORT;
        let now = Instant::now();
        let query = &buf[..incoming.len];
        let mut names: Vec<MdnsName> = here.iter().map(|p| p.name.clone()).collect();
        let Some(mut response) = answer(query, &names, legacy) else {
            continue;
        };
        if !legacy {
            // RFC 6762 §6: a record multicast on this interface less than a second ago
            // is not multicast again.
            let fresh: Vec<MdnsName> = response
                .answered
                .iter()
                .map(|&i| names[i].clone())
                .filter(|n| {
                    limits
                        .last_multicast
                        .get(&(n.name.clone(), incoming.index))
                        .is_none_or(|at| now.duration_since(*at) >= MULTICAST_INTERVAL)
                })
                .collect();
            if fresh.len() < response.answered.len() {
                match answer(query, &fresh, false) {
                    Some(r) => {
                        response = r;
                        names = fresh;
                    }
                    None => {
                        stats.limited.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
            }
        }
        if !limits.allow(now) {
            stats.limited.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let socket = if incoming.v6 { v6 } else { v4 };
        let Some(socket) = socket else { continue };
        if legacy {
            // RFC 6762 §6.7: a legacy resolver gets its answer by unicast.
            socket.send_to(&response.bytes, incoming.from).await;
        } else if incoming.v6 {
            let index = incoming
                .index
                .or_else(|| links.v6.first().copied())
                .unwrap_or(0);
            let group = SocketAddrV6::new(GROUP_V6, PORT, 0, index);
            socket.send_v6(&response.bytes, index, group.into()).await;
        } else {
            // The interface's IPv4 address names it for IP_MULTICAST_IF: the answer
            // leaves by the interface the query came in on, or not at all.
            let local = match incoming.index {
                Some(index) => v4_of.iter().find(|(i, _)| *i == index).map(|(_, ip)| *ip),
                None => links.v4.first().copied(),
            };
            if let Some(ip) = local {
                socket
                    .send_v4(
                        &response.bytes,
                        ip,
                        SocketAddrV4::new(GROUP_V4, PORT).into(),
                    )
                    .await;
            }
        }
        stats.answers.fetch_add(1, Ordering::Relaxed);
        if !legacy {
            for i in response.answered {
                limits
                    .last_multicast
                    .insert((names[i].name.clone(), incoming.index), now);
            }
        }
    }
}

/// The interfaces to use: the IPv4 addresses, and the indexes of the IPv6 ones.
struct Links {
    v4: Vec<Ipv4Addr>,
    v6: Vec<u32>,
}

impl Links {
    fn of(ips: &[IpAddr]) -> Self {
        let v4: Vec<Ipv4Addr> = ips
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(*v4),
                IpAddr::V6(_) => None,
            })
            .collect();
        let mut v6 = Vec::new();
        if ips.iter().any(IpAddr::is_ipv6) {
            let all = list_interfaces().unwrap_or_default();
            for ip in ips.iter().filter(|ip| ip.is_ipv6()) {
                if let Some(index) = all.iter().find(|a| a.ip == *ip).and_then(|a| a.index)
                    && !v6.contains(&index)
                {
                    v6.push(index);
                }
            }
        }
        Self { v4, v6 }
    }

    /// A socket for each family that has interfaces; a family whose socket cannot be made
    /// is left out (said in the log).
    fn bind(&self) -> (Option<Multicast>, Option<Multicast>) {
        let v4 = (!self.v4.is_empty())
            .then(|| Multicast::bind_v4(&self.v4))
            .and_then(|r| {
                r.map_err(|e| tracing::debug!(error = %e, "no IPv4 mDNS socket"))
                    .ok()
            });
        let v6 = (!self.v6.is_empty())
            .then(|| Multicast::bind_v6(&self.v6))
            .and_then(|r| {
                r.map_err(|e| tracing::debug!(error = %e, "no IPv6 mDNS socket"))
                    .ok()
            });
        (v4, v6)
    }
}

/// A datagram read on an mDNS socket.
struct Incoming {
    len: usize,
    from: SocketAddr,
    /// The interface it came in on.
    index: Option<u32>,
    v6: bool,
}

/// A socket on the mDNS port, shared with the host's other responders (SO_REUSEADDR and
/// SO_REUSEPORT: every socket in the group gets a copy of each multicast datagram), in the
/// group on the given interfaces, hearing its own host's multicast. quinn-udp reads the
/// interface a datagram came in on (IP_PKTINFO, IPV6_RECVPKTINFO).
struct Multicast {
    socket: UdpSocket,
    state: UdpSocketState,
    v6: bool,
}

impl Multicast {
    fn bind_v4(interfaces: &[Ipv4Addr]) -> io::Result<Self> {
        let socket = shared(Domain::IPV4)?;
        socket.set_multicast_loop_v4(true)?;
        // RFC 6762 §11: sent with IP TTL 255.
        socket.set_multicast_ttl_v4(255)?;
        socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT)).into())?;
        let mut joined = false;
        for ip in interfaces {
            joined |= socket.join_multicast_v4(&GROUP_V4, ip).is_ok();
        }
        if !joined {
            socket.join_multicast_v4(&GROUP_V4, &Ipv4Addr::UNSPECIFIED)?;
        }
        Self::new(socket, false)
    }

    fn bind_v6(interfaces: &[u32]) -> io::Result<Self> {
        let socket = shared(Domain::IPV6)?;
        socket.set_only_v6(true)?;
        socket.set_multicast_loop_v6(true)?;
        // RFC 6762 §11: hop limit 255.
        socket.set_multicast_hops_v6(255)?;
        socket.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, PORT)).into())?;
        let mut joined = false;
        for index in interfaces {
            joined |= socket.join_multicast_v6(&GROUP_V6, *index).is_ok();
        }
        if !joined {
            return Err(io::Error::other("the IPv6 mDNS group could not be joined"));
        }
        Self::new(socket, true)
    }

    fn new(socket: Socket, v6: bool) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        let socket = UdpSocket::from_std(socket.into())?;
        let state = UdpSocketState::new((&socket).into())?;
        Ok(Self { socket, state, v6 })
    }

    async fn recv(&self, buf: &mut [u8]) -> io::Result<Incoming> {
        loop {
            self.socket.readable().await?;
            if let Some(incoming) = self.try_recv(buf)? {
                return Ok(incoming);
            }
        }
    }

    /// One datagram if one waits; `None` when the readiness was spurious.
    fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<Incoming>> {
        let mut meta = [RecvMeta::default()];
        let mut bufs = [IoSliceMut::new(buf)];
        let read = self.socket.try_io(Interest::READABLE, || {
            self.state.recv((&self.socket).into(), &mut bufs, &mut meta)
        });
        match read {
            Ok(0) => Ok(None),
            Ok(_) => {
                // One message per datagram: with GRO, the first `stride` bytes are one.
                let m = meta[0];
                let len = if m.stride == 0 {
                    m.len
                } else {
                    m.stride.min(m.len)
                };
                Ok(Some(Incoming {
                    len,
                    from: m.addr,
                    index: m.interface_index,
                    v6: self.v6,
                }))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn send_to(&self, bytes: &[u8], to: SocketAddr) {
        if let Err(e) = self.socket.send_to(bytes, to).await {
            tracing::debug!(%to, error = %e, "mDNS send failed");
        }
    }

    /// Multicasts out of the interface that has `interface` (IP_MULTICAST_IF).
    async fn send_v4(&self, bytes: &[u8], interface: Ipv4Addr, to: SocketAddr) {
        if SockRef::from(&self.socket)
            .set_multicast_if_v4(&interface)
            .is_ok()
        {
            self.send_to(bytes, to).await;
        }
    }

    /// Multicasts out of the interface `index` (IPV6_MULTICAST_IF).
    async fn send_v6(&self, bytes: &[u8], index: u32, to: SocketAddr) {
        if SockRef::from(&self.socket)
            .set_multicast_if_v6(index)
            .is_ok()
        {
            self.send_to(bytes, to).await;
        }
    }
}

fn shared(domain: Domain) -> io::Result<Socket> {
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    Ok(socket)
}

/// The next datagram on either socket (one may be absent).
async fn recv_either(
    v4: &Option<Multicast>,
    v6: &Option<Multicast>,
    buf: &mut [u8],
) -> io::Result<Incoming> {
    match (v4, v6) {
        (Some(a), None) => a.recv(buf).await,
        (None, Some(b)) => b.recv(buf).await,
        (Some(a), Some(b)) => loop {
            let ready = tokio::select! {
                r = a.socket.readable() => { r?; a }
                r = b.socket.readable() => { r?; b }
            };
            if let Some(incoming) = ready.try_recv(buf)? {
                return Ok(incoming);
            }
        },
        (None, None) => std::future::pending().await,
    }
}

/// The names of one connection's host addresses: made once per address, given to the core
/// (which signals them in place of the addresses) and to the responder, which answers for
/// them until this is dropped with the connection's task.
#[derive(Debug)]
pub(crate) struct Publisher {
    rng: rand::rngs::StdRng,
    names: watch::Sender<Vec<MdnsName>>,
    stats: Arc<ResponderStats>,
}

impl Publisher {
    pub(crate) fn new() -> Self {
        use rand::SeedableRng;
        Self {
            rng: rand::rngs::StdRng::from_os_rng(),
            names: watch::Sender::new(Vec::new()),
            stats: Arc::default(),
        }
    }

    /// Gives `ip` a random `<uuid v4>.local` name (draft-ietf-mmusic-mdns-ice-candidates
    /// §3.1: one name per address, kept for the connection's life), unless it has one or
    /// [`MAX_NAMES`] are published; the core signals it from now on.
    pub(crate) fn publish(&mut self, peer: &mut crate::Peer, ip: IpAddr) {
        use rand::Rng;
        let names = self.names.borrow();
        if names.len() >= MAX_NAMES || names.iter().any(|n| n.ip == ip) {
            return;
        }
        drop(names);
        let name = MdnsName::random(ip, self.rng.random());
        if let Err(e) = peer.publish_mdns_name(ip, &name.name) {
            tracing::debug!(%ip, error = %e, "the core refused an mDNS name");
            return;
        }
        tracing::debug!(%ip, name = %name.name, "mDNS name published");
        self.names.send_modify(|names| names.push(name));
    }

    /// Starts the responder (on the current tokio runtime).
    pub(crate) fn start(&self) {
        tokio::spawn(respond(self.names.subscribe(), Arc::clone(&self.stats)));
    }

    /// Names published, answers sent, queries left unanswered by the bounds.
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        (
            self.names.borrow().len() as u64,
            self.stats.answers.load(Ordering::Relaxed),
            self.stats.limited.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_bounded_per_second() {
        let mut limits = Limits::default();
        let start = Instant::now();
        let allowed = (0..MAX_ANSWERS_PER_SECOND * 2)
            .filter(|_| limits.allow(start))
            .count();
        assert_eq!(allowed, MAX_ANSWERS_PER_SECOND as usize);
        assert!(!limits.allow(start + Duration::from_millis(999)));
        // A new second, a new allowance.
        assert!(limits.allow(start + Duration::from_secs(1)));
    }

    #[test]
    fn links_take_ipv4_addresses_as_they_are() {
        let links = Links::of(&[
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
        ]);
        assert_eq!(
            links.v4,
            [Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(198, 51, 100, 1)]
        );
        assert!(links.v6.is_empty(), "no IPv6 address, no IPv6 interface");
    }

    #[test]
    fn a_publisher_names_each_address_once_in_the_core() {
        let config = crate::Config {
            seed: Some(3),
            ..crate::Config::default()
        };
        let mut peer = crate::Peer::new(config, crate::driver::clock()).unwrap();
        let mut publisher = Publisher::new();
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        publisher.publish(&mut peer, ip);
        publisher.publish(&mut peer, ip);
        publisher.publish(&mut peer, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
        assert_eq!(publisher.counts(), (2, 0, 0));
        let names = publisher.names.borrow().clone();
        assert_ne!(names[0].name, names[1].name, "a fresh name per address");
        assert!(names.iter().all(|n| n.name.ends_with(".local")));
        assert_eq!(peer.mdns_names.len(), 2);
        assert_eq!(peer.mdns_names[0], (ip, names[0].name.clone()));
    }
}
