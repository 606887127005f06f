//! str0m 0.25, sans-IO, driven here as its documentation's run loop does it: one tokio task
//! per peer owns the `Rtc` and a UDP socket on 127.0.0.1; after every input it drains
//! `poll_output` to the next timeout, sends the transmits, and then waits on the socket, the
//! timer and the benchmark's commands. Datagrams already waiting are read without going back
//! to the `select!`, and the socket buffers are the 4 MiB rtcweb's driver asks for. One
//! datagram per system call, as in str0m's examples (rtcweb's driver and webrtc-rs batch
//! theirs with UDP GSO and GRO).
//!
//! str0m has no gathering: each side's host candidate is added before the offer, so the
//! offer and answer carry them and nothing trickles.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use socket2::{Domain, Socket, Type};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::channel::ChannelId;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::loopback::{Counter, Loopback, MESSAGE, Received, Settings, counter, now, within};

/// Socket buffers asked of the OS: what rtcweb's driver asks for its sockets.
const SOCKET_BUFFER: usize = 4 << 20;
/// The receive buffer of the run loop: str0m's datagrams stay under the MTU.
const DATAGRAM: usize = 2000;

/// Two str0m peers on 127.0.0.1.
pub(crate) struct Str0mPair {
    /// Each side before [`Loopback::connect`] starts its task.
    idle: Option<(Idle, Idle)>,
    /// Each side's task, once started.
    running: Vec<Running>,
    /// What B's application received.
    received: Option<Received>,
}

/// A peer whose task has not started.
struct Idle {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
}

/// A peer's task and the way to command it.
struct Running {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

/// What the benchmark asks of a peer's task.
enum Command {
    /// Write this many more [`MESSAGE`]-byte binary messages on the channel, as the SCTP
    /// send buffer allows.
    Send(usize),
    /// Disconnect and end.
    Close,
}

/// A peer's task: the `Rtc`, its socket, and what it reports.
struct Driver {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    commands: mpsc::UnboundedReceiver<Command>,
    /// Told when the first channel opens.
    opened: Option<oneshot::Sender<()>>,
    /// The open channel.
    channel: Option<ChannelId>,
    /// Counts the channel's bytes received.
    count: Counter,
    /// Messages still to write.
    to_send: usize,
    payload: Vec<u8>,
}

/// What woke the run loop.
enum Wake {
    Datagram(usize, SocketAddr),
    Timeout,
    Command(Option<Command>),
}

impl Driver {
    /// Drains the outputs to the next timeout: transmits go out, events are handled.
    fn drain(&mut self) -> Instant {
        loop {
            match self.rtc.poll_output().expect("str0m polls") {
                Output::Timeout(at) => return at,
                Output::Transmit(t) => {
                    // A full socket buffer drops the datagram, as a congested path would.
                    let _ = self.socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(Event::ChannelOpen(id, _)) => {
                    self.channel = Some(id);
                    if let Some(tx) = self.opened.take() {
                        let _ = tx.send(());
                    }
                }
                Output::Event(Event::ChannelData(data)) => self.count.add(data.data.len()),
                Output::Event(_) => {}
            }
        }
    }

    /// Writes one pending message if the channel's send buffer takes it.
    fn write(&mut self) -> bool {
        if self.to_send == 0 {
            return false;
        }
        let Some(mut channel) = self.channel.and_then(|id| self.rtc.channel(id)) else {
            return false;
        };
        // `false`: the SCTP send buffer is at `max_buffered_amount`.
        let written = channel.write(true, &self.payload).expect("str0m writes");
        if written {
            self.to_send -= 1;
        }
        written
    }

    /// Feeds a datagram in.
    fn receive(&mut self, from: SocketAddr, datagram: &[u8]) {
        let Ok(receive) = Receive::new(Protocol::Udp, from, self.local, datagram) else {
            return;
        };
        // A datagram str0m refuses is dropped, as a driver does.
        let _ = self.rtc.handle_input(Input::Receive(now(), receive));
    }

    /// The run loop: one input, drained; writes while the send buffer allows, each drained.
    async fn run(mut self) {
        let mut buf = vec![0u8; DATAGRAM];
        loop {
            let mut deadline = self.drain();
            while self.write() {
                deadline = self.drain();
            }
            match self.socket.try_recv_from(&mut buf) {
                Ok((len, from)) => {
                    self.receive(from, &buf[..len]);
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                // An ICMP error reported on the socket: skipped.
                Err(_) => continue,
            }
            let wake = tokio::select! {
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((len, from)) => Wake::Datagram(len, from),
                    Err(_) => continue,
                },
                () = tokio::time::sleep_until(deadline.into()) => Wake::Timeout,
                c = self.commands.recv() => Wake::Command(c),
            };
            match wake {
                Wake::Datagram(len, from) => self.receive(from, &buf[..len]),
                Wake::Timeout => {
                    let _ = self.rtc.handle_input(Input::Timeout(now()));
                }
                Wake::Command(Some(Command::Send(n))) => self.to_send += n,
                Wake::Command(Some(Command::Close) | None) => {
                    self.rtc.disconnect();
                    return;
                }
            }
        }
    }
}

/// A UDP socket on 127.0.0.1 with [`SOCKET_BUFFER`]-byte buffers.
fn bind() -> (UdpSocket, SocketAddr) {
    let socket =
        Socket::new(Domain::IPV4, Type::DGRAM, Some(socket2::Protocol::UDP)).expect("a UDP socket");
    // The OS may cap these (Linux: net.core.rmem_max, wmem_max), as for rtcweb's sockets.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.set_nonblocking(true).expect("non-blocking");
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    socket.bind(&loopback.into()).expect("bound on 127.0.0.1");
    let socket = UdpSocket::from_std(socket.into()).expect("a tokio socket");
    let local = socket.local_addr().expect("its address");
    (socket, local)
}

/// A peer with its socket and its host candidate.
fn idle(settings: Settings) -> Idle {
    let (socket, local) = bind();
    let mut rtc = Rtc::builder()
        .set_sctp_max_buffered_amount(settings.in_flight)
        .build(now());
    rtc.add_local_candidate(Candidate::host(local, "udp").expect("a host candidate"))
        .expect("the candidate is taken");
    Idle { rtc, socket, local }
}

/// Starts a peer's task; `opened` hears of its first open channel.
fn start(peer: Idle, opened: oneshot::Sender<()>, count: Counter) -> Running {
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let driver = Driver {
        rtc: peer.rtc,
        socket: peer.socket,
        local: peer.local,
        commands: commands_rx,
        opened: Some(opened),
        channel: None,
        count,
        to_send: 0,
        payload: vec![0x5a; MESSAGE],
    };
    let task = tokio::spawn(driver.run());
    Running { commands, task }
}

impl Loopback for Str0mPair {
    const NAME: &'static str = "str0m";

    async fn new(settings: Settings) -> Self {
        Self {
            idle: Some((idle(settings), idle(settings))),
            running: Vec::new(),
            received: None,
        }
    }

    async fn connect(&mut self) {
        let (mut a, mut b) = self.idle.take().expect("connect is called once");
        let mut change = a.rtc.sdp_api();
        let _channel = change.add_channel("bench".into());
        let (offer, pending) = change.apply().expect("a change to offer");
        // SDP goes across as text, as through a signalling server.
        let offer = SdpOffer::from_sdp_string(&offer.to_sdp_string()).expect("offer SDP");
        let answer = b.rtc.sdp_api().accept_offer(offer).expect("B takes it");
        let answer = SdpAnswer::from_sdp_string(&answer.to_sdp_string()).expect("answer SDP");
        a.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .expect("A takes it");
        let (a_opened, a_open) = oneshot::channel();
        let (b_opened, b_open) = oneshot::channel();
        // A receives nothing in these cases; its count is dropped.
        let (a_count, _) = counter();
        let (b_count, received) = counter();
        self.running = vec![start(a, a_opened, a_count), start(b, b_opened, b_count)];
        within("str0m: A's channel opening", a_open)
            .await
            .expect("A's task runs");
        within("str0m: B's channel opening", b_open)
            .await
            .expect("B's task runs");
        self.received = Some(received);
    }

    async fn transfer(&mut self, bytes: usize) {
        let received = self.received.as_mut().expect("connected");
        let target = received.current() + bytes as u64;
        self.running[0]
            .commands
            .send(Command::Send(bytes / MESSAGE))
            .expect("A's task runs");
        received.reach(target).await;
    }

    async fn close(self) {
        for peer in self.running {
            let _ = peer.commands.send(Command::Close);
            within("str0m: closing", peer.task)
                .await
                .expect("the task ends");
        }
    }
}
