//! Per-source send statistics: sender reports (RFC 3550 §6.4.1) and what the receiver's
//! report blocks say back (loss, jitter, round-trip time: webrtc-stats `remote-inbound-rtp`).

use std::time::{Duration, Instant};

use crate::ntp_clock::NtpClock;
use crate::rtcp::{ReportBlock, SenderReport};
use crate::stats::round_trip_time;

/// What the remote receiver reported about our stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct RemoteReceiveStats {
    /// Fraction lost since its previous report, 0.0–1.0.
    pub fraction_lost: f64,
    /// Packets lost in all (`packetsLost`).
    pub packets_lost: i64,
    /// Interarrival jitter, seconds (`jitter`).
    pub jitter: f64,
    /// Latest round-trip time (`roundTripTime`).
    pub round_trip_time: Option<Duration>,
    /// Sum of all RTT measurements, seconds (`totalRoundTripTime`).
    pub total_round_trip_time: f64,
    /// RTT measurements (`roundTripTimeMeasurements`).
    pub round_trip_time_measurements: u64,
    /// Report blocks received (`reportsReceived`).
    pub reports_received: u64,
}

/// Counts what one source sent and builds its sender reports.
#[derive(Debug, Clone)]
pub struct SendStats {
    ssrc: u32,
    clock_rate: u32,
    packets_sent: u64,
    octets_sent: u64,
    last: Option<(u32, Instant)>,
    remote: RemoteReceiveStats,
}

impl SendStats {
    /// Statistics for `ssrc` with this RTP clock rate.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate: clock_rate.max(1),
            packets_sent: 0,
            octets_sent: 0,
            last: None,
            remote: RemoteReceiveStats::default(),
        }
    }

    /// A packet went out: its RTP timestamp and payload length (the octet count of §6.4.1
    /// excludes headers and padding).
    pub fn on_packet_sent(&mut self, now: Instant, rtp_timestamp: u32, payload_len: usize) {
        self.packets_sent += 1;
        self.octets_sent += payload_len as u64;
        self.last = Some((rtp_timestamp, now));
    }

    /// Packets sent (`packetsSent`).
    pub fn packets_sent(&self) -> u64 {
        self.packets_sent
    }

    /// Payload octets sent.
    pub fn octets_sent(&self) -> u64 {
        self.octets_sent
    }

    /// Whether anything was sent (a source that sent nothing reports with an RR).
    pub fn has_sent(&self) -> bool {
        self.last.is_some()
    }

    /// The RTP timestamp that corresponds to `now`, extrapolated from the last packet sent
    /// (§6.4.1: the same instant as the NTP timestamp, not the last packet's).
    pub fn rtp_time_at(&self, now: Instant) -> Option<u32> {
        let (ts, at) = self.last?;
        let elapsed = if now >= at {
            (now.duration_since(at).as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as i64
        } else {
            -((at.duration_since(now).as_nanos() * u128::from(self.clock_rate) / 1_000_000_000)
                as i64)
        };
        Some(ts.wrapping_add(elapsed as u32))
    }

    /// The sender report to send now, with `reports` about the sources we receive; `None` if
    /// nothing was sent yet. Counts wrap at 32 bits as §6.4.1 says.
    pub fn sender_report(
        &self,
        now: Instant,
        clock: &dyn NtpClock,
        reports: Vec<ReportBlock>,
    ) -> Option<SenderReport> {
        Some(SenderReport {
            ssrc: self.ssrc,
            ntp_time: clock.ntp_time(now),
            rtp_time: self.rtp_time_at(now)?,
            packet_count: self.packets_sent as u32,
            octet_count: self.octets_sent as u32,
            reports,
        })
    }

    /// A report block about our stream arrived (in an SR or RR) at `now`; `arrival_ntp` is
    /// the NTP time then, for the round trip (§6.4.1).
    pub fn handle_report_block(&mut self, arrival_ntp: u64, block: &ReportBlock) {
        if block.ssrc != self.ssrc {
            return;
        }
        self.remote.reports_received += 1;
        self.remote.fraction_lost = f64::from(block.fraction_lost) / 256.0;
        self.remote.packets_lost = i64::from(block.cumulative_lost);
        self.remote.jitter = f64::from(block.jitter) / f64::from(self.clock_rate);
        if let Some(rtt) = round_trip_time(block, arrival_ntp) {
            self.remote.round_trip_time = Some(rtt);
            self.remote.total_round_trip_time += rtt.as_secs_f64();
            self.remote.round_trip_time_measurements += 1;
        }
    }

    /// What the receiver reported.
    pub fn remote(&self) -> RemoteReceiveStats {
        self.remote
    }
}
