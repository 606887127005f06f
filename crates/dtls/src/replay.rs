//! Anti-replay (RFC 6347 §4.1.2.6): a sliding window of received sequence numbers per epoch.
//!
//! Checking is read-only; the window moves only after a record authenticated, so a forged
//! record cannot shift it.

/// Records the window covers behind the highest one received.
pub(crate) const WINDOW: u64 = 128;

/// A 128-record replay window over 48-bit sequence numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplayWindow {
    /// The highest sequence number accepted, if any.
    highest: Option<u64>,
    /// Bit `i` set: `highest - i` was received.
    bits: u128,
}

/// Why a sequence number is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Received before.
    Duplicate,
    /// Older than the window reaches.
    TooOld,
}

impl ReplayWindow {
    /// Whether `seq` may be accepted, without changing the window.
    pub(crate) fn check(&self, seq: u64) -> Result<(), Replay> {
        let Some(h) = self.highest else { return Ok(()) };
        if seq > h {
            return Ok(());
        }
        let behind = h - seq;
        if behind >= WINDOW {
            return Err(Replay::TooOld);
        }
        if self.bits & (1 << behind) != 0 {
            return Err(Replay::Duplicate);
        }
        Ok(())
    }

    /// Marks `seq` received (after [`Self::check`] and authentication).
    pub(crate) fn accept(&mut self, seq: u64) {
        match self.highest {
            None => {
                self.highest = Some(seq);
                self.bits = 1;
            }
            Some(h) if seq > h => {
                let shift = seq - h;
                self.bits = if shift >= WINDOW {
                    0
                } else {
                    self.bits << shift
                };
                self.bits |= 1;
                self.highest = Some(seq);
            }
            Some(h) => {
                let behind = h - seq;
                if behind < WINDOW {
                    self.bits |= 1 << behind;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn in_order_out_of_order_and_old() {
        let mut w = ReplayWindow::default();
        w.check(5).unwrap();
        w.accept(5);
        assert_eq!(w.check(5), Err(Replay::Duplicate));
        w.check(3).unwrap();
        w.accept(3);
        assert_eq!(w.check(3), Err(Replay::Duplicate));
        w.accept(300);
        assert_eq!(w.check(300 - WINDOW), Err(Replay::TooOld));
        w.check(300 - WINDOW + 1).unwrap();
        assert_eq!(w.check(5), Err(Replay::TooOld));
    }

    proptest! {
        /// Whatever the order, a sequence number is accepted once, and never when too old.
        #[test]
        fn accepts_each_number_at_most_once(seqs in proptest::collection::vec(0u64..400, 1..200)) {
            let mut w = ReplayWindow::default();
            let mut accepted = std::collections::HashSet::new();
            let mut highest = 0;
            for s in seqs {
                if w.check(s).is_ok() {
                    prop_assert!(accepted.insert(s), "accepted {} twice", s);
                    prop_assert!(s + WINDOW > highest);
                    w.accept(s);
                    highest = highest.max(s);
                }
            }
        }
    }
}
