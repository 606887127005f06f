//! The overuse detector: compares the delay trend with a threshold that adapts to it
//! (draft-ietf-rmcat-gcc-02 §5.4; libwebrtc's trendline detector with its constants).

use std::time::{Duration, Instant};

/// The threshold rises this fast towards a trend above it (§5.4: K_u) ...
const K_UP: f64 = 0.0087;
/// ... and falls this fast towards one below it (§5.4: K_d).
const K_DOWN: f64 = 0.039;
/// Initial threshold in ms (§5.4: del_var_th(0) = 12.5 ms).
const INITIAL_THRESHOLD_MS: f64 = 12.5;
/// The threshold stays within 6..600 ms (§5.4).
const MIN_THRESHOLD_MS: f64 = 6.0;
const MAX_THRESHOLD_MS: f64 = 600.0;
/// A trend this far above the threshold is a spike the threshold does not follow (§5.4).
const MAX_ADAPT_OFFSET_MS: f64 = 15.0;
/// Overuse must last this long before it is signalled (§5.4: overuse_time_th = 10 ms).
const OVERUSING_TIME_THRESHOLD_MS: f64 = 10.0;
/// Threshold updates after longer pauses count as this long.
const MAX_TIME_DELTA: Duration = Duration::from_millis(100);

/// The detector's verdict on the path (gcc-02 §5.4 "signal").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BandwidthUsage {
    /// Delay is steady.
    #[default]
    Normal,
    /// Delay grows: a queue builds at the bottleneck.
    Overusing,
    /// Delay shrinks: a queue drains.
    Underusing,
}

/// Turns trends into [`BandwidthUsage`].
#[derive(Debug)]
pub(crate) struct OveruseDetector {
    threshold_ms: f64,
    last_update: Option<Instant>,
    time_over_using_ms: Option<f64>,
    overuse_count: u32,
    previous_trend: f64,
    state: BandwidthUsage,
}

impl Default for OveruseDetector {
    fn default() -> Self {
        Self {
            threshold_ms: INITIAL_THRESHOLD_MS,
            last_update: None,
            time_over_using_ms: None,
            overuse_count: 0,
            previous_trend: 0.0,
            state: BandwidthUsage::Normal,
        }
    }
}

impl OveruseDetector {
    /// Feeds one modified trend (see `Trendline::update`) from a group sent `send_delta_ms`
    /// after the previous one; `now` drives the threshold's adaptation.
    pub(crate) fn detect(
        &mut self,
        modified_trend: f64,
        send_delta_ms: f64,
        now: Instant,
    ) -> BandwidthUsage {
        if modified_trend > self.threshold_ms {
            let over = match self.time_over_using_ms {
                None => send_delta_ms / 2.0,
                Some(t) => t + send_delta_ms,
            };
            self.time_over_using_ms = Some(over);
            self.overuse_count += 1;
            if over > OVERUSING_TIME_THRESHOLD_MS
                && self.overuse_count > 1
                && modified_trend >= self.previous_trend
            {
                self.time_over_using_ms = Some(0.0);
                self.overuse_count = 0;
                self.state = BandwidthUsage::Overusing;
            }
        } else if modified_trend < -self.threshold_ms {
            self.time_over_using_ms = None;
            self.overuse_count = 0;
            self.state = BandwidthUsage::Underusing;
        } else {
            self.time_over_using_ms = None;
            self.overuse_count = 0;
            self.state = BandwidthUsage::Normal;
        }
        self.previous_trend = modified_trend;
        self.update_threshold(modified_trend, now);
        self.state
    }

    /// gcc-02 §5.4: del_var_th(i) = del_var_th(i-1) + Δt·K(i)·(|m(i)| - del_var_th(i-1)).
    fn update_threshold(&mut self, modified_trend: f64, now: Instant) {
        let last = *self.last_update.get_or_insert(now);
        let magnitude = modified_trend.abs();
        if magnitude > self.threshold_ms + MAX_ADAPT_OFFSET_MS {
            self.last_update = Some(now);
            return;
        }
        let k = if magnitude < self.threshold_ms {
            K_DOWN
        } else {
            K_UP
        };
        let dt_ms = now
            .saturating_duration_since(last)
            .min(MAX_TIME_DELTA)
            .as_secs_f64()
            * 1000.0;
        self.threshold_ms += k * (magnitude - self.threshold_ms) * dt_ms;
        self.threshold_ms = self.threshold_ms.clamp(MIN_THRESHOLD_MS, MAX_THRESHOLD_MS);
        self.last_update = Some(now);
    }

    /// The current verdict.
    pub(crate) fn state(&self) -> BandwidthUsage {
        self.state
    }

    /// The current threshold in ms.
    #[cfg(test)]
    pub(crate) fn threshold_ms(&self) -> f64 {
        self.threshold_ms
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
    fn the_threshold_follows_the_trend_within_its_bounds() {
        let t = epoch();
        let mut d = OveruseDetector::default();
        // A quiet path: the threshold falls to its floor at K_DOWN.
        for i in 1..200u64 {
            d.detect(0.0, 10.0, t + Duration::from_millis(10 * i));
        }
        assert_eq!(d.threshold_ms(), MIN_THRESHOLD_MS);
        // One step of 10 ms at a trend of 10 ms: 6 + 0.0087·(10 - 6)·10.
        let mut d = OveruseDetector {
            threshold_ms: 6.0,
            last_update: Some(t),
            ..OveruseDetector::default()
        };
        d.detect(10.0, 10.0, t + Duration::from_millis(10));
        assert!((d.threshold_ms() - (6.0 + K_UP * 4.0 * 10.0)).abs() < 1e-9);
        // A spike far above the threshold does not move it.
        d.detect(100.0, 10.0, t + Duration::from_millis(20));
        assert!((d.threshold_ms() - (6.0 + K_UP * 4.0 * 10.0)).abs() < 1e-9);
    }

    #[test]
    fn overuse_needs_time_and_a_second_sample() {
        let t = epoch();
        let mut d = OveruseDetector::default();
        assert_eq!(d.detect(20.0, 5.0, t), BandwidthUsage::Normal);
        assert_eq!(
            d.detect(21.0, 5.0, t + Duration::from_millis(5)),
            BandwidthUsage::Normal
        );
        // 2.5 + 5 + 5 > 10 ms over the threshold, three samples, trend not falling.
        assert_eq!(
            d.detect(22.0, 5.0, t + Duration::from_millis(10)),
            BandwidthUsage::Overusing
        );
        assert_eq!(
            d.detect(-30.0, 5.0, t + Duration::from_millis(15)),
            BandwidthUsage::Underusing
        );
        assert_eq!(
            d.detect(0.0, 5.0, t + Duration::from_millis(20)),
            BandwidthUsage::Normal
        );
    }
}
