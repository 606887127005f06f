//! The task of one connection: it owns the sockets and shares the [`Peer`](crate::Peer)
//! with the handles' signalling methods (`super::shared`), and `select!`s over the
//! sockets, the one timer, the handles' commands, their signalling and their reads. After
//! every input it sends what the core queued and routes its events to the handles,
//! holding back what does not fit their bounded queues and not reading the sockets
//! meanwhile (see the [module docs](super)).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use rtcweb_common::{Datagram, Transport};
use tokio::sync::{Notify, mpsc};

use super::channel::{ChannelLink, ReceiveLimits};
use super::command::{Command, Reply};
use super::event_queue::EventQueue;
use super::gso_batch::GsoBatch;
use super::interfaces::{InterfacePolicy, list_interfaces};
use super::media::MediaLayers;
use super::shared::SharedPeer;
use super::sockets::{Received, Sockets};
use super::{
    DataChannel, DriverConfig, DriverError, IoStats, PeerConnectionEvent, PeerConnectionInfo,
    RtpSender, clock,
};
use crate::{ChannelState, DataChannelId, Event};

mod dispatch;

/// Most due deadlines handled in a row without going back to the sockets and commands.
const MAX_DUE_IN_A_ROW: u32 = 8;
/// mDNS queries at once, per connection.
const MAX_MDNS_QUERIES: usize = 8;
/// Largest UDP payload, and the largest GRO read.
const RECV_BUFFER: usize = 65_536;

thread_local! {
    /// One receive buffer per runtime thread, not per connection (it would be most of an
    /// idle connection's memory): a task fills it and routes what it holds before its next
    /// `.await`, so two tasks never hold it at once.
    static RECEIVE_BUFFER: std::cell::RefCell<Vec<u8>> =
        std::cell::RefCell::new(vec![0; RECV_BUFFER]);
}
/// Datagrams read without waiting after a wake-up, before the transmits are flushed.
const RECV_BATCH: usize = 64;
/// Most datagrams in one GSO send (Linux allows 64).
const GSO_SEGMENTS: usize = 64;

pub(crate) struct Task {
    /// The core, shared with the handles' signalling methods.
    shared: Arc<SharedPeer>,
    sockets: Sockets,
    commands: mpsc::Receiver<Command>,
    /// For the handles of new channels; weak, so that the task ends when the user's
    /// handles are all gone.
    weak: mpsc::WeakSender<Command>,
    /// The application's event stream, and what did not fit it.
    events: EventQueue,
    channels: HashMap<DataChannelId, ChannelLink>,
    /// Resolve remote `.local` candidates with mDNS.
    mdns: bool,
    /// mDNS queries under way.
    mdns_running: Arc<AtomicUsize>,
    /// Our host addresses' mDNS names and their responder, when published.
    publisher: Option<super::mdns::Publisher>,
    /// The audio layers beside the core, and the remote tracks' handles.
    media: MediaLayers,
    /// The channels whose link holds messages back: while any does, no datagram is read.
    holding: Vec<DataChannelId>,
    /// Bytes held by all links.
    held_bytes: usize,
    limits: ReceiveLimits,
    /// Woken when a handle takes a message or an event.
    space: Arc<Notify>,
    /// The sockets are not read (counted once per pause).
    paused: bool,
    /// Sends answered once their channel's queue is down to `low`.
    blocked: Vec<(DataChannelId, Reply<()>)>,
    high: usize,
    low: usize,
    io: IoStats,
    /// `close` was asked (or every handle is gone): the reply, once the last transmits
    /// are out.
    closing: Option<Option<Reply<()>>>,
    /// The datagrams of one GSO send, kept to reuse the allocation.
    batch: GsoBatch,
    /// Which interface addresses to follow, when they were chosen by policy.
    interfaces: Option<InterfacePolicy>,
    /// How often to list them again.
    watch_every: Option<Duration>,
    /// The port range of new sockets.
    ports: Option<RangeInclusive<u16>>,
}

impl Task {
    pub(crate) fn new(
        shared: Arc<SharedPeer>,
        sockets: Sockets,
        commands: mpsc::Receiver<Command>,
        sender: &mpsc::Sender<Command>,
        events: mpsc::Sender<PeerConnectionEvent>,
        space: Arc<Notify>,
        config: &DriverConfig,
    ) -> Self {
        Self {
            shared,
            sockets,
            commands,
            weak: sender.downgrade(),
            events: EventQueue::new(events),
            channels: HashMap::new(),
            media: MediaLayers::new(config.decode_audio),
            mdns: config.resolve_mdns,
            mdns_running: Arc::new(AtomicUsize::new(0)),
            publisher: None,
            holding: Vec::new(),
            held_bytes: 0,
            limits: ReceiveLimits {
                messages: config.receive_queue_messages,
                bytes: config.receive_queue_bytes,
            },
            space,
            paused: false,
            blocked: Vec::new(),
            high: config.send_high_water,
            low: config.send_low_water.min(config.send_high_water),
            io: IoStats::default(),
            closing: None,
            batch: GsoBatch::default(),
            interfaces: config
                .interfaces
                .is_empty()
                .then(|| config.interface_policy.clone()),
            watch_every: config.watch_interfaces,
            ports: config.port_range.clone(),
        }
    }

    /// The drive loop: flush, arm the timer when the deadline changed, wait for the first
    /// of a datagram (unless messages or events are held back), the deadline, a command or
    /// a handle taking a message or an event.
    pub(crate) async fn run(mut self) {
        // The responder answers for our names until the task (and its publisher) ends.
        if let Some(publisher) = &self.publisher {
            publisher.start();
        }
        let space = Arc::clone(&self.space);
        let shared = Arc::clone(&self.shared);
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
        let sleep = tokio::time::sleep_until(far);
        tokio::pin!(sleep);
        let mut armed = None;
        // The last deadline handled without waiting for the timer, and how many were in a
        // row (see below).
        let mut handled_now = None;
        let mut due_in_a_row = 0;
        // Interface changes are looked for only when the policy chose the addresses.
        let mut watch = self.interfaces.as_ref().and(self.watch_every).map(|every| {
            let start = tokio::time::Instant::now() + every;
            let mut interval = tokio::time::interval_at(start, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
        loop {
            self.report_tcp_closed();
            self.flush().await;
            if let Some(reply) = self.closing.take() {
                // Before the answer: a signalling call made after `close` returned finds
                // the connection ended.
                self.shared.end();
                if let Some(reply) = reply {
                    let _ = reply.send(Ok(()));
                }
                // Commands sent meanwhile are answered or dropped, never left waiting.
                super::command::end_queue(&mut self.commands).await;
                return;
            }
            let deadline = [
                self.shared.lock().peer.poll_timeout(),
                self.media.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            // A deadline already due is handled now: tokio's timer rounds deadlines up to
            // its next millisecond tick, which would hold due work back for up to 1 ms.
            // Once per deadline, so a deadline that does not move cannot spin the loop, and
            // at most a few times in a row, so sockets and commands still get their turn.
            if let Some(d) = deadline
                && d <= clock()
                && handled_now != Some(d)
                && due_in_a_row < MAX_DUE_IN_A_ROW
            {
                handled_now = Some(d);
                due_in_a_row += 1;
                let now = clock();
                self.shared.lock().peer.handle_timeout(now);
                self.media.handle_timeout(now, &mut self.io);
                continue;
            }
            if deadline != armed {
                armed = deadline;
                if let Some(d) = deadline {
                    sleep.as_mut().reset(tokio::time::Instant::from_std(d));
                }
            }
            let reading = self.reading();
            if !reading && !self.paused {
                self.io.read_pauses += 1;
            }
            self.paused = !reading;
            let holding = !self.holding.is_empty() || self.events.is_holding();
            let tcp_writes = self.sockets.tcp_writes_pending();
            due_in_a_row = 0;
            tokio::select! {
                // A datagram (when reading), or progress of ICE-TCP connects and of writes
                // the sockets did not take at once (which never wait on reading).
                io = std::future::poll_fn(|cx| {
                    if tcp_writes && self.sockets.poll_tcp_writes(cx).is_ready() {
                        return Poll::Ready(None);
                    }
                    if !reading {
                        return Poll::Pending;
                    }
                    RECEIVE_BUFFER
                        .with_borrow_mut(|buf| self.sockets.poll_recv(cx, buf))
                        .map(Some)
                }), if reading || tcp_writes => {
                    if let Some(received) = io {
                        RECEIVE_BUFFER.with_borrow_mut(|buf| self.receive_burst(received, buf));
                    }
                }
                () = space.notified(), if holding => self.release_held(),
                // A handle's signalling call changed the core: the next turn sends what it
                // queued and arms the timer for its deadline.
                () = shared.changed() => {}
                () = &mut sleep, if armed.is_some() => {
                    let now = clock();
                    self.shared.lock().peer.handle_timeout(now);
                    self.media.handle_timeout(now, &mut self.io);
                    // Re-armed on the next turn even if the deadline did not move.
                    armed = None;
                }
                Some(_) = async {
                    match watch.as_mut() {
                        Some(interval) => Some(interval.tick().await),
                        None => None,
                    }
                }, if watch.is_some() => {
                    self.check_interfaces();
                }
                command = self.commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => {
                        // Every handle is gone.
                        self.shared.lock().peer.close(clock());
                        self.closing = Some(None);
                    }
                },
            }
        }
    }

    /// The datagrams of one read, then what else is waiting, up to [`RECV_BATCH`] reads.
    fn receive_burst(&mut self, first: Received, buf: &mut [u8]) {
        self.datagram(first, buf);
        for _ in 0..RECV_BATCH {
            // Routed per read, to stop as soon as a queue is full.
            self.route_events();
            if !self.reading() {
                break;
            }
            let Some(received) = self.sockets.try_recv(buf) else {
                break;
            };
            self.datagram(received, buf);
        }
    }

    /// One read: a datagram, or with GRO several of `stride` bytes each.
    fn datagram(&mut self, received: Received, buf: &[u8]) {
        let now = clock();
        self.io.bytes_received += received.len as u64;
        if received.len > received.stride {
            self.io.gro_reads += 1;
        }
        for contents in buf[..received.len].chunks(received.stride.max(1)) {
            self.io.datagrams_received += 1;
            let datagram = Datagram {
                transport: received.transport,
                local: received.local,
                remote: received.remote,
                contents,
            };
            self.shared.lock().peer.handle_datagram(now, datagram);
        }
        // An accepted ICE-TCP connection is kept once it carried an authenticated check.
        if received.transport == Transport::Tcp
            && self
                .sockets
                .tcp_awaits_check(received.local, received.remote)
            && self
                .shared
                .lock()
                .peer
                .tcp_connection_checked(received.local, received.remote)
        {
            self.sockets.tcp_checked(received.local, received.remote);
        }
    }

    /// Routes the core's events, sends its transmits, answers the sends whose channel has
    /// drained. A run of UDP datagrams of one size from one socket to one destination goes
    /// out in one GSO send (the last of the run may be shorter; see [`GsoBatch`]).
    async fn flush(&mut self) {
        self.route_events();
        let mut batch = std::mem::take(&mut self.batch);
        loop {
            // Locked for the one transmit: the sends below wait.
            let Some(transmit) = self.shared.lock().peer.poll_transmit() else {
                break;
            };
            if self.sockets.is_ice_tcp(&transmit) {
                // After the UDP run before it; framed and queued, never waited on.
                self.send_batch(&mut batch).await;
                let result = self.sockets.send_ice_tcp(&transmit);
                self.sent(result, 1, transmit.bytes().len(), transmit.destination);
                continue;
            }
            if transmit.transport.is_stream() {
                self.send_batch(&mut batch).await;
                let result = self.sockets.send_stream(&transmit).await;
                self.sent(result, 1, transmit.bytes().len(), transmit.destination);
                continue;
            }
            if batch.join(transmit.source, transmit.destination, transmit.bytes()) {
                continue;
            }
            self.send_batch(&mut batch).await;
            let max = self
                .sockets
                .max_segments(transmit.source, transmit.destination)
                .min(GSO_SEGMENTS);
            batch.start(transmit.source, transmit.destination, transmit.bytes(), max);
        }
        self.send_batch(&mut batch).await;
        self.batch = batch;
        self.release_blocked();
    }

    /// Sends the batch's run, if any, and empties it.
    async fn send_batch(&mut self, batch: &mut GsoBatch) {
        if let Some(ready) = batch.ready() {
            let result = self
                .sockets
                .send_udp(
                    ready.source,
                    ready.destination,
                    ready.contents,
                    ready.segment_size,
                )
                .await;
            self.sent(
                result,
                ready.datagrams,
                ready.contents.len(),
                ready.destination,
            );
        }
        batch.clear();
    }

    fn sent(
        &mut self,
        result: std::io::Result<()>,
        datagrams: usize,
        bytes: usize,
        to: SocketAddr,
    ) {
        match result {
            Ok(()) => {
                self.io.datagrams_sent += datagrams as u64;
                self.io.bytes_sent += bytes as u64;
                if datagrams > 1 {
                    self.io.gso_sends += 1;
                }
            }
            Err(e) => {
                self.io.send_errors += 1;
                tracing::debug!(%to, error = %e, "send failed");
            }
        }
    }

    /// Tells the core about ICE-TCP connections that closed or could not be opened: their
    /// pairs fail at once (RFC 6544 §7.1).
    fn report_tcp_closed(&mut self) {
        while let Some((local, remote)) = self.sockets.take_tcp_closed() {
            self.shared
                .lock()
                .peer
                .tcp_connection_closed(clock(), local, remote);
        }
    }

    /// Routes every event the core queued: the core's queue never holds events across
    /// inputs (it drops past its bound); what does not fit the handles is held here.
    fn route_events(&mut self) {
        loop {
            // Locked for the one event: routing it may lock the core again. An event may
            // be for a channel a handle made on its thread: that channel's link was left
            // in the same critical section as the event, so it is taken with the event.
            let (links, event) = self.shared.next_event();
            for (id, link) in links {
                self.channels.insert(id, link);
            }
            let Some(event) = event else {
                break;
            };
            self.event(event);
        }
        let held = self.held_bytes as u64;
        self.io.held_bytes_peak = self.io.held_bytes_peak.max(held);
    }

    /// Whether the sockets are read: not while a message or an event that is not a state
    /// change is held back. The core releases messages only from datagrams, so what is
    /// held is what the last datagram released; the peer's SCTP sees no acknowledgement
    /// and waits (RFC 9260 §6.3.3), and the OS socket buffer fills then drops, as a
    /// congested path would.
    fn reading(&self) -> bool {
        self.holding.is_empty() && !self.events.holds_others()
    }

    /// Lists the machine's interfaces again: sockets and host candidates for addresses
    /// that came up, none for those that went away, and an ICE restart when anything
    /// changed (RFC 8445 §9; browsers restart ICE on a network change).
    fn check_interfaces(&mut self) {
        let Some(policy) = &self.interfaces else {
            return;
        };
        let all = match list_interfaces() {
            Ok(all) => all,
            Err(e) => {
                tracing::debug!(error = %e, "cannot list the interfaces");
                return;
            }
        };
        let wanted: Vec<SocketAddr> = policy
            .select(&all)
            .iter()
            .map(|a| a.bind_address())
            .collect();
        let bound = self.sockets.local_addresses();
        let removed: Vec<SocketAddr> = bound
            .iter()
            .filter(|b| !wanted.iter().any(|w| w.ip() == b.ip()))
            .copied()
            .collect();
        let new: Vec<SocketAddr> = wanted
            .into_iter()
            .filter(|w| !bound.iter().any(|b| w.ip() == b.ip()))
            .collect();
        if removed.is_empty() && new.is_empty() {
            return;
        }
        let now = clock();
        for &gone in &removed {
            self.sockets.remove(gone);
            self.shared.lock().peer.remove_local_address(now, gone);
            if let Some(listener) = self.sockets.remove_tcp_listener(gone.ip()) {
                self.shared
                    .lock()
                    .peer
                    .remove_local_tcp_listener(now, listener);
            }
        }
        let mut added = Vec::new();
        for address in new {
            if let Some(publisher) = self.publisher.as_mut() {
                publisher.publish(&mut self.shared.lock().peer, address.ip());
            }
            let local = match self.sockets.add(address, self.ports.as_ref()) {
                Ok(local) => local,
                Err(e) => {
                    tracing::debug!(%address, error = %e, "no socket on a new address");
                    continue;
                }
            };
            let taken = self.shared.lock().peer.add_local_address(now, local);
            match taken {
                Ok(()) => added.push(local),
                Err(e) => {
                    tracing::debug!(%local, error = %e, "the core refused a new address");
                    self.sockets.remove(local);
                    continue;
                }
            }
            match self.sockets.add_tcp_listener(address, self.ports.as_ref()) {
                Some(Ok(listener)) => {
                    let taken = self
                        .shared
                        .lock()
                        .peer
                        .add_local_tcp_listener(now, listener);
                    if let Err(e) = taken {
                        tracing::debug!(%listener, error = %e, "the core refused a listener");
                        self.sockets.remove_tcp_listener(listener.ip());
                    }
                }
                Some(Err(e)) => tracing::debug!(%address, error = %e, "no ICE-TCP listener"),
                None => {}
            }
        }
        if added.is_empty() && removed.is_empty() {
            return;
        }
        tracing::info!(?added, ?removed, "interface addresses changed: ICE restart");
        self.emit(PeerConnectionEvent::InterfacesChanged { added, removed });
        let restarted = self.shared.lock().peer.restart_ice(now);
        if let Err(e) = restarted {
            tracing::debug!(error = %e, "no ICE restart");
        }
    }

    /// The names of our host addresses, published ([`DriverConfig::publish_mdns`]): the
    /// task starts their responder and names the addresses that come up later.
    pub(crate) fn publish_mdns(&mut self, publisher: super::mdns::Publisher) {
        self.publisher = Some(publisher);
    }

    /// An event of the driver's own for the application, before the task runs.
    pub(crate) fn announce(&mut self, event: PeerConnectionEvent) {
        self.emit(event);
    }

    fn emit(&mut self, event: PeerConnectionEvent) {
        if self.events.emit(event) {
            self.io.events_coalesced += 1;
        }
    }

    /// A handle took a message or an event: moves what is held back to the handles while
    /// it fits.
    fn release_held(&mut self) {
        let holding = std::mem::take(&mut self.holding);
        for channel in holding {
            let Some(link) = self.channels.get_mut(&channel) else {
                continue;
            };
            let before = link.held_bytes();
            let done = link.release();
            self.held_bytes -= before - link.held_bytes();
            if !done {
                self.holding.push(channel);
            } else if link.is_closed()
                && let Some(link) = self.channels.remove(&channel)
            {
                link.set_state(ChannelState::Closed);
            }
        }
        self.events.release();
    }

    fn event(&mut self, event: Event) {
        use PeerConnectionEvent as E;
        match event {
            Event::NegotiationNeeded => self.emit(E::NegotiationNeeded),
            Event::SignalingState(s) => self.emit(E::SignalingState(s)),
            Event::LocalCandidate(c) => self.emit(E::LocalCandidate(c)),
            Event::IceGatheringState(s) => self.emit(E::IceGatheringState(s)),
            Event::IceConnectionState(s) => self.emit(E::IceConnectionState(s)),
            Event::SelectedCandidatePair(p) => self.emit(E::SelectedCandidatePair(p)),
            Event::DtlsState(s) => self.emit(E::DtlsState(s)),
            Event::ConnectionState(s) => self.emit(E::ConnectionState(s)),
            Event::Failed(reason) => self.emit(E::Failed(reason)),
            Event::IceCandidateError(error) => self.emit(E::IceCandidateError(error)),
            Event::ResolveMdns { name } => {
                self.resolve_mdns(&name);
                self.emit(E::ResolveMdns { name });
            }
            Event::IncomingDataChannel {
                channel,
                label,
                protocol,
            } => {
                if let Some(handle) = self.link(channel, label, protocol, ChannelState::Open) {
                    self.emit(E::DataChannel(handle));
                }
            }
            Event::DataChannelOpen { channel } => self.set_state(channel, ChannelState::Open),
            Event::Message { channel, message } => {
                if let Some(link) = self.channels.get_mut(&channel) {
                    let (was, before) = (link.is_holding(), link.held_bytes());
                    link.deliver(message);
                    self.held_bytes += link.held_bytes() - before;
                    if !was && link.is_holding() {
                        self.holding.push(channel);
                    }
                }
            }
            // The blocked sends are checked after every flush.
            Event::BufferedAmountLow { .. } => {}
            Event::DataChannelClosing { channel } => {
                self.set_state(channel, ChannelState::Closing);
            }
            Event::Track {
                transceiver,
                track,
                mid,
            } => {
                let commands = self.weak.upgrade();
                let handle = self.media.remote_track(
                    &self.shared.lock().peer,
                    transceiver,
                    track,
                    mid,
                    commands,
                );
                if let Some(e) = handle {
                    self.emit(e);
                }
            }
            Event::Frame { transceiver, frame } => {
                self.media.frame(transceiver, frame, &mut self.io);
            }
            Event::TrackEnded { transceiver } => {
                self.media.ended(transceiver);
                self.emit(E::TrackEnded(transceiver));
            }
            Event::TrackMuted { transceiver, muted } => {
                self.emit(E::TrackMuted { transceiver, muted });
            }
            Event::KeyFrameRequest { transceiver, kind } => {
                self.media.key_frame_request(transceiver);
                self.emit(E::KeyFrameRequest { transceiver, kind });
            }
            Event::Dtmf {
                transceiver,
                tone,
                duration,
            } => self.emit(E::Dtmf {
                transceiver,
                tone,
                duration,
            }),
            Event::ToneChange { transceiver, tone } => {
                self.emit(E::ToneChange { transceiver, tone });
            }
            Event::SendBitrate {
                transceiver,
                bitrate_bps,
            } => self.media.send_bitrate(transceiver, bitrate_bps),
            Event::ClosedByPeer => {
                self.emit(E::ClosedByPeer);
                // The core closed itself: the task ends once what it queued is sent.
                if self.closing.is_none() {
                    self.closing = Some(None);
                }
            }
            Event::DataChannelClosed { channel } => {
                // A link that holds messages ends once they are delivered.
                if self
                    .channels
                    .get_mut(&channel)
                    .is_some_and(ChannelLink::close)
                    && let Some(link) = self.channels.remove(&channel)
                {
                    link.set_state(ChannelState::Closed);
                }
            }
        }
    }

    /// Takes the links of the channels the handles made
    /// ([`SharedPeer::create_data_channel`]).
    fn adopt_new_links(&mut self) {
        for (id, link) in self.shared.take_new_links() {
            self.channels.insert(id, link);
        }
    }

    /// Starts an mDNS query for a remote `.local` candidate (RFC 6762 §5.1); the answer
    /// comes back as a command. At most `MAX_MDNS_QUERIES` run at once.
    fn resolve_mdns(&mut self, name: &str) {
        if !self.mdns || self.mdns_running.load(Ordering::Relaxed) >= MAX_MDNS_QUERIES {
            return;
        }
        let Some(commands) = self.weak.upgrade() else {
            return;
        };
        let interfaces: Vec<_> = self
            .sockets
            .local_addresses()
            .iter()
            .map(|a| a.ip())
            .collect();
        let name = name.to_owned();
        let running = Arc::clone(&self.mdns_running);
        running.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let resolved = super::mdns::resolve(&name, &interfaces).await;
            running.fetch_sub(1, Ordering::Relaxed);
            match resolved {
                Some(ip) => {
                    tracing::debug!(%name, %ip, "mDNS name resolved");
                    let _ = commands.send(Command::ResolveMdns { name, ip }).await;
                }
                None => tracing::debug!(%name, "mDNS name not resolved"),
            }
        });
    }

    fn set_state(&self, channel: DataChannelId, state: ChannelState) {
        if let Some(link) = self.channels.get(&channel) {
            link.set_state(state);
        }
    }

    /// A new handle linked to the task; `None` when no handle of the connection is left.
    fn link(
        &mut self,
        channel: DataChannelId,
        label: String,
        protocol: String,
        state: ChannelState,
    ) -> Option<DataChannel> {
        let commands = self.weak.upgrade()?;
        let space = Arc::clone(&self.space);
        let (link, handle) = ChannelLink::new(
            channel,
            label,
            protocol,
            state,
            commands,
            self.limits,
            space,
        );
        self.channels.insert(channel, link);
        Some(handle)
    }

    fn release_blocked(&mut self) {
        if self.blocked.is_empty() {
            return;
        }
        let blocked = std::mem::take(&mut self.blocked);
        for (channel, reply) in blocked {
            if self
                .channels
                .get(&channel)
                .is_none_or(ChannelLink::is_closed)
            {
                let _ = reply.send(Err(DriverError::ChannelClosed));
            } else if self.shared.lock().peer.buffered_amount(channel) <= self.low {
                let _ = reply.send(Ok(()));
            } else {
                self.blocked.push((channel, reply));
            }
        }
    }
}

impl Drop for Task {
    /// Whichever way the task ends (closed, every handle gone, the runtime shut down), the
    /// handles' signalling calls answer [`DriverError::Closed`] from now on.
    fn drop(&mut self) {
        self.shared.end();
    }
}
