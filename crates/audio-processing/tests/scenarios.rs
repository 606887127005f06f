//! Issue 18's scenarios: ours and speexdsp on the same signals, one table row each.

use rtcweb_audio_processing::testkit::scenario::{Figures, Kind, Scenario, Speech, run};
use rtcweb_audio_processing::testkit::speex::SpeexBaseline;
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};

const RATE: u32 = 16_000;

fn figures_of(
    scenario: &Scenario,
    make: &mut dyn FnMut() -> Box<dyn rtcweb_audio_processing::testkit::scenario::Canceller>,
) -> Figures {
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

fn ours() -> Box<dyn rtcweb_audio_processing::testkit::scenario::Canceller> {
    Box::new(AudioProcessor::new(AudioProcessingConfig::new(RATE)).expect("16 kHz mono"))
}

fn speex(kind: Kind) -> Box<dyn rtcweb_audio_processing::testkit::scenario::Canceller> {
    // speexdsp has no delay estimator: its filter spans the delay and 350 ms of room.
    let span = if kind == Kind::Delay250 { 0.6 } else { 0.4 };
    Box::new(SpeexBaseline::new(RATE, 160, (span * f64::from(RATE)) as usize).expect("speexdsp"))
}

#[test]
fn every_scenario_ours_and_speexdsp() {
    let speech = Speech::new(RATE).expect("espeak-ng speaks (apt-get install espeak-ng)");
    println!("{}", Figures::header());
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        let scenario = Scenario::new(kind, &speech).expect("scenario signals");
        let ours_figures = figures_of(&scenario, &mut ours);
        println!("{}", ours_figures.row(kind, "rtcweb"));
        let speex_figures = figures_of(&scenario, &mut || speex(kind));
        println!("{}", speex_figures.row(kind, "speexdsp"));
        rows.push((kind, ours_figures, speex_figures));
    }
}
