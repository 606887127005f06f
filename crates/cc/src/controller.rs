//! The congestion controller: the send-side estimator's state machine. Feed it what is
//! sent and the feedback that comes back; it emits the target rate (and the pacing and
//! padding rates that go with it) and the probes to send.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rtcweb_rtp::rtcp::REFERENCE_UNIT_MS;
use rtcweb_rtp::rtcp::TransportCc;

use crate::acked_bitrate::AckedBitrate;
use crate::aimd::AimdRateControl;
use crate::alr::AlrDetector;
use crate::congestion_window::CongestionWindow;
use crate::inter_arrival::InterArrival;
use crate::loss_based::LossBased;
use crate::overuse_detector::{BandwidthUsage, OveruseDetector};
use crate::probe_controller::ProbeController;
use crate::probe_estimator::ProbeEstimator;
use crate::send_history::{Match, SendHistory};
use crate::trendline::Trendline;
use crate::{Bitrate, ProbeCluster};

/// The pacer sends at this multiple of the target, so that bursts (key frames) leave
/// quickly (libwebrtc's pacing factor).
const PACING_FACTOR: f64 = 2.5;
/// `handle_timeout` wants to run this often (ALR, probe timers).
const TICK: Duration = Duration::from_millis(25);
/// Events not yet drained, at most (the oldest target change goes first).
const MAX_EVENTS: usize = 64;
/// Data-channel bytes count over this window.
const DATA_WINDOW: Duration = Duration::from_millis(500);
/// RTT until a receiver report tells.
const DEFAULT_RTT: Duration = Duration::from_millis(200);
/// The 24-bit TWCC reference time, offset so that arrival times are never negative.
const REFERENCE_OFFSET_MS: i64 = (1 << 23) * REFERENCE_UNIT_MS;
/// Probes for an unknown link capacity wait for this long without overuse.
const CAPACITY_PROBE_CALM: Duration = Duration::from_secs(4);
/// Most arrivals one feedback is taken from (a bound: TWCC carries at most 2^15).
const MAX_ARRIVALS: usize = rtcweb_rtp::rtcp::MAX_STATUSES;

/// Bounds and start of the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CcConfig {
    /// The estimate never goes below this.
    pub min_bitrate: Bitrate,
    /// The estimate before any feedback.
    pub start_bitrate: Bitrate,
    /// The estimate never goes above this.
    pub max_bitrate: Bitrate,
    /// Whether to send probes (start-up, further, on a raised maximum, in ALR).
    pub probing: bool,
    /// The congestion window's queue allowance: data in flight is kept under the target's
    /// worth of the base round trip plus this ([`CongestionController::is_congested`],
    /// [`CongestionController::encoder_target`]); `None` for no window.
    pub congestion_window: Option<Duration>,
}

impl Default for CcConfig {
    /// 30 kbit/s, 300 kbit/s, 25 Mbit/s, probing on, a congestion window of the base
    /// round trip plus 100 ms. (libwebrtc allows 350 ms of queue. With 150 ms a real path
    /// behind a 300 ms drop-tail queue still reached round trips of 207 ms, over the
    /// 200 ms the issue on congestion control asks; 100 ms kept them under 150 ms and
    /// passes every simulated scenario, two flows sharing a link included.)
    fn default() -> Self {
        Self {
            min_bitrate: Bitrate::from_kbps(30),
            start_bitrate: Bitrate::from_kbps(300),
            max_bitrate: Bitrate::from_mbps(25),
            probing: true,
            congestion_window: Some(Duration::from_millis(100)),
        }
    }
}

/// One packet handed to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentPacket {
    /// Transport-wide sequence number, assigned by the caller, increasing by one per packet
    /// (the wire carries its low 16 bits).
    pub sequence: u64,
    /// Bytes on the wire.
    pub size: usize,
    /// When it was sent.
    pub send_time: Instant,
    /// The [`ProbeCluster`] id it was sent for, if any.
    pub probe: Option<u32>,
    /// Whether it carries audio.
    pub audio: bool,
}

/// What feedback says about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketArrival {
    /// Transport-wide sequence number, as in [`SentPacket::sequence`].
    pub sequence: u64,
    /// Arrival on the receiver's clock (any origin, the same for all feedback); `None`:
    /// reported lost.
    pub arrival: Option<Duration>,
}

/// The rates the sender should use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetRate {
    /// What media encoders should produce in total.
    pub target: Bitrate,
    /// What the pacer sends at.
    pub pacing: Bitrate,
    /// What the pacer fills up to with padding when media is short; non-zero only while a
    /// probe cluster is in flight (the probe's rate).
    pub padding: Bitrate,
    /// The round-trip time in use.
    pub rtt: Duration,
    /// The loss fraction of the last loss window, 0..=1.
    pub loss: f64,
}

/// What the owner must act on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CcEvent {
    /// The rates changed.
    TargetChanged(TargetRate),
    /// Send this probe (the pacer does it, tagging its packets with the cluster's id).
    Probe(ProbeCluster),
}

/// Counters and the estimator's inner state, for stats and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CcStats {
    /// The delay-based estimate.
    pub delay_based: Bitrate,
    /// The loss-based limit, if loss set one.
    pub loss_based: Option<Bitrate>,
    /// What the receiver acknowledged over the last 500 ms.
    pub acknowledged: Option<Bitrate>,
    /// The overuse detector's verdict.
    pub detector: BandwidthUsage,
    /// The last REMB, if any.
    pub remb: Option<Bitrate>,
    /// Whether the sender is application-limited.
    pub in_alr: bool,
    /// Probe clusters issued.
    pub probes_sent: u64,
    /// Probe clusters whose feedback gave a rate.
    pub probes_succeeded: u64,
    /// Feedback messages handled.
    pub feedback_packets: u64,
    /// Packets feedback reported lost (and that did not arrive later).
    pub packets_lost: u64,
    /// Packets feedback reported received.
    pub packets_received: u64,
    /// Reports of packets not in the history (unknown, repeated or forgotten).
    pub unknown_reports: u64,
    /// Sent packets forgotten before feedback named them.
    pub history_drops: u64,
    /// Sent packets refused because their sequence number or send time went backwards.
    pub history_rejected: u64,
    /// The round trip the last feedback showed: from sending the newest packet it reports
    /// received to the feedback's arrival (the path's queue included, plus up to one
    /// feedback interval). `None` before the first feedback.
    pub feedback_rtt: Option<Duration>,
    /// The least feedback round trip of the last 10 s (the congestion window's base).
    pub base_rtt: Option<Duration>,
    /// Bytes sent after the newest packet feedback named.
    pub in_flight_bytes: usize,
    /// The congestion window in bytes, when one is configured and a round trip known.
    pub congestion_window: Option<usize>,
}

/// Send-side bandwidth estimation (draft-ietf-rmcat-gcc-02 with libwebrtc's GoogCC
/// refinements): delay-based AIMD on transport-wide feedback, a loss-based limit, probing,
/// ALR detection. Sans-IO: drive it with the methods below and drain
/// [`CongestionController::poll_event`].
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtcweb_cc::{CcConfig, CcEvent, CongestionController, PacketArrival, SentPacket};
///
/// let start = Instant::now();
/// let mut cc = CongestionController::new(start, CcConfig::default());
/// for seq in 0..50u64 {
///     let send_time = start + Duration::from_millis(seq * 4);
///     cc.on_packet_sent(SentPacket { sequence: seq, size: 1200, send_time, probe: None, audio: false });
/// }
/// // Feedback: every packet arrived 30 ms after it was sent.
/// let arrivals: Vec<_> = (0..50u64)
///     .map(|seq| PacketArrival { sequence: seq, arrival: Some(Duration::from_millis(30 + seq * 4)) })
///     .collect();
/// let now = start + Duration::from_millis(250);
/// cc.handle_feedback(now, &arrivals);
/// cc.handle_timeout(now);
/// while let Some(event) = cc.poll_event() {
///     match event {
///         CcEvent::TargetChanged(rate) => assert!(rate.pacing > rate.target),
///         CcEvent::Probe(cluster) => assert!(cluster.bitrate > cc.target().target),
///     }
/// }
/// assert!(cc.poll_timeout().is_some());
/// ```
#[derive(Debug)]
pub struct CongestionController {
    config: CcConfig,
    history: SendHistory,
    inter_arrival: InterArrival,
    trendline: Trendline,
    detector: OveruseDetector,
    aimd: AimdRateControl,
    acked: AckedBitrate,
    loss: LossBased,
    alr: AlrDetector,
    probes: ProbeController,
    probe_estimator: ProbeEstimator,
    probe_in_flight: Option<(Instant, ProbeCluster)>,
    last_overuse: Option<Instant>,
    rtt: Duration,
    feedback_rtt: Option<Duration>,
    window: Option<CongestionWindow>,
    remb: Option<Bitrate>,
    twcc_seen: bool,
    data: VecDeque<(Instant, usize)>,
    data_bytes: usize,
    reference_time: Option<i64>,
    events: VecDeque<CcEvent>,
    last_emitted: Option<TargetRate>,
    next_timeout: Instant,
    received_scratch: Vec<(Instant, Duration, usize, Option<u32>)>,
    arrivals_scratch: Vec<PacketArrival>,
    feedback_packets: u64,
    packets_lost: u64,
    packets_received: u64,
    unknown_reports: u64,
}

impl CongestionController {
    /// A controller at `config.start_bitrate` (clamped into min..=max). The first
    /// [`CongestionController::handle_timeout`] issues the start-up probes.
    pub fn new(now: Instant, config: CcConfig) -> Self {
        let config = CcConfig {
            max_bitrate: config.max_bitrate.max(config.min_bitrate),
            ..config
        };
        let start = config
            .start_bitrate
            .clamp_to(config.min_bitrate, config.max_bitrate);
        let mut cc = Self {
            config,
            history: SendHistory::default(),
            inter_arrival: InterArrival::default(),
            trendline: Trendline::default(),
            detector: OveruseDetector::default(),
            aimd: AimdRateControl::new(start, config.min_bitrate, config.max_bitrate),
            acked: AckedBitrate::default(),
            loss: LossBased::default(),
            alr: AlrDetector::new(now, start),
            probes: ProbeController::new(config.probing, start, config.max_bitrate),
            probe_estimator: ProbeEstimator::default(),
            probe_in_flight: None,
            last_overuse: None,
            rtt: DEFAULT_RTT,
            feedback_rtt: None,
            window: config.congestion_window.map(CongestionWindow::new),
            remb: None,
            twcc_seen: false,
            data: VecDeque::with_capacity(64),
            data_bytes: 0,
            reference_time: None,
            events: VecDeque::with_capacity(MAX_EVENTS),
            last_emitted: None,
            next_timeout: now,
            received_scratch: Vec::new(),
            arrivals_scratch: Vec::new(),
            feedback_packets: 0,
            packets_lost: 0,
            packets_received: 0,
            unknown_reports: 0,
        };
        cc.update_target(now);
        cc
    }

    /// A packet was handed to the network.
    pub fn on_packet_sent(&mut self, packet: SentPacket) {
        self.history
            .insert(packet.sequence, packet.size, packet.send_time, packet.probe);
        self.alr.on_sent(packet.send_time, packet.size);
    }

    /// Transport-wide CC feedback arrived (draft-holmer-rmcat-transport-wide-cc-extensions-01
    /// §3.1). Its 16-bit sequence numbers are unwrapped against the packets sent.
    pub fn handle_transport_cc(&mut self, now: Instant, feedback: &TransportCc) {
        // The reference time is 24-bit signed in 64 ms units; unwrap it against the last.
        let raw = i64::from(feedback.reference_time);
        let reference = match self.reference_time {
            None => raw,
            Some(last) => {
                let diff = (raw - last).rem_euclid(1 << 24);
                let diff = if diff >= 1 << 23 {
                    diff - (1 << 24)
                } else {
                    diff
                };
                last + diff
            }
        };
        self.reference_time = Some(reference);
        let base_ms = reference * REFERENCE_UNIT_MS + REFERENCE_OFFSET_MS;
        let base = self.history.unwrap_sequence(feedback.base_seq);
        let mut arrivals = std::mem::take(&mut self.arrivals_scratch);
        arrivals.clear();
        for (i, arrival) in feedback.arrivals.iter().take(MAX_ARRIVALS).enumerate() {
            let arrival = arrival.and_then(|us| {
                let total_us = base_ms.checked_mul(1000)?.checked_add(us)?;
                u64::try_from(total_us).ok().map(Duration::from_micros)
            });
            arrivals.push(PacketArrival {
                sequence: base + i as u64,
                arrival,
            });
        }
        self.handle_feedback(now, &arrivals);
        self.arrivals_scratch = arrivals;
    }

    /// Feedback in any format (RFC 8888 mapped by the caller): which packets arrived when.
    pub fn handle_feedback(&mut self, now: Instant, arrivals: &[PacketArrival]) {
        self.twcc_seen = true;
        self.feedback_packets += 1;
        let mut received = std::mem::take(&mut self.received_scratch);
        received.clear();
        let (mut lost, mut expected) = (0u64, 0u64);
        for a in arrivals {
            match self.history.report(a.sequence, a.arrival.is_some()) {
                Match::New(entry) => {
                    expected += 1;
                    match a.arrival {
                        Some(at) => received.push((entry.send_time, at, entry.size, entry.probe)),
                        None => lost += 1,
                    }
                }
                Match::LateArrival(entry) => {
                    // Counted lost before; it made it after all.
                    self.packets_lost = self.packets_lost.saturating_sub(1);
                    if let Some(at) = a.arrival {
                        received.push((entry.send_time, at, entry.size, entry.probe));
                    }
                }
                Match::Unknown => self.unknown_reports += 1,
            }
        }
        self.packets_lost += lost;
        self.packets_received += received.len() as u64;
        if let Some(newest) = received.iter().map(|r| r.0).max() {
            let rtt = now.saturating_duration_since(newest);
            self.feedback_rtt = Some(rtt);
            if let Some(w) = self.window.as_mut() {
                w.on_rtt(now, rtt);
            }
        }
        // The delay signal follows the order of arrival (libwebrtc sorts by receive time);
        // unstable sorting does not allocate, and the send time breaks ties.
        received.sort_unstable_by_key(|r| (r.1, r.0));
        let mut usage = None;
        for &(send, arrival, size, probe) in &received {
            self.acked.add(arrival, size);
            if let Some(id) = probe {
                self.probe_estimator.on_received(id, send, arrival, size);
            }
            if let Some(d) = self.inter_arrival.add(send, arrival, size) {
                let trend = self
                    .trendline
                    .update(d.arrival_ms, d.send_ms, d.arrival_time_ms);
                usage = Some(self.detector.detect(trend, d.send_ms, now));
            }
        }
        self.received_scratch = received;
        self.update_delay_based(now, usage);
        let current = self.target_before_data();
        self.loss
            .on_feedback(now, lost, expected, current, self.aimd.estimate());
        self.loss.clamp_min(self.config.min_bitrate);
        self.update_target(now);
        let window = self.congestion_window();
        let in_flight = self.history.in_flight();
        if let Some(w) = self.window.as_mut() {
            w.update_pushback(in_flight, window);
        }
    }

    /// Bytes sent after the newest packet feedback named: on the path, or in feedback not
    /// here yet.
    pub fn in_flight_bytes(&self) -> usize {
        self.history.in_flight()
    }

    /// The congestion window in bytes: the estimate's worth of the base round trip plus
    /// the allowance ([`CcConfig::congestion_window`]). `None` without a window, before
    /// feedback gave a round trip, and for REMB-only peers (no per-packet feedback to
    /// count what is in flight).
    pub fn congestion_window(&self) -> Option<usize> {
        if !self.twcc_seen {
            return None;
        }
        self.window.as_ref()?.window(self.target().target)
    }

    /// Whether more than one and a half windows are in flight: the pacer should hold media
    /// back ([`crate::Pacer::set_congested`]) until feedback comes. Encoders are pushed
    /// back from one window up ([`CongestionController::encoder_target`]); holding the
    /// pacer already there (as libwebrtc does at its window) left two flows sharing a link
    /// unfair in the simulator (shares of 65/35 %); twice the window let a start-up burst
    /// overfill a 300 ms drop-tail queue on a real link (round trips of 229 ms).
    pub fn is_congested(&self) -> bool {
        self.congestion_window()
            .is_some_and(|w| self.history.in_flight() >= w + w / 2)
    }

    /// What encoders should aim at: the target, less while the window overflows
    /// (libwebrtc's congestion-window pushback: −5 or −10 % per feedback while over it,
    /// back up by 5 % steps when under it).
    pub fn encoder_target(&self) -> Bitrate {
        let target = self.target().target;
        match &self.window {
            Some(w) if self.twcc_seen => w.pushback(target),
            _ => target,
        }
    }

    fn update_delay_based(&mut self, now: Instant, usage: Option<BandwidthUsage>) {
        // What the link carried: the media feedback acknowledged, plus the data-channel
        // bytes sent beside it (SCTP's, which no media feedback names). Without them the
        // estimate, whose increase is bounded by what was acknowledged, stays near the
        // media share that the data's share was taken off, and the link is left part idle.
        let data = self.data_rate();
        let acked = self.acked.rate().map(|a| a.saturating_add(data));
        let probe = self.probe_estimator.take();
        let state = usage.unwrap_or(self.detector.state());
        if state == BandwidthUsage::Overusing {
            self.last_overuse = Some(now);
            let acked_or_current = acked.unwrap_or(self.aimd.estimate());
            if self.aimd.time_to_reduce_further(now, acked_or_current) {
                self.aimd.update(state, acked, now);
            }
        } else if let Some(p) = probe.filter(|&p| p > self.aimd.estimate()) {
            self.aimd.set_estimate(p, now);
        } else if usage.is_some() {
            self.aimd.update(state, acked, now);
        }
        // Probing for an unknown capacity only on a calm path: on a shared link overuse
        // comes every few seconds, and a probe there mostly pushes the other flows back.
        let calm = self
            .last_overuse
            .is_none_or(|t| now.saturating_duration_since(t) >= CAPACITY_PROBE_CALM);
        if !self.aimd.near_convergence() && state == BandwidthUsage::Normal && calm {
            self.probes.on_capacity_unknown(now);
        }
    }

    /// The round-trip time from RTCP receiver reports.
    pub fn handle_rtt(&mut self, now: Instant, rtt: Duration) {
        self.rtt = rtt;
        self.aimd.set_rtt(rtt);
        self.update_target(now);
    }

    /// A REMB from the receiver: it caps the estimate; without transport-wide feedback it
    /// is the estimate.
    pub fn handle_remb(&mut self, now: Instant, bitrate: Bitrate) {
        self.remb = Some(bitrate);
        self.update_target(now);
    }

    /// The data-channel bytes sent over the last `DATA_WINDOW`, as a rate.
    fn data_rate(&self) -> Bitrate {
        Bitrate::from_bytes(self.data_bytes as u64, DATA_WINDOW)
    }

    /// Data-channel bytes were sent: the media target leaves room for their recent rate.
    pub fn on_data_sent(&mut self, now: Instant, bytes: usize) {
        if self.data.len() >= 4096 {
            if let Some((_, b)) = self.data.pop_front() {
                self.data_bytes -= b;
            }
        }
        self.data.push_back((now, bytes));
        self.data_bytes += bytes;
        self.expire_data(now);
    }

    fn expire_data(&mut self, now: Instant) {
        while let Some(&(t, b)) = self.data.front() {
            if now.saturating_duration_since(t) > DATA_WINDOW {
                self.data.pop_front();
                self.data_bytes -= b;
            } else {
                break;
            }
        }
    }

    /// New bounds for the estimate; a raised maximum may be probed.
    pub fn set_bitrates(&mut self, now: Instant, min: Bitrate, max: Bitrate) {
        let max = max.max(min);
        self.config.min_bitrate = min;
        self.config.max_bitrate = max;
        self.aimd.set_bounds(min, max);
        self.loss.clamp_min(min);
        self.probes.on_max(now, max);
        self.drain_probes(now);
        self.update_target(now);
    }

    /// Time passed: ALR, probe timers. Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.alr.on_timeout(now);
        self.expire_data(now);
        self.probes.on_timeout(now, self.alr.in_alr_since());
        self.drain_probes(now);
        if let Some((at, cluster)) = self.probe_in_flight {
            if now.saturating_duration_since(at) > cluster.min_duration + TICK {
                self.probe_in_flight = None;
            }
        }
        self.update_target(now);
        if now >= self.next_timeout {
            self.next_timeout = now.checked_add(TICK).unwrap_or(now);
        }
    }

    fn drain_probes(&mut self, now: Instant) {
        while let Some(cluster) = self.probes.poll() {
            self.probe_estimator.add_cluster(now, cluster);
            self.probe_in_flight = Some((now, cluster));
            self.push_event(CcEvent::Probe(cluster));
        }
    }

    /// When [`CongestionController::handle_timeout`] wants to run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.next_timeout)
    }

    /// The next event to act on.
    pub fn poll_event(&mut self) -> Option<CcEvent> {
        self.events.pop_front()
    }

    fn push_event(&mut self, event: CcEvent) {
        if self.events.len() >= MAX_EVENTS {
            // Drop the oldest target change (a newer one follows); keep probes.
            if let Some(i) = self
                .events
                .iter()
                .position(|e| matches!(e, CcEvent::TargetChanged(_)))
            {
                self.events.remove(i);
            } else {
                self.events.pop_front();
            }
        }
        self.events.push_back(event);
    }

    /// The estimate before data-channel traffic is taken off: the lower of delay-based,
    /// loss-based and REMB (gcc-02 §6: the lower wins), or REMB alone without
    /// transport-wide feedback.
    fn target_before_data(&self) -> Bitrate {
        let mut estimate = if self.twcc_seen {
            let mut e = self.aimd.estimate();
            if let Some(l) = self.loss.estimate() {
                e = e.min(l);
            }
            if let Some(r) = self.remb {
                e = e.min(r);
            }
            e
        } else {
            self.remb.unwrap_or(self.aimd.estimate())
        };
        estimate = estimate.clamp_to(self.config.min_bitrate, self.config.max_bitrate);
        estimate
    }

    fn update_target(&mut self, now: Instant) {
        let estimate = self.target_before_data();
        self.probes.on_estimate(now, estimate);
        self.drain_probes(now);
        let data = self.data_rate();
        let target = estimate.saturating_sub(data).max(self.config.min_bitrate);
        self.alr.set_target(estimate);
        let rate = TargetRate {
            target,
            pacing: estimate.scale(PACING_FACTOR),
            padding: self
                .probe_in_flight
                .map_or(Bitrate::ZERO, |(_, c)| c.bitrate),
            rtt: self.rtt,
            loss: self.loss.loss(),
        };
        if self.last_emitted != Some(rate) {
            self.last_emitted = Some(rate);
            self.push_event(CcEvent::TargetChanged(rate));
        }
    }

    /// The rates in use.
    pub fn target(&self) -> TargetRate {
        self.last_emitted.unwrap_or(TargetRate {
            target: self.config.start_bitrate,
            pacing: self.config.start_bitrate.scale(PACING_FACTOR),
            padding: Bitrate::ZERO,
            rtt: self.rtt,
            loss: 0.0,
        })
    }

    /// Counters and the estimator's inner state.
    pub fn stats(&self) -> CcStats {
        CcStats {
            delay_based: self.aimd.estimate(),
            loss_based: self.loss.estimate(),
            acknowledged: self.acked.rate(),
            detector: self.detector.state(),
            remb: self.remb,
            in_alr: self.alr.in_alr_since().is_some(),
            probes_sent: self.probes.sent(),
            probes_succeeded: self.probe_estimator.succeeded(),
            feedback_packets: self.feedback_packets,
            packets_lost: self.packets_lost,
            packets_received: self.packets_received,
            unknown_reports: self.unknown_reports,
            history_drops: self.history.dropped(),
            history_rejected: self.history.rejected(),
            feedback_rtt: self.feedback_rtt,
            base_rtt: self.window.as_ref().and_then(CongestionWindow::base_rtt),
            in_flight_bytes: self.history.in_flight(),
            congestion_window: self.congestion_window(),
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

    fn no_probing() -> CcConfig {
        CcConfig {
            probing: false,
            ..CcConfig::default()
        }
    }

    fn send(cc: &mut CongestionController, t0: Instant, seqs: std::ops::Range<u64>) {
        for seq in seqs {
            cc.on_packet_sent(SentPacket {
                sequence: seq,
                size: 1000,
                send_time: t0 + Duration::from_millis(seq % 100_000),
                probe: None,
                audio: false,
            });
        }
    }

    #[test]
    fn starts_at_the_start_rate_paced_at_2_5x_and_probes_at_3x_and_6x() {
        let t = epoch();
        let mut cc = CongestionController::new(t, CcConfig::default());
        let first = cc.poll_event();
        let Some(CcEvent::TargetChanged(rate)) = first else {
            panic!("{first:?}");
        };
        assert_eq!(rate.target, Bitrate::from_kbps(300));
        assert_eq!(rate.pacing, Bitrate::from_kbps(750));
        cc.handle_timeout(t);
        let probes: Vec<Bitrate> = std::iter::from_fn(|| cc.poll_event())
            .filter_map(|e| match e {
                CcEvent::Probe(c) => Some(c.bitrate),
                CcEvent::TargetChanged(_) => None,
            })
            .collect();
        assert_eq!(probes, [Bitrate::from_kbps(900), Bitrate::from_kbps(1800)]);
        assert_eq!(cc.stats().probes_sent, 2);
    }

    #[test]
    fn transport_cc_is_matched_across_the_16_bit_wrap() {
        let t = epoch();
        let mut cc = CongestionController::new(t, no_probing());
        send(&mut cc, t, 65_530..65_546);
        // base_seq 65530, 16 packets: the last six are 0..=5 on the wire; #3 was lost.
        let arrivals = (0..16i64)
            .map(|i| (i != 3).then_some(30_000 + i * 1000))
            .collect();
        let feedback = TransportCc {
            base_seq: 65_530,
            reference_time: 1,
            arrivals,
            ..TransportCc::default()
        };
        cc.handle_transport_cc(t + Duration::from_millis(100), &feedback);
        let stats = cc.stats();
        assert_eq!((stats.packets_received, stats.packets_lost), (15, 1));
        assert_eq!(stats.unknown_reports, 0);
        // The same feedback again is all unknown (already reported).
        cc.handle_transport_cc(t + Duration::from_millis(150), &feedback);
        assert_eq!(cc.stats().unknown_reports, 16);
        assert_eq!(cc.stats().feedback_packets, 2);
    }

    #[test]
    fn remb_alone_is_the_estimate_and_caps_it_with_feedback() {
        let t = epoch();
        let mut cc = CongestionController::new(t, no_probing());
        cc.handle_remb(t, Bitrate::from_kbps(800));
        assert_eq!(cc.target().target, Bitrate::from_kbps(800));
        send(&mut cc, t, 0..10);
        let arrivals: Vec<PacketArrival> = (0..10u64)
            .map(|s| PacketArrival {
                sequence: s,
                arrival: Some(Duration::from_millis(20 + s)),
            })
            .collect();
        cc.handle_feedback(t + Duration::from_millis(50), &arrivals);
        // With feedback the delay-based estimate (300 kbit/s) is lower.
        assert_eq!(cc.target().target, Bitrate::from_kbps(300));
        cc.handle_remb(t, Bitrate::from_kbps(100));
        assert_eq!(cc.target().target, Bitrate::from_kbps(100));
    }

    #[test]
    fn data_channel_bytes_leave_room_and_bounds_clamp() {
        let t = epoch();
        let mut cc = CongestionController::new(t, no_probing());
        // 6250 bytes in 500 ms: 100 kbit/s.
        cc.on_data_sent(t, 6250);
        cc.handle_timeout(t);
        assert_eq!(cc.target().target, Bitrate::from_kbps(200));
        assert_eq!(cc.target().pacing, Bitrate::from_kbps(750));
        // A second later the bytes have aged out.
        cc.handle_timeout(t + Duration::from_secs(1));
        assert_eq!(cc.target().target, Bitrate::from_kbps(300));
        cc.set_bitrates(t, Bitrate::from_kbps(30), Bitrate::from_kbps(150));
        assert_eq!(cc.target().target, Bitrate::from_kbps(150));
        cc.set_bitrates(t, Bitrate::from_kbps(500), Bitrate::from_kbps(100));
        assert_eq!(cc.target().target, Bitrate::from_kbps(500));
    }

    #[test]
    fn events_stay_bounded_when_nobody_drains_them() {
        let t = epoch();
        let mut cc = CongestionController::new(t, CcConfig::default());
        for i in 0..1000u64 {
            cc.handle_remb(t, Bitrate::from_kbps(100 + i));
        }
        assert_eq!(std::iter::from_fn(|| cc.poll_event()).count(), MAX_EVENTS);
    }
}
