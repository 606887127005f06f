//! When to probe: exponential probes at start-up, further probes while the estimate keeps
//! reaching them, a probe when the maximum rises and periodic probes while application
//! limited (libwebrtc `ProbeController`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::{Bitrate, ProbeCluster};

/// Start-up probes at these multiples of the start rate.
const INITIAL_PROBE_SCALES: [f64; 2] = [3.0, 6.0];
/// A further probe goes to this multiple of the estimate ...
const FURTHER_PROBE_SCALE: f64 = 2.0;
/// ... when the estimate reached this fraction of the last probe.
const FURTHER_PROBE_THRESHOLD: f64 = 0.7;
/// Without a result in this long, probing is over.
const MAX_WAITING_FOR_RESULT: Duration = Duration::from_secs(1);
/// In ALR, probe this often ...
const ALR_PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// ... at this multiple of the estimate.
const ALR_PROBE_SCALE: f64 = 2.0;
/// A probe lasts at least this long and has at least this many packets (libwebrtc).
const PROBE_DURATION: Duration = Duration::from_millis(15);
const PROBE_PACKETS: u32 = 5;
/// While the link's capacity is unknown, probe at most this often.
const CAPACITY_PROBE_INTERVAL: Duration = Duration::from_secs(3);
/// Clusters not yet taken by the caller, at most.
const MAX_PENDING: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Start-up probes not sent yet.
    Init,
    /// Probes sent; a further one follows if the estimate reaches this.
    Waiting { further_at: Bitrate, since: Instant },
    /// No probing until something changes.
    Complete,
}

/// Decides probes; the controller drains them with [`ProbeController::poll`].
#[derive(Debug)]
pub(crate) struct ProbeController {
    enabled: bool,
    state: State,
    next_id: u32,
    max: Bitrate,
    estimate: Bitrate,
    last_alr_probe: Option<Instant>,
    last_capacity_probe: Option<Instant>,
    pending: VecDeque<ProbeCluster>,
    sent: u64,
}

impl ProbeController {
    /// Probing on or off; `start` is the start rate, `max` the most to probe for.
    pub(crate) fn new(enabled: bool, start: Bitrate, max: Bitrate) -> Self {
        Self {
            enabled,
            state: State::Init,
            next_id: 1,
            max,
            estimate: start,
            last_alr_probe: None,
            last_capacity_probe: None,
            pending: VecDeque::with_capacity(MAX_PENDING),
            sent: 0,
        }
    }

    fn probe(&mut self, now: Instant, rates: &[Bitrate], further: bool) {
        let mut last = None;
        for &rate in rates {
            let rate = rate.min(self.max);
            if rate <= self.estimate || self.pending.len() >= MAX_PENDING {
                continue;
            }
            self.pending.push_back(ProbeCluster {
                id: self.next_id,
                bitrate: rate,
                min_duration: PROBE_DURATION,
                min_packets: PROBE_PACKETS,
            });
            self.next_id = self.next_id.wrapping_add(1).max(1);
            self.sent += 1;
            last = Some(rate);
        }
        self.state = match (further, last) {
            (true, Some(rate)) if rate < self.max => State::Waiting {
                further_at: rate.scale(FURTHER_PROBE_THRESHOLD),
                since: now,
            },
            _ => State::Complete,
        };
    }

    /// Time passed; `alr_since` says whether the sender is application-limited.
    pub(crate) fn on_timeout(&mut self, now: Instant, alr_since: Option<Instant>) {
        if !self.enabled {
            return;
        }
        match self.state {
            State::Init => {
                let start = self.estimate;
                let rates = INITIAL_PROBE_SCALES.map(|s| start.scale(s));
                self.probe(now, &rates, true);
            }
            State::Waiting { since, .. }
                if now.saturating_duration_since(since) > MAX_WAITING_FOR_RESULT =>
            {
                self.state = State::Complete;
            }
            State::Waiting { .. } => {}
            State::Complete => {
                if let Some(alr) = alr_since {
                    let last = self.last_alr_probe.unwrap_or(alr).max(alr);
                    if now.saturating_duration_since(last) >= ALR_PROBE_INTERVAL {
                        self.last_alr_probe = Some(now);
                        let rate = self.estimate.scale(ALR_PROBE_SCALE);
                        self.probe(now, &[rate], true);
                    }
                }
            }
        }
    }

    /// The estimate changed: probe further if it reached the last probe.
    pub(crate) fn on_estimate(&mut self, now: Instant, estimate: Bitrate) {
        self.estimate = estimate;
        if let State::Waiting { further_at, .. } = self.state {
            if self.enabled && estimate > further_at {
                self.probe(now, &[estimate.scale(FURTHER_PROBE_SCALE)], true);
            }
        }
    }

    /// The link's capacity is unknown (delivery left the capacity learnt at the last overuse
    /// behind, or none was learnt) and the delay is calm: multiplicative increase alone
    /// would take many seconds to find a new capacity (a rate step up). Probe at twice the
    /// estimate, and further while the probes are reached; again every 3 s while it stays
    /// unknown (a probe that met a queue gives no rate).
    pub(crate) fn on_capacity_unknown(&mut self, now: Instant) {
        let due = self
            .last_capacity_probe
            .is_none_or(|t| now.saturating_duration_since(t) >= CAPACITY_PROBE_INTERVAL);
        if self.enabled && self.state == State::Complete && due {
            self.last_capacity_probe = Some(now);
            self.probe(now, &[self.estimate.scale(FURTHER_PROBE_SCALE)], true);
        }
    }

    /// The maximum changed: if it rose above an estimate that was held at the old one, probe
    /// the new maximum.
    pub(crate) fn on_max(&mut self, now: Instant, max: Bitrate) {
        let old = self.max;
        self.max = max;
        if self.enabled
            && self.state == State::Complete
            && max > old
            && self.estimate >= old.scale(0.9)
        {
            self.probe(now, &[max], false);
        }
    }

    /// The next cluster to send.
    pub(crate) fn poll(&mut self) -> Option<ProbeCluster> {
        self.pending.pop_front()
    }

    /// Clusters issued.
    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    /// Whether a start-up or further probe is awaited.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> bool {
        matches!(self.state, State::Init | State::Waiting { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // a test's epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    fn drain(p: &mut ProbeController) -> Vec<Bitrate> {
        std::iter::from_fn(|| p.poll()).map(|c| c.bitrate).collect()
    }

    #[test]
    fn exponential_start_then_further_probes_while_reached() {
        let t = epoch();
        let k = Bitrate::from_kbps;
        let mut p = ProbeController::new(true, k(300), Bitrate::from_mbps(25));
        p.on_timeout(t, None);
        assert_eq!(drain(&mut p), [k(900), k(1800)]);
        // The estimate reaches 70 % of 1.8 Mbit/s: probe at twice it.
        p.on_estimate(t + Duration::from_millis(300), k(1700));
        assert_eq!(drain(&mut p), [k(3400)]);
        // It stops short: no more.
        p.on_estimate(t + Duration::from_millis(600), k(2000));
        assert!(drain(&mut p).is_empty());
        p.on_timeout(t + Duration::from_secs(2), None);
        assert!(!p.waiting());
        // The maximum rises while the estimate sits at it.
        p.on_estimate(t + Duration::from_secs(2), Bitrate::from_mbps(25));
        p.on_max(t + Duration::from_secs(3), Bitrate::from_mbps(40));
        assert_eq!(drain(&mut p), [Bitrate::from_mbps(40)]);
        assert_eq!(p.sent(), 4);
        // The capacity is unknown: probe, then not again for 3 s.
        p.on_estimate(t + Duration::from_secs(4), k(1000));
        p.on_capacity_unknown(t + Duration::from_secs(4));
        assert_eq!(drain(&mut p), [k(2000)]);
        p.on_timeout(t + Duration::from_secs(6), None);
        p.on_capacity_unknown(t + Duration::from_secs(6));
        assert!(drain(&mut p).is_empty());
        p.on_capacity_unknown(t + Duration::from_secs(7));
        assert_eq!(drain(&mut p), [k(2000)]);
    }

    #[test]
    fn periodic_probes_in_alr_and_none_when_disabled() {
        let t = epoch();
        let k = Bitrate::from_kbps;
        let mut p = ProbeController::new(true, k(300), Bitrate::from_mbps(25));
        p.on_timeout(t, None);
        drain(&mut p);
        p.on_timeout(t + Duration::from_secs(2), None);
        p.on_estimate(t + Duration::from_secs(2), k(1000));
        p.on_timeout(t + Duration::from_secs(3), Some(t + Duration::from_secs(3)));
        assert!(drain(&mut p).is_empty());
        p.on_timeout(t + Duration::from_secs(8), Some(t + Duration::from_secs(3)));
        assert_eq!(drain(&mut p), [k(2000)]);
        let mut off = ProbeController::new(false, k(300), Bitrate::from_mbps(25));
        off.on_timeout(t, None);
        assert!(drain(&mut off).is_empty());
    }
}
