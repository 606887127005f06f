//! Consent freshness (RFC 7675), keepalives (RFC 8445 §11) and the connection state: a
//! [`Liveness`] owns the W3C state, whether the agent failed or closed, and the proof-of-life
//! timing of the route. The agent tells it what the checklist says ([`Progress`]) and what
//! was sent or proved alive; it answers what is due.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::{Config, ConnectionState, Event};

/// What the checklist and gathering say, for the connection state.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Progress {
    /// A pair is selected. `completed`: it is nominated, both sides' candidates are all
    /// known and every check is done.
    Selected { completed: bool },
    /// Neither the peer's credentials nor any of its candidates are known.
    New,
    /// Checks run or wait. `exhausted`: the remote credentials are known, gathering and
    /// mDNS resolution are done, every check is done and none succeeded; `peer_done`: the
    /// peer signalled end-of-candidates and there are pairs.
    Checking { exhausted: bool, peer_done: bool },
}

/// The connection state and the proof-of-life bookkeeping of the route.
#[derive(Debug, Clone)]
pub(crate) struct Liveness {
    state: ConnectionState,
    failed: bool,
    closed: bool,
    /// When checks could start (remote credentials or a candidate arrived).
    started: Option<Instant>,
    /// Checks ran for the consent timeout without finding a pair.
    gave_up_waiting: bool,
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
            state: ConnectionState::New,
            failed: false,
            closed: false,
            started: None,
            gave_up_waiting: false,
            last_alive: now,
            last_sent: now,
            next_consent: None,
        }
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.state
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.failed
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Closed or failed: nothing is checked or sent any more.
    pub(crate) fn is_over(&self) -> bool {
        self.closed || self.failed
    }

    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    /// Checks can start (the first time only).
    pub(crate) fn start(&mut self, now: Instant) {
        self.started.get_or_insert(now);
    }

    /// An ICE restart (RFC 8445 §9): failure forgotten, the wait for a pair starts again,
    /// and an old route still carrying data gets a fresh consent window.
    pub(crate) fn restart(&mut self, now: Instant, has_route: bool) {
        self.failed = false;
        self.started = Some(now);
        self.gave_up_waiting = false;
        if has_route {
            self.alive(now);
        }
    }

    /// A consent response or an authenticated check on the route.
    pub(crate) fn alive(&mut self, now: Instant) {
        self.last_alive = self.last_alive.max(now);
    }

    /// Something was sent on the route.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_sent = self.last_sent.max(now);
    }

    /// A pair was selected: alive now, first consent check after `consent_delay`.
    pub(crate) fn selected(&mut self, now: Instant, consent_delay: Duration) {
        self.alive(now);
        self.next_consent = Some(now + consent_delay);
    }

    /// Time passed. Without a route, checks that found nothing for the consent timeout give
    /// up; with one, consent is lost 30 s after the last proof of life (RFC 7675 §5.1).
    /// Returns whether the route is still alive (consent checks and keepalives may be due).
    pub(crate) fn tick(&mut self, now: Instant, has_route: bool, config: &Config) -> bool {
        if self.is_over() {
            return false;
        }
        if !has_route {
            if let Some(started) = self.started
                && now.saturating_duration_since(started) >= config.consent_timeout
            {
                self.gave_up_waiting = true;
            }
            return false;
        }
        if now.saturating_duration_since(self.last_alive) >= config.consent_timeout {
            self.failed = true;
            return false;
        }
        true
    }

    /// Whether a consent check is due (a lite agent sends none).
    pub(crate) fn consent_due(&self, now: Instant, config: &Config) -> bool {
        !config.lite && self.next_consent.is_some_and(|t| now >= t)
    }

    /// The next consent check, at `at`.
    pub(crate) fn next_consent_at(&mut self, at: Instant) {
        self.next_consent = Some(at);
    }

    /// RFC 8445 §11: a keepalive is due when nothing else was sent for a while.
    pub(crate) fn keepalive_due(&self, now: Instant, config: &Config) -> bool {
        now.saturating_duration_since(self.last_sent) >= config.keepalive_interval
    }

    /// The next liveness deadline: consent check, keepalive, disconnection, consent loss, or
    /// (without a route, when `checking`: not lite and the remote credentials known) the
    /// give-up time of checks that found nothing.
    pub(crate) fn deadline(
        &self,
        has_route: bool,
        checking: bool,
        config: &Config,
    ) -> Option<Instant> {
        if self.is_over() {
            return None;
        }
        if !has_route {
            return self
                .started
                .filter(|_| checking && !self.gave_up_waiting)
                .map(|s| s + config.consent_timeout);
        }
        [
            Some(self.last_sent + config.keepalive_interval),
            Some(self.last_alive + config.consent_timeout),
            (self.state != ConnectionState::Disconnected)
                .then_some(self.last_alive + config.disconnected_timeout),
            if config.lite { None } else { self.next_consent },
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Recomputes the W3C connection state from `progress` and announces changes.
    pub(crate) fn update(
        &mut self,
        now: Instant,
        progress: Progress,
        config: &Config,
        events: &mut VecDeque<Event>,
    ) {
        let new = if self.closed {
            ConnectionState::Closed
        } else if self.failed {
            ConnectionState::Failed
        } else {
            match progress {
                Progress::Selected { completed } => {
                    if now.saturating_duration_since(self.last_alive) >= config.disconnected_timeout
                    {
                        ConnectionState::Disconnected
                    } else if completed {
                        ConnectionState::Completed
                    } else {
                        ConnectionState::Connected
                    }
                }
                Progress::New => ConnectionState::New,
                // Nothing can work any more: every pair failed and either the peer said it
                // has no more candidates or we waited the consent timeout since checks
                // started.
                Progress::Checking {
                    exhausted,
                    peer_done,
                } if !config.lite && exhausted && (peer_done || self.gave_up_waiting) => {
                    self.failed = true;
                    ConnectionState::Failed
                }
                Progress::Checking { .. } => ConnectionState::Checking,
            }
        };
        if new != self.state {
            // Browsers always pass through `connected` on the way to `completed`.
            if new == ConnectionState::Completed
                && matches!(self.state, ConnectionState::New | ConnectionState::Checking)
            {
                events.push_back(Event::ConnectionState(ConnectionState::Connected));
            }
            self.state = new;
            events.push_back(Event::ConnectionState(new));
        }
    }
}
