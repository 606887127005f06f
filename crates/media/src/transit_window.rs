//! The fastest and slowest transit (arrival minus media time) of the packets or frames of
//! a sliding window, kept with two monotonic queues: what the audio jitter buffer and the
//! video render queue size their delays from.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Transits (ms) of the last `window`, at most `limit` entries per queue.
#[derive(Debug, Clone)]
pub(crate) struct TransitWindow {
    window: Duration,
    limit: usize,
    /// Ascending transits: the front is the fastest in the window.
    lows: VecDeque<(Instant, f64)>,
    /// Descending transits: the front is the slowest in the window.
    highs: VecDeque<(Instant, f64)>,
}

impl TransitWindow {
    pub(crate) fn new(window: Duration, limit: usize) -> Self {
        Self {
            window,
            limit: limit.max(1),
            lows: VecDeque::new(),
            highs: VecDeque::new(),
        }
    }

    /// Adds the transit measured at `now`; the fastest and slowest of the window.
    pub(crate) fn push(&mut self, now: Instant, transit: f64) -> (f64, f64) {
        while self.lows.back().is_some_and(|(_, v)| *v >= transit) {
            self.lows.pop_back();
        }
        self.lows.push_back((now, transit));
        while self.highs.back().is_some_and(|(_, v)| *v <= transit) {
            self.highs.pop_back();
        }
        self.highs.push_back((now, transit));
        for queue in [&mut self.lows, &mut self.highs] {
            while queue
                .front()
                .is_some_and(|(t, _)| now.saturating_duration_since(*t) > self.window)
                || queue.len() > self.limit
            {
                queue.pop_front();
            }
        }
        let min = self.lows.front().map_or(transit, |(_, v)| *v);
        let max = self.highs.front().map_or(transit, |(_, v)| *v);
        (min, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extremes_of_the_window_only() {
        #[allow(clippy::disallowed_methods)] // the test takes its epoch from the clock
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut w = TransitWindow::new(Duration::from_millis(100), 64);
        assert_eq!(w.push(ms(0), 10.0), (10.0, 10.0));
        assert_eq!(w.push(ms(10), 30.0), (10.0, 30.0));
        assert_eq!(w.push(ms(20), 20.0), (10.0, 30.0));
        // 10.0 and 30.0 leave the window; 20.0 stays the slowest.
        assert_eq!(w.push(ms(115), 15.0), (15.0, 20.0));
        assert_eq!(w.push(ms(300), 40.0), (40.0, 40.0));
    }
}
