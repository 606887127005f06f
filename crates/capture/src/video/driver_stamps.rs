//! What a V4L2 driver writes on a filled buffer about its frame, made into the stream's
//! terms: when the frame was captured, on the clock of [`Instant`], and how many frames the
//! driver counted since the one before (more than one: it dropped frames).

use std::time::{Duration, Instant};

/// A driver timestamp older than this when its buffer is dequeued is not believed (a
/// driver that stamps garbage, or a clock we do not know): the dequeue time is used.
pub(crate) const MAX_STAMP_AGE: Duration = Duration::from_secs(1);
/// Most frames one sequence gap may stand for; a larger jump is a driver restarting its
/// counter, not a loss of that many frames.
pub(crate) const MAX_SEQUENCE_GAP: u32 = 1000;

/// The clock of [`Instant`] and the kernel's monotonic clock read at one moment. On Linux,
/// [`Instant`] is `CLOCK_MONOTONIC`, the clock of V4L2's monotonic timestamps, so one pair
/// places every driver timestamp on the [`Instant`] line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClockPair {
    /// [`Instant`] now.
    pub(crate) instant: Instant,
    /// `CLOCK_MONOTONIC` now, as time since its origin.
    pub(crate) monotonic: Duration,
}

impl ClockPair {
    /// When a frame stamped `stamp` (on `CLOCK_MONOTONIC`) was captured, if the stamp is
    /// believable: not in the future and at most [`MAX_STAMP_AGE`] old.
    pub(crate) fn capture_time(&self, stamp: Duration) -> Option<Instant> {
        let age = self.monotonic.checked_sub(stamp)?;
        if age > MAX_STAMP_AGE {
            return None;
        }
        self.instant.checked_sub(age)
    }
}

/// How many frames the driver's counter moved from `last` to `now` (V4L2's `sequence`,
/// which wraps at 2^32): at least 1 (some drivers leave it at 0), and 1 for a jump over
/// [`MAX_SEQUENCE_GAP`].
pub(crate) fn sequence_step(last: Option<u32>, now: u32) -> u64 {
    match last.map(|last| now.wrapping_sub(last)) {
        Some(step) if (1..=MAX_SEQUENCE_GAP).contains(&step) => u64::from(step),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> ClockPair {
        ClockPair {
            instant: crate::clock::now() + Duration::from_secs(10),
            monotonic: Duration::from_secs(5000),
        }
    }

    #[test]
    fn a_driver_stamp_is_placed_on_the_instant_line() {
        let clocks = pair();
        // Stamped 23 ms before the buffer was dequeued.
        let stamp = clocks.monotonic - Duration::from_millis(23);
        assert_eq!(
            clocks.capture_time(stamp),
            Some(clocks.instant - Duration::from_millis(23))
        );
        assert_eq!(clocks.capture_time(clocks.monotonic), Some(clocks.instant));
    }

    #[test]
    fn stamps_from_the_future_or_long_ago_are_not_believed() {
        let clocks = pair();
        assert_eq!(
            clocks.capture_time(clocks.monotonic + Duration::from_millis(1)),
            None
        );
        assert_eq!(
            clocks.capture_time(clocks.monotonic - MAX_STAMP_AGE - Duration::from_millis(1)),
            None
        );
        // A zeroed timestamp (a driver that stamps nothing) is hours old here.
        assert_eq!(clocks.capture_time(Duration::ZERO), None);
    }

    /// The mapping holds only if [`Instant`] runs on `CLOCK_MONOTONIC`: a stamp taken on
    /// the kernel's clock lands where [`Instant`] was at that moment.
    #[test]
    fn instant_runs_on_the_clock_v4l2_stamps_with() {
        let first = crate::clock::now_with_monotonic();
        std::thread::sleep(Duration::from_millis(20));
        let later = crate::clock::now_with_monotonic();
        let mapped = later.capture_time(first.monotonic).expect("20 ms old");
        let error = if mapped > first.instant {
            mapped - first.instant
        } else {
            first.instant - mapped
        };
        assert!(error < Duration::from_millis(1), "{error:?}");
    }

    #[test]
    fn the_sequence_counts_the_frames_the_driver_dropped() {
        assert_eq!(sequence_step(None, 17), 1);
        assert_eq!(sequence_step(Some(17), 18), 1);
        assert_eq!(sequence_step(Some(17), 20), 3);
        // Across the wrap of the 32-bit counter.
        assert_eq!(sequence_step(Some(u32::MAX), 1), 2);
        // A counter that stays at 0, goes back, or restarts far away counts one frame.
        assert_eq!(sequence_step(Some(0), 0), 1);
        assert_eq!(sequence_step(Some(50), 40), 1);
        assert_eq!(sequence_step(Some(5), 5 + MAX_SEQUENCE_GAP + 1), 1);
    }
}
