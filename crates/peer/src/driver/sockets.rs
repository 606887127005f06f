//! The UDP sockets of one connection: bound on the configured addresses and port range,
//! read in turn, written from the socket a transmit names; beside them its ICE-TCP
//! listeners and connections (`ice_tcp.rs`) and its TCP connections to TURN servers
//! (`streams.rs`). Reads and writes go through
//! quinn-udp: a run of equal-sized datagrams to one destination leaves in one `sendmsg`
//! with UDP GSO, and datagrams that arrive together come out of one `recvmsg` with GRO
//! (where the OS has them; otherwise one datagram per call, as before).

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::task::{Context, Poll};

use quinn_udp::{RecvMeta, UdpSocketState};
use rtcweb_common::{Transmit, Transport};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use super::DriverError;
use super::ice_tcp::{IceTcp, TcpCounts};
use super::streams::{StreamRead, Streams};

/// Socket buffers asked of the OS (Linux caps them at `net.core.{r,w}mem_max`): a data
/// channel's window of datagrams arrives in one burst on loopback.
const SOCKET_BUFFER: usize = 4 << 20;

/// Datagrams that arrived: their length in the buffer, and their addressing. With GRO the
/// buffer holds several datagrams from one sender, each `stride` bytes (the last may be
/// shorter).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    pub(crate) len: usize,
    /// Size of each datagram in the buffer (equal to `len` for one datagram).
    pub(crate) stride: usize,
    /// UDP, an ICE-TCP connection (one datagram of it), or the TCP or TLS connection to a
    /// TURN server (a piece of its stream).
    pub(crate) transport: Transport,
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
}

/// One bound UDP socket and quinn-udp's state for it (GSO and GRO support found at bind).
#[derive(Debug)]
struct Udp {
    local: SocketAddr,
    socket: UdpSocket,
    state: UdpSocketState,
}

impl Udp {
    /// One read: several datagrams with GRO. `WouldBlock` when nothing waits.
    fn try_recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        let mut meta = [RecvMeta::default()];
        let mut bufs = [IoSliceMut::new(buf)];
        let n = self.socket.try_io(Interest::READABLE, || {
            self.state.recv((&self.socket).into(), &mut bufs, &mut meta)
        })?;
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let m = meta[0];
        Ok(Received {
            len: m.len,
            stride: if m.stride == 0 { m.len } else { m.stride },
            transport: Transport::Udp,
            local: self.local,
            remote: without_own_zone(m.addr, self.local),
        })
    }
}

/// `remote` as signalling names it: an IPv6 link-local source address comes from the
/// kernel with the receiving interface as its zone (RFC 4007 §11), which SDP addresses never
/// carry (RFC 8839 §5.1). On a socket bound to a link-local address of that same zone the
/// zone says nothing, so it is dropped; a peer's host candidate `fe80::…` then matches the
/// address its checks come from, and sending back to it goes out the socket's interface.
pub(crate) fn without_own_zone(remote: SocketAddr, local: SocketAddr) -> SocketAddr {
    match (remote, local) {
        (SocketAddr::V6(mut r), SocketAddr::V6(l))
            if r.ip().is_unicast_link_local() && r.scope_id() == l.scope_id() =>
        {
            r.set_scope_id(0);
            SocketAddr::V6(r)
        }
        _ => remote,
    }
}

/// One connection's sockets: a UDP socket per interface address, and the TCP connections
/// to TURN servers.
#[derive(Debug)]
pub(crate) struct Sockets {
    sockets: Vec<Udp>,
    /// Where the next poll starts, so that a busy socket does not starve the others.
    next: usize,
    /// Connections to TURN servers over TCP or TLS.
    streams: Streams,
    /// ICE-TCP listeners and connections, when gathered.
    ice_tcp: Option<IceTcp>,
}

impl Sockets {
    /// Binds one socket on each address (its port is ignored; an IPv6 scope is kept),
    /// trying the ports of `ports` lowest first (or letting the OS choose).
    pub(crate) fn bind(
        addresses: &[SocketAddr],
        ports: Option<&RangeInclusive<u16>>,
    ) -> Result<Self, DriverError> {
        if addresses.is_empty() {
            return Err(DriverError::NoInterfaces);
        }
        if let Some(r) = ports.filter(|r| r.is_empty()) {
            return Err(DriverError::EmptyPortRange(*r.start(), *r.end()));
        }
        let mut sockets = Vec::with_capacity(addresses.len());
        for &address in addresses {
            let ip = address.ip();
            if ip.is_unspecified() {
                return Err(DriverError::UnspecifiedAddress(ip));
            }
            let socket = bind_one(address, ports, &sockets)?;
            let local = socket.local_addr().map_err(|source| DriverError::Bind {
                address: ip,
                source,
            })?;
            let state =
                UdpSocketState::new((&socket).into()).map_err(|source| DriverError::Bind {
                    address: ip,
                    source,
                })?;
            sockets.push(Udp {
                local,
                socket,
                state,
            });
        }
        Ok(Self {
            sockets,
            next: 0,
            streams: Streams::default(),
            ice_tcp: None,
        })
    }

    /// Opens an ICE-TCP listener on the IP of each bound socket (`ports` as for the UDP
    /// sockets); their addresses, our passive candidates.
    pub(crate) fn listen_tcp(
        &mut self,
        ports: Option<&RangeInclusive<u16>>,
    ) -> Result<Vec<SocketAddr>, DriverError> {
        let tcp = IceTcp::bind(&self.local_addresses(), ports)?;
        let listeners = tcp.listeners();
        self.ice_tcp = Some(tcp);
        Ok(listeners)
    }

    /// The `stun:` servers of `servers`: the listeners ask them over TCP for their
    /// server-reflexive candidates (`ice_tcp.rs`). Nothing when ICE-TCP is off.
    pub(crate) fn add_tcp_stun_servers(&mut self, servers: &[crate::IceServer]) {
        if let Some(tcp) = self.ice_tcp.as_mut() {
            tcp.add_stun_servers(servers.iter().filter_map(|s| match s {
                crate::IceServer::Stun { address } => Some(*address),
                crate::IceServer::Turn { .. } => None,
            }));
        }
    }

    /// One more ICE-TCP listener, on `address`'s IP (an address that came up), when
    /// ICE-TCP is on.
    pub(crate) fn add_tcp_listener(
        &mut self,
        address: SocketAddr,
        ports: Option<&RangeInclusive<u16>>,
    ) -> Option<Result<SocketAddr, DriverError>> {
        self.ice_tcp.as_mut().map(|t| t.add(address, ports))
    }

    /// Closes the ICE-TCP listener on `ip` and its connections; its address.
    pub(crate) fn remove_tcp_listener(&mut self, ip: std::net::IpAddr) -> Option<SocketAddr> {
        self.ice_tcp.as_mut().and_then(|t| t.remove(ip))
    }

    /// Whether a TCP transmit goes on an ICE-TCP connection (else to a TURN server).
    pub(crate) fn is_ice_tcp(&self, transmit: &Transmit) -> bool {
        transmit.transport == Transport::Tcp
            && self
                .ice_tcp
                .as_ref()
                .is_some_and(|t| t.owns(transmit.source))
    }

    /// Frames a transmit onto its ICE-TCP connection (opened first from an active
    /// candidate's address); never waits.
    pub(crate) fn send_ice_tcp(&mut self, transmit: &Transmit) -> io::Result<()> {
        match (self.ice_tcp.as_mut(), transmit.source) {
            (Some(tcp), Some(source)) => tcp.send(source, transmit.destination, transmit.bytes()),
            _ => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Whether the ICE-TCP connection between `local` and `remote` was accepted and still
    /// waits for its first authenticated check (false for TURN streams and for the rest).
    pub(crate) fn tcp_awaits_check(&self, local: SocketAddr, remote: SocketAddr) -> bool {
        self.ice_tcp
            .as_ref()
            .is_some_and(|t| t.awaits_check(local, remote))
    }

    /// The ICE-TCP connection between `local` and `remote` carried an authenticated check:
    /// it is kept.
    pub(crate) fn tcp_checked(&mut self, local: SocketAddr, remote: SocketAddr) {
        if let Some(t) = self.ice_tcp.as_mut() {
            t.checked(local, remote);
        }
    }

    /// Whether ICE-TCP connections are being opened, have writes waiting, or wait for
    /// their first check (a deadline driven with the writes).
    pub(crate) fn tcp_writes_pending(&self) -> bool {
        self.ice_tcp
            .as_ref()
            .is_some_and(IceTcp::has_pending_writes)
    }

    /// Drives ICE-TCP connects, queued writes and the deadlines of accepted connections
    /// without a check; ready when a connection opened or closed.
    pub(crate) fn poll_tcp_writes(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.ice_tcp.as_mut() {
            Some(tcp) => tcp.poll_writes(cx),
            None => Poll::Pending,
        }
    }

    /// An ICE-TCP connection that closed or could not be opened, to tell the core.
    pub(crate) fn take_tcp_closed(&mut self) -> Option<(SocketAddr, SocketAddr)> {
        self.ice_tcp.as_mut().and_then(IceTcp::take_closed)
    }

    /// Counters of the ICE-TCP connections.
    pub(crate) fn tcp_counts(&self) -> TcpCounts {
        self.ice_tcp
            .as_ref()
            .map(IceTcp::counts)
            .unwrap_or_default()
    }

    /// Binds one more socket on `address` (an interface address that came up), in the
    /// port range; its local address.
    pub(crate) fn add(
        &mut self,
        address: SocketAddr,
        ports: Option<&RangeInclusive<u16>>,
    ) -> Result<SocketAddr, DriverError> {
        let socket = bind_one(address, ports, &self.sockets)?;
        let bind_error = |source| DriverError::Bind {
            address: address.ip(),
            source,
        };
        let local = socket.local_addr().map_err(bind_error)?;
        let state = UdpSocketState::new((&socket).into()).map_err(bind_error)?;
        self.sockets.push(Udp {
            local,
            socket,
            state,
        });
        Ok(local)
    }

    /// Closes the socket bound at `local` (its interface address went away).
    pub(crate) fn remove(&mut self, local: SocketAddr) {
        self.sockets.retain(|u| u.local != local);
        self.next = 0;
    }

    /// The bound addresses: our host candidates.
    pub(crate) fn local_addresses(&self) -> Vec<SocketAddr> {
        self.sockets.iter().map(|u| u.local).collect()
    }

    /// Polls every socket once, starting after the last one that had a datagram. Receive
    /// errors (an ICMP error reported on the socket) are logged and skipped.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Received> {
        let n = self.sockets.len();
        for i in 0..n {
            let index = (self.next + i) % n;
            let udp = &self.sockets[index];
            loop {
                match udp.socket.poll_recv_ready(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => {
                        tracing::debug!(local = %udp.local, error = %e, "UDP receive error ignored");
                        break;
                    }
                    Poll::Pending => break,
                }
                match udp.try_recv(buf) {
                    Ok(received) => {
                        self.next = index + 1;
                        return Poll::Ready(received);
                    }
                    // Readiness was stale: poll again, which registers the waker.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => {
                        tracing::debug!(local = %udp.local, error = %e, "UDP receive error ignored");
                    }
                }
            }
        }
        if let Some(tcp) = self.ice_tcp.as_mut()
            && let Poll::Ready(received) = tcp.poll_read(cx, buf)
        {
            return Poll::Ready(received);
        }
        self.streams.poll_read(cx, buf).map(Received::from)
    }

    /// Datagrams that are already waiting, without waiting for one.
    pub(crate) fn try_recv(&mut self, buf: &mut [u8]) -> Option<Received> {
        let n = self.sockets.len();
        for i in 0..n {
            let index = (self.next + i) % n;
            let udp = &self.sockets[index];
            loop {
                match udp.try_recv(buf) {
                    Ok(received) => {
                        self.next = index + 1;
                        return Some(received);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        tracing::debug!(local = %udp.local, error = %e, "UDP receive error ignored");
                    }
                }
            }
        }
        if let Some(received) = self.ice_tcp.as_mut().and_then(|t| t.try_read(buf)) {
            return Some(received);
        }
        self.streams.try_read(buf).map(Received::from)
    }

    fn udp_for(&self, source: Option<SocketAddr>, destination: SocketAddr) -> io::Result<&Udp> {
        self.sockets
            .iter()
            .find(|u| Some(u.local) == source)
            .or_else(|| {
                self.sockets
                    .iter()
                    .find(|u| u.local.is_ipv4() == destination.is_ipv4())
            })
            .ok_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable))
    }

    /// How many datagrams one send may carry from `source` (1 without GSO).
    pub(crate) fn max_segments(
        &self,
        source: Option<SocketAddr>,
        destination: SocketAddr,
    ) -> usize {
        self.udp_for(source, destination)
            .map_or(1, |u| u.state.max_gso_segments())
    }

    /// Sends `contents` from `source` to `destination`: one datagram, or with
    /// `segment_size` several of that size (the last may be shorter) in one GSO send.
    /// Waits while the socket's buffer is full.
    pub(crate) async fn send_udp(
        &self,
        source: Option<SocketAddr>,
        destination: SocketAddr,
        contents: &[u8],
        segment_size: Option<usize>,
    ) -> io::Result<()> {
        let udp = self.udp_for(source, destination)?;
        let transmit = quinn_udp::Transmit {
            destination,
            ecn: None,
            contents,
            segment_size,
            src_ip: None,
        };
        udp.socket
            .async_io(Interest::WRITABLE, || {
                udp.state.try_send((&udp.socket).into(), &transmit)
            })
            .await
    }

    /// Sends a transmit on a TCP or TLS connection to a TURN server.
    pub(crate) async fn send_stream(&mut self, transmit: &Transmit) -> io::Result<()> {
        self.streams
            .send(transmit.transport, transmit.destination, transmit.bytes())
            .await
    }
}

impl From<StreamRead> for Received {
    fn from(r: StreamRead) -> Self {
        Self {
            len: r.len,
            stride: r.len,
            transport: r.transport,
            local: r.local,
            remote: r.server,
        }
    }
}

/// One socket on `address`'s IP: the first free port of the range, or one the OS picks. A
/// port that an earlier socket of this connection holds on another address is skipped, so
/// each candidate has its own port.
fn bind_one(
    address: SocketAddr,
    ports: Option<&RangeInclusive<u16>>,
    taken: &[Udp],
) -> Result<UdpSocket, DriverError> {
    let candidates: Box<dyn Iterator<Item = u16>> = match ports {
        Some(r) => Box::new(r.clone()),
        None => Box::new(std::iter::once(0)),
    };
    let mut last = io::Error::from(io::ErrorKind::AddrInUse);
    for port in candidates {
        if port != 0 && taken.iter().any(|u| u.local.port() == port) {
            continue;
        }
        let mut at = address;
        at.set_port(port);
        match open(at) {
            Ok(socket) => return Ok(socket),
            Err(e) => last = e,
        }
    }
    Err(DriverError::Bind {
        address: address.ip(),
        source: last,
    })
}

fn open(address: SocketAddr) -> io::Result<UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    if address.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // Best effort: the OS may cap or refuse larger buffers.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    UdpSocket::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_in_the_range_and_refuses_what_makes_no_candidate() {
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
        assert!(matches!(
            Sockets::bind(&[], None),
            Err(DriverError::NoInterfaces)
        ));
        assert!(matches!(
            Sockets::bind(&[any], None),
            Err(DriverError::UnspecifiedAddress(_))
        ));
        #[allow(clippy::reversed_empty_ranges)] // the point of the check
        let empty = 20_001..=20_000;
        assert!(matches!(
            Sockets::bind(&[lo], Some(&empty)),
            Err(DriverError::EmptyPortRange(20_001, 20_000))
        ));
        // A range of two ports: the first socket takes one, the next the other, a third
        // finds none.
        let free = Sockets::bind(&[lo], None).unwrap().local_addresses()[0].port();
        let (start, end) = if free < u16::MAX {
            (free, free + 1)
        } else {
            (free - 1, free)
        };
        let range = start..=end;
        let one = Sockets::bind(&[lo], Some(&range));
        let two = Sockets::bind(&[lo], Some(&range));
        if let (Ok(one), Ok(two)) = (one, two) {
            let ports = [
                one.local_addresses()[0].port(),
                two.local_addresses()[0].port(),
            ];
            assert!(ports.iter().all(|p| range.contains(p)) && ports[0] != ports[1]);
            assert!(matches!(
                Sockets::bind(&[lo], Some(&range)),
                Err(DriverError::Bind { .. })
            ));
        }
    }
}
