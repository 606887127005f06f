//! Reassembly of fragmented messages (RFC 9260 §6.9). The fragments of one message have
//! consecutive TSNs, so fragments are kept as runs of consecutive TSNs belonging to one
//! message; a run from a B fragment to an E fragment is a whole message. In-order arrival
//! appends to the run that ends just before, so a message is copied once, into its own
//! buffer.

use std::collections::BTreeMap;

use crate::wire::Data;

/// Consecutive fragments of one message.
#[derive(Debug)]
struct Run {
    last: u64,
    stream: u16,
    ssn: u16,
    ppid: u32,
    unordered: bool,
    begins: bool,
    ends: bool,
    /// The message grew past the limit: its bytes are dropped, its TSNs still tracked.
    dropped: bool,
    data: Vec<u8>,
}

impl Run {
    /// Whether a fragment of `d` may follow this run directly.
    fn continues_with(&self, d: &Data<'_>) -> bool {
        !self.ends
            && !d.beginning
            && self.stream == d.stream_id
            && self.unordered == d.unordered
            && (self.unordered || self.ssn == d.ssn)
    }
}

/// A whole message out of reassembly.
#[derive(Debug)]
pub(crate) struct Whole {
    /// Too large: dropped, kept only to hold its place in the stream's order.
    pub(crate) dropped: bool,
    pub(crate) stream: u16,
    pub(crate) ssn: u16,
    pub(crate) ppid: u32,
    pub(crate) unordered: bool,
    pub(crate) data: Vec<u8>,
}

/// Runs of fragments, keyed by the TSN of their first fragment.
#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    runs: BTreeMap<u64, Run>,
    /// Payload bytes held in runs.
    bytes: usize,
}

impl Reassembly {
    /// Payload bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds a new (not duplicate) fragment with unwrapped TSN `tsn`; returns the message it
    /// completes, if any. A message that grows past `max_message` is dropped: its fragments
    /// are passed over until its last one, which returns it with `dropped` set and no data
    /// (it still takes its turn in the stream's order).
    pub(crate) fn add(&mut self, tsn: u64, d: &Data<'_>, max_message: usize) -> Option<Whole> {
        // Fast path: a message in one chunk.
        if d.beginning && d.ending {
            let dropped = d.payload.len() > max_message;
            return Some(Whole {
                dropped,
                stream: d.stream_id,
                ssn: d.ssn,
                ppid: d.ppid,
                unordered: d.unordered,
                data: if dropped {
                    Vec::new()
                } else {
                    d.payload.to_vec()
                },
            });
        }
        // Append to the run that ends at tsn - 1, or start one.
        let start = match self.runs.range_mut(..tsn).next_back() {
            Some((&start, run)) if run.last + 1 == tsn && run.continues_with(d) => {
                if !run.dropped {
                    run.data.extend_from_slice(d.payload);
                    self.bytes += d.payload.len();
                }
                run.last = tsn;
                run.ends = d.ending;
                start
            }
            _ => {
                let mut data = Vec::with_capacity(if d.ending {
                    d.payload.len()
                } else {
                    d.payload.len() * 4
                });
                data.extend_from_slice(d.payload);
                self.bytes += d.payload.len();
                self.runs.insert(
                    tsn,
                    Run {
                        last: tsn,
                        stream: d.stream_id,
                        ssn: d.ssn,
                        ppid: d.ppid,
                        unordered: d.unordered,
                        begins: d.beginning,
                        ends: d.ending,
                        dropped: false,
                        data,
                    },
                );
                tsn
            }
        };
        // Merge the run that starts right after, if it continues this message.
        let next_start = self.runs[&start].last + 1;
        if let Some(next) = self.runs.get(&next_start) {
            let run = &self.runs[&start];
            let joins = !run.ends
                && !next.begins
                && run.stream == next.stream
                && run.unordered == next.unordered
                && (run.unordered || run.ssn == next.ssn);
            if joins {
                let next = self.runs.remove(&next_start).expect("looked up above");
                let run = self.runs.get_mut(&start).expect("looked up above");
                if next.dropped {
                    run.dropped = true;
                }
                run.data.extend_from_slice(&next.data);
                run.last = next.last;
                run.ends = next.ends;
            }
        }
        let run = self.runs.get_mut(&start).expect("inserted above");
        if !run.dropped && run.data.len() > max_message {
            self.bytes -= run.data.len();
            run.data = Vec::new();
            run.dropped = true;
        }
        if run.dropped {
            self.bytes -= run.data.len();
            run.data = Vec::new();
        }
        if !(run.begins && run.ends) {
            return None;
        }
        let run = self.runs.remove(&start).expect("looked up above");
        self.bytes -= run.data.len();
        Some(Whole {
            dropped: run.dropped,
            stream: run.stream,
            ssn: run.ssn,
            ppid: run.ppid,
            unordered: run.unordered,
            data: run.data,
        })
    }

    /// FORWARD TSN (RFC 3758 §3.6): drops every run with a fragment at or below `new_cum`.
    pub(crate) fn forget_up_to(&mut self, new_cum: u64) {
        while let Some(entry) = self.runs.first_entry() {
            if *entry.key() > new_cum {
                break;
            }
            let run = entry.remove();
            self.bytes -= run.data.len();
        }
    }

    /// Drops the fragments of an ordered message on `stream` with SSN `ssn` or earlier
    /// (FORWARD TSN skipped it).
    pub(crate) fn forget_stream(&mut self, stream: u16, upto_ssn: u16) {
        let mut dropped = 0;
        self.runs.retain(|_, r| {
            let gone = !r.unordered && r.stream == stream && !crate::tsn::ssn_lt(upto_ssn, r.ssn);
            if gone {
                dropped += r.data.len();
            }
            !gone
        });
        self.bytes -= dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(b: bool, e: bool, ssn: u16, payload: &[u8]) -> Data<'_> {
        Data {
            beginning: b,
            ending: e,
            stream_id: 1,
            ssn,
            ppid: 53,
            payload,
            ..Data::default()
        }
    }

    #[test]
    fn reassembles_in_any_order() {
        let mut r = Reassembly::default();
        assert!(r.add(12, &frag(false, true, 0, b"c"), 100).is_none());
        assert!(r.add(10, &frag(true, false, 0, b"a"), 100).is_none());
        assert_eq!(r.bytes(), 2);
        let whole = r.add(11, &frag(false, false, 0, b"b"), 100).unwrap();
        assert_eq!(whole.data, b"abc");
        assert_eq!(r.bytes(), 0);
    }

    #[test]
    fn never_joins_two_messages() {
        let mut r = Reassembly::default();
        assert!(r.add(1, &frag(true, false, 0, b"a"), 100).is_none());
        // A B fragment of the next message at the next TSN does not continue the first.
        assert!(r.add(2, &frag(true, false, 1, b"x"), 100).is_none());
        assert_eq!(
            r.add(3, &frag(false, true, 1, b"y"), 100).unwrap().data,
            b"xy"
        );
        // A message past the limit is passed over to its end, then comes out dropped.
        assert!(r.add(4, &frag(true, false, 2, b"q"), 2).is_none());
        assert!(r.add(5, &frag(false, false, 2, b"qq"), 2).is_none());
        assert_eq!(r.bytes(), 1, "only the first run's byte is held");
        let dropped = r.add(6, &frag(false, true, 2, b"q"), 2).unwrap();
        assert!(dropped.dropped && dropped.data.is_empty());
        r.forget_up_to(4);
        r.forget_stream(1, 0);
        assert_eq!(r.bytes(), 0);
    }
}
