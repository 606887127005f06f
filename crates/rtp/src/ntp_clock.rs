//! NTP wall-clock time for sender reports (RFC 3550 §4: 64-bit fixed point, seconds since
//! 1900 in the high 32 bits), behind a small trait so nothing here reads a clock.

use std::time::{Duration, Instant};

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Wall-clock time in NTP format for a monotonic instant.
pub trait NtpClock {
    /// The NTP time at `now`.
    fn ntp_time(&self, now: Instant) -> u64;
}

/// Converts a duration into NTP fixed point (32.32).
pub fn duration_to_ntp(d: Duration) -> u64 {
    let fraction = (u128::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (d.as_secs() << 32) | fraction as u64
}

/// Converts an NTP fixed-point span into a duration.
pub fn ntp_to_duration(ntp: u64) -> Duration {
    let secs = ntp >> 32;
    let nanos = ((ntp & 0xffff_ffff) as u128 * 1_000_000_000) >> 32;
    Duration::new(secs, nanos as u32)
}

/// An [`NtpClock`] anchored once: the owner reads the wall clock at one instant (e.g.
/// `SystemTime::now()` since the Unix epoch) and time moves on with the monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchoredNtpClock {
    anchor: Instant,
    anchor_ntp: u64,
}

impl AnchoredNtpClock {
    /// A clock that reads `since_unix_epoch` of wall time at `anchor`.
    pub fn new(anchor: Instant, since_unix_epoch: Duration) -> Self {
        Self {
            anchor,
            anchor_ntp: duration_to_ntp(since_unix_epoch + Duration::from_secs(NTP_UNIX_OFFSET)),
        }
    }
}

impl NtpClock for AnchoredNtpClock {
    fn ntp_time(&self, now: Instant) -> u64 {
        if now >= self.anchor {
            self.anchor_ntp
                .wrapping_add(duration_to_ntp(now.duration_since(self.anchor)))
        } else {
            self.anchor_ntp
                .wrapping_sub(duration_to_ntp(self.anchor.duration_since(now)))
        }
    }
}
