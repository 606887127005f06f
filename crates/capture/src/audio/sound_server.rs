//! Sound devices through `cpal`: its ALSA host, and its PulseAudio host (PulseAudio's native
//! protocol spoken in Rust, so every sink and source of the server is listed by name,
//! `.monitor` sources included) when a server's socket is found (`PULSE_SERVER`,
//! `PULSE_RUNTIME_PATH`, `XDG_RUNTIME_DIR`).
//!
//! A stream runs on `cpal`'s own thread and calls back with each buffer: capture converts
//! and cuts frames into the [`FrameSender`]; playout takes from the [`PlayoutRing`].

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{
    BufferSize, FromSample, HostId, InputCallbackInfo, OutputCallbackInfo, Sample, SampleFormat,
    SizedSample, StreamConfig, SupportedBufferSize, SupportedStreamConfigRange,
};

use super::convert::{CaptureConverter, NativeFormat, frames_to_duration};
use super::ring::PlayoutRing;
use crate::device::{
    AudioCapabilities, AudioMode, Backend, Capabilities, DeviceId, DeviceInfo, DeviceKind,
};
use crate::error::CaptureError;
use crate::frame::{AudioFrame, AudioSettings};
use crate::stream::FrameSender;

/// How long building a stream may take before the server is taken for hung.
const BUILD_TIMEOUT: Duration = Duration::from_secs(3);

/// Sample formats we take from and give to devices, best first.
const FORMATS: [SampleFormat; 4] = [
    SampleFormat::I16,
    SampleFormat::F32,
    SampleFormat::I32,
    SampleFormat::U8,
];

/// The device's buffer latency, shared with its callback (nanoseconds).
#[derive(Debug, Default)]
pub(crate) struct LatencyCell(AtomicU64);

impl LatencyCell {
    pub(crate) fn set(&self, latency: Duration) {
        self.0.store(
            u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

fn device_id(host: HostId, name: &str) -> DeviceId {
    DeviceId::new(format!("audio:{host}:{name}"))
}

/// Lists the devices of every `cpal` host available here (none without a sound system).
pub(crate) fn enumerate(out: &mut Vec<DeviceInfo>) {
    for host_id in cpal::available_hosts() {
        let Ok(host) = cpal::host_from_id(host_id) else {
            continue;
        };
        let Ok(devices) = host.devices() else {
            continue;
        };
        for device in devices {
            let Ok(id) = device.id() else { continue };
            let label = device
                .description()
                .map(|d| d.name().to_owned())
                .unwrap_or_else(|_| id.id().to_owned());
            for (kind, ranges) in [
                (
                    DeviceKind::AudioInput,
                    device.supported_input_configs().map(|c| c.collect()),
                ),
                (
                    DeviceKind::AudioOutput,
                    device.supported_output_configs().map(|c| c.collect()),
                ),
            ] {
                let ranges: Vec<SupportedStreamConfigRange> = ranges.unwrap_or_default();
                if ranges.is_empty() {
                    continue;
                }
                out.push(DeviceInfo {
                    id: device_id(host_id, id.id()),
                    kind,
                    label: label.clone(),
                    group_id: None,
                    backend: Backend::Audio,
                    capabilities: Capabilities::Audio(capabilities(&ranges)),
                });
            }
        }
    }
}

/// Channel counts and rate ranges of the formats we convert, each once.
fn capabilities(ranges: &[SupportedStreamConfigRange]) -> AudioCapabilities {
    let mut modes: Vec<AudioMode> = Vec::new();
    for r in ranges
        .iter()
        .filter(|r| FORMATS.contains(&r.sample_format()))
    {
        let mode = AudioMode {
            channels: r.channels(),
            min_sample_rate: r.min_sample_rate(),
            max_sample_rate: r.max_sample_rate(),
        };
        if !modes.contains(&mode) {
            modes.push(mode);
        }
    }
    modes.sort_by_key(|m| (m.channels, m.min_sample_rate, m.max_sample_rate));
    AudioCapabilities { modes }
}

/// The device's configuration nearest to `wanted`: its exact rate and channel count where
/// a range holds them (then nothing needs converting), else the nearest channel count and
/// the rate clamped into the range; the best sample format among those.
pub(crate) fn choose_config(
    ranges: &[SupportedStreamConfigRange],
    wanted: AudioSettings,
) -> Option<(NativeFormat, SampleFormat, SupportedBufferSize)> {
    ranges
        .iter()
        .filter_map(|r| {
            let format_rank = FORMATS.iter().position(|&f| f == r.sample_format())?;
            let rate = wanted
                .sample_rate
                .clamp(r.min_sample_rate(), r.max_sample_rate());
            let cost = (
                r.channels().abs_diff(wanted.channels),
                rate.abs_diff(wanted.sample_rate),
                format_rank,
            );
            Some((cost, r, rate))
        })
        .min_by_key(|(cost, _, _)| *cost)
        .map(|(_, r, rate)| {
            (
                NativeFormat {
                    sample_rate: rate,
                    channels: r.channels(),
                },
                r.sample_format(),
                *r.buffer_size(),
            )
        })
}

/// How much a capture callback delivers: PulseAudio keeps at most one such fragment for a
/// late client (cpal's record buffer), so it must outlast a scheduling hiccup of a loaded
/// machine; small enough for a call.
const CAPTURE_PERIOD: Duration = Duration::from_millis(20);

/// How much a playout callback is asked for; the server buffers two of these. Under 40 ms
/// the server ran dry on a loaded two-core machine (silence in the middle of a tone); the
/// server's own default is two seconds.
const PLAYOUT_PERIOD: Duration = Duration::from_millis(100);

/// A buffer of `period` where the device accepts it, else the device's default.
fn buffer_size(
    native: NativeFormat,
    supported: SupportedBufferSize,
    period: Duration,
) -> BufferSize {
    let frames = u32::try_from(u128::from(native.sample_rate) * period.as_millis() / 1000)
        .unwrap_or(u32::MAX);
    match supported {
        SupportedBufferSize::Range { min, max } if (min..=max).contains(&frames) => {
            BufferSize::Fixed(frames)
        }
        _ => BufferSize::Default,
    }
}

fn map_error(id: &DeviceId, err: &cpal::Error) -> CaptureError {
    match err.kind() {
        cpal::ErrorKind::DeviceBusy => CaptureError::Busy(id.clone()),
        cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::StreamInvalidated => {
            CaptureError::Disconnected(id.clone())
        }
        _ => CaptureError::Backend {
            backend: "cpal",
            message: err.to_string(),
        },
    }
}

/// Errors after which a stream does not go on (the device or the server is gone). cpal's
/// hosts report others (an xrun, an ALSA call failing once under load) and keep the stream
/// running.
fn is_fatal(err: &cpal::Error) -> bool {
    matches!(
        err.kind(),
        cpal::ErrorKind::DeviceNotAvailable
            | cpal::ErrorKind::StreamInvalidated
            | cpal::ErrorKind::HostUnavailable
    )
}

/// The `cpal` device behind `info`, found again by its id.
fn find(info: &DeviceInfo) -> Result<cpal::Device, CaptureError> {
    let not_found = || CaptureError::NotFound(info.id.clone());
    let rest = info
        .id
        .as_str()
        .strip_prefix("audio:")
        .ok_or_else(not_found)?;
    let (host, name) = rest.split_once(':').ok_or_else(not_found)?;
    let host_id = HostId::from_str(host).map_err(|_| not_found())?;
    let host = cpal::host_from_id(host_id).map_err(|e| map_error(&info.id, &e))?;
    let devices = host.devices().map_err(|e| map_error(&info.id, &e))?;
    for device in devices {
        let matches_kind = match info.kind {
            DeviceKind::AudioInput => device.supports_input(),
            DeviceKind::AudioOutput => device.supports_output(),
            DeviceKind::VideoInput => false,
        };
        if matches_kind && device.id().is_ok_and(|id| id.id() == name) {
            return Ok(device);
        }
    }
    Err(not_found())
}

/// An open capture stream.
pub(crate) struct OpenInput {
    pub(crate) stream: cpal::Stream,
    pub(crate) native: NativeFormat,
    pub(crate) resampler_delay: Duration,
}

/// Opens `info` for capture: frames go to `sender`, the device buffer's latency to
/// `latency`.
pub(crate) fn open_input(
    info: &DeviceInfo,
    settings: AudioSettings,
    sender: FrameSender<AudioFrame>,
    latency: Arc<LatencyCell>,
) -> Result<OpenInput, CaptureError> {
    let device = find(info)?;
    let ranges: Vec<_> = device
        .supported_input_configs()
        .map_err(|e| map_error(&info.id, &e))?
        .collect();
    let (native, format, buffers) =
        choose_config(&ranges, settings).ok_or(CaptureError::Overconstrained {
            constraint: "sampleFormat",
        })?;
    let converter = CaptureConverter::new(native, settings)?;
    let resampler_delay = converter.delay();
    let sender = Arc::new(sender);
    // cpal 0.18.2's PulseAudio record stream dated every buffer exactly 100 ms back in every
    // run here: its latency estimate sat at the cap of its interpolation, as if its timing
    // query never came back. There the buffer's length is the better estimate.
    let trusted = device.id().is_ok_and(|id| id.host() != HostId::PulseAudio);
    let build = |buffer_size| {
        let config = StreamConfig {
            channels: native.channels,
            sample_rate: native.sample_rate,
            buffer_size,
        };
        // The converter moves into one callback; a retry builds a fresh one.
        let converter = CaptureConverter::new(native, settings)?;
        let (s, l) = (Arc::clone(&sender), Arc::clone(&latency));
        let on_error = error_callback(info.id.clone(), Arc::clone(&sender));
        let built = match format {
            SampleFormat::I16 => {
                build_input::<i16>(&device, config, trusted, converter, s, l, on_error)
            }
            SampleFormat::F32 => {
                build_input::<f32>(&device, config, trusted, converter, s, l, on_error)
            }
            SampleFormat::I32 => {
                build_input::<i32>(&device, config, trusted, converter, s, l, on_error)
            }
            _ => build_input::<u8>(&device, config, trusted, converter, s, l, on_error),
        };
        built.map_err(|e| map_error(&info.id, &e))
    };
    let wanted = buffer_size(native, buffers, CAPTURE_PERIOD);
    let stream = match build(wanted) {
        // Some ALSA devices refuse a fixed period that they list: take their default.
        Err(CaptureError::Backend { .. }) if wanted != BufferSize::Default => {
            build(BufferSize::Default)?
        }
        other => other?,
    };
    stream.play().map_err(|e| map_error(&info.id, &e))?;
    Ok(OpenInput {
        stream,
        native,
        resampler_delay,
    })
}

fn error_callback(
    id: DeviceId,
    sender: Arc<FrameSender<AudioFrame>>,
) -> impl FnMut(cpal::Error) + Send + 'static {
    move |err| {
        if is_fatal(&err) {
            sender.push_error(map_error(&id, &err));
            sender.end();
        } else {
            // Samples may be lost (an overrun); the stream goes on.
            sender.push_error(CaptureError::BadFrame(format!("{id}: {err}")));
        }
    }
}

fn build_input<T>(
    device: &cpal::Device,
    config: StreamConfig,
    trust_timestamps: bool,
    mut converter: CaptureConverter,
    sender: Arc<FrameSender<AudioFrame>>,
    latency: Arc<LatencyCell>,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    i16: FromSample<T>,
{
    let mut samples: Vec<i16> = Vec::new();
    let (channels, rate) = (usize::from(config.channels.max(1)), config.sample_rate);
    device.build_input_stream::<T, _, _>(
        config,
        move |data: &[T], info: &InputCallbackInfo| {
            let now = crate::clock::now();
            let stamp = info.timestamp();
            // How long ago the first sample of this buffer reached the device: at least the
            // buffer's own length.
            let length = frames_to_duration((data.len() / channels) as u64, rate);
            let age = if trust_timestamps {
                stamp
                    .callback
                    .saturating_duration_since(stamp.capture)
                    .max(length)
            } else {
                length
            };
            latency.set(age);
            let first = now.checked_sub(age).unwrap_or(now);
            samples.clear();
            samples.extend(data.iter().map(|&s| s.to_sample::<i16>()));
            converter.push(&samples, first, |frame| {
                sender.push(frame);
            });
        },
        on_error,
        Some(BUILD_TIMEOUT),
    )
}

/// What a playout stream's error callback leaves for the application.
pub(crate) type ErrorSlot = Arc<Mutex<Option<CaptureError>>>;

/// Opens `info` for playout from `ring`, which must be made for the returned format: the
/// caller learns the format first from [`output_format`].
pub(crate) fn open_output(
    info: &DeviceInfo,
    native: NativeFormat,
    format: SampleFormat,
    buffers: SupportedBufferSize,
    ring: Arc<PlayoutRing>,
    latency: Arc<LatencyCell>,
    errors: ErrorSlot,
) -> Result<cpal::Stream, CaptureError> {
    let device = find(info)?;
    let build = |buffer_size| {
        let config = StreamConfig {
            channels: native.channels,
            sample_rate: native.sample_rate,
            buffer_size,
        };
        let (r, l) = (Arc::clone(&ring), Arc::clone(&latency));
        let id = info.id.clone();
        let slot = Arc::clone(&errors);
        let xruns = Arc::clone(&ring);
        let on_error = move |err: cpal::Error| {
            if !is_fatal(&err) {
                // An underrun or a failed call: counted, the stream goes on.
                xruns.count_device_glitch();
            } else if let Ok(mut slot) = slot.lock() {
                *slot = Some(map_error(&id, &err));
            }
        };
        let built = match format {
            SampleFormat::I16 => build_output::<i16>(&device, config, r, l, on_error),
            SampleFormat::F32 => build_output::<f32>(&device, config, r, l, on_error),
            SampleFormat::I32 => build_output::<i32>(&device, config, r, l, on_error),
            _ => build_output::<u8>(&device, config, r, l, on_error),
        };
        built.map_err(|e| map_error(&info.id, &e))
    };
    let wanted = buffer_size(native, buffers, PLAYOUT_PERIOD);
    let stream = match build(wanted) {
        Err(CaptureError::Backend { .. }) if wanted != BufferSize::Default => {
            build(BufferSize::Default)?
        }
        other => other?,
    };
    stream.play().map_err(|e| map_error(&info.id, &e))?;
    Ok(stream)
}

/// The format `info` will be opened in for playout of `settings`.
pub(crate) fn output_format(
    info: &DeviceInfo,
    settings: AudioSettings,
) -> Result<(NativeFormat, SampleFormat, SupportedBufferSize), CaptureError> {
    let device = find(info)?;
    let ranges: Vec<_> = device
        .supported_output_configs()
        .map_err(|e| map_error(&info.id, &e))?
        .collect();
    choose_config(&ranges, settings).ok_or(CaptureError::Overconstrained {
        constraint: "sampleFormat",
    })
}

fn build_output<T>(
    device: &cpal::Device,
    config: StreamConfig,
    ring: Arc<PlayoutRing>,
    latency: Arc<LatencyCell>,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<i16>,
{
    let mut samples: Vec<i16> = Vec::new();
    device.build_output_stream::<T, _, _>(
        config,
        move |data: &mut [T], info: &OutputCallbackInfo| {
            let stamp = info.timestamp();
            latency.set(stamp.playback.saturating_duration_since(stamp.callback));
            samples.resize(data.len(), 0);
            ring.read(&mut samples);
            for (slot, &s) in data.iter_mut().zip(&samples) {
                *slot = s.to_sample::<T>();
            }
        },
        on_error,
        Some(BUILD_TIMEOUT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(
        channels: u16,
        min: u32,
        max: u32,
        format: SampleFormat,
    ) -> SupportedStreamConfigRange {
        SupportedStreamConfigRange::new(
            channels,
            min,
            max,
            SupportedBufferSize::Range { min: 64, max: 8192 },
            format,
        )
    }

    fn wanted(sample_rate: u32, channels: u16) -> AudioSettings {
        AudioSettings {
            sample_rate,
            channels,
        }
    }

    #[test]
    fn the_exact_mode_is_taken_where_a_range_holds_it() {
        let ranges = [
            range(2, 44_100, 44_100, SampleFormat::I16),
            range(1, 8000, 96_000, SampleFormat::F32),
            range(1, 8000, 96_000, SampleFormat::I16),
        ];
        let (native, format, _) = choose_config(&ranges, wanted(48_000, 1)).unwrap();
        assert_eq!((native.sample_rate, native.channels), (48_000, 1));
        assert_eq!(format, SampleFormat::I16);
    }

    #[test]
    fn otherwise_the_nearest_channels_then_rate() {
        // A stereo-only 44.1 kHz card: mono 48 kHz is converted from it.
        let ranges = [
            range(2, 44_100, 44_100, SampleFormat::I32),
            range(4, 48_000, 48_000, SampleFormat::I16),
        ];
        let (native, format, _) = choose_config(&ranges, wanted(48_000, 1)).unwrap();
        assert_eq!((native.sample_rate, native.channels), (44_100, 2));
        assert_eq!(format, SampleFormat::I32);
        // Formats we do not convert are never chosen.
        let only_f64 = [range(1, 48_000, 48_000, SampleFormat::F64)];
        assert_eq!(choose_config(&only_f64, wanted(48_000, 1)), None);
        assert_eq!(choose_config(&[], wanted(48_000, 1)), None);
    }

    #[test]
    fn capabilities_list_each_mode_once_without_formats_we_cannot_take() {
        let caps = capabilities(&[
            range(2, 8000, 48_000, SampleFormat::F32),
            range(2, 8000, 48_000, SampleFormat::I16),
            range(1, 8000, 48_000, SampleFormat::I16),
            range(6, 8000, 48_000, SampleFormat::F64),
        ]);
        assert_eq!(
            caps.modes,
            [
                AudioMode {
                    channels: 1,
                    min_sample_rate: 8000,
                    max_sample_rate: 48_000
                },
                AudioMode {
                    channels: 2,
                    min_sample_rate: 8000,
                    max_sample_rate: 48_000
                },
            ]
        );
    }

    #[test]
    fn the_period_is_asked_for_where_the_device_allows_it() {
        let native = NativeFormat {
            sample_rate: 48_000,
            channels: 2,
        };
        assert_eq!(
            buffer_size(
                native,
                SupportedBufferSize::Range { min: 64, max: 8192 },
                Duration::from_millis(10)
            ),
            BufferSize::Fixed(480)
        );
        assert_eq!(
            buffer_size(
                native,
                SupportedBufferSize::Range {
                    min: 1024,
                    max: 8192
                },
                Duration::from_millis(10)
            ),
            BufferSize::Default
        );
        assert_eq!(
            buffer_size(
                native,
                SupportedBufferSize::Unknown,
                Duration::from_millis(10)
            ),
            BufferSize::Default
        );
    }

    #[test]
    fn cpal_errors_map_to_busy_disconnected_or_backend() {
        let id = DeviceId::new("audio:alsa:hw:0,0");
        let err = |kind| cpal::Error::with_message(kind, "from the test");
        assert_eq!(
            map_error(&id, &err(cpal::ErrorKind::DeviceBusy)),
            CaptureError::Busy(id.clone())
        );
        for kind in [
            cpal::ErrorKind::DeviceNotAvailable,
            cpal::ErrorKind::StreamInvalidated,
        ] {
            assert_eq!(
                map_error(&id, &err(kind)),
                CaptureError::Disconnected(id.clone())
            );
            assert!(is_fatal(&err(kind)));
        }
        assert!(matches!(
            map_error(&id, &err(cpal::ErrorKind::PermissionDenied)),
            CaptureError::Backend {
                backend: "cpal",
                ..
            }
        ));
        // An xrun or a failed call is a glitch, not the end of the stream.
        assert!(!is_fatal(&err(cpal::ErrorKind::Xrun)));
        assert!(!is_fatal(&err(cpal::ErrorKind::BackendError)));
        assert!(is_fatal(&err(cpal::ErrorKind::HostUnavailable)));
    }

    #[test]
    fn ids_that_name_no_sound_device_are_not_found() {
        for id in ["audio:nosuchhost:x", "audio:", "synthetic:tone-440hz"] {
            let info = DeviceInfo {
                id: DeviceId::new(id),
                kind: DeviceKind::AudioInput,
                label: String::new(),
                group_id: None,
                backend: Backend::Audio,
                capabilities: Capabilities::Audio(AudioCapabilities::default()),
            };
            assert_eq!(
                find(&info).err(),
                Some(CaptureError::NotFound(info.id.clone()))
            );
        }
    }
}
