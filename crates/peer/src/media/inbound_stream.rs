//! What every received RTP stream keeps for RTCP: its SSRC (the first one seen), RFC 3550
//! Appendix A sequence and jitter statistics, and the last sender report for LSR/DLSR.

use std::time::{Duration, Instant};

use rtcweb_rtp::rtcp::ReportBlock;
use rtcweb_rtp::{NTP_UNIX_OFFSET, ReceiveStats, ntp_to_duration};

/// One received stream's SSRC and reception statistics.
#[derive(Debug)]
pub(crate) struct InboundStream {
    clock_rate: u32,
    ssrc: Option<u32>,
    stats: Option<ReceiveStats>,
    /// The last sender report's NTP and RTP times: the stream's mapping to the sender's
    /// wall clock (RFC 3550 §6.4.1).
    mapping: Option<(u64, u32)>,
}

impl InboundStream {
    pub(crate) fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate,
            ssrc: None,
            stats: None,
            mapping: None,
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
            .handle_packet(now, seq, rtp_timestamp);
        true
    }

    /// A sender report about the stream arrived: for LSR/DLSR, and its NTP/RTP pair maps
    /// the stream's timestamps to the sender's clock.
    pub(crate) fn sender_report(&mut self, ntp_time: u64, rtp_time: u32, now: Instant) {
        if let Some(s) = self.stats.as_mut() {
            s.handle_sender_report(now, ntp_time);
        }
        self.mapping = Some((ntp_time, rtp_time));
    }

    /// The sender's wall-clock time (since the Unix epoch) of RTP time `rtp_time`, once a
    /// sender report mapped the stream (RFC 3550 §6.4.1); timestamps within half the
    /// 32-bit range of the report's are before or after it.
    pub(crate) fn sender_time(&self, rtp_time: u32) -> Option<Duration> {
        let (ntp, sr_rtp) = self.mapping?;
        let at_report = ntp_to_duration(ntp).checked_sub(Duration::from_secs(NTP_UNIX_OFFSET))?;
        let delta = rtp_time.wrapping_sub(sr_rtp) as i32;
        let offset = Duration::from_micros(
            u64::from(delta.unsigned_abs()) * 1_000_000 / u64::from(self.clock_rate.max(1)),
        );
        if delta >= 0 {
            Some(at_report + offset)
        } else {
            at_report.checked_sub(offset)
        }
    }

    /// The report block about the stream, once a packet came (RFC 3550 §6.4.1).
    pub(crate) fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        Some(self.stats.as_mut()?.report_block(now, ssrc))
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
