//! Stereo frames: a stereo render (mixed down to the reference) and a stereo capture whose
//! two microphones hear the loudspeakers through different rooms; each capture channel has
//! its own canceller and loses its own echo, at 16 and 48 kHz.
//!
//! The render is one far-end voice panned (the right loudspeaker at 0.6 of the left), as
//! a call's stereo usually is. Two unrelated loudspeaker signals are beyond a mixed-down
//! reference: measured with independent noise in each, 26 dB (the suppressors' work; the
//! linear filter cannot model two paths from one reference).

use rtcweb_audio_processing::testkit::signals::{convolve, noise, room, to_f32, to_i16};
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};

/// ERLE in dB of each capture channel over the last 2 s of 6 s of seeded noise as render.
fn erle_per_channel(rate: u32) -> [f64; 2] {
    let len = 6 * rate as usize;
    let left = noise(len, 0.05, 1);
    let right: Vec<f32> = left.iter().map(|s| 0.6 * s).collect();
    // What reaches each microphone: both loudspeakers, each through its own room.
    let mic = |seed: u64, delay: f64| -> Vec<f32> {
        let a = convolve(&left, &room(rate, delay, 0.3, 3.0, seed));
        let b = convolve(&right, &room(rate, delay + 0.003, 0.3, 3.0, seed + 10));
        a.iter().zip(&b).map(|(a, b)| 0.5 * (a + b)).collect()
    };
    let mics = [mic(3, 0.03), mic(4, 0.05)];
    let interleave = |a: &[f32], b: &[f32]| -> Vec<i16> {
        to_i16(
            &a.iter()
                .zip(b)
                .flat_map(|(&a, &b)| [a, b])
                .collect::<Vec<_>>(),
        )
    };
    let render = interleave(&left, &right);
    let capture = interleave(&mics[0], &mics[1]);
    let mut config = AudioProcessingConfig::new(rate);
    config.channels = 2;
    config.noise_suppression = false;
    let mut apm = AudioProcessor::new(config).expect("stereo is supported");
    let frame = apm.frame_len();
    assert_eq!(frame, 2 * (rate / 100) as usize);
    let mut out = capture.clone();
    for (r, c) in render.chunks_exact(frame).zip(out.chunks_exact_mut(frame)) {
        apm.handle_render_frame(r).expect("a stereo frame");
        apm.process_capture_frame(c).expect("a stereo frame");
    }
    let (capture, out) = (to_f32(&capture), to_f32(&out));
    let from = 2 * (len - 2 * rate as usize);
    let energy = |x: &[f32], channel: usize| -> f64 {
        x[from..]
            .iter()
            .skip(channel)
            .step_by(2)
            .map(|&s| f64::from(s) * f64::from(s))
            .sum()
    };
    [0, 1].map(|c| 10.0 * (energy(&capture, c) / energy(&out, c)).log10())
}

#[test]
fn each_capture_channel_loses_its_own_echo() {
    for rate in [16_000, 48_000] {
        let erle = erle_per_channel(rate);
        println!(
            "{rate} Hz: ERLE {:.1} dB left, {:.1} dB right",
            erle[0], erle[1]
        );
        for (channel, erle) in erle.iter().enumerate() {
            assert!(*erle >= 30.0, "{rate} Hz, channel {channel}: {erle:.1} dB");
        }
    }
}
