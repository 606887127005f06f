//! The congestion window (libwebrtc's `CongestionWindow` and
//! `CongestionWindowPushbackController`): data in flight is kept under the target's worth
//! of the path's base round trip plus a queue allowance. A delay-based estimator sees a
//! queue *grow*; a drop-tail queue that filled during start-up and then stays full shows
//! no growth, only loss and delay. The window drains it: when more is in flight than the
//! base round trip and the allowance carry, the pacer holds media back and the encoders
//! are pushed below the target until it drains.
//!
//! The base round trip is the least feedback round trip over the last 10 s (a standing
//! queue must not raise it, or the window would grow with the queue it should drain).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::Bitrate;

/// How far back the base round trip looks.
const BASE_RTT_WINDOW: Duration = Duration::from_secs(10);
/// Most round-trip samples kept (a monotonic queue holds few; this bounds the worst case).
const MAX_SAMPLES: usize = 256;
/// The window never closes below this (libwebrtc's minimum: a few packets in flight).
const MIN_WINDOW_BYTES: usize = 6000;
/// The encoders are never pushed below this.
const MIN_PUSHBACK: Bitrate = Bitrate::from_kbps(30);

/// The window and the encoder pushback it drives.
#[derive(Debug)]
pub(crate) struct CongestionWindow {
    allowance: Duration,
    /// (when, round trip), round trips increasing from the front: the front is the least
    /// in the window.
    samples: VecDeque<(Instant, Duration)>,
    /// What the encoders get of the target, 0..=1.
    ratio: f64,
}

impl CongestionWindow {
    /// A window allowing `allowance` of queueing over the base round trip.
    pub(crate) fn new(allowance: Duration) -> Self {
        Self {
            allowance,
            samples: VecDeque::with_capacity(16),
            ratio: 1.0,
        }
    }

    /// A feedback round trip measured at `now`.
    pub(crate) fn on_rtt(&mut self, now: Instant, rtt: Duration) {
        while self
            .samples
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) > BASE_RTT_WINDOW)
        {
            self.samples.pop_front();
        }
        while self.samples.back().is_some_and(|(_, r)| *r >= rtt) {
            self.samples.pop_back();
        }
        if self.samples.len() >= MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back((now, rtt));
    }

    /// The least round trip of the last 10 s.
    pub(crate) fn base_rtt(&self) -> Option<Duration> {
        self.samples.front().map(|(_, r)| *r)
    }

    /// The window in bytes at `target`; `None` before a round trip was measured.
    pub(crate) fn window(&self, target: Bitrate) -> Option<usize> {
        let base = self.base_rtt()?;
        let bytes = target.bytes_in(base + self.allowance);
        Some(
            usize::try_from(bytes)
                .unwrap_or(usize::MAX)
                .max(MIN_WINDOW_BYTES),
        )
    }

    /// After feedback: how full the window is moves the encoders' share (libwebrtc's
    /// steps: over 1.5 times full −10 %, over full −5 %, under a tenth back to all of it,
    /// else +5 %).
    pub(crate) fn update_pushback(&mut self, in_flight: usize, window: Option<usize>) {
        let Some(window) = window else {
            self.ratio = 1.0;
            return;
        };
        let fill = in_flight as f64 / window as f64;
        self.ratio = if fill > 1.5 {
            self.ratio * 0.9
        } else if fill > 1.0 {
            self.ratio * 0.95
        } else if fill < 0.1 {
            1.0
        } else {
            (self.ratio * 1.05).min(1.0)
        };
    }

    /// What the encoders should aim at of `target`.
    pub(crate) fn pushback(&self, target: Bitrate) -> Bitrate {
        let pushed = target.scale(self.ratio);
        if pushed < target {
            pushed.max(MIN_PUSHBACK.min(target))
        } else {
            target
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

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_base_round_trip_is_the_least_of_the_last_ten_seconds() {
        let t = epoch();
        let mut w = CongestionWindow::new(ms(150));
        assert_eq!(w.window(Bitrate::from_mbps(1)), None);
        w.on_rtt(t, ms(40));
        w.on_rtt(t + ms(100), ms(300));
        w.on_rtt(t + ms(200), ms(250));
        assert_eq!(w.base_rtt(), Some(ms(40)));
        // 1 Mbit/s over 190 ms.
        assert_eq!(w.window(Bitrate::from_mbps(1)), Some(23_750));
        // After 10 s the 40 ms is forgotten; the least since then counts.
        w.on_rtt(t + ms(10_150), ms(280));
        assert_eq!(w.base_rtt(), Some(ms(250)));
        // Never below a few packets.
        assert_eq!(w.window(Bitrate::from_kbps(30)), Some(MIN_WINDOW_BYTES));
    }

    #[test]
    fn pushback_steps_down_while_over_the_window_and_recovers() {
        let mut w = CongestionWindow::new(ms(150));
        let target = Bitrate::from_mbps(1);
        w.update_pushback(20_000, Some(10_000));
        w.update_pushback(20_000, Some(10_000));
        assert_eq!(w.pushback(target), target.scale(0.81));
        w.update_pushback(12_000, Some(10_000));
        assert_eq!(w.pushback(target), target.scale(0.81 * 0.95));
        w.update_pushback(5_000, Some(10_000));
        assert_eq!(w.pushback(target), target.scale(0.81 * 0.95 * 1.05));
        w.update_pushback(500, Some(10_000));
        assert_eq!(w.pushback(target), target);
        // Never below 30 kbit/s.
        for _ in 0..100 {
            w.update_pushback(50_000, Some(10_000));
        }
        assert_eq!(w.pushback(target), MIN_PUSHBACK);
    }
}
