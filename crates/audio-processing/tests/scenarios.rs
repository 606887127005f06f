//! Issue 18's scenarios: ours and speexdsp (echo canceller + preprocessor) on the same
//! signals, one table row each, 16 kHz, 20 s each (see `testkit::scenario` for how they are
//! made: espeak-ng voices, synthetic rooms with RT60 200-600 ms, a loud speakerphone, noise
//! 30 dB below the talker).
//!
//! What is asserted is what ours reliably reaches, measured here (with a little margin for
//! another espeak-ng version), and where it beats speexdsp in the same run. Measured
//! (`cargo test -p rtcweb-audio-processing --test scenarios -- --nocapture`):
//!
//! | scenario           | who      | ERLE | ceil. | ERLE2s | t10 s | t20 s | t10 ch | t20 ch | DT lvl | DT seg |
//! |--------------------|----------|------|-------|--------|-------|-------|--------|--------|--------|--------|
//! | far single talk    | rtcweb   | 24.8 | 30.0  | 9.0    | 0.40  | 3.01  | -      | -      | -      | -      |
//! | far single talk    | speexdsp | 29.6 | 30.0  | 5.4    | 1.39  | 1.89  | -      | -      | -      | -      |
//! | double talk        | rtcweb   | 23.7 | 29.5  | 7.3    | 1.06  | 3.04  | -      | -      | 0.0    | 22.6   |
//! | double talk        | speexdsp | 28.7 | 29.5  | 5.6    | 1.85  | 1.94  | -      | -      | -0.1   | 9.7    |
//! | echo path change   | rtcweb   | 18.5 | 30.4  | 6.7    | 1.06  | 3.02  | 0.97   | 5.99   | -      | -      |
//! | echo path change   | speexdsp | 20.8 | 30.4  | 4.7    | 1.84  | 1.90  | 2.07   | 3.10   | -      | -      |
//! | clipping speaker   | rtcweb   | 13.7 | 30.0  | 6.0    | 1.43  | 18.45 | -      | -      | -      | -      |
//! | clipping speaker   | speexdsp | 18.3 | 30.0  | 4.3    | 1.86  | 2.02  | -      | -      | -      | -      |
//! | clock drift 100ppm | rtcweb   | 7.8  | 30.0  | 6.6    | 3.10  | never | -      | -      | -      | -      |
//! | clock drift 100ppm | speexdsp | 10.1 | 30.0  | 4.5    | 2.16  | 18.18 | -      | -      | -      | -      |
//! | delay 250 ms       | rtcweb   | 22.9 | 29.8  | 6.9    | 1.28  | 4.06  | -      | -      | -      | -      |
//! | delay 250 ms       | speexdsp | 24.6 | 29.8  | 3.5    | 3.04  | 3.42  | -      | -      | -      | -      |
//!
//! (ERLE in dB over far-end single talk after convergence; "ceil." the ERLE of a perfect
//! canceller that passes the noise through; ERLE2s over the first 2 s; t10/t20 seconds to
//! 10 and 20 dB after the far end starts and after the path change ("ch"); DT level of the
//! near end in double talk against the near end alone, dB; DT seg its segmental SNR, dB.)
//!
//! Issue 18's targets, against these figures:
//! - ERLE ≥ 30 dB after convergence in every scenario: NOT met (18-25 dB; 7.8 dB with
//!   clock drift, 13.7 dB with the clipping loudspeaker). There is no residual echo
//!   suppressor yet (speexdsp's preprocessor has one, and its noise suppression takes it to
//!   the noise ceiling), no drift compensation (a 100 ppm drift moves the echo by 1.6
//!   samples a second, faster than the filter re-learns), and the ceiling itself is 29.5-30.4 dB
//!   while the noise is passed through.
//! - Re-convergence to 20 dB within 0.5 s after a path change: NOT met (10 dB after
//!   0.97 s, 20 dB after 6 s; speexdsp 2.07 s and 3.10 s).
//! - Double talk: near-end level ≥ -1 dB and segSNR ≥ 20 dB: MET (0.0 dB, 22.6 dB;
//!   speexdsp -0.1 dB, 9.7 dB).
//! - Faster early convergence than speexdsp: ours leads on ERLE over the first 2 s in every
//!   scenario (asserted) and reaches 10 dB sooner in five of six.

use rtcweb_audio_processing::testkit::scenario::{Canceller, Figures, Kind, Scenario, Speech, run};
use rtcweb_audio_processing::testkit::speex::SpeexBaseline;
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};

const RATE: u32 = 16_000;

fn figures_of(scenario: &Scenario, make: &mut dyn FnMut() -> Box<dyn Canceller>) -> Figures {
    let out = run(make().as_mut(), RATE, &scenario.render, &scenario.capture);
    let alone = scenario.double_talk.as_ref().map(|_| {
        let silence = vec![0i16; scenario.render.len()];
        run(
            make().as_mut(),
            RATE,
            &silence,
            &scenario.near_alone_capture(),
        )
    });
    Figures::measure(scenario, &out, alone.as_deref())
}

fn ours() -> Box<dyn Canceller> {
    Box::new(AudioProcessor::new(AudioProcessingConfig::new(RATE)).expect("16 kHz mono"))
}

fn speex(kind: Kind) -> Box<dyn Canceller> {
    // speexdsp has no delay estimator: its filter spans the delay and the room.
    let span = if kind == Kind::Delay250 { 0.6 } else { 0.4 };
    Box::new(SpeexBaseline::new(RATE, 160, (span * f64::from(RATE)) as usize).expect("speexdsp"))
}

/// What ours must reach in `kind`: (ERLE after convergence, dB; seconds to 10 dB and to
/// 20 dB after the far end starts, `None` where it is not asserted).
fn floor(kind: Kind) -> (f64, Option<f64>, Option<f64>) {
    match kind {
        Kind::FarSingleTalk => (22.0, Some(1.0), Some(4.0)),
        Kind::DoubleTalk => (21.0, Some(1.5), Some(4.0)),
        Kind::PathChange => (16.0, Some(1.5), Some(4.0)),
        Kind::ClippingLoudspeaker => (11.0, Some(2.0), None),
        Kind::ClockDrift => (6.0, None, None),
        Kind::Delay250 => (20.0, Some(2.0), Some(5.0)),
    }
}

#[test]
fn every_scenario_ours_and_speexdsp() {
    let speech = Speech::new(RATE).expect("espeak-ng speaks (apt-get install espeak-ng)");
    println!("{}", Figures::header());
    let mut failures = Vec::new();
    for kind in Kind::ALL {
        let scenario = Scenario::new(kind, &speech).expect("scenario signals");
        let ours = figures_of(&scenario, &mut ours);
        println!("{}", ours.row(kind, "rtcweb"));
        let theirs = figures_of(&scenario, &mut || speex(kind));
        println!("{}", theirs.row(kind, "speexdsp"));

        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{}: {what}", kind.name()));
            }
        };
        let (erle, t10, t20) = floor(kind);
        let got = ours.erle_converged.unwrap_or(f64::NEG_INFINITY);
        check(got >= erle, format!("ERLE {got:.1} dB < {erle} dB"));
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
        if kind == Kind::PathChange {
            check(
                ours.t10_change.is_some_and(|t| t <= 1.5),
                format!("10 dB after the change after {:?} s", ours.t10_change),
            );
            check(
                ours.t20_change.is_some_and(|t| t <= 7.0),
                format!("20 dB after the change after {:?} s", ours.t20_change),
            );
        }
        if kind == Kind::DoubleTalk {
            // The double-talk targets, met: the near end kept whole and clean.
            let level = ours.double_talk_level.unwrap_or(f64::NEG_INFINITY);
            check(level.abs() <= 1.0, format!("near-end level {level:.1} dB"));
            let seg = ours.double_talk_seg_snr.unwrap_or(f64::NEG_INFINITY);
            check(seg >= 20.0, format!("near-end segSNR {seg:.1} dB"));
            let speex_seg = theirs.double_talk_seg_snr.unwrap_or(f64::INFINITY);
            check(
                seg > speex_seg,
                format!("segSNR {seg:.1} dB, speexdsp {speex_seg:.1} dB"),
            );
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
