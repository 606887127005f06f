//! Consent freshness (RFC 7675), keepalives (RFC 8445 §11) and the connection state.

use std::time::{Duration, Instant};

use rand::Rng;
use rtcweb_stun::encode_binding_indication;

use crate::agent::Agent;
use crate::{ConnectionState, Event, GatheringState, PairState};

/// Proof-of-life bookkeeping of the route.
#[derive(Debug, Clone)]
pub(crate) struct Liveness {
    /// Last consent response or authenticated check on the route.
    last_alive: Instant,
    /// Last datagram sent on the route.
    last_sent: Instant,
    /// Next consent check.
    next_consent: Option<Instant>,
}

impl Liveness {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            last_alive: now,
            last_sent: now,
            next_consent: None,
        }
    }

    pub(crate) fn alive(&mut self, now: Instant) {
        self.last_alive = self.last_alive.max(now);
    }

    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_sent = self.last_sent.max(now);
    }

    pub(crate) fn selected(&mut self, now: Instant, consent_delay: Duration) {
        self.alive(now);
        self.next_consent = Some(now + consent_delay);
    }
}

impl Agent {
    /// RFC 7675 §5.1: the consent interval randomised between 0.8 and 1.2 times its base.
    pub(crate) fn consent_delay(&mut self) -> Duration {
        self.config
            .consent_interval
            .mul_f64(self.rng.random_range(0.8..1.2))
    }

    pub(crate) fn run_liveness(&mut self, now: Instant) {
        if self.closed || self.failed {
            return;
        }
        let Some(route) = self.route.clone() else {
            if let Some(started) = self.started
                && now.saturating_duration_since(started) >= self.config.consent_timeout
            {
                self.gave_up_waiting = true;
            }
            return;
        };
        // RFC 7675 §5.1: consent is lost 30 s after the last proof of life; stop sending.
        if now.saturating_duration_since(self.liveness.last_alive) >= self.config.consent_timeout {
            self.failed = true;
            return;
        }
        if !self.config.lite && self.liveness.next_consent.is_some_and(|t| now >= t) {
            // During an ICE restart the old pair has no checklist entry: no consent check
            // then (the restart gave it a fresh window).
            if let Some(pi) = route.pair.and_then(|id| self.pair_index(id)) {
                self.send_check(now, pi, false, true);
            }
            self.liveness.next_consent = Some(now + self.consent_delay());
        }
        // RFC 8445 §11: a keepalive when nothing else was sent for a while.
        if now.saturating_duration_since(self.liveness.last_sent) >= self.config.keepalive_interval
        {
            let mut id = [0u8; 12];
            rand::RngCore::fill_bytes(&mut self.rng, &mut id);
            let mut buf = [0u8; 64];
            if let Ok(n) = encode_binding_indication(id, &mut buf) {
                let path = self.locals[route.local].path;
                self.send_on_path(now, path, route.remote, &buf[..n]);
            }
            self.liveness.sent(now);
        }
    }

    /// The next liveness deadline: consent check, keepalive, disconnection, consent loss, or
    /// the give-up time of checks that found nothing.
    pub(crate) fn liveness_deadline(&self) -> Option<Instant> {
        if self.failed || self.closed {
            return None;
        }
        if self.route.is_none() {
            return self
                .started
                .filter(|_| {
                    !self.config.lite
                        && !self.gave_up_waiting
                        && self.session.remote_key().is_some()
                })
                .map(|s| s + self.config.consent_timeout);
        }
        let l = &self.liveness;
        [
            Some(l.last_sent + self.config.keepalive_interval),
            Some(l.last_alive + self.config.consent_timeout),
            (self.state != ConnectionState::Disconnected)
                .then_some(l.last_alive + self.config.disconnected_timeout),
            if self.config.lite {
                None
            } else {
                l.next_consent
            },
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn checks_done(&self) -> bool {
        self.triggered.is_empty() && self.pairs.iter().all(|p| p.state.is_done())
    }

    /// Recomputes the W3C connection state and announces changes.
    pub(crate) fn update_state(&mut self, now: Instant) {
        let new = if self.closed {
            ConnectionState::Closed
        } else if self.failed {
            ConnectionState::Failed
        } else if self.route.is_some() {
            let nominated = self
                .selected_pair_id()
                .and_then(|id| self.pair_index(id))
                .is_some_and(|i| self.pairs[i].nominated);
            if now.saturating_duration_since(self.liveness.last_alive)
                >= self.config.disconnected_timeout
            {
                ConnectionState::Disconnected
            } else if nominated
                && self.remote_end_of_candidates
                && self.gathering == GatheringState::Complete
                && self.checks_done()
            {
                ConnectionState::Completed
            } else {
                ConnectionState::Connected
            }
        } else if self.session.remote_key().is_none() && self.remotes.is_empty() {
            ConnectionState::New
        } else if !self.config.lite && self.all_failed(now) {
            self.failed = true;
            ConnectionState::Failed
        } else {
            ConnectionState::Checking
        };
        if new != self.state {
            // Browsers always pass through `connected` on the way to `completed`.
            if new == ConnectionState::Completed
                && matches!(self.state, ConnectionState::New | ConnectionState::Checking)
            {
                self.events
                    .push_back(Event::ConnectionState(ConnectionState::Connected));
            }
            self.state = new;
            self.events.push_back(Event::ConnectionState(new));
        }
    }

    /// Nothing can work any more: every pair failed and either the peer said it has no more
    /// candidates or we waited the consent timeout since checks started.
    fn all_failed(&self, now: Instant) -> bool {
        if self.session.remote_key().is_none()
            || self.gathering != GatheringState::Complete
            || !self.pending_mdns.is_empty()
            || !self.checks_done()
            || self.pairs.iter().any(|p| p.state == PairState::Succeeded)
        {
            return false;
        }
        let _ = now;
        (self.remote_end_of_candidates && !self.pairs.is_empty()) || self.gave_up_waiting
    }
}
