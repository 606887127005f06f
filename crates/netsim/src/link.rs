//! Access links: what happens to a packet on its way out of or into a host.

use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;

/// Properties of a host's access link, applied once to each packet leaving the host and once
/// to each packet entering it, each time with fresh random draws.
///
/// Probabilities outside `0.0..=1.0` act as the nearest bound (NaN as 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    /// Fixed one-way delay of the link.
    pub delay: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` per packet.
    pub jitter: Duration,
    /// Probability that a packet is lost.
    pub loss: f64,
    /// Probability that a packet is duplicated; the copy gets its own delay draw.
    pub duplicate: f64,
    /// Probability that a packet is held back by an extra `2 × delay + jitter` (at least
    /// 1 ms), so later packets overtake it.
    pub reorder: f64,
}

impl Default for LinkConfig {
    /// 5 ms delay, no jitter, no loss, no duplication, no reordering.
    fn default() -> Self {
        Self {
            delay: Duration::from_millis(5),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
        }
    }
}

impl LinkConfig {
    /// An ideal link: no delay, no loss.
    pub fn ideal() -> Self {
        Self {
            delay: Duration::ZERO,
            ..Self::default()
        }
    }

    /// A link with this delay and otherwise default (lossless) properties.
    pub fn with_delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }
}

/// What a link did to one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Transit {
    /// Delays of the copies that got through: none (lost), one, or two (duplicated).
    pub(crate) copies: [Option<Duration>; 2],
    /// The packet was lost.
    pub(crate) lost: bool,
    /// A duplicate was made.
    pub(crate) duplicated: bool,
}

/// Draws with probability `p` (clamped; NaN never fires).
fn chance(rng: &mut StdRng, p: f64) -> bool {
    // Always draw, so the random sequence does not depend on which probabilities are zero.
    let x: f64 = rng.random();
    x < p
}

impl LinkConfig {
    /// Sends one packet across the link: loss, then a delay per copy.
    pub(crate) fn transit(&self, rng: &mut StdRng) -> Transit {
        if chance(rng, self.loss) {
            return Transit {
                lost: true,
                ..Transit::default()
            };
        }
        let first = self.one_delay(rng);
        let duplicated = chance(rng, self.duplicate);
        let second = duplicated.then(|| self.one_delay(rng));
        Transit {
            copies: [Some(first), second],
            lost: false,
            duplicated,
        }
    }

    fn one_delay(&self, rng: &mut StdRng) -> Duration {
        let jitter_nanos = u64::try_from(self.jitter.as_nanos()).unwrap_or(u64::MAX);
        let jitter = Duration::from_nanos(rng.random_range(0..=jitter_nanos));
        let mut delay = self.delay.saturating_add(jitter);
        if chance(rng, self.reorder) {
            let held = self
                .delay
                .saturating_mul(2)
                .saturating_add(self.jitter)
                .max(Duration::from_millis(1));
            delay = delay.saturating_add(held);
        }
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn default_link_delays_and_never_loses() {
        let mut rng = StdRng::seed_from_u64(1);
        let link = LinkConfig::default();
        for _ in 0..100 {
            let t = link.transit(&mut rng);
            assert_eq!(t.copies, [Some(Duration::from_millis(5)), None]);
            assert!(!t.lost && !t.duplicated);
        }
    }

    #[test]
    fn jitter_stays_in_range_and_odd_probabilities_do_not_panic() {
        let mut rng = StdRng::seed_from_u64(2);
        let link = LinkConfig {
            delay: Duration::from_millis(10),
            jitter: Duration::from_millis(4),
            loss: f64::NAN,
            duplicate: 2.0,
            reorder: -1.0,
        };
        for _ in 0..1000 {
            let t = link.transit(&mut rng);
            assert!(!t.lost);
            assert!(t.duplicated);
            for d in t.copies.into_iter().flatten() {
                assert!(d >= Duration::from_millis(10) && d <= Duration::from_millis(14));
            }
        }
    }

    #[test]
    fn reordered_packets_are_held_back() {
        let mut rng = StdRng::seed_from_u64(3);
        let link = LinkConfig {
            reorder: 1.0,
            ..LinkConfig::ideal()
        };
        let t = link.transit(&mut rng);
        assert_eq!(t.copies[0], Some(Duration::from_millis(1)));
    }
}
