//! Graceful shutdown (RFC 9260 §9.2): outstanding data is delivered first, then SHUTDOWN,
//! SHUTDOWN ACK and SHUTDOWN COMPLETE.

use std::time::{Duration, Instant};

use super::{Association, State};
use crate::CloseReason;
use crate::timer::Timer;
use crate::tsn::unwrap_tsn;
use crate::wire::Chunk;

/// The shutdown's own state: T2-shutdown, which retransmits our SHUTDOWN or SHUTDOWN ACK
/// until the peer answers (§9.2). Only this module starts it; the association sees its
/// deadline, whether it expired, and stops it when the association ends. Where the shutdown
/// is stays in the association's [`State`], which the other topics read too.
#[derive(Debug, Default)]
pub(super) struct Shutdown {
    /// T2-shutdown.
    t2: Timer,
}

impl Shutdown {
    /// When T2-shutdown expires.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.t2.deadline()
    }

    /// Whether T2-shutdown expired at `now` (it stops and counts the expiration).
    pub(super) fn expired(&mut self, now: Instant) -> bool {
        self.t2.expired(now)
    }

    /// The association ended: T2-shutdown stops.
    pub(super) fn stop(&mut self) {
        self.t2.stop();
    }

    /// SHUTDOWN or SHUTDOWN ACK just went out for the first time: T2 from the current RTO,
    /// without backoff.
    fn sent(&mut self, now: Instant, rto: Duration) {
        self.t2.start_fresh(now, rto);
    }

    /// Sent again on expiry: T2 with the backed-off RTO (§9.2, as T3-rtx in §6.3.3).
    fn resent(&mut self, now: Instant, rto: Duration, max_backoff: Duration) {
        self.t2.start(now, rto, max_backoff);
    }
}

impl Association {
    /// The owner asked for a graceful shutdown (§9.2): it waits for outstanding data when
    /// established; before that, the association just ends.
    pub(super) fn begin_shutdown(&mut self) {
        match self.state {
            State::Established => {
                self.state = State::ShutdownPending;
                self.progress_shutdown();
            }
            State::Closed | State::CookieWait | State::CookieEchoed => {
                self.terminate(CloseReason::Shutdown, true);
            }
            _ => {}
        }
    }

    fn nothing_outstanding(&self) -> bool {
        self.outstanding.is_empty() && self.send_queue.is_empty()
    }

    /// Moves a pending shutdown on once nothing is outstanding (§9.2).
    pub(super) fn progress_shutdown(&mut self) {
        match self.state {
            State::ShutdownPending if self.nothing_outstanding() => {
                self.send_shutdown();
                self.state = State::ShutdownSent;
                self.shutdown.sent(self.now, self.rto.rto());
            }
            State::ShutdownReceived if self.nothing_outstanding() => {
                self.send_shutdown_ack();
                self.state = State::ShutdownAckSent;
                self.shutdown.sent(self.now, self.rto.rto());
            }
            _ => {}
        }
    }

    fn send_shutdown(&mut self) {
        if let Some(peer) = self.peer {
            let cumulative_tsn_ack = self.received.cum() as u32;
            self.queue_control(peer.tag, &Chunk::Shutdown { cumulative_tsn_ack });
        }
    }

    fn send_shutdown_ack(&mut self) {
        if let Some(peer) = self.peer {
            self.queue_control(peer.tag, &Chunk::ShutdownAck);
        }
    }

    /// SHUTDOWN (§9.2): its cumulative TSN ack counts as a SACK without gaps.
    pub(super) fn handle_shutdown(&mut self, cumulative_tsn_ack: u32) {
        match self.state {
            State::Established | State::ShutdownPending | State::ShutdownReceived => {
                let known = self.outstanding.cum_ack();
                let cum = unwrap_tsn(known, cumulative_tsn_ack);
                if cum > known {
                    let partial = self.peer.is_some_and(|p| p.forward_tsn);
                    let _ =
                        self.outstanding
                            .handle_sack(self.now, cum, std::iter::empty(), partial);
                    if !self.outstanding.has_in_flight() {
                        self.pending.stop_t3();
                    }
                }
                self.state = State::ShutdownReceived;
            }
            State::ShutdownSent => {
                // §9.2: both sent SHUTDOWN: answer with SHUTDOWN ACK.
                self.send_shutdown_ack();
                self.state = State::ShutdownAckSent;
                self.shutdown.sent(self.now, self.rto.rto());
            }
            _ => {}
        }
    }

    /// SHUTDOWN ACK (§9.2): SHUTDOWN COMPLETE, and the association is closed.
    pub(super) fn handle_shutdown_ack(&mut self) {
        if matches!(self.state, State::ShutdownSent | State::ShutdownAckSent)
            && let Some(peer) = self.peer
        {
            self.queue_control(
                peer.tag,
                &Chunk::ShutdownComplete {
                    reflected_tag: false,
                },
            );
            self.terminate(CloseReason::Shutdown, false);
        }
    }

    /// T2-shutdown expired (§9.2): send again.
    pub(super) fn t2_expired(&mut self) {
        self.count_error();
        if self.ended {
            return;
        }
        match self.state {
            State::ShutdownSent => self.send_shutdown(),
            State::ShutdownAckSent => self.send_shutdown_ack(),
            _ => return,
        }
        self.shutdown
            .resent(self.now, self.rto.rto(), self.config.max_timer_backoff);
    }
}
