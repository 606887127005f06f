//! A retransmission timer with exponential back-off (RFC 9260 §6.3.3 E2, §5.1 T1).

use std::time::{Duration, Instant};

/// One timer: a deadline and how many times it expired since it was last started fresh.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Timer {
    deadline: Option<Instant>,
    /// Expirations since the last fresh start: the back-off exponent.
    pub(crate) expirations: u32,
}

impl Timer {
    /// Starts (or restarts) the timer `rto` from now, keeping the back-off count.
    pub(crate) fn start(&mut self, now: Instant, rto: Duration, max: Duration) {
        self.deadline = Some(now + backed_off(rto, self.expirations, max));
    }

    /// Starts the timer afresh: the back-off count goes back to 0.
    pub(crate) fn start_fresh(&mut self, now: Instant, rto: Duration) {
        self.expirations = 0;
        self.deadline = Some(now + rto);
    }

    /// Starts the timer unless it runs already.
    pub(crate) fn ensure(&mut self, now: Instant, rto: Duration, max: Duration) {
        if self.deadline.is_none() {
            self.start(now, rto, max);
        }
    }

    pub(crate) fn stop(&mut self) {
        self.deadline = None;
        self.expirations = 0;
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the timer is due at `now`; if so it stops and counts one expiration.
    pub(crate) fn expired(&mut self, now: Instant) -> bool {
        match self.deadline {
            Some(t) if t <= now => {
                self.deadline = None;
                self.expirations = self.expirations.saturating_add(1);
                true
            }
            _ => false,
        }
    }
}

/// `rto` doubled `expirations` times, at most `max` (RFC 9260 §6.3.3 E2: RTO.Max caps it).
pub(crate) fn backed_off(rto: Duration, expirations: u32, max: Duration) -> Duration {
    let factor = 1u32 << expirations.min(16);
    rto.saturating_mul(factor).min(max).max(rto.min(max))
}

/// The earliest of some deadlines.
pub(crate) fn earliest(deadlines: impl IntoIterator<Item = Option<Instant>>) -> Option<Instant> {
    deadlines.into_iter().flatten().min()
}
