//! AIMD rate control: the delay-based estimate grows while the path is calm and drops below
//! what was delivered when the detector sees a queue (draft-ietf-rmcat-gcc-02 §5.5;
//! libwebrtc `AimdRateControl` with its link-capacity tracking).

use std::time::{Duration, Instant};

use crate::Bitrate;
use crate::overuse_detector::BandwidthUsage;

/// Decrease to this fraction of the acknowledged bitrate (gcc-02 §5.5: beta = 0.85).
const BETA: f64 = 0.85;
/// Multiplicative increase per second far from convergence (gcc-02 §5.5: eta = 1.08).
const ETA_PER_SECOND: f64 = 1.08;
/// The estimate does not grow past this multiple of what is delivered (plus 10 kbit/s):
/// an estimate far above the sent rate has not been tested (libwebrtc).
const MAX_ACKED_MULTIPLE: f64 = 1.5;
/// Frame rate the additive increase assumes (libwebrtc: 30 fps).
const FRAMES_PER_SECOND: f64 = 30.0;
/// Packet size the additive increase assumes.
const PACKET_BITS: f64 = 1200.0 * 8.0;
/// The additive increase is at least this many bits per second each second.
const MIN_ADDITIVE_BPS: f64 = 4000.0;
/// Shortest and longest interval between two decreases (libwebrtc: one RTT, 10..200 ms).
const MIN_REDUCE_INTERVAL: Duration = Duration::from_millis(10);
const MAX_REDUCE_INTERVAL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RateState {
    Hold,
    Increase,
    Decrease,
}

/// Where the link's capacity was when we last overused it: an average of the acknowledged
/// bitrate at overuse, with its spread. Near it the increase is additive (gcc-02 §5.5).
#[derive(Debug, Clone, Copy, Default)]
struct LinkCapacity {
    estimate_kbps: Option<f64>,
    variance: f64,
}

impl LinkCapacity {
    const ALPHA: f64 = 0.05;

    fn on_overuse(&mut self, acked: Bitrate) {
        let sample = acked.as_f64() / 1000.0;
        match self.estimate_kbps {
            None => {
                self.estimate_kbps = Some(sample);
                self.variance = 0.4;
            }
            Some(e) => {
                let e = (1.0 - Self::ALPHA) * e + Self::ALPHA * sample;
                let norm = e.max(1.0);
                let error = e - sample;
                self.variance = ((1.0 - Self::ALPHA) * self.variance
                    + Self::ALPHA * error * error / norm)
                    .clamp(0.4, 2.5);
                self.estimate_kbps = Some(e);
            }
        }
    }

    fn deviation_kbps(&self) -> f64 {
        self.estimate_kbps
            .map_or(0.0, |e| (self.variance * e).sqrt())
    }

    fn upper_bound(&self) -> Option<Bitrate> {
        self.estimate_kbps
            .map(|e| Bitrate::from_f64((e + 3.0 * self.deviation_kbps()) * 1000.0))
    }

    fn lower_bound(&self) -> Option<Bitrate> {
        self.estimate_kbps
            .map(|e| Bitrate::from_f64((e - 3.0 * self.deviation_kbps()) * 1000.0))
    }
}

/// The delay-based estimate and its state machine.
#[derive(Debug)]
pub(crate) struct AimdRateControl {
    current: Bitrate,
    min: Bitrate,
    max: Bitrate,
    state: RateState,
    last_change: Option<Instant>,
    last_decrease: Option<Instant>,
    link: LinkCapacity,
    rtt: Duration,
}

impl AimdRateControl {
    /// Starts at `start`, kept within `min..=max`.
    pub(crate) fn new(start: Bitrate, min: Bitrate, max: Bitrate) -> Self {
        Self {
            current: start.clamp_to(min, max),
            min,
            max,
            state: RateState::Hold,
            last_change: None,
            last_decrease: None,
            link: LinkCapacity::default(),
            rtt: Duration::from_millis(200),
        }
    }

    /// The estimate.
    pub(crate) fn estimate(&self) -> Bitrate {
        self.current
    }

    /// New bounds; the estimate is clamped into them.
    pub(crate) fn set_bounds(&mut self, min: Bitrate, max: Bitrate) {
        self.min = min;
        self.max = max;
        self.current = self.current.clamp_to(min, max);
    }

    /// The round-trip time, which paces the additive increase and repeated decreases.
    pub(crate) fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = rtt;
    }

    /// Jumps to `estimate` (a probe's result); the link capacity is unknown again.
    pub(crate) fn set_estimate(&mut self, estimate: Bitrate, now: Instant) {
        self.current = estimate.clamp_to(self.min, self.max);
        self.last_change = Some(now);
    }

    /// Whether another decrease is due: one RTT (10..200 ms) after the last change, or at
    /// once when less than half the estimate is delivered.
    pub(crate) fn time_to_reduce_further(&self, now: Instant, acked: Bitrate) -> bool {
        let interval = self.rtt.clamp(MIN_REDUCE_INTERVAL, MAX_REDUCE_INTERVAL);
        match self.last_change {
            None => true,
            Some(last) if now.saturating_duration_since(last) >= interval => true,
            Some(_) => acked < self.current.scale(0.5),
        }
    }

    /// One update with the detector's verdict and the acknowledged bitrate, if known.
    pub(crate) fn update(
        &mut self,
        usage: BandwidthUsage,
        acked: Option<Bitrate>,
        now: Instant,
    ) -> Bitrate {
        // gcc-02 §5.5 state transitions.
        self.state = match (usage, self.state) {
            (BandwidthUsage::Overusing, _) => RateState::Decrease,
            (BandwidthUsage::Underusing, _) => RateState::Hold,
            (BandwidthUsage::Normal, RateState::Hold | RateState::Increase) => RateState::Increase,
            (BandwidthUsage::Normal, RateState::Decrease) => RateState::Hold,
        };
        let elapsed = self
            .last_change
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t))
            .min(Duration::from_secs(1));
        let mut next = self.current;
        match self.state {
            RateState::Hold => {}
            RateState::Increase => {
                if let (Some(a), Some(upper)) = (acked, self.link.upper_bound()) {
                    if a > upper {
                        // Far above where the link overflowed before: it is a new link.
                        self.link = LinkCapacity::default();
                    }
                }
                let increase = if self.link.estimate_kbps.is_some() {
                    self.additive_increase_bps(elapsed)
                } else {
                    (self.current.as_f64() * (ETA_PER_SECOND.powf(elapsed.as_secs_f64()) - 1.0))
                        .max(1000.0 * elapsed.as_secs_f64())
                };
                next = Bitrate::from_f64(self.current.as_f64() + increase);
                if let Some(a) = acked {
                    let cap = a
                        .scale(MAX_ACKED_MULTIPLE)
                        .saturating_add(Bitrate::from_kbps(10));
                    next = next.min(cap.max(self.current));
                }
                self.last_change = Some(now);
            }
            RateState::Decrease => {
                let base = acked.unwrap_or(self.current);
                let decreased = base.scale(BETA);
                if decreased < self.current {
                    next = decreased;
                }
                if let Some(a) = acked {
                    if self.link.lower_bound().is_some_and(|low| a < low) {
                        self.link = LinkCapacity::default();
                    }
                    self.link.on_overuse(a);
                }
                self.last_change = Some(now);
                self.last_decrease = Some(now);
                // One decrease per overuse signal, then wait (gcc-02 §5.5).
                self.state = RateState::Hold;
            }
        }
        self.current = next.clamp_to(self.min, self.max);
        self.current
    }

    /// Additive increase near the link's capacity: about one packet per response time
    /// (libwebrtc `GetNearMaxIncreaseRateBpsPerSecond`).
    fn additive_increase_bps(&self, elapsed: Duration) -> f64 {
        let bits_per_frame = self.current.as_f64() / FRAMES_PER_SECOND;
        let packets_per_frame = (bits_per_frame / PACKET_BITS).ceil().max(1.0);
        let packet_bits = bits_per_frame / packets_per_frame;
        let response = (self.rtt + Duration::from_millis(100)).as_secs_f64();
        (packet_bits / response).max(MIN_ADDITIVE_BPS) * elapsed.as_secs_f64()
    }

    /// Whether the increase is additive (a link capacity is known).
    pub(crate) fn near_convergence(&self) -> bool {
        self.link.estimate_kbps.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // a test's epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    fn control() -> AimdRateControl {
        AimdRateControl::new(
            Bitrate::from_kbps(1000),
            Bitrate::from_kbps(30),
            Bitrate::from_mbps(25),
        )
    }

    #[test]
    fn multiplicative_increase_far_from_convergence() {
        let t = epoch();
        let mut c = control();
        c.update(BandwidthUsage::Normal, None, t);
        let after = c.update(BandwidthUsage::Normal, None, t + Duration::from_secs(1));
        // 8 % in one second.
        assert_eq!(after, Bitrate::from_kbps(1080));
        assert!(!c.near_convergence());
    }

    #[test]
    fn decrease_to_085_of_acked_then_additive() {
        let t = epoch();
        let mut c = control();
        c.update(BandwidthUsage::Normal, None, t);
        let acked = Bitrate::from_kbps(900);
        let after = c.update(
            BandwidthUsage::Overusing,
            Some(acked),
            t + Duration::from_millis(100),
        );
        assert_eq!(after, Bitrate::from_kbps(765));
        assert!(c.near_convergence());
        // A decrease is followed by hold until the detector is normal.
        assert_eq!(
            c.update(
                BandwidthUsage::Underusing,
                Some(acked),
                t + Duration::from_millis(200)
            ),
            after
        );
        c.set_rtt(Duration::from_millis(100));
        let resumed = c.update(
            BandwidthUsage::Normal,
            Some(acked),
            t + Duration::from_millis(300),
        );
        let later = c.update(
            BandwidthUsage::Normal,
            Some(acked),
            t + Duration::from_millis(1300),
        );
        // 765 kbit/s at 30 fps is 25.5 kbit a frame in 3 packets of 8.5 kbit; one packet per
        // 200 ms response time is 42.5 kbit/s each second.
        let gained = later.bps() - resumed.bps();
        assert!((42_000..43_000).contains(&gained), "{gained}");
    }

    #[test]
    fn increase_is_capped_by_what_is_delivered() {
        let t = epoch();
        let mut c = control();
        c.update(BandwidthUsage::Normal, Some(Bitrate::from_kbps(100)), t);
        let after = c.update(
            BandwidthUsage::Normal,
            Some(Bitrate::from_kbps(100)),
            t + Duration::from_secs(1),
        );
        assert_eq!(after, Bitrate::from_kbps(1000));
    }
}
