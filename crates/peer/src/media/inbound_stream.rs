//! What every received RTP stream keeps for RTCP: its SSRC (the first one seen), RFC 3550
//! Appendix A sequence and jitter statistics, and the last sender report for LSR/DLSR.

use std::time::Instant;

use rtcweb_rtp::ReceiveStats;
use rtcweb_rtp::rtcp::ReportBlock;

/// One received stream's SSRC and reception statistics.
#[derive(Debug)]
pub(crate) struct InboundStream {
    clock_rate: u32,
    ssrc: Option<u32>,
    stats: Option<ReceiveStats>,
}

impl InboundStream {
    pub(crate) fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate,
            ssrc: None,
            stats: None,
        }
    }

    /// The stream's SSRC, once a packet came.
    pub(crate) fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }

    /// Counts a packet of `ssrc` (the first SSRC seen is the stream's; RFC 3550 §8.2
    /// collisions are not ours to resolve): false, and nothing counted, for another SSRC.
    pub(crate) fn record(&mut self, ssrc: u32, seq: u16, rtp_timestamp: u32, now: Instant) -> bool {
        if *self.ssrc.get_or_insert(ssrc) != ssrc {
            return false;
        }
        let clock_rate = self.clock_rate;
        self.stats
            .get_or_insert_with(|| ReceiveStats::new(clock_rate))
            .update(seq, rtp_timestamp, now);
        true
    }

    /// A sender report about the stream arrived (for LSR/DLSR).
    pub(crate) fn sender_report(&mut self, ntp_time: u64, now: Instant) {
        if let Some(s) = self.stats.as_mut() {
            s.sender_report(ntp_time, now);
        }
    }

    /// The report block about the stream, once a packet came (RFC 3550 §6.4.1).
    pub(crate) fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        Some(self.stats.as_mut()?.report_block(ssrc, now))
    }

    /// Packets lost (RFC 3550 A.3) and interarrival jitter in seconds, once a packet came.
    pub(crate) fn loss_and_jitter(&self) -> Option<(i64, f64)> {
        let s = self.stats.as_ref()?;
        Some((
            i64::from(s.cumulative_lost()),
            f64::from(s.jitter()) / f64::from(self.clock_rate),
        ))
    }
}
