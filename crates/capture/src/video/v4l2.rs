//! Cameras through Video4Linux2: enumeration and format negotiation with the `linuxvideo`
//! crate (safe Rust over the V4L2 ioctls, with frame intervals), streaming with `v4l2r`'s
//! ioctl wrappers (see `v4l2_stream`), which hand out the driver's buffer timestamps.
//!
//! Enumeration lists the `/dev/video*` nodes that capture video, with their formats, frame
//! sizes and frame intervals; a device's id is its bus and card name (`v4l2:<bus>/<card>`),
//! stable when the node numbers change. Opening negotiates the format (the driver may
//! answer another format, size or rate than asked: the answer is checked, and used when it
//! is one we convert, or refused), then a thread waits for filled buffers (`poll`, so that
//! a closed stream is noticed within 50 ms), converts each to I420 and queues it. An
//! unplugged camera (`ENODEV`) gives [`CaptureError::Disconnected`] and ends the stream; a
//! camera another program streams from (`EBUSY`) is [`CaptureError::Busy`] at open.
//!
//! Capture times are the driver's: V4L2 stamps each buffer on the monotonic clock (UVC
//! cameras at the first USB packet of the frame), which is [`Instant`]'s clock on Linux;
//! a buffer without a monotonic timestamp, or with one in the future or over a second old,
//! gets the time it was dequeued instead. Frame numbers follow the driver's sequence
//! counter, so a gap in [`VideoFrame::sequence`] is a frame the driver dropped.
//!
//! [`Instant`]: std::time::Instant

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use linuxvideo::format::{FrameIntervals, FrameSizes, PixFormat};
use linuxvideo::{BufType, CapabilityFlags, Device, Fract};
use rtcweb_media::video::MAX_SIDE;

use super::capture::{QUEUE_FRAMES, Started};
use super::convert::{FrameConverter, RawFrame};
use crate::device::{
    Backend, Capabilities, DeviceId, DeviceInfo, DeviceKind, FrameRate, PixelFormat,
    VideoCapabilities, VideoMode,
};
use crate::error::CaptureError;
use crate::frame::{VideoFrame, VideoSettings};
use crate::stream::{FrameQueue, FrameSender};
use crate::video::capture::push_picture;
use crate::video::driver_stamps::sequence_step;
use crate::video::v4l2_stream::MmapStream;

/// Sizes offered from a camera that announces a range of sizes (stepwise or continuous)
/// rather than a list: the common ones inside its range.
const COMMON_SIZES: [(u32, u32); 8] = [
    (160, 120),
    (320, 240),
    (640, 360),
    (640, 480),
    (800, 600),
    (1280, 720),
    (1920, 1080),
    (3840, 2160),
];
/// Frame rates offered from a range of frame intervals: the common ones inside it.
const COMMON_RATES: [u32; 5] = [60, 30, 25, 15, 10];
/// How long the capture thread waits for a buffer before it checks whether it was closed.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Buffers asked of the driver: one being read, one being filled, two in reserve.
const BUFFERS: u32 = 4;

fn backend(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Backend {
        backend: "v4l2",
        message: e.to_string(),
    }
}

/// The stable id of a camera from what VIDIOC_QUERYCAP tells.
fn device_id(bus_info: &str, card: &str) -> DeviceId {
    DeviceId::new(format!("v4l2:{bus_info}/{card}"))
}

/// Frames per second from a frame interval (seconds per frame); `None` for a zero part.
fn rate_from_interval(numerator: u32, denominator: u32) -> Option<FrameRate> {
    (numerator != 0 && denominator != 0).then_some(FrameRate {
        numerator: denominator,
        denominator: numerator,
    })
}

fn fract_rate(f: &Fract) -> Option<FrameRate> {
    rate_from_interval(f.numerator(), f.denominator())
}

/// The frame rates a size offers, highest first, without repeats.
fn rates_of(intervals: &FrameIntervals) -> Vec<FrameRate> {
    let mut rates: Vec<FrameRate> = match intervals {
        FrameIntervals::Discrete(list) => {
            list.iter().filter_map(|i| fract_rate(i.fract())).collect()
        }
        FrameIntervals::Stepwise(range) | FrameIntervals::Continuous(range) => {
            let (Some(fastest), Some(slowest)) = (fract_rate(range.min()), fract_rate(range.max()))
            else {
                return Vec::new();
            };
            COMMON_RATES
                .iter()
                .map(|&r| FrameRate::per_second(r))
                .filter(|r| (slowest.as_f64()..=fastest.as_f64()).contains(&r.as_f64()))
                .collect()
        }
    };
    rates.sort_by(|a, b| b.as_f64().total_cmp(&a.as_f64()));
    rates.dedup_by(|a, b| a.as_f64() == b.as_f64());
    rates
}

/// The sizes a format offers.
fn sizes_of(sizes: &FrameSizes) -> Vec<(u32, u32)> {
    match sizes {
        FrameSizes::Discrete(list) => list.iter().map(|s| (s.width(), s.height())).collect(),
        FrameSizes::Stepwise(range) | FrameSizes::Continuous(range) => COMMON_SIZES
            .iter()
            .copied()
            .filter(|&(w, h)| {
                let on_step = |v: u32, min: u32, step: u32| step <= 1 || (v - min) % step == 0;
                (range.min_width()..=range.max_width()).contains(&w)
                    && (range.min_height()..=range.max_height()).contains(&h)
                    && on_step(w, range.min_width(), range.step_width())
                    && on_step(h, range.min_height(), range.step_height())
            })
            .collect(),
    }
}

/// The modes of an open node: each format we convert, each size, each rate.
fn modes_of(device: &Device) -> Vec<VideoMode> {
    let mut modes = Vec::new();
    for desc in device.formats(BufType::VIDEO_CAPTURE) {
        let Ok(desc) = desc else { break };
        let fourcc = desc.pixel_format();
        let Some(format) = PixelFormat::from_fourcc(fourcc.as_fourcc()) else {
            continue;
        };
        let Ok(sizes) = device.frame_sizes(fourcc) else {
            continue;
        };
        for (width, height) in sizes_of(&sizes) {
            if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
                continue;
            }
            let frame_rates = device
                .frame_intervals(fourcc, width, height)
                .map(|i| rates_of(&i))
                .unwrap_or_default();
            if !frame_rates.is_empty() {
                modes.push(VideoMode {
                    format,
                    width,
                    height,
                    frame_rates,
                });
            }
        }
    }
    modes
}

/// A capture node: where it is and what it is.
struct Node {
    path: PathBuf,
    info: DeviceInfo,
}

fn video_nodes() -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir("/dev") else {
        return Vec::new();
    };
    let mut nodes: Vec<PathBuf> = dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("video"))
        })
        .collect();
    // Natural order, so that the ids of twin cameras are numbered the same way every time.
    nodes.sort_by_key(|p| {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        (n.len(), n.to_owned())
    });
    nodes
}

fn describe(path: &Path) -> Option<DeviceInfo> {
    let device = Device::open(path).ok()?;
    let caps = device.capabilities().ok()?;
    let flags = caps.device_capabilities();
    // A UVC camera has a second node for metadata: only nodes that capture video count.
    if !flags.contains(CapabilityFlags::VIDEO_CAPTURE)
        || !flags.contains(CapabilityFlags::STREAMING)
    {
        return None;
    }
    let modes = modes_of(&device);
    let info = DeviceInfo {
        id: device_id(caps.bus_info(), caps.card()),
        kind: DeviceKind::VideoInput,
        label: caps.card().to_owned(),
        group_id: Some(caps.bus_info().to_owned()),
        backend: Backend::V4l2,
        capabilities: Capabilities::Video(VideoCapabilities { modes }),
    };
    Some(info)
}

fn nodes() -> Vec<Node> {
    let mut found: Vec<Node> = Vec::new();
    for path in video_nodes() {
        let Some(mut info) = describe(&path) else {
            continue;
        };
        // Two capture nodes of one card on one bus (rare): number the later ones.
        let twins = found
            .iter()
            .filter(|n| n.info.id.as_str().split('#').next() == Some(info.id.as_str()))
            .count();
        if twins > 0 {
            info.id = DeviceId::new(format!("{}#{}", info.id, twins + 1));
        }
        found.push(Node { path, info });
    }
    found
}

/// The cameras Video4Linux2 has (none where there is no `/dev/video*`).
pub fn enumerate_v4l2() -> Vec<DeviceInfo> {
    nodes().into_iter().map(|n| n.info).collect()
}

/// What the driver answered when asked for a format (VIDIOC_S_FMT) and a frame interval
/// (VIDIOC_S_PARM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DriverFormat {
    pub(crate) fourcc: [u8; 4],
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bytes_per_line: u32,
    pub(crate) size_image: u32,
    /// Seconds per frame, as (numerator, denominator); `None` when the driver sets no rate.
    pub(crate) interval: Option<(u32, u32)>,
}

/// Checks the driver's answer against what was asked: drivers may pick another format,
/// size or rate than asked (V4L2 §"Data Formats": S_FMT adjusts to what the hardware can),
/// and some report one they do not deliver. A format we convert, with a size in range and a
/// row and image length that hold a picture of that size, is used, and the settings say
/// what it is; anything else is an error.
pub(crate) fn check_driver_format(
    asked: VideoSettings,
    got: DriverFormat,
) -> Result<(VideoSettings, u32), CaptureError> {
    let lie = |what: String| {
        CaptureError::BadFrame(format!(
            "the driver answered {what} for {:?} {}x{}",
            asked.format, asked.width, asked.height
        ))
    };
    let format = PixelFormat::from_fourcc(got.fourcc).ok_or_else(|| {
        lie(format!(
            "format {}",
            String::from_utf8_lossy(&got.fourcc).escape_debug()
        ))
    })?;
    if got.width == 0 || got.height == 0 || got.width > MAX_SIDE || got.height > MAX_SIDE {
        return Err(lie(format!("size {}x{}", got.width, got.height)));
    }
    let (w, h) = (u64::from(got.width), u64::from(got.height));
    // Bytes of one row of the first plane at the tightest.
    let row = match format {
        PixelFormat::Yuyv => 2 * w,
        PixelFormat::Nv12 | PixelFormat::I420 => w,
        PixelFormat::Mjpeg => 0,
    };
    if format != PixelFormat::Mjpeg {
        let stride = match u64::from(got.bytes_per_line) {
            0 => row,
            s if s < row => return Err(lie(format!("{s} bytes a row"))),
            s => s,
        };
        // What the converter reads (the last row needs no padding).
        let needed = match format {
            PixelFormat::Nv12 => stride * (h + h / 2 - 1) + w,
            PixelFormat::I420 => {
                let (cstride, cw, ch) = (stride.div_ceil(2), w.div_ceil(2), h.div_ceil(2));
                stride * h + cstride * ch + cstride * (ch - 1) + cw
            }
            _ => stride * (h - 1) + row,
        };
        if u64::from(got.size_image) < needed {
            return Err(lie(format!("{}-byte images", got.size_image)));
        }
    }
    let frame_rate = got
        .interval
        .and_then(|(n, d)| rate_from_interval(n, d))
        .unwrap_or(asked.frame_rate);
    let stride = if format == PixelFormat::Mjpeg {
        0
    } else {
        got.bytes_per_line
    };
    Ok((
        VideoSettings {
            format,
            width: got.width,
            height: got.height,
            frame_rate,
        },
        stride,
    ))
}

/// The error an I/O failure of `id` stands for.
fn io_error(id: &DeviceId, e: &io::Error) -> CaptureError {
    match e.raw_os_error() {
        Some(libc_errno::ENODEV) | Some(libc_errno::ENXIO) => {
            CaptureError::Disconnected(id.clone())
        }
        Some(libc_errno::EBUSY) => CaptureError::Busy(id.clone()),
        Some(libc_errno::ENOENT) => CaptureError::NotFound(id.clone()),
        _ => backend(format!("{id}: {e}")),
    }
}

/// The errno values we tell apart (Linux, the same on every architecture).
mod libc_errno {
    pub(super) const ENOENT: i32 = 2;
    pub(super) const ENXIO: i32 = 6;
    pub(super) const EBUSY: i32 = 16;
    pub(super) const ENODEV: i32 = 19;
}

/// Opens a V4L2 camera and starts its capture thread.
pub(crate) fn open(device: &DeviceInfo, asked: VideoSettings) -> Result<Started, CaptureError> {
    let id = device.id.clone();
    let node = nodes()
        .into_iter()
        .find(|n| n.info.id == id)
        .ok_or_else(|| CaptureError::NotFound(id.clone()))?;
    let handle = Device::open(&node.path).map_err(|e| io_error(&id, &e))?;
    let fourcc = linuxvideo::format::PixelFormat::from_fourcc(asked.format.fourcc());
    let capture = handle
        .video_capture(PixFormat::new(asked.width, asked.height, fourcc))
        .map_err(|e| io_error(&id, &e))?;
    let format = capture.format();
    // The interval asked is seconds per frame: the rate's fraction upside down.
    let interval = (asked.frame_rate.numerator != 0 && asked.frame_rate.denominator != 0)
        .then(|| Fract::new(asked.frame_rate.denominator, asked.frame_rate.numerator))
        .map(|f| capture.set_frame_interval(f))
        .and_then(Result::ok)
        .map(|f| (f.numerator(), f.denominator()));
    let (settings, stride) = check_driver_format(
        asked,
        DriverFormat {
            fourcc: format.pixel_format().as_fourcc(),
            width: format.width(),
            height: format.height(),
            bytes_per_line: format.bytes_per_line(),
            size_image: format.size_image(),
            interval,
        },
    )?;
    // The buffers belong to the open file the format was set on: stream from a second
    // descriptor of it (the first closes with `capture`).
    let file = File::from(
        capture
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| io_error(&id, &e))?,
    );
    drop(capture);
    let stream = MmapStream::start(file, BUFFERS).map_err(|e| io_error(&id, &e))?;
    let (queue, sender) = FrameQueue::new(QUEUE_FRAMES);
    let thread = std::thread::Builder::new()
        .name("capture-v4l2".to_owned())
        .spawn(move || run(stream, &id, settings, stride, &sender))
        .map_err(backend)?;
    Ok(Started {
        queue,
        thread,
        settings,
    })
}

/// The capture thread: until the consumer closes the queue or the device fails.
fn run(
    mut stream: MmapStream,
    id: &DeviceId,
    settings: VideoSettings,
    stride: u32,
    sender: &FrameSender<VideoFrame>,
) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut converter = FrameConverter::new();
    // The stream's frame number before the next frame, and the driver's counter of the
    // last frame.
    let mut sequence = 0u64;
    let mut driver_sequence: Option<u32> = None;
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: POLL_INTERVAL.as_nanos() as _,
    };
    while !sender.is_closed() {
        let ready = {
            let mut fds = [PollFd::new(&stream, PollFlags::IN)];
            match poll(&mut fds, Some(&timeout)) {
                Ok(n) => n > 0,
                Err(rustix::io::Errno::INTR) => false,
                Err(e) => {
                    sender.push_error(io_error(id, &e.into()));
                    return;
                }
            }
        };
        if !ready {
            continue;
        }
        let result = stream.next(|buffer| {
            let clocks = crate::clock::now_with_monotonic();
            let capture_time = buffer
                .monotonic_timestamp
                .and_then(|stamp| clocks.capture_time(stamp))
                .unwrap_or(clocks.instant);
            let step = sequence_step(driver_sequence, buffer.sequence);
            driver_sequence = Some(buffer.sequence);
            if buffer.corrupt {
                return (
                    step,
                    Err(CaptureError::BadFrame(
                        "the driver flagged the buffer as corrupt".into(),
                    )),
                );
            }
            let raw = RawFrame {
                format: settings.format,
                width: settings.width,
                height: settings.height,
                stride,
                data: buffer.data,
            };
            let converted = converter
                .convert(&raw)
                .map(|picture| (picture, capture_time));
            (step, converted)
        });
        match result {
            Ok((step, converted)) => {
                // Frames the driver dropped before this one leave a gap in the numbers.
                sequence += step - 1;
                match converted {
                    Ok((picture, capture_time)) => {
                        if !push_picture(sender, &mut sequence, picture, capture_time) {
                            return;
                        }
                    }
                    // One bad frame: say so and go on.
                    Err(e) => {
                        sequence += 1;
                        sender.push_error(e);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // Unplugged (ENODEV) or broken: the error, then the end of the stream when
                // the sender drops with this thread; the stream's Drop turns streaming off
                // and frees the buffers.
                sender.push_error(io_error(id, &e));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(format: PixelFormat, width: u32, height: u32) -> VideoSettings {
        VideoSettings {
            format,
            width,
            height,
            frame_rate: FrameRate::per_second(30),
        }
    }

    fn answer(fourcc: &[u8; 4], width: u32, height: u32, bpl: u32, size: u32) -> DriverFormat {
        DriverFormat {
            fourcc: *fourcc,
            width,
            height,
            bytes_per_line: bpl,
            size_image: size,
            interval: Some((1, 30)),
        }
    }

    #[test]
    fn the_driver_granting_the_request_gives_the_settings_asked() {
        let a = asked(PixelFormat::Yuyv, 640, 480);
        let (s, stride) =
            check_driver_format(a, answer(b"YUYV", 640, 480, 1280, 640 * 480 * 2)).unwrap();
        assert_eq!((s, stride), (a, 1280));
    }

    #[test]
    fn another_format_or_size_we_convert_is_used_and_reported() {
        // Asked 1280x720 MJPEG, the driver gives 640x480 YUYV at 15 fps.
        let mut got = answer(b"YUYV", 640, 480, 1280, 640 * 480 * 2);
        got.interval = Some((1, 15));
        let (s, _) = check_driver_format(asked(PixelFormat::Mjpeg, 1280, 720), got).unwrap();
        assert_eq!(
            s,
            VideoSettings {
                format: PixelFormat::Yuyv,
                width: 640,
                height: 480,
                frame_rate: FrameRate::per_second(15),
            }
        );
        // NTSC interval 1001/30000 s is 30000/1001 frames per second.
        let mut got = answer(b"NV12", 320, 240, 384, 384 * 360);
        got.interval = Some((1001, 30000));
        let (s, stride) = check_driver_format(asked(PixelFormat::Nv12, 320, 240), got).unwrap();
        assert_eq!(
            (s.frame_rate.numerator, s.frame_rate.denominator, stride),
            (30000, 1001, 384)
        );
        // No rate from the driver: the one asked.
        let mut got = answer(b"MJPG", 1280, 720, 0, 100_000);
        got.interval = None;
        let (s, stride) = check_driver_format(asked(PixelFormat::Mjpeg, 1280, 720), got).unwrap();
        assert_eq!((s.frame_rate, stride), (FrameRate::per_second(30), 0));
    }

    #[test]
    fn a_format_the_driver_lies_about_is_refused() {
        let a = asked(PixelFormat::Yuyv, 640, 480);
        // A format we do not convert.
        assert!(check_driver_format(a, answer(b"H264", 640, 480, 0, 1 << 20)).is_err());
        // Rows too short for the width.
        assert!(check_driver_format(a, answer(b"YUYV", 640, 480, 640, 640 * 480 * 2)).is_err());
        // Images too small for the size (and for the padded rows).
        assert!(check_driver_format(a, answer(b"YUYV", 640, 480, 1280, 1000)).is_err());
        assert!(check_driver_format(a, answer(b"YUYV", 640, 480, 1536, 640 * 480 * 2)).is_err());
        assert!(
            check_driver_format(
                asked(PixelFormat::Nv12, 640, 480),
                answer(b"NV12", 640, 480, 640, 640 * 480)
            )
            .is_err()
        );
        // No size, or one beyond what a frame may have.
        assert!(check_driver_format(a, answer(b"YUYV", 0, 480, 0, 0)).is_err());
        assert!(check_driver_format(a, answer(b"YUYV", 100_000, 2, 200_000, u32::MAX)).is_err());
        // A zero interval is no rate: the one asked stays.
        let mut got = answer(b"YUYV", 640, 480, 1280, 640 * 480 * 2);
        got.interval = Some((0, 30));
        assert_eq!(
            check_driver_format(a, got).unwrap().0.frame_rate,
            a.frame_rate
        );
    }

    #[test]
    fn errors_of_the_device_map_to_their_kinds() {
        let id = DeviceId::new("v4l2:usb-1/cam");
        let err = |n| io_error(&id, &io::Error::from_raw_os_error(n));
        assert_eq!(err(19), CaptureError::Disconnected(id.clone()));
        assert_eq!(err(16), CaptureError::Busy(id.clone()));
        assert_eq!(err(2), CaptureError::NotFound(id.clone()));
        assert!(matches!(
            err(5),
            CaptureError::Backend {
                backend: "v4l2",
                ..
            }
        ));
    }

    #[test]
    fn intervals_become_rates_and_the_id_is_bus_and_card() {
        assert_eq!(rate_from_interval(1, 30), Some(FrameRate::per_second(30)));
        assert_eq!(rate_from_interval(0, 30), None);
        assert_eq!(
            device_id("usb-0000:00:14.0-1", "HD Webcam").as_str(),
            "v4l2:usb-0000:00:14.0-1/HD Webcam"
        );
    }

    /// Runs only where a camera is: opens the first one at its chosen mode and takes frames.
    #[test]
    fn a_real_camera_delivers_frames() {
        let cameras = enumerate_v4l2();
        if cameras.is_empty() {
            println!("skipped: no V4L2 capture device (/dev/video*) on this machine");
            return;
        }
        let (device, settings) =
            crate::select_video(&cameras, &crate::VideoConstraints::default()).unwrap();
        let camera = match crate::VideoCapture::open(&device, settings) {
            Ok(camera) => camera,
            Err(CaptureError::Busy(id)) => {
                println!("skipped: {id} is busy");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let mut frames = 0;
        let mut last: Option<(std::time::Instant, u64)> = None;
        while frames < 5 {
            match camera.recv_timeout(Duration::from_secs(5)) {
                Some(crate::StreamEvent::Frame(frame)) => {
                    assert_eq!(frame.picture.width(), camera.settings().width);
                    // The driver's timestamps: in the past, in order; its frame counter
                    // moves on.
                    assert!(frame.capture_time <= crate::clock::now());
                    if let Some((time, sequence)) = last {
                        assert!(frame.capture_time > time);
                        assert!(frame.sequence > sequence);
                    }
                    last = Some((frame.capture_time, frame.sequence));
                    frames += 1;
                }
                Some(crate::StreamEvent::Error(CaptureError::BadFrame(_))) => {}
                other => panic!("{other:?}"),
            }
        }
        camera.close();
    }
}
