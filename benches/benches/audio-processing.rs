//! rtcweb-audio-processing per 10 ms frame, next to speexdsp's echo canceller and
//! preprocessor measured in the same run on the same signals (issue 18's baseline).
//!
//! - one render frame and one capture frame through the processor in its default
//!   configuration (echo canceller, high-pass filter, post-filter with residual echo and
//!   noise suppression), at 16 and 48 kHz, the
//!   render being seeded noise and the capture its echo through a synthetic room (40 ms
//!   delay, RT60 300 ms), the canceller running on from frame to frame after a second of
//!   convergence;
//! - speexdsp with a filter as long as ours spans (the 400 ms tail after the delay, plus
//!   20 ms: it has no delay estimator, so this is its cost for the same room).
//!
//! The real-time factor on one core is the time per frame divided by 10 ms; the issue's
//! target is 0.005 (50 µs per frame). Measured (`cargo bench -p rtcweb-benches --bench
//! audio-processing`, this 2-core machine, quiet): 48 kHz, rtcweb 107.6 µs (RTF 0.0108),
//! speexdsp 216.9 µs (0.0217), ratio 0.50; 16 kHz, rtcweb 35.1 µs (0.0035), speexdsp
//! 72.7 µs (0.0073), ratio 0.48. Before the gradient constraint went to 12 partitions a
//! block plus two in turn (`filter.rs`): 168 and 62 µs. The target is met at 16 kHz, not
//! at 48 kHz: the filter runs on the full band (a 400 ms filter of 42 partitions of 481
//! bins), where a band split would run it on 16 kHz.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rtcweb_audio_processing::testkit::signals::{convolve, noise, room, to_i16};
use rtcweb_audio_processing::testkit::speex::SpeexBaseline;
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};

/// One second of render and its echo at `rate`.
fn signals(rate: u32) -> (Vec<i16>, Vec<i16>) {
    let render = noise(rate as usize, 0.05, 1);
    let echo = convolve(&render, &room(rate, 0.04, 0.3, 3.0, 2));
    (to_i16(&render), to_i16(&echo))
}

fn audio_processing(c: &mut Criterion) {
    for rate in [16_000u32, 48_000] {
        let (render, capture) = signals(rate);
        let n = (rate / 100) as usize;
        let frames = render.len() / n;
        let mut g = c.benchmark_group(format!("audio_processing_{}k", rate / 1000));
        g.warm_up_time(Duration::from_secs(1));
        g.bench_function("rtcweb", |b| {
            let mut apm = AudioProcessor::new(AudioProcessingConfig::new(rate)).unwrap();
            let mut out = vec![0i16; n];
            let mut i = 0;
            b.iter(|| {
                let f = i % frames;
                i += 1;
                out.copy_from_slice(&capture[f * n..(f + 1) * n]);
                apm.handle_render_frame(black_box(&render[f * n..(f + 1) * n]))
                    .unwrap();
                apm.process_capture_frame(black_box(&mut out)).unwrap();
                black_box(&out);
            })
        });
        g.bench_function("speexdsp", |b| {
            let tail = (0.42 * f64::from(rate)) as usize;
            let mut speex = SpeexBaseline::new(rate, n, tail).unwrap();
            let mut out = vec![0i16; n];
            let mut i = 0;
            b.iter(|| {
                let f = i % frames;
                i += 1;
                out.copy_from_slice(&capture[f * n..(f + 1) * n]);
                speex.process(black_box(&render[f * n..(f + 1) * n]), black_box(&mut out));
                black_box(&out);
            })
        });
        g.finish();
    }
}

criterion_group!(benches, audio_processing);
criterion_main!(benches);
