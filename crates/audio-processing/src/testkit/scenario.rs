//! The scenarios of issue 18, built from the same speech every time, a runner that feeds any
//! canceller 10 ms frames, and the figures measured on its output.

use std::ops::Range;

use super::TestkitError;
use super::metrics::{
    active_frames, best_lag, erle_over, level_db, segmental_snr_db, time_to_erle,
};
use super::signals::{
    active_rms, convolve, drift, noise, room, scale_to, soft_clip, speak, to_f32, to_i16,
};

/// What the far end says (two voices, one after the other).
const FAR_TEXT: [(&str, &str); 2] = [
    (
        "en-us+m3",
        "The quick brown fox jumps over the lazy dog while the committee reviews the budget \
         for the coming year. Please remember to bring the printed reports to the meeting on \
         Thursday, and ask the engineers whether the new amplifier has arrived.",
    ),
    (
        "en-gb+f3",
        "Yesterday the weather changed suddenly, and the rain kept everyone indoors until the \
         late afternoon. We talked about the garden, the neighbours, and the long journey to \
         the coast that we are planning for the summer holidays.",
    ),
];

/// What the near end says (two other voices).
const NEAR_TEXT: [(&str, &str); 2] = [
    (
        "en-gb-scotland+m1",
        "Hello, can you hear me? I think there is a problem with the connection on my side.",
    ),
    (
        "en-us+f2",
        "Could you repeat the last number, please? I wrote down seven hundred and twelve.",
    ),
];

/// Length of every scenario.
pub const DURATION_S: f64 = 20.0;
/// When the far end starts talking.
pub const FAR_START_S: f64 = 0.5;
/// Active level of the far end's speech as sent to the loudspeaker, dBFS.
pub const RENDER_LEVEL_DB: f32 = -20.0;
/// Active level of the near-end talker and of the echo at the microphone, dBFS (a loud
/// speakerphone: the echo is as loud as the talker).
pub const TALKER_LEVEL_DB: f32 = -26.0;
/// Background noise at the microphone, dBFS RMS: 30 dB below the talker.
pub const NOISE_LEVEL_DB: f32 = -56.0;

/// The speech every scenario is made of, at one sample rate.
#[derive(Debug, Clone)]
pub struct Speech {
    /// Sample rate, Hz.
    pub rate: u32,
    /// Far-end speech, [`DURATION_S`] long, silent before [`FAR_START_S`].
    pub far: Vec<f32>,
    /// Near-end speech, unscaled, as long as it is.
    pub near: Vec<f32>,
}

impl Speech {
    /// Speaks the far- and near-end texts with espeak-ng at `rate` Hz (WAV files in a
    /// temporary directory, read back).
    pub fn new(rate: u32) -> Result<Self, TestkitError> {
        let dir = tempfile::tempdir()?;
        let total = samples(rate, DURATION_S);
        let mut far = vec![0.0; samples(rate, FAR_START_S)];
        // The far end talks on, the texts over and over, until the end.
        'outer: loop {
            for (voice, text) in FAR_TEXT {
                far.extend(speak(voice, text, rate, dir.path())?);
                if far.len() >= total {
                    break 'outer;
                }
            }
        }
        far.truncate(total);
        let mut near = Vec::new();
        for (voice, text) in NEAR_TEXT {
            near.extend(speak(voice, text, rate, dir.path())?);
        }
        scale_to(&mut far, rate, RENDER_LEVEL_DB);
        scale_to(&mut near, rate, TALKER_LEVEL_DB);
        Ok(Self { rate, far, near })
    }
}

/// Which of issue 18's situations a scenario is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The far end talks, the near end is silent; RT60 200 ms.
    FarSingleTalk,
    /// The near end talks over the far end from 12 s to 18 s; RT60 400 ms.
    DoubleTalk,
    /// The room changes at 10 s (RT60 300 ms, then another room of 500 ms).
    PathChange,
    /// A loudspeaker driven into soft clipping; RT60 300 ms.
    ClippingLoudspeaker,
    /// The capture clock runs 100 ppm fast; RT60 400 ms.
    ClockDrift,
    /// The echo arrives 250 ms after the render; RT60 600 ms.
    Delay250,
}

impl Kind {
    /// Every scenario.
    pub const ALL: [Self; 6] = [
        Self::FarSingleTalk,
        Self::DoubleTalk,
        Self::PathChange,
        Self::ClippingLoudspeaker,
        Self::ClockDrift,
        Self::Delay250,
    ];

    /// Short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::FarSingleTalk => "far single talk",
            Self::DoubleTalk => "double talk",
            Self::PathChange => "echo path change",
            Self::ClippingLoudspeaker => "clipping speaker",
            Self::ClockDrift => "clock drift 100ppm",
            Self::Delay250 => "delay 250 ms",
        }
    }
}

/// One scenario's signals and the times that matter in it.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Which one.
    pub kind: Kind,
    /// Sample rate, Hz.
    pub rate: u32,
    /// What the loudspeaker is given (the render reference).
    pub render: Vec<i16>,
    /// What the microphone hears: echo, background noise and, in double talk, the talker.
    pub capture: Vec<i16>,
    /// The microphone's signal without the near-end talker (echo and noise): the numerator
    /// of ERLE.
    pub mic_without_talker: Vec<f32>,
    /// The microphone's signal without the echo (talker and noise): what a perfect canceller
    /// gives.
    pub without_echo: Vec<f32>,
    /// Which 10 ms frames carry echo.
    pub echo_active: Vec<bool>,
    /// Which 10 ms frames carry the near-end talker.
    pub talker_active: Vec<bool>,
    /// Which 10 ms frames hold the background noise alone: echo and talker together at
    /// least 10 dB below the noise in the frame and in the two frames either side (so a
    /// processor's latency and analysis window of up to two frames do not bring speech into
    /// them).
    pub noise_only: Vec<bool>,
    /// Where ERLE "after convergence" is measured (samples).
    pub converged: Range<usize>,
    /// Sample at which the far end starts.
    pub far_start: usize,
    /// Sample at which the echo path changes, if it does.
    pub path_change: Option<usize>,
    /// Samples during which the near end talks over the far end, if it does.
    pub double_talk: Option<Range<usize>>,
}

/// Rooms: (delay s, RT60 s, direct-to-reverberant ratio dB, seed).
type Room = (f64, f64, f64, u64);

impl Scenario {
    /// Builds scenario `kind` from `speech`.
    pub fn new(kind: Kind, speech: &Speech) -> Result<Self, TestkitError> {
        Self::build(kind, speech, true)
    }

    /// Scenario `kind` without the background noise: the microphone hears the echo (and in
    /// double talk the talker) alone, so ERLE measured on it is the echo's power in against
    /// the echo's power out, with no noise on either side.
    pub fn without_noise(kind: Kind, speech: &Speech) -> Result<Self, TestkitError> {
        Self::build(kind, speech, false)
    }

    fn build(kind: Kind, speech: &Speech, with_noise: bool) -> Result<Self, TestkitError> {
        let rate = speech.rate;
        let total = samples(rate, DURATION_S);
        let at = |s: f64| samples(rate, s);
        let room_a: Room = match kind {
            Kind::FarSingleTalk => (0.04, 0.2, 3.0, 11),
            Kind::DoubleTalk | Kind::ClockDrift => (0.04, 0.4, 3.0, 12),
            Kind::PathChange | Kind::ClippingLoudspeaker => (0.04, 0.3, 3.0, 13),
            Kind::Delay250 => (0.25, 0.6, 3.0, 14),
        };
        let render = to_i16(&speech.far);
        let played = to_f32(&render);
        let speaker = if kind == Kind::ClippingLoudspeaker {
            // Played 6 dB louder than the small speaker takes, into soft clipping.
            soft_clip(&played.iter().map(|s| s * 2.0).collect::<Vec<_>>(), 1.5)
        } else {
            played
        };
        let make = |(delay, rt60, drr, seed): Room| {
            convolve(&speaker, &room(rate, delay, rt60, drr, seed))
        };
        let mut echo = make(room_a);
        let path_change = (kind == Kind::PathChange).then(|| at(10.0));
        if let Some(change) = path_change {
            // Someone moved the laptop: another room, a little further away.
            let other = make((0.046, 0.5, 3.0, 21));
            echo[change..].copy_from_slice(&other[change..]);
        }
        if kind == Kind::ClockDrift {
            echo = drift(&echo, 100.0)?;
            echo.resize(total, 0.0);
        }
        // A loud speakerphone: the echo as loud as the talker.
        let gain = 10f32.powf(TALKER_LEVEL_DB / 20.0) / active_rms(&echo, rate).max(1e-9);
        echo.iter_mut().for_each(|s| *s *= gain);
        let background = if with_noise {
            noise(total, 10f32.powf(NOISE_LEVEL_DB / 20.0), 31)
        } else {
            vec![0.0; total]
        };
        let mut talker = vec![0.0f32; total];
        let double_talk = (kind == Kind::DoubleTalk).then(|| at(12.0)..at(18.0));
        if let Some(range) = &double_talk {
            let len = speech.near.len().min(range.len());
            talker[range.start..range.start + len].copy_from_slice(&speech.near[..len]);
        }
        let mic_without_talker: Vec<f32> =
            echo.iter().zip(&background).map(|(e, n)| e + n).collect();
        let without_echo: Vec<f32> = talker.iter().zip(&background).map(|(t, n)| t + n).collect();
        let capture: Vec<f32> = mic_without_talker
            .iter()
            .zip(&talker)
            .map(|(m, t)| m + t)
            .collect();
        let frame = frame_len(rate);
        let echo_active = active_frames(&echo, frame);
        let talker_active = active_frames(&talker, frame);
        let energy = |x: &[f32]| x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>();
        let quiet: Vec<bool> = echo
            .chunks(frame)
            .zip(talker.chunks(frame))
            .zip(background.chunks(frame))
            .map(|((e, t), n)| energy(e) + energy(t) < 0.1 * energy(n))
            .collect();
        let noise_only = (0..quiet.len())
            .map(|f| {
                quiet[f.saturating_sub(2)..(f + 3).min(quiet.len())]
                    .iter()
                    .all(|&q| q)
            })
            .collect();
        let converged = match kind {
            Kind::DoubleTalk => at(5.0)..at(12.0),
            Kind::PathChange => at(15.0)..total,
            _ => at(5.0)..total,
        };
        Ok(Self {
            kind,
            rate,
            render,
            capture: to_i16(&capture),
            mic_without_talker,
            without_echo,
            echo_active,
            talker_active,
            noise_only,
            converged,
            far_start: at(FAR_START_S),
            path_change,
            double_talk,
        })
    }

    /// The capture of the near end alone (talker and noise, no far end): what "the near
    /// end's level when it talks alone" is measured on.
    pub fn near_alone_capture(&self) -> Vec<i16> {
        to_i16(&self.without_echo)
    }
}

/// A canceller as the bench drives it: one 10 ms render frame and the capture frame of the
/// same moment, processed in place.
pub trait Canceller {
    /// Processes one frame pair; the capture frame is replaced by the processed one.
    fn process(&mut self, render: &[i16], capture: &mut [i16]);
}

impl Canceller for super::speex::SpeexBaseline {
    fn process(&mut self, render: &[i16], capture: &mut [i16]) {
        Self::process(self, render, capture);
    }
}

impl Canceller for crate::AudioProcessor {
    fn process(&mut self, render: &[i16], capture: &mut [i16]) {
        // The bench's frames are the processor's frame length; an error would be a bench bug.
        self.handle_render_frame(render)
            .expect("render frame of the configured length");
        self.process_capture_frame(capture)
            .expect("capture frame of the configured length");
    }
}

/// Feeds `render` and `capture` through `canceller` in 10 ms frames; returns the processed
/// capture as samples in [-1, 1).
pub fn run(canceller: &mut dyn Canceller, rate: u32, render: &[i16], capture: &[i16]) -> Vec<f32> {
    let frame = frame_len(rate);
    let mut out = capture.to_vec();
    for (r, c) in render.chunks_exact(frame).zip(out.chunks_exact_mut(frame)) {
        canceller.process(r, c);
    }
    to_f32(&out)
}

/// The figures of one canceller on one scenario (dB and seconds).
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    /// ERLE over far-end single talk after convergence.
    pub erle_converged: Option<f64>,
    /// ERLE over the first 2 s after the far end starts.
    pub erle_first_2s: Option<f64>,
    /// ERLE after convergence, as [`Figures::erle_converged`], on the same scenario without
    /// background noise ([`Scenario::without_noise`]): the echo's power in against the
    /// echo's power out. Filled in by the caller.
    pub erle_echo_only: Option<f64>,
    /// The ERLE a canceller shows over the same frames as [`Figures::erle_converged`] if
    /// it removes the echo exactly and passes the background noise through: the ceiling for
    /// one without noise suppression.
    pub erle_ceiling: Option<f64>,
    /// Time from the far end's start to 10 dB of ERLE.
    pub t10: Option<f64>,
    /// Time from the far end's start to 20 dB of ERLE.
    pub t20: Option<f64>,
    /// Time from the echo path change to 10 dB of ERLE.
    pub t10_change: Option<f64>,
    /// Time from the echo path change to 20 dB of ERLE.
    pub t20_change: Option<f64>,
    /// Near-end level in double talk relative to the near end alone (0 dB: kept whole).
    pub double_talk_level: Option<f64>,
    /// Segmental SNR of the near-end part in double talk, against what the same processor
    /// outputs for the near end alone (so noise suppression and filtering, which act on the
    /// talker the same with or without an echo, do not count as damage; the echo, what is
    /// left of it and what cancelling it does to the talker do).
    pub double_talk_seg_snr: Option<f64>,
    /// Noise reduction on the frames of background noise alone: capture against output.
    pub noise_reduction: Option<f64>,
    /// The near-end talker's level at the output against the input when the near end talks
    /// alone (in the background noise): what noise suppression and filtering cost it.
    pub talker_level: Option<f64>,
}

/// Window over which "ERLE reached" is judged: 0.25 s.
const REACH_WINDOW_S: f64 = 0.25;

impl Figures {
    /// Measures `out` (and, for double talk, `near_alone_out`, the same canceller's output
    /// for the near end alone) on `scenario`.
    pub fn measure(scenario: &Scenario, out: &[f32], near_alone_out: Option<&[f32]>) -> Self {
        let rate = scenario.rate;
        let frame = frame_len(rate);
        let mic = &scenario.mic_without_talker;
        let active = &scenario.echo_active;
        let window = samples(rate, REACH_WINDOW_S);
        let single_talk_end = scenario
            .double_talk
            .as_ref()
            .map_or(mic.len(), |r| r.start)
            .min(scenario.path_change.unwrap_or(mic.len()));
        let reach = |from: usize, until: usize, db: f64| {
            time_to_erle(mic, out, active, frame, rate, from, until, window, db)
        };
        let mut figures = Self {
            erle_converged: erle_over(mic, out, active, frame, scenario.converged.clone()),
            erle_ceiling: erle_over(
                mic,
                &scenario.without_echo,
                active,
                frame,
                scenario.converged.clone(),
            ),
            erle_first_2s: erle_over(
                mic,
                out,
                active,
                frame,
                scenario.far_start..scenario.far_start + samples(rate, 2.0),
            ),
            t10: reach(scenario.far_start, single_talk_end, 10.0),
            t20: reach(scenario.far_start, single_talk_end, 20.0),
            ..Self::default()
        };
        if let Some(change) = scenario.path_change {
            figures.t10_change = reach(change, mic.len(), 10.0);
            figures.t20_change = reach(change, mic.len(), 20.0);
        }
        if let (Some(range), Some(alone)) = (&scenario.double_talk, near_alone_out) {
            // Frames of the double-talk stretch where the talker speaks.
            let mask: Vec<bool> = scenario
                .talker_active
                .iter()
                .enumerate()
                .map(|(f, &a)| a && range.contains(&(f * frame)))
                .collect();
            // A processor's latency: up to two frames (a frame of post-filter, a band split's
            // filters).
            let lag = best_lag(
                &scenario.without_echo[range.clone()],
                &out[range.clone()],
                2 * frame,
            );
            let shifted = &out[lag..];
            let alone_lag = best_lag(&scenario.without_echo, alone, 2 * frame);
            let alone_shifted = &alone[alone_lag..];
            figures.double_talk_level = Some(level_db(shifted, alone_shifted, &mask, frame));
            figures.double_talk_seg_snr =
                Some(segmental_snr_db(alone_shifted, shifted, &mask, frame));
            figures.talker_level = Some(level_db(
                alone_shifted,
                &scenario.without_echo,
                &mask,
                frame,
            ));
        }
        if scenario.noise_only.iter().any(|&q| q) {
            let capture = super::signals::to_f32(&scenario.capture);
            figures.noise_reduction = Some(level_db(&capture, out, &scenario.noise_only, frame));
        }
        figures
    }

    /// A table row: `who`, the scenario's name and every figure ("-" where it does not
    /// apply, "never" where a level is not reached).
    pub fn row(&self, scenario: Kind, who: &str) -> String {
        let db = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
        let s = |v: Option<f64>, applies: bool| match (v, applies) {
            (Some(v), _) => format!("{v:.2}"),
            (None, true) => "never".to_owned(),
            (None, false) => "-".to_owned(),
        };
        let change = scenario == Kind::PathChange;
        format!(
            "| {:<18} | {:<8} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} | {:>6} |",
            scenario.name(),
            who,
            db(self.erle_converged),
            db(self.erle_echo_only),
            db(self.erle_ceiling),
            db(self.erle_first_2s),
            s(self.t10, true),
            s(self.t20, true),
            s(self.t10_change, change),
            s(self.t20_change, change),
            db(self.double_talk_level),
            db(self.double_talk_seg_snr),
            db(self.noise_reduction),
            db(self.talker_level),
        )
    }

    /// The header of the table [`Figures::row`] writes.
    pub fn header() -> &'static str {
        "| scenario           | who      | ERLE   | ERLE e | ceil.  | ERLE2s | t10 s  | t20 s  | t10 ch | t20 ch | DT lvl | DT seg | NR     | NE lvl |\n\
         |--------------------|----------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|"
    }
}

/// Samples in 10 ms at `rate`.
pub fn frame_len(rate: u32) -> usize {
    (rate / 100) as usize
}

fn samples(rate: u32, seconds: f64) -> usize {
    (seconds * f64::from(rate)).round() as usize
}
