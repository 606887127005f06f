//! Building packets (RFC 9260 §6.1, §6.10): control chunks first, then a SACK, then
//! retransmissions, then new DATA as the congestion and receive windows allow, bundled up to
//! the MTU. Packets are built when the owner asks, so the windows decide what goes out at
//! the moment it goes.

use std::time::{Duration, Instant};

use super::{Association, State};
use crate::timer::Timer;
use crate::wire::{
    Chunk, CommonHeader, Data, ForwardTsn, GapBlock, Heartbeat, List, PacketWriter, Sack,
};

/// The DATA chunk header (RFC 9260 §3.3.1).
const DATA_HEADER: usize = 16;
/// Below this much room, a packet that already carries something takes no new fragment.
const MIN_FRAGMENT: usize = 256;

/// What the next packets must carry and the retransmission timer: the state packet building
/// reads and clears, owned here. The association tells it what happened (DATA received, a
/// fast retransmit, a FORWARD TSN to send, T3 to start or stop) through its methods.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// T3-rtx (RFC 9260 §6.3).
    t3: Timer,
    /// A SACK must go out now.
    sack_now: bool,
    /// When a delayed SACK is due.
    delayed_ack: Option<Instant>,
    /// Packets with DATA since the last SACK.
    data_packets_unacked: u32,
    /// A FORWARD TSN must go out.
    forward_tsn_now: bool,
    /// Chunks were just marked for fast retransmit: one packet of them ignores cwnd.
    fast_retransmit_now: bool,
    /// Scratch lists of the SACK, kept between SACKs: no allocation per packet.
    scratch_gaps: Vec<GapBlock>,
    scratch_dups: Vec<u32>,
}

impl Pending {
    /// A packet with DATA arrived (RFC 9260 §6.2): a SACK for every second one, or at once
    /// when `at_once`, else within `delay`.
    pub(super) fn data_packet_received(&mut self, now: Instant, at_once: bool, delay: Duration) {
        self.data_packets_unacked += 1;
        if at_once || self.data_packets_unacked >= 2 {
            self.sack_now = true;
            self.delayed_ack = None;
        } else if self.delayed_ack.is_none() {
            self.delayed_ack = Some(now + delay);
        }
    }

    /// When the delayed SACK is due.
    pub(super) fn delayed_ack_deadline(&self) -> Option<Instant> {
        self.delayed_ack
    }

    /// The delayed SACK goes out with the next packet if it is due at `now`.
    pub(super) fn delayed_ack_timeout(&mut self, now: Instant) {
        if self.delayed_ack.is_some_and(|t| t <= now) {
            self.delayed_ack = None;
            self.sack_now = true;
        }
    }

    /// A FORWARD TSN must go out (RFC 3758 §3.5).
    pub(super) fn forward_tsn(&mut self) {
        self.forward_tsn_now = true;
    }

    /// Chunks were marked for fast retransmit; `ignore_cwnd`: the first packet of them
    /// ignores the congestion window (§7.2.4 step 3).
    pub(super) fn set_fast_retransmit(&mut self, ignore_cwnd: bool) {
        self.fast_retransmit_now = ignore_cwnd;
    }

    /// When T3-rtx expires.
    pub(super) fn t3_deadline(&self) -> Option<Instant> {
        self.t3.deadline()
    }

    /// Whether T3-rtx expired at `now` (it stops and counts the expiration).
    pub(super) fn t3_expired(&mut self, now: Instant) -> bool {
        self.t3.expired(now)
    }

    /// T3-rtx again with the backed-off RTO (§6.3.3 E2).
    pub(super) fn restart_t3(&mut self, now: Instant, rto: Duration, max: Duration) {
        self.t3.start(now, rto, max);
    }

    /// T3-rtx afresh: the earliest outstanding TSN was acknowledged (§6.3.2 R3).
    pub(super) fn start_t3_fresh(&mut self, now: Instant, rto: Duration) {
        self.t3.start_fresh(now, rto);
    }

    /// Nothing in flight: T3-rtx stops (§6.3.2 R2).
    pub(super) fn stop_t3(&mut self) {
        self.t3.stop();
    }

    /// The association ended: T3-rtx and the delayed SACK stop.
    pub(super) fn stop(&mut self) {
        self.t3.stop();
        self.delayed_ack = None;
    }
}

impl Association {
    /// The next packet into `packet` (cleared first, grown to at most the MTU): a queued
    /// control packet, else one bundled now from what waits; whether there was one.
    pub(super) fn write_next_packet(&mut self, packet: &mut Vec<u8>) -> bool {
        packet.clear();
        if let Some(p) = self.control.pop_front() {
            self.metrics.packets_sent += 1;
            packet.extend_from_slice(&p);
            return true;
        }
        if self.ended {
            return false;
        }
        let Some(peer) = self.peer else {
            return false;
        };
        let data_state = matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownReceived
        );
        let data_ready = data_state && self.data_ready();
        let sack = self.pending.sack_now || (self.pending.delayed_ack.is_some() && data_ready);
        if !(sack
            || data_ready
            || !self.heartbeat_acks.is_empty()
            || self.heartbeat_send
            || self.reconfig.wants_to_send()
            || self.pending.forward_tsn_now)
        {
            return false;
        }
        let header = CommonHeader {
            source_port: self.config.local_port,
            destination_port: self.config.remote_port,
            verification_tag: peer.tag,
        };
        packet.reserve(self.config.mtu);
        let Ok(mut w) = PacketWriter::new_in_vec(packet, header, self.config.mtu) else {
            return false;
        };
        if sack && self.write_sack(&mut w) {
            self.pending.sack_now = false;
            self.pending.delayed_ack = None;
            self.pending.data_packets_unacked = 0;
        }
        while let Some(info) = self.heartbeat_acks.front() {
            if w.push(&Chunk::HeartbeatAck(Heartbeat { info })).is_err() {
                break;
            }
            self.heartbeat_acks.pop_front();
        }
        if self.heartbeat_send {
            let nonce: u64 = rand::Rng::random(&mut self.rng);
            let info = nonce.to_be_bytes();
            if w.push(&Chunk::Heartbeat(Heartbeat { info: &info })).is_ok() {
                self.heartbeat_send = false;
                self.heartbeat_outstanding = Some((nonce, self.now));
            }
        }
        if self.reconfig.wants_to_send() {
            let (rto, max) = (self.rto.rto(), self.config.max_timer_backoff);
            self.reconfig.write(&mut w, self.now, rto, max);
        }
        if self.pending.forward_tsn_now {
            self.pending.forward_tsn_now = false;
            if let Some(point) = self.outstanding.forward_tsn(&mut self.scratch_skipped) {
                let chunk = ForwardTsn {
                    new_cumulative_tsn: point as u32,
                    streams: List::new(&self.scratch_skipped),
                };
                if w.push(&Chunk::ForwardTsn(chunk)).is_err() {
                    self.pending.forward_tsn_now = true;
                }
            }
        }
        if data_state {
            self.write_data(&mut w);
        }
        if w.is_empty() {
            packet.clear();
            return false;
        }
        w.finish();
        self.metrics.packets_sent += 1;
        true
    }

    /// Whether DATA (retransmitted or new) may go out now.
    fn data_ready(&self) -> bool {
        let flight = self.outstanding.flight_size();
        if self.outstanding.has_retransmits() {
            return self.pending.fast_retransmit_now || flight < self.congestion.cwnd;
        }
        !self.send_queue.is_empty()
            && flight < self.congestion.cwnd
            && (self.congestion.peer_rwnd > 0 || flight == 0)
    }

    /// Writes a SACK (RFC 9260 §3.3.4); returns whether it fitted.
    fn write_sack(&mut self, w: &mut PacketWriter<'_>) -> bool {
        // Scratch lists kept between SACKs: no allocation per packet.
        let mut gaps = std::mem::take(&mut self.pending.scratch_gaps);
        let mut dups = std::mem::take(&mut self.pending.scratch_dups);
        gaps.clear();
        if self.received.has_gaps() {
            self.received.gap_blocks(&mut gaps);
        }
        self.received.take_duplicates(&mut dups);
        let held = self.reassembly.bytes() + self.ordering.bytes();
        let a_rwnd = self.config.max_receive_buffer.saturating_sub(held);
        let sack = Sack {
            cumulative_tsn_ack: self.received.cum() as u32,
            a_rwnd: a_rwnd.min(u32::MAX as usize) as u32,
            gap_blocks: List::new(&gaps),
            duplicate_tsns: List::new(&dups),
        };
        let written = w.push(&Chunk::Sack(sack)).is_ok();
        self.pending.scratch_gaps = gaps;
        self.pending.scratch_dups = dups;
        written
    }

    /// Retransmissions first (§6.1), then new fragments, as the windows allow.
    fn write_data(&mut self, w: &mut PacketWriter<'_>) {
        let now = self.now;
        let mut wrote = false;
        // §7.2.4 step 3: the first packet of a fast retransmit ignores cwnd.
        let ignore_cwnd = std::mem::take(&mut self.pending.fast_retransmit_now);
        while self.outstanding.has_retransmits() {
            if !ignore_cwnd && self.outstanding.flight_size() >= self.congestion.cwnd {
                break;
            }
            let room = w.remaining().saturating_sub(DATA_HEADER);
            let Some((tsn, c)) = self.outstanding.next_retransmit(now, room) else {
                break;
            };
            let f = &c.fragment;
            let data = Data {
                immediate: false,
                unordered: f.options.unordered,
                beginning: f.beginning,
                ending: f.ending,
                tsn: tsn as u32,
                stream_id: f.stream,
                ssn: f.ssn,
                ppid: f.ppid,
                payload: &f.data,
            };
            // Room was checked: the chunk fits.
            let _ = w.push(&Chunk::Data(data));
            wrote = true;
        }
        if !self.outstanding.has_retransmits() {
            loop {
                let flight = self.outstanding.flight_size();
                if flight >= self.congestion.cwnd || (self.congestion.peer_rwnd == 0 && flight > 0)
                {
                    break;
                }
                let room = w.remaining().saturating_sub(DATA_HEADER) & !3;
                if room == 0 || (room < MIN_FRAGMENT && !w.is_empty()) {
                    break;
                }
                let max_payload = room.min(self.max_fragment());
                let Some(fragment) = self.send_queue.next_fragment(now, max_payload) else {
                    break;
                };
                let len = fragment.data.len();
                // RFC 7053 §4.1: ask for a SACK at once when this chunk ends what we can send
                // (the queue is empty, or the congestion window is full), so the peer's
                // delayed ack does not hold us for up to 200 ms.
                let immediate = self.send_queue.is_empty()
                    || self.outstanding.flight_size() + len >= self.congestion.cwnd;
                let data = Data {
                    immediate,
                    unordered: fragment.options.unordered,
                    beginning: fragment.beginning,
                    ending: fragment.ending,
                    tsn: self.outstanding.next_tsn() as u32,
                    stream_id: fragment.stream,
                    ssn: fragment.ssn,
                    ppid: fragment.ppid,
                    payload: &fragment.data,
                };
                let _ = w.push(&Chunk::Data(data));
                self.outstanding.push(now, fragment);
                self.congestion.peer_rwnd = self.congestion.peer_rwnd.saturating_sub(len);
                self.metrics.data_chunks_sent += 1;
                self.metrics.bytes_sent += len as u64;
                wrote = true;
            }
        }
        if wrote {
            let (rto, max) = (self.rto.rto(), self.config.max_timer_backoff);
            self.pending.t3.ensure(now, rto, max);
        }
        for stream in self.send_queue.take_low() {
            self.events
                .push_back(crate::Event::BufferedAmountLow { stream });
        }
    }

    /// The payload of a full-size DATA chunk: the MTU less the common and DATA headers,
    /// a multiple of 4.
    fn max_fragment(&self) -> usize {
        (self.config.mtu - crate::wire::HEADER_LEN - DATA_HEADER) & !3
    }
}
