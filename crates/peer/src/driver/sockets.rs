//! The UDP sockets of one connection: bound on the configured addresses and port range,
//! read in turn, written from the socket a transmit names.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::task::{Context, Poll};

use rtcweb_common::{Transmit, Transport};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::ReadBuf;
use tokio::net::UdpSocket;

use super::DriverError;
use super::streams::{StreamRead, Streams};

/// Socket buffers asked of the OS (Linux caps them at `net.core.{r,w}mem_max`): a data
/// channel's window of datagrams arrives in one burst on loopback.
const SOCKET_BUFFER: usize = 4 << 20;

/// A datagram that arrived: its length in the buffer, and its addressing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    pub(crate) len: usize,
    /// UDP, or the TCP or TLS connection to a TURN server.
    pub(crate) transport: Transport,
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
}

/// One connection's sockets: a UDP socket per interface address, and the TCP connections
/// to TURN servers.
#[derive(Debug)]
pub(crate) struct Sockets {
    sockets: Vec<(SocketAddr, UdpSocket)>,
    /// Where the next poll starts, so that a busy socket does not starve the others.
    next: usize,
    /// Connections to TURN servers over TCP or TLS.
    streams: Streams,
}

impl Sockets {
    /// Binds one socket on each address, trying the ports of `ports` lowest first (or
    /// letting the OS choose).
    pub(crate) fn bind(
        addresses: &[IpAddr],
        ports: Option<&RangeInclusive<u16>>,
    ) -> Result<Self, DriverError> {
        if addresses.is_empty() {
            return Err(DriverError::NoInterfaces);
        }
        if let Some(r) = ports.filter(|r| r.is_empty()) {
            return Err(DriverError::EmptyPortRange(*r.start(), *r.end()));
        }
        let mut sockets = Vec::with_capacity(addresses.len());
        for &ip in addresses {
            if ip.is_unspecified() {
                return Err(DriverError::UnspecifiedAddress(ip));
            }
            let socket = bind_one(ip, ports, &sockets)?;
            let local = socket.local_addr().map_err(|source| DriverError::Bind {
                address: ip,
                source,
            })?;
            sockets.push((local, socket));
        }
        Ok(Self {
            sockets,
            next: 0,
            streams: Streams::default(),
        })
    }

    /// The bound addresses: our host candidates.
    pub(crate) fn local_addresses(&self) -> Vec<SocketAddr> {
        self.sockets.iter().map(|(a, _)| *a).collect()
    }

    /// Polls every socket once, starting after the last one that had a datagram. Receive
    /// errors (an ICMP error reported on the socket) are logged and skipped.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Received> {
        let n = self.sockets.len();
        for i in 0..n {
            let index = (self.next + i) % n;
            let (local, socket) = &self.sockets[index];
            loop {
                let mut read = ReadBuf::new(buf);
                match socket.poll_recv_from(cx, &mut read) {
                    Poll::Ready(Ok(remote)) => {
                        self.next = index + 1;
                        return Poll::Ready(Received {
                            len: read.filled().len(),
                            transport: Transport::Udp,
                            local: *local,
                            remote,
                        });
                    }
                    Poll::Ready(Err(e)) => {
                        tracing::debug!(%local, error = %e, "UDP receive error ignored");
                    }
                    Poll::Pending => break,
                }
            }
        }
        self.streams.poll_read(cx, buf).map(Received::from)
    }

    /// A datagram that is already waiting, without waiting for one.
    pub(crate) fn try_recv(&mut self, buf: &mut [u8]) -> Option<Received> {
        let n = self.sockets.len();
        for i in 0..n {
            let index = (self.next + i) % n;
            let (local, socket) = &self.sockets[index];
            loop {
                match socket.try_recv_from(buf) {
                    Ok((len, remote)) => {
                        self.next = index + 1;
                        return Some(Received {
                            len,
                            transport: Transport::Udp,
                            local: *local,
                            remote,
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => tracing::debug!(%local, error = %e, "UDP receive error ignored"),
                }
            }
        }
        self.streams.try_read(buf).map(Received::from)
    }

    /// Sends a transmit from the socket it names (or the first one of the destination's
    /// family), waiting while the socket's buffer is full.
    pub(crate) async fn send(&mut self, transmit: &Transmit) -> io::Result<()> {
        let destination = transmit.destination;
        if transmit.transport.is_stream() {
            return self
                .streams
                .send(transmit.transport, destination, transmit.bytes())
                .await;
        }
        let socket = self
            .sockets
            .iter()
            .find(|(a, _)| Some(*a) == transmit.source)
            .or_else(|| {
                self.sockets
                    .iter()
                    .find(|(a, _)| a.is_ipv4() == destination.is_ipv4())
            })
            .map(|(_, s)| s)
            .ok_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable))?;
        socket
            .send_to(transmit.bytes(), destination)
            .await
            .map(drop)
    }
}

/// One socket on `ip`: the first free port of the range, or one the OS picks. A port that
/// an earlier socket of this connection holds on another address is skipped, so each
/// candidate has its own port.
impl From<StreamRead> for Received {
    fn from(r: StreamRead) -> Self {
        Self {
            len: r.len,
            transport: r.transport,
            local: r.local,
            remote: r.server,
        }
    }
}

fn bind_one(
    ip: IpAddr,
    ports: Option<&RangeInclusive<u16>>,
    taken: &[(SocketAddr, UdpSocket)],
) -> Result<UdpSocket, DriverError> {
    let candidates: Box<dyn Iterator<Item = u16>> = match ports {
        Some(r) => Box::new(r.clone()),
        None => Box::new(std::iter::once(0)),
    };
    let mut last = io::Error::from(io::ErrorKind::AddrInUse);
    for port in candidates {
        if port != 0 && taken.iter().any(|(a, _)| a.port() == port) {
            continue;
        }
        match open(SocketAddr::new(ip, port)) {
            Ok(socket) => return Ok(socket),
            Err(e) => last = e,
        }
    }
    Err(DriverError::Bind {
        address: ip,
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
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let any: IpAddr = "0.0.0.0".parse().unwrap();
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
