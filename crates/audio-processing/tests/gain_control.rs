//! Automatic gain control on speech: a quiet talker (espeak-ng, -38 dBFS RMS over a fan at
//! -78 dBFS) through the whole default chain with `auto_gain_control` on is raised to the
//! target of -18 dBFS, and the gain never moves faster than 3 dB a second (no pumping).
//!
//! Measured (`cargo test -p rtcweb-audio-processing --test gain_control -- --nocapture`):
//! output speech -18.0 dBFS over the last 8 s, final gain 19.5 dB, largest change of the
//! gain in any second 2.85 dB. Asserted: within 1.5 dB of the target, at most 3 dB a
//! second (the design's rate, AGC2's default).

use rtcweb_audio_processing::testkit::scenario::{Speech, frame_len};
use rtcweb_audio_processing::testkit::signals::{active_rms, noise, scale_to, to_f32, to_i16};
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};

const RATE: u32 = 16_000;

#[test]
fn a_quiet_talker_is_raised_to_the_target_without_pumping() {
    let speech = Speech::new(RATE).expect("espeak-ng speaks (apt-get install espeak-ng)");
    let mut talker = speech.far.clone();
    scale_to(&mut talker, RATE, -38.0);
    let fan = noise(talker.len(), 10f32.powf(-78.0 / 20.0), 7);
    let capture: Vec<f32> = talker.iter().zip(&fan).map(|(t, n)| t + n).collect();
    let mut config = AudioProcessingConfig::new(RATE);
    config.auto_gain_control = true;
    let mut apm = AudioProcessor::new(config).expect("16 kHz mono");
    let n = frame_len(RATE);
    let silence = vec![0i16; n];
    let mut out = to_i16(&capture);
    let mut gains = Vec::new();
    for frame in out.chunks_exact_mut(n) {
        apm.handle_render_frame(&silence).expect("10 ms");
        apm.process_capture_frame(frame).expect("10 ms");
        gains.push(apm.stats().gain_db.expect("gain control is on"));
    }
    let out = to_f32(&out);
    // The last 8 s: the gain has had 12 s (3 dB a second of speech, 20 dB to go).
    let tail = out.len() - 8 * RATE as usize;
    let level = 20.0 * active_rms(&out[tail..], RATE).log10();
    let largest_change = gains
        .windows(100)
        .map(|w| (w[99] - w[0]).abs())
        .fold(0.0, f64::max);
    println!(
        "output speech {level:.1} dBFS (target -18), final gain {:.1} dB, largest change in 1 s {largest_change:.2} dB",
        gains.last().copied().unwrap_or(0.0)
    );
    assert!((level + 18.0).abs() <= 1.5, "speech at {level:.1} dBFS");
    assert!(largest_change <= 3.0 + 1e-3, "{largest_change} dB in 1 s");
}
