//! The data-channel layer: one SCTP association (rtcweb-sctp) and its channels.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use rtcweb_sctp::{Association, SendOptions};

use crate::channel::Channel;
use crate::dcep::{ACK, DcepMessage, Open, Reliability};
use crate::message::PPID_DCEP;
use crate::{
    ChannelInfo, ChannelOptions, ChannelState, CloseReason, Config, DtlsRole, Event, Message,
    OpenError, SendError,
};

/// Largest message size this layer supports in either direction.
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;
/// Stream id 65535 is reserved (RFC 8831 §6.5).
const MAX_STREAM_ID: u16 = 65534;

/// Counters of what was dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// DCEP messages that did not parse.
    pub dcep_malformed: u64,
    /// DATA_CHANNEL_OPEN refused (wrong parity, id in use, too many channels): the stream was
    /// reset.
    pub opens_refused: u64,
    /// Messages on a stream without a channel that could not be held (limit reached).
    pub held_dropped: u64,
    /// Messages larger than our maximum (dropped in SCTP reassembly, as they arrive).
    pub too_large_dropped: u64,
    /// Messages with a PPID that carries no data (deprecated partial PPIDs, unknown ones).
    pub unknown_ppid_dropped: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Messages sent.
    pub messages_sent: u64,
}

/// WebRTC data channels over one SCTP association, sans-IO.
///
/// SCTP packets in ([`handle_datagram`](Self::handle_datagram), the plaintext of DTLS
/// application data) and out ([`poll_transmit_into`](Self::poll_transmit_into), into a buffer
/// the caller keeps, to be sent as DTLS application data); time in
/// ([`handle_timeout`](Self::handle_timeout)); events out
/// ([`poll_event`](Self::poll_event)).
pub struct DataChannels {
    sctp: Association,
    /// The latest time given to us.
    now: Instant,
    config: Config,
    connected: bool,
    closed: bool,
    channels: BTreeMap<u16, Channel>,
    /// Messages that arrived on streams with no open channel yet, in order.
    held: Vec<(u16, Message)>,
    held_bytes: usize,
    events: VecDeque<Event>,
    stats: Stats,
}

impl std::fmt::Debug for DataChannels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataChannels")
            .field("config", &self.config)
            .field("connected", &self.connected)
            .field("closed", &self.closed)
            .field("channels", &self.channels.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl DataChannels {
    /// A new association. Nothing is sent until [`connect`](Self::connect) (both WebRTC
    /// peers connect: the simultaneous INITs are settled by RFC 9260 §5.2) or until the
    /// peer's INIT arrives.
    pub fn new(config: Config, now: Instant) -> Self {
        let remote_max = match config.remote_max_message_size {
            0 => MAX_MESSAGE_SIZE,
            n => n.min(MAX_MESSAGE_SIZE),
        };
        let defaults = rtcweb_sctp::Config::default();
        let sctp = Association::new(
            rtcweb_sctp::Config {
                local_port: config.local_port,
                remote_port: config.remote_port,
                mtu: config.mtu,
                max_receive_buffer: (config.local_max_message_size * 2)
                    .max(defaults.max_receive_buffer),
                max_send_buffer: config.max_buffered_total,
                max_send_buffer_per_stream: config.max_buffered_per_channel,
                max_message_size: remote_max,
                max_receive_message_size: config.local_max_message_size,
                max_timer_backoff: config.max_timer_backoff.unwrap_or(defaults.rto_max),
                heartbeat_interval: Some(config.heartbeat_interval),
                seed: config.seed,
                ..defaults
            },
            now,
        );
        Self {
            sctp,
            now,
            config: Config {
                remote_max_message_size: remote_max,
                ..config
            },
            connected: false,
            closed: false,
            channels: BTreeMap::new(),
            held: Vec::new(),
            held_bytes: 0,
            events: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    /// Starts the association (sends INIT).
    pub fn connect(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.sctp.connect(now);
        self.drive();
    }

    /// Our INIT chunk for SNAP's SDP attribute `a=sctp-init` (draft-hancke-tsvwg-snap);
    /// see [`Association::snap_init`]. Depends only on the [`Config`] (its seed and limits),
    /// so a description made before this object exists can carry it.
    pub fn snap_init(&self) -> Vec<u8> {
        self.sctp.snap_init()
    }

    /// Starts the association established from the peer's `a=sctp-init` INIT (SNAP), in
    /// place of [`connect`](Self::connect): no handshake packets, channels open at once.
    pub fn connect_snap(
        &mut self,
        now: Instant,
        peer_init: &[u8],
    ) -> Result<(), rtcweb_sctp::SnapError> {
        self.now = self.now.max(now);
        self.sctp.connect_snap(now, peer_init)?;
        self.drive();
        Ok(())
    }

    /// Feeds one SCTP packet (decrypted DTLS application data).
    pub fn handle_datagram(&mut self, now: Instant, packet: &[u8]) {
        self.now = self.now.max(now);
        self.sctp.handle_datagram(now, packet);
        self.drive();
    }

    /// Time passed: retransmissions, delayed acknowledgements, heartbeats. Safe to call early
    /// or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.sctp.handle_timeout(now);
        self.drive();
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sctp.poll_timeout()
    }

    /// Writes the next SCTP packet to send (as DTLS application data) into `packet` (cleared
    /// first), built when asked so the congestion window decides what goes; returns whether
    /// there was one. A buffer kept between calls makes sending allocation-free.
    pub fn poll_transmit_into(&mut self, packet: &mut Vec<u8>) -> bool {
        let sent = self.sctp.poll_transmit_into(packet);
        self.drive();
        sent
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        Stats {
            too_large_dropped: self.sctp.metrics().dropped_too_large,
            ..self.stats
        }
    }

    /// The SCTP association's counters (packets, retransmissions, congestion window, RTT).
    pub fn sctp_metrics(&self) -> rtcweb_sctp::Metrics {
        self.sctp.metrics()
    }

    /// Whether the association is established.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// A channel's description.
    pub fn channel(&self, id: u16) -> Option<&ChannelInfo> {
        self.channels.get(&id).map(|c| &c.info)
    }

    /// A channel's state; `Closed` for ids without a channel.
    pub fn channel_state(&self, id: u16) -> ChannelState {
        self.channels
            .get(&id)
            .map_or(ChannelState::Closed, |c| c.state)
    }

    /// Number of channels that are not closed.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Bytes queued on a channel and not yet sent (W3C `bufferedAmount`).
    pub fn buffered_amount(&self, id: u16) -> usize {
        self.sctp.buffered_amount(id)
    }

    /// Sets the threshold of [`Event::BufferedAmountLow`] (W3C
    /// `bufferedAmountLowThreshold`).
    pub fn set_buffered_amount_low_threshold(&mut self, id: u16, bytes: usize) {
        self.sctp.set_buffered_amount_low_threshold(id, bytes);
    }

    /// Opens a channel: in-band (DATA_CHANNEL_OPEN, RFC 8832 §6) with the next free id of our
    /// DTLS role's parity, or pre-negotiated with the id in `options.negotiated`. Returns the
    /// id.
    pub fn open_channel(
        &mut self,
        now: Instant,
        options: ChannelOptions,
    ) -> Result<u16, OpenError> {
        if self.closed {
            return Err(OpenError::Closed);
        }
        if self.channels.len() >= self.config.max_channels {
            return Err(OpenError::TooManyChannels(self.config.max_channels));
        }
        if options.label.len() > usize::from(u16::MAX)
            || options.protocol.len() > usize::from(u16::MAX)
        {
            return Err(OpenError::TooLong);
        }
        self.now = self.now.max(now);
        let id = match options.negotiated {
            Some(id) if id > MAX_STREAM_ID || self.channels.contains_key(&id) => {
                return Err(OpenError::IdUnavailable(id));
            }
            Some(id) => id,
            None => self
                .free_id()
                .ok_or(OpenError::TooManyChannels(self.config.max_channels))?,
        };
        let negotiated = options.negotiated.is_some();
        let info = ChannelInfo {
            id,
            label: options.label,
            protocol: options.protocol,
            channel_type: options.channel_type,
            priority: options.priority,
            negotiated,
        };
        // A channel is open once the association is up: a pre-negotiated one at once, one
        // opened in band as soon as its DATA_CHANNEL_OPEN goes out, without waiting a
        // round trip for the ACK (RFC 8832 §6 lets the opener send before it, ordered;
        // browsers announce `open` then too).
        let state = if self.connected {
            ChannelState::Open
        } else {
            ChannelState::Connecting
        };
        if !negotiated {
            // RFC 8832 §6: DATA_CHANNEL_OPEN goes reliable and ordered on the channel's stream.
            let open = Open {
                channel_type: info.channel_type,
                priority: info.priority,
                label: &info.label,
                protocol: &info.protocol,
            };
            let mut payload = Vec::with_capacity(open.buffer_len());
            open.emit(&mut payload).map_err(|_| OpenError::TooLong)?;
            let _ = self
                .sctp
                .send(now, id, PPID_DCEP, payload, SendOptions::default());
        }
        self.channels.insert(
            id,
            Channel {
                info,
                state,
                out_reset: false,
                in_reset: false,
                awaiting_ack: !negotiated,
            },
        );
        if state == ChannelState::Open {
            self.events.push_back(Event::ChannelOpen { id });
            self.release_held(id);
        }
        self.drive();
        Ok(id)
    }

    /// The lowest free stream id of our parity (RFC 8832 §6: DTLS client even, server odd).
    fn free_id(&self) -> Option<u16> {
        let start = match self.config.role {
            DtlsRole::Client => 0u16,
            DtlsRole::Server => 1,
        };
        (start..=MAX_STREAM_ID)
            .step_by(2)
            .find(|id| !self.channels.contains_key(id))
    }

    /// Sends a message on an open channel with the channel's reliability.
    pub fn send(&mut self, now: Instant, id: u16, message: Message) -> Result<(), SendError> {
        let channel = self
            .channels
            .get(&id)
            .ok_or(SendError::UnknownChannel(id))?;
        if channel.state != ChannelState::Open {
            return Err(SendError::NotOpen(id));
        }
        // RFC 8841 §6: never send more than the peer said it can take.
        if message.data.len() > self.config.remote_max_message_size {
            return Err(SendError::TooLarge {
                len: message.data.len(),
                limit: self.config.remote_max_message_size,
            });
        }
        let channel_type = channel.info.channel_type;
        self.now = self.now.max(now);
        // RFC 8831 §6.1: the channel's reliability becomes each message's SCTP options;
        // until the peer's DATA_CHANNEL_ACK, ordered (RFC 8832 §6), so that nothing
        // overtakes our DATA_CHANNEL_OPEN.
        let options = SendOptions {
            unordered: !channel_type.ordered && !channel.awaiting_ack,
            expires: match channel_type.reliability {
                Reliability::MaxLifetimeMs(ms) => {
                    Some(self.now + Duration::from_millis(u64::from(ms)))
                }
                _ => None,
            },
            max_retransmissions: match channel_type.reliability {
                Reliability::MaxRetransmits(n) => Some(u16::try_from(n).unwrap_or(u16::MAX)),
                _ => None,
            },
        };
        let (ppid, payload) = message.into_sctp();
        self.sctp
            .send(now, id, ppid, payload, options)
            .map_err(|e| match e {
                rtcweb_sctp::SendError::TooLarge { len, limit } => {
                    SendError::TooLarge { len, limit }
                }
                rtcweb_sctp::SendError::BufferFull => SendError::Full,
                _ => SendError::NotOpen(id),
            })?;
        self.stats.messages_sent += 1;
        self.drive();
        Ok(())
    }

    /// Closes a channel by resetting its outgoing stream (RFC 8831 §6.7); the peer resets its
    /// own, and [`Event::ChannelClosed`] follows.
    pub fn close_channel(&mut self, now: Instant, id: u16) {
        self.now = self.now.max(now);
        let Some(channel) = self.channels.get_mut(&id) else {
            return;
        };
        if matches!(channel.state, ChannelState::Closing | ChannelState::Closed) {
            return;
        }
        channel.state = ChannelState::Closing;
        if self.connected {
            self.sctp.reset_streams(now, &[id]);
        } else {
            // Nothing was ever on the wire.
            self.finish_close(id);
        }
        self.drive();
    }

    /// Shuts the association down gracefully (SHUTDOWN, RFC 9260 §9.2); every channel closes.
    pub fn close(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if !self.closed {
            self.sctp.shutdown(now);
        }
        self.drive();
    }

    fn finish_close(&mut self, id: u16) {
        if self.channels.remove(&id).is_some() {
            self.events.push_back(Event::ChannelClosed { id });
        }
    }

    fn release_held(&mut self, id: u16) {
        if self.held.iter().all(|(s, _)| *s != id) {
            return;
        }
        let held = std::mem::take(&mut self.held);
        for (stream, message) in held {
            if stream == id {
                self.held_bytes -= message.data.len();
                self.stats.messages_received += 1;
                self.events.push_back(Event::Message { id, message });
            } else {
                self.held.push((stream, message));
            }
        }
    }

    /// Drains the association's events.
    fn drive(&mut self) {
        while let Some(event) = self.sctp.poll_event() {
            self.sctp_event(event);
        }
    }

    fn sctp_event(&mut self, event: rtcweb_sctp::Event) {
        use rtcweb_sctp::Event as E;
        match event {
            E::Connected if !self.connected => {
                self.connected = true;
                self.events.push_back(Event::Connected);
                // Channels created before the association open with it: pre-negotiated
                // ones, and ours whose DATA_CHANNEL_OPEN goes out now (see `open_channel`).
                let ids: Vec<u16> = self
                    .channels
                    .values()
                    .filter(|c| c.state == ChannelState::Connecting)
                    .map(|c| c.info.id)
                    .collect();
                for id in ids {
                    if let Some(c) = self.channels.get_mut(&id) {
                        c.state = ChannelState::Open;
                    }
                    self.events.push_back(Event::ChannelOpen { id });
                    self.release_held(id);
                }
            }
            E::Closed(rtcweb_sctp::CloseReason::Shutdown) => {
                self.association_ended(CloseReason::Shutdown)
            }
            E::Closed(reason) => self.association_ended(CloseReason::Aborted(reason.to_string())),
            E::BufferedAmountLow { stream } if self.channels.contains_key(&stream) => {
                self.events
                    .push_back(Event::BufferedAmountLow { id: stream });
            }
            E::IncomingStreamsReset(streams) => {
                for id in streams {
                    self.incoming_reset(id);
                }
            }
            E::OutgoingStreamsReset(streams) | E::OutgoingStreamsResetFailed(streams) => {
                for id in streams {
                    if let Some(c) = self.channels.get_mut(&id) {
                        c.out_reset = true;
                        if c.in_reset {
                            self.finish_close(id);
                        }
                    }
                }
            }
            E::Message(m) => self.received(m.stream, m.ppid, m.data),
            _ => {}
        }
    }

    /// RFC 8831 §6.7: the peer reset its outgoing stream; reset ours too.
    fn incoming_reset(&mut self, id: u16) {
        let Some(c) = self.channels.get_mut(&id) else {
            return;
        };
        c.in_reset = true;
        if c.out_reset {
            self.finish_close(id);
            return;
        }
        if c.state != ChannelState::Closing {
            c.state = ChannelState::Closing;
            self.events.push_back(Event::ChannelClosing { id });
            self.sctp.reset_streams(self.now, &[id]);
        }
    }

    fn association_ended(&mut self, reason: CloseReason) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.connected = false;
        let ids: Vec<u16> = self.channels.keys().copied().collect();
        for id in ids {
            self.finish_close(id);
        }
        self.held.clear();
        self.held_bytes = 0;
        self.events.push_back(Event::Closed(reason));
    }

    fn received(&mut self, id: u16, ppid: u32, payload: Vec<u8>) {
        if ppid == PPID_DCEP {
            return self.dcep(id, &payload);
        }
        let Some(msg) = Message::from_sctp(ppid, payload) else {
            self.stats.unknown_ppid_dropped += 1;
            return;
        };
        match self.channels.get_mut(&id) {
            Some(c) if c.state == ChannelState::Open => {
                // RFC 8832 §6: data from the peer on the stream is an implicit ACK.
                c.awaiting_ack = false;
                self.stats.messages_received += 1;
                self.events.push_back(Event::Message { id, message: msg });
            }
            Some(c) if c.state == ChannelState::Connecting && !c.info.negotiated => {
                // RFC 8832 §6: data on the stream means the peer got our OPEN: an implicit
                // ACK (the ACK itself may still be in flight on an unordered path).
                c.state = ChannelState::Open;
                c.awaiting_ack = false;
                self.events.push_back(Event::ChannelOpen { id });
                self.stats.messages_received += 1;
                self.events.push_back(Event::Message { id, message: msg });
            }
            Some(c) if c.state == ChannelState::Closing => {
                // Still delivered until the peer's reset arrives (RFC 8831 §6.7).
                self.stats.messages_received += 1;
                self.events.push_back(Event::Message { id, message: msg });
            }
            _ => {
                // No channel yet (the OPEN comes later, or a pre-negotiated channel the owner
                // has not created yet): hold it, bounded.
                if self.held_bytes + msg.data.len() > self.config.max_held_bytes {
                    self.stats.held_dropped += 1;
                } else {
                    self.held_bytes += msg.data.len();
                    self.held.push((id, msg));
                }
            }
        }
    }

    fn dcep(&mut self, id: u16, payload: &[u8]) {
        match DcepMessage::parse(payload) {
            Ok(DcepMessage::Ack) => {
                if let Some(c) = self.channels.get_mut(&id) {
                    c.awaiting_ack = false;
                }
                if let Some(c) = self.channels.get_mut(&id)
                    && c.state == ChannelState::Connecting
                    && !c.info.negotiated
                {
                    c.state = ChannelState::Open;
                    self.events.push_back(Event::ChannelOpen { id });
                    self.release_held(id);
                }
            }
            Ok(DcepMessage::Open(open)) => {
                let ours = match self.config.role {
                    DtlsRole::Client => id % 2 == 0,
                    DtlsRole::Server => id % 2 == 1,
                };
                // RFC 8832 §6: an OPEN on an id of our parity, on an id in use, or beyond our
                // limits is refused by resetting the stream.
                if ours
                    || id > MAX_STREAM_ID
                    || self.channels.contains_key(&id)
                    || self.channels.len() >= self.config.max_channels
                {
                    self.stats.opens_refused += 1;
                    self.sctp.reset_streams(self.now, &[id]);
                    return;
                }
                let info = ChannelInfo {
                    id,
                    label: open.label.to_owned(),
                    protocol: open.protocol.to_owned(),
                    channel_type: open.channel_type,
                    priority: open.priority,
                    negotiated: false,
                };
                // RFC 8832 §6: answer with DATA_CHANNEL_ACK; the channel is open.
                let _ = self
                    .sctp
                    .send(self.now, id, PPID_DCEP, vec![ACK], SendOptions::default());
                self.channels.insert(
                    id,
                    Channel {
                        info: info.clone(),
                        state: ChannelState::Open,
                        out_reset: false,
                        in_reset: false,
                        awaiting_ack: false,
                    },
                );
                self.events.push_back(Event::IncomingChannel(info));
                self.release_held(id);
            }
            Err(_) => self.stats.dcep_malformed += 1,
        }
    }
}
