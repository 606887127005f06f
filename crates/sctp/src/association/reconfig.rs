//! Stream reset (RFC 6525): closing a data channel resets its outgoing stream (RFC 8831
//! §6.7). We send Outgoing SSN Reset Requests and answer the peer's.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use super::Association;
use crate::Event;
use crate::timer::Timer;
use crate::tsn::unwrap_tsn;
use crate::wire::{ReConfig, ReconfigParam, ReconfigResult};

/// Most responses waiting to be sent.
const MAX_RESPONSES: usize = 8;
/// Retry delay after the peer answered "in progress" (it waits for data still in flight).
const IN_PROGRESS_RETRY: Duration = Duration::from_millis(50);

/// An Outgoing SSN Reset Request of ours that awaits its response.
#[derive(Debug, Clone)]
pub(super) struct Request {
    pub(super) seq: u32,
    pub(super) last_tsn: u32,
    pub(super) streams: Vec<u16>,
}

/// Outgoing and incoming stream reset state.
#[derive(Debug)]
pub(super) struct Reconfig {
    /// Streams to reset that are in no request yet.
    waiting: BTreeSet<u16>,
    /// Our request on the wire.
    pub(super) in_flight: Option<Request>,
    /// The request must be (re)sent in the next packet.
    pub(super) send_request: bool,
    /// Our next Re-configuration Request Sequence Number (§4.1: starts at the initial TSN).
    next_seq: u32,
    timer: Timer,
    /// The peer's next request sequence number, once known.
    peer_next_seq: Option<u32>,
    /// Our answer to the peer's last request (for retransmitted requests).
    last_response: Option<(u32, ReconfigResult)>,
    /// Responses to put in the next packet.
    pub(super) responses: VecDeque<(u32, ReconfigResult)>,
}

impl Reconfig {
    pub(super) fn new(local_initial_tsn: u32) -> Self {
        Self {
            waiting: BTreeSet::new(),
            in_flight: None,
            send_request: false,
            next_seq: local_initial_tsn,
            timer: Timer::default(),
            peer_next_seq: None,
            last_response: None,
            responses: VecDeque::new(),
        }
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        self.timer.deadline()
    }

    pub(super) fn expired(&mut self, now: Instant) -> bool {
        self.timer.expired(now)
    }

    /// The reconfiguration timer expired: send the request again (§5.1.1).
    pub(super) fn retransmit(&mut self) {
        if self.in_flight.is_some() {
            self.send_request = true;
        }
    }

    pub(super) fn stop(&mut self) {
        self.timer.stop();
        self.waiting.clear();
        self.in_flight = None;
    }

    /// Whether a RE-CONFIG chunk waits to be sent.
    pub(super) fn wants_to_send(&self) -> bool {
        self.send_request || !self.responses.is_empty()
    }

    /// The peer's request sequence number we answered last (the Re-configuration Response
    /// Sequence Number of our requests, §4.1).
    pub(super) fn response_seq(&self) -> u32 {
        self.peer_next_seq.map_or(0, |s| s.wrapping_sub(1))
    }

    /// The request went out now: its timer runs.
    pub(super) fn sent(&mut self, now: Instant, rto: Duration, max: Duration) {
        self.send_request = false;
        self.timer.start(now, rto, max);
    }
}

impl Association {
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
            self.reconfig.waiting.insert(s);
        }
        self.reconfig_progress();
    }

    /// Starts the next request when none is on the wire and streams are drained.
    pub(super) fn reconfig_progress(&mut self) {
        if !self.is_established()
            || self.reconfig.in_flight.is_some()
            || self.reconfig.waiting.is_empty()
            || !self.peer.is_some_and(|p| p.reconfig)
        {
            return;
        }
        // Each stream id takes 2 bytes; keep the chunk well inside a packet.
        let most = (self.config.mtu.saturating_sub(64) / 2).max(1);
        let ready: Vec<u16> = self
            .reconfig
            .waiting
            .iter()
            .copied()
            .filter(|&s| self.send_queue.is_drained(s))
            .take(most)
            .collect();
        if ready.is_empty() {
            return;
        }
        for s in &ready {
            self.reconfig.waiting.remove(s);
        }
        let seq = self.reconfig.next_seq;
        self.reconfig.next_seq = seq.wrapping_add(1);
        // §4.1: the last TSN we assigned.
        let last_tsn = (self.outstanding.next_tsn() - 1) as u32;
        self.reconfig.in_flight = Some(super::reconfig::Request {
            seq,
            last_tsn,
            streams: ready,
        });
        self.reconfig.send_request = true;
    }

    /// A RE-CONFIG chunk (RFC 6525 §5.2).
    pub(super) fn handle_reconfig(&mut self, chunk: &ReConfig<'_>) {
        if !self.is_established() {
            return;
        }
        for param in chunk.params.iter() {
            match param {
                ReconfigParam::OutgoingSsnReset {
                    request_seq,
                    last_tsn,
                    streams,
                    ..
                } => {
                    let list: Vec<u16> = streams.iter().collect();
                    self.incoming_reset_request(request_seq, last_tsn, list);
                }
                ReconfigParam::IncomingSsnReset { request_seq, .. } => {
                    // We never reset our streams on the peer's behalf (WebRTC does not use
                    // it): denied (§5.2.3 allows it).
                    self.respond(request_seq, ReconfigResult::DENIED);
                }
                ReconfigParam::Response {
                    response_seq,
                    result,
                    ..
                } => self.reset_response(response_seq, result),
                _ => {}
            }
        }
    }

    fn respond(&mut self, seq: u32, result: ReconfigResult) {
        if self.reconfig.responses.len() < MAX_RESPONSES {
            self.reconfig.responses.push_back((seq, result));
        }
    }

    /// The peer resets its outgoing streams, our incoming ones (§5.2.2).
    fn incoming_reset_request(&mut self, seq: u32, last_tsn: u32, streams: Vec<u16>) {
        let expected = *self.reconfig.peer_next_seq.get_or_insert(seq);
        let retransmitted = self.reconfig.last_response.is_some_and(|(s, _)| s == seq);
        if seq != expected && !retransmitted {
            self.respond(seq, ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER);
            return;
        }
        if retransmitted
            && let Some((_, result)) = self.reconfig.last_response
            && result != ReconfigResult::IN_PROGRESS
        {
            self.respond(seq, result);
            return;
        }
        // §5.2.2: performed only once every TSN up to the sender's last one arrived;
        // until then "in progress", and the peer asks again.
        let last = unwrap_tsn(self.received.cum(), last_tsn);
        let result = if last <= self.received.cum() {
            self.ordering.reset(&streams);
            self.events.push_back(Event::IncomingStreamsReset(streams));
            ReconfigResult::SUCCESS_PERFORMED
        } else {
            ReconfigResult::IN_PROGRESS
        };
        self.reconfig.last_response = Some((seq, result));
        if seq == expected {
            self.reconfig.peer_next_seq = Some(expected.wrapping_add(1));
        }
        self.respond(seq, result);
    }

    /// The peer answered our request (§5.2.7).
    fn reset_response(&mut self, seq: u32, result: ReconfigResult) {
        let Some(request) = self.reconfig.in_flight.as_ref() else {
            return;
        };
        if request.seq != seq {
            return;
        }
        self.errors = 0;
        match result {
            ReconfigResult::IN_PROGRESS => {
                // Asked again, with a new sequence number, shortly.
                let mut request = self.reconfig.in_flight.take().expect("checked above");
                request.seq = self.reconfig.next_seq;
                self.reconfig.next_seq = self.reconfig.next_seq.wrapping_add(1);
                request.last_tsn = (self.outstanding.next_tsn() - 1) as u32;
                self.reconfig.in_flight = Some(request);
                self.reconfig.timer.start_fresh(self.now, IN_PROGRESS_RETRY);
            }
            result => {
                let performed = matches!(
                    result,
                    ReconfigResult::SUCCESS_PERFORMED | ReconfigResult::SUCCESS_NOTHING_TO_DO
                );
                let request = self.reconfig.in_flight.take().expect("checked above");
                self.reconfig.timer.stop();
                for &s in &request.streams {
                    self.send_queue.finish_reset(s, performed);
                }
                self.events.push_back(if performed {
                    Event::OutgoingStreamsReset(request.streams)
                } else {
                    Event::OutgoingStreamsResetFailed(request.streams)
                });
                self.reconfig_progress();
            }
        }
    }
}
