//! The acknowledged bitrate: what the receiver says arrived, per its own clock, over a
//! sliding window (libwebrtc `AcknowledgedBitrateEstimator`, here a plain window).

use std::collections::VecDeque;
use std::time::Duration;

use crate::Bitrate;

/// The window the rate is measured over.
const WINDOW: Duration = Duration::from_millis(250);
/// No rate until arrivals span this long.
const MIN_SPAN: Duration = Duration::from_millis(150);
/// Samples kept at most (a bound: 500 ms at 10 000 packets per second).
const MAX_SAMPLES: usize = 5000;

/// Received bytes by arrival time.
#[derive(Debug)]
pub(crate) struct AckedBitrate {
    samples: VecDeque<(Duration, usize)>,
    bytes_in_window: usize,
    first_arrival: Option<Duration>,
    newest: Duration,
}

impl Default for AckedBitrate {
    fn default() -> Self {
        Self {
            samples: VecDeque::with_capacity(256),
            bytes_in_window: 0,
            first_arrival: None,
            newest: Duration::ZERO,
        }
    }
}

impl AckedBitrate {
    /// One packet acknowledged as received at `arrival` (receiver clock).
    pub(crate) fn add(&mut self, arrival: Duration, size: usize) {
        if self.first_arrival.is_some() && arrival + WINDOW < self.newest {
            // Far older than what we have: a stale report, not part of the window.
            return;
        }
        self.first_arrival.get_or_insert(arrival);
        self.samples.push_back((arrival, size));
        self.bytes_in_window += size;
        self.newest = self.newest.max(arrival);
        let newest = self.newest;
        while let Some(&(t, s)) = self.samples.front() {
            if newest.saturating_sub(t) > WINDOW || self.samples.len() > MAX_SAMPLES {
                self.samples.pop_front();
                self.bytes_in_window -= s;
            } else {
                break;
            }
        }
    }

    /// The rate over the window, once arrivals span at least 150 ms.
    pub(crate) fn rate(&self) -> Option<Bitrate> {
        let span = self.newest.saturating_sub(self.first_arrival?);
        if span < MIN_SPAN {
            return None;
        }
        Some(Bitrate::from_bytes(
            self.bytes_in_window as u64,
            span.min(WINDOW),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_over_the_window() {
        let mut a = AckedBitrate::default();
        assert_eq!(a.rate(), None);
        // 1000 bytes every 10 ms: 800 kbit/s.
        for i in 0..100u64 {
            a.add(Duration::from_millis(10 * i), 1000);
        }
        let rate = a.rate().unwrap();
        assert!((790_000..=840_000).contains(&rate.bps()), "{rate}");
        // Then half as much.
        for i in 100..200u64 {
            a.add(Duration::from_millis(10 * i), 500);
        }
        let rate = a.rate().unwrap();
        assert!((395_000..=420_000).contains(&rate.bps()), "{rate}");
    }
}
