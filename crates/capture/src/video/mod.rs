//! Cameras: V4L2 devices, the synthetic test pattern and Y4M files behind one
//! [`VideoCapture`], and the conversion of their pixel formats to I420.

mod capture;
mod convert;
pub(crate) mod driver_stamps;
mod synthetic;
mod v4l2;
mod v4l2_stream;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Backend, Capabilities, DeviceKind};

    #[test]
    fn enumeration_lists_the_v4l2_cameras_then_the_synthetic_one() {
        let devices = enumerate_video();
        let (last, v4l2) = devices.split_last().expect("the synthetic camera at least");
        assert_eq!(last.id.as_str(), TEST_PATTERN_ID);
        for d in v4l2 {
            assert_eq!((d.backend, d.kind), (Backend::V4l2, DeviceKind::VideoInput));
            assert!(d.id.as_str().starts_with("v4l2:"), "{}", d.id);
            assert!(matches!(d.capabilities, Capabilities::Video(_)));
        }
        println!("{} V4L2 camera(s) here", v4l2.len());
    }
}
