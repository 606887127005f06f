//! What can go wrong with a device.

use crate::device::DeviceId;

/// Why a device could not be listed, opened or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// No device has this id (it was never there, or it was unplugged).
    #[error("no device {0}")]
    NotFound(DeviceId),
    /// No mode of any matching device satisfies this constraint (W3C
    /// `OverconstrainedError`, whose `constraint` names it).
    #[error("overconstrained: no device satisfies the {constraint} constraint")]
    Overconstrained {
        /// The constraint's W3C name (`width`, `sampleRate`, `deviceId`, ...).
        constraint: &'static str,
    },
    /// The device exists but another program holds it.
    #[error("device {0} is busy")]
    Busy(DeviceId),
    /// The device went away while it was open.
    #[error("device {0} was disconnected")]
    Disconnected(DeviceId),
    /// The device delivered something that is not what it announced (a short or corrupt
    /// frame, a format the driver lied about).
    #[error("bad frame from the device: {0}")]
    BadFrame(String),
    /// The backend (ALSA, PulseAudio, V4L2, a file) reported an error.
    #[error("{backend} error: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// Its message.
        message: String,
    },
}
