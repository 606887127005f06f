//! The trendline filter: the slope of the accumulated one-way delay variation over the last
//! groups, by least squares (libwebrtc `TrendlineEstimator`; draft-ietf-rmcat-gcc-02 §5.3
//! describes a Kalman filter instead, which libwebrtc replaced with this).

use std::collections::VecDeque;

/// Groups in the regression window.
const WINDOW: usize = 20;
/// Exponential smoothing of the accumulated delay.
const SMOOTHING: f64 = 0.9;
/// The slope is scaled by this (and by the number of deltas, up to 60) before it is
/// compared with the threshold.
const THRESHOLD_GAIN: f64 = 4.0;
/// The delta count stops scaling the trend here.
const MAX_DELTAS: u32 = 60;

/// Accumulates group deltas and yields the scaled delay trend.
#[derive(Debug)]
pub(crate) struct Trendline {
    first_arrival_ms: Option<f64>,
    accumulated_delay_ms: f64,
    smoothed_delay_ms: f64,
    points: VecDeque<(f64, f64)>,
    trend: f64,
    deltas: u32,
}

impl Default for Trendline {
    fn default() -> Self {
        Self {
            first_arrival_ms: None,
            accumulated_delay_ms: 0.0,
            smoothed_delay_ms: 0.0,
            points: VecDeque::with_capacity(WINDOW + 1),
            trend: 0.0,
            deltas: 0,
        }
    }
}

impl Trendline {
    /// Adds the deltas between two groups; returns the modified trend (the slope scaled by
    /// gain and delta count, in ms: what the overuse detector compares with its threshold).
    pub(crate) fn update(
        &mut self,
        arrival_delta_ms: f64,
        send_delta_ms: f64,
        arrival_time_ms: f64,
    ) -> f64 {
        let delta_ms = arrival_delta_ms - send_delta_ms;
        self.deltas = self.deltas.saturating_add(1).min(1000);
        let first = *self.first_arrival_ms.get_or_insert(arrival_time_ms);
        self.accumulated_delay_ms += delta_ms;
        self.smoothed_delay_ms =
            SMOOTHING * self.smoothed_delay_ms + (1.0 - SMOOTHING) * self.accumulated_delay_ms;
        self.points
            .push_back((arrival_time_ms - first, self.smoothed_delay_ms));
        if self.points.len() > WINDOW {
            self.points.pop_front();
        }
        if self.points.len() == WINDOW {
            if let Some(slope) = linear_fit_slope(&self.points) {
                self.trend = slope;
            }
        }
        self.modified_trend()
    }

    /// The slope scaled for the detector.
    pub(crate) fn modified_trend(&self) -> f64 {
        if self.deltas < 2 {
            return 0.0;
        }
        f64::from(self.deltas.min(MAX_DELTAS)) * self.trend * THRESHOLD_GAIN
    }

    /// The raw slope (delay ms per ms).
    #[cfg(test)]
    pub(crate) fn trend(&self) -> f64 {
        self.trend
    }
}

/// Least-squares slope of `y` over `x`; `None` when all `x` are equal.
fn linear_fit_slope(points: &VecDeque<(f64, f64)>) -> Option<f64> {
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    (den != 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_growing_queue_gives_a_positive_trend_and_a_steady_one_none() {
        // Groups 10 ms apart, each arriving 1 ms later than the last: the queue grows by
        // 0.1 ms per ms.
        let mut growing = Trendline::default();
        let mut steady = Trendline::default();
        for i in 0..100 {
            growing.update(11.0, 10.0, 11.0 * f64::from(i));
            steady.update(10.0, 10.0, 10.0 * f64::from(i));
        }
        // The smoothed delay follows the ramp with a lag; its slope settles at ~1/11.
        assert!(
            (growing.trend() - 1.0 / 11.0).abs() < 0.01,
            "{}",
            growing.trend()
        );
        assert!((growing.modified_trend() - 60.0 * 4.0 * growing.trend()).abs() < 1e-9);
        assert_eq!(steady.trend(), 0.0);
        // A draining queue slopes down.
        let mut draining = Trendline::default();
        for i in 0..40 {
            draining.update(9.0, 10.0, 9.0 * f64::from(i));
        }
        assert!(draining.trend() < 0.0);
    }

    #[test]
    fn the_trend_waits_for_a_full_window() {
        let mut t = Trendline::default();
        for i in 0..(WINDOW as u32 - 1) {
            t.update(12.0, 10.0, 12.0 * f64::from(i));
        }
        assert_eq!(t.trend(), 0.0);
        t.update(12.0, 10.0, 12.0 * f64::from(WINDOW as u32));
        assert!(t.trend() > 0.0);
    }
}
