//! The loss-based estimate: a limit that only heavy loss sets and low loss lifts
//! (draft-ietf-rmcat-gcc-02 §6; libwebrtc `SendSideBandwidthEstimation`'s classic rule).

use std::time::{Duration, Instant};

use crate::Bitrate;

/// Loss above this decreases the estimate (gcc-02 §6: 10 %).
const HIGH_LOSS: f64 = 0.10;
/// Loss below this increases it (gcc-02 §6: 2 %).
const LOW_LOSS: f64 = 0.02;
/// Increase per update at low loss (gcc-02 §6: 8 %).
const INCREASE: f64 = 1.08;
/// Loss is measured over at least this many packets ...
const MIN_PACKETS: u64 = 20;
/// ... and at least this long, so that a few random losses in one feedback are not read
/// as congestion (libwebrtc updates on receiver reports, about once a second).
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// Loss counting and the estimate it gives.
#[derive(Debug, Default)]
pub(crate) struct LossBased {
    /// `None` while loss has not limited the rate (or has stopped limiting it).
    estimate: Option<Bitrate>,
    lost: u64,
    expected: u64,
    window_start: Option<Instant>,
    last_loss: f64,
}

impl LossBased {
    /// Counts `lost` of `expected` packets reported in one feedback. `current` is the rate in
    /// use (where a decrease starts from) and `delay_based` the delay-based estimate (the
    /// limit is dropped once it is no lower).
    pub(crate) fn on_feedback(
        &mut self,
        now: Instant,
        lost: u64,
        expected: u64,
        current: Bitrate,
        delay_based: Bitrate,
    ) {
        let start = *self.window_start.get_or_insert(now);
        self.lost += lost;
        self.expected += expected;
        if self.expected < MIN_PACKETS || now.saturating_duration_since(start) < MIN_INTERVAL {
            return;
        }
        let loss = self.lost as f64 / self.expected as f64;
        self.last_loss = loss;
        self.lost = 0;
        self.expected = 0;
        self.window_start = Some(now);
        if loss > HIGH_LOSS {
            // gcc-02 §6: As_hat = As_hat · (1 - 0.5·p).
            let from = self.estimate.map_or(current, |e| e.min(current));
            self.estimate = Some(from.scale(1.0 - 0.5 * loss));
        } else if loss < LOW_LOSS {
            if let Some(e) = self.estimate {
                let raised = e.scale(INCREASE).saturating_add(Bitrate::from_kbps(1));
                self.estimate = (raised < delay_based).then_some(raised);
            }
        }
        // Between 2 % and 10 %: hold.
    }

    /// The limit loss sets, if any.
    pub(crate) fn estimate(&self) -> Option<Bitrate> {
        self.estimate
    }

    /// The loss fraction of the last complete window.
    pub(crate) fn loss(&self) -> f64 {
        self.last_loss
    }

    /// Keeps the limit, if any, at least `min`.
    pub(crate) fn clamp_min(&mut self, min: Bitrate) {
        if let Some(e) = &mut self.estimate {
            *e = (*e).max(min);
        }
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
    fn heavy_loss_decreases_light_loss_lifts_and_moderate_loss_holds() {
        let t = epoch();
        let m = Bitrate::from_mbps;
        let mut l = LossBased::default();
        l.on_feedback(t, 0, 10, m(2), m(2));
        // 20 % loss over a second: 2 Mbit/s · (1 - 0.1).
        l.on_feedback(t + Duration::from_secs(1), 40, 190, m(2), m(2));
        assert_eq!(l.estimate(), Some(Bitrate::from_kbps(1800)));
        assert!((l.loss() - 0.2).abs() < 1e-9);
        // 5 %: hold.
        l.on_feedback(t + Duration::from_secs(2), 10, 200, m(2), m(2));
        assert_eq!(l.estimate(), Some(Bitrate::from_kbps(1800)));
        // 1 %: +8 % (+1 kbit/s).
        l.on_feedback(t + Duration::from_secs(3), 2, 200, m(2), m(2));
        assert_eq!(l.estimate(), Some(Bitrate::from_kbps(1945)));
        // Once it passes the delay-based estimate, loss no longer limits.
        l.on_feedback(t + Duration::from_secs(4), 0, 200, m(2), m(2));
        assert_eq!(l.estimate(), None);
    }

    #[test]
    fn a_few_losses_in_one_feedback_wait_for_the_window() {
        let t = epoch();
        let mut l = LossBased::default();
        l.on_feedback(t, 0, 15, Bitrate::from_mbps(3), Bitrate::from_mbps(3));
        l.on_feedback(
            t + Duration::from_millis(50),
            3,
            15,
            Bitrate::from_mbps(3),
            Bitrate::from_mbps(3),
        );
        assert_eq!(l.estimate(), None);
    }
}
