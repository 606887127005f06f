//! Ordered delivery per stream (RFC 9260 §6.5-6.6): whole messages wait for the ones with
//! lower stream sequence numbers; unordered ones pass straight through.

use std::collections::{BTreeMap, HashMap};

use super::reassembly::Whole;
use crate::tsn::ssn_lt;

#[derive(Debug, Default)]
struct InStream {
    next_ssn: u16,
    /// Whole messages that wait for an earlier SSN, keyed by their SSN.
    waiting: BTreeMap<u16, Whole>,
}

/// The per-stream ordering queues.
#[derive(Debug, Default)]
pub(crate) struct Ordering {
    streams: HashMap<u16, InStream>,
    /// Payload bytes waiting.
    bytes: usize,
}

impl Ordering {
    /// Payload bytes held while waiting for earlier messages.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// A whole message: delivered into `out` now, with any it unblocks, or held.
    pub(crate) fn push(&mut self, whole: Whole, out: &mut Vec<Whole>) {
        if whole.unordered {
            out.push(whole);
            return;
        }
        let s = self.streams.entry(whole.stream).or_default();
        if whole.ssn == s.next_ssn {
            s.next_ssn = s.next_ssn.wrapping_add(1);
            out.push(whole);
            Self::release(s, &mut self.bytes, out);
        } else if ssn_lt(s.next_ssn, whole.ssn) {
            self.bytes += whole.data.len();
            if let Some(old) = s.waiting.insert(whole.ssn, whole) {
                self.bytes -= old.data.len();
            }
        }
        // An SSN behind `next_ssn` was delivered or skipped already: dropped.
    }

    fn release(s: &mut InStream, bytes: &mut usize, out: &mut Vec<Whole>) {
        while let Some(w) = s.waiting.remove(&s.next_ssn) {
            *bytes -= w.data.len();
            s.next_ssn = s.next_ssn.wrapping_add(1);
            out.push(w);
        }
    }

    /// FORWARD TSN (RFC 3758 §3.6): messages up to `ssn` on `stream` will never come; the
    /// ones held up to it are dropped (they are older than what was skipped), delivery
    /// resumes after it.
    pub(crate) fn skip(&mut self, stream: u16, ssn: u16, out: &mut Vec<Whole>) {
        let s = self.streams.entry(stream).or_default();
        if ssn_lt(ssn, s.next_ssn) {
            return;
        }
        let stale: Vec<u16> = s
            .waiting
            .keys()
            .copied()
            .filter(|&k| !ssn_lt(ssn, k))
            .collect();
        for k in stale {
            if let Some(w) = s.waiting.remove(&k) {
                self.bytes -= w.data.len();
            }
        }
        s.next_ssn = ssn.wrapping_add(1);
        Self::release(s, &mut self.bytes, out);
    }

    /// The peer reset these streams (RFC 6525 §5.2.2): their SSNs start again at 0.
    pub(crate) fn reset(&mut self, streams: &[u16]) {
        if streams.is_empty() {
            // An empty list means every stream.
            for s in self.streams.values_mut() {
                s.next_ssn = 0;
            }
            return;
        }
        for id in streams {
            if let Some(s) = self.streams.get_mut(id) {
                s.next_ssn = 0;
                for (_, w) in std::mem::take(&mut s.waiting) {
                    self.bytes -= w.data.len();
                }
            }
        }
        self.streams
            .retain(|_, s| s.next_ssn != 0 || !s.waiting.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(ssn: u16, unordered: bool) -> Whole {
        Whole {
            dropped: false,
            stream: 3,
            ssn,
            ppid: 51,
            unordered,
            data: vec![ssn as u8],
        }
    }

    #[test]
    fn delivers_in_ssn_order_and_skips() {
        let mut o = Ordering::default();
        let mut out = Vec::new();
        o.push(whole(1, false), &mut out);
        o.push(whole(7, true), &mut out);
        assert_eq!(out.len(), 1, "the unordered one passes");
        o.push(whole(0, false), &mut out);
        assert_eq!(out.iter().map(|w| w.ssn).collect::<Vec<_>>(), [7, 0, 1]);
        out.clear();
        o.push(whole(4, false), &mut out);
        o.push(whole(3, false), &mut out);
        assert!(out.is_empty());
        assert_eq!(o.bytes(), 2);
        // SSN 2 was abandoned by the sender.
        o.skip(3, 2, &mut out);
        assert_eq!(out.iter().map(|w| w.ssn).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(o.bytes(), 0);
        o.push(whole(4, false), &mut out);
        assert_eq!(out.len(), 2, "an old SSN is dropped");
        o.reset(&[3]);
        o.push(whole(0, false), &mut out);
        assert_eq!(out.len(), 3);
    }
}
