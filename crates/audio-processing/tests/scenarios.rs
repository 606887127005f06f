//! Issue 18's scenarios: ours, speexdsp (echo canceller + preprocessor) and the `aec3`
//! crate (libwebrtc's AEC3 in Rust: high-pass filter, AEC3, noise suppression, its
//! post-filter; gain control off) on the same signals, one table row each, at 16 and
//! 48 kHz, 20 s each (see `testkit::scenario` for how they are made: espeak-ng voices,
//! synthetic rooms with RT60 200-600 ms, a loud speakerphone, noise 30 dB below the
//! talker). At 48 kHz ours runs its canceller on the band below 8 kHz (`band_split.rs`).
//!
//! Asserted: issue 18's targets for ours in every scenario at both rates (ERLE >= 30 dB
//! after convergence, as G.168 measures it and on the echo alone; 20 dB again within
//! 0.5 s of the path change; in double talk the near end within 1 dB and a segmental SNR of
//! at least 20 dB), 10 and 20 dB within 0.5 s of the far end starting (1 s with the 250 ms
//! delay), more ERLE over the first 2 s than speexdsp, and noise reduction >= 10 dB and
//! above speexdsp's. "rtcweb" is the default configuration (echo canceller, high-pass
//! filter, post-filter with residual echo and noise suppression), "aec-only" the echo
//! canceller with its two residual echo suppressors but no high-pass filter and no noise
//! suppression. Measured (`cargo test -p rtcweb-audio-processing --test scenarios --
//! --nocapture --test-threads 1`):
//!
//! 16 kHz:
//!
//! | scenario           | who      | ERLE   | ERLE e | ceil.  | ERLE2s | t10 s  | t20 s  | t10 ch | t20 ch | DT lvl | DT seg | NR     | NE lvl |
//! |--------------------|----------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|
//! | far single talk    | rtcweb   |   36.7 |   55.2 |   30.0 |   21.2 |   0.10 |   0.16 |      - |      - |      - |      - |   10.6 |      - |
//! | far single talk    | aec-only |   29.6 |   48.1 |   30.0 |   20.6 |   0.11 |   0.16 |      - |      - |      - |      - |   -0.4 |      - |
//! | far single talk    | speexdsp |   29.6 |   29.4 |   30.0 |    5.4 |   1.39 |   1.89 |      - |      - |      - |      - |    6.2 |      - |
//! | far single talk    | aec3     |   37.1 |   72.7 |   30.0 |   38.0 |   0.00 |   0.00 |      - |      - |      - |      - |    4.7 |      - |
//! | double talk        | rtcweb   |   38.0 |   48.1 |   29.5 |   20.3 |   0.09 |   0.15 |      - |      - |   -0.1 |   20.4 |   13.7 |   -0.3 |
//! | double talk        | aec-only |   29.0 |   44.1 |   29.5 |   19.7 |   0.10 |   0.15 |      - |      - |   -0.1 |   19.2 |   -0.3 |   -0.0 |
//! | double talk        | speexdsp |   28.7 |   28.1 |   29.5 |    5.6 |   1.85 |   1.94 |      - |      - |   -0.1 |   20.1 |    5.0 |   -0.1 |
//! | double talk        | aec3     |   34.5 |   69.2 |   29.5 |   22.1 |   0.00 |   0.00 |      - |      - |   -2.3 |    5.8 |    4.1 |    1.0 |
//! | echo path change   | rtcweb   |   37.5 |   30.6 |   30.4 |   19.4 |   0.14 |   0.16 |   0.36 |   0.40 |      - |      - |   13.5 |      - |
//! | echo path change   | aec-only |   27.3 |   30.4 |   30.4 |   18.9 |   0.14 |   0.16 |   0.36 |   0.40 |      - |      - |   -0.5 |      - |
//! | echo path change   | speexdsp |   20.8 |   20.7 |   30.4 |    4.7 |   1.84 |   1.90 |   2.07 |   3.10 |      - |      - |    5.7 |      - |
//! | echo path change   | aec3     |   31.2 |   45.4 |   30.4 |   29.3 |   0.00 |   0.00 |   0.00 |   0.07 |      - |      - |    4.4 |      - |
//! | clipping speaker   | rtcweb   |   36.6 |   38.4 |   30.0 |   19.1 |   0.13 |   0.16 |      - |      - |      - |      - |   15.4 |      - |
//! | clipping speaker   | aec-only |   25.9 |   36.7 |   30.0 |   18.6 |   0.13 |   0.16 |      - |      - |      - |      - |   -1.0 |      - |
//! | clipping speaker   | speexdsp |   18.3 |   18.3 |   30.0 |    4.3 |   1.86 |   2.02 |      - |      - |      - |      - |    6.2 |      - |
//! | clipping speaker   | aec3     |   30.1 |   40.5 |   30.0 |   25.1 |   0.00 |   0.00 |      - |      - |      - |      - |    4.8 |      - |
//! | clock drift 100ppm | rtcweb   |   34.5 |   39.5 |   30.0 |   20.1 |   0.09 |   0.15 |      - |      - |      - |      - |   16.3 |      - |
//! | clock drift 100ppm | aec-only |   22.9 |   37.5 |   30.0 |   19.6 |   0.10 |   0.15 |      - |      - |      - |      - |   -1.3 |      - |
//! | clock drift 100ppm | speexdsp |   10.1 |   10.0 |   30.0 |    4.5 |   2.16 |  18.18 |      - |      - |      - |      - |    6.0 |      - |
//! | clock drift 100ppm | aec3     |   33.0 |   59.2 |   30.0 |   22.1 |   0.00 |   0.00 |      - |      - |      - |      - |    4.4 |      - |
//! | delay 250 ms       | rtcweb   |   34.8 |   43.0 |   29.8 |   15.5 |   0.34 |   0.51 |      - |      - |      - |      - |   16.0 |      - |
//! | delay 250 ms       | aec-only |   28.3 |   40.5 |   29.8 |   15.3 |   0.35 |   0.51 |      - |      - |      - |      - |    0.4 |      - |
//! | delay 250 ms       | speexdsp |   24.6 |   24.6 |   29.8 |    3.5 |   3.04 |   3.42 |      - |      - |      - |      - |    5.1 |      - |
//! | delay 250 ms       | aec3     |   26.0 |   33.7 |   29.8 |   16.1 |   0.06 |   0.06 |      - |      - |      - |      - |    5.5 |      - |
//!
//! 48 kHz:
//!
//! | scenario           | who      | ERLE   | ERLE e | ceil.  | ERLE2s | t10 s  | t20 s  | t10 ch | t20 ch | DT lvl | DT seg | NR     | NE lvl |
//! |--------------------|----------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|--------|
//! | far single talk    | rtcweb   |   39.8 |   56.2 |   30.0 |   18.6 |   0.10 |   0.15 |      - |      - |      - |      - |   14.2 |      - |
//! | far single talk    | aec-only |   30.4 |   49.0 |   30.0 |   18.2 |   0.10 |   0.15 |      - |      - |      - |      - |   -0.3 |      - |
//! | far single talk    | speexdsp |   32.0 |   32.4 |   30.0 |    4.8 |   1.85 |   1.89 |      - |      - |      - |      - |    8.0 |      - |
//! | far single talk    | aec3     |   37.8 |   72.5 |   30.0 |   37.4 |   0.00 |   0.00 |      - |      - |      - |      - |    3.6 |      - |
//! | double talk        | rtcweb   |   39.2 |   47.7 |   29.6 |   17.4 |   0.12 |   0.15 |      - |      - |   -0.2 |   20.9 |   14.7 |   -0.3 |
//! | double talk        | aec-only |   29.1 |   43.8 |   29.6 |   17.0 |   0.12 |   0.15 |      - |      - |   -0.2 |   19.2 |   -0.2 |    0.0 |
//! | double talk        | speexdsp |   31.3 |   30.6 |   29.6 |    5.5 |   1.83 |   1.88 |      - |      - |   -0.1 |   19.5 |    7.2 |   -0.2 |
//! | double talk        | aec3     |   34.9 |   62.2 |   29.6 |   22.6 |   0.00 |   0.00 |      - |      - |   -2.0 |    5.1 |    2.3 |    0.4 |
//! | echo path change   | rtcweb   |   32.4 |   33.0 |   30.6 |   17.8 |   0.11 |   0.15 |   0.14 |   0.32 |      - |      - |   16.2 |      - |
//! | echo path change   | aec-only |   27.2 |   32.7 |   30.6 |   17.5 |   0.11 |   0.15 |   0.14 |   0.32 |      - |      - |   -0.2 |      - |
//! | echo path change   | speexdsp |   26.9 |   26.6 |   30.6 |    5.1 |   1.85 |   1.89 |   0.71 |   3.10 |      - |      - |    7.9 |      - |
//! | echo path change   | aec3     |   31.9 |   42.4 |   30.6 |   28.6 |   0.00 |   0.00 |   0.00 |   0.01 |      - |      - |    2.9 |      - |
//! | clipping speaker   | rtcweb   |   37.1 |   41.5 |   30.1 |   17.1 |   0.11 |   0.15 |      - |      - |      - |      - |   15.6 |      - |
//! | clipping speaker   | aec-only |   26.4 |   38.8 |   30.1 |   16.7 |   0.11 |   0.15 |      - |      - |      - |      - |   -0.9 |      - |
//! | clipping speaker   | speexdsp |   18.6 |   18.6 |   30.1 |    4.8 |   1.86 |   1.91 |      - |      - |      - |      - |    8.0 |      - |
//! | clipping speaker   | aec3     |   31.1 |   46.9 |   30.1 |   27.4 |   0.00 |   0.00 |      - |      - |      - |      - |    3.1 |      - |
//! | clock drift 100ppm | rtcweb   |   35.1 |   39.1 |   29.9 |   17.8 |   0.12 |   0.15 |      - |      - |      - |      - |   16.1 |      - |
//! | clock drift 100ppm | aec-only |   23.6 |   37.4 |   29.9 |   17.4 |   0.12 |   0.15 |      - |      - |      - |      - |   -0.8 |      - |
//! | clock drift 100ppm | speexdsp |    7.1 |    7.1 |   29.9 |    4.9 |   2.20 |  18.43 |      - |      - |      - |      - |    8.0 |      - |
//! | clock drift 100ppm | aec3     |   28.6 |   52.4 |   29.9 |   23.2 |   0.00 |   0.00 |      - |      - |      - |      - |    2.9 |      - |
//! | delay 250 ms       | rtcweb   |   34.2 |   37.2 |   29.9 |   14.7 |   0.35 |   0.52 |      - |      - |      - |      - |   17.0 |      - |
//! | delay 250 ms       | aec-only |   28.7 |   36.5 |   29.9 |   14.4 |   0.35 |   0.52 |      - |      - |      - |      - |    0.0 |      - |
//! | delay 250 ms       | speexdsp |   23.1 |   23.2 |   29.9 |    2.3 |   2.97 |   3.37 |      - |      - |      - |      - |    5.9 |      - |
//! | delay 250 ms       | aec3     |   29.1 |   39.3 |   29.9 |   17.6 |   0.06 |   0.06 |      - |      - |      - |      - |    3.3 |      - |
//!
//! (ERLE in dB over far-end single talk after convergence, as ITU-T G.168 measures it with
//! the non-linear processing: the microphone signal, background noise included, against
//! the processed one; "ERLE e" the same on the scenario without background noise, so the
//! echo's power in against the echo's power out, which is how issue 18 defines ERLE;
//! "ceil." the G.168 ERLE of a perfect canceller that passes the noise through; ERLE2s
//! over the first 2 s; t10/t20 seconds to 10 and 20 dB after the far end starts and after
//! the path change ("ch"); DT level of the near end in double talk against the same
//! processor's output for the near end alone, dB; DT seg its segmental SNR against that
//! output, dB; NR the noise reduction on frames of background noise alone, dB; NE lvl the
//! talker's level at the output against the input when it talks alone, dB.)
//!
//! AEC3 suppresses from the first frame (its ERLE over the first 2 s is the highest, and
//! its t10/t20 are 0), keeps the most ERLE on the echo alone, and in double talk pulls the
//! near end down 2.0-2.3 dB with a segmental SNR of 5-6 dB, as issue 18 describes it.
//! speexdsp keeps the talker (20.1 and 19.5 dB) but needs 1.4-3.4 s to reach 20 dB.

use rtcweb_audio_processing::testkit::aec3::Aec3Baseline;
use rtcweb_audio_processing::testkit::scenario::{Canceller, Figures, Kind, Scenario, Speech, run};
use rtcweb_audio_processing::testkit::speex::SpeexBaseline;
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};

fn figures_of(
    rate: u32,
    scenario: &Scenario,
    quiet: &Scenario,
    make: &mut dyn FnMut() -> Box<dyn Canceller>,
) -> Figures {
    let out = run(make().as_mut(), rate, &scenario.render, &scenario.capture);
    let quiet_out = run(make().as_mut(), rate, &quiet.render, &quiet.capture);
    let alone = scenario.double_talk.as_ref().map(|_| {
        let silence = vec![0i16; scenario.render.len()];
        run(
            make().as_mut(),
            rate,
            &silence,
            &scenario.near_alone_capture(),
        )
    });
    Figures {
        erle_echo_only: Figures::measure(quiet, &quiet_out, None).erle_converged,
        ..Figures::measure(scenario, &out, alone.as_deref())
    }
}

fn ours(rate: u32) -> Box<dyn Canceller> {
    Box::new(AudioProcessor::new(AudioProcessingConfig::new(rate)).expect("a supported rate"))
}

/// Ours with the echo canceller alone (no noise suppression, no high-pass filter): what
/// the canceller does by itself.
fn ours_aec_only(rate: u32) -> Box<dyn Canceller> {
    let mut config = AudioProcessingConfig::new(rate);
    config.noise_suppression = false;
    config.high_pass_filter = false;
    Box::new(AudioProcessor::new(config).expect("a supported rate"))
}

fn speex(kind: Kind, rate: u32) -> Box<dyn Canceller> {
    // speexdsp has no delay estimator: its filter spans the delay and the room.
    let span = if kind == Kind::Delay250 { 0.6 } else { 0.4 };
    let frame = (rate / 100) as usize;
    Box::new(SpeexBaseline::new(rate, frame, (span * f64::from(rate)) as usize).expect("speexdsp"))
}

fn aec3(rate: u32) -> Box<dyn Canceller> {
    Box::new(Aec3Baseline::new(rate).expect("aec3 takes 16 and 48 kHz mono"))
}

/// What ours must reach in `kind`: ERLE after convergence (G.168, with the noise) and on
/// the echo alone (the scenario without noise), dB; seconds to 10 dB and to 20 dB after
/// the far end starts, `None` where it is not asserted. The measured figures less a
/// little margin; where they are under issue 18's 30 dB, so is the bound.
struct Floor {
    erle: f64,
    erle_echo_only: f64,
    t10: Option<f64>,
    t20: Option<f64>,
}

fn floor(kind: Kind) -> Floor {
    let (erle, erle_echo_only, t10, t20) = match kind {
        Kind::FarSingleTalk => (30.0, 30.0, Some(0.5), Some(0.5)),
        Kind::DoubleTalk => (30.0, 30.0, Some(0.5), Some(0.5)),
        Kind::PathChange => (30.0, 30.0, Some(0.5), Some(0.5)),
        Kind::ClippingLoudspeaker => (30.0, 30.0, Some(0.5), Some(0.5)),
        Kind::ClockDrift => (30.0, 30.0, Some(0.5), Some(0.5)),
        Kind::Delay250 => (30.0, 30.0, Some(1.0), Some(1.0)),
    };
    Floor {
        erle,
        erle_echo_only,
        t10,
        t20,
    }
}

#[test]
fn every_scenario_at_16_khz() {
    every_scenario(16_000);
}

#[test]
fn every_scenario_at_48_khz() {
    every_scenario(48_000);
}

fn every_scenario(rate: u32) {
    let speech = Speech::new(rate).expect("espeak-ng speaks (apt-get install espeak-ng)");
    println!("{} kHz", rate / 1000);
    println!("{}", Figures::header());
    let mut failures = Vec::new();
    for kind in Kind::ALL {
        let scenario = Scenario::new(kind, &speech).expect("scenario signals");
        let quiet = Scenario::without_noise(kind, &speech).expect("scenario signals");
        let ours = figures_of(rate, &scenario, &quiet, &mut || ours(rate));
        println!("{}", ours.row(kind, "rtcweb"));
        let aec_only = figures_of(rate, &scenario, &quiet, &mut || ours_aec_only(rate));
        println!("{}", aec_only.row(kind, "aec-only"));
        let theirs = figures_of(rate, &scenario, &quiet, &mut || speex(kind, rate));
        println!("{}", theirs.row(kind, "speexdsp"));
        let webrtc = figures_of(rate, &scenario, &quiet, &mut || aec3(rate));
        println!("{}", webrtc.row(kind, "aec3"));

        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{}: {what}", kind.name()));
            }
        };
        let Floor {
            erle,
            erle_echo_only,
            t10,
            t20,
        } = floor(kind);
        let got = ours.erle_converged.unwrap_or(f64::NEG_INFINITY);
        check(got >= erle, format!("ERLE {got:.1} dB < {erle} dB"));
        let got = ours.erle_echo_only.unwrap_or(f64::NEG_INFINITY);
        check(
            got >= erle_echo_only,
            format!("ERLE on the echo alone {got:.1} dB < {erle_echo_only} dB"),
        );
        for (limit, reached, name) in [(t10, ours.t10, "10"), (t20, ours.t20, "20")] {
            if let Some(limit) = limit {
                check(
                    reached.is_some_and(|t| t <= limit),
                    format!("{name} dB after {reached:?} s, not within {limit} s"),
                );
            }
        }
        let (mine, speexs) = (
            ours.erle_first_2s.unwrap_or(f64::NEG_INFINITY),
            theirs.erle_first_2s.unwrap_or(f64::INFINITY),
        );
        check(
            mine > speexs,
            format!("ERLE over the first 2 s {mine:.1} dB, speexdsp {speexs:.1} dB"),
        );
        // Noise suppression: the background noise alone taken down by 10 dB or more (the
        // gaps between words included, where the suppressor is still letting go of the
        // speech before), more than speexdsp's preprocessor does.
        let nr = ours.noise_reduction.unwrap_or(f64::NEG_INFINITY);
        check(nr >= 10.0, format!("noise reduced by {nr:.1} dB"));
        let speex_nr = theirs.noise_reduction.unwrap_or(f64::INFINITY);
        check(
            nr > speex_nr,
            format!("noise reduced by {nr:.1} dB, speexdsp {speex_nr:.1} dB"),
        );
        if kind == Kind::PathChange {
            check(
                ours.t10_change.is_some_and(|t| t <= 0.5),
                format!("10 dB after the change after {:?} s", ours.t10_change),
            );
            // The target: 20 dB again within 0.5 s.
            check(
                ours.t20_change.is_some_and(|t| t <= 0.5),
                format!("20 dB after the change after {:?} s", ours.t20_change),
            );
        }
        if kind == Kind::DoubleTalk {
            // The double-talk targets, met: the near end kept whole and clean.
            let level = ours.double_talk_level.unwrap_or(f64::NEG_INFINITY);
            check(level.abs() <= 1.0, format!("near-end level {level:.1} dB"));
            let seg = ours.double_talk_seg_snr.unwrap_or(f64::NEG_INFINITY);
            println!("double talk: near-end level {level:.2} dB, segSNR {seg:.2} dB");
            check(seg >= 20.0, format!("near-end segSNR {seg:.2} dB"));
            // The talker keeps its level through noise suppression.
            let kept = ours.talker_level.unwrap_or(f64::NEG_INFINITY);
            check(kept >= -1.0, format!("talker level {kept:.1} dB"));
        }
    }
    assert!(failures.is_empty(), "{} kHz: {failures:#?}", rate / 1000);
}
