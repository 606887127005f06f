//! The one place this crate reads the clock.
//!
//! Devices are I/O, not protocol: a frame's capture time is read when the device hands the
//! frame over, and blocking waits need a deadline. Everything else takes time as an argument.

use std::time::Instant;

/// Now, for capture timestamps and wait deadlines.
#[allow(clippy::disallowed_methods)] // device I/O runs beside the sans-IO core (see above)
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// [`Instant`] now, and `CLOCK_MONOTONIC` now, read back to back: the pair that maps a V4L2
/// driver's monotonic buffer timestamps onto [`Instant`].
pub(crate) fn now_with_monotonic() -> crate::video::driver_stamps::ClockPair {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let monotonic = std::time::Duration::new(t.tv_sec.max(0) as u64, t.tv_nsec as u32);
    crate::video::driver_stamps::ClockPair {
        instant: now(),
        monotonic,
    }
}
