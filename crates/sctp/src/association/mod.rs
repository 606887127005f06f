//! The association (RFC 9260): handshake, data transfer with retransmission and congestion
//! control, partial reliability (RFC 3758), stream reset (RFC 6525) and shutdown, as one
//! sans-IO state machine.
//!
//! Every public method of [`Association`] is in this file. The topic modules keep their
//! logic behind a narrow `pub(super)` interface: `handshake` (its [`Handshake`] state: cookies
//! and T1), `shutdown`, `reconfig` (stream reset, a [`Reconfig`] that owns its state and
//! answers with an [`Outcome`]), `transmit` (building packets), and the bookkeeping types
//! (`outstanding`, `received`, `reassembly`, `ordering`, `send_queue`, `congestion`, `rto`).

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
use crate::timer::{Timer, earliest};
use crate::tsn::unwrap_tsn;
use crate::wire::{
    Abort, Chunk, ChunkType, Data, ErrorCause, GapBlock, Packet, ReConfig, Sack, SkippedStream,
    UnknownChunk,
};
use crate::{CloseReason, Config, Event, Received, SendError};

pub use self::metrics::Metrics;
pub use self::send_queue::SendOptions;

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
    /// T2-shutdown.
    t2: Timer,
    /// T3-rtx.
    t3: Timer,
    /// When a delayed SACK is due.
    delayed_ack: Option<Instant>,
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
    /// A SACK must go out now.
    sack_now: bool,
    /// Packets with DATA since the last SACK.
    data_packets_unacked: u32,
    /// A FORWARD TSN must go out.
    forward_tsn_now: bool,
    /// Chunks were just marked for fast retransmit: one packet of them ignores cwnd.
    fast_retransmit_now: bool,
    /// Consecutive expirations without a sign of the peer (RFC 9260 §8.1).
    errors: u32,
    events: VecDeque<Event>,
    metrics: Metrics,
    /// Scratch space, kept to avoid allocating per packet.
    scratch_wholes: Vec<Whole>,
    scratch_skipped: Vec<SkippedStream>,
    scratch_gaps: Vec<GapBlock>,
    scratch_dups: Vec<u32>,
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
            t2: Timer::default(),
            t3: Timer::default(),
            delayed_ack: None,
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
            sack_now: false,
            data_packets_unacked: 0,
            forward_tsn_now: false,
            fast_retransmit_now: false,
            errors: 0,
            events: VecDeque::new(),
            metrics: Metrics::default(),
            scratch_wholes: Vec::new(),
            scratch_skipped: Vec::new(),
            scratch_gaps: Vec::new(),
            scratch_dups: Vec::new(),
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
            self.data_packets_unacked += 1;
            // RFC 9260 §6.2: a SACK for every second packet with DATA, at once on gaps and
            // duplicates (§6.7), within the delayed-ack time otherwise.
            if immediate
                || self.data_packets_unacked >= 2
                || self.received.has_gaps()
                || !matches!(self.state, State::Established)
            {
                self.sack_now = true;
                self.delayed_ack = None;
            } else if self.delayed_ack.is_none() {
                self.delayed_ack = Some(self.now + self.config.delayed_ack);
            }
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
        if self.t2.expired(now) {
            self.t2_expired();
        }
        if self.t3.expired(now) {
            self.t3_expired();
        }
        if self.delayed_ack.is_some_and(|t| t <= now) {
            self.delayed_ack = None;
            self.sack_now = true;
        }
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
            self.t2.deadline(),
            self.t3.deadline(),
            self.delayed_ack,
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
        self.t3
            .start(self.now, self.rto.rto(), self.config.max_timer_backoff);
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
            self.fast_retransmit_now = !self.congestion.in_fast_recovery();
            self.congestion
                .on_fast_retransmit(self.outstanding.next_tsn() - 1);
        }
        for (stream, message) in outcome.abandoned {
            self.send_queue.abandon(stream, message);
        }
        // §6.3.2 R2/R3.
        if !self.outstanding.has_in_flight() {
            self.t3.stop();
        } else if outcome.cum_advanced {
            self.t3.start_fresh(self.now, self.rto.rto());
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
            self.forward_tsn_now = true;
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
        self.t2.stop();
        self.t3.stop();
        self.reconfig.stop();
        self.delayed_ack = None;
        self.heartbeat_due = None;
        self.send_queue.clear();
        self.outstanding.clear();
        self.events.push_back(Event::Closed(reason));
    }
}
