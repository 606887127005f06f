//! When to send RTCP: the RFC 3550 §6.3 interval rules (Appendix A.7), sans-IO.

use std::time::{Duration, Instant};

/// RFC 3550 §6.3.1: the randomized interval is divided by e − 3/2 so the mean stays right
/// under timer reconsideration.
const COMPENSATION: f64 = std::f64::consts::E - 1.5;

/// Settings of the [`RtcpScheduler`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RtcpIntervalConfig {
    /// Session bandwidth in bit/s (the media's, e.g. from `b=AS` or the encoder target).
    pub session_bandwidth: u32,
    /// Share of it for RTCP (§6.2: 5 %).
    pub rtcp_fraction: f64,
    /// Least interval (§6.2: 5 s; WebRTC stacks use 1 s for video under AVPF).
    pub min_interval: Duration,
    /// Use the reduced minimum of §6.2, 360 s divided by the session bandwidth in kbit/s,
    /// instead of `min_interval`.
    pub reduced_minimum: bool,
    /// Initial estimate of an RTCP packet's size, bytes with UDP and IP headers (§6.3.2).
    pub initial_packet_size: u32,
    /// Seed of the randomization (§6.3.1), so runs are reproducible.
    pub seed: u64,
}

impl Default for RtcpIntervalConfig {
    fn default() -> Self {
        Self {
            session_bandwidth: 64_000,
            rtcp_fraction: 0.05,
            min_interval: Duration::from_secs(5),
            reduced_minimum: false,
            initial_packet_size: 100,
            seed: 1,
        }
    }
}

/// What the scheduler asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpEvent {
    /// Send a compound RTCP packet now (SR if we sent media since the last report, else RR),
    /// then call [`RtcpScheduler::on_rtcp_sent`] with its size.
    SendReport,
}

/// The RTCP transmission timer of RFC 3550 §6.3 with timer and reverse reconsideration.
#[derive(Debug, Clone)]
pub struct RtcpScheduler {
    config: RtcpIntervalConfig,
    /// Participants, us included (§6.3: members).
    members: u32,
    /// Members when `tn` was last computed.
    pmembers: u32,
    /// Participants that sent media recently, us included if we did.
    senders: u32,
    we_sent: bool,
    /// Average compound RTCP packet size, bytes (§6.3.3).
    avg_rtcp_size: f64,
    initial: bool,
    /// Last time we sent RTCP.
    tp: Instant,
    /// Next scheduled transmission.
    tn: Instant,
    rng: u64,
    pending: Option<RtcpEvent>,
    reports_sent: u64,
}

impl RtcpScheduler {
    /// A scheduler for a session joined at `now`, with one peer (as in WebRTC).
    pub fn new(now: Instant, config: RtcpIntervalConfig) -> Self {
        let mut s = Self {
            config,
            members: 2,
            pmembers: 2,
            senders: 0,
            we_sent: false,
            avg_rtcp_size: f64::from(config.initial_packet_size.max(1)),
            initial: true,
            tp: now,
            tn: now,
            rng: config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            pending: None,
            reports_sent: 0,
        };
        s.tn = now + s.interval();
        s
    }

    fn random_factor(&mut self) -> f64 {
        // xorshift64*, uniform in [0.5, 1.5) (§6.3.1).
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
        0.5 + (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The deterministic interval of §6.3.1 before randomization, as A.7 computes it.
    pub fn deterministic_interval(&self) -> Duration {
        let mut min = if self.config.reduced_minimum {
            // §6.2: 360 / (session bandwidth in kbit/s) seconds.
            360.0 / (f64::from(self.config.session_bandwidth.max(1)) / 1000.0)
        } else {
            self.config.min_interval.as_secs_f64()
        };
        if self.initial {
            // §6.2: the first report may go after half the minimum.
            min /= 2.0;
        }
        // RTCP bandwidth in bytes per second.
        let mut rtcp_bw =
            f64::from(self.config.session_bandwidth) * self.config.rtcp_fraction / 8.0;
        let mut n = f64::from(self.members.max(1));
        let senders = f64::from(self.senders);
        if senders <= n * 0.25 {
            // §6.3.1: senders share a quarter of the RTCP bandwidth.
            if self.we_sent {
                rtcp_bw *= 0.25;
                n = senders.max(1.0);
            } else {
                rtcp_bw *= 0.75;
                n = (n - senders).max(1.0);
            }
        }
        let t = if rtcp_bw > 0.0 {
            self.avg_rtcp_size * n / rtcp_bw
        } else {
            min
        };
        Duration::from_secs_f64(t.max(min))
    }

    /// A randomized interval (§6.3.1).
    fn interval(&mut self) -> Duration {
        let t = self.deterministic_interval().as_secs_f64();
        Duration::from_secs_f64(t * self.random_factor() / COMPENSATION)
    }

    /// Sets how many take part (us included) and how many of them send media.
    pub fn set_participants(&mut self, now: Instant, members: u32, senders: u32) {
        let members = members.max(1);
        if members < self.members {
            self.reverse_reconsider(now, members);
        }
        self.members = members;
        self.senders = senders.min(members);
    }

    /// Whether we sent media since the report before last (§6.3.8: `we_sent`).
    pub fn set_we_sent(&mut self, we_sent: bool) {
        self.we_sent = we_sent;
    }

    /// A participant left (BYE, §6.3.4): reverse reconsideration pulls the timer in.
    pub fn on_bye(&mut self, now: Instant) {
        let members = self.members.saturating_sub(1).max(1);
        self.reverse_reconsider(now, members);
        self.members = members;
        self.senders = self.senders.min(members);
    }

    /// §6.3.4: scale tn and tp by members/pmembers when the membership shrinks.
    fn reverse_reconsider(&mut self, now: Instant, members: u32) {
        if members >= self.pmembers {
            return;
        }
        let ratio = f64::from(members) / f64::from(self.pmembers);
        self.tn = now + self.tn.saturating_duration_since(now).mul_f64(ratio);
        self.tp = now
            .checked_sub(now.saturating_duration_since(self.tp).mul_f64(ratio))
            .unwrap_or(self.tp);
        self.pmembers = members;
    }

    /// We sent a compound RTCP packet of `size` bytes (UDP and IP headers included, §6.3.3).
    pub fn on_rtcp_sent(&mut self, now: Instant, size: usize) {
        self.update_average(size);
        self.tp = now;
    }

    /// An RTCP packet of `size` bytes arrived (§6.3.3).
    pub fn on_rtcp_received(&mut self, size: usize) {
        self.update_average(size);
    }

    fn update_average(&mut self, size: usize) {
        self.avg_rtcp_size = size as f64 / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
    }

    /// The average RTCP packet size, bytes.
    pub fn average_packet_size(&self) -> f64 {
        self.avg_rtcp_size
    }

    /// Reports asked for so far.
    pub fn reports_sent(&self) -> u64 {
        self.reports_sent
    }

    /// The timer fired: §6.3.6 timer reconsideration.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now < self.tn {
            return;
        }
        let t = self.interval();
        if self.tp + t <= now {
            self.pending = Some(RtcpEvent::SendReport);
            self.reports_sent += 1;
            self.tp = now;
            self.initial = false;
            self.tn = now + self.interval();
        } else {
            self.tn = self.tp + t;
        }
        self.pmembers = self.members;
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.tn)
    }

    /// What to do.
    pub fn poll_event(&mut self) -> Option<RtcpEvent> {
        self.pending.take()
    }
}
