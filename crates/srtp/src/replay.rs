//! Replay protection (RFC 3711 §3.3.2): a sliding window of received packet indices.
//!
//! The window is a ring of bits: index `i` lives at bit `i mod size`. Moving the highest index
//! forward clears the bits it passes; nothing is shifted. Checking is read-only, so a packet
//! that then fails authentication leaves the window as it was.

use crate::error::Error;

/// A replay window over 48-bit SRTP or 31-bit SRTCP indices.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    /// The highest index accepted so far; meaningless until `started`.
    highest: u64,
    started: bool,
    /// `size` bits; `size` is a power of two, at least 64.
    bits: Box<[u64]>,
}

impl ReplayWindow {
    /// Rounds a configured window size to what is used: a power of two, at least 64.
    pub(crate) fn effective_size(requested: usize) -> usize {
        requested.max(64).next_power_of_two()
    }

    /// A window of `size` packets (already rounded by [`Self::effective_size`]).
    pub(crate) fn new(size: usize) -> Self {
        Self {
            highest: 0,
            started: false,
            bits: vec![0; size / 64].into_boxed_slice(),
        }
    }

    fn size(&self) -> u64 {
        self.bits.len() as u64 * 64
    }

    /// The highest index accepted so far, if any.
    pub(crate) fn highest(&self) -> Option<u64> {
        self.started.then_some(self.highest)
    }

    /// Whether `index` may be accepted, without changing anything.
    pub(crate) fn check(&self, index: u64) -> Result<(), Error> {
        if !self.started || index > self.highest {
            return Ok(());
        }
        let behind = self.highest - index;
        if behind >= self.size() {
            return Err(Error::TooOld { index });
        }
        if self.bit(index) {
            return Err(Error::Replayed { index });
        }
        Ok(())
    }

    fn bit(&self, index: u64) -> bool {
        let pos = index & (self.size() - 1);
        self.bits[(pos / 64) as usize] & (1 << (pos % 64)) != 0
    }

    fn set(&mut self, index: u64, on: bool) {
        let pos = index & (self.size() - 1);
        let word = &mut self.bits[(pos / 64) as usize];
        if on {
            *word |= 1 << (pos % 64);
        } else {
            *word &= !(1 << (pos % 64));
        }
    }

    /// Records `index` as received. Call only after [`Self::check`] and authentication passed.
    pub(crate) fn accept(&mut self, index: u64) {
        if !self.started {
            self.started = true;
            self.highest = index;
        } else if index > self.highest {
            let ahead = index - self.highest;
            if ahead >= self.size() {
                self.bits.fill(0);
            } else {
                // Clear the slots of the indices skipped over; they were never received.
                for skipped in self.highest + 1..index {
                    self.set(skipped, false);
                }
            }
            self.highest = index;
        }
        self.set(index, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up() {
        assert_eq!(ReplayWindow::effective_size(0), 64);
        assert_eq!(ReplayWindow::effective_size(64), 64);
        assert_eq!(ReplayWindow::effective_size(1000), 1024);
        assert_eq!(ReplayWindow::effective_size(1024), 1024);
    }

    #[test]
    fn accepts_in_order_rejects_duplicates() {
        let mut w = ReplayWindow::new(64);
        for i in 100..300 {
            w.check(i).unwrap();
            w.accept(i);
            assert_eq!(w.check(i), Err(Error::Replayed { index: i }));
        }
        assert_eq!(w.highest(), Some(299));
    }

    #[test]
    fn reordering_within_window_and_too_old() {
        let mut w = ReplayWindow::new(64);
        w.accept(1000);
        w.check(990).unwrap();
        w.accept(990);
        assert_eq!(w.check(990), Err(Error::Replayed { index: 990 }));
        w.check(999).unwrap();
        assert_eq!(w.check(1000 - 64), Err(Error::TooOld { index: 936 }));
        w.check(1000 - 63).unwrap();
        // Jumping ahead clears the slots that wrap around.
        w.accept(1000 + 64 + 990 % 64);
        w.check(1000 + 64 + 989 % 64).unwrap();
    }

    #[test]
    fn large_window_for_video() {
        let mut w = ReplayWindow::new(ReplayWindow::effective_size(1024));
        w.accept(5000);
        w.check(5000 - 1023).unwrap();
        w.accept(5000 - 1023);
        assert_eq!(
            w.check(5000 - 1023),
            Err(Error::Replayed { index: 5000 - 1023 })
        );
        assert_eq!(
            w.check(5000 - 1024),
            Err(Error::TooOld { index: 5000 - 1024 })
        );
        // A jump of more than the window forgets everything.
        w.accept(10_000);
        w.check(10_000 - 1).unwrap();
    }
}
