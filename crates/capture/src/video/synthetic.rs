//! Cameras without hardware: rtcweb-media's moving test pattern, and a Y4M file played at
//! its frame rate. Tests, CI and machines without a camera open them like a real one.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use rtcweb_media::video::{TestPattern, Y4mSource};

use super::capture::{QUEUE_FRAMES, Started};
use crate::device::{
    Backend, Capabilities, DeviceId, DeviceInfo, DeviceKind, FrameRate, PixelFormat,
    VideoCapabilities, VideoMode,
};
use crate::error::CaptureError;
use crate::frame::{VideoFrame, VideoSettings};
use crate::stream::{FrameQueue, FrameSender};
use crate::video::capture::push_picture;

/// The test-pattern camera's id.
pub const TEST_PATTERN_ID: &str = "synthetic:test-pattern";
/// Sizes the test-pattern camera offers.
const PATTERN_SIZES: [(u32, u32); 4] = [(320, 240), (640, 480), (1280, 720), (1920, 1080)];
/// Frame rates it offers at each size, highest first.
const PATTERN_RATES: [u32; 3] = [60, 30, 15];
/// Marks a Y4M camera's id as one that starts over at the end of the file.
const LOOP_SUFFIX: &str = "#loop";

/// The test-pattern camera: colour bars, a scrolling gradient and a bouncing box under a
/// bar code carrying the frame number and the capture time (microseconds since the stream
/// opened, the instant [`VideoFrame::capture_time`] also gives), in I420 at 320x240 to
/// 1920x1080 and 15, 30 or 60 frames per second. The capture time is read when a frame is
/// due, before the picture is drawn, as a camera's sensor exposes before it reads out: the
/// drawing counts in the latency after capture.
pub fn synthetic_camera() -> DeviceInfo {
    let modes = PATTERN_SIZES
        .iter()
        .map(|&(width, height)| VideoMode {
            format: PixelFormat::I420,
            width,
            height,
            frame_rates: PATTERN_RATES
                .iter()
                .map(|&r| FrameRate::per_second(r))
                .collect(),
        })
        .collect();
    DeviceInfo {
        id: DeviceId::new(TEST_PATTERN_ID),
        kind: DeviceKind::VideoInput,
        label: "Test pattern (synthetic camera)".to_owned(),
        group_id: None,
        backend: Backend::Synthetic,
        capabilities: Capabilities::Video(VideoCapabilities { modes }),
    }
}

fn y4m_error(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Backend {
        backend: "y4m",
        message: e.to_string(),
    }
}

fn open_file(id: &DeviceId, path: &Path) -> Result<Y4mSource<BufReader<File>>, CaptureError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CaptureError::NotFound(id.clone()),
        _ => y4m_error(format!("{}: {e}", path.display())),
    })?;
    Y4mSource::new(BufReader::new(file)).map_err(y4m_error)
}

/// A Y4M file as a camera: its one mode is the file's size and frame rate (I420); played
/// once (the stream then ends) or, with `looping`, over and over. The id is `file:` and the
/// path (`#loop` appended when looping).
pub fn y4m_camera(path: &Path, looping: bool) -> Result<DeviceInfo, CaptureError> {
    let suffix = if looping { LOOP_SUFFIX } else { "" };
    let id = DeviceId::new(format!("file:{}{suffix}", path.display()));
    let source = open_file(&id, path)?;
    let (numerator, denominator) = source.frame_rate();
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(DeviceInfo {
        id,
        kind: DeviceKind::VideoInput,
        label: format!("{label} (Y4M file)"),
        group_id: None,
        backend: Backend::File,
        capabilities: Capabilities::Video(VideoCapabilities {
            modes: vec![VideoMode {
                format: PixelFormat::I420,
                width: source.width(),
                height: source.height(),
                frame_rates: vec![FrameRate {
                    numerator,
                    denominator,
                }],
            }],
        }),
    })
}

/// Frames at a fixed rate on an absolute schedule: a late frame does not delay the next
/// ones, and after a stall of more than a frame the schedule skips ahead instead of
/// bursting.
#[derive(Debug)]
struct Pacer {
    next: Instant,
    interval: Duration,
}

impl Pacer {
    fn new(rate: FrameRate) -> Self {
        let fps = rate.as_f64();
        let interval = if fps > 0.0 {
            Duration::from_secs_f64(1.0 / fps)
        } else {
            Duration::from_secs(1)
        };
        Self {
            next: crate::clock::now(),
            interval,
        }
    }

    /// Sleeps until the next frame is due (in slices, so that a closed queue is noticed
    /// within 10 ms); false when the consumer closed the queue.
    fn wait<T>(&mut self, sender: &FrameSender<T>) -> bool {
        loop {
            if sender.is_closed() {
                return false;
            }
            let now = crate::clock::now();
            if now >= self.next {
                self.next += self.interval;
                if now > self.next {
                    self.next = now + self.interval;
                }
                return true;
            }
            std::thread::sleep((self.next - now).min(Duration::from_millis(10)));
        }
    }
}

fn spawn(
    name: &str,
    settings: VideoSettings,
    run: impl FnOnce(FrameSender<VideoFrame>) + Send + 'static,
) -> Result<Started, CaptureError> {
    let (queue, sender) = FrameQueue::new(QUEUE_FRAMES);
    let thread = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || run(sender))
        .map_err(|e| CaptureError::Backend {
            backend: "video",
            message: format!("thread: {e}"),
        })?;
    Ok(Started {
        queue,
        thread,
        settings,
    })
}

/// Starts the test-pattern camera.
pub(crate) fn open_pattern(
    device: &DeviceInfo,
    settings: VideoSettings,
) -> Result<Started, CaptureError> {
    if device.id.as_str() != TEST_PATTERN_ID {
        return Err(CaptureError::NotFound(device.id.clone()));
    }
    let mut pattern =
        TestPattern::new(settings.width, settings.height).map_err(|e| CaptureError::Backend {
            backend: "synthetic",
            message: e.to_string(),
        })?;
    spawn("capture-pattern", settings, move |sender| {
        let mut pacer = Pacer::new(settings.frame_rate);
        let start = crate::clock::now();
        let mut sequence = 0;
        while pacer.wait(&sender) {
            let capture_time = crate::clock::now();
            let micros = capture_time.duration_since(start).as_micros();
            let picture = pattern.next_frame(u64::try_from(micros).unwrap_or(u64::MAX));
            if !push_picture(&sender, &mut sequence, picture, capture_time) {
                return;
            }
        }
    })
}

/// Starts a Y4M file camera.
pub(crate) fn open_y4m(
    device: &DeviceInfo,
    settings: VideoSettings,
) -> Result<Started, CaptureError> {
    let id = device.id.clone();
    let path = id
        .as_str()
        .strip_prefix("file:")
        .ok_or_else(|| CaptureError::NotFound(id.clone()))?;
    let (path, looping) = match path.strip_suffix(LOOP_SUFFIX) {
        Some(path) => (Path::new(path).to_owned(), true),
        None => (Path::new(path).to_owned(), false),
    };
    // Open once here, so that a missing or broken file is an error of `open`.
    let source = open_file(&id, &path)?;
    if (source.width(), source.height()) != (settings.width, settings.height) {
        return Err(CaptureError::Overconstrained {
            constraint: "width",
        });
    }
    drop(source);
    spawn("capture-y4m", settings, move |sender| {
        let mut pacer = Pacer::new(settings.frame_rate);
        let mut sequence = 0;
        'files: loop {
            // `Y4mSource` is not `Send`: the thread opens the file itself.
            let mut source = match open_file(&id, &path) {
                Ok(source) => source,
                Err(e) => {
                    sender.push_error(e);
                    return;
                }
            };
            loop {
                if !pacer.wait(&sender) {
                    return;
                }
                let capture_time = crate::clock::now();
                match source.read_frame() {
                    Ok(Some(picture)) => {
                        if !push_picture(&sender, &mut sequence, picture, capture_time) {
                            return;
                        }
                    }
                    Ok(None) if looping && source.frames_read() > 0 => continue 'files,
                    Ok(None) => return,
                    Err(e) => {
                        sender.push_error(CaptureError::BadFrame(e.to_string()));
                        return;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamEvent;
    use crate::{VideoCapture, VideoConstraints, select_video};
    use rtcweb_media::video::{Y4mSink, read_code};

    fn settings(width: u32, height: u32, fps: u32) -> VideoSettings {
        VideoSettings {
            format: PixelFormat::I420,
            width,
            height,
            frame_rate: FrameRate::per_second(fps),
        }
    }

    fn frame(camera: &VideoCapture) -> VideoFrame {
        match camera.recv_timeout(Duration::from_secs(2)) {
            Some(StreamEvent::Frame(frame)) => frame,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_pattern_camera_paces_its_frames_and_codes_their_capture_time() {
        let camera = VideoCapture::open(&synthetic_camera(), settings(320, 240, 60)).unwrap();
        let first = frame(&camera);
        let mut last = first.clone();
        for _ in 0..11 {
            last = frame(&camera);
        }
        let code = read_code(&last.picture).unwrap();
        assert_eq!(u64::from(code.frame_number), last.sequence);
        // The code's capture time is the frame's, counted from the stream's start.
        let first_code = read_code(&first.picture).unwrap();
        let coded = Duration::from_micros(code.capture_micros - first_code.capture_micros);
        let measured = last.capture_time - first.capture_time;
        assert!(coded.abs_diff(measured) < Duration::from_millis(1));
        // 11 intervals of 1/60 s (with scheduling slack, no frame dropped by the queue).
        assert!(
            measured >= Duration::from_millis(170) && measured < Duration::from_millis(400),
            "{measured:?}"
        );
        assert_eq!(camera.settings(), settings(320, 240, 60));
        camera.close();
    }

    #[test]
    fn a_mode_the_camera_does_not_offer_is_refused_by_name() {
        let err = VideoCapture::open(&synthetic_camera(), settings(800, 600, 30)).unwrap_err();
        assert_eq!(
            err,
            CaptureError::Overconstrained {
                constraint: "width"
            }
        );
        let err = VideoCapture::open(&synthetic_camera(), settings(640, 480, 25)).unwrap_err();
        assert_eq!(
            err,
            CaptureError::Overconstrained {
                constraint: "frameRate"
            }
        );
    }

    #[test]
    fn dropping_the_capture_stops_its_thread() {
        let camera = VideoCapture::open(&synthetic_camera(), settings(320, 240, 15)).unwrap();
        frame(&camera);
        let started = crate::clock::now();
        drop(camera);
        // The pacer notices the closed queue within a slice.
        assert!(crate::clock::now() - started < Duration::from_millis(200));
    }

    fn write_y4m(path: &Path, frames: u32) {
        let mut pattern = TestPattern::new(160, 120).unwrap();
        let file = File::create(path).unwrap();
        let mut sink = Y4mSink::new(file, 160, 120, (50, 1)).unwrap();
        for n in 0..frames {
            sink.write_frame(&pattern.next_frame(u64::from(n))).unwrap();
        }
    }

    #[test]
    fn a_y4m_camera_plays_its_file_once_or_loops() {
        let dir = std::env::temp_dir().join(format!("rtcweb-capture-y4m-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("three.y4m");
        write_y4m(&path, 3);

        let once = y4m_camera(&path, false).unwrap();
        assert_eq!(once.backend, Backend::File);
        let (device, s) = select_video(&[once], &VideoConstraints::default()).unwrap();
        assert_eq!(
            s,
            VideoSettings {
                frame_rate: FrameRate {
                    numerator: 50,
                    denominator: 1
                },
                ..settings(160, 120, 50)
            }
        );
        let camera = VideoCapture::open(&device, s).unwrap();
        let numbers: Vec<u32> = (0..3)
            .map(|_| read_code(&frame(&camera).picture).unwrap().frame_number)
            .collect();
        assert_eq!(numbers, [0, 1, 2]);
        assert!(matches!(
            camera.recv_timeout(Duration::from_secs(2)),
            Some(StreamEvent::Ended)
        ));

        let looping = y4m_camera(&path, true).unwrap();
        let camera = VideoCapture::open(&looping, s).unwrap();
        let numbers: Vec<u32> = (0..7)
            .map(|_| read_code(&frame(&camera).picture).unwrap().frame_number)
            .collect();
        assert_eq!(numbers, [0, 1, 2, 0, 1, 2, 0]);
        drop(camera);

        assert_eq!(
            y4m_camera(&dir.join("missing.y4m"), false).unwrap_err(),
            CaptureError::NotFound(DeviceId::new(format!(
                "file:{}",
                dir.join("missing.y4m").display()
            )))
        );
        // A file cut inside its second frame: the first frame, the error, the end.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.join("cut.y4m");
        std::fs::write(&cut, &bytes[..bytes.len() - 160 * 120 * 3 / 2 - 100]).unwrap();
        let camera = VideoCapture::open(&y4m_camera(&cut, true).unwrap(), s).unwrap();
        assert_eq!(read_code(&frame(&camera).picture).unwrap().frame_number, 0);
        assert!(matches!(
            camera.recv_timeout(Duration::from_secs(2)),
            Some(StreamEvent::Error(CaptureError::BadFrame(_)))
        ));
        assert!(matches!(
            camera.recv_timeout(Duration::from_secs(2)),
            Some(StreamEvent::Ended)
        ));
        drop(camera);

        std::fs::write(dir.join("broken.y4m"), b"not a y4m file\n").unwrap();
        assert!(matches!(
            y4m_camera(&dir.join("broken.y4m"), false),
            Err(CaptureError::Backend { backend: "y4m", .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
