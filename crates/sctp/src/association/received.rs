//! Which TSNs arrived (RFC 9260 §6.2): the cumulative TSN, the TSNs above it as gap ack
//! blocks, and duplicates to report.

use std::collections::BTreeSet;

use crate::wire::GapBlock;

/// Most gap ack blocks reported in one SACK (the rest wait for the next one).
const MAX_GAP_BLOCKS: usize = 64;
/// Most duplicate TSNs kept for the next SACK (RFC 9260 §6.2: "the receiver MAY limit").
const MAX_DUPLICATES: usize = 16;

/// What became of one TSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// First time seen.
    New,
    /// At or below the cumulative TSN, or seen before.
    Duplicate,
}

/// The receiver's view of the TSN space.
#[derive(Debug)]
pub(crate) struct ReceivedTsns {
    /// Unwrapped cumulative TSN: every TSN up to it arrived (or was skipped).
    cum: u64,
    /// TSNs above `cum` that arrived.
    above: BTreeSet<u64>,
    duplicates: Vec<u32>,
}

impl ReceivedTsns {
    /// `initial_tsn` is the peer's Initial TSN (its INIT): the first TSN it will send.
    pub(crate) fn new(initial_tsn: u64) -> Self {
        Self {
            cum: initial_tsn - 1,
            above: BTreeSet::new(),
            duplicates: Vec::new(),
        }
    }

    pub(crate) fn cum(&self) -> u64 {
        self.cum
    }

    /// Whether TSNs above the cumulative one arrived (a gap exists).
    pub(crate) fn has_gaps(&self) -> bool {
        !self.above.is_empty()
    }

    /// Whether `tsn` arrived already.
    pub(crate) fn contains(&self, tsn: u64) -> bool {
        tsn <= self.cum || self.above.contains(&tsn)
    }

    /// Records an arriving TSN.
    pub(crate) fn record(&mut self, tsn: u64) -> Arrival {
        if tsn == self.cum + 1 {
            self.cum = tsn;
            self.absorb();
            return Arrival::New;
        }
        if tsn <= self.cum || !self.above.insert(tsn) {
            if self.duplicates.len() < MAX_DUPLICATES {
                self.duplicates.push(tsn as u32);
            }
            return Arrival::Duplicate;
        }
        Arrival::New
    }

    /// Moves `cum` over TSNs that arrived above it.
    fn absorb(&mut self) {
        while let Some(&first) = self.above.first() {
            if first > self.cum + 1 {
                break;
            }
            self.above.pop_first();
            if first == self.cum + 1 {
                self.cum = first;
            }
        }
    }

    /// FORWARD TSN (RFC 3758 §3.6): every TSN up to `new_cum` is to be taken as arrived.
    pub(crate) fn forward(&mut self, new_cum: u64) {
        if new_cum <= self.cum {
            return;
        }
        self.cum = new_cum;
        while self.above.first().is_some_and(|&t| t <= new_cum) {
            self.above.pop_first();
        }
        self.absorb();
    }

    /// The gap ack blocks, as offsets from `cum` (RFC 9260 §3.3.4).
    pub(crate) fn gap_blocks(&self, out: &mut Vec<GapBlock>) {
        out.clear();
        let mut run: Option<(u64, u64)> = None;
        for &tsn in &self.above {
            match run {
                Some((start, end)) if tsn == end + 1 => run = Some((start, tsn)),
                _ => {
                    if let Some(r) = run {
                        if !self.push_block(out, r) {
                            return;
                        }
                    }
                    run = Some((tsn, tsn));
                }
            }
        }
        if let Some(r) = run {
            self.push_block(out, r);
        }
    }

    fn push_block(&self, out: &mut Vec<GapBlock>, (start, end): (u64, u64)) -> bool {
        let (Ok(start), Ok(end)) = (
            u16::try_from(start - self.cum),
            u16::try_from(end - self.cum),
        ) else {
            return false;
        };
        out.push(GapBlock { start, end });
        out.len() < MAX_GAP_BLOCKS
    }

    /// Duplicate TSNs since the last SACK, emptied.
    pub(crate) fn take_duplicates(&mut self, out: &mut Vec<u32>) {
        out.clear();
        out.append(&mut self.duplicates);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_cumulative_gaps_and_duplicates() {
        let mut r = ReceivedTsns::new(100);
        assert_eq!(r.record(100), Arrival::New);
        assert_eq!(r.record(102), Arrival::New);
        assert_eq!(r.record(103), Arrival::New);
        assert_eq!(r.record(105), Arrival::New);
        assert_eq!(r.record(102), Arrival::Duplicate);
        assert_eq!(r.record(99), Arrival::Duplicate);
        assert_eq!(r.cum(), 100);
        let mut gaps = Vec::new();
        r.gap_blocks(&mut gaps);
        assert_eq!(
            gaps,
            [GapBlock { start: 2, end: 3 }, GapBlock { start: 5, end: 5 }]
        );
        let mut dups = Vec::new();
        r.take_duplicates(&mut dups);
        assert_eq!(dups, [102, 99]);
        assert_eq!(r.record(101), Arrival::New);
        assert_eq!(r.cum(), 103);
        r.forward(104);
        assert_eq!(r.cum(), 105);
        assert!(!r.has_gaps());
    }
}
