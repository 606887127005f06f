//! DATA chunks sent and not yet acknowledged cumulatively (RFC 9260 §6.3, §7.2.4), and the
//! partial-reliability bookkeeping of RFC 3758 §3.5. Chunk `i` of the queue has TSN
//! `first + i`: TSNs are given in order and leave only from the front, so a TSN finds its
//! chunk by subtraction.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::send_queue::Fragment;
use crate::wire::{GapBlock, SkippedStream};

/// Where a sent chunk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// On the wire, counted in the flight size.
    InFlight,
    /// Reported received in a gap ack block (not yet cumulatively).
    Acked,
    /// Waits to be sent again (fast retransmit or T3-rtx).
    Retransmit,
    /// Given up (RFC 3758): skipped by FORWARD TSN.
    Abandoned,
}

/// A DATA chunk that was sent: the fragment, and what became of it.
#[derive(Debug, Clone)]
pub(crate) struct SentChunk {
    pub(crate) fragment: Fragment,
    sent_at: Instant,
    /// Times sent, the first included.
    transmissions: u32,
    /// Missing reports (RFC 9260 §7.2.4).
    misses: u8,
    state: State,
}

/// What one SACK did.
#[derive(Debug, Default)]
pub(crate) struct AckOutcome {
    /// Bytes newly acknowledged, cumulatively or in gap blocks.
    pub(crate) bytes_acked: usize,
    /// The cumulative ack point moved.
    pub(crate) cum_advanced: bool,
    /// A round-trip sample from a chunk sent once (Karn's rule, RFC 9260 §6.3.1 C5).
    pub(crate) rtt: Option<Duration>,
    /// Chunks reached three missing reports: fast retransmit (§7.2.4).
    pub(crate) fast_retransmit: bool,
    /// Messages abandoned while processing (they must be dropped from the send queue too).
    pub(crate) abandoned: Vec<(u16, u64)>,
}

/// The sent, unacknowledged chunks.
#[derive(Debug)]
pub(crate) struct Outstanding {
    chunks: VecDeque<SentChunk>,
    /// TSN of `chunks[0]`: the peer's cumulative ack + 1.
    first: u64,
    /// The next TSN to give.
    next: u64,
    /// Bytes in state `InFlight` (RFC 9260 §6.1 flight size, payload only).
    flight: usize,
    /// Chunks in state `Retransmit`.
    to_retransmit: usize,
    /// Highest TSN ever reported in a gap block or cumulatively.
    highest_acked: u64,
    /// Chunks retransmitted (for metrics).
    pub(crate) retransmissions: u64,
    /// Messages abandoned (for metrics).
    pub(crate) abandoned_messages: u64,
}

impl Outstanding {
    pub(crate) fn new(initial_tsn: u64) -> Self {
        Self {
            chunks: VecDeque::new(),
            first: initial_tsn,
            next: initial_tsn,
            flight: 0,
            to_retransmit: 0,
            highest_acked: initial_tsn.wrapping_sub(1),
            retransmissions: 0,
            abandoned_messages: 0,
        }
    }

    /// The peer's cumulative TSN ack as we know it.
    pub(crate) fn cum_ack(&self) -> u64 {
        self.first - 1
    }

    /// The next TSN to be given.
    pub(crate) fn next_tsn(&self) -> u64 {
        self.next
    }

    pub(crate) fn flight_size(&self) -> usize {
        self.flight
    }

    /// Whether nothing is outstanding.
    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Whether chunks wait to be sent again.
    pub(crate) fn has_retransmits(&self) -> bool {
        self.to_retransmit > 0
    }

    /// Whether any chunk is on the wire and may need the T3-rtx timer.
    pub(crate) fn has_in_flight(&self) -> bool {
        self.flight > 0
    }

    /// Records a new chunk sent now; returns its TSN.
    pub(crate) fn push(&mut self, now: Instant, f: Fragment) -> u64 {
        let tsn = self.next;
        self.next += 1;
        self.flight += f.data.len();
        self.chunks.push_back(SentChunk {
            fragment: f,
            sent_at: now,
            transmissions: 1,
            misses: 0,
            state: State::InFlight,
        });
        tsn
    }

    /// The first chunk waiting for retransmission of at most `room` payload bytes: marks it
    /// in flight again and returns its TSN and a view of it.
    pub(crate) fn next_retransmit(
        &mut self,
        now: Instant,
        room: usize,
    ) -> Option<(u64, &SentChunk)> {
        if self.to_retransmit == 0 {
            return None;
        }
        let i = self
            .chunks
            .iter()
            .position(|c| c.state == State::Retransmit)?;
        let c = &mut self.chunks[i];
        if c.fragment.data.len() > room {
            return None;
        }
        c.state = State::InFlight;
        c.sent_at = now;
        c.transmissions += 1;
        c.misses = 0;
        self.to_retransmit -= 1;
        self.flight += c.fragment.data.len();
        self.retransmissions += 1;
        Some((self.first + i as u64, &self.chunks[i]))
    }

    /// Processes a SACK (RFC 9260 §6.2.1): `cum` is the unwrapped cumulative TSN ack.
    /// `partial_reliability` says whether the peer supports FORWARD TSN.
    pub(crate) fn handle_sack(
        &mut self,
        now: Instant,
        cum: u64,
        gaps: impl Iterator<Item = GapBlock> + Clone,
        partial_reliability: bool,
    ) -> AckOutcome {
        let mut out = AckOutcome::default();
        if cum + 1 > self.next {
            // Acknowledges what we never sent: ignored (a protocol violation, §6.2.1).
            return out;
        }
        // Cumulative part.
        while self.first <= cum {
            let Some(c) = self.chunks.pop_front() else {
                break;
            };
            self.first += 1;
            out.cum_advanced = true;
            Self::count_ack(&c, now, &mut self.flight, &mut self.to_retransmit, &mut out);
        }
        if cum > self.highest_acked {
            self.highest_acked = cum;
        }
        // Gap blocks: offsets from the cumulative ack (§3.3.4).
        let mut highest_newly_acked = None;
        for g in gaps.clone() {
            if g.start == 0 || g.end < g.start {
                continue;
            }
            for tsn in (cum + u64::from(g.start))..=(cum + u64::from(g.end)) {
                let Some(i) = tsn.checked_sub(self.first) else {
                    continue;
                };
                let Some(c) = self.chunks.get_mut(i as usize) else {
                    break;
                };
                if !Self::count_ack(c, now, &mut self.flight, &mut self.to_retransmit, &mut out) {
                    continue;
                }
                c.state = State::Acked;
                highest_newly_acked = Some(tsn);
                if tsn > self.highest_acked {
                    self.highest_acked = tsn;
                }
            }
        }
        // Missing reports for chunks below the highest newly acked TSN (§7.2.4, HTNA).
        if let Some(htna) = highest_newly_acked {
            let upto = (htna - self.first) as usize;
            for c in self.chunks.iter_mut().take(upto) {
                if c.state == State::InFlight {
                    c.misses = c.misses.saturating_add(1);
                    if c.misses >= 3 {
                        c.state = State::Retransmit;
                        self.flight -= c.fragment.data.len();
                        self.to_retransmit += 1;
                        out.fast_retransmit = true;
                    }
                }
            }
        }
        if partial_reliability {
            self.abandon_expired(now, &mut out.abandoned);
        }
        out
    }

    /// Counts a chunk newly acknowledged (cumulatively or in a gap block): its bytes leave
    /// the flight or the retransmission queue, and one sent once gives a round-trip sample
    /// (Karn's rule). Returns false if it was acknowledged or abandoned already.
    fn count_ack(
        c: &SentChunk,
        now: Instant,
        flight: &mut usize,
        to_retransmit: &mut usize,
        out: &mut AckOutcome,
    ) -> bool {
        match c.state {
            State::InFlight => {
                *flight -= c.fragment.data.len();
                if c.transmissions == 1 {
                    out.rtt = Some(now.saturating_duration_since(c.sent_at));
                }
            }
            State::Retransmit => *to_retransmit -= 1,
            State::Acked | State::Abandoned => return false,
        }
        out.bytes_acked += c.fragment.data.len();
        true
    }

    /// T3-rtx expired (RFC 9260 §6.3.3 E3): every chunk in flight is to be sent again.
    pub(crate) fn mark_all_for_retransmit(
        &mut self,
        now: Instant,
        partial_reliability: bool,
    ) -> Vec<(u16, u64)> {
        for c in self.chunks.iter_mut() {
            if c.state == State::InFlight {
                c.state = State::Retransmit;
                self.flight -= c.fragment.data.len();
                self.to_retransmit += 1;
            }
        }
        let mut abandoned = Vec::new();
        if partial_reliability {
            self.abandon_expired(now, &mut abandoned);
        }
        abandoned
    }

    /// RFC 3758 §3.5 A3 and RFC 7496: chunks past their lifetime, or retransmitted as often
    /// as allowed, are abandoned with every other chunk of their message.
    fn abandon_expired(&mut self, now: Instant, abandoned: &mut Vec<(u16, u64)>) {
        // Only chunks about to be sent again are judged (RFC 3758 §3.5 A1-A3), so there is
        // nothing to look at unless some wait for retransmission.
        if self.to_retransmit == 0 {
            return;
        }
        for i in 0..self.chunks.len() {
            let c = &self.chunks[i];
            let give_up = c.state == State::Retransmit
                && (c.fragment.options.expires.is_some_and(|t| t <= now)
                    || c.fragment
                        .options
                        .max_retransmissions
                        .is_some_and(|n| c.transmissions > u32::from(n)));
            if give_up {
                let (stream, message) = (c.fragment.stream, c.fragment.message);
                self.abandon_message(message);
                abandoned.push((stream, message));
            }
        }
    }

    fn abandon_message(&mut self, message: u64) {
        self.abandoned_messages += 1;
        for c in self
            .chunks
            .iter_mut()
            .filter(|c| c.fragment.message == message)
        {
            match c.state {
                State::InFlight => self.flight -= c.fragment.data.len(),
                State::Retransmit => self.to_retransmit -= 1,
                State::Acked | State::Abandoned => {}
            }
            c.state = State::Abandoned;
            // The payload is no longer needed.
            c.fragment.data = Bytes::new();
        }
    }

    /// The Advanced.Peer.Ack.Point (RFC 3758 §3.5 C1-C2) and the streams to skip: `None`
    /// when no abandoned chunk sits at the front. `skipped` receives the highest SSN of
    /// each ordered stream passed over.
    pub(crate) fn forward_tsn(&self, skipped: &mut Vec<SkippedStream>) -> Option<u64> {
        skipped.clear();
        let mut point = None;
        for (i, c) in self.chunks.iter().enumerate() {
            match c.state {
                State::Abandoned => {
                    point = Some(self.first + i as u64);
                    if !c.fragment.options.unordered {
                        match skipped
                            .iter_mut()
                            .find(|s| s.stream_id == c.fragment.stream)
                        {
                            Some(s) => s.ssn = c.fragment.ssn,
                            None => skipped.push(SkippedStream {
                                stream_id: c.fragment.stream,
                                ssn: c.fragment.ssn,
                            }),
                        }
                    }
                }
                State::Acked => {}
                _ => break,
            }
        }
        // Only worth sending when it moves past an abandoned chunk.
        point.filter(|_| {
            self.chunks
                .front()
                .is_some_and(|c| c.state == State::Abandoned)
        })
    }

    /// Bytes of payload not yet acknowledged at all (for metrics).
    pub(crate) fn unacked_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Drops everything (the association ended).
    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.flight = 0;
        self.to_retransmit = 0;
    }
}
