//! Stream reset (RFC 6525): closing a data channel resets its outgoing stream (RFC 8831
//! §6.7). We send Outgoing SSN Reset Requests and answer the peer's.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::timer::Timer;
use crate::tsn::unwrap_tsn;
use crate::wire::{Chunk, List, PacketWriter, ReConfig, ReconfigParam, ReconfigResult, TlvList};

/// Most responses waiting to be sent.
const MAX_RESPONSES: usize = 8;
/// Retry delay after the peer answered "in progress" (it waits for data still in flight).
const IN_PROGRESS_RETRY: Duration = Duration::from_millis(50);

/// An Outgoing SSN Reset Request of ours that awaits its response.
#[derive(Debug, Clone)]
struct Request {
    seq: u32,
    last_tsn: u32,
    streams: Vec<u16>,
}

/// What a RE-CONFIG parameter asks of the association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The peer reset its outgoing streams, our incoming ones (§5.2.2): their sequence
    /// numbers start again.
    IncomingReset(Vec<u16>),
    /// The peer answered our request "in progress": it is alive, we ask again shortly.
    InProgress,
    /// The peer answered our request: the streams were reset (`performed`) or refused.
    OutgoingDone {
        /// The streams of the request.
        streams: Vec<u16>,
        /// Whether the peer performed the reset.
        performed: bool,
    },
}

/// Outgoing and incoming stream reset state (RFC 6525), on its own: the association gives
/// it what it needs to know (the last TSN assigned, the cumulative TSN received, which
/// streams are drained) and acts on the [`Outcome`]s.
#[derive(Debug)]
pub(super) struct Reconfig {
    /// Streams to reset that are in no request yet.
    waiting: BTreeSet<u16>,
    /// Our request on the wire.
    in_flight: Option<Request>,
    /// The request must be (re)sent in the next packet.
    send_request: bool,
    /// Our next Re-configuration Request Sequence Number (§4.1: starts at the initial TSN).
    next_seq: u32,
    timer: Timer,
    /// The peer's next request sequence number, once known.
    peer_next_seq: Option<u32>,
    /// Our answer to the peer's last request (for retransmitted requests).
    last_response: Option<(u32, ReconfigResult)>,
    /// Responses to put in the next packet.
    responses: VecDeque<(u32, ReconfigResult)>,
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
    fn response_seq(&self) -> u32 {
        self.peer_next_seq.map_or(0, |s| s.wrapping_sub(1))
    }

    /// `stream` is to be reset once what is queued on it was sent.
    pub(super) fn add(&mut self, stream: u16) {
        self.waiting.insert(stream);
    }

    /// Starts the next request when none is on the wire: with at most `most` of the waiting
    /// streams that are `drained`. `last_tsn` is the last TSN we assigned (§4.1).
    pub(super) fn progress(&mut self, most: usize, last_tsn: u32, drained: impl Fn(u16) -> bool) {
        if self.in_flight.is_some() || self.waiting.is_empty() {
            return;
        }
        let ready: Vec<u16> = self
            .waiting
            .iter()
            .copied()
            .filter(|&s| drained(s))
            .take(most)
            .collect();
        if ready.is_empty() {
            return;
        }
        for s in &ready {
            self.waiting.remove(s);
        }
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        self.in_flight = Some(Request {
            seq,
            last_tsn,
            streams: ready,
        });
        self.send_request = true;
    }

    /// One parameter of the peer's RE-CONFIG chunk (§5.2). `received_cum` is our cumulative
    /// TSN received, `last_tsn` the last TSN we assigned.
    pub(super) fn handle_param(
        &mut self,
        now: Instant,
        param: ReconfigParam<'_>,
        received_cum: u64,
        last_tsn: u32,
    ) -> Option<Outcome> {
        match param {
            ReconfigParam::OutgoingSsnReset {
                request_seq,
                last_tsn,
                streams,
                ..
            } => self.incoming_reset_request(request_seq, last_tsn, streams.iter(), received_cum),
            ReconfigParam::IncomingSsnReset { request_seq, .. } => {
                // We never reset our streams on the peer's behalf (WebRTC does not use it):
                // denied (§5.2.3 allows it).
                self.respond(request_seq, ReconfigResult::DENIED);
                None
            }
            ReconfigParam::Response {
                response_seq,
                result,
                ..
            } => self.reset_response(now, response_seq, result, last_tsn),
            _ => None,
        }
    }

    fn respond(&mut self, seq: u32, result: ReconfigResult) {
        if self.responses.len() < MAX_RESPONSES {
            self.responses.push_back((seq, result));
        }
    }

    /// The peer resets its outgoing streams, our incoming ones (§5.2.2).
    fn incoming_reset_request(
        &mut self,
        seq: u32,
        last_tsn: u32,
        streams: impl Iterator<Item = u16>,
        received_cum: u64,
    ) -> Option<Outcome> {
        let expected = *self.peer_next_seq.get_or_insert(seq);
        let retransmitted = self.last_response.is_some_and(|(s, _)| s == seq);
        if seq != expected && !retransmitted {
            self.respond(seq, ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER);
            return None;
        }
        if retransmitted
            && let Some((_, result)) = self.last_response
            && result != ReconfigResult::IN_PROGRESS
        {
            self.respond(seq, result);
            return None;
        }
        // §5.2.2: performed only once every TSN up to the sender's last one arrived;
        // until then "in progress", and the peer asks again.
        let last = unwrap_tsn(received_cum, last_tsn);
        let (result, outcome) = if last <= received_cum {
            (
                ReconfigResult::SUCCESS_PERFORMED,
                Some(Outcome::IncomingReset(streams.collect())),
            )
        } else {
            (ReconfigResult::IN_PROGRESS, None)
        };
        self.last_response = Some((seq, result));
        if seq == expected {
            self.peer_next_seq = Some(expected.wrapping_add(1));
        }
        self.respond(seq, result);
        outcome
    }

    /// The peer answered our request (§5.2.7).
    fn reset_response(
        &mut self,
        now: Instant,
        seq: u32,
        result: ReconfigResult,
        last_tsn: u32,
    ) -> Option<Outcome> {
        let request = self.in_flight.as_mut().filter(|r| r.seq == seq)?;
        if result == ReconfigResult::IN_PROGRESS {
            // Asked again, with a new sequence number, shortly.
            request.seq = self.next_seq;
            request.last_tsn = last_tsn;
            self.next_seq = self.next_seq.wrapping_add(1);
            self.timer.start_fresh(now, IN_PROGRESS_RETRY);
            return Some(Outcome::InProgress);
        }
        let performed = matches!(
            result,
            ReconfigResult::SUCCESS_PERFORMED | ReconfigResult::SUCCESS_NOTHING_TO_DO
        );
        let request = self.in_flight.take()?;
        self.timer.stop();
        Some(Outcome::OutgoingDone {
            streams: request.streams,
            performed,
        })
    }

    /// Writes a RE-CONFIG chunk with the waiting responses and, when due, our request; when
    /// it fitted, the request's timer runs (`rto`, backed off up to `max`).
    pub(super) fn write(
        &mut self,
        w: &mut PacketWriter<'_>,
        now: Instant,
        rto: Duration,
        max: Duration,
    ) {
        let mut params: Vec<ReconfigParam<'_>> = self
            .responses
            .iter()
            .map(|&(response_seq, result)| ReconfigParam::Response {
                response_seq,
                result,
                next_tsns: None,
            })
            .collect();
        let with_request = self.send_request;
        if with_request && let Some(r) = &self.in_flight {
            params.push(ReconfigParam::OutgoingSsnReset {
                request_seq: r.seq,
                response_seq: self.response_seq(),
                last_tsn: r.last_tsn,
                streams: List::new(&r.streams),
            });
        }
        let chunk = ReConfig {
            params: TlvList::new(&params),
        };
        if w.push(&Chunk::ReConfig(chunk)).is_ok() {
            drop(params);
            self.responses.clear();
            if with_request {
                self.send_request = false;
                self.timer.start(now, rto, max);
            }
        }
    }
}
