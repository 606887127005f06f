//! Per-source receive statistics (RFC 3550 Appendix A.1, A.3, A.8) and round-trip time from
//! LSR/DLSR (§6.4.1).

use std::time::{Duration, Instant};

use crate::rtcp::ReportBlock;

const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
const MIN_SEQUENTIAL: u32 = 2;

/// What one source's packets looked like on arrival.
#[derive(Debug, Clone)]
pub struct ReceiveStats {
    clock_rate: u32,
    started: Option<Instant>,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    last_transit: Option<i64>,
    /// Jitter ×16, as A.8 keeps it.
    jitter_q4: u64,
    last_sr: Option<(u32, Instant)>,
}

impl ReceiveStats {
    /// Statistics for a source with this RTP clock rate (48000 for Opus, 90000 for video).
    pub fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            started: None,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: u32::MAX,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            last_transit: None,
            jitter_q4: 0,
            last_sr: None,
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = u32::MAX;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// A packet arrived (RFC 3550 A.1 `update_seq` and A.8 jitter). Returns false when the
    /// packet is not counted (probation, or a large jump not yet confirmed).
    pub fn handle_packet(&mut self, arrival: Instant, seq: u16, rtp_timestamp: u32) -> bool {
        let counted = if self.started.is_none() {
            self.started = Some(arrival);
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
            self.sequence(seq)
        } else {
            self.sequence(seq)
        };
        if counted {
            self.update_jitter(rtp_timestamp, arrival);
        }
        counted
    }

    fn sequence(&mut self, seq: u16) -> bool {
        let udelta = seq.wrapping_sub(self.max_seq);
        // Source is not valid until MIN_SEQUENTIAL packets in sequence have arrived.
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.base_seq = u32::from(seq).wrapping_sub(MIN_SEQUENTIAL - 1);
                    self.received = u64::from(MIN_SEQUENTIAL);
                    return true;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return false;
        }
        if udelta < MAX_DROPOUT {
            // In order, with permissible gap.
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.max_seq = seq;
        } else if udelta <= u16::MAX - MAX_MISORDER {
            // A very large jump: restart if the next packet follows it.
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
            } else {
                self.bad_seq = u32::from(seq.wrapping_add(1));
                return false;
            }
        }
        // Else duplicate or reordered: counted.
        self.received += 1;
        true
    }

    fn update_jitter(&mut self, rtp_timestamp: u32, arrival: Instant) {
        let Some(start) = self.started else { return };
        let since = arrival.saturating_duration_since(start);
        let arrival_ts = (since.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as i64;
        // Transit times in timestamp units; the 32-bit RTP clock wraps, so compare modulo 2^32.
        let transit = arrival_ts.wrapping_sub(i64::from(rtp_timestamp)) & 0xffff_ffff;
        if let Some(last) = self.last_transit {
            let mut d = (transit - last).abs();
            if d > 0x8000_0000 {
                d = 0x1_0000_0000 - d;
            }
            // J += (|D| − J) / 16, kept ×16 (A.8).
            let j = self.jitter_q4 as i64;
            self.jitter_q4 = (j + d - ((j + 8) >> 4)).max(0) as u64;
        }
        self.last_transit = Some(transit);
    }

    /// Extended highest sequence number received.
    pub fn extended_highest_seq(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected (A.3).
    pub fn expected(&self) -> u64 {
        u64::from(self.extended_highest_seq().wrapping_sub(self.base_seq)) + 1
    }

    /// Packets received (duplicates included, as A.3 counts them).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Cumulative packets lost (A.3), clamped to the 24-bit signed field.
    pub fn cumulative_lost(&self) -> i32 {
        if self.started.is_none() || self.probation > 0 {
            return 0;
        }
        (self.expected() as i64 - self.received as i64).clamp(-0x80_0000, 0x7f_ffff) as i32
    }

    /// Interarrival jitter in timestamp units (A.8).
    pub fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4) as u32
    }

    /// A sender report arrived: remember the middle 32 bits of its NTP time (for LSR).
    pub fn handle_sender_report(&mut self, arrival: Instant, ntp_time: u64) {
        self.last_sr = Some(((ntp_time >> 16) as u32, arrival));
    }

    /// The report block to send now; advances the interval for `fraction_lost` (A.3).
    pub fn report_block(&mut self, now: Instant, ssrc: u32) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                let d = now.saturating_duration_since(at);
                (
                    lsr,
                    (d.as_nanos() * 65536 / 1_000_000_000).min(u128::from(u32::MAX)) as u32,
                )
            }
            None => (0, 0),
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost(),
            extended_highest_seq: self.extended_highest_seq(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

/// Round-trip time from a report block (RFC 3550 §6.4.1): `A − LSR − DLSR`, where `A` is the
/// middle 32 bits of the NTP time the block arrived. `None` without an SR reference or when
/// the result would be negative.
pub fn round_trip_time(block: &ReportBlock, arrival_ntp: u64) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let a = (arrival_ntp >> 16) as u32;
    let rtt = a
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    if rtt > 0x8000_0000 {
        return None;
    }
    Some(Duration::from_nanos(u64::from(rtt) * 1_000_000_000 / 65536))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn jitter_on_a_known_schedule() {
        // 8 kHz clock, a packet every 20 ms (160 ticks); arrivals alternate early/late by
        // 5 ms (40 ticks): |D| is 80 ticks after the first pair, J converges to 80.
        let t0 = epoch();
        let mut s = ReceiveStats::new(8000);
        for i in 0..2000u32 {
            let offset = if i % 2 == 0 { 0 } else { 10 };
            let arrival = t0 + Duration::from_millis(u64::from(i) * 20 + offset);
            s.handle_packet(arrival, i as u16, i * 160);
        }
        assert!((78..=80).contains(&s.jitter()), "jitter {}", s.jitter());
        // A steady stream has no jitter.
        let mut steady = ReceiveStats::new(48000);
        for i in 0..100u32 {
            steady.handle_packet(
                t0 + Duration::from_millis(u64::from(i) * 20),
                i as u16,
                i * 960,
            );
        }
        assert_eq!(steady.jitter(), 0);
    }

    #[test]
    fn loss_wrap_and_fraction() {
        let t0 = epoch();
        let mut s = ReceiveStats::new(48000);
        let mut t = t0;
        // Start near the wrap; lose every tenth packet.
        for i in 0..1000u32 {
            let seq = 65000u16.wrapping_add(i as u16);
            t += Duration::from_millis(20);
            if i % 10 != 5 {
                s.handle_packet(t, seq, i * 960);
            }
        }
        assert_eq!(
            s.extended_highest_seq(),
            65536 + u32::from(65000u16.wrapping_add(999))
        );
        assert_eq!(s.cumulative_lost(), 100);
        let block = s.report_block(t, 7);
        assert_eq!(block.fraction_lost, (100 * 256 / 1000) as u8);
        assert_eq!(s.report_block(t, 7).fraction_lost, 0, "new interval");
    }

    #[test]
    fn rtt_from_lsr_and_dlsr() {
        // RFC 3550 §6.4.1 example: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000
        // (46853.125 s), DLSR = 0x0005:4000 (5.250 s): RTT = 6.125 s.
        let block = ReportBlock {
            last_sr: 0xb705_2000,
            delay_since_last_sr: 0x0005_4000,
            ..ReportBlock::default()
        };
        let arrival_ntp = 0xb710_8000u64 << 16;
        assert_eq!(
            round_trip_time(&block, arrival_ntp),
            Some(Duration::from_millis(6125))
        );
        assert_eq!(round_trip_time(&ReportBlock::default(), arrival_ntp), None);
    }
}
