//! The devices beside the peer: each capture or playout device runs on a thread of its own
//! (rtcweb-capture's) and meets the peer's tokio tasks through bounded channels, so a slow
//! device never blocks the connection and a slow connection never grows memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rtcweb_capture::{
    AudioCapture, AudioPlayout, AudioSettings, DeviceInfo, StreamEvent, VideoCapture, VideoSettings,
};
use rtcweb_media::audio::{DecodedAudio, PLAYOUT_RATE, convert_channels};
use rtcweb_media::{I420Frame, PcmFrame, RawVideoFrame};
use rtcweb_peer::driver::{RemoteAudioTrack, RemoteTrack, RtpSender, VideoSender};
use tokio::sync::mpsc;

/// 10 ms audio frames waiting between a device thread and the peer: 200 ms at most.
const AUDIO_QUEUE: usize = 20;

/// What the call did, for the summary at the end.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) microphone_frames: AtomicU64,
    pub(crate) microphone_dropped: AtomicU64,
    pub(crate) camera_frames: AtomicU64,
    pub(crate) received_audio_frames: AtomicU64,
    pub(crate) received_video_frames: AtomicU64,
}

impl Counters {
    pub(crate) fn summary(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "sent {} microphone frames ({} dropped) and {} camera frames; received {} audio \
             frames (played) and {} video frames (shown)",
            get(&self.microphone_frames),
            get(&self.microphone_dropped),
            get(&self.camera_frames),
            get(&self.received_audio_frames),
            get(&self.received_video_frames),
        )
    }
}

fn count(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Captures the microphone on a thread and sends its frames on `track` until the call or
/// the device ends.
pub(crate) fn send_microphone(
    device: DeviceInfo,
    settings: AudioSettings,
    track: RtpSender,
    counters: Arc<Counters>,
) {
    let (to_peer, mut frames) = mpsc::channel::<PcmFrame>(AUDIO_QUEUE);
    let thread_counters = Arc::clone(&counters);
    let spawned = std::thread::Builder::new()
        .name("microphone".into())
        .spawn(move || {
            // Opened on this thread: a sound-server stream stays on the thread that made it.
            let capture = match AudioCapture::open(&device, settings) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("the microphone {} did not open: {e}", device.id);
                    return;
                }
            };
            loop {
                match capture.frames().recv_timeout(Duration::from_millis(100)) {
                    Some(StreamEvent::Frame(frame)) => {
                        let pcm = PcmFrame {
                            samples: frame.samples,
                            sample_rate: frame.settings.sample_rate,
                            channels: frame.settings.channels,
                        };
                        match to_peer.try_send(pcm) {
                            Ok(()) => count(&thread_counters.microphone_frames),
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                count(&thread_counters.microphone_dropped)
                            }
                            Err(mpsc::error::TrySendError::Closed(_)) => break,
                        }
                    }
                    Some(StreamEvent::Error(e)) => eprintln!("microphone: {e}"),
                    Some(StreamEvent::Ended) => {
                        eprintln!("the microphone stopped");
                        break;
                    }
                    None if to_peer.is_closed() => break,
                    None => {}
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("no microphone thread: {e}");
        return;
    }
    tokio::spawn(async move {
        while let Some(pcm) = frames.recv().await {
            if track.send_audio(pcm, None).await.is_err() {
                break;
            }
        }
    });
}

/// Captures the camera (its own thread, inside rtcweb-capture) and sends its pictures on
/// `video`, stamped with their capture times, until the call or the device ends.
pub(crate) fn send_camera(
    device: DeviceInfo,
    settings: VideoSettings,
    video: VideoSender,
    counters: Arc<Counters>,
) {
    let camera = match VideoCapture::open(&device, settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("the camera {} did not open: {e}", device.id);
            return;
        }
    };
    tokio::spawn(async move {
        let mut first: Option<Instant> = None;
        loop {
            // The camera's queue wakes this task; nothing here waits on the device.
            let event = std::future::poll_fn(|cx| camera.frames().poll_recv(cx)).await;
            match event {
                StreamEvent::Frame(frame) => {
                    let start = *first.get_or_insert(frame.capture_time);
                    let since = frame.capture_time.saturating_duration_since(start);
                    // The 90 kHz video clock (RFC 7741 §4.1), from the capture times.
                    let rtp_timestamp = (since.as_micros() * 9 / 100) as u32;
                    let raw = RawVideoFrame {
                        picture: frame.picture,
                        rtp_timestamp,
                        capture_time: Some(frame.capture_time),
                    };
                    if video.send(raw).await.is_err() {
                        break;
                    }
                    count(&counters.camera_frames);
                }
                StreamEvent::Error(e) => eprintln!("camera: {e}"),
                StreamEvent::Ended => {
                    eprintln!("the camera stopped");
                    break;
                }
            }
        }
        camera.close();
    });
}

/// Plays the browser's audio on the speaker: the decoded frames go to a thread that owns
/// the playout.
pub(crate) fn play_audio(
    mut track: RemoteAudioTrack,
    device: DeviceInfo,
    settings: AudioSettings,
    counters: Arc<Counters>,
) {
    let (to_speaker, mut frames) = mpsc::channel::<DecodedAudio>(AUDIO_QUEUE);
    let thread_counters = Arc::clone(&counters);
    let spawned = std::thread::Builder::new()
        .name("speaker".into())
        .spawn(move || {
            let mut playout = match AudioPlayout::open(
                &device,
                AudioSettings {
                    sample_rate: PLAYOUT_RATE,
                    channels: settings.channels,
                },
            ) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("the speaker {} did not open: {e}", device.id);
                    return;
                }
            };
            let mut converted = Vec::new();
            while let Some(frame) = frames.blocking_recv() {
                converted.clear();
                convert_channels(
                    &frame.samples,
                    usize::from(frame.channels),
                    usize::from(settings.channels),
                    &mut converted,
                );
                if let Err(e) = playout.write(&converted) {
                    eprintln!("the speaker failed: {e}");
                    break;
                }
                count(&thread_counters.received_audio_frames);
            }
        });
    if let Err(e) = spawned {
        eprintln!("no speaker thread: {e}");
        return;
    }
    tokio::spawn(async move {
        while let Some(frame) = track.recv().await {
            // A speaker thread that is behind loses this frame, not the connection's time.
            match to_speaker.try_send(frame) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
    });
}

/// Where decoded pictures go: the window, or nowhere when there is no display.
pub(crate) type Show = Box<dyn Fn(I420Frame) -> bool + Send>;

/// Decodes the browser's camera and hands each picture to `show` (the window's event loop
/// converts and draws it, off the peer's task).
pub(crate) fn show_video(track: RemoteTrack, show: Show, counters: Arc<Counters>) {
    tokio::spawn(async move {
        let mut video = match track.decode().await {
            Ok(v) => v,
            Err(e) => {
                eprintln!("the browser's video cannot be decoded: {e}");
                return;
            }
        };
        let mut said = false;
        while let Some(frame) = video.recv().await {
            if !said {
                println!(
                    "the browser's camera: {}x{} pictures",
                    frame.picture.width(),
                    frame.picture.height()
                );
                said = true;
            }
            count(&counters.received_video_frames);
            if !show(frame.picture) {
                break;
            }
        }
    });
}
