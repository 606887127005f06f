//! Handshake message reassembly (RFC 6347 §4.2.3): fragments arrive out of order, duplicated
//! or overlapping; complete messages are released strictly in `message_seq` order.
//!
//! Bounded: a message longer than `max_message` is refused, and the bytes held for partial
//! messages never exceed `max_total`; only messages within [`MAX_AHEAD`] of the next expected
//! sequence number are kept.

use crate::wire::handshake::{Fragment, HandshakeType};

/// How far ahead of the next expected message we buffer (a flight has at most 5 messages).
pub const MAX_AHEAD: u16 = 8;

/// A complete handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its type.
    pub msg_type: HandshakeType,
    /// Its `message_seq`.
    pub seq: u16,
    /// The epoch its fragments arrived in.
    pub epoch: u16,
    /// The highest record sequence number that carried a fragment of it.
    pub record_seq: u64,
    /// The body.
    pub body: Vec<u8>,
}

/// What happened to a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Kept (or already had): part of a message not yet released.
    Buffered,
    /// Of a message already released: the peer retransmitted (RFC 6347 §4.2.4).
    Old {
        /// Its `message_seq`.
        seq: u16,
    },
    /// Dropped: too far ahead, inconsistent with earlier fragments, or over a limit.
    Dropped(DropReason),
}

/// Why a fragment was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// More than [`MAX_AHEAD`] messages ahead.
    TooFarAhead,
    /// Type, length or epoch differ from the message's first fragment.
    Inconsistent,
    /// The message is longer than the per-message limit.
    MessageTooLarge,
    /// The bytes held for partial messages would exceed the total limit.
    TotalLimit,
}

#[derive(Debug)]
struct Partial {
    seq: u16,
    msg_type: HandshakeType,
    epoch: u16,
    record_seq: u64,
    body: Vec<u8>,
    /// Received byte ranges, sorted and disjoint.
    ranges: Vec<(usize, usize)>,
}

impl Partial {
    fn complete(&self) -> bool {
        self.body.is_empty() || self.ranges == [(0, self.body.len())]
    }

    fn add(&mut self, start: usize, data: &[u8]) {
        let end = start + data.len();
        self.body[start..end].copy_from_slice(data);
        if start == end {
            return;
        }
        // Merge [start, end) into the sorted disjoint ranges.
        let mut merged = (start, end);
        self.ranges.retain(|&(s, e)| {
            if e < merged.0 || s > merged.1 {
                true
            } else {
                merged = (merged.0.min(s), merged.1.max(e));
                false
            }
        });
        let at = self.ranges.partition_point(|&(s, _)| s < merged.0);
        self.ranges.insert(at, merged);
    }
}

/// The reassembly buffer of one handshake.
#[derive(Debug)]
pub struct Reassembler {
    next_seq: u16,
    partials: Vec<Partial>,
    max_message: usize,
    max_total: usize,
}

impl Reassembler {
    /// A buffer expecting `message_seq` 0, with the given limits in bytes.
    pub fn new(max_message: usize, max_total: usize) -> Self {
        Self {
            next_seq: 0,
            partials: Vec::new(),
            max_message,
            max_total,
        }
    }

    /// The next `message_seq` to be released.
    pub fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// Forgets everything and expects `next_seq` (a server between cookie exchanges).
    pub fn reset(&mut self, next_seq: u16) {
        self.next_seq = next_seq;
        self.partials.clear();
    }

    /// Bytes held for partial messages.
    pub fn buffered(&self) -> usize {
        self.partials.iter().map(|p| p.body.len()).sum()
    }

    /// Adds a fragment received in `epoch`, in the record numbered `record_seq`.
    pub fn insert(&mut self, epoch: u16, record_seq: u64, f: &Fragment<'_>) -> Inserted {
        if f.message_seq < self.next_seq {
            return Inserted::Old { seq: f.message_seq };
        }
        if f.message_seq - self.next_seq >= MAX_AHEAD {
            return Inserted::Dropped(DropReason::TooFarAhead);
        }
        let length = f.length as usize;
        if length > self.max_message {
            return Inserted::Dropped(DropReason::MessageTooLarge);
        }
        let idx = match self.partials.iter().position(|p| p.seq == f.message_seq) {
            Some(i) => {
                let p = &self.partials[i];
                if p.msg_type != f.msg_type || p.body.len() != length || p.epoch != epoch {
                    return Inserted::Dropped(DropReason::Inconsistent);
                }
                i
            }
            None => {
                if self.buffered() + length > self.max_total {
                    return Inserted::Dropped(DropReason::TotalLimit);
                }
                self.partials.push(Partial {
                    seq: f.message_seq,
                    msg_type: f.msg_type,
                    epoch,
                    record_seq,
                    body: vec![0; length],
                    ranges: Vec::new(),
                });
                self.partials.len() - 1
            }
        };
        // Fragment::parse checked offset + len <= length.
        let p = &mut self.partials[idx];
        p.record_seq = p.record_seq.max(record_seq);
        p.add(f.offset as usize, f.body);
        Inserted::Buffered
    }

    /// Releases the next message if it is complete.
    pub fn pop(&mut self) -> Option<Message> {
        let i = self
            .partials
            .iter()
            .position(|p| p.seq == self.next_seq && p.complete())?;
        let p = self.partials.swap_remove(i);
        self.next_seq = self.next_seq.wrapping_add(1);
        Some(Message {
            msg_type: p.msg_type,
            seq: p.seq,
            epoch: p.epoch,
            record_seq: p.record_seq,
            body: p.body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frag(seq: u16, len: u32, offset: u32, body: &[u8]) -> Fragment<'_> {
        Fragment {
            msg_type: HandshakeType::CERTIFICATE,
            length: len,
            message_seq: seq,
            offset,
            body,
        }
    }

    #[test]
    fn out_of_order_duplicated_overlapping() {
        let msg: Vec<u8> = (0..100).collect();
        let mut r = Reassembler::new(1000, 2000);
        assert_eq!(
            r.insert(0, 0, &frag(0, 100, 60, &msg[60..])),
            Inserted::Buffered
        );
        assert_eq!(r.pop(), None);
        assert_eq!(
            r.insert(0, 0, &frag(0, 100, 10, &msg[10..70])),
            Inserted::Buffered
        );
        assert_eq!(
            r.insert(0, 0, &frag(0, 100, 10, &msg[10..70])),
            Inserted::Buffered
        );
        assert_eq!(r.pop(), None);
        assert_eq!(
            r.insert(0, 0, &frag(0, 100, 0, &msg[..15])),
            Inserted::Buffered
        );
        let m = r.pop().unwrap();
        assert_eq!(m.body, msg);
        assert_eq!(r.next_seq(), 1);
        assert_eq!(
            r.insert(0, 0, &frag(0, 100, 0, &msg)),
            Inserted::Old { seq: 0 }
        );
    }

    #[test]
    fn releases_in_sequence_order() {
        let mut r = Reassembler::new(1000, 2000);
        r.insert(0, 0, &frag(1, 2, 0, &[1, 1]));
        assert_eq!(r.pop(), None, "message 0 first");
        r.insert(0, 0, &frag(0, 0, 0, &[]));
        assert_eq!(r.pop().unwrap().seq, 0);
        assert_eq!(r.pop().unwrap().seq, 1);
        assert_eq!(r.pop(), None);
    }

    #[test]
    fn limits_hold() {
        let mut r = Reassembler::new(100, 150);
        assert_eq!(
            r.insert(0, 0, &frag(0, 101, 0, &[])),
            Inserted::Dropped(DropReason::MessageTooLarge)
        );
        assert_eq!(r.insert(0, 0, &frag(0, 100, 0, &[0])), Inserted::Buffered);
        assert_eq!(
            r.insert(0, 0, &frag(1, 100, 0, &[0])),
            Inserted::Dropped(DropReason::TotalLimit)
        );
        assert_eq!(
            r.insert(0, 0, &frag(MAX_AHEAD, 1, 0, &[0])),
            Inserted::Dropped(DropReason::TooFarAhead)
        );
        assert_eq!(
            r.insert(0, 0, &frag(0, 99, 0, &[0])),
            Inserted::Dropped(DropReason::Inconsistent)
        );
        assert_eq!(
            r.insert(1, 0, &frag(0, 100, 0, &[0])),
            Inserted::Dropped(DropReason::Inconsistent)
        );
        assert_eq!(r.buffered(), 100);
        r.reset(3);
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.next_seq(), 3);
    }

    proptest! {
        /// Any split into fragments, shuffled and partly duplicated, reassembles exactly.
        #[test]
        fn any_fragmentation_reassembles(
            len in 0usize..600,
            cuts in proptest::collection::vec(0usize..600, 0..10),
            order in proptest::collection::vec(any::<usize>(), 0..30),
        ) {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut points: Vec<usize> = cuts.into_iter().filter(|&c| c < len).collect();
            points.push(0);
            points.push(len);
            points.sort_unstable();
            points.dedup();
            let pieces: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            let mut sequence: Vec<(usize, usize)> = pieces.clone();
            for o in &order {
                if !pieces.is_empty() {
                    sequence.push(pieces[o % pieces.len()]);
                }
                let n = sequence.len();
                if n > 0 {
                    sequence.swap(o % n, (o / 7) % n);
                }
            }
            let mut r = Reassembler::new(1000, 1000);
            if len == 0 {
                r.insert(0, 0, &frag(0, 0, 0, &[]));
            }
            for (s, e) in sequence {
                r.insert(0, 0, &frag(0, len as u32, s as u32, &msg[s..e]));
            }
            let m = r.pop().unwrap();
            prop_assert_eq!(m.body, msg);
        }
    }
}
