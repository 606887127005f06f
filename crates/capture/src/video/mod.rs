//! Cameras: V4L2 devices, the synthetic test pattern and Y4M files behind one
//! [`VideoCapture`], and the conversion of their pixel formats to I420.

mod capture;
mod convert;
mod synthetic;
mod v4l2;

pub use capture::VideoCapture;
pub use convert::{FrameConverter, RawFrame, to_i420};
pub use synthetic::{TEST_PATTERN_ID, synthetic_camera, y4m_camera};
pub use v4l2::enumerate_v4l2;

use crate::device::DeviceInfo;

/// Every camera (W3C `enumerateDevices()` for `videoinput`): the V4L2 ones, then the
/// synthetic test-pattern camera, which is always there.
pub fn enumerate_video() -> Vec<DeviceInfo> {
    let mut devices = enumerate_v4l2();
    devices.push(synthetic_camera());
    devices
}
