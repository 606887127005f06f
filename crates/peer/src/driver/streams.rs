//! TCP connections to TURN servers (TURN over TCP, and over TLS: the ICE agent's TURN
//! client runs TLS itself, so the driver carries its bytes on a plain TCP stream,
//! RFC 8656 §3.1). One connection per server and transport, opened when the agent first
//! writes to it; what the server sends is handed to the core as stream bytes.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use rtcweb_common::Transport;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How long connecting to a TURN server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Most TURN connections (one per configured TCP or TLS server).
const MAX_STREAMS: usize = 16;
/// After a failed connection attempt, what is sent to that server is dropped at once for
/// this long, rather than making the connection's task wait on every attempt.
const RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Stream {
    transport: Transport,
    server: SocketAddr,
    local: SocketAddr,
    stream: TcpStream,
}

/// Bytes read from one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamRead {
    pub(crate) len: usize,
    pub(crate) transport: Transport,
    pub(crate) local: SocketAddr,
    pub(crate) server: SocketAddr,
}

/// The connections to TURN servers.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    streams: Vec<Stream>,
    next: usize,
    /// Servers whose connection failed, and when (at most `MAX_STREAMS`).
    failed: Vec<(Transport, SocketAddr, tokio::time::Instant)>,
}

impl Streams {
    /// Writes `bytes` on the connection to `server` over `transport`, connecting first
    /// when there is none.
    pub(crate) async fn send(
        &mut self,
        transport: Transport,
        server: SocketAddr,
        bytes: &[u8],
    ) -> io::Result<()> {
        let index = match self
            .streams
            .iter()
            .position(|s| s.transport == transport && s.server == server)
        {
            Some(i) => i,
            None => {
                if self.streams.len() >= MAX_STREAMS {
                    return Err(io::Error::other("too many TURN connections"));
                }
                let now = tokio::time::Instant::now();
                self.failed.retain(|(_, _, at)| now - *at < RETRY_AFTER);
                if self
                    .failed
                    .iter()
                    .any(|(t, s, _)| *t == transport && *s == server)
                {
                    return Err(io::Error::from(io::ErrorKind::ConnectionRefused));
                }
                let connected =
                    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(server)).await {
                        Ok(result) => result,
                        Err(_) => Err(io::Error::from(io::ErrorKind::TimedOut)),
                    };
                let stream = match connected {
                    Ok(stream) => stream,
                    Err(e) => {
                        if self.failed.len() < MAX_STREAMS {
                            self.failed.push((transport, server, now));
                        }
                        return Err(e);
                    }
                };
                stream.set_nodelay(true)?;
                let local = stream.local_addr()?;
                self.streams.push(Stream {
                    transport,
                    server,
                    local,
                    stream,
                });
                self.streams.len() - 1
            }
        };
        let result = self.streams[index].stream.write_all(bytes).await;
        if result.is_err() {
            // A broken connection is forgotten; the TURN client notices its silence.
            self.streams.remove(index);
        }
        result
    }

    /// Reads what a connection has, in turn; a connection the server closed is dropped.
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<StreamRead> {
        let mut i = 0;
        while i < self.streams.len() {
            let index = (self.next + i) % self.streams.len();
            let s = &self.streams[index];
            match s.stream.poll_read_ready(cx) {
                Poll::Pending => i += 1,
                Poll::Ready(Err(_)) => self.drop_stream(index),
                Poll::Ready(Ok(())) => match s.stream.try_read(buf) {
                    Ok(0) => self.drop_stream(index),
                    Ok(len) => {
                        self.next = index + 1;
                        return Poll::Ready(StreamRead {
                            len,
                            transport: s.transport,
                            local: s.local,
                            server: s.server,
                        });
                    }
                    // Readiness was stale and is cleared: polled again, which registers
                    // the waker.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => self.drop_stream(index),
                },
            }
        }
        Poll::Pending
    }

    fn drop_stream(&mut self, index: usize) {
        let s = self.streams.remove(index);
        tracing::debug!(server = %s.server, "TURN connection closed");
    }

    /// What a connection has now, without waiting.
    pub(crate) fn try_read(&mut self, buf: &mut [u8]) -> Option<StreamRead> {
        (0..self.streams.len()).find_map(|i| self.try_read_at(i, buf))
    }

    fn try_read_at(&mut self, index: usize, buf: &mut [u8]) -> Option<StreamRead> {
        let s = self.streams.get(index)?;
        match s.stream.try_read(buf) {
            Ok(len) if len > 0 => Some(StreamRead {
                len,
                transport: s.transport,
                local: s.local,
                server: s.server,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_refused_is_not_retried_at_once() {
        // A loopback port with nobody listening.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap();
        let mut streams = Streams::default();
        assert!(streams.send(Transport::Tcp, port, b"x").await.is_err());
        assert_eq!(streams.failed.len(), 1);
        let again = streams.send(Transport::Tcp, port, b"x").await.unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(streams.failed.len(), 1, "remembered, not attempted twice");
        assert!(streams.streams.is_empty());
    }
}
