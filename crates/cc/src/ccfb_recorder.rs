//! The receive side of RFC 8888 congestion control feedback: the arrival time of every RTP
//! packet, by stream and sequence number, reported back to the sender in
//! [`CongestionControlFeedback`] packets (RFC 8888 §3.1), when the session negotiated
//! `a=rtcp-fb:* ack ccfb` (§6) instead of transport-wide sequence numbers.
//!
//! Drive it like [`TwccRecorder`](crate::TwccRecorder): [`CcfbRecorder::handle_packet`] on
//! arrival, [`CcfbRecorder::handle_timeout`] at [`CcfbRecorder::poll_timeout`], then
//! [`CcfbRecorder::poll_feedback`] until `None`. Feedback goes out every
//! [`CcfbRecorderConfig::interval`] while packets arrive, each stream's block starting at
//! its first sequence number not yet reported (RFC 8888 §3.1: a packet reported lost may be
//! reported again as received later; rtcweb does not, as libwebrtc's generator does not).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::unwrap::unwrap_near;
use rtcweb_rtp::rtcp::{
    CcfbPacketReport, CcfbReportBlock, CongestionControlFeedback, Ecn, MAX_CCFB_REPORTS,
};

/// Most feedback packets made and not yet polled.
const MAX_READY: usize = 16;

/// Settings of a [`CcfbRecorder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CcfbRecorderConfig {
    /// Time between two feedback packets while packets arrive (RFC 8888 §4 leaves it to
    /// the congestion controller; libwebrtc's generator uses 25–250 ms).
    pub interval: Duration,
    /// Most packets one feedback describes, over all streams (two bytes each on the wire).
    pub max_packets: usize,
    /// Most streams tracked; packets of more are counted and dropped.
    pub max_streams: usize,
    /// Most sequence numbers held per stream between its block's start and its newest
    /// arrival; a larger jump starts the stream over (counted).
    pub max_span: usize,
}

impl Default for CcfbRecorderConfig {
    /// 50 ms, 400 packets, 16 streams, a span of 8192.
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(50),
            max_packets: 400,
            max_streams: 16,
            max_span: 8192,
        }
    }
}

/// Counters of a [`CcfbRecorder`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CcfbRecorderStats {
    /// Packets recorded.
    pub packets: u64,
    /// Feedback packets made.
    pub feedback: u64,
    /// Packets that came after their sequence number had been reported.
    pub late: u64,
    /// Packets whose sequence number had already arrived.
    pub duplicates: u64,
    /// Jumps beyond the span that made a stream start over.
    pub restarts: u64,
    /// Packets of streams beyond the limit.
    pub untracked: u64,
}

#[derive(Debug)]
struct Stream {
    ssrc: u32,
    /// The unwrapped sequence number of `window[0]`.
    base: u64,
    /// The newest unwrapped sequence number, for unwrapping the next.
    newest: u64,
    window: VecDeque<Option<Instant>>,
}

/// Records arrivals per stream and makes the RFC 8888 feedback that reports them.
#[derive(Debug)]
pub struct CcfbRecorder {
    config: CcfbRecorderConfig,
    streams: Vec<Stream>,
    /// An instant and the NTP time (RFC 5905 64-bit format) at it: report timestamps
    /// count from there.
    clock: Option<(Instant, u64)>,
    due: Option<Instant>,
    ready: VecDeque<CongestionControlFeedback>,
    sender_ssrc: u32,
    stats: CcfbRecorderStats,
}

impl CcfbRecorder {
    /// A recorder with these settings (zero limits act as 1).
    pub fn new(config: CcfbRecorderConfig) -> Self {
        Self {
            config: CcfbRecorderConfig {
                max_packets: config.max_packets.max(1),
                max_streams: config.max_streams.max(1),
                max_span: config.max_span.clamp(1, MAX_CCFB_REPORTS),
                ..config
            },
            streams: Vec::new(),
            clock: None,
            due: None,
            ready: VecDeque::new(),
            sender_ssrc: 0,
            stats: CcfbRecorderStats::default(),
        }
    }

    /// Our SSRC as the feedback's sender.
    pub fn set_sender_ssrc(&mut self, ssrc: u32) {
        self.sender_ssrc = ssrc;
    }

    /// The wall clock of the report timestamps: the NTP time (64-bit format) at `at`.
    /// Without it they count from the first packet.
    pub fn set_clock(&mut self, at: Instant, ntp: u64) {
        self.clock = Some((at, ntp));
    }

    /// RTP packet `sequence` of stream `ssrc` arrived `now`.
    pub fn handle_packet(&mut self, now: Instant, ssrc: u32, sequence: u16) {
        self.stats.packets += 1;
        self.clock.get_or_insert((now, 0));
        let index = match self.streams.iter().position(|s| s.ssrc == ssrc) {
            Some(i) => i,
            None if self.streams.len() < self.config.max_streams => {
                let seq = u64::from(sequence) + (1 << 16);
                self.streams.push(Stream {
                    ssrc,
                    base: seq,
                    newest: seq,
                    window: VecDeque::new(),
                });
                self.streams.len() - 1
            }
            None => {
                self.stats.untracked += 1;
                return;
            }
        };
        let stream = &mut self.streams[index];
        let seq = unwrap_near(stream.newest, u64::from(sequence), 16);
        stream.newest = stream.newest.max(seq);
        if seq < stream.base {
            self.stats.late += 1;
            return;
        }
        let mut offset = usize::try_from(seq - stream.base).unwrap_or(usize::MAX);
        if offset >= self.config.max_span {
            self.stats.restarts += 1;
            stream.window.clear();
            stream.base = seq;
            offset = 0;
        }
        if offset >= stream.window.len() {
            stream.window.resize(offset + 1, None);
        }
        if stream.window[offset].is_some() {
            self.stats.duplicates += 1;
            return;
        }
        stream.window[offset] = Some(now);
        let waiting: usize = self.streams.iter().map(|s| s.window.len()).sum();
        if waiting >= self.config.max_packets {
            self.due = Some(now);
        } else if self.due.is_none() {
            self.due = Some(now + self.config.interval);
        }
    }

    /// When the next feedback is due; `None` while nothing waits.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.due
    }

    /// Makes the feedback due at `now`; [`poll_feedback`](Self::poll_feedback) hands it
    /// out. Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.due.is_none_or(|due| now < due) {
            return;
        }
        self.due = None;
        while self.ready.len() < MAX_READY {
            match self.build(now) {
                Some(f) => self.ready.push_back(f),
                None => break,
            }
        }
    }

    /// The next feedback packet to send.
    pub fn poll_feedback(&mut self) -> Option<CongestionControlFeedback> {
        self.ready.pop_front()
    }

    /// Counters.
    pub fn stats(&self) -> CcfbRecorderStats {
        self.stats
    }

    /// The middle 32 bits of the NTP time at `t` (RFC 8888 §3.1: 1/65536 s).
    fn compact_ntp(&self, t: Instant) -> u32 {
        let (at, ntp) = self.clock.unwrap_or((t, 0));
        let since = t.saturating_duration_since(at);
        let frac = (u128::from(since.subsec_nanos()) << 32) / 1_000_000_000;
        let offset = (since.as_secs() << 32) | frac as u64;
        (ntp.wrapping_add(offset) >> 16) as u32
    }

    /// One feedback packet from what waits, up to `max_packets`; `None` when nothing does.
    fn build(&mut self, now: Instant) -> Option<CongestionControlFeedback> {
        let report_timestamp = self.compact_ntp(now);
        let mut budget = self.config.max_packets;
        let mut blocks = Vec::new();
        for i in 0..self.streams.len() {
            // Up to the last arrival; what never arrived before it is reported lost.
            let Some(last) = self.streams[i].window.iter().rposition(Option::is_some) else {
                continue;
            };
            let take = (last + 1).min(budget);
            if take == 0 {
                break;
            }
            let arrivals: Vec<Option<Instant>> = self.streams[i].window.drain(..take).collect();
            let reports = arrivals
                .into_iter()
                .map(|a| match a {
                    Some(t) => CcfbPacketReport::received(
                        Ecn::NotEct,
                        self.compact_ntp(t),
                        report_timestamp,
                    ),
                    None => CcfbPacketReport::lost(),
                })
                .collect();
            let stream = &mut self.streams[i];
            blocks.push(CcfbReportBlock {
                ssrc: stream.ssrc,
                begin_seq: stream.base as u16,
                reports,
            });
            stream.base += take as u64;
            budget -= take;
        }
        if blocks.is_empty() {
            return None;
        }
        self.stats.feedback += 1;
        Some(CongestionControlFeedback {
            sender_ssrc: self.sender_ssrc,
            blocks,
            report_timestamp,
        })
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;
    use rtcweb_rtp::rtcp::{Compound, Packet};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn on_the_wire(f: &CongestionControlFeedback) -> CongestionControlFeedback {
        let mut out = Vec::new();
        f.emit(&mut out).unwrap();
        match Compound::new(&out).next() {
            Some(Ok(Packet::CongestionControlFeedback(p))) => p,
            other => panic!("not an RFC 8888 packet: {other:?}"),
        }
    }

    #[test]
    fn reports_each_stream_from_its_first_unreported_packet() {
        let t0 = Instant::now();
        let mut r = CcfbRecorder::new(CcfbRecorderConfig::default());
        r.set_sender_ssrc(9);
        r.set_clock(t0, 0x1234_5678_0000_0000);
        r.handle_packet(t0, 111, 65535);
        r.handle_packet(t0 + ms(2), 111, 1);
        r.handle_packet(t0 + ms(4), 222, 7);
        assert_eq!(r.poll_timeout(), Some(t0 + ms(50)));
        r.handle_timeout(t0 + ms(50));
        let f = on_the_wire(&r.poll_feedback().unwrap());
        assert_eq!(f.sender_ssrc, 9);
        assert_eq!(f.report_timestamp, 0x5678_0000 + (50 * 65536 / 1000));
        assert_eq!(f.blocks.len(), 2);
        let a = &f.blocks[0];
        assert_eq!((a.ssrc, a.begin_seq, a.reports.len()), (111, 65535, 3));
        assert!(a.reports[0].received && !a.reports[1].received && a.reports[2].received);
        // 50 ms and 48 ms before the report, in 1/1024 s (rounded down twice).
        let ato = |p: &CcfbPacketReport| p.arrival_time_offset;
        assert!(
            (50..=52).contains(&ato(&a.reports[0])),
            "{}",
            ato(&a.reports[0])
        );
        assert!((48..=50).contains(&ato(&a.reports[2])));
        assert_eq!((f.blocks[1].ssrc, f.blocks[1].begin_seq), (222, 7));
        // Next time a stream starts after what was reported; a late packet is dropped.
        r.handle_packet(t0 + ms(60), 111, 0);
        r.handle_packet(t0 + ms(61), 111, 3);
        r.handle_timeout(t0 + ms(120));
        let f = r.poll_feedback().unwrap();
        assert_eq!((f.blocks[0].begin_seq, f.blocks[0].reports.len()), (2, 2));
        assert_eq!(r.stats().late, 1);
    }

    #[test]
    fn large_bursts_and_jumps_are_bounded() {
        let t0 = Instant::now();
        let mut r = CcfbRecorder::new(CcfbRecorderConfig {
            max_packets: 100,
            max_streams: 1,
            ..CcfbRecorderConfig::default()
        });
        for i in 0..250u16 {
            r.handle_packet(t0, 5, i);
        }
        r.handle_packet(t0, 6, 1);
        assert_eq!(r.stats().untracked, 1);
        r.handle_timeout(t0);
        let mut sizes = Vec::new();
        while let Some(f) = r.poll_feedback() {
            sizes.push(f.blocks[0].reports.len());
        }
        assert_eq!(sizes, vec![100, 100, 50]);
        r.handle_packet(t0 + ms(1), 5, 30_000);
        assert_eq!(r.stats().restarts, 1);
        r.handle_packet(t0 + ms(1), 5, 30_000);
        assert_eq!(r.stats().duplicates, 1);
    }
}
