//! What retransmissions may cost: no packet resent twice within a round trip (the first
//! copy may still be on its way), and no more retransmitted bytes than the bandwidth
//! estimate carries, over a second (libwebrtc's retransmission rate limiter). Without them
//! a congested path that loses packets answers every NACK with more load, and loses more.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Most packets remembered as recently resent.
const MAX_RECENT: usize = 512;
/// The longest the budget saves up.
const WINDOW: Duration = Duration::from_secs(1);

/// The retransmission budget of one connection.
#[derive(Debug, Default)]
pub(crate) struct RetransmitBudget {
    /// (SSRC, sequence number, when) of packets resent lately, oldest first.
    recent: VecDeque<(u32, u16, Instant)>,
    /// Bytes that may be resent now.
    tokens: f64,
    last: Option<Instant>,
    /// Retransmissions refused: resent within a round trip, or over the budget.
    pub(crate) refused: u64,
}

impl RetransmitBudget {
    /// Whether packet `seq` of `ssrc`, `size` bytes, may be resent at `now`, with `rtt` the
    /// round trip and `rate` the estimate (`None` while congestion control is off: only
    /// the round-trip rule then). Counts the packet as resent when it may.
    pub(crate) fn allow(
        &mut self,
        now: Instant,
        ssrc: u32,
        seq: u16,
        size: usize,
        rtt: Duration,
        rate: Option<u64>,
    ) -> bool {
        while self
            .recent
            .front()
            .is_some_and(|(_, _, at)| now.saturating_duration_since(*at) > rtt.max(WINDOW))
        {
            self.recent.pop_front();
        }
        let again = self
            .recent
            .iter()
            .any(|(s, q, at)| *s == ssrc && *q == seq && now.saturating_duration_since(*at) < rtt);
        if again {
            self.refused += 1;
            return false;
        }
        if let Some(bps) = rate {
            let per_second = bps as f64 / 8.0;
            let elapsed = self
                .last
                .map_or(WINDOW, |l| now.saturating_duration_since(l))
                .min(WINDOW);
            self.tokens = (self.tokens + per_second * elapsed.as_secs_f64())
                .min(per_second * WINDOW.as_secs_f64());
            self.last = Some(now);
            if self.tokens < size as f64 {
                self.refused += 1;
                return false;
            }
            self.tokens -= size as f64;
        }
        if self.recent.len() >= MAX_RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((ssrc, seq, now));
        true
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;

    #[test]
    fn a_packet_is_resent_once_per_round_trip_and_within_the_rate() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(100);
        let mut b = RetransmitBudget::default();
        assert!(b.allow(t0, 1, 10, 1000, rtt, None));
        assert!(!b.allow(t0 + Duration::from_millis(50), 1, 10, 1000, rtt, None));
        assert!(b.allow(t0 + Duration::from_millis(50), 2, 10, 1000, rtt, None));
        assert!(b.allow(t0 + Duration::from_millis(150), 1, 10, 1000, rtt, None));
        // 80 kbit/s: 10 000 bytes a second.
        let mut b = RetransmitBudget::default();
        let allowed = (0..30u16)
            .filter(|seq| b.allow(t0, 1, *seq, 1000, rtt, Some(80_000)))
            .count();
        assert_eq!(allowed, 10);
        assert!(b.allow(
            t0 + Duration::from_millis(100),
            1,
            99,
            1000,
            rtt,
            Some(80_000)
        ));
        assert_eq!(b.refused, 20);
    }
}
