//! # rtcweb-capture: devices in and out
//!
//! The first and last steps of a call: find the microphones, speakers and cameras
//! ([`DeviceInfo`], W3C `enumerateDevices` style, with each device's capabilities), open one
//! with constraints, and get 10 ms audio frames or I420 video frames with their capture
//! times; play the far end's audio out.
//!
//! Device I/O runs beside the protocol core, never inside it: a capture stream delivers its
//! frames through a bounded queue ([`FrameQueue`]) that the application (or `rtcweb-peer`'s
//! driver) drains; a full queue drops the oldest frame and counts it, so a slow consumer
//! never grows memory.
#![forbid(unsafe_code)]

mod audio;
mod clock;
mod constraints;
mod device;
mod error;
mod frame;
mod stream;
mod video;
mod watch;

pub use audio::{AudioCapture, AudioPlayout, NativeFormat, PlayoutStats, enumerate_audio};
pub use constraints::{
    AudioConstraints, ConstrainDeviceId, ConstrainDouble, ConstrainULong, VideoConstraints,
    select_audio, select_video,
};
pub use device::{
    AudioCapabilities, AudioMode, Backend, Capabilities, DeviceId, DeviceInfo, DeviceKind,
    FrameRate, PixelFormat, VideoCapabilities, VideoMode,
};
pub use error::CaptureError;
pub use frame::{AudioFrame, AudioSettings, StreamLatency, VideoFrame, VideoSettings};
pub use stream::{FrameQueue, FrameSender, QueueStats, StreamEvent};
pub use video::{
    FrameConverter, RawFrame, TEST_PATTERN_ID, VideoCapture, enumerate_v4l2, enumerate_video,
    synthetic_camera, to_i420, y4m_camera,
};
pub use watch::{DeviceChange, DeviceWatcher, diff};
