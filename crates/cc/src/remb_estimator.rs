//! Receive-side estimation for peers without transport-wide feedback: the same delay-based
//! estimator (5 ms groups, trendline, adaptive threshold, AIMD) run where the packets
//! arrive, on the sender's absolute send time, reported to the sender in REMB messages
//! (draft-alvestrand-rmcat-remb-03), as libwebrtc's `RemoteBitrateEstimatorAbsSendTime`
//! does. rtcweb uses it only when the peer negotiated `goog-remb` and abs-send-time but
//! neither TWCC nor RFC 8888 feedback.
//!
//! Drive it like every machine of the stack: [`RembEstimator::handle_packet`] on arrival,
//! [`RembEstimator::handle_timeout`] at [`RembEstimator::poll_timeout`], then
//! [`RembEstimator::poll_remb`].

use std::time::{Duration, Instant};

use rtcweb_rtp::rtcp::Remb;

use crate::Bitrate;
use crate::acked_bitrate::AckedBitrate;
use crate::aimd::AimdRateControl;
use crate::inter_arrival::InterArrival;
use crate::overuse_detector::{BandwidthUsage, OveruseDetector};
use crate::trendline::Trendline;
use crate::unwrap::unwrap_near;

/// REMB goes out at least this often while packets arrive (libwebrtc: once a second).
const INTERVAL: Duration = Duration::from_secs(1);
/// A decrease of more than this share goes out at once (libwebrtc: 3 %).
const PROMPT_DECREASE: f64 = 0.03;
/// Most media SSRCs named in a REMB.
const MAX_SSRCS: usize = 8;
/// The abs-send-time field: 6.18 fixed-point seconds in 24 bits, wrapping every 64 s.
const ABS_SEND_TIME_WRAP: u64 = 1 << 24;

/// The receive-side estimator of a connection.
#[derive(Debug)]
pub struct RembEstimator {
    /// The first packet's arrival and unwrapped send time (in 2^-18 s).
    origin: Option<(Instant, u64)>,
    last_send: u64,
    inter_arrival: InterArrival,
    trendline: Trendline,
    detector: OveruseDetector,
    aimd: AimdRateControl,
    incoming: AckedBitrate,
    ssrcs: Vec<u32>,
    sender_ssrc: u32,
    /// The last REMB sent: when, and what.
    last: Option<(Instant, Bitrate)>,
    ready: Option<Remb>,
    sent: u64,
}

impl RembEstimator {
    /// An estimator starting at `start`, within `min..=max`.
    pub fn new(start: Bitrate, min: Bitrate, max: Bitrate) -> Self {
        Self {
            origin: None,
            last_send: 0,
            inter_arrival: InterArrival::default(),
            trendline: Trendline::default(),
            detector: OveruseDetector::default(),
            aimd: AimdRateControl::new(start, min, max),
            incoming: AckedBitrate::default(),
            ssrcs: Vec::new(),
            sender_ssrc: 0,
            last: None,
            ready: None,
            sent: 0,
        }
    }

    /// Our SSRC as the REMB's sender.
    pub fn set_sender_ssrc(&mut self, ssrc: u32) {
        self.sender_ssrc = ssrc;
    }

    /// A packet of `size` bytes from `ssrc`, sent at `abs_send_time` (the extension's 24
    /// bits), arrived `now`.
    pub fn handle_packet(&mut self, now: Instant, ssrc: u32, abs_send_time: u32, size: usize) {
        if !self.ssrcs.contains(&ssrc) && self.ssrcs.len() < MAX_SSRCS {
            self.ssrcs.push(ssrc);
        }
        let raw = u64::from(abs_send_time) & (ABS_SEND_TIME_WRAP - 1);
        let (origin_at, origin_send) = *self.origin.get_or_insert((now, raw + ABS_SEND_TIME_WRAP));
        // Unwrapped against the last send time: the nearest with these 24 bits.
        let last = if self.last_send == 0 {
            origin_send
        } else {
            self.last_send
        };
        let send = unwrap_near(last, raw, 24);
        self.last_send = self.last_send.max(send);
        let since = |units: u64| Duration::from_nanos(units.saturating_mul(1_000_000_000) >> 18);
        let send_at = if send >= origin_send {
            origin_at + since(send - origin_send)
        } else {
            origin_at
                .checked_sub(since(origin_send - send))
                .unwrap_or(origin_at)
        };
        let arrival = now.saturating_duration_since(origin_at);
        self.incoming.add(arrival, size);
        if let Some(d) = self.inter_arrival.add(send_at, arrival, size) {
            let trend = self
                .trendline
                .update(d.arrival_ms, d.send_ms, d.arrival_time_ms);
            let usage = self.detector.detect(trend, d.send_ms, now);
            let received = self.incoming.rate();
            let current = received.unwrap_or(self.aimd.estimate());
            if usage != BandwidthUsage::Overusing || self.aimd.time_to_reduce_further(now, current)
            {
                self.aimd.update(usage, received, now);
            }
            let estimate = self.aimd.estimate();
            if let Some((_, sent)) = self.last
                && estimate.as_f64() < sent.as_f64() * (1.0 - PROMPT_DECREASE)
            {
                self.queue(now, estimate);
            }
        }
    }

    /// When a REMB is next due (already, when a prompt decrease waits); `None` before any
    /// packet.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let (first, _) = self.origin?;
        Some(match (self.last, &self.ready) {
            (Some((at, _)), Some(_)) => at,
            (Some((at, _)), None) => at + INTERVAL,
            (None, _) => first,
        })
    }

    /// Makes the REMB due at `now`. Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ready.is_none() && self.poll_timeout().is_some_and(|due| now >= due) {
            let estimate = self.aimd.estimate();
            self.queue(now, estimate);
        }
    }

    /// The next REMB to send.
    pub fn poll_remb(&mut self) -> Option<Remb> {
        self.ready.take()
    }

    /// The current estimate.
    pub fn estimate(&self) -> Bitrate {
        self.aimd.estimate()
    }

    /// REMBs made.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    fn queue(&mut self, now: Instant, estimate: Bitrate) {
        self.last = Some((now, estimate));
        self.sent += 1;
        self.ready = Some(Remb {
            sender_ssrc: self.sender_ssrc,
            bitrate: estimate.bps(),
            ssrcs: self.ssrcs.clone(),
        });
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;

    /// abs-send-time of `t` after some origin (6.18 fixed point, 24 bits).
    fn abs(t: Duration) -> u32 {
        ((t.as_nanos() << 18) / 1_000_000_000) as u32 & 0x00ff_ffff
    }

    /// Feeds `seconds` of 1,200-byte packets sent at `send_bps` through a link of
    /// `link_bps`; returns the REMBs' bitrates.
    fn run(
        e: &mut RembEstimator,
        t0: Instant,
        seconds: u64,
        send_bps: u64,
        link_bps: u64,
    ) -> Vec<u64> {
        let gap = Duration::from_nanos(1200 * 8 * 1_000_000_000 / send_bps);
        let service = Duration::from_nanos(1200 * 8 * 1_000_000_000 / link_bps);
        let mut link_free = t0;
        let mut rembs = Vec::new();
        let mut sent = Duration::ZERO;
        while sent < Duration::from_secs(seconds) {
            let at = t0 + sent;
            let arrival = link_free.max(at) + service;
            link_free = arrival;
            e.handle_packet(arrival, 42, abs(sent + Duration::from_secs(63)), 1200);
            e.handle_timeout(arrival);
            if let Some(r) = e.poll_remb() {
                assert_eq!((r.sender_ssrc, r.ssrcs.as_slice()), (7, &[42][..]));
                rembs.push(r.bitrate);
            }
            sent += gap;
        }
        rembs
    }

    #[test]
    fn the_estimate_grows_on_a_free_path_and_falls_on_a_full_one() {
        let t0 = Instant::now();
        let mut e = RembEstimator::new(
            Bitrate::from_kbps(300),
            Bitrate::from_kbps(30),
            Bitrate::from_mbps(10),
        );
        e.set_sender_ssrc(7);
        // 500 kbit/s over a 10 Mbit/s link (and across the 64 s wrap of abs-send-time):
        // nothing queues, the estimate climbs.
        let free = run(&mut e, t0, 10, 500_000, 10_000_000);
        assert!(free.len() >= 9, "{free:?}");
        assert!(*free.last().unwrap() > 500_000, "{free:?}");
        // 2 Mbit/s into a 1 Mbit/s link: the queue grows, the estimate falls below 1 Mbit/s.
        let t1 = t0 + Duration::from_secs(11);
        let full = run(&mut e, t1, 5, 2_000_000, 1_000_000);
        assert!(*full.last().unwrap() < 1_000_000, "{full:?}");
        assert!(e.sent() >= 10);
    }
}
