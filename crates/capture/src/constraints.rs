//! Constraints and the choice of a device and mode (W3C Media Capture and Streams,
//! `MediaTrackConstraints` and the SelectSettings algorithm).
//!
//! A constraint says what the application wants from a property: `exact`, `min` and `max`
//! are required (a mode outside them is never chosen), `ideal` only pulls. Every offered
//! mode gets a fitness distance (§"fitness distance": 0 for a perfect match, up to 1 per
//! constraint, infinite when a required bound is broken); the mode with the smallest sum
//! wins. Only offered modes are candidates: a camera is never asked for a size it did not
//! announce, so an ideal size that is not offered gives the nearest offered one.
//!
//! Ties (modes equally near, which is every mode when no ideal is given) are broken the way
//! the spec leaves to the user agent: the size nearer 640×480 (Chrome's default), then an
//! uncompressed format before MJPEG (no decoding, no JPEG artefacts), then the higher frame
//! rate. Audio's default sample rate is 48 kHz and its default channel count 1.

use std::cmp::Ordering;

use crate::device::{Capabilities, DeviceId, DeviceInfo, FrameRate, PixelFormat};
use crate::error::CaptureError;
use crate::frame::{AudioSettings, VideoSettings};

/// A whole-number constraint (`ConstrainULong`: width, height, sample rate, channel count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConstrainULong {
    /// The value must be exactly this.
    pub exact: Option<u32>,
    /// The value should be as near this as an offered mode allows.
    pub ideal: Option<u32>,
    /// The value must be at least this.
    pub min: Option<u32>,
    /// The value must be at most this.
    pub max: Option<u32>,
}

impl ConstrainULong {
    /// Exactly `value` (`{ exact: value }`).
    pub const fn exact(value: u32) -> Self {
        Self {
            exact: Some(value),
            ideal: None,
            min: None,
            max: None,
        }
    }

    /// As near `value` as possible (`{ ideal: value }`, or a bare number in a constraint).
    pub const fn ideal(value: u32) -> Self {
        Self {
            exact: None,
            ideal: Some(value),
            min: None,
            max: None,
        }
    }

    /// At least `value`.
    pub const fn min(value: u32) -> Self {
        Self {
            exact: None,
            ideal: None,
            min: Some(value),
            max: None,
        }
    }

    /// At most `value`.
    pub const fn max(value: u32) -> Self {
        Self {
            exact: None,
            ideal: None,
            min: None,
            max: Some(value),
        }
    }

    /// Between `min` and `max`, both included.
    pub const fn range(min: u32, max: u32) -> Self {
        Self {
            exact: None,
            ideal: None,
            min: Some(min),
            max: Some(max),
        }
    }

    fn as_double(self) -> ConstrainDouble {
        ConstrainDouble {
            exact: self.exact.map(f64::from),
            ideal: self.ideal.map(f64::from),
            min: self.min.map(f64::from),
            max: self.max.map(f64::from),
        }
    }
}

/// A constraint on a real number (`ConstrainDouble`: frame rate).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ConstrainDouble {
    /// The value must be exactly this.
    pub exact: Option<f64>,
    /// The value should be as near this as an offered mode allows.
    pub ideal: Option<f64>,
    /// The value must be at least this.
    pub min: Option<f64>,
    /// The value must be at most this.
    pub max: Option<f64>,
}

impl ConstrainDouble {
    /// Exactly `value`.
    pub const fn exact(value: f64) -> Self {
        Self {
            exact: Some(value),
            ideal: None,
            min: None,
            max: None,
        }
    }

    /// As near `value` as possible.
    pub const fn ideal(value: f64) -> Self {
        Self {
            exact: None,
            ideal: Some(value),
            min: None,
            max: None,
        }
    }

    /// At least `value`.
    pub const fn min(value: f64) -> Self {
        Self {
            exact: None,
            ideal: None,
            min: Some(value),
            max: None,
        }
    }

    /// At most `value`.
    pub const fn max(value: f64) -> Self {
        Self {
            exact: None,
            ideal: None,
            min: None,
            max: Some(value),
        }
    }

    /// Between `min` and `max`, both included.
    pub const fn range(min: f64, max: f64) -> Self {
        Self {
            exact: None,
            ideal: None,
            min: Some(min),
            max: Some(max),
        }
    }

    /// Whether `value` satisfies the required parts (`exact`, `min`, `max`). Frame rates are
    /// fractions (30000/1001), so "exact" allows a thousandth of a frame per second.
    fn allows(&self, value: f64) -> bool {
        const SLACK: f64 = 1e-3;
        self.exact.is_none_or(|e| (value - e).abs() <= SLACK)
            && self.min.is_none_or(|m| value >= m - SLACK)
            && self.max.is_none_or(|m| value <= m + SLACK)
    }

    /// The fitness distance of `value` (§"fitness distance", step 7): infinite when a
    /// required part fails, else `|actual - ideal| / max(|actual|, |ideal|)`, 0 without an
    /// ideal.
    fn distance(&self, value: f64) -> f64 {
        if !self.allows(value) {
            return f64::INFINITY;
        }
        match self.ideal {
            Some(ideal) => relative_distance(value, ideal),
            None => 0.0,
        }
    }
}

/// `|a - b| / max(|a|, |b|)`, 0 when both are 0.
fn relative_distance(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// A constraint on the device (`ConstrainDOMString` for `deviceId`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConstrainDeviceId {
    /// Only this device.
    pub exact: Option<DeviceId>,
    /// This device if it is there and fits the other constraints, else another.
    pub ideal: Option<DeviceId>,
}

impl ConstrainDeviceId {
    /// Only the device `id`.
    pub fn exact(id: DeviceId) -> Self {
        Self {
            exact: Some(id),
            ideal: None,
        }
    }

    /// The device `id` if possible.
    pub fn ideal(id: DeviceId) -> Self {
        Self {
            exact: None,
            ideal: Some(id),
        }
    }

    fn allows(&self, id: &DeviceId) -> bool {
        self.exact.as_ref().is_none_or(|e| e == id)
    }

    /// A string constraint's distance is 1 when the ideal is not met (§"fitness distance",
    /// step 8).
    fn distance(&self, id: &DeviceId) -> f64 {
        if !self.allows(id) {
            f64::INFINITY
        } else if self.ideal.as_ref().is_some_and(|i| i != id) {
            1.0
        } else {
            0.0
        }
    }
}

/// What the application asks of a camera (the video members of `MediaTrackConstraints`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VideoConstraints {
    /// Which camera.
    pub device_id: ConstrainDeviceId,
    /// Picture width in pixels.
    pub width: ConstrainULong,
    /// Picture height in pixels.
    pub height: ConstrainULong,
    /// Frames per second.
    pub frame_rate: ConstrainDouble,
}

/// What the application asks of a microphone or a speaker (the audio members of
/// `MediaTrackConstraints`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AudioConstraints {
    /// Which device.
    pub device_id: ConstrainDeviceId,
    /// Samples per second.
    pub sample_rate: ConstrainULong,
    /// Channels.
    pub channel_count: ConstrainULong,
}

/// Default size a camera opens at when the constraints leave it free (Chrome's).
const DEFAULT_SIZE: (u32, u32) = (640, 480);
/// Default audio sample rate and channel count when the constraints leave them free.
const DEFAULT_SAMPLE_RATE: u32 = 48_000;
const DEFAULT_CHANNELS: u32 = 1;

/// One candidate: a device and settings it offers.
struct Candidate<'a, S> {
    device: &'a DeviceInfo,
    settings: S,
}

/// A required check, by the W3C name of its constraint.
type Check<'c, 'a, S> = (&'static str, &'c dyn Fn(&Candidate<'a, S>) -> bool);

/// Narrows `candidates` by each required check in turn; the first check that leaves none
/// is the constraint reported (W3C `OverconstrainedError.constraint`).
fn narrow<'a, S>(
    mut candidates: Vec<Candidate<'a, S>>,
    checks: &[Check<'_, 'a, S>],
) -> Result<Vec<Candidate<'a, S>>, CaptureError> {
    for (name, check) in checks {
        candidates.retain(|c| check(c));
        if candidates.is_empty() {
            return Err(CaptureError::Overconstrained { constraint: name });
        }
    }
    Ok(candidates)
}

/// Chooses the camera and mode that fit `constraints` best among the video devices of
/// `devices` (W3C SelectSettings). Errors: [`CaptureError::NotFound`] (with the id
/// `videoinput`) when there is no camera at all, [`CaptureError::Overconstrained`] naming
/// the first constraint (in the order deviceId, width, height, frameRate) no offered mode
/// meets.
pub fn select_video(
    devices: &[DeviceInfo],
    constraints: &VideoConstraints,
) -> Result<(DeviceInfo, VideoSettings), CaptureError> {
    let mut candidates = Vec::new();
    for device in devices {
        let Capabilities::Video(caps) = &device.capabilities else {
            continue;
        };
        for mode in &caps.modes {
            for &frame_rate in &mode.frame_rates {
                candidates.push(Candidate {
                    device,
                    settings: VideoSettings {
                        format: mode.format,
                        width: mode.width,
                        height: mode.height,
                        frame_rate,
                    },
                });
            }
        }
    }
    if candidates.is_empty() {
        return Err(CaptureError::NotFound(DeviceId::new("videoinput")));
    }
    let (width, height) = (
        constraints.width.as_double(),
        constraints.height.as_double(),
    );
    let rate = constraints.frame_rate;
    let candidates = narrow(
        candidates,
        &[
            ("deviceId", &|c| constraints.device_id.allows(&c.device.id)),
            ("width", &|c| width.allows(f64::from(c.settings.width))),
            ("height", &|c| height.allows(f64::from(c.settings.height))),
            ("frameRate", &|c| {
                rate.allows(c.settings.frame_rate.as_f64())
            }),
        ],
    )?;
    let distance = |c: &Candidate<'_, VideoSettings>| {
        constraints.device_id.distance(&c.device.id)
            + width.distance(f64::from(c.settings.width))
            + height.distance(f64::from(c.settings.height))
            + rate.distance(c.settings.frame_rate.as_f64())
    };
    // Tie-breakers, for the properties the constraints leave free.
    let default_size = |s: &VideoSettings| {
        let w = if width.ideal.is_none() {
            relative_distance(f64::from(s.width), f64::from(DEFAULT_SIZE.0))
        } else {
            0.0
        };
        let h = if height.ideal.is_none() {
            relative_distance(f64::from(s.height), f64::from(DEFAULT_SIZE.1))
        } else {
            0.0
        };
        w + h
    };
    let best = candidates
        .into_iter()
        .map(|c| (distance(&c), c))
        .min_by(|(da, a), (db, b)| {
            da.total_cmp(db)
                .then_with(|| default_size(&a.settings).total_cmp(&default_size(&b.settings)))
                .then_with(|| compressed(a.settings.format).cmp(&compressed(b.settings.format)))
                .then_with(|| compare_rates(b.settings.frame_rate, a.settings.frame_rate))
        })
        .map(|(_, c)| c);
    // `narrow` left at least one candidate.
    let best = best.ok_or(CaptureError::NotFound(DeviceId::new("videoinput")))?;
    Ok((best.device.clone(), best.settings))
}

fn compressed(format: PixelFormat) -> bool {
    matches!(format, PixelFormat::Mjpeg)
}

fn compare_rates(a: FrameRate, b: FrameRate) -> Ordering {
    a.as_f64().total_cmp(&b.as_f64())
}

/// Chooses the audio device and settings that fit `constraints` best among the devices of
/// `devices` with audio capabilities (pass the inputs to open a microphone, the outputs to
/// open a speaker). A device's mode offers a range of sample rates: the rate chosen in it is
/// the exact one, else the ideal (48 kHz by default) clamped into the range and the
/// constraint's bounds. Errors as [`select_video`], with the id `audio` for no device and
/// the order deviceId, sampleRate, channelCount.
pub fn select_audio(
    devices: &[DeviceInfo],
    constraints: &AudioConstraints,
) -> Result<(DeviceInfo, AudioSettings), CaptureError> {
    let rate = constraints.sample_rate.as_double();
    let channels = constraints.channel_count.as_double();
    let mut candidates = Vec::new();
    for device in devices {
        let Capabilities::Audio(caps) = &device.capabilities else {
            continue;
        };
        for mode in &caps.modes {
            if mode.min_sample_rate > mode.max_sample_rate {
                continue;
            }
            let lo = constraints
                .sample_rate
                .min
                .unwrap_or(0)
                .max(mode.min_sample_rate);
            let hi = constraints
                .sample_rate
                .max
                .unwrap_or(u32::MAX)
                .min(mode.max_sample_rate);
            let want = constraints
                .sample_rate
                .exact
                .or(constraints.sample_rate.ideal)
                .unwrap_or(DEFAULT_SAMPLE_RATE);
            // An empty intersection keeps the mode's own nearest rate: the required check
            // below then rejects it and names sampleRate.
            let sample_rate = if lo <= hi {
                want.clamp(lo, hi)
            } else {
                want.clamp(mode.min_sample_rate, mode.max_sample_rate)
            };
            candidates.push(Candidate {
                device,
                settings: AudioSettings {
                    sample_rate,
                    channels: mode.channels,
                },
            });
        }
    }
    if candidates.is_empty() {
        return Err(CaptureError::NotFound(DeviceId::new("audio")));
    }
    let candidates = narrow(
        candidates,
        &[
            ("deviceId", &|c| constraints.device_id.allows(&c.device.id)),
            ("sampleRate", &|c| {
                rate.allows(f64::from(c.settings.sample_rate))
            }),
            ("channelCount", &|c| {
                channels.allows(f64::from(c.settings.channels))
            }),
        ],
    )?;
    let distance = |c: &Candidate<'_, AudioSettings>| {
        constraints.device_id.distance(&c.device.id)
            + rate.distance(f64::from(c.settings.sample_rate))
            + channels.distance(f64::from(c.settings.channels))
    };
    let default_distance = |s: &AudioSettings| {
        let r = if rate.ideal.is_none() {
            relative_distance(f64::from(s.sample_rate), f64::from(DEFAULT_SAMPLE_RATE))
        } else {
            0.0
        };
        let c = if channels.ideal.is_none() {
            relative_distance(f64::from(s.channels), f64::from(DEFAULT_CHANNELS))
        } else {
            0.0
        };
        r + c
    };
    let best = candidates
        .into_iter()
        .map(|c| (distance(&c), c))
        .min_by(|(da, a), (db, b)| {
            da.total_cmp(db).then_with(|| {
                default_distance(&a.settings).total_cmp(&default_distance(&b.settings))
            })
        })
        .map(|(_, c)| c)
        .ok_or(CaptureError::NotFound(DeviceId::new("audio")))?;
    Ok((best.device.clone(), best.settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{
        AudioCapabilities, AudioMode, Backend, DeviceKind, VideoCapabilities, VideoMode,
    };
    use proptest::prelude::*;

    fn mode(format: PixelFormat, width: u32, height: u32, rates: &[u32]) -> VideoMode {
        VideoMode {
            format,
            width,
            height,
            frame_rates: rates.iter().map(|&r| FrameRate::per_second(r)).collect(),
        }
    }

    fn camera(id: &str, modes: Vec<VideoMode>) -> DeviceInfo {
        DeviceInfo {
            id: DeviceId::new(id),
            kind: DeviceKind::VideoInput,
            label: id.to_owned(),
            group_id: None,
            backend: Backend::Synthetic,
            capabilities: Capabilities::Video(VideoCapabilities { modes }),
        }
    }

    /// A typical USB camera: YUYV up to 640x480 at 30, 1280x720 YUYV only at 10, MJPEG up to
    /// 1920x1080 at 30.
    fn usb_camera() -> DeviceInfo {
        camera(
            "v4l2:usb-1",
            vec![
                mode(PixelFormat::Yuyv, 640, 480, &[30, 15]),
                mode(PixelFormat::Yuyv, 320, 240, &[30]),
                mode(PixelFormat::Yuyv, 1280, 720, &[10]),
                mode(PixelFormat::Mjpeg, 640, 480, &[30]),
                mode(PixelFormat::Mjpeg, 1280, 720, &[30]),
                mode(PixelFormat::Mjpeg, 1920, 1080, &[30]),
            ],
        )
    }

    fn microphone(id: &str, modes: &[(u16, u32, u32)]) -> DeviceInfo {
        DeviceInfo {
            id: DeviceId::new(id),
            kind: DeviceKind::AudioInput,
            label: id.to_owned(),
            group_id: None,
            backend: Backend::Audio,
            capabilities: Capabilities::Audio(AudioCapabilities {
                modes: modes
                    .iter()
                    .map(|&(channels, min, max)| AudioMode {
                        channels,
                        min_sample_rate: min,
                        max_sample_rate: max,
                    })
                    .collect(),
            }),
        }
    }

    fn video(constraints: VideoConstraints) -> Result<VideoSettings, CaptureError> {
        select_video(&[usb_camera()], &constraints).map(|(_, s)| s)
    }

    #[test]
    fn no_constraints_give_the_default_size_uncompressed() {
        let s = video(VideoConstraints::default()).unwrap();
        assert_eq!(
            (s.format, s.width, s.height, s.frame_rate),
            (PixelFormat::Yuyv, 640, 480, FrameRate::per_second(30))
        );
    }

    #[test]
    fn an_ideal_size_not_offered_gives_the_nearest_offered_one() {
        let s = video(VideoConstraints {
            width: ConstrainULong::ideal(1200),
            height: ConstrainULong::ideal(700),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.width, s.height), (1280, 720));
    }

    #[test]
    fn the_ideal_frame_rate_pulls_to_mjpeg_where_yuyv_is_slow() {
        let s = video(VideoConstraints {
            width: ConstrainULong::ideal(1280),
            height: ConstrainULong::ideal(720),
            frame_rate: ConstrainDouble::ideal(30.0),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (s.format, s.width, s.frame_rate.numerator),
            (PixelFormat::Mjpeg, 1280, 30)
        );
    }

    #[test]
    fn at_equal_distance_uncompressed_and_then_the_higher_rate_win() {
        // 1280x720 without a rate: YUYV at 10 beats MJPEG at 30 (same size, uncompressed).
        let s = video(VideoConstraints {
            width: ConstrainULong::exact(1280),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.format, s.frame_rate.numerator), (PixelFormat::Yuyv, 10));
        // 640x480 YUYV offers 30 and 15: the higher.
        let s = video(VideoConstraints {
            width: ConstrainULong::exact(640),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.format, s.frame_rate.numerator), (PixelFormat::Yuyv, 30));
    }

    #[test]
    fn exact_min_and_max_restrict() {
        let s = video(VideoConstraints {
            width: ConstrainULong::range(1000, 1500),
            frame_rate: ConstrainDouble::range(20.0, 60.0),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.format, s.width), (PixelFormat::Mjpeg, 1280));
        let s = video(VideoConstraints {
            height: ConstrainULong::exact(1080),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.height, 1080);
        let s = video(VideoConstraints {
            frame_rate: ConstrainDouble::exact(15.0),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.width, s.frame_rate.numerator), (640, 15));
    }

    #[test]
    fn overconstrained_names_the_constraint_that_failed() {
        let err = |c: VideoConstraints| video(c).unwrap_err();
        assert_eq!(
            err(VideoConstraints {
                width: ConstrainULong::exact(800),
                ..Default::default()
            }),
            CaptureError::Overconstrained {
                constraint: "width"
            }
        );
        assert_eq!(
            err(VideoConstraints {
                width: ConstrainULong::exact(1920),
                height: ConstrainULong::max(720),
                ..Default::default()
            }),
            CaptureError::Overconstrained {
                constraint: "height"
            }
        );
        assert_eq!(
            err(VideoConstraints {
                width: ConstrainULong::exact(1280),
                frame_rate: ConstrainDouble::min(60.0),
                ..Default::default()
            }),
            CaptureError::Overconstrained {
                constraint: "frameRate"
            }
        );
        assert_eq!(
            err(VideoConstraints {
                device_id: ConstrainDeviceId::exact(DeviceId::new("v4l2:other")),
                ..Default::default()
            }),
            CaptureError::Overconstrained {
                constraint: "deviceId"
            }
        );
        assert_eq!(
            select_video(&[], &VideoConstraints::default()).unwrap_err(),
            CaptureError::NotFound(DeviceId::new("videoinput"))
        );
    }

    #[test]
    fn device_id_exact_picks_and_ideal_prefers() {
        let small = camera(
            "synthetic:small",
            vec![mode(PixelFormat::I420, 320, 240, &[30])],
        );
        let devices = [usb_camera(), small];
        let (d, _) = select_video(
            &devices,
            &VideoConstraints {
                device_id: ConstrainDeviceId::exact(DeviceId::new("synthetic:small")),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(d.id.as_str(), "synthetic:small");
        let (d, _) = select_video(
            &devices,
            &VideoConstraints {
                device_id: ConstrainDeviceId::ideal(DeviceId::new("synthetic:small")),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(d.id.as_str(), "synthetic:small");
        // An ideal device that cannot meet a required size gives way to one that can.
        let (d, s) = select_video(
            &devices,
            &VideoConstraints {
                device_id: ConstrainDeviceId::ideal(DeviceId::new("synthetic:small")),
                width: ConstrainULong::exact(1920),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((d.id.as_str(), s.width), ("v4l2:usb-1", 1920));
    }

    #[test]
    fn ntsc_rates_meet_an_exact_rounded_rate_only_within_a_thousandth() {
        let cam = camera(
            "c",
            vec![VideoMode {
                format: PixelFormat::Yuyv,
                width: 640,
                height: 480,
                frame_rates: vec![FrameRate {
                    numerator: 30000,
                    denominator: 1001,
                }],
            }],
        );
        let exact = |fps| {
            select_video(
                std::slice::from_ref(&cam),
                &VideoConstraints {
                    frame_rate: ConstrainDouble::exact(fps),
                    ..Default::default()
                },
            )
        };
        assert!(exact(29.97).is_ok());
        assert!(exact(30.0).is_err());
    }

    #[test]
    fn audio_picks_a_rate_inside_the_range_and_the_channels_asked() {
        let mics = [microphone(
            "audio:mic",
            &[(1, 8_000, 48_000), (2, 44_100, 96_000)],
        )];
        let pick = |c: AudioConstraints| select_audio(&mics, &c).map(|(_, s)| s);
        assert_eq!(
            pick(AudioConstraints::default()).unwrap(),
            AudioSettings {
                sample_rate: 48_000,
                channels: 1
            }
        );
        assert_eq!(
            pick(AudioConstraints {
                sample_rate: ConstrainULong::ideal(16_000),
                ..Default::default()
            })
            .unwrap(),
            AudioSettings {
                sample_rate: 16_000,
                channels: 1
            }
        );
        // Stereo exists only from 44.1 kHz: an ideal of 16 kHz gives 44.1 kHz.
        assert_eq!(
            pick(AudioConstraints {
                sample_rate: ConstrainULong::ideal(16_000),
                channel_count: ConstrainULong::exact(2),
                ..Default::default()
            })
            .unwrap(),
            AudioSettings {
                sample_rate: 44_100,
                channels: 2
            }
        );
        assert_eq!(
            pick(AudioConstraints {
                sample_rate: ConstrainULong::min(100_000),
                ..Default::default()
            })
            .unwrap_err(),
            CaptureError::Overconstrained {
                constraint: "sampleRate"
            }
        );
        assert_eq!(
            pick(AudioConstraints {
                channel_count: ConstrainULong::exact(6),
                ..Default::default()
            })
            .unwrap_err(),
            CaptureError::Overconstrained {
                constraint: "channelCount"
            }
        );
        assert_eq!(
            select_audio(&[], &AudioConstraints::default()).unwrap_err(),
            CaptureError::NotFound(DeviceId::new("audio"))
        );
    }

    fn opt<T: std::fmt::Debug + Clone>(
        s: impl Strategy<Value = T>,
    ) -> impl Strategy<Value = Option<T>> {
        prop::option::weighted(0.3, s)
    }

    fn ulong() -> impl Strategy<Value = ConstrainULong> {
        (
            opt(100u32..2000),
            opt(100u32..2000),
            opt(100u32..2000),
            opt(100u32..2000),
        )
            .prop_map(|(exact, ideal, min, max)| ConstrainULong {
                exact,
                ideal,
                min,
                max,
            })
    }

    proptest! {
        /// Whatever is chosen meets every exact, min and max given; an error only comes when
        /// no offered mode meets them all.
        #[test]
        fn the_chosen_mode_satisfies_every_required_bound(
            width in ulong(),
            height in ulong(),
            rate in (opt(1.0f64..61.0), opt(1.0f64..61.0), opt(1.0f64..61.0), opt(1.0f64..61.0)),
            sizes in prop::collection::vec((100u32..2000, 100u32..2000, 1u32..61), 1..12),
        ) {
            let frame_rate = ConstrainDouble { exact: rate.0, ideal: rate.1, min: rate.2, max: rate.3 };
            let modes: Vec<_> = sizes
                .iter()
                .map(|&(w, h, r)| mode(PixelFormat::Yuyv, w, h, &[r]))
                .collect();
            let cam = camera("c", modes.clone());
            let constraints = VideoConstraints { width, height, frame_rate, ..Default::default() };
            let ok = |w: u32, h: u32, r: f64| {
                width.as_double().allows(f64::from(w))
                    && height.as_double().allows(f64::from(h))
                    && frame_rate.allows(r)
            };
            let any_fits = modes.iter().any(|m| ok(m.width, m.height, m.frame_rates[0].as_f64()));
            match select_video(&[cam], &constraints) {
                Ok((_, s)) => {
                    prop_assert!(ok(s.width, s.height, s.frame_rate.as_f64()));
                    if let Some(e) = width.exact { prop_assert_eq!(s.width, e); }
                    if let Some(m) = width.min { prop_assert!(s.width >= m); }
                    if let Some(m) = width.max { prop_assert!(s.width <= m); }
                    if let Some(e) = height.exact { prop_assert_eq!(s.height, e); }
                    if let Some(m) = height.min { prop_assert!(s.height >= m); }
                    if let Some(m) = height.max { prop_assert!(s.height <= m); }
                }
                Err(CaptureError::Overconstrained { .. }) => prop_assert!(!any_fits),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }

        #[test]
        fn the_chosen_audio_rate_satisfies_every_required_bound(
            rate in ulong().prop_map(|c| ConstrainULong {
                exact: c.exact.map(|v| v * 50),
                ideal: c.ideal.map(|v| v * 50),
                min: c.min.map(|v| v * 50),
                max: c.max.map(|v| v * 50),
            }),
            ranges in prop::collection::vec((1u16..3, 8_000u32..96_000, 0u32..50_000), 1..5),
        ) {
            let mic = microphone(
                "m",
                &ranges.iter().map(|&(c, lo, span)| (c, lo, lo + span)).collect::<Vec<_>>(),
            );
            let c = AudioConstraints { sample_rate: rate, ..Default::default() };
            let lo = rate.min.unwrap_or(0);
            let hi = rate.max.unwrap_or(u32::MAX);
            let any_fits = ranges.iter().any(|&(_, mlo, span)| match rate.exact {
                Some(e) => (mlo..=mlo + span).contains(&e) && (lo..=hi).contains(&e),
                None => lo.max(mlo) <= hi.min(mlo + span),
            });
            match select_audio(&[mic], &c) {
                Ok((_, s)) => {
                    prop_assert!(rate.as_double().allows(f64::from(s.sample_rate)));
                    let offered = ranges.iter().any(|&(ch, lo, span)| {
                        ch == s.channels && (lo..=lo + span).contains(&s.sample_rate)
                    });
                    prop_assert!(offered);
                }
                Err(CaptureError::Overconstrained { .. }) => prop_assert!(!any_fits),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
