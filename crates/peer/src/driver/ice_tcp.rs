//! The ICE-TCP connections of one peer connection (RFC 6544): a TCP listener per host
//! address (our passive candidate), the connections it accepts, and those our active
//! candidate opens to the peer's passive ones. Every datagram on them is an RFC 4571
//! frame ([`FrameDecoder`], [`encode_frame`]).
//!
//! Connections are named as the ICE agent names them (`rtcweb_ice::Agent::add_tcp_listener`):
//! an accepted one by the listener's address and the peer's, an opened one by the active
//! candidate's address (the listener's IP at port 9) and the peer's passive candidate. A
//! transmit from the active address to a peer with no connection opens one, without
//! waiting: it connects beside the task's other work (at most [`CONNECT_TIMEOUT`]) while
//! what is sent waits in the connection's bounded queue. Nothing ever blocks the task: a
//! write the socket does not take at once waits in that queue, and a datagram that does
//! not fit is dropped whole (as a full UDP socket buffer drops one), never a part of a
//! frame. A connection that closes, fails or cannot be opened is reported
//! ([`IceTcp::take_closed`]) for the agent to fail its pairs at once.
//!
//! Server-reflexive passive candidates (RFC 6544 §4.1) need the NAT's mapping of the
//! listener's own address and port, so the agent's Binding request to a STUN server
//! (`Agent::add_tcp_listener` says how it is told apart: from a listener, to a configured
//! `stun:` server, [`IceTcp::add_stun_servers`]) goes on a connection *from the listener's
//! address*: every listener sets `SO_REUSEPORT`, and so does that connection's socket,
//! which Linux requires of both before it lets them share the address. The connection is
//! one more in the table: opened without waiting, its bytes written as they are (STUN over
//! TCP needs no RFC 4571 frame: the header's length delimits a message, RFC 8489 §6.2.2;
//! cut with [`StreamFramer`]), each message read handed over as a datagram from the server
//! to the listener; closed once it delivered one, or after [`STUN_TIMEOUT`] (Ti) without.
//!
//! Anyone may connect to a passive candidate, so an accepted connection must earn its
//! place: until it carries an authenticated ICE check (the task asks the agent,
//! `Peer::tcp_connection_checked`, and says so with [`IceTcp::checked`]) it is closed after
//! [`UNCHECKED_TIMEOUT`], and when a connection arrives with the table full, the oldest
//! such one makes room. Sixteen idle connections thus hold the table for five seconds at
//! most, and never against a newcomer.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use rtcweb_common::{FrameDecoder, MIN_DECODER_LIMIT, Transport, encode_frame};
use rtcweb_turn::{Frame, StreamFramer};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::{Instant, Sleep};

use super::DriverError;
use super::sockets::Received;

/// How long opening a connection to a peer's passive candidate may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Most ICE-TCP connections at once, accepted and opened together: past it an accepted
/// connection is closed at once and no new one is opened.
pub(crate) const MAX_CONNECTIONS: usize = 16;
/// Most framed bytes waiting to be written on one connection.
const MAX_QUEUED: usize = 1 << 20;
/// Pending connections a listener's OS queue holds.
const BACKLOG: i32 = 16;
/// The port active candidates are signalled with, and their base's (RFC 6544 §4.5).
const ACTIVE_PORT: u16 = 9;
/// Most closed connections remembered until the task reports them.
const MAX_CLOSED: usize = 2 * MAX_CONNECTIONS;
/// How long an accepted connection may stay without carrying an authenticated ICE check
/// before it is closed. A peer's active candidate sends its check as soon as it has
/// connected (RFC 6544 §7.1), so one round trip is enough.
pub(crate) const UNCHECKED_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a connection to a STUN server may wait for its response: Ti (RFC 8489
/// §6.2.2), as long as the agent's transaction waits.
pub(crate) const STUN_TIMEOUT: Duration = Duration::from_millis(39_500);
/// Most STUN servers a listener asks over TCP (the agent bounds its requests too).
const MAX_STUN_SERVERS: usize = 16;
/// Most bytes of a STUN server's stream held uncut: one whole message of the largest size.
const STUN_STREAM_LIMIT: usize = 20 + 65_535;

/// How datagrams are cut from a connection's stream.
#[derive(Debug)]
enum Framing {
    /// ICE-TCP: RFC 4571 frames.
    Rfc4571(FrameDecoder),
    /// A STUN server's stream: whole STUN messages (RFC 8489 §6.2.2). `delivered` once
    /// one was handed over: the connection has served its purpose.
    Stun {
        framer: StreamFramer,
        delivered: bool,
    },
}

#[derive(Debug)]
enum State {
    /// The connect runs as a task of its own (ended by [`CONNECT_TIMEOUT`], or aborted
    /// when the connection is dropped), so that the connection's task never waits on it.
    Connecting(tokio::task::JoinHandle<io::Result<TcpStream>>),
    Open(TcpStream),
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let State::Connecting(connect) = &self.state {
            connect.abort();
        }
    }
}

#[derive(Debug)]
struct Connection {
    /// Our end as the agent names it: a listener, or an active candidate's address.
    local: SocketAddr,
    remote: SocketAddr,
    state: State,
    framing: Framing,
    /// Framed bytes not yet written; `written` of them are.
    out: Vec<u8>,
    written: usize,
    /// An accepted connection that has not carried an authenticated check yet, or a
    /// connection to a STUN server: when it is closed for it.
    unchecked_until: Option<Instant>,
}

impl Connection {
    fn new(local: SocketAddr, remote: SocketAddr, state: State) -> Self {
        Self {
            local,
            remote,
            state,
            framing: Framing::Rfc4571(FrameDecoder::new(MIN_DECODER_LIMIT)),
            out: Vec::new(),
            written: 0,
            unchecked_until: None,
        }
    }

    fn queued(&self) -> usize {
        self.out.len() - self.written
    }

    /// Writes what the socket takes now. `Err` when the connection is broken.
    fn write_some(&mut self) -> io::Result<()> {
        let State::Open(stream) = &self.state else {
            return Ok(());
        };
        while self.written < self.out.len() {
            match stream.try_write(&self.out[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if self.written == self.out.len() {
            self.out.clear();
            self.written = 0;
        }
        Ok(())
    }

    /// A connection to a STUN server whose response was handed over.
    fn is_spent(&self) -> bool {
        matches!(
            self.framing,
            Framing::Stun {
                delivered: true,
                ..
            }
        )
    }

    /// How many more stream bytes the framing takes now.
    fn room(&self) -> usize {
        match &self.framing {
            Framing::Rfc4571(decoder) => decoder.room(),
            Framing::Stun { .. } => STUN_STREAM_LIMIT,
        }
    }

    /// Stream bytes read. `Err` when they overflow the framing's limit.
    fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        let pushed = match &mut self.framing {
            Framing::Rfc4571(decoder) => decoder.push(bytes).is_ok(),
            Framing::Stun { framer, .. } => framer.push(bytes).is_ok(),
        };
        if pushed {
            Ok(())
        } else {
            Err(io::ErrorKind::InvalidData.into())
        }
    }

    /// The next datagram decoded, copied into `buf`. A STUN server's stream that is not
    /// STUN yields nothing (the connection closes at its deadline).
    fn frame_into(&mut self, buf: &mut [u8]) -> Option<Received> {
        let frame = match &mut self.framing {
            Framing::Rfc4571(decoder) => decoder.next_frame()?,
            Framing::Stun {
                delivered: true, ..
            } => return None,
            Framing::Stun { framer, delivered } => match framer.next_frame() {
                Ok(Some(Frame::Stun(message))) => {
                    *delivered = true;
                    message
                }
                _ => return None,
            },
        };
        let len = frame.len().min(buf.len());
        buf[..len].copy_from_slice(&frame[..len]);
        Some(Received {
            len,
            stride: len,
            transport: Transport::Tcp,
            local: self.local,
            remote: self.remote,
        })
    }
}

/// Counters of the ICE-TCP connections.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TcpCounts {
    pub(crate) accepted: u64,
    pub(crate) opened: u64,
    /// Accepted ones closed at once, and ones not opened, for the limit; failed connects.
    pub(crate) refused: u64,
    /// Accepted ones closed because no authenticated check came on them in time, or to make
    /// room for a newer one.
    pub(crate) evicted: u64,
    /// Datagrams dropped: no connection to send them on, or its queue full.
    pub(crate) dropped: u64,
}

#[derive(Debug)]
struct Listener {
    local: SocketAddr,
    listener: TcpListener,
}

/// One peer connection's ICE-TCP listeners and connections.
#[derive(Debug)]
pub(crate) struct IceTcp {
    listeners: Vec<Listener>,
    connections: Vec<Connection>,
    /// Connections that closed, to report to the agent.
    closed: Vec<(SocketAddr, SocketAddr)>,
    /// Where the next read starts, so that a busy connection does not starve the others.
    next: usize,
    counts: TcpCounts,
    /// How long an accepted connection may wait for its first check.
    unchecked_timeout: Duration,
    /// Wakes the task at the earliest such deadline.
    expiry: Option<Pin<Box<Sleep>>>,
    /// The `stun:` servers: a transmit from a listener to one of them is a Binding
    /// request for a server-reflexive candidate.
    stun_servers: Vec<SocketAddr>,
}

impl IceTcp {
    /// No listeners yet; accepted connections wait `unchecked_timeout` for a check.
    fn new(unchecked_timeout: Duration) -> Self {
        Self {
            listeners: Vec::new(),
            connections: Vec::new(),
            closed: Vec::new(),
            next: 0,
            counts: TcpCounts::default(),
            unchecked_timeout,
            expiry: None,
            stun_servers: Vec::new(),
        }
    }

    /// `stun:` servers of the configuration (those of a later configuration are added:
    /// the agent asks them from its next restart; at most [`MAX_STUN_SERVERS`] in all):
    /// what a listener sends to one of them goes on a connection of its own from the
    /// listener's address, not on an ICE-TCP one.
    pub(crate) fn add_stun_servers(&mut self, servers: impl IntoIterator<Item = SocketAddr>) {
        for server in servers {
            if self.stun_servers.len() < MAX_STUN_SERVERS && !self.stun_servers.contains(&server) {
                self.stun_servers.push(server);
            }
        }
    }

    /// A listener on each address's IP (its port ignored), in the port range (port 9 and
    /// the ports in `taken` skipped) or on a port the OS picks.
    pub(crate) fn bind(
        addresses: &[SocketAddr],
        ports: Option<&RangeInclusive<u16>>,
    ) -> Result<Self, DriverError> {
        let mut tcp = Self::new(UNCHECKED_TIMEOUT);
        for &address in addresses {
            tcp.add(address, ports)?;
        }
        Ok(tcp)
    }

    /// One more listener, on `address`'s IP; its address.
    pub(crate) fn add(
        &mut self,
        address: SocketAddr,
        ports: Option<&RangeInclusive<u16>>,
    ) -> Result<SocketAddr, DriverError> {
        let bind_error = |source| DriverError::Bind {
            address: address.ip(),
            source,
        };
        let candidates: Box<dyn Iterator<Item = u16>> = match ports {
            Some(r) => Box::new(r.clone()),
            None => Box::new(std::iter::once(0)),
        };
        let mut last = io::Error::from(io::ErrorKind::AddrInUse);
        for port in candidates.filter(|&p| p != ACTIVE_PORT) {
            let mut at = address;
            at.set_port(port);
            match listen(at) {
                Ok(listener) => {
                    let local = listener.local_addr().map_err(bind_error)?;
                    self.listeners.push(Listener { local, listener });
                    return Ok(local);
                }
                Err(e) => last = e,
            }
        }
        Err(bind_error(last))
    }

    /// Closes the listener on `ip` and its connections (the address went away); the
    /// listener's address.
    pub(crate) fn remove(&mut self, ip: std::net::IpAddr) -> Option<SocketAddr> {
        let i = self.listeners.iter().position(|l| l.local.ip() == ip)?;
        let local = self.listeners.remove(i).local;
        self.connections.retain(|c| c.local.ip() != ip);
        self.next = 0;
        Some(local)
    }

    /// The listeners' addresses: our passive candidates.
    pub(crate) fn listeners(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|l| l.local).collect()
    }

    /// Whether a TCP transmit from `source` is ICE-TCP: from a listener or an active
    /// candidate's address (else it goes to a TURN server).
    pub(crate) fn owns(&self, source: Option<SocketAddr>) -> bool {
        source.is_some_and(|s| {
            self.listeners
                .iter()
                .any(|l| l.local == s || active(l.local) == s)
        })
    }

    pub(crate) fn counts(&self) -> TcpCounts {
        self.counts
    }

    /// Frames `datagram` onto the connection between `source` and `destination`, opening
    /// it first from an active candidate's address; writes what the socket takes now. A
    /// datagram that cannot go (no connection for a passive candidate, the limit, a full
    /// queue) is dropped, counted and reported as an error.
    pub(crate) fn send(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        datagram: &[u8],
    ) -> io::Result<()> {
        let index = match self
            .connections
            .iter()
            .position(|c| c.local == source && c.remote == destination)
        {
            Some(i) => i,
            None if source.port() == ACTIVE_PORT => self.open(source, destination)?,
            None if self.stun_servers.contains(&destination)
                && self.listeners.iter().any(|l| l.local == source) =>
            {
                self.open_to_stun(source, destination)?
            }
            None => {
                // RFC 6544: a passive candidate only answers on connections made to it.
                self.counts.dropped += 1;
                return Err(io::ErrorKind::NotConnected.into());
            }
        };
        let c = &mut self.connections[index];
        if c.queued() + datagram.len() + 2 > MAX_QUEUED {
            self.counts.dropped += 1;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        match c.framing {
            Framing::Rfc4571(_) => {
                if encode_frame(datagram, &mut c.out).is_err() {
                    self.counts.dropped += 1;
                    return Err(io::ErrorKind::InvalidInput.into());
                }
            }
            // RFC 8489 §6.2.2: STUN over TCP as it is.
            Framing::Stun { .. } => c.out.extend_from_slice(datagram),
        }
        if let Err(e) = c.write_some() {
            self.close(index);
            return Err(e);
        }
        Ok(())
    }

    /// Starts a connection from the active address `source` to `destination`, from an
    /// ephemeral port of its IP; its index.
    fn open(&mut self, source: SocketAddr, destination: SocketAddr) -> io::Result<usize> {
        let mut from = source;
        from.set_port(0);
        self.connect(source, from, destination)
    }

    /// Starts the connection that carries a Binding request from listener `source` to
    /// the STUN server `destination`, from the listener's own address and port (both
    /// sockets set `SO_REUSEPORT`); its index. It is closed once it delivered a message,
    /// or after [`STUN_TIMEOUT`].
    fn open_to_stun(&mut self, source: SocketAddr, destination: SocketAddr) -> io::Result<usize> {
        let index = self.connect(source, source, destination)?;
        let c = &mut self.connections[index];
        c.framing = Framing::Stun {
            framer: StreamFramer::new(STUN_STREAM_LIMIT),
            delivered: false,
        };
        c.unchecked_until = Some(Instant::now() + STUN_TIMEOUT);
        Ok(index)
    }

    /// Starts a connection named (`local`, `destination`) from the socket address `from`
    /// (port 0: one the OS picks); its index.
    fn connect(
        &mut self,
        local: SocketAddr,
        from: SocketAddr,
        destination: SocketAddr,
    ) -> io::Result<usize> {
        if self.connections.len() >= MAX_CONNECTIONS || local.is_ipv4() != destination.is_ipv4() {
            self.counts.refused += 1;
            self.counts.dropped += 1;
            self.note_closed(local, destination);
            return Err(io::Error::other("no ICE-TCP connection opened"));
        }
        let connecting = tokio::spawn(async move {
            let socket = match from {
                SocketAddr::V4(_) => TcpSocket::new_v4()?,
                SocketAddr::V6(_) => TcpSocket::new_v6()?,
            };
            if from.port() != 0 {
                // The listener's own port: Linux shares it only when both set this.
                socket.set_reuseport(true)?;
            }
            socket.bind(from)?;
            match tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(destination)).await {
                Ok(connected) => connected,
                Err(_) => Err(io::ErrorKind::TimedOut.into()),
            }
        });
        self.connections.push(Connection::new(
            local,
            destination,
            State::Connecting(connecting),
        ));
        Ok(self.connections.len() - 1)
    }

    /// Closes the connections to STUN servers that delivered their response (after it
    /// was handed over); whether there were any.
    fn close_spent(&mut self) -> bool {
        let mut closed = false;
        let mut i = 0;
        while i < self.connections.len() {
            if self.connections[i].is_spent() {
                self.close(i);
                closed = true;
            } else {
                i += 1;
            }
        }
        closed
    }

    fn note_closed(&mut self, local: SocketAddr, remote: SocketAddr) {
        if self.closed.len() < MAX_CLOSED && !self.closed.contains(&(local, remote)) {
            self.closed.push((local, remote));
        }
    }

    fn close(&mut self, index: usize) {
        let c = self.connections.remove(index);
        tracing::debug!(local = %c.local, remote = %c.remote, "ICE-TCP connection closed");
        self.note_closed(c.local, c.remote);
        self.next = 0;
    }

    /// A connection that closed, or could not be opened, since the last call.
    pub(crate) fn take_closed(&mut self) -> Option<(SocketAddr, SocketAddr)> {
        self.closed.pop()
    }

    /// Whether the accepted connection between `local` and `remote` still waits for its
    /// first authenticated check.
    pub(crate) fn awaits_check(&self, local: SocketAddr, remote: SocketAddr) -> bool {
        self.connections
            .iter()
            .any(|c| c.local == local && c.remote == remote && c.unchecked_until.is_some())
    }

    /// The connection between `local` and `remote` carried an authenticated check: it
    /// stays, whatever comes after.
    pub(crate) fn checked(&mut self, local: SocketAddr, remote: SocketAddr) {
        for c in &mut self.connections {
            if c.local == local && c.remote == remote {
                c.unchecked_until = None;
            }
        }
    }

    /// Whether connections are being opened, have bytes waiting to be written, or wait
    /// for their first check (their deadline is driven with the writes).
    pub(crate) fn has_pending_writes(&self) -> bool {
        self.connections.iter().any(|c| {
            matches!(c.state, State::Connecting(_)) || c.queued() > 0 || c.unchecked_until.is_some()
        })
    }

    /// Closes the accepted connections whose wait for a check is over, and arms the timer
    /// for the next deadline; whether it closed any.
    fn expire_unchecked(&mut self, cx: &mut Context<'_>) -> bool {
        let mut expired = false;
        loop {
            let now = Instant::now();
            let mut i = 0;
            while i < self.connections.len() {
                if self.connections[i]
                    .unchecked_until
                    .is_some_and(|deadline| deadline <= now)
                {
                    self.counts.evicted += 1;
                    self.close(i);
                    expired = true;
                } else {
                    i += 1;
                }
            }
            let Some(next) = self
                .connections
                .iter()
                .filter_map(|c| c.unchecked_until)
                .min()
            else {
                self.expiry = None;
                return expired;
            };
            let sleep = self
                .expiry
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(next)));
            if sleep.deadline() != next {
                sleep.as_mut().reset(next);
            }
            // Pending registers the task's waker for the deadline; ready means it passed
            // meanwhile: close again.
            if sleep.as_mut().poll(cx).is_pending() {
                return expired;
            }
        }
    }

    /// Closes the oldest accepted connection still waiting for its first check (or a
    /// connection to a STUN server), to make room for a new one; whether there was one.
    fn evict_oldest_unchecked(&mut self) -> bool {
        let oldest = self
            .connections
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.unchecked_until.map(|deadline| (deadline, i)))
            .min();
        match oldest {
            Some((_, i)) => {
                self.counts.evicted += 1;
                self.close(i);
                true
            }
            None => false,
        }
    }

    /// Drives connections being opened, queued writes and the deadlines of accepted
    /// connections waiting for their first check. Ready when one opened, closed or failed
    /// (the task then reports and flushes); pending otherwise.
    pub(crate) fn poll_writes(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut progressed = self.close_spent();
        progressed |= self.expire_unchecked(cx);
        let mut i = 0;
        while i < self.connections.len() {
            let c = &mut self.connections[i];
            let queued = c.queued();
            let result = match &mut c.state {
                State::Connecting(connecting) => match Pin::new(connecting).poll(cx) {
                    Poll::Pending => Ok(()),
                    Poll::Ready(Ok(Ok(stream))) => {
                        let _ = stream.set_nodelay(true);
                        tracing::debug!(local = %c.local, remote = %c.remote, "ICE-TCP connection opened");
                        c.state = State::Open(stream);
                        self.counts.opened += 1;
                        progressed = true;
                        c.write_some()
                    }
                    Poll::Ready(Ok(Err(e))) => {
                        self.counts.refused += 1;
                        Err(e)
                    }
                    Poll::Ready(Err(e)) => {
                        self.counts.refused += 1;
                        Err(io::Error::other(e))
                    }
                },
                State::Open(stream) if queued > 0 => match stream.poll_write_ready(cx) {
                    Poll::Ready(Ok(())) => c.write_some(),
                    Poll::Ready(Err(e)) => Err(e),
                    Poll::Pending => Ok(()),
                },
                State::Open(_) => Ok(()),
            };
            match result {
                Ok(()) => i += 1,
                Err(e) => {
                    tracing::debug!(error = %e, "ICE-TCP connection failed");
                    self.close(i);
                    progressed = true;
                }
            }
        }
        if progressed {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The next datagram: one already decoded, else from a connection a listener accepts
    /// or one with bytes to read. With the table full, a new connection takes the place of
    /// the oldest one still waiting for its first check, or is closed as accepted when
    /// there is none.
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Received> {
        if let Some(received) = self.decoded(buf) {
            return Poll::Ready(received);
        }
        for l in 0..self.listeners.len() {
            let local = self.listeners[l].local;
            while let Poll::Ready(accepted) = self.listeners[l].listener.poll_accept(cx) {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::debug!(%local, error = %e, "ICE-TCP accept failed");
                        break;
                    }
                };
                if self.connections.len() >= MAX_CONNECTIONS && !self.evict_oldest_unchecked() {
                    self.counts.refused += 1;
                    continue;
                }
                let _ = stream.set_nodelay(true);
                let peer = super::sockets::without_own_zone(peer, local);
                tracing::debug!(%local, %peer, "ICE-TCP connection accepted");
                self.counts.accepted += 1;
                let mut c = Connection::new(local, peer, State::Open(stream));
                c.unchecked_until = Some(Instant::now() + self.unchecked_timeout);
                self.connections.push(c);
            }
        }
        let mut i = 0;
        while i < self.connections.len() {
            let index = (self.next + i) % self.connections.len();
            let c = &mut self.connections[index];
            let State::Open(stream) = &c.state else {
                i += 1;
                continue;
            };
            match stream.poll_read_ready(cx) {
                Poll::Pending => i += 1,
                Poll::Ready(Err(_)) => self.close(index),
                Poll::Ready(Ok(())) => match read_into(c, buf) {
                    Ok(Some(received)) => {
                        self.next = index + 1;
                        return Poll::Ready(received);
                    }
                    // Part of a frame, or stale readiness (cleared): polled again.
                    Ok(None) => {}
                    Err(_) => self.close(index),
                },
            }
        }
        Poll::Pending
    }

    /// What is readable now, without waiting.
    pub(crate) fn try_read(&mut self, buf: &mut [u8]) -> Option<Received> {
        if let Some(received) = self.decoded(buf) {
            return Some(received);
        }
        let mut index = 0;
        while index < self.connections.len() {
            if !matches!(self.connections[index].state, State::Open(_)) {
                index += 1;
                continue;
            }
            match read_into(&mut self.connections[index], buf) {
                Ok(Some(received)) => return Some(received),
                Ok(None) => index += 1,
                Err(_) => self.close(index),
            }
        }
        None
    }

    fn decoded(&mut self, buf: &mut [u8]) -> Option<Received> {
        self.connections.iter_mut().find_map(|c| c.frame_into(buf))
    }
}

/// Reads what the connection has (at most what its decoder takes) and hands out the first
/// datagram complete, copied into `buf`. `Ok(None)`: nothing to read or no frame complete
/// yet; `Err` when the peer closed the connection or it broke.
fn read_into(c: &mut Connection, buf: &mut [u8]) -> io::Result<Option<Received>> {
    loop {
        let room = c.room().min(buf.len());
        let read = match &c.state {
            State::Open(stream) => stream.try_read(&mut buf[..room]),
            State::Connecting(_) => return Ok(None),
        };
        match read {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                c.push(&buf[..n])?;
                if let Some(received) = c.frame_into(buf) {
                    return Ok(Some(received));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The active candidate's address on a listener's IP.
fn active(listener: SocketAddr) -> SocketAddr {
    let mut a = listener;
    a.set_port(ACTIVE_PORT);
    a
}

fn listen(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    if address.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // The connection to a STUN server binds the listener's address too (RFC 6544 §4.1:
    // the server-reflexive candidate is the mapping of that address); Linux lets it only
    // when both sockets set SO_REUSEPORT.
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    TcpListener::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `f` until it is ready (each poll registers the task's waker).
    async fn ready<T>(mut f: impl FnMut(&mut Context<'_>) -> Poll<T>) -> T {
        std::future::poll_fn(|cx| f(cx)).await
    }

    #[tokio::test]
    async fn datagrams_cross_an_opened_connection_framed_both_ways() {
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut a = IceTcp::bind(&[lo], None).unwrap();
        let mut b = IceTcp::bind(&[lo], None).unwrap();
        let b_listener = b.listeners()[0];
        let a_active = active(a.listeners()[0]);
        assert!(a.owns(Some(a_active)) && a.owns(Some(a.listeners()[0])));
        assert!(!a.owns(Some(b_listener)) && !a.owns(None));
        // A passive candidate has no connection to send on.
        assert!(a.send(a.listeners()[0], b_listener, b"x").is_err());
        // From the active address: the connection opens, what was sent waits for it.
        a.send(a_active, b_listener, b"\x00\x01first").unwrap();
        a.send(a_active, b_listener, &[0x17; 3000]).unwrap();
        ready(|cx| a.poll_writes(cx)).await;
        assert_eq!(a.counts().opened, 1);
        let mut buf = vec![0; 65_536];
        let got = ready(|cx| b.poll_read(cx, &mut buf)).await;
        assert_eq!(&buf[..got.len], b"\x00\x01first");
        assert_eq!((got.local, got.transport), (b_listener, Transport::Tcp));
        let peer = got.remote;
        assert_eq!(peer.ip(), a_active.ip());
        // The second frame, whole, however the stream was cut.
        let got = ready(|cx| b.poll_read(cx, &mut buf)).await;
        assert_eq!(&buf[..got.len], &[0x17; 3000][..]);
        // B answers on the accepted connection; A reads it as from B's listener, to its
        // active address.
        b.send(b_listener, peer, b"\x01\x01answer").unwrap();
        let got = ready(|cx| a.poll_read(cx, &mut buf)).await;
        assert_eq!(&buf[..got.len], b"\x01\x01answer");
        assert_eq!((got.local, got.remote), (a_active, b_listener));
        // B closes: A sees the end and reports the connection.
        drop(b);
        let closed = ready(|cx| match a.poll_read(cx, &mut buf) {
            Poll::Ready(_) => Poll::Ready(None),
            Poll::Pending => a
                .take_closed()
                .map_or(Poll::Pending, |c| Poll::Ready(Some(c))),
        });
        let closed = tokio::time::timeout(Duration::from_secs(2), closed).await;
        assert_eq!(closed, Ok(Some((a_active, b_listener))));
    }

    /// Polls `f` once (registering the task's waker): its result, if ready.
    async fn once<T>(mut f: impl FnMut(&mut Context<'_>) -> Poll<T>) -> Option<T> {
        std::future::poll_fn(|cx| {
            Poll::Ready(match f(cx) {
                Poll::Ready(t) => Some(t),
                Poll::Pending => None,
            })
        })
        .await
    }

    /// Accepts what the listener has waiting until `accepted` connections were taken.
    async fn accept_until(tcp: &mut IceTcp, accepted: u64) {
        let mut buf = vec![0; 2048];
        let deadline = Instant::now() + Duration::from_secs(5);
        while tcp.counts().accepted + tcp.counts().refused < accepted {
            assert!(Instant::now() < deadline, "connections not accepted");
            let _ = once(|cx| tcp.poll_read(cx, &mut buf)).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Whether the peer closed `stream` (a read gives end of file or a reset).
    fn closed_by_peer(stream: &mut std::net::TcpStream) -> bool {
        use std::io::Read;
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        matches!(stream.read(&mut [0; 16]), Ok(0) | Err(_))
    }

    #[tokio::test]
    async fn idle_accepted_connections_are_evicted_and_make_room() {
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut tcp = IceTcp::bind(&[lo], None).unwrap();
        tcp.unchecked_timeout = Duration::from_millis(400);
        let listener = tcp.listeners()[0];
        // Someone fills the table with idle connections.
        let mut idle: Vec<std::net::TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| std::net::TcpStream::connect(listener).unwrap())
            .collect();
        accept_until(&mut tcp, MAX_CONNECTIONS as u64).await;
        assert_eq!(tcp.connections.len(), MAX_CONNECTIONS);
        assert!(tcp.has_pending_writes(), "their deadlines are driven");
        // The first one carried an authenticated check (the task learnt it from the agent).
        let checked = idle[0].local_addr().unwrap();
        assert!(tcp.awaits_check(listener, checked));
        tcp.checked(listener, checked);
        assert!(!tcp.awaits_check(listener, checked));
        // A newcomer with the table full takes the place of the oldest unchecked one.
        let _newcomer = std::net::TcpStream::connect(listener).unwrap();
        accept_until(&mut tcp, MAX_CONNECTIONS as u64 + 1).await;
        let counts = tcp.counts();
        assert_eq!(
            (counts.accepted, counts.evicted, counts.refused),
            (17, 1, 0)
        );
        assert_eq!(tcp.connections.len(), MAX_CONNECTIONS);
        assert!(
            closed_by_peer(&mut idle[1]),
            "the oldest unchecked one is closed"
        );
        let evicted = idle[1].local_addr().unwrap();
        assert_eq!(tcp.take_closed(), Some((listener, evicted)));
        // The rest get no check in time: the deadline wakes the task and they go; the
        // checked one stays.
        // (The newcomer's deadline comes a little after the others'.)
        let started = Instant::now();
        while tcp.connections.len() > 1 {
            let woken =
                tokio::time::timeout(Duration::from_secs(2), ready(|cx| tcp.poll_writes(cx)));
            woken.await.expect("the deadline wakes the task");
        }
        let waited = started.elapsed();
        assert!(waited < Duration::from_millis(1500), "{waited:?}");
        assert_eq!(tcp.counts().evicted, MAX_CONNECTIONS as u64);
        assert_eq!(tcp.connections.len(), 1);
        assert_eq!(tcp.connections[0].remote, checked);
        assert!(!tcp.has_pending_writes());
        assert!(closed_by_peer(&mut idle[2]));
        let mut reported = 0;
        while tcp.take_closed().is_some() {
            reported += 1;
        }
        assert_eq!(
            reported,
            MAX_CONNECTIONS - 1,
            "every closed one is reported"
        );
        // With the table full of checked connections a newcomer is refused.
        let more: Vec<std::net::TcpStream> = (1..MAX_CONNECTIONS)
            .map(|_| std::net::TcpStream::connect(listener).unwrap())
            .collect();
        accept_until(&mut tcp, 17 + MAX_CONNECTIONS as u64 - 1).await;
        for s in &more {
            tcp.checked(listener, s.local_addr().unwrap());
        }
        let mut refused = std::net::TcpStream::connect(listener).unwrap();
        accept_until(&mut tcp, 17 + MAX_CONNECTIONS as u64).await;
        assert_eq!(tcp.counts().refused, 1);
        assert_eq!(tcp.counts().evicted, MAX_CONNECTIONS as u64);
        assert!(closed_by_peer(&mut refused));
        assert!(!tcp.has_pending_writes());
    }

    #[tokio::test]
    async fn a_stun_request_goes_from_the_listeners_own_port_and_its_response_comes_back() {
        use std::io::{Read, Write};
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut tcp = IceTcp::bind(&[lo], None).unwrap();
        let listener = tcp.listeners()[0];
        let server = std::net::TcpListener::bind(lo).unwrap();
        let stun = server.local_addr().unwrap();
        // Not a configured STUN server: a passive candidate has nothing to send on.
        assert!(tcp.send(listener, stun, b"x").is_err());
        tcp.add_stun_servers([stun]);
        let request = [
            0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        ];
        tcp.send(listener, stun, &request).unwrap();
        ready(|cx| tcp.poll_writes(cx)).await;
        let (mut conn, from) = server.accept().unwrap();
        println!("the STUN server sees the request from {from}; the listener is {listener}");
        assert_eq!(from, listener, "from the listener's own address and port");
        let mut got = [0u8; 20];
        conn.read_exact(&mut got).unwrap();
        assert_eq!(got, request, "as it is, no RFC 4571 frame");
        // The listener still accepts ICE-TCP connections beside it.
        let _peer = std::net::TcpStream::connect(listener).unwrap();
        // A response with one 4-byte attribute, written in two pieces.
        let mut response = vec![0x01, 0x01, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42];
        response.extend_from_slice(&[7; 12]);
        response.extend_from_slice(&[0x80, 0x22, 0x00, 0x00]);
        conn.write_all(&response[..9]).unwrap();
        conn.flush().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        conn.write_all(&response[9..]).unwrap();
        let mut buf = vec![0; 2048];
        let received = tokio::time::timeout(
            Duration::from_secs(2),
            ready(|cx| tcp.poll_read(cx, &mut buf)),
        )
        .await
        .unwrap();
        assert_eq!(&buf[..received.len], &response[..]);
        assert_eq!(
            (received.transport, received.local, received.remote),
            (Transport::Tcp, listener, stun)
        );
        assert_eq!(tcp.counts().accepted, 1);
        // Spent: closed at the next drive, and reported for the agent.
        ready(|cx| tcp.poll_writes(cx)).await;
        assert_eq!(tcp.take_closed(), Some((listener, stun)));
        assert!(closed_by_peer(&mut conn));
    }

    #[tokio::test]
    async fn a_refused_connection_is_reported() {
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut a = IceTcp::bind(&[lo], None).unwrap();
        // A loopback port with nobody listening.
        let nobody = std::net::TcpListener::bind(lo)
            .and_then(|l| l.local_addr())
            .unwrap();
        let a_active = active(a.listeners()[0]);
        a.send(a_active, nobody, b"check").unwrap();
        ready(|cx| a.poll_writes(cx)).await;
        assert_eq!(a.take_closed(), Some((a_active, nobody)));
        assert_eq!(a.counts().refused, 1);
        assert!(!a.has_pending_writes());
    }
}
