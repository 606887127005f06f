//! An open camera: the thread that reads it and the queue its frames come out of, the same
//! for every backend.

use std::thread::JoinHandle;
use std::time::Duration;

use crate::device::{Backend, Capabilities, DeviceInfo};
use crate::error::CaptureError;
use crate::frame::{VideoFrame, VideoSettings};
use crate::stream::{FrameQueue, FrameSender, QueueStats, StreamEvent};

/// Frames waiting in a camera's queue before the oldest is dropped: a consumer more than
/// four frames behind wants the newest picture, not a backlog.
pub(crate) const QUEUE_FRAMES: usize = 4;

/// What a backend's `open` hands back: the running thread, its queue and the settings the
/// device actually runs with.
pub(crate) struct Started {
    pub(crate) queue: FrameQueue<VideoFrame>,
    pub(crate) thread: JoinHandle<()>,
    pub(crate) settings: VideoSettings,
}

/// An open camera (V4L2, the synthetic test pattern or a Y4M file): a thread reads it,
/// converts each picture to I420 and pushes it into a bounded queue
/// ([`FrameQueue<VideoFrame>`]); errors and the end of the stream come through the same
/// queue. Closing (or dropping) stops the thread, waits for it and releases the device.
///
/// ```
/// use std::time::Duration;
/// use rtcweb_capture::{StreamEvent, VideoCapture, VideoConstraints, select_video, synthetic_camera};
///
/// let (device, settings) = select_video(&[synthetic_camera()], &VideoConstraints::default())?;
/// let camera = VideoCapture::open(&device, settings)?;
/// match camera.recv_timeout(Duration::from_secs(1)) {
///     Some(StreamEvent::Frame(frame)) => assert_eq!(frame.picture.width(), 640),
///     other => panic!("{other:?}"),
/// }
/// camera.close();
/// # Ok::<(), rtcweb_capture::CaptureError>(())
/// ```
#[derive(Debug)]
pub struct VideoCapture {
    device: DeviceInfo,
    settings: VideoSettings,
    queue: FrameQueue<VideoFrame>,
    thread: Option<JoinHandle<()>>,
}

impl VideoCapture {
    /// Opens `device` with `settings` (one of its modes, as [`crate::select_video`] chooses)
    /// and starts capturing. Errors: the mode is not offered
    /// ([`CaptureError::Overconstrained`]), the device is gone ([`CaptureError::NotFound`]),
    /// held by another program ([`CaptureError::Busy`]), or its backend failed.
    pub fn open(device: &DeviceInfo, settings: VideoSettings) -> Result<Self, CaptureError> {
        check_offered(device, settings)?;
        let started = match device.backend {
            Backend::Synthetic => super::synthetic::open_pattern(device, settings)?,
            Backend::File => super::synthetic::open_y4m(device, settings)?,
            Backend::V4l2 => super::v4l2::open(device, settings)?,
            Backend::Audio => {
                return Err(CaptureError::Backend {
                    backend: "video",
                    message: format!("{} is not a camera", device.id),
                });
            }
        };
        Ok(Self {
            device: device.clone(),
            settings: started.settings,
            queue: started.queue,
            thread: Some(started.thread),
        })
    }

    /// The device.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }

    /// What the device runs with (W3C `getSettings()`); the frames are I420 of this size.
    pub fn settings(&self) -> VideoSettings {
        self.settings
    }

    /// The queue the frames come out of (for `poll_recv` from an async task, or `stats`).
    pub fn frames(&self) -> &FrameQueue<VideoFrame> {
        &self.queue
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<StreamEvent<VideoFrame>> {
        self.queue.try_recv()
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<StreamEvent<VideoFrame>> {
        self.queue.recv_timeout(timeout)
    }

    /// The queue's counters (frames captured, dropped because the consumer was behind).
    pub fn stats(&self) -> QueueStats {
        self.queue.stats()
    }

    /// Stops capturing, waits for the thread and releases the device.
    pub fn close(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.queue.close();
        if let Some(thread) = self.thread.take() {
            // A panicking device thread has already ended the stream (its sender dropped).
            let _ = thread.join();
        }
    }
}

impl Drop for VideoCapture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `settings` is one of the device's modes; if not, the first property no mode has
/// (in the order width, height, frameRate; a format the device does not offer at that size
/// is a backend error, W3C has no constraint for it).
/// Hands a camera's picture to the stream with the next sequence number; false once the
/// consumer has closed it (the camera's thread should stop).
pub(crate) fn push_picture(
    sender: &FrameSender<VideoFrame>,
    sequence: &mut u64,
    picture: rtcweb_media::I420Frame,
    capture_time: std::time::Instant,
) -> bool {
    let frame = VideoFrame {
        picture,
        capture_time,
        sequence: *sequence,
    };
    *sequence += 1;
    sender.push(frame)
}

pub(crate) fn check_offered(
    device: &DeviceInfo,
    settings: VideoSettings,
) -> Result<(), CaptureError> {
    let Capabilities::Video(caps) = &device.capabilities else {
        return Err(CaptureError::Backend {
            backend: "video",
            message: format!("{} is not a camera", device.id),
        });
    };
    let modes = &caps.modes;
    let over = |constraint| Err(CaptureError::Overconstrained { constraint });
    if !modes.iter().any(|m| m.width == settings.width) {
        return over("width");
    }
    if !modes
        .iter()
        .any(|m| m.width == settings.width && m.height == settings.height)
    {
        return over("height");
    }
    let same_size = || {
        modes
            .iter()
            .filter(|m| m.width == settings.width && m.height == settings.height)
    };
    if !same_size().any(|m| m.format == settings.format) {
        return Err(CaptureError::Backend {
            backend: "video",
            message: format!(
                "{} offers no {:?} at {}x{}",
                device.id, settings.format, settings.width, settings.height
            ),
        });
    }
    if !same_size()
        .filter(|m| m.format == settings.format)
        .any(|m| m.frame_rates.contains(&settings.frame_rate))
    {
        return over("frameRate");
    }
    Ok(())
}
