//! Application-limited region (ALR) detection: the sender sends well below the target, so
//! feedback cannot show whether the target is still right (libwebrtc `AlrDetector`).

use std::time::{Duration, Instant};

use crate::Bitrate;

/// The budget refills at this fraction of the target (libwebrtc: 65 %).
const USAGE_RATIO: f64 = 0.65;
/// The budget holds at most this long at its rate.
const WINDOW: Duration = Duration::from_millis(500);
/// ALR starts when this much of the budget is unused ...
const START_RATIO: f64 = 0.80;
/// ... and ends when less than this is.
const STOP_RATIO: f64 = 0.50;

/// A byte budget that refills at 65 % of the target and drains as bytes are sent.
#[derive(Debug)]
pub(crate) struct AlrDetector {
    budget: f64,
    rate: Bitrate,
    last: Instant,
    since: Option<Instant>,
}

impl AlrDetector {
    /// Not in ALR, at `target`.
    pub(crate) fn new(now: Instant, target: Bitrate) -> Self {
        Self {
            budget: 0.0,
            rate: target.scale(USAGE_RATIO),
            last: now,
            since: None,
        }
    }

    fn max_budget(&self) -> f64 {
        self.rate.bytes_in(WINDOW) as f64
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).min(WINDOW);
        if now > self.last {
            self.last = now;
        }
        self.budget = (self.budget + self.rate.bytes_in(elapsed) as f64).min(self.max_budget());
    }

    /// The target changed.
    pub(crate) fn set_target(&mut self, target: Bitrate) {
        self.rate = target.scale(USAGE_RATIO);
        self.budget = self.budget.min(self.max_budget());
    }

    /// `bytes` were sent at `now`.
    pub(crate) fn on_sent(&mut self, now: Instant, bytes: usize) {
        self.refill(now);
        self.budget = (self.budget - bytes as f64).max(-self.max_budget());
        self.check(now);
    }

    /// Time passed.
    pub(crate) fn on_timeout(&mut self, now: Instant) {
        self.refill(now);
        self.check(now);
    }

    fn check(&mut self, now: Instant) {
        let max = self.max_budget();
        if max <= 0.0 {
            return;
        }
        let unused = self.budget / max;
        if self.since.is_none() && unused > START_RATIO {
            self.since = Some(now);
        } else if self.since.is_some() && unused < STOP_RATIO {
            self.since = None;
        }
    }

    /// Since when the sender is application-limited, if it is.
    pub(crate) fn in_alr_since(&self) -> Option<Instant> {
        self.since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // a test's epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn sending_at_target_is_not_alr_and_silence_is() {
        let t = epoch();
        let target = Bitrate::from_mbps(1);
        let mut alr = AlrDetector::new(t, target);
        // 1 Mbit/s: 1250 bytes per 10 ms.
        for i in 1..=100u64 {
            alr.on_sent(t + Duration::from_millis(10 * i), 1250);
        }
        assert_eq!(alr.in_alr_since(), None);
        // Then 10 % of it.
        for i in 101..=300u64 {
            alr.on_sent(t + Duration::from_millis(10 * i), 125);
        }
        assert!(alr.in_alr_since().is_some());
        // And back.
        for i in 301..=400u64 {
            alr.on_sent(t + Duration::from_millis(10 * i), 1250);
        }
        assert_eq!(alr.in_alr_since(), None);
    }
}
