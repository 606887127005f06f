//! Turns the feedback of a probe cluster into a bitrate: the rate the burst was sent at or
//! received at, whichever is lower (libwebrtc `ProbeBitrateEstimator`).

use std::time::{Duration, Instant};

use crate::{Bitrate, ProbeCluster};

/// At least this fraction of the cluster's packets and bytes must be reported received.
const MIN_RECEIVED_RATIO: f64 = 0.8;
/// Send or receive intervals longer than this are not one burst.
const MAX_INTERVAL: Duration = Duration::from_secs(1);
/// A receive rate more than this multiple of the send rate is an artefact.
const MAX_VALID_RATIO: f64 = 2.0;
/// Received below this fraction of the send rate, the link was saturated ...
const MIN_RATIO_FOR_UNSATURATED: f64 = 0.9;
/// ... and the estimate is this fraction of the receive rate.
const TARGET_UTILIZATION: f64 = 0.95;
/// Clusters tracked at once.
const MAX_CLUSTERS: usize = 8;
/// Clusters older than this are forgotten.
const MAX_CLUSTER_AGE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
struct Aggregate {
    cluster: ProbeCluster,
    created: Instant,
    first_send: Option<Instant>,
    last_send: Option<Instant>,
    last_send_size: usize,
    first_arrival: Option<Duration>,
    last_arrival: Duration,
    first_arrival_size: usize,
    bytes: usize,
    packets: u32,
    done: bool,
}

/// Probe clusters in flight and their results.
#[derive(Debug, Default)]
pub(crate) struct ProbeEstimator {
    clusters: Vec<Aggregate>,
    result: Option<Bitrate>,
    succeeded: u64,
}

impl ProbeEstimator {
    /// A cluster was issued at `now`.
    pub(crate) fn add_cluster(&mut self, now: Instant, cluster: ProbeCluster) {
        self.clusters
            .retain(|a| now.saturating_duration_since(a.created) <= MAX_CLUSTER_AGE);
        if self.clusters.len() >= MAX_CLUSTERS {
            self.clusters.remove(0);
        }
        self.clusters.push(Aggregate {
            cluster,
            created: now,
            first_send: None,
            last_send: None,
            last_send_size: 0,
            first_arrival: None,
            last_arrival: Duration::ZERO,
            first_arrival_size: 0,
            bytes: 0,
            packets: 0,
            done: false,
        });
    }

    /// A probe packet of cluster `id` was reported received.
    pub(crate) fn on_received(&mut self, id: u32, send: Instant, arrival: Duration, size: usize) {
        let Some(a) = self.clusters.iter_mut().find(|a| a.cluster.id == id) else {
            return;
        };
        if a.first_send.is_none_or(|t| send < t) {
            a.first_send = Some(send);
        }
        if a.last_send.is_none_or(|t| send >= t) {
            a.last_send = Some(send);
            a.last_send_size = size;
        }
        if a.first_arrival.is_none_or(|t| arrival < t) {
            a.first_arrival = Some(arrival);
            a.first_arrival_size = size;
        }
        a.last_arrival = a.last_arrival.max(arrival);
        a.bytes += size;
        a.packets += 1;
        if let Some(rate) = estimate(a) {
            self.result = Some(self.result.map_or(rate, |r| r.max(rate)));
            if !a.done {
                a.done = true;
                self.succeeded += 1;
            }
        }
    }

    /// The best probe result since the last call.
    pub(crate) fn take(&mut self) -> Option<Bitrate> {
        self.result.take()
    }

    /// Clusters that gave a result.
    pub(crate) fn succeeded(&self) -> u64 {
        self.succeeded
    }
}

fn estimate(a: &Aggregate) -> Option<Bitrate> {
    let min_packets = f64::from(a.cluster.min_packets) * MIN_RECEIVED_RATIO;
    let min_bytes = a.cluster.min_bytes() as f64 * MIN_RECEIVED_RATIO;
    if f64::from(a.packets) < min_packets || (a.bytes as f64) < min_bytes {
        return None;
    }
    let send_interval = a.last_send?.saturating_duration_since(a.first_send?);
    let receive_interval = a.last_arrival.saturating_sub(a.first_arrival?);
    if send_interval.is_zero()
        || receive_interval.is_zero()
        || send_interval > MAX_INTERVAL
        || receive_interval > MAX_INTERVAL
    {
        return None;
    }
    // The last packet sent and the first received only mark the ends of the intervals.
    let send = Bitrate::from_bytes((a.bytes - a.last_send_size) as u64, send_interval);
    let receive = Bitrate::from_bytes((a.bytes - a.first_arrival_size) as u64, receive_interval);
    if receive.as_f64() > MAX_VALID_RATIO * send.as_f64() {
        return None;
    }
    if receive.as_f64() < MIN_RATIO_FOR_UNSATURATED * send.as_f64() {
        Some(receive.scale(TARGET_UTILIZATION))
    } else {
        Some(send.min(receive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // a test's epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    fn cluster(rate: Bitrate) -> ProbeCluster {
        ProbeCluster {
            id: 7,
            bitrate: rate,
            min_duration: Duration::from_millis(15),
            min_packets: 5,
        }
    }

    #[test]
    fn a_saturated_probe_reads_95_percent_of_the_receive_rate() {
        let t = epoch();
        let mut p = ProbeEstimator::default();
        // 20 packets of 1000 bytes sent at 8 Mbit/s (1 ms apart), received at 4 Mbit/s.
        p.add_cluster(t, cluster(Bitrate::from_mbps(8)));
        for i in 0..20u64 {
            p.on_received(
                7,
                t + Duration::from_millis(i),
                Duration::from_millis(100 + 2 * i),
                1000,
            );
        }
        let r = p.take().unwrap();
        assert_eq!(r, Bitrate::from_kbps(3800));
        assert_eq!(p.succeeded(), 1);
        assert_eq!(p.take(), None);
    }

    #[test]
    fn an_unsaturated_probe_reads_its_send_rate_and_a_short_one_nothing() {
        let t = epoch();
        let mut p = ProbeEstimator::default();
        p.add_cluster(t, cluster(Bitrate::from_mbps(8)));
        for i in 0..20u64 {
            p.on_received(
                7,
                t + Duration::from_millis(i),
                Duration::from_millis(100 + i),
                1000,
            );
        }
        assert_eq!(p.take(), Some(Bitrate::from_mbps(8)));
        let mut short = ProbeEstimator::default();
        short.add_cluster(t, cluster(Bitrate::from_mbps(8)));
        for i in 0..3u64 {
            short.on_received(
                7,
                t + Duration::from_millis(i),
                Duration::from_millis(100 + i),
                1000,
            );
        }
        assert_eq!(short.take(), None);
        // Unknown clusters are ignored.
        short.on_received(99, t, Duration::ZERO, 1000);
        assert_eq!(short.take(), None);
    }
}
