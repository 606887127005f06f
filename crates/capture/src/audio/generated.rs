//! Devices without hardware, behind the same streams as sound devices: a tone microphone
//! (`rtcweb_media::ToneSource`), a WAV-file microphone (`rtcweb_media::WavSource`, once or
//! looping), a null speaker and a WAV-file speaker (`rtcweb_media::WavSink`). Each runs on a
//! thread of its own paced by the clock, 10 ms at a time, as a sound card would.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtcweb_media::{AudioSink, AudioSource, ToneSource, WavSink, WavSource};

use super::convert::{CaptureConverter, NativeFormat};
use super::ring::PlayoutRing;
use super::sound_server::ErrorSlot;
use crate::device::{
    AudioCapabilities, AudioMode, Backend, Capabilities, DeviceId, DeviceInfo, DeviceKind,
};
use crate::error::CaptureError;
use crate::frame::{AudioFrame, AudioSettings};
use crate::stream::FrameSender;

/// One tick of a generated device.
const TICK: Duration = Duration::from_millis(10);

/// Behind this far (the machine stalled), a device skips ahead instead of catching up with
/// a burst.
const MAX_LAG: Duration = Duration::from_millis(200);

/// The tone microphone `enumerate_audio` lists.
const LISTED_TONE_HZ: u32 = 440;

/// Peak of the tone microphone's sine: about -10 dBFS, loud enough to measure and far from
/// clipping after any gain.
const TONE_PEAK: f64 = 10_000.0;

const TONE_PREFIX: &str = "synthetic:tone-";
const NULL_SPEAKER: &str = "synthetic:null-speaker";
const WAV_PREFIX: &str = "file:wav:";
const WAV_LOOP_PREFIX: &str = "file:wav-loop:";

/// Any rate and mono or stereo: what generated devices produce or take as asked.
fn any_mode() -> Capabilities {
    Capabilities::Audio(AudioCapabilities {
        modes: [1, 2]
            .map(|channels| AudioMode {
                channels,
                min_sample_rate: 8000,
                max_sample_rate: 192_000,
            })
            .to_vec(),
    })
}

impl DeviceInfo {
    /// A microphone that hears a sine tone of `hz` Hz at about -10 dBFS.
    pub fn tone_microphone(hz: u32) -> Self {
        Self {
            id: DeviceId::new(format!("{TONE_PREFIX}{hz}hz")),
            kind: DeviceKind::AudioInput,
            label: format!("Tone microphone ({hz} Hz)"),
            group_id: None,
            backend: Backend::Synthetic,
            capabilities: any_mode(),
        }
    }

    /// A speaker that discards what it is given, at the pace of a real one.
    pub fn null_speaker() -> Self {
        Self {
            id: DeviceId::new(NULL_SPEAKER),
            kind: DeviceKind::AudioOutput,
            label: "Null speaker".to_owned(),
            group_id: None,
            backend: Backend::Synthetic,
            capabilities: any_mode(),
        }
    }

    /// A microphone that plays a 16-bit WAV file once, in real time, then ends. Its
    /// capabilities are the file's own rate and channels (capture converts to any).
    pub fn wav_microphone(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        wav_microphone(path.as_ref(), WAV_PREFIX, "WAV microphone")
    }

    /// A microphone that plays a 16-bit WAV file in a loop, in real time.
    pub fn looping_wav_microphone(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        wav_microphone(path.as_ref(), WAV_LOOP_PREFIX, "Looping WAV microphone")
    }

    /// A speaker that writes what it plays to a 16-bit WAV file (created when opened, in
    /// the settings it is opened with; silence where the application wrote nothing).
    pub fn wav_speaker(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().display();
        Self {
            id: DeviceId::new(format!("{WAV_PREFIX}{path}")),
            kind: DeviceKind::AudioOutput,
            label: format!("WAV speaker ({path})"),
            group_id: None,
            backend: Backend::File,
            capabilities: any_mode(),
        }
    }
}

fn wav_microphone(path: &Path, prefix: &str, what: &str) -> Result<DeviceInfo, CaptureError> {
    let id = DeviceId::new(format!("{prefix}{}", path.display()));
    let source = open_wav(path, &id)?;
    let (rate, channels) = (source.sample_rate(), source.channels());
    Ok(DeviceInfo {
        label: format!("{what} ({})", path.display()),
        id,
        kind: DeviceKind::AudioInput,
        group_id: None,
        backend: Backend::File,
        capabilities: Capabilities::Audio(AudioCapabilities {
            modes: vec![AudioMode {
                channels: u16::try_from(channels).unwrap_or(u16::MAX),
                min_sample_rate: rate,
                max_sample_rate: rate,
            }],
        }),
    })
}

fn open_wav(path: &Path, id: &DeviceId) -> Result<WavSource<BufReader<File>>, CaptureError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CaptureError::NotFound(id.clone()),
        _ => CaptureError::Backend {
            backend: "file",
            message: format!("{}: {e}", path.display()),
        },
    })?;
    WavSource::new(BufReader::new(file)).map_err(|e| CaptureError::Backend {
        backend: "file",
        message: format!("{}: {e}", path.display()),
    })
}

/// The generated devices `enumerate_audio` lists (file devices need a path, so they are
/// made with [`DeviceInfo::wav_microphone`] and [`DeviceInfo::wav_speaker`]).
pub(crate) fn enumerate(out: &mut Vec<DeviceInfo>) {
    out.push(DeviceInfo::tone_microphone(LISTED_TONE_HZ));
    out.push(DeviceInfo::null_speaker());
}

/// What a generated device is, read back from its id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Generated {
    Tone(u32),
    WavMicrophone { path: PathBuf, looping: bool },
    NullSpeaker,
    WavSpeaker(PathBuf),
}

impl Generated {
    pub(crate) fn of(info: &DeviceInfo) -> Result<Self, CaptureError> {
        let id = info.id.as_str();
        let found = match (info.backend, info.kind) {
            (Backend::Synthetic, DeviceKind::AudioInput) => id
                .strip_prefix(TONE_PREFIX)
                .and_then(|hz| hz.strip_suffix("hz"))
                .and_then(|hz| hz.parse().ok())
                .map(Self::Tone),
            (Backend::Synthetic, DeviceKind::AudioOutput) => {
                (id == NULL_SPEAKER).then_some(Self::NullSpeaker)
            }
            (Backend::File, DeviceKind::AudioInput) => id
                .strip_prefix(WAV_PREFIX)
                .map(|p| (p, false))
                .or_else(|| id.strip_prefix(WAV_LOOP_PREFIX).map(|p| (p, true)))
                .map(|(path, looping)| Self::WavMicrophone {
                    path: path.into(),
                    looping,
                }),
            (Backend::File, DeviceKind::AudioOutput) => id
                .strip_prefix(WAV_PREFIX)
                .map(|p| Self::WavSpeaker(p.into())),
            _ => None,
        };
        found.ok_or_else(|| CaptureError::NotFound(info.id.clone()))
    }
}

/// Something a paced thread does every 10 ms.
pub(crate) trait Paced: Send + 'static {
    /// Produce or consume the 10 ms starting at `at`; false stops the device.
    fn tick(&mut self, at: Instant) -> bool;

    /// The thread is ending.
    fn finish(self: Box<Self>) {}
}

/// A thread running a [`Paced`] device; dropping it stops and joins the thread.
#[derive(Debug)]
pub(crate) struct PacedThread {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PacedThread {
    pub(crate) fn spawn(name: &str, device: Box<dyn Paced>) -> Result<Self, CaptureError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(device, &stopped))
            .map_err(|e| CaptureError::Backend {
                backend: "thread",
                message: e.to_string(),
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

fn run(mut device: Box<dyn Paced>, stop: &AtomicBool) {
    let mut at = crate::clock::now();
    while !stop.load(Ordering::Relaxed) {
        if !device.tick(at) {
            break;
        }
        at += TICK;
        let now = crate::clock::now();
        if now > at + MAX_LAG {
            at = now;
        }
        std::thread::sleep(at.saturating_duration_since(now));
    }
    device.finish();
}

impl Drop for PacedThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // A panic on the device thread has already been reported by the panic hook;
            // the device is stopped either way.
            let _ = thread.join();
        }
    }
}

/// The tone microphone.
pub(crate) struct ToneMicrophone {
    pub(crate) tone: ToneSource,
    pub(crate) settings: AudioSettings,
    pub(crate) sender: FrameSender<AudioFrame>,
}

impl ToneMicrophone {
    pub(crate) fn new(hz: u32, settings: AudioSettings, sender: FrameSender<AudioFrame>) -> Self {
        Self {
            tone: ToneSource::new(
                f64::from(hz),
                TONE_PEAK,
                settings.sample_rate,
                usize::from(settings.channels),
            ),
            settings,
            sender,
        }
    }
}

impl Paced for ToneMicrophone {
    fn tick(&mut self, at: Instant) -> bool {
        let mut samples =
            vec![0i16; self.settings.samples_per_frame() * usize::from(self.settings.channels)];
        self.tone.fill(&mut samples);
        self.sender.push(AudioFrame {
            samples,
            settings: self.settings,
            capture_time: at,
        })
    }
}

/// The WAV microphone.
pub(crate) struct WavMicrophone {
    id: DeviceId,
    path: PathBuf,
    looping: bool,
    source: WavSource<BufReader<File>>,
    converter: CaptureConverter,
    chunk: Vec<i16>,
    sender: FrameSender<AudioFrame>,
}

impl WavMicrophone {
    /// Opens the file (so a missing or bad one fails here, not on the thread).
    pub(crate) fn open(
        id: &DeviceId,
        path: PathBuf,
        looping: bool,
        settings: AudioSettings,
        sender: FrameSender<AudioFrame>,
    ) -> Result<Self, CaptureError> {
        let source = open_wav(&path, id)?;
        let native = NativeFormat {
            sample_rate: source.sample_rate(),
            channels: u16::try_from(source.channels()).map_err(|_| CaptureError::Backend {
                backend: "file",
                message: format!("{}: too many channels", path.display()),
            })?,
        };
        let converter = CaptureConverter::new(native, settings)?;
        let chunk = vec![0; (native.sample_rate / 100).max(1) as usize * source.channels()];
        Ok(Self {
            id: id.clone(),
            path,
            looping,
            source,
            converter,
            chunk,
            sender,
        })
    }

    pub(crate) fn native(&self) -> NativeFormat {
        NativeFormat {
            sample_rate: self.source.sample_rate(),
            channels: u16::try_from(self.source.channels()).unwrap_or(u16::MAX),
        }
    }

    pub(crate) fn delay(&self) -> Duration {
        self.converter.delay()
    }
}

impl Paced for WavMicrophone {
    fn tick(&mut self, at: Instant) -> bool {
        let n = self.source.fill(&mut self.chunk);
        let mut open = true;
        let sender = &self.sender;
        self.converter.push(&self.chunk[..n], at, |frame| {
            open &= sender.push(frame);
        });
        if n == self.chunk.len() {
            return open;
        }
        if !self.looping {
            // The file is over: the thread ends, the sender with it, and the consumer sees
            // `Ended` after the last frame.
            return false;
        }
        match open_wav(&self.path, &self.id) {
            Ok(source) => {
                self.source = source;
                open
            }
            Err(e) => {
                self.sender.push_error(e);
                false
            }
        }
    }
}

/// The null speaker and the WAV speaker: take 10 ms from the ring every 10 ms.
pub(crate) struct PacedSpeaker {
    pub(crate) ring: Arc<PlayoutRing>,
    pub(crate) chunk: Vec<i16>,
    pub(crate) file: Option<WavSink<BufWriter<File>>>,
    pub(crate) errors: ErrorSlot,
}

impl PacedSpeaker {
    pub(crate) fn new(
        ring: Arc<PlayoutRing>,
        settings: AudioSettings,
        file: Option<&Path>,
        errors: ErrorSlot,
    ) -> Result<Self, CaptureError> {
        let file = match file {
            None => None,
            Some(path) => {
                let backend_error = |message: String| CaptureError::Backend {
                    backend: "file",
                    message: format!("{}: {message}", path.display()),
                };
                let out = File::create(path).map_err(|e| backend_error(e.to_string()))?;
                Some(
                    WavSink::new(BufWriter::new(out), settings.sample_rate, settings.channels)
                        .map_err(|e| backend_error(e.to_string()))?,
                )
            }
        };
        Ok(Self {
            ring,
            chunk: vec![0; settings.samples_per_frame() * usize::from(settings.channels)],
            file,
            errors,
        })
    }
}

impl Paced for PacedSpeaker {
    fn tick(&mut self, _at: Instant) -> bool {
        self.ring.read(&mut self.chunk);
        if let Some(file) = self.file.as_mut() {
            file.write(&self.chunk);
        }
        true
    }

    fn finish(self: Box<Self>) {
        if let Some(file) = self.file
            && let Err(e) = file.finish()
            && let Ok(mut slot) = self.errors.lock()
        {
            *slot = Some(CaptureError::Backend {
                backend: "file",
                message: e.to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_devices_are_read_back_from_their_ids() {
        assert_eq!(
            Generated::of(&DeviceInfo::tone_microphone(1000)),
            Ok(Generated::Tone(1000))
        );
        assert_eq!(
            Generated::of(&DeviceInfo::null_speaker()),
            Ok(Generated::NullSpeaker)
        );
        assert_eq!(
            Generated::of(&DeviceInfo::wav_speaker("/tmp/out.wav")),
            Ok(Generated::WavSpeaker("/tmp/out.wav".into()))
        );
        // A tone id naming no frequency, or a speaker id on a microphone, is no device.
        let mut bad = DeviceInfo::tone_microphone(5);
        bad.id = DeviceId::new("synthetic:tone-loud");
        assert_eq!(
            Generated::of(&bad),
            Err(CaptureError::NotFound(bad.id.clone()))
        );
        let mut bad = DeviceInfo::null_speaker();
        bad.kind = DeviceKind::AudioInput;
        assert!(Generated::of(&bad).is_err());
    }

    #[test]
    fn a_missing_or_broken_wav_file_is_an_error_not_a_panic() {
        let missing = Path::new("/nonexistent/rtcweb/speech.wav");
        assert!(matches!(
            DeviceInfo::wav_microphone(missing),
            Err(CaptureError::NotFound(_))
        ));
        let dir = std::env::temp_dir().join(format!("rtcweb-capture-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.wav");
        std::fs::write(&bad, b"RIFF\x10\0\0\0WAVEnot a wav").unwrap();
        assert!(matches!(
            DeviceInfo::looping_wav_microphone(&bad),
            Err(CaptureError::Backend {
                backend: "file",
                ..
            })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
