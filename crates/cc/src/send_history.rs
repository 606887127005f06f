//! The packets sent and not yet forgotten, so that feedback (which names a packet by its
//! transport-wide sequence number) can be matched to the size and send time of what it
//! describes (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3: the sender keeps this).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Entries older than this (by send time, against the newest) are forgotten.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(60);
/// At most this many entries are kept.
pub(crate) const MAX_ENTRIES: usize = 50_000;

/// One packet sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SentEntry {
    pub(crate) sequence: u64,
    pub(crate) size: usize,
    pub(crate) send_time: Instant,
    pub(crate) probe: Option<u32>,
    /// Feedback has named this packet (received or lost); later reports of it are ignored,
    /// except a late arrival after a loss report.
    pub(crate) reported: bool,
    pub(crate) received: bool,
}

/// What matching one report to the history found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// First report of a packet we sent.
    New(SentEntry),
    /// A packet reported lost before and now received (reordered past a report).
    LateArrival(SentEntry),
    /// Already reported, or not in the history (never sent, or forgotten).
    Unknown,
}

impl PartialEq for SentEntry {
    fn eq(&self, other: &Self) -> bool {
        self.sequence == other.sequence
    }
}
impl Eq for SentEntry {}

/// Sent packets in sequence order, bounded by age and count.
#[derive(Debug, Default)]
pub(crate) struct SendHistory {
    entries: VecDeque<SentEntry>,
    dropped: u64,
    rejected: u64,
    /// The highest sequence number feedback has named: what was sent after it is in
    /// flight (libwebrtc's outstanding data).
    reported_up_to: Option<u64>,
    /// Bytes of the entries after `reported_up_to`.
    in_flight: usize,
}

impl SendHistory {
    /// Registers a sent packet. Sequence numbers must increase; a packet that does not is
    /// counted as rejected and not kept.
    pub(crate) fn insert(
        &mut self,
        sequence: u64,
        size: usize,
        send_time: Instant,
        probe: Option<u32>,
    ) {
        if let Some(last) = self.entries.back() {
            if sequence <= last.sequence || send_time < last.send_time {
                self.rejected += 1;
                return;
            }
        }
        while self.entries.len() >= MAX_ENTRIES {
            self.forget_front();
        }
        while self
            .entries
            .front()
            .is_some_and(|e| send_time.saturating_duration_since(e.send_time) > MAX_AGE)
        {
            self.forget_front();
        }
        self.entries.push_back(SentEntry {
            sequence,
            size,
            send_time,
            probe,
            reported: false,
            received: false,
        });
        self.in_flight += size;
    }

    fn forget_front(&mut self) {
        if let Some(e) = self.entries.pop_front() {
            if !e.reported {
                self.dropped += 1;
            }
            if self.reported_up_to.is_none_or(|r| e.sequence > r) {
                self.in_flight = self.in_flight.saturating_sub(e.size);
                self.reported_up_to = Some(e.sequence);
            }
        }
    }

    /// Bytes sent after the newest packet feedback has named (received or lost): on the
    /// path or in the peer's feedback not yet here.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Feedback named the packet at `index`: it and everything sent before it are no
    /// longer in flight.
    fn advance_reported(&mut self, index: usize) {
        let sequence = self.entries[index].sequence;
        if self.reported_up_to.is_some_and(|r| r >= sequence) {
            return;
        }
        let from = match self.reported_up_to {
            Some(r) => self.entries.partition_point(|e| e.sequence <= r),
            None => 0,
        };
        for e in self.entries.range(from..=index) {
            self.in_flight = self.in_flight.saturating_sub(e.size);
        }
        self.reported_up_to = Some(sequence);
    }

    /// The full sequence number nearest the newest one sent whose low 16 bits are `low`
    /// (the wire carries 16 bits, §3.1 of the TWCC draft).
    pub(crate) fn unwrap_sequence(&self, low: u16) -> u64 {
        let Some(last) = self.entries.back().map(|e| e.sequence) else {
            return u64::from(low);
        };
        let candidate = (last & !0xffff) | u64::from(low);
        if candidate > last && candidate - last > 0x8000 && candidate >= 0x1_0000 {
            candidate - 0x1_0000
        } else if candidate < last && last - candidate > 0x8000 {
            candidate.saturating_add(0x1_0000)
        } else {
            candidate
        }
    }

    /// Matches a report of `sequence`: received or not.
    pub(crate) fn report(&mut self, sequence: u64, received: bool) -> Match {
        let Ok(index) = self.entries.binary_search_by_key(&sequence, |e| e.sequence) else {
            return Match::Unknown;
        };
        self.advance_reported(index);
        let entry = &mut self.entries[index];
        if !entry.reported {
            entry.reported = true;
            entry.received = received;
            Match::New(*entry)
        } else if received && !entry.received {
            entry.received = true;
            Match::LateArrival(*entry)
        } else {
            Match::Unknown
        }
    }

    /// Entries kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries forgotten before any feedback named them.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Registrations refused because their sequence number or send time went backwards.
    pub(crate) fn rejected(&self) -> u64 {
        self.rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // a test's epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn unwraps_across_the_16_bit_boundary() {
        let t = epoch();
        let mut h = SendHistory::default();
        for seq in 65_530u64..65_545 {
            h.insert(seq, 1000, t, None);
        }
        // 65_540 is 4 on the wire.
        assert_eq!(h.unwrap_sequence(4), 65_540);
        assert_eq!(h.unwrap_sequence(65_531), 65_531);
        assert!(
            matches!(h.report(h.unwrap_sequence(4), true), Match::New(e) if e.sequence == 65_540)
        );
        // A second report of the same packet is ignored.
        assert_eq!(h.report(65_540, true), Match::Unknown);
    }

    #[test]
    fn reordered_reports_and_late_arrivals() {
        let t = epoch();
        let mut h = SendHistory::default();
        for seq in 0u64..10 {
            h.insert(seq, 100, t + Duration::from_millis(seq), None);
        }
        assert!(matches!(h.report(7, true), Match::New(e) if e.sequence == 7));
        assert!(matches!(h.report(3, false), Match::New(e) if e.sequence == 3 && !e.received));
        assert!(matches!(h.report(3, true), Match::LateArrival(e) if e.sequence == 3));
        assert_eq!(h.report(3, true), Match::Unknown);
        assert_eq!(h.report(42, true), Match::Unknown);
        // Going backwards is refused.
        h.insert(5, 100, t, None);
        assert_eq!(h.rejected(), 1);
    }

    #[test]
    fn in_flight_is_what_was_sent_after_the_newest_report() {
        let t = epoch();
        let mut h = SendHistory::default();
        for seq in 0..10u64 {
            h.insert(seq, 100, t + Duration::from_millis(seq), None);
        }
        assert_eq!(h.in_flight(), 1000);
        // A report of 3 acknowledges 0..=3 (a gap is a loss, not in flight any more).
        h.report(3, true);
        assert_eq!(h.in_flight(), 600);
        // Older reports change nothing; a newer one moves on.
        h.report(1, false);
        assert_eq!(h.in_flight(), 600);
        h.report(9, true);
        assert_eq!(h.in_flight(), 0);
        h.insert(10, 50, t + Duration::from_millis(10), None);
        assert_eq!(h.in_flight(), 50);
    }

    #[test]
    fn bounded_by_count_and_age() {
        let t = epoch();
        let mut h = SendHistory::default();
        for seq in 0..(MAX_ENTRIES as u64 + 10) {
            h.insert(seq, 100, t, None);
        }
        assert_eq!(h.len(), MAX_ENTRIES);
        assert_eq!(h.dropped(), 10);
        h.insert(1 << 20, 100, t + MAX_AGE + Duration::from_secs(1), None);
        assert_eq!(h.len(), 1);
        assert_eq!(h.dropped(), MAX_ENTRIES as u64 + 10);
    }
}
