//! The receive side of transport-wide congestion control
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01): the arrival time of every packet
//! that carried a transport-wide sequence number, reported back to the sender in
//! [`TransportCc`] feedback packets.
//!
//! Drive it like every machine of the stack: [`TwccRecorder::handle_packet`] on arrival,
//! [`TwccRecorder::handle_timeout`] at [`TwccRecorder::poll_timeout`], then
//! [`TwccRecorder::poll_feedback`] until `None`. Feedback goes out every [`TwccRecorderConfig::interval`] while packets arrive, and at
//! once when [`TwccRecorderConfig::max_packets`] are waiting: at high packet rates it is
//! more frequent, as libwebrtc's feedback generator is. Each feedback starts at the first
//! sequence number not yet reported, so a packet reported lost is not reported again (a
//! late one is counted and dropped, as libwebrtc does once the window has moved on).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::unwrap::unwrap_near;
use rtcweb_rtp::rtcp::{DELTA_UNIT_US, REFERENCE_UNIT_MS, TransportCc};

/// Most feedback packets made and not yet polled.
const MAX_READY: usize = 16;

/// Settings of a [`TwccRecorder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwccRecorderConfig {
    /// Time between two feedback packets while packets arrive.
    pub interval: Duration,
    /// Feedback goes out at once when this many sequence numbers wait; it is also the most
    /// one feedback describes, which keeps it within one datagram (at most two bytes of
    /// status and delta per packet).
    pub max_packets: usize,
    /// Most sequence numbers held between a feedback's base and the newest arrival; a
    /// larger jump starts over at the new number (counted).
    pub max_span: usize,
}

impl Default for TwccRecorderConfig {
    /// 50 ms, 300 packets, a span of 8192.
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(50),
            max_packets: 300,
            max_span: 8192,
        }
    }
}

/// Counters of a [`TwccRecorder`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TwccRecorderStats {
    /// Packets recorded.
    pub packets: u64,
    /// Feedback packets made.
    pub feedback: u64,
    /// Packets that came after their sequence number had been reported.
    pub late: u64,
    /// Packets whose sequence number had already arrived.
    pub duplicates: u64,
    /// Jumps beyond the span that made the recorder start over.
    pub restarts: u64,
}

/// Records arrivals by transport-wide sequence number and makes the feedback that reports
/// them. Sans-IO: arrival instants come in, feedback packets come out by polling.
#[derive(Debug)]
pub struct TwccRecorder {
    config: TwccRecorderConfig,
    /// Arrival times from `base` on; `None` not (yet) arrived.
    window: VecDeque<Option<Instant>>,
    /// The unwrapped sequence number of `window[0]`; `None` before the first packet.
    base: Option<u64>,
    /// The newest unwrapped sequence number seen, for unwrapping the next.
    newest: u64,
    /// Where arrival times are measured from (the first packet).
    origin: Option<Instant>,
    /// When the next feedback is due, while packets wait.
    due: Option<Instant>,
    /// Feedback made and not yet polled.
    ready: VecDeque<TransportCc>,
    feedback_count: u8,
    sender_ssrc: u32,
    media_ssrc: u32,
    stats: TwccRecorderStats,
}

impl TwccRecorder {
    /// A recorder with these settings (a zero `max_packets` or `max_span` acts as 1).
    pub fn new(config: TwccRecorderConfig) -> Self {
        Self {
            config: TwccRecorderConfig {
                max_packets: config.max_packets.max(1),
                max_span: config.max_span.max(1),
                ..config
            },
            window: VecDeque::new(),
            base: None,
            newest: 0,
            origin: None,
            due: None,
            ready: VecDeque::new(),
            feedback_count: 0,
            sender_ssrc: 0,
            media_ssrc: 0,
            stats: TwccRecorderStats::default(),
        }
    }

    /// The SSRCs written into the feedback: ours as its sender, and one of the media
    /// sources it covers (receivers ignore it; libwebrtc writes the first media SSRC).
    pub fn set_ssrcs(&mut self, sender: u32, media: u32) {
        self.sender_ssrc = sender;
        self.media_ssrc = media;
    }

    /// A packet with transport-wide sequence number `sequence` arrived `now`.
    pub fn handle_packet(&mut self, now: Instant, sequence: u16) {
        self.stats.packets += 1;
        self.origin.get_or_insert(now);
        let seq = match self.base {
            None => {
                let seq = u64::from(sequence) + (1 << 16);
                self.base = Some(seq);
                self.newest = seq;
                seq
            }
            Some(_) => unwrap_near(self.newest, u64::from(sequence), 16),
        };
        self.newest = self.newest.max(seq);
        let base = self.base.unwrap_or(seq);
        if seq < base {
            self.stats.late += 1;
            return;
        }
        let mut offset = usize::try_from(seq - base).unwrap_or(usize::MAX);
        if offset >= self.config.max_span {
            // A jump no sender makes in one feedback interval: start over there.
            self.stats.restarts += 1;
            self.window.clear();
            self.base = Some(seq);
            offset = 0;
        }
        if offset >= self.window.len() {
            self.window.resize(offset + 1, None);
        }
        if self.window[offset].is_some() {
            self.stats.duplicates += 1;
            return;
        }
        self.window[offset] = Some(now);
        if self.due.is_none() {
            self.due = Some(now + self.config.interval);
        }
        if self.window.len() >= self.config.max_packets {
            self.due = Some(now);
        }
    }

    /// When the next feedback is due; `None` while nothing waits.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.due
    }

    /// Makes the feedback that is due at `now`; [`poll_feedback`](Self::poll_feedback)
    /// hands it out. Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.due.is_none_or(|due| now < due) {
            return;
        }
        self.due = None;
        // More than one feedback's worth may wait: all of it goes out now.
        while self.ready.len() < MAX_READY {
            match self.build() {
                Some(f) => self.ready.push_back(f),
                None => break,
            }
        }
        if self.window.iter().any(Option::is_some) {
            self.due = Some(now);
        }
    }

    /// The next feedback packet to send. Call until `None` after each
    /// [`handle_timeout`](Self::handle_timeout).
    pub fn poll_feedback(&mut self) -> Option<TransportCc> {
        self.ready.pop_front()
    }

    /// Counters.
    pub fn stats(&self) -> TwccRecorderStats {
        self.stats
    }

    /// Takes up to `max_packets` sequence numbers from the front of the window into one
    /// feedback packet.
    fn build(&mut self) -> Option<TransportCc> {
        let base = self.base?;
        let origin = self.origin?;
        // Leading sequence numbers that never arrived are only reported lost when a later
        // one arrived: the window always ends on an arrival.
        let first_arrival = self.window.iter().flatten().next().copied()?;
        let from_origin = |t: Instant| -> i64 {
            i64::try_from(t.saturating_duration_since(origin).as_micros()).unwrap_or(i64::MAX)
        };
        let reference_ms = from_origin(first_arrival) / 1000 / REFERENCE_UNIT_MS;
        let reference_us = reference_ms * REFERENCE_UNIT_MS * 1000;
        let mut arrivals = Vec::with_capacity(self.window.len().min(self.config.max_packets));
        let mut previous = reference_us;
        for slot in self.window.iter().take(self.config.max_packets) {
            match slot {
                None => arrivals.push(None),
                Some(t) => {
                    let at = from_origin(*t);
                    // A delta the 16-bit field cannot carry ends this feedback here
                    // (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.5).
                    let ticks = at.div_euclid(DELTA_UNIT_US) - previous.div_euclid(DELTA_UNIT_US);
                    if i16::try_from(ticks).is_err() {
                        break;
                    }
                    previous = at;
                    arrivals.push(Some(at - reference_us));
                }
            }
        }
        // The feedback ends on an arrival.
        while arrivals.last().is_some_and(Option::is_none) {
            arrivals.pop();
        }
        if arrivals.is_empty() {
            return None;
        }
        let taken = arrivals.len();
        self.window.drain(..taken);
        self.base = Some(base + taken as u64);
        let feedback = TransportCc {
            sender_ssrc: self.sender_ssrc,
            media_ssrc: self.media_ssrc,
            base_seq: base as u16,
            reference_time: i32::try_from(reference_ms & 0x7f_ffff).unwrap_or(0),
            feedback_count: self.feedback_count,
            arrivals,
        };
        self.feedback_count = self.feedback_count.wrapping_add(1);
        self.stats.feedback += 1;
        Some(feedback)
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

    /// Emits and parses the feedback back, as the sender would see it.
    fn on_the_wire(f: &TransportCc) -> TransportCc {
        let mut out = Vec::new();
        f.emit(&mut out).unwrap();
        match Compound::new(&out).next() {
            Some(Ok(Packet::TransportCc(p))) => p,
            other => panic!("not a TWCC packet: {other:?}"),
        }
    }

    #[test]
    fn reports_arrivals_and_losses_every_interval() {
        let t0 = Instant::now();
        let mut r = TwccRecorder::new(TwccRecorderConfig::default());
        r.set_ssrcs(1, 2);
        for (seq, at) in [(65534u16, 0), (65535, 1), (1, 3), (2, 10)] {
            r.handle_packet(t0 + ms(at), seq);
        }
        assert_eq!(r.poll_timeout(), Some(t0 + ms(50)));
        r.handle_timeout(t0 + ms(49));
        assert_eq!(r.poll_feedback(), None);
        r.handle_timeout(t0 + ms(50));
        let f = on_the_wire(&r.poll_feedback().unwrap());
        assert_eq!((f.sender_ssrc, f.media_ssrc, f.base_seq), (1, 2, 65534));
        assert_eq!(f.feedback_count, 0);
        let arrivals: Vec<Option<i64>> = f.arrivals.clone();
        assert_eq!(
            arrivals,
            vec![Some(0), Some(1000), None, Some(3000), Some(10_000)],
            "sequence 0 is reported lost across the wrap"
        );
        assert_eq!(r.poll_feedback(), None);
        assert_eq!(r.poll_timeout(), None);
        // The next feedback starts after what was reported; a late 0 is dropped.
        r.handle_packet(t0 + ms(60), 0);
        r.handle_packet(t0 + ms(70), 3);
        r.handle_timeout(t0 + ms(120));
        let f = r.poll_feedback().unwrap();
        assert_eq!((f.base_seq, f.feedback_count), (3, 1));
        assert_eq!(r.stats().late, 1);
        // Reference time in 64 ms units, the delta from it.
        assert_eq!(f.reference_time, 1);
        assert_eq!(f.arrivals, vec![Some(70_000 - 64_000)]);
    }

    #[test]
    fn many_packets_make_feedback_sooner_and_in_parts() {
        let t0 = Instant::now();
        let config = TwccRecorderConfig {
            max_packets: 100,
            ..TwccRecorderConfig::default()
        };
        let mut r = TwccRecorder::new(config);
        for i in 0..250u16 {
            r.handle_packet(t0 + Duration::from_micros(u64::from(i) * 100), i);
        }
        let now = t0 + ms(25);
        assert!(r.poll_timeout().unwrap() <= now);
        let mut bases = Vec::new();
        r.handle_timeout(now);
        while let Some(f) = r.poll_feedback() {
            assert!(f.arrivals.len() <= 100);
            bases.push((f.base_seq, f.arrivals.len()));
        }
        assert_eq!(bases, vec![(0, 100), (100, 100), (200, 50)]);
    }

    #[test]
    fn reordering_duplicates_and_jumps_are_bounded() {
        let t0 = Instant::now();
        let mut r = TwccRecorder::new(TwccRecorderConfig::default());
        r.handle_packet(t0, 10);
        r.handle_packet(t0 + ms(2), 12);
        r.handle_packet(t0 + ms(3), 11);
        r.handle_packet(t0 + ms(4), 11);
        assert_eq!(r.stats().duplicates, 1);
        r.handle_timeout(t0 + ms(50));
        let f = on_the_wire(&r.poll_feedback().unwrap());
        // Reordered: the third delta is negative.
        assert_eq!(f.arrivals, vec![Some(0), Some(3000), Some(2000)]);
        r.handle_packet(t0 + ms(60), 30_000);
        assert_eq!(r.stats().restarts, 1);
        r.handle_timeout(t0 + ms(110));
        let f = r.poll_feedback().unwrap();
        assert_eq!((f.base_seq, f.arrivals.len()), (30_000, 1));
    }

    #[test]
    fn a_delta_too_large_for_the_wire_splits_the_feedback() {
        let t0 = Instant::now();
        let mut r = TwccRecorder::new(TwccRecorderConfig::default());
        r.handle_packet(t0, 1);
        r.handle_packet(t0 + Duration::from_secs(9), 2);
        let now = t0 + Duration::from_secs(10);
        r.handle_timeout(now);
        let first = on_the_wire(&r.poll_feedback().unwrap());
        let second = on_the_wire(&r.poll_feedback().unwrap());
        assert_eq!((first.base_seq, first.arrivals.len()), (1, 1));
        assert_eq!((second.base_seq, second.arrivals.len()), (2, 1));
    }
}
