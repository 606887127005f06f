//! Bitrates: bits per second, with the conversions to bytes and durations that pacing and
//! estimation need.

use std::fmt;
use std::time::Duration;

/// A rate in bits per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bitrate(u64);

impl Bitrate {
    /// No bits at all.
    pub const ZERO: Self = Self(0);

    /// `bps` bits per second.
    pub const fn from_bps(bps: u64) -> Self {
        Self(bps)
    }

    /// `kbps` kilobits (1000 bits) per second.
    pub const fn from_kbps(kbps: u64) -> Self {
        Self(kbps.saturating_mul(1000))
    }

    /// `mbps` megabits (10⁶ bits) per second.
    pub const fn from_mbps(mbps: u64) -> Self {
        Self(mbps.saturating_mul(1_000_000))
    }

    /// `bytes` sent over `over`; zero for an empty interval.
    pub fn from_bytes(bytes: u64, over: Duration) -> Self {
        let nanos = over.as_nanos();
        if nanos == 0 {
            return Self::ZERO;
        }
        let bps = u128::from(bytes) * 8 * 1_000_000_000 / nanos;
        Self(u64::try_from(bps).unwrap_or(u64::MAX))
    }

    /// Bits per second.
    pub const fn bps(self) -> u64 {
        self.0
    }

    /// Bits per second as a float, for filters.
    pub fn as_f64(self) -> f64 {
        self.0 as f64
    }

    /// From a float (negative and NaN become zero).
    pub fn from_f64(bps: f64) -> Self {
        if bps.is_nan() || bps <= 0.0 {
            Self::ZERO
        } else if bps >= u64::MAX as f64 {
            Self(u64::MAX)
        } else {
            Self(bps as u64)
        }
    }

    /// The rate scaled by `factor` (negative and NaN give zero).
    pub fn scale(self, factor: f64) -> Self {
        Self::from_f64(self.as_f64() * factor)
    }

    /// Bytes this rate carries in `over` (rounded down).
    pub fn bytes_in(self, over: Duration) -> u64 {
        let bytes = u128::from(self.0) * over.as_nanos() / 8 / 1_000_000_000;
        u64::try_from(bytes).unwrap_or(u64::MAX)
    }

    /// How long `bytes` take at this rate; `None` at zero.
    pub fn time_for(self, bytes: u64) -> Option<Duration> {
        if self.0 == 0 {
            return None;
        }
        let nanos = u128::from(bytes) * 8 * 1_000_000_000 / u128::from(self.0);
        Some(Duration::from_nanos(
            u64::try_from(nanos).unwrap_or(u64::MAX),
        ))
    }

    /// Sum, saturating.
    pub const fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// Difference, zero when `other` is larger.
    pub const fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    /// Kept within `min..=max` (`max` wins when `min > max`).
    pub fn clamp_to(self, min: Self, max: Self) -> Self {
        self.max(min).min(max)
    }
}

impl fmt::Display for Bitrate {
    /// `850 kbit/s`, `2.40 Mbit/s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1_000_000 {
            write!(f, "{:.2} Mbit/s", self.0 as f64 / 1e6)
        } else {
            write!(f, "{} kbit/s", self.0 / 1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        let r = Bitrate::from_kbps(800);
        assert_eq!(r.bytes_in(Duration::from_millis(10)), 1000);
        assert_eq!(r.time_for(1000), Some(Duration::from_millis(10)));
        assert_eq!(
            Bitrate::from_bytes(1000, Duration::from_millis(10)),
            Bitrate::from_kbps(800)
        );
        assert_eq!(Bitrate::ZERO.time_for(1), None);
        assert_eq!(Bitrate::from_bytes(5, Duration::ZERO), Bitrate::ZERO);
        assert_eq!(Bitrate::from_f64(f64::NAN), Bitrate::ZERO);
        assert_eq!(Bitrate::from_mbps(2).scale(0.5), Bitrate::from_mbps(1));
        assert_eq!(Bitrate::from_mbps(3).to_string(), "3.00 Mbit/s");
        assert_eq!(Bitrate::from_kbps(850).to_string(), "850 kbit/s");
        assert_eq!(
            Bitrate::from_kbps(5).clamp_to(Bitrate::from_kbps(30), Bitrate::from_kbps(40)),
            Bitrate::from_kbps(30)
        );
    }
}
