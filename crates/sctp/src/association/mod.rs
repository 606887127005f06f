//! The association (RFC 9260): handshake, data transfer with retransmission and congestion
//! control, partial reliability (RFC 3758), stream reset (RFC 6525) and shutdown, as one
//! sans-IO state machine.
//!
//! Every public method of [`Association`] is in this file. The topic modules keep their
//! logic behind a narrow `pub(super)` interface: `handshake` (its [`Handshake`] state: cookies
//! and T1), `shutdown` (its [`Shutdown`] state: T2), `reconfig` (stream reset, a [`Reconfig`]
//! that owns its state and answers with an [`Outcome`]), `transmit` (building packets; its
//! [`Pending`] owns T3-rtx and what the next packet must carry: SACK timing, FORWARD TSN,
//! fast retransmit), and the bookkeeping types (`outstanding`, `received`, `reassembly`,
//! `ordering`, `send_queue`, `congestion`, `rto`).

mod congestion;
mod cookie;
mod handshake;
mod metrics;
mod ordering;
mod outstanding;
mod reassembly;
mod received;
mod reconfig;
mod rto;
mod send_queue;
mod shutdown;
mod snap;
mod transmit;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use self::congestion::Congestion;
use self::cookie::PeerInit;
use self::handshake::Handshake;
use self::ordering::Ordering;
use self::outstanding::Outstanding;
use self::reassembly::{Reassembly, Whole};
use self::received::ReceivedTsns;
use self::reconfig::{Outcome, Reconfig};
use self::rto::Rto;
use self::send_queue::{QueueError, SendQueue};
use self::shutdown::Shutdown;
use self::transmit::Pending;
use crate::timer::earliest;
use crate::tsn::unwrap_tsn;
use crate::wire::{
    Abort, Chunk, ChunkType, Data, ErrorCause, Packet, ReConfig, Sack, SkippedStream, UnknownChunk,
};
use crate::{CloseReason, Config, Event, Received, SendError};

pub use self::metrics::Metrics;
pub use self::send_queue::SendOptions;
pub use self::snap::SnapError;

/// TSNs are unwrapped into a 64-bit space starting here, so `initial - 1` never underflows.
const TSN_BASE: u64 = 1 << 32;
/// Most TSNs accepted ahead of the cumulative TSN: bounds the gap bookkeeping.
const MAX_TSN_AHEAD: u64 = 1 << 16;
/// Most HEARTBEAT ACKs waiting to be sent.
const MAX_HEARTBEAT_ACKS: usize = 4;
/// Longest HEARTBEAT info echoed.
const MAX_HEARTBEAT_INFO: usize = 512;

/// Where the association is (RFC 9260 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started, or ended.
    Closed,
    /// INIT sent.
    CookieWait,
    /// COOKIE ECHO sent.
    CookieEchoed,
    /// Messages flow.
    Established,
    /// A shutdown was asked for; outstanding data is still being sent.
    ShutdownPending,
    /// SHUTDOWN sent.
    ShutdownSent,
    /// The peer sent SHUTDOWN; our outstanding data is still being sent.
    ShutdownReceived,
    /// SHUTDOWN ACK sent.
    ShutdownAckSent,
}

/// One SCTP association, sans-IO: SCTP packets in
/// ([`handle_datagram`](Self::handle_datagram)) and out
/// ([`poll_transmit_into`](Self::poll_transmit_into), into a buffer the caller keeps), time
/// in ([`handle_timeout`](Self::handle_timeout)), events out
/// ([`poll_event`](Self::poll_event)).
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtcweb_sctp::{Association, Config, Event, SendOptions};
///
/// let mut now = Instant::now();
/// let mut a = Association::new(Config { seed: 1, ..Config::default() }, now);
/// let mut b = Association::new(Config { seed: 2, ..Config::default() }, now);
/// // WebRTC: both sides connect once DTLS is up (RFC 8841 §6).
/// a.connect(now);
/// b.connect(now);
/// a.send(now, 0, 51, b"hello".to_vec(), SendOptions::default())?;
/// let mut got = None;
/// // One buffer for every packet: no allocation per packet.
/// let mut packet = Vec::new();
/// for _ in 0..20 {
///     while a.poll_transmit_into(&mut packet) { b.handle_datagram(now, &packet); }
///     while b.poll_transmit_into(&mut packet) { a.handle_datagram(now, &packet); }
///     while let Some(e) = b.poll_event() {
///         if let Event::Message(m) = e { got = Some(m.data); }
///     }
///     while a.poll_event().is_some() {}
///     // Sleep until the next deadline (simulated here).
///     if let Some(t) = a.poll_timeout().into_iter().chain(b.poll_timeout()).min() {
///         now = now.max(t.min(now + Duration::from_millis(10)));
///     }
///     a.handle_timeout(now);
///     b.handle_timeout(now);
/// }
/// assert_eq!(got.as_deref(), Some(&b"hello"[..]));
/// # Ok::<(), rtcweb_sctp::SendError>(())
/// ```
#[derive(Debug)]
pub struct Association {
    config: Config,
    rng: StdRng,
    /// The latest time given to us.
    now: Instant,
    state: State,
    /// The association ended ([`Event::Closed`] was emitted).
    ended: bool,
    local_tag: u32,
    local_initial_tsn: u32,
    /// What the peer's INIT or INIT ACK said, once known.
    peer: Option<PeerInit>,
    /// Cookies and T1 (handshake.rs).
    handshake: Handshake,
    /// T2-shutdown (shutdown.rs).
    shutdown: Shutdown,
    /// T3-rtx and what the next packet must carry (transmit.rs).
    pending: Pending,
    /// When the next HEARTBEAT is due, and the one outstanding (nonce, sent at).
    heartbeat_due: Option<Instant>,
    heartbeat_outstanding: Option<(u64, Instant)>,
    heartbeat_send: bool,
    heartbeat_acks: VecDeque<Vec<u8>>,
    rto: Rto,
    congestion: Congestion,
    send_queue: SendQueue,
    outstanding: Outstanding,
    received: ReceivedTsns,
    reassembly: Reassembly,
    ordering: Ordering,
    reconfig: Reconfig,
    /// Whole packets waiting to go out before anything else (handshake, shutdown, abort).
    control: VecDeque<Vec<u8>>,
    /// Consecutive expirations without a sign of the peer (RFC 9260 §8.1).
    errors: u32,
    events: VecDeque<Event>,
    metrics: Metrics,
    /// Scratch space, kept to avoid allocating per packet.
    scratch_wholes: Vec<Whole>,
    scratch_skipped: Vec<SkippedStream>,
}

/// The public API: every command, input and output of the association is here.
impl Association {
    /// A new association; nothing is sent until [`connect`](Self::connect) or the peer's
    /// INIT.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut rng = StdRng::seed_from_u64(config.seed);
        // RFC 9260 §5.3.1: the Initiate Tag is never 0.
        let local_tag = rng.random_range(1..=u32::MAX);
        let local_initial_tsn = rng.random();
        let rto = Rto::new(config.rto_initial, config.rto_min, config.rto_max);
        let mtu = config.mtu;
        Self {
            rng,
            now,
            state: State::Closed,
            ended: false,
            local_tag,
            local_initial_tsn,
            peer: None,
            handshake: Handshake::default(),
            pending: Pending::default(),
            shutdown: Shutdown::default(),
            heartbeat_due: None,
            heartbeat_outstanding: None,
            heartbeat_send: false,
            heartbeat_acks: VecDeque::new(),
            rto,
            congestion: Congestion::new(mtu, config.max_receive_buffer),
            send_queue: SendQueue::default(),
            outstanding: Outstanding::new(TSN_BASE + u64::from(local_initial_tsn)),
            received: ReceivedTsns::new(TSN_BASE),
            reassembly: Reassembly::default(),
            ordering: Ordering::default(),
            reconfig: Reconfig::new(local_initial_tsn),
            control: VecDeque::new(),
            errors: 0,
            events: VecDeque::new(),
            metrics: Metrics::default(),
            scratch_wholes: Vec::new(),
            scratch_skipped: Vec::new(),
            config,
        }
    }

    /// Where the association is.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether messages can be sent and received.
    pub fn is_established(&self) -> bool {
        matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownReceived
        )
    }

    /// Starts the association: sends INIT (RFC 9260 §5.1 A). Both WebRTC peers call it once
    /// DTLS is connected; the simultaneous INITs are settled by §5.2.1.
    pub fn connect(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if !self.ended && self.state == State::Closed {
            self.start_handshake();
        }
    }

    /// Our INIT chunk (header and value, RFC 9260 §3.3.2) for the SDP attribute
    /// `a=sctp-init` of SNAP (draft-hancke-tsvwg-snap): the tag, initial TSN, window,
    /// streams and extensions this association uses, the same for every call and the same
    /// as the INIT the handshake would send.
    pub fn snap_init(&self) -> Vec<u8> {
        self.snap_init_chunk()
    }

    /// Starts the association established from the peer's INIT chunk, as its `a=sctp-init`
    /// carried it (SNAP, draft-hancke-tsvwg-snap): no INIT, INIT ACK, COOKIE ECHO or COOKIE
    /// ACK; [`Event::Connected`] comes at once. Call it instead of
    /// [`connect`](Self::connect) once DTLS is up, when both descriptions carried
    /// `a=sctp-init` (ours being [`snap_init`](Self::snap_init)).
    pub fn connect_snap(&mut self, now: Instant, peer_init: &[u8]) -> Result<(), SnapError> {
        self.now = self.now.max(now);
        let peer = Self::peer_init_from_sdp(peer_init)?;
        self.start_from_peer_init(peer)
    }

    /// Queues a message on `stream` with payload protocol identifier `ppid`. It is cut into
    /// DATA chunks as the congestion and receive windows allow.
    pub fn send(
        &mut self,
        now: Instant,
        stream: u16,
        ppid: u32,
        data: impl Into<Bytes>,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.now = self.now.max(now);
        if self.ended
            || matches!(
                self.state,
                State::ShutdownPending
                    | State::ShutdownSent
                    | State::ShutdownReceived
                    | State::ShutdownAckSent
            )
        {
            return Err(SendError::Closed);
        }
        let data = data.into();
        if data.len() > self.config.max_message_size {
            return Err(SendError::TooLarge {
                len: data.len(),
                limit: self.config.max_message_size,
            });
        }
        let limits = (
            self.config.max_send_buffer,
            self.config.max_send_buffer_per_stream,
        );
        self.send_queue
            .push(stream, ppid, data, options, limits)
            .map_err(|e| match e {
                QueueError::Full => SendError::BufferFull,
                QueueError::Resetting => SendError::StreamResetting(stream),
            })
    }

    /// Resets outgoing streams (RFC 6525 §5.1.2): what is queued on them is still sent, then
    /// an Outgoing SSN Reset Request goes out; [`Event::OutgoingStreamsReset`] follows once
    /// the peer performed it. The streams refuse new messages until then.
    pub fn reset_streams(&mut self, now: Instant, streams: &[u16]) {
        self.now = self.now.max(now);
        if self.ended {
            return;
        }
        for &s in streams {
            self.send_queue.start_reset(s);
            self.reconfig.add(s);
        }
        self.reconfig_progress();
    }

    /// Shuts the association down gracefully: what is queued is still delivered, then the
    /// association closes with [`CloseReason::Shutdown`]. Before it is established, it just
    /// ends.
    pub fn shutdown(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if !self.ended {
            self.begin_shutdown();
        }
    }

    /// Aborts the association at once (RFC 9260 §9.1), with an optional reason for the peer.
    pub fn abort(&mut self, now: Instant, reason: Option<&str>) {
        self.now = self.now.max(now);
        if self.ended {
            return;
        }
        self.queue_abort(reason);
        self.terminate(CloseReason::AbortedByUs, false);
    }

    /// Bytes queued on `stream` and not yet sent (W3C `bufferedAmount`).
    pub fn buffered_amount(&self, stream: u16) -> usize {
        self.send_queue.buffered(stream)
    }

    /// Sets the threshold under which [`Event::BufferedAmountLow`] fires for `stream`.
    pub fn set_buffered_amount_low_threshold(&mut self, stream: u16, bytes: usize) {
        self.send_queue.set_low_threshold(stream, bytes);
    }

    /// Counters and the congestion state.
    pub fn metrics(&self) -> Metrics {
        Metrics {
            cwnd: self.congestion.cwnd,
            ssthresh: self.congestion.ssthresh,
            peer_rwnd: self.congestion.peer_rwnd,
            in_flight: self.outstanding.flight_size(),
            unacked_chunks: self.outstanding.unacked_chunks(),
            queued: self.send_queue.total_buffered(),
            srtt: self.rto.srtt(),
            rto: self.rto.rto(),
            retransmitted_chunks: self.outstanding.retransmissions,
            abandoned_messages: self.outstanding.abandoned_messages,
            expired_unsent: self.send_queue.expired_unsent,
            ..self.metrics
        }
    }

    /// The smoothed round-trip time, once measured.
    pub fn rtt(&self) -> Option<Duration> {
        self.rto.srtt()
    }

    /// Feeds one SCTP packet (the plaintext of DTLS application data). Bad packets are
    /// counted in [`metrics`](Self::metrics) and dropped.
    pub fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
        if self.ended {
            self.out_of_the_blue(bytes);
            return;
        }
        let packet = match Packet::parse(bytes) {
            Ok(p) => p,
            Err(_) => {
                self.metrics.dropped_malformed += 1;
                return;
            }
        };
        self.metrics.packets_received += 1;
        let header = packet.header();
        if header.destination_port != self.config.local_port
            || header.source_port != self.config.remote_port
        {
            self.metrics.dropped_bad_tag += 1;
            return;
        }
        if !self.tag_ok(&packet) {
            self.metrics.dropped_bad_tag += 1;
            return;
        }
        let mut had_data = false;
        let mut immediate = false;
        for chunk in packet.chunks() {
            let chunk = match chunk {
                Ok(c) => c,
                Err(_) => {
                    self.metrics.dropped_malformed += 1;
                    break;
                }
            };
            match chunk {
                Chunk::Data(d) => {
                    had_data = true;
                    immediate |= self.handle_data(&d);
                }
                Chunk::Init(init) => self.handle_init(&init),
                Chunk::InitAck(init) => self.handle_init_ack(&init),
                Chunk::CookieEcho(cookie) => self.handle_cookie_echo(cookie),
                Chunk::CookieAck => self.handle_cookie_ack(),
                Chunk::Sack(s) => self.handle_sack(&s),
                Chunk::Heartbeat(h) => {
                    if h.info.len() <= MAX_HEARTBEAT_INFO
                        && self.heartbeat_acks.len() < MAX_HEARTBEAT_ACKS
                    {
                        self.heartbeat_acks.push_back(h.info.to_vec());
                    }
                }
                Chunk::HeartbeatAck(h) => self.handle_heartbeat_ack(h.info),
                Chunk::Abort(a) => {
                    self.handle_abort(&a);
                    return;
                }
                Chunk::Shutdown { cumulative_tsn_ack } => self.handle_shutdown(cumulative_tsn_ack),
                Chunk::ShutdownAck => self.handle_shutdown_ack(),
                Chunk::ShutdownComplete { .. } => {
                    if self.state == State::ShutdownAckSent {
                        self.terminate(CloseReason::Shutdown, false);
                        return;
                    }
                }
                Chunk::Error(_) => self.metrics.errors_received += 1,
                Chunk::ForwardTsn(f) => {
                    self.handle_forward_tsn(f.new_cumulative_tsn, f.streams.iter());
                    immediate = true;
                }
                Chunk::ReConfig(r) => self.handle_reconfig(&r),
                Chunk::Unknown(u) => {
                    if !self.handle_unknown(&u) {
                        break;
                    }
                }
            }
            if self.ended {
                return;
            }
        }
        if had_data {
            // RFC 9260 §6.7: at once on gaps and duplicates, and when shutting down.
            let at_once =
                immediate || self.received.has_gaps() || !matches!(self.state, State::Established);
            self.pending
                .data_packet_received(self.now, at_once, self.config.delayed_ack);
        }
        self.after_input();
    }

    /// Time passed: retransmissions, delayed acknowledgements, heartbeats. Safe to call
    /// early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        if self.ended {
            return;
        }
        if self.handshake.expired(now) {
            self.handshake_timeout();
        }
        if self.shutdown.expired(now) {
            self.t2_expired();
        }
        if self.pending.t3_expired(now) {
            self.t3_expired();
        }
        self.pending.delayed_ack_timeout(now);
        if self.heartbeat_due.is_some_and(|t| t <= now) {
            self.heartbeat_expired();
        }
        if self.reconfig.expired(now) {
            self.count_error();
            self.reconfig.retransmit();
        }
    }

    /// Writes the next SCTP packet to send (as DTLS application data), built now from what
    /// waits, into `packet` (cleared first, grown to at most the MTU); returns whether there
    /// was one. A buffer kept between calls makes sending allocation-free.
    pub fn poll_transmit_into(&mut self, packet: &mut Vec<u8>) -> bool {
        self.write_next_packet(packet)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due; `None` when nothing waits.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.ended {
            return None;
        }
        earliest([
            self.handshake.deadline(),
            self.shutdown.deadline(),
            self.pending.t3_deadline(),
            self.pending.delayed_ack_deadline(),
            self.heartbeat_due,
            self.reconfig.deadline(),
        ])
    }
}

/// The machinery under the public API; the topic modules (handshake, shutdown, stream reset,
/// packet building) hold the rest.
impl Association {
    /// The chunk type ids we support beyond RFC 9260 (Supported Extensions, RFC 5061 §4.2.7).
    const EXTENSIONS: [u8; 2] = [ChunkType::RE_CONFIG.0, ChunkType::FORWARD_TSN.0];

    /// One more expiration without a sign of the peer; gives up past the limit (§8.1).
    fn count_error(&mut self) {
        self.errors += 1;
        if let Some(max) = self.config.max_retransmissions
            && self.errors > max
        {
            self.terminate(CloseReason::TooManyRetransmissions, true);
        }
    }

    /// T3-rtx expired (RFC 9260 §6.3.3).
    fn t3_expired(&mut self) {
        if !self.outstanding.has_in_flight() {
            return;
        }
        self.count_error();
        if self.ended {
            return;
        }
        self.congestion.on_timeout();
        let partial = self.peer.is_some_and(|p| p.forward_tsn);
        for (stream, message) in self.outstanding.mark_all_for_retransmit(self.now, partial) {
            self.send_queue.abandon(stream, message);
        }
        self.check_forward_tsn();
        // E2: the timer restarts with the backed-off RTO when the retransmission goes out.
        self.pending
            .restart_t3(self.now, self.rto.rto(), self.config.max_timer_backoff);
    }

    /// The heartbeat interval passed (RFC 9260 §8.3).
    fn heartbeat_expired(&mut self) {
        self.heartbeat_due = None;
        if !self.is_established() {
            return;
        }
        if self.heartbeat_outstanding.take().is_some() {
            // The last one went unanswered.
            self.count_error();
            if self.ended {
                return;
            }
        }
        self.heartbeat_send = true;
        self.schedule_heartbeat();
    }

    fn schedule_heartbeat(&mut self) {
        if let Some(interval) = self.config.heartbeat_interval {
            // §8.3: the interval plus the RTO.
            self.heartbeat_due = Some(self.now + interval + self.rto.rto());
        }
    }

    /// A packet after the association ended (RFC 9260 §8.4): a SHUTDOWN ACK means our
    /// SHUTDOWN COMPLETE was lost, so it is answered again, with the T bit (§8.4 5).
    fn out_of_the_blue(&mut self, bytes: &[u8]) {
        let Ok(packet) = Packet::parse(bytes) else {
            return;
        };
        if packet.chunks().any(|c| matches!(c, Ok(Chunk::ShutdownAck))) {
            self.queue_control(
                packet.header().verification_tag,
                &Chunk::ShutdownComplete {
                    reflected_tag: true,
                },
            );
        }
    }

    /// Verification tag rules (RFC 9260 §8.5, §8.5.1).
    fn tag_ok(&self, packet: &Packet<'_>) -> bool {
        let tag = packet.header().verification_tag;
        // The common case (DATA, SACK, ...) needs no look into the chunk: the loop that
        // follows parses it once.
        if !matches!(
            packet.first_chunk_type(),
            Some(ChunkType::INIT | ChunkType::ABORT | ChunkType::SHUTDOWN_COMPLETE)
        ) {
            return tag == self.local_tag;
        }
        match packet.chunks().next() {
            Some(Ok(Chunk::Init(_))) => {
                // §8.5.1 A: INIT alone, with tag 0.
                tag == 0 && packet.chunks().count() == 1
            }
            Some(Ok(Chunk::Abort(a))) if a.reflected_tag => self.peer.is_some_and(|p| p.tag == tag),
            Some(Ok(Chunk::ShutdownComplete {
                reflected_tag: true,
            })) => self.peer.is_some_and(|p| p.tag == tag),
            _ => tag == self.local_tag,
        }
    }

    /// A DATA chunk (RFC 9260 §6.2). Returns whether a SACK should go out at once.
    fn handle_data(&mut self, d: &Data<'_>) -> bool {
        if !matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownSent
        ) {
            self.metrics.dropped_out_of_state += 1;
            return false;
        }
        if d.payload.is_empty() {
            // §6.2: DATA without user data is a protocol violation; dropped.
            self.metrics.dropped_malformed += 1;
            return false;
        }
        let cum = self.received.cum();
        let tsn = unwrap_tsn(cum, d.tsn);
        if tsn > cum + MAX_TSN_AHEAD {
            self.metrics.dropped_out_of_window += 1;
            return false;
        }
        if self.received.contains(tsn) {
            self.received.record(tsn);
            self.metrics.duplicates_received += 1;
            return true;
        }
        // §6.2: beyond the advertised window, new data is dropped (the next in-order TSN
        // is still taken, so a full buffer of out-of-order data cannot block the link).
        let held = self.reassembly.bytes() + self.ordering.bytes();
        let limit = self.config.max_receive_buffer;
        let in_order = tsn == cum + 1;
        if held + d.payload.len() > limit && !(in_order && held + d.payload.len() <= 2 * limit) {
            self.metrics.dropped_out_of_window += 1;
            return true;
        }
        // New: `contains` said so above.
        self.received.record(tsn);
        self.metrics.data_chunks_received += 1;
        self.metrics.bytes_received += d.payload.len() as u64;
        if let Some(whole) = self
            .reassembly
            .add(tsn, d, self.config.max_receive_message_size)
        {
            self.deliver(whole);
        }
        d.immediate || !in_order
    }

    /// A whole message: in stream order to the owner.
    fn deliver(&mut self, whole: Whole) {
        let mut out = std::mem::take(&mut self.scratch_wholes);
        self.ordering.push(whole, &mut out);
        self.emit_messages(&mut out);
        self.scratch_wholes = out;
    }

    fn emit_messages(&mut self, out: &mut Vec<Whole>) {
        for w in out.drain(..) {
            if w.dropped {
                self.metrics.dropped_too_large += 1;
                continue;
            }
            self.metrics.messages_received += 1;
            self.events.push_back(Event::Message(Received {
                stream: w.stream,
                ppid: w.ppid,
                unordered: w.unordered,
                data: w.data,
            }));
        }
    }

    /// A SACK (RFC 9260 §6.2.1).
    fn handle_sack(&mut self, s: &Sack<'_>) {
        if !self.is_established() && self.state != State::ShutdownSent {
            return;
        }
        let known = self.outstanding.cum_ack();
        let cum = unwrap_tsn(known, s.cumulative_tsn_ack);
        if cum < known {
            // An old SACK that arrived late (§6.2.1 D i).
            return;
        }
        let flight_before = self.outstanding.flight_size();
        let partial = self.peer.is_some_and(|p| p.forward_tsn);
        let outcome = self
            .outstanding
            .handle_sack(self.now, cum, s.gap_blocks.iter(), partial);
        self.congestion.peer_rwnd =
            (s.a_rwnd as usize).saturating_sub(self.outstanding.flight_size());
        if let Some(rtt) = outcome.rtt {
            self.rto.measure(rtt);
        }
        // §8.3: any acknowledgement shows the peer is alive.
        self.errors = 0;
        self.congestion.on_ack(
            cum,
            outcome.cum_advanced,
            outcome.bytes_acked,
            flight_before,
        );
        if outcome.fast_retransmit {
            self.pending
                .set_fast_retransmit(!self.congestion.in_fast_recovery());
            self.congestion
                .on_fast_retransmit(self.outstanding.next_tsn() - 1);
        }
        for (stream, message) in outcome.abandoned {
            self.send_queue.abandon(stream, message);
        }
        // §6.3.2 R2/R3.
        if !self.outstanding.has_in_flight() {
            self.pending.stop_t3();
        } else if outcome.cum_advanced {
            self.pending.start_t3_fresh(self.now, self.rto.rto());
        }
        self.check_forward_tsn();
    }

    /// Whether a FORWARD TSN should go out (RFC 3758 §3.5 C1-C3).
    fn check_forward_tsn(&mut self) {
        if self.peer.is_some_and(|p| p.forward_tsn)
            && self
                .outstanding
                .forward_tsn(&mut self.scratch_skipped)
                .is_some()
        {
            self.pending.forward_tsn();
        }
    }

    /// FORWARD TSN (RFC 3758 §3.6).
    fn handle_forward_tsn(&mut self, new_cum: u32, streams: impl Iterator<Item = SkippedStream>) {
        if !self.is_established() && self.state != State::ShutdownSent {
            return;
        }
        let cum = self.received.cum();
        let new_cum = unwrap_tsn(cum, new_cum);
        if new_cum <= cum || new_cum > cum + MAX_TSN_AHEAD {
            return;
        }
        self.received.forward(new_cum);
        self.reassembly.forget_up_to(new_cum);
        let mut out = std::mem::take(&mut self.scratch_wholes);
        for s in streams {
            self.reassembly.forget_stream(s.stream_id, s.ssn);
            self.ordering.skip(s.stream_id, s.ssn, &mut out);
        }
        self.emit_messages(&mut out);
        self.scratch_wholes = out;
    }

    fn handle_heartbeat_ack(&mut self, info: &[u8]) {
        let Some((nonce, sent)) = self.heartbeat_outstanding else {
            return;
        };
        if info == nonce.to_be_bytes() {
            self.heartbeat_outstanding = None;
            self.errors = 0;
            self.rto.measure(self.now.saturating_duration_since(sent));
        }
    }

    fn handle_abort(&mut self, a: &Abort<'_>) {
        let why = a
            .causes
            .iter()
            .map(|c: ErrorCause<'_>| {
                if c.code == crate::wire::CauseCode::USER_INITIATED_ABORT
                    || c.code == crate::wire::CauseCode::PROTOCOL_VIOLATION
                {
                    format!("cause {}: {}", c.code.0, String::from_utf8_lossy(c.value))
                } else {
                    format!("cause {}", c.code.0)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        self.terminate(CloseReason::AbortedByPeer(why), false);
    }

    /// An unrecognized chunk (RFC 9260 §3.2): returns whether to go on with the packet.
    fn handle_unknown(&mut self, u: &UnknownChunk<'_>) -> bool {
        self.metrics.unknown_chunks += 1;
        let action = u.action();
        if action.reports() {
            self.queue_error_unrecognized(u);
        }
        action.skips()
    }

    /// Starts the next stream reset request when none is on the wire and streams are drained.
    fn reconfig_progress(&mut self) {
        if !self.is_established() || !self.peer.is_some_and(|p| p.reconfig) {
            return;
        }
        // Each stream id takes 2 bytes; keep the chunk well inside a packet.
        let most = (self.config.mtu.saturating_sub(64) / 2).max(1);
        // RFC 6525 §4.1: the last TSN we assigned.
        let last_tsn = (self.outstanding.next_tsn() - 1) as u32;
        let queue = &self.send_queue;
        self.reconfig
            .progress(most, last_tsn, |s| queue.is_drained(s));
    }

    /// A RE-CONFIG chunk (RFC 6525 §5.2): each parameter to the stream reset state, and what
    /// it asks of us done here.
    fn handle_reconfig(&mut self, chunk: &ReConfig<'_>) {
        if !self.is_established() {
            return;
        }
        for param in chunk.params.iter() {
            let last_tsn = (self.outstanding.next_tsn() - 1) as u32;
            let outcome =
                self.reconfig
                    .handle_param(self.now, param, self.received.cum(), last_tsn);
            match outcome {
                None => {}
                Some(Outcome::IncomingReset(streams)) => {
                    self.ordering.reset(&streams);
                    self.events.push_back(Event::IncomingStreamsReset(streams));
                }
                // An answer to our request shows the peer is alive.
                Some(Outcome::InProgress) => self.errors = 0,
                Some(Outcome::OutgoingDone { streams, performed }) => {
                    self.errors = 0;
                    for &s in &streams {
                        self.send_queue.finish_reset(s, performed);
                    }
                    self.events.push_back(if performed {
                        Event::OutgoingStreamsReset(streams)
                    } else {
                        Event::OutgoingStreamsResetFailed(streams)
                    });
                    self.reconfig_progress();
                }
            }
        }
    }

    /// Work that follows any input: shutdown and reset progress, buffered-amount events.
    fn after_input(&mut self) {
        self.progress_shutdown();
        self.reconfig_progress();
        for stream in self.send_queue.take_low() {
            self.events.push_back(Event::BufferedAmountLow { stream });
        }
    }

    /// Ends the association: emits [`Event::Closed`]; with `send_abort`, tells the peer.
    fn terminate(&mut self, reason: CloseReason, send_abort: bool) {
        if self.ended {
            return;
        }
        if send_abort {
            self.queue_abort(None);
        }
        self.ended = true;
        self.state = State::Closed;
        self.handshake.stop();
        self.shutdown.stop();
        self.pending.stop();
        self.reconfig.stop();
        self.heartbeat_due = None;
        self.send_queue.clear();
        self.outstanding.clear();
        self.events.push_back(Event::Closed(reason));
    }
}

/// Rules pinned down on one association, fed hand-made packets: what is easier to check
/// against its own state than end to end.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CommonHeader, GapBlock, Init, PacketWriter, Param, TlvList};

    const MS: Duration = Duration::from_millis(1);

    #[allow(clippy::disallowed_methods)] // the epoch of simulated time
    fn epoch() -> Instant {
        Instant::now()
    }

    /// No heartbeats: only the timers a test is about run.
    fn config(seed: u64) -> Config {
        Config {
            seed,
            heartbeat_interval: None,
            ..Config::default()
        }
    }

    /// `a` and `b` connected to each other at `now`, packets carried directly, events
    /// drained.
    fn established(now: Instant, a: Config, b: Config) -> (Association, Association) {
        let mut a = Association::new(a, now);
        let mut b = Association::new(b, now);
        a.connect(now);
        b.connect(now);
        let mut p = Vec::new();
        for _ in 0..8 {
            while a.poll_transmit_into(&mut p) {
                b.handle_datagram(now, &p);
            }
            while b.poll_transmit_into(&mut p) {
                a.handle_datagram(now, &p);
            }
        }
        assert!(a.is_established() && b.is_established());
        while a.poll_event().is_some() {}
        while b.poll_event().is_some() {}
        (a, b)
    }

    /// A packet for `to` with verification tag `tag` carrying `chunks`.
    fn packet(to: &Association, tag: u32, chunks: &[Chunk<'_>]) -> Vec<u8> {
        let header = CommonHeader {
            source_port: to.config.remote_port,
            destination_port: to.config.local_port,
            verification_tag: tag,
        };
        let mut out = Vec::new();
        let mut w = PacketWriter::new_in_vec(&mut out, header, 1200).unwrap();
        for c in chunks {
            w.push(c).unwrap();
        }
        w.finish();
        out
    }

    /// A whole ordered message on stream 0: DATA with `tsn` and `ssn`.
    fn data(tsn: u32, ssn: u16, payload: &[u8]) -> Chunk<'_> {
        Chunk::Data(Data {
            immediate: false,
            unordered: false,
            beginning: true,
            ending: true,
            tsn,
            stream_id: 0,
            ssn,
            ppid: 53,
            payload,
        })
    }

    /// The peer's Initial TSN and the tag packets to `a` carry.
    fn peer_tsn_and_tag(a: &Association) -> (u32, u32) {
        (a.peer.unwrap().initial_tsn, a.local_tag)
    }

    /// Every packet `a` sends now.
    fn drain(a: &mut Association) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut p = Vec::new();
        while a.poll_transmit_into(&mut p) {
            out.push(p.clone());
        }
        out
    }

    /// A SACK as numbers: cumulative TSN ack, a_rwnd, gap blocks, duplicate TSNs.
    type SackSeen = (u32, u32, Vec<GapBlock>, Vec<u32>);

    /// The SACKs in `packets`.
    fn sacks(packets: &[Vec<u8>]) -> Vec<SackSeen> {
        let mut out = Vec::new();
        for p in packets {
            for c in Packet::parse(p).unwrap().chunks() {
                if let Ok(Chunk::Sack(s)) = c {
                    out.push((
                        s.cumulative_tsn_ack,
                        s.a_rwnd,
                        s.gap_blocks.iter().collect(),
                        s.duplicate_tsns.iter().collect(),
                    ));
                }
            }
        }
        out
    }

    /// The TSNs of the DATA chunks in `packets`.
    fn data_tsns(packets: &[Vec<u8>]) -> Vec<u32> {
        let mut out = Vec::new();
        for p in packets {
            for c in Packet::parse(p).unwrap().chunks() {
                if let Ok(Chunk::Data(d)) = c {
                    out.push(d.tsn);
                }
            }
        }
        out
    }

    fn chunk_types(packets: &[Vec<u8>]) -> Vec<ChunkType> {
        let mut out = Vec::new();
        for p in packets {
            for c in Packet::parse(p).unwrap().chunks() {
                let c = c.unwrap();
                out.push(match c {
                    Chunk::InitAck(_) => ChunkType::INIT_ACK,
                    Chunk::Abort(_) => ChunkType::ABORT,
                    Chunk::Sack(_) => ChunkType::SACK,
                    Chunk::Data(_) => ChunkType::DATA,
                    _ => ChunkType(0xff),
                });
            }
        }
        out
    }

    fn messages(a: &mut Association) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| a.poll_event())
            .filter_map(|e| match e {
                Event::Message(m) => Some(m.data),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn cumulative_ack_gap_blocks_delayed_ack_and_duplicates() {
        let now = epoch();
        let (mut a, _b) = established(now, config(1), config(2));
        let (i, tag) = peer_tsn_and_tag(&a);
        // TSN i + 1 before i: a gap, so a SACK at once (§6.7) with one gap block of offset
        // 2 from the cumulative TSN, which stays at i - 1.
        a.handle_datagram(now, &packet(&a, tag, &[data(i + 1, 1, b"second")]));
        assert_eq!(
            sacks(&drain(&mut a)),
            [(
                i.wrapping_sub(1),
                a.config.max_receive_buffer as u32 - 6,
                vec![GapBlock { start: 2, end: 2 }],
                vec![]
            )]
        );
        assert!(messages(&mut a).is_empty(), "SSN 1 waits for SSN 0");
        // TSN i fills the gap: the cumulative TSN jumps to i + 1, both messages come in order.
        // One packet with DATA since the last SACK and no gap: the SACK is delayed (§6.2).
        a.handle_datagram(now, &packet(&a, tag, &[data(i, 0, b"first")]));
        assert_eq!(messages(&mut a), [b"first".to_vec(), b"second".to_vec()]);
        assert!(drain(&mut a).is_empty(), "the SACK is delayed");
        assert_eq!(a.poll_timeout(), Some(now + a.config.delayed_ack));
        a.handle_timeout(now + a.config.delayed_ack);
        let got = sacks(&drain(&mut a));
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, &got[0].2), (i.wrapping_add(1), &vec![]));
        // A duplicate is reported at once, in the duplicate TSN list (§6.2, §6.7).
        a.handle_datagram(now, &packet(&a, tag, &[data(i, 0, b"first")]));
        assert_eq!(a.metrics().duplicates_received, 1);
        let got = sacks(&drain(&mut a));
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, &got[0].3), (i.wrapping_add(1), &vec![i]));
        assert!(
            messages(&mut a).is_empty(),
            "a duplicate is not delivered again"
        );
    }

    #[test]
    fn receive_window_bounds_what_is_held() {
        let now = epoch();
        let small = Config {
            max_receive_buffer: 4096,
            ..config(1)
        };
        let (mut a, _b) = established(now, small, config(2));
        let (i, tag) = peer_tsn_and_tag(&a);
        let kb = [7u8; 1000];
        // TSN i is missing: TSNs i + 1 ..= i + 4 are held, 4000 of the 4096 bytes.
        for k in 1..=4u16 {
            a.handle_datagram(now, &packet(&a, tag, &[data(i + u32::from(k), k, &kb)]));
        }
        let got = sacks(&drain(&mut a));
        assert_eq!(
            got.last().map(|s| s.1),
            Some(96),
            "a_rwnd: 4096 less 4000 held"
        );
        // Beyond the window, new out-of-order data is dropped and not acknowledged (§6.2).
        a.handle_datagram(now, &packet(&a, tag, &[data(i + 5, 5, &kb)]));
        assert_eq!(a.metrics().dropped_out_of_window, 1);
        assert!(!a.received.contains(unwrap_tsn(a.received.cum(), i + 5)));
        // The next in-order TSN is still taken, so a full window cannot block the link.
        a.handle_datagram(now, &packet(&a, tag, &[data(i, 0, &kb)]));
        assert_eq!(a.metrics().dropped_out_of_window, 1);
        assert_eq!(messages(&mut a).len(), 5);
        assert_eq!(a.received.cum() as u32, i + 4);
        a.handle_timeout(now + a.config.delayed_ack);
        let got = sacks(&drain(&mut a));
        assert_eq!(
            got.last().map(|s| (s.0, s.1)),
            Some((i + 4, 4096)),
            "all delivered: the whole window again"
        );
    }

    #[test]
    fn a_zero_window_stops_new_data_until_the_peer_opens_it() {
        let now = epoch();
        let (mut a, _b) = established(now, config(1), config(2));
        let tag = a.local_tag;
        let first = a.local_initial_tsn;
        a.send(now, 0, 53, vec![1u8; 1000], SendOptions::default())
            .unwrap();
        assert_eq!(data_tsns(&drain(&mut a)), [first]);
        a.send(now, 0, 53, vec![2u8; 1000], SendOptions::default())
            .unwrap();
        // The peer acknowledges nothing new and advertises a zero window: with data in
        // flight, nothing new goes (RFC 9260 §6.1 A).
        let zero = Sack {
            cumulative_tsn_ack: first.wrapping_sub(1),
            a_rwnd: 0,
            ..Sack::default()
        };
        a.handle_datagram(now, &packet(&a, tag, &[Chunk::Sack(zero)]));
        assert!(data_tsns(&drain(&mut a)).is_empty());
        assert_eq!(a.buffered_amount(0), 1000);
        // It acknowledges the first and opens the window: the second goes.
        let open = Sack {
            cumulative_tsn_ack: first,
            a_rwnd: 5000,
            ..Sack::default()
        };
        a.handle_datagram(now, &packet(&a, tag, &[Chunk::Sack(open)]));
        assert_eq!(data_tsns(&drain(&mut a)), [first.wrapping_add(1)]);
    }

    #[test]
    fn t3_rtx_backs_off_then_the_association_fails() {
        let mut now = epoch();
        let a_config = Config {
            rto_initial: 500 * MS,
            max_timer_backoff: 3000 * MS,
            max_retransmissions: Some(4),
            ..config(1)
        };
        let (mut a, _b) = established(now, a_config, config(2));
        assert_eq!(a.rto.rto(), 500 * MS, "no RTT measured yet: RTO.Initial");
        let tsn = a.local_initial_tsn;
        a.send(now, 0, 53, vec![9u8; 100], SendOptions::default())
            .unwrap();
        assert_eq!(data_tsns(&drain(&mut a)), [tsn]);
        // The peer never answers. T3-rtx runs the RTO, then doubles it at each expiration
        // (§6.3.3 E2), up to the configured bound; each expiration retransmits the chunk.
        for wait in [500, 1000, 2000, 3000, 3000] {
            assert_eq!(a.poll_timeout(), Some(now + wait * MS));
            now += wait * MS;
            a.handle_timeout(now);
            if a.ended {
                break;
            }
            assert_eq!(data_tsns(&drain(&mut a)), [tsn], "retransmitted");
            assert!(!std::iter::from_fn(|| a.poll_event()).any(|e| matches!(e, Event::Closed(_))));
        }
        // Association.Max.Retrans (4) expirations were tolerated; the fifth ends it (§8.1),
        // with an ABORT to the peer.
        assert_eq!(a.errors, 5);
        let events: Vec<Event> = std::iter::from_fn(|| a.poll_event()).collect();
        assert_eq!(events, [Event::Closed(CloseReason::TooManyRetransmissions)]);
        assert_eq!(a.state(), State::Closed);
        assert_eq!(chunk_types(&drain(&mut a)), [ChunkType::ABORT]);
        assert_eq!(a.poll_timeout(), None);
    }

    #[test]
    fn an_acknowledgement_resets_the_error_count() {
        let mut now = epoch();
        let a_config = Config {
            max_retransmissions: Some(1),
            ..config(1)
        };
        let (mut a, _b) = established(now, a_config, config(2));
        let tsn = a.local_initial_tsn;
        a.send(now, 0, 53, vec![9u8; 100], SendOptions::default())
            .unwrap();
        drain(&mut a);
        now = a.poll_timeout().unwrap();
        a.handle_timeout(now);
        assert_eq!(a.errors, 1);
        drain(&mut a);
        // §8.3: any acknowledgement shows the peer is alive.
        let ack = Sack {
            cumulative_tsn_ack: tsn,
            a_rwnd: 1 << 20,
            ..Sack::default()
        };
        a.handle_datagram(now, &packet(&a, a.local_tag, &[Chunk::Sack(ack)]));
        assert_eq!(a.errors, 0);
        assert_eq!(a.poll_timeout(), None, "nothing in flight: T3-rtx stopped");
        // So the next loss again tolerates one expiration.
        a.send(now, 0, 53, vec![9u8; 100], SendOptions::default())
            .unwrap();
        drain(&mut a);
        now = a.poll_timeout().unwrap();
        a.handle_timeout(now);
        assert!(a.is_established());
    }

    #[test]
    fn packets_with_a_wrong_verification_tag_are_dropped() {
        let now = epoch();
        let (mut a, b) = established(now, config(1), config(2));
        let (i, tag) = peer_tsn_and_tag(&a);
        let cum = a.received.cum();
        // §8.5: a packet whose tag is not ours is dropped silently.
        a.handle_datagram(now, &packet(&a, tag ^ 1, &[data(i, 0, b"x")]));
        a.handle_datagram(now, &packet(&a, b.local_tag, &[data(i, 0, b"x")]));
        assert_eq!(a.metrics().dropped_bad_tag, 2);
        assert_eq!(a.received.cum(), cum);
        assert!(drain(&mut a).is_empty(), "no SACK for them");
        // §8.5.1 A: INIT goes with tag 0 and alone; anything else is dropped.
        let init = Init {
            initiate_tag: 77,
            a_rwnd: 1 << 16,
            outbound_streams: 1,
            inbound_streams: 1,
            initial_tsn: 1,
            params: TlvList::new(&[]),
        };
        a.handle_datagram(now, &packet(&a, tag, &[Chunk::Init(init)]));
        a.handle_datagram(now, &packet(&a, 0, &[Chunk::Init(init), data(i, 0, b"x")]));
        assert_eq!(a.metrics().dropped_bad_tag, 4);
        assert!(drain(&mut a).is_empty(), "no INIT ACK for them");
        // §8.5.1 B: an ABORT with the T bit carries the peer's tag, not ours.
        let reflected = Abort {
            reflected_tag: true,
            causes: TlvList::new(&[]),
        };
        a.handle_datagram(now, &packet(&a, tag, &[Chunk::Abort(reflected)]));
        assert_eq!(a.metrics().dropped_bad_tag, 5);
        assert!(a.is_established());
        // The same data with the right tag is taken.
        a.handle_datagram(now, &packet(&a, tag, &[data(i, 0, b"x")]));
        assert_eq!(a.received.cum(), cum + 1);
        assert_eq!(messages(&mut a), [b"x".to_vec()]);
        // And an ABORT without the T bit, with our tag, ends the association.
        let abort = Abort {
            reflected_tag: false,
            causes: TlvList::new(&[]),
        };
        a.handle_datagram(now, &packet(&a, tag, &[Chunk::Abort(abort)]));
        assert_eq!(a.state(), State::Closed);
        assert_eq!(a.metrics().dropped_bad_tag, 5);
    }

    #[test]
    fn init_and_init_ack_parameter_limits() {
        let now = epoch();
        let mut a = Association::new(config(1), now);
        let valid = Init {
            initiate_tag: 0x1234,
            a_rwnd: 1 << 16,
            outbound_streams: 16,
            inbound_streams: 16,
            initial_tsn: 100,
            params: TlvList::new(&[]),
        };
        // §3.3.2: a zero Initiate Tag, or zero streams either way, is a protocol violation:
        // dropped, unanswered.
        for bad in [
            Init {
                initiate_tag: 0,
                ..valid
            },
            Init {
                outbound_streams: 0,
                ..valid
            },
            Init {
                inbound_streams: 0,
                ..valid
            },
        ] {
            a.handle_datagram(now, &packet(&a, 0, &[Chunk::Init(bad)]));
        }
        assert_eq!(a.metrics().dropped_malformed, 3);
        assert!(drain(&mut a).is_empty());
        // A valid INIT gets an INIT ACK, tagged with its Initiate Tag (§8.5), carrying a
        // cookie; the association keeps no state for it (§5.1.3).
        a.handle_datagram(now, &packet(&a, 0, &[Chunk::Init(valid)]));
        let out = drain(&mut a);
        assert_eq!(chunk_types(&out), [ChunkType::INIT_ACK]);
        let reply = Packet::parse(&out[0]).unwrap();
        assert_eq!(reply.header().verification_tag, 0x1234);
        let Some(Ok(Chunk::InitAck(ack))) = reply.chunks().next() else {
            panic!("an INIT ACK");
        };
        assert_eq!(ack.initiate_tag, a.local_tag);
        assert!(ack.state_cookie().is_some());
        assert_eq!(a.state(), State::Closed);
        assert!(a.peer.is_none());

        // In COOKIE-WAIT, an INIT ACK without a cookie (§5.1), or with a zero Initiate Tag,
        // is dropped: no COOKIE ECHO, still waiting.
        a.connect(now);
        drain(&mut a);
        let tag = a.local_tag;
        let cookie = [Param::StateCookie(b"cookie")];
        for bad in [
            valid,
            Init {
                initiate_tag: 0,
                params: TlvList::new(&cookie),
                ..valid
            },
        ] {
            a.handle_datagram(now, &packet(&a, tag, &[Chunk::InitAck(bad)]));
        }
        assert_eq!(a.metrics().dropped_malformed, 5);
        assert_eq!(a.state(), State::CookieWait);
        assert!(drain(&mut a).is_empty());
        // A good one is answered with COOKIE ECHO carrying its cookie.
        let good = Init {
            params: TlvList::new(&cookie),
            ..valid
        };
        a.handle_datagram(now, &packet(&a, tag, &[Chunk::InitAck(good)]));
        assert_eq!(a.state(), State::CookieEchoed);
        let out = drain(&mut a);
        let echoed = Packet::parse(&out[0])
            .unwrap()
            .chunks()
            .any(|c| c == Ok(Chunk::CookieEcho(b"cookie")));
        assert!(echoed);
    }
}
