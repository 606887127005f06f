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
