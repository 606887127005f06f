//! The task of one connection: it owns the [`Peer`] and the sockets, and `select!`s over
//! the sockets, the one timer, the handles' commands and their reads. After every input it
//! sends what the core queued and routes its events to the handles, holding back what does
//! not fit their bounded queues and not reading the sockets meanwhile (see the
//! [module docs](super)).

use std::collections::{HashMap, VecDeque};
use std::mem::discriminant;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rtcweb_common::Datagram;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Notify, mpsc};

use super::channel::{ChannelLink, ReceiveLimits};
use super::command::{Command, Reply};
use super::media::MediaLayers;
use super::sockets::{Received, Sockets};
use super::{
    DataChannel, DriverConfig, DriverError, IoStats, PeerConnectionEvent, PeerConnectionInfo,
    RtpSender, clock,
};
use crate::{ChannelState, DataChannelId, Event, Peer};

/// mDNS queries at once, per connection.
const MAX_MDNS_QUERIES: usize = 8;
/// Largest UDP payload, and the largest GRO read.
const RECV_BUFFER: usize = 65_536;

thread_local! {
    /// One receive buffer per driver thread, not per connection (it would be most of an
    /// idle connection's memory): a task fills it and routes what it holds before its next
    /// `.await`, so two tasks never hold it at once.
    static RECEIVE_BUFFER: std::cell::RefCell<Vec<u8>> =
        std::cell::RefCell::new(vec![0; RECV_BUFFER]);
}
/// Datagrams read without waiting after a wake-up, before the transmits are flushed.
const RECV_BATCH: usize = 64;
/// Most datagrams in one GSO send (Linux allows 64).
const GSO_SEGMENTS: usize = 64;
/// Most bytes in one GSO send: one IP datagram's worth.
const GSO_BYTES: usize = 65_000;

pub(crate) struct Task {
    peer: Peer,
    sockets: Sockets,
    commands: mpsc::Receiver<Command>,
    /// For the handles of new channels; weak, so that the task ends when the user's
    /// handles are all gone.
    weak: mpsc::WeakSender<Command>,
    events: mpsc::Sender<PeerConnectionEvent>,
    /// Events that did not fit the event stream, in order; state changes coalesced to the
    /// latest of each kind.
    held_events: VecDeque<PeerConnectionEvent>,
    /// How many of `held_events` are not state changes: while any is, no datagram is read.
    held_others: usize,
    channels: HashMap<DataChannelId, ChannelLink>,
    /// Resolve remote `.local` candidates with mDNS.
    mdns: bool,
    /// mDNS queries under way.
    mdns_running: Arc<AtomicUsize>,
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
    batch: Vec<u8>,
}

impl Task {
    pub(crate) fn new(
        peer: Peer,
        sockets: Sockets,
        commands: mpsc::Receiver<Command>,
        sender: &mpsc::Sender<Command>,
        events: mpsc::Sender<PeerConnectionEvent>,
        space: Arc<Notify>,
        config: &DriverConfig,
    ) -> Self {
        Self {
            peer,
            sockets,
            commands,
            weak: sender.downgrade(),
            events,
            held_events: VecDeque::new(),
            held_others: 0,
            channels: HashMap::new(),
            media: MediaLayers::new(config.decode_audio),
            mdns: config.resolve_mdns,
            mdns_running: Arc::new(AtomicUsize::new(0)),
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
            batch: Vec::new(),
        }
    }

    /// The drive loop: flush, arm the timer when the deadline changed, wait for the first
    /// of a datagram (unless messages or events are held back), the deadline, a command or
    /// a handle taking a message or an event.
    pub(crate) async fn run(mut self) {
        let space = Arc::clone(&self.space);
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
        let sleep = tokio::time::sleep_until(far);
        tokio::pin!(sleep);
        let mut armed = None;
        loop {
            self.flush().await;
            if let Some(reply) = self.closing.take() {
                if let Some(reply) = reply {
                    let _ = reply.send(Ok(()));
                }
                return;
            }
            let deadline = [self.peer.poll_timeout(), self.media.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
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
            let holding = !self.holding.is_empty() || !self.held_events.is_empty();
            tokio::select! {
                received = std::future::poll_fn(|cx| {
                    RECEIVE_BUFFER.with_borrow_mut(|buf| self.sockets.poll_recv(cx, buf))
                }), if reading => {
                    RECEIVE_BUFFER.with_borrow_mut(|buf| self.receive_burst(received, buf));
                }
                () = space.notified(), if holding => self.release_held(),
                () = &mut sleep, if armed.is_some() => {
                    let now = clock();
                    self.peer.handle_timeout(now);
                    self.media.handle_timeout(now, &mut self.io);
                    // Re-armed on the next turn even if the deadline did not move.
                    armed = None;
                }
                command = self.commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => {
                        // Every handle is gone.
                        self.peer.close(clock());
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
            self.peer.handle_datagram(now, datagram);
        }
    }

    /// Routes the core's events, sends its transmits, answers the sends whose channel has
    /// drained. A run of UDP datagrams of one size from one socket to one destination goes
    /// out in one GSO send (the last of the run may be shorter).
    async fn flush(&mut self) {
        self.route_events();
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        // (source, destination, segment size, datagrams) of what `batch` holds.
        let mut run: Option<(Option<SocketAddr>, SocketAddr, usize, usize)> = None;
        let mut max = 1;
        while let Some(transmit) = self.peer.poll_transmit() {
            let len = transmit.bytes().len();
            if transmit.transport.is_stream() {
                self.send_batch(&batch, run.take()).await;
                batch.clear();
                let result = self.sockets.send_stream(&transmit).await;
                self.sent(result, 1, len, transmit.destination);
                continue;
            }
            if let Some((source, destination, segment, count)) = &mut run {
                let joins = *source == transmit.source
                    && *destination == transmit.destination
                    && len <= *segment
                    // Only the last datagram of a run may be shorter.
                    && batch.len() == *segment * *count
                    && *count < max
                    && batch.len() + len <= GSO_BYTES;
                if joins {
                    batch.extend_from_slice(transmit.bytes());
                    *count += 1;
                    continue;
                }
                self.send_batch(&batch, run.take()).await;
                batch.clear();
            }
            max = self
                .sockets
                .max_segments(transmit.source, transmit.destination)
                .min(GSO_SEGMENTS);
            batch.extend_from_slice(transmit.bytes());
            run = Some((transmit.source, transmit.destination, len, 1));
        }
        self.send_batch(&batch, run).await;
        self.batch = batch;
        self.release_blocked();
    }

    async fn send_batch(
        &mut self,
        batch: &[u8],
        run: Option<(Option<SocketAddr>, SocketAddr, usize, usize)>,
    ) {
        let Some((source, destination, segment, count)) = run else {
            return;
        };
        let segment_size = (count > 1).then_some(segment);
        let result = self
            .sockets
            .send_udp(source, destination, batch, segment_size)
            .await;
        self.sent(result, count, batch.len(), destination);
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
                tracing::debug!(%to, error = %e, "UDP send failed");
            }
        }
    }

    /// Routes every event the core queued: the core's queue never holds events across
    /// inputs (it drops past its bound); what does not fit the handles is held here.
    fn route_events(&mut self) {
        while let Some(event) = self.peer.poll_event() {
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
        self.holding.is_empty() && self.held_others == 0
    }

    fn emit(&mut self, event: PeerConnectionEvent) {
        let event = if self.held_events.is_empty() {
            match self.events.try_send(event) {
                // A caller that dropped its event stream does not want events.
                Ok(()) | Err(TrySendError::Closed(_)) => return,
                Err(TrySendError::Full(event)) => event,
            }
        } else if self.events.is_closed() {
            self.held_events.clear();
            self.held_others = 0;
            return;
        } else {
            event
        };
        if is_state(&event) {
            // The latest state of a kind replaces the earlier one and goes after what was
            // held before it.
            let kind = discriminant(&event);
            if let Some(i) = self
                .held_events
                .iter()
                .position(|e| discriminant(e) == kind)
            {
                self.held_events.remove(i);
                self.io.events_coalesced += 1;
            }
        } else {
            self.held_others += 1;
        }
        self.held_events.push_back(event);
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
        while let Some(event) = self.held_events.pop_front() {
            let other = !is_state(&event);
            match self.events.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    self.held_events.push_front(event);
                    return;
                }
                Err(TrySendError::Closed(_)) => {
                    self.held_events.clear();
                    self.held_others = 0;
                    return;
                }
            }
            if other {
                self.held_others -= 1;
            }
        }
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
                if let Some(e) = self.media.remote_track(&self.peer, transceiver, track, mid) {
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
            } else if self.peer.buffered_amount(channel) <= self.low {
                let _ = reply.send(Ok(()));
            } else {
                self.blocked.push((channel, reply));
            }
        }
    }

    fn command(&mut self, command: Command) {
        let now = clock();
        // A caller that stopped waiting does not want the answer: sends are ignored.
        match command {
            Command::CreateOffer(reply) => {
                let _ = reply.send(self.peer.create_offer().map_err(Into::into));
            }
            Command::CreateAnswer(reply) => {
                let _ = reply.send(self.peer.create_answer().map_err(Into::into));
            }
            Command::SetLocalDescriptionImplicit(reply) => {
                let result = self.peer.set_local_description_implicit(now);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::SetLocalDescription(d, reply) => {
                let _ = reply.send(self.peer.set_local_description(now, &d).map_err(Into::into));
            }
            Command::SetRemoteDescription(d, reply) => {
                let result = self.peer.set_remote_description(now, &d);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::AddIceCandidate {
                mid,
                candidate,
                reply,
            } => {
                let result = self.peer.add_ice_candidate(now, mid.as_deref(), &candidate);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::ResolveMdns { name, ip } => {
                self.io.mdns_resolved += 1;
                self.peer.resolve_mdns(now, &name, ip);
            }
            Command::CreateDataChannel {
                label,
                options,
                reply,
            } => {
                let protocol = options.protocol.clone();
                let result = match self.peer.create_data_channel(now, &label, options) {
                    Ok(id) => self
                        .link(id, label, protocol, ChannelState::Connecting)
                        .ok_or(DriverError::Closed),
                    Err(e) => Err(e.into()),
                };
                let _ = reply.send(result);
            }
            Command::Send {
                channel,
                message,
                reply,
            } => match self.peer.send(now, channel, message) {
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
                Ok(()) if self.peer.buffered_amount(channel) > self.high => {
                    self.peer
                        .set_buffered_amount_low_threshold(channel, self.low);
                    self.blocked.push((channel, reply));
                }
                Ok(()) => {
                    let _ = reply.send(Ok(()));
                }
            },
            Command::BufferedAmount(channel, reply) => {
                let _ = reply.send(Ok(self.peer.buffered_amount(channel)));
            }
            Command::CloseDataChannel(channel) => {
                self.set_state(channel, ChannelState::Closing);
                self.peer.close_data_channel(now, channel);
            }
            Command::AddTransceiver {
                track_or_kind,
                init,
                reply,
            } => {
                let kind = match &track_or_kind {
                    crate::TrackOrKind::Kind(k) => k.clone(),
                    crate::TrackOrKind::Track(t) => t.kind.clone(),
                };
                let result = self
                    .peer
                    .add_transceiver(now, track_or_kind, init)
                    .map_err(DriverError::from)
                    .and_then(|id| self.sender(id, kind));
                let _ = reply.send(result);
            }
            Command::AddTrack {
                track,
                streams,
                reply,
            } => {
                let kind = track.kind.clone();
                let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
                let result = self
                    .peer
                    .add_track(now, track, &streams)
                    .map_err(DriverError::from)
                    .and_then(|id| self.sender(id, kind));
                let _ = reply.send(result);
            }
            Command::RemoveTrack { id, reply } => {
                let _ = reply.send(self.peer.remove_track(now, id).map_err(Into::into));
            }
            Command::SetDirection {
                id,
                direction,
                reply,
            } => {
                let result = self.peer.set_direction(now, id, direction);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::StopTransceiver { id, reply } => {
                let _ = reply.send(self.peer.stop_transceiver(now, id).map_err(Into::into));
            }
            Command::Transceivers(reply) => {
                let _ = reply.send(Ok(self.peer.transceivers()));
            }
            Command::WriteFrame { id, frame, reply } => {
                let outgoing = crate::OutgoingFrame {
                    payload_type: frame.payload_type,
                    rtp_timestamp: frame.rtp_timestamp,
                    capture_time: frame.capture_time,
                    audio_level: frame.audio_level,
                    talkspurt_start: false,
                    keyframe: frame.keyframe,
                    data: &frame.data,
                };
                let result = self.peer.write_frame(now, id, outgoing);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::SendAudio {
                id,
                pcm,
                capture_time,
                reply,
            } => {
                let result = self
                    .media
                    .send_audio(&mut self.peer, now, id, &pcm, capture_time);
                let _ = reply.send(result);
            }
            Command::ReplaceTrack { id, track, reply } => {
                let _ = reply.send(self.peer.replace_track(id, track).map_err(Into::into));
            }
            Command::SenderParameters { id, reply } => {
                let result = self
                    .peer
                    .sender_parameters(id)
                    .ok_or(DriverError::Peer(crate::Error::UnknownTransceiver(id)));
                let _ = reply.send(result);
            }
            Command::SetSenderParameters {
                id,
                parameters,
                reply,
            } => {
                let result = self.peer.set_sender_parameters(id, parameters);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::InsertDtmf {
                id,
                tones,
                duration,
                gap,
                reply,
            } => {
                let result = self.peer.insert_dtmf(now, id, &tones, duration, gap);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::ToneBuffer { id, reply } => {
                let _ = reply.send(Ok(self.peer.dtmf_tone_buffer(id).unwrap_or_default()));
            }
            Command::RequestKeyFrame { id, reply } => {
                let result = self.peer.request_key_frame(now, id);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::RestartIce(reply) => {
                let _ = reply.send(self.peer.restart_ice(now).map_err(Into::into));
            }
            Command::Configuration(reply) => {
                let _ = reply.send(Ok(self.peer.configuration().clone()));
            }
            Command::SetConfiguration { config, reply } => {
                let _ = reply.send(self.peer.set_configuration(*config).map_err(Into::into));
            }
            Command::Stats(reply) => {
                let mut report = self.peer.stats_report(now);
                self.media.add_stats(&self.peer, &mut report);
                let _ = reply.send(Ok(report));
            }
            Command::Info(reply) => {
                let _ = reply.send(Ok(self.info()));
            }
            Command::Close(reply) => {
                self.peer.close(now);
                self.closing = Some(Some(reply));
            }
        }
    }

    /// A sender handle for transceiver `id`.
    fn sender(
        &self,
        id: crate::TransceiverId,
        kind: crate::MediaKind,
    ) -> Result<RtpSender, DriverError> {
        let commands = self.weak.upgrade().ok_or(DriverError::Closed)?;
        Ok(RtpSender { id, kind, commands })
    }

    fn info(&self) -> PeerConnectionInfo {
        let peer = &self.peer;
        PeerConnectionInfo {
            connection_state: peer.connection_state(),
            ice_connection_state: peer.ice_connection_state(),
            ice_gathering_state: peer.ice_gathering_state(),
            signaling_state: peer.signaling_state(),
            dtls_state: peer.dtls_state(),
            failure: peer.failure().cloned(),
            selected_candidate_pair: peer.selected_candidate_pair(),
            srtp_profile: peer.srtp_profile(),
            dtls_cipher: peer.dtls_cipher(),
            local_description: peer.local_description(),
            remote_description: peer.remote_description(),
            pending_local_description: peer.pending_local_description(),
            current_local_description: peer.current_local_description(),
            pending_remote_description: peer.pending_remote_description(),
            current_remote_description: peer.current_remote_description(),
            stats: peer.stats(),
            transceivers: peer
                .transceivers()
                .into_iter()
                .filter_map(|t| Some((t.id, peer.transceiver_stats(t.id)?)))
                .collect(),
            playout: self.media.playout_stats(),
            io: self.io,
        }
    }
}

/// Whether an event only reports a state: a later one of its kind supersedes it.
fn is_state(event: &PeerConnectionEvent) -> bool {
    use PeerConnectionEvent as E;
    matches!(
        event,
        E::NegotiationNeeded
            | E::SignalingState(_)
            | E::IceGatheringState(_)
            | E::IceConnectionState(_)
            | E::SelectedCandidatePair(_)
            | E::DtlsState(_)
            | E::ConnectionState(_)
    )
}
