//! The retransmission timeout estimator (RFC 9260 §6.3.1).

use std::time::Duration;

/// SRTT, RTTVAR and RTO.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rto {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    min: Duration,
    max: Duration,
}

impl Rto {
    pub(crate) fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        Self {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: initial.clamp(min, max),
            min,
            max,
        }
    }

    /// The current RTO.
    pub(crate) fn rto(&self) -> Duration {
        self.rto
    }

    /// The smoothed round-trip time, once measured.
    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// A new measurement R (§6.3.1 C2-C3, RTO.Alpha 1/8, RTO.Beta 1/4).
    pub(crate) fn measure(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let delta = srtt.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + delta / 4;
                self.srtt = Some(srtt * 7 / 8 + r / 8);
            }
        }
        // §6.3.1 C3/G1: RTO = SRTT + 4 * RTTVAR, within RTO.Min and RTO.Max.
        let srtt = self.srtt.unwrap_or(r);
        self.rto = (srtt + self.rttvar * 4).clamp(self.min, self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_rfc_9260_formulas() {
        let ms = Duration::from_millis;
        let mut rto = Rto::new(ms(1000), ms(100), ms(60_000));
        assert_eq!(rto.rto(), ms(1000));
        rto.measure(ms(200));
        // SRTT 200, RTTVAR 100: RTO 600.
        assert_eq!(rto.rto(), ms(600));
        rto.measure(ms(200));
        // RTTVAR 75, SRTT 200: RTO 500.
        assert_eq!(rto.rto(), ms(500));
        for _ in 0..50 {
            rto.measure(ms(1));
        }
        assert_eq!(rto.rto(), ms(100), "clamped to RTO.Min");
    }
}
