//! Congestion control (RFC 9260 §7.2): slow start, congestion avoidance, fast recovery, and
//! the peer's receive window.

/// cwnd, ssthresh and the peer's window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Congestion {
    pub(crate) cwnd: usize,
    pub(crate) ssthresh: usize,
    partial_bytes_acked: usize,
    /// Fast recovery lasts until the cumulative ack reaches this TSN (§7.2.4 step 5).
    fast_recovery_exit: Option<u64>,
    /// The peer's a_rwnd as last advertised.
    pub(crate) peer_rwnd: usize,
    mtu: usize,
}

impl Congestion {
    /// §7.2.1: initial cwnd min(4*MTU, max(2*MTU, 4404)); ssthresh the peer's a_rwnd.
    pub(crate) fn new(mtu: usize, peer_rwnd: usize) -> Self {
        Self {
            cwnd: (4 * mtu).min((2 * mtu).max(4404)),
            ssthresh: peer_rwnd,
            partial_bytes_acked: 0,
            fast_recovery_exit: None,
            peer_rwnd,
            mtu,
        }
    }

    pub(crate) fn in_fast_recovery(&self) -> bool {
        self.fast_recovery_exit.is_some()
    }

    /// After a SACK: `flight_before` is the flight size before it was processed.
    pub(crate) fn on_ack(
        &mut self,
        cum_ack: u64,
        cum_advanced: bool,
        bytes_acked: usize,
        flight_before: usize,
    ) {
        if let Some(exit) = self.fast_recovery_exit
            && cum_ack >= exit
        {
            self.fast_recovery_exit = None;
        }
        // §7.2.1/§7.2.2: cwnd grows only when the cumulative ack advances, not in fast
        // recovery, and only when the window was in use.
        if !cum_advanced || self.in_fast_recovery() || bytes_acked == 0 {
            return;
        }
        let fully_used = flight_before + self.mtu >= self.cwnd;
        if self.cwnd <= self.ssthresh {
            // Slow start: at most one MTU per SACK (§7.2.1).
            if fully_used {
                self.cwnd += bytes_acked.min(self.mtu);
            }
        } else {
            // Congestion avoidance (§7.2.2).
            self.partial_bytes_acked += bytes_acked;
            if self.partial_bytes_acked >= self.cwnd && fully_used {
                self.partial_bytes_acked -= self.cwnd;
                self.cwnd += self.mtu;
            }
        }
    }

    /// Chunks were marked for fast retransmit (§7.2.4 step 4): unless already in fast
    /// recovery, halve cwnd and recover until `highest_outstanding` is acked.
    pub(crate) fn on_fast_retransmit(&mut self, highest_outstanding: u64) {
        if self.in_fast_recovery() {
            return;
        }
        self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
        self.cwnd = self.ssthresh;
        self.partial_bytes_acked = 0;
        self.fast_recovery_exit = Some(highest_outstanding);
    }

    /// T3-rtx expired (§7.2.3): back to one MTU.
    pub(crate) fn on_timeout(&mut self) {
        self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
        self.cwnd = self.mtu;
        self.partial_bytes_acked = 0;
        self.fast_recovery_exit = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_then_halving() {
        let mut c = Congestion::new(1200, 1 << 20);
        assert_eq!(c.cwnd, 4404);
        c.on_ack(1, true, 2400, 4404);
        assert_eq!(c.cwnd, 5604, "one MTU per SACK in slow start");
        c.on_ack(2, true, 2400, 100);
        assert_eq!(c.cwnd, 5604, "no growth when the window was not in use");
        c.on_fast_retransmit(10);
        assert_eq!(c.cwnd, 4800, "halved, at least 4 MTU");
        c.on_ack(5, true, 1200, 4800);
        assert_eq!(c.cwnd, 4800, "no growth in fast recovery");
        c.on_ack(10, true, 1200, 4800);
        assert!(!c.in_fast_recovery());
        c.on_timeout();
        assert_eq!(c.cwnd, 1200);
    }
}
