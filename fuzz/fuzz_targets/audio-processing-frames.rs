//! The audio processor fed arbitrary frames: render and capture frames in any order and
//! number (queue overflow and underrun), full-scale square waves, alternating extremes,
//! silence, bytes as samples, and frames of the wrong length, at any supported rate, with
//! any combination of echo cancellation, high-pass filter, noise suppression and gain
//! control. No panic; a wrong length is refused with an error and changes nothing; and it
//! recovers: once the render has been silent for longer than the filter and delay span (and
//! the noise estimate's window), a loud capture comes through with at least a quarter of
//! its energy (a state that had become NaN or infinite would give silence), and exactly
//! when every stage is off.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor, FrameError, SAMPLE_RATES};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Some((&stages, ops)) = rest.split_first() else {
        return;
    };
    let mut config = AudioProcessingConfig::new(SAMPLE_RATES[usize::from(first % 3)]);
    config.echo_tail_ms = 10 + u32::from(first / 3 % 50) * 10;
    config.max_delay_ms = u32::from(first / 150) * 250;
    config.echo_cancellation = stages & 1 != 0;
    config.high_pass_filter = stages & 2 != 0;
    config.noise_suppression = stages & 4 != 0;
    config.auto_gain_control = stages & 8 != 0;
    let all_off = stages & 15 == 0;
    let mut apm = AudioProcessor::new(config).expect("a supported configuration");
    let n = apm.frame_len();
    let mut frame = vec![0i16; n];
    for op in ops.chunks(4) {
        let [kind, a, b, c] = *op else { break };
        let content = kind / 4 % 5;
        match content {
            // Full-scale square wave of period 2..257 samples.
            0 => {
                let half = usize::from(a) + 1;
                for (i, s) in frame.iter_mut().enumerate() {
                    *s = if (i / half) % 2 == 0 {
                        i16::MAX
                    } else {
                        i16::MIN
                    };
                }
            }
            1 => frame.fill(0),
            // Extremes alternating sample by sample.
            2 => {
                for (i, s) in frame.iter_mut().enumerate() {
                    *s = if i % 2 == 0 { i16::MIN } else { i16::MAX };
                }
            }
            // The fuzz bytes themselves, repeated.
            3 => {
                for (i, s) in frame.iter_mut().enumerate() {
                    let bytes = [op[i % 4], op[(i + 1) % 4]];
                    *s = i16::from_le_bytes(bytes);
                }
            }
            // A constant (DC) at any level.
            _ => frame.fill(i16::from_le_bytes([b, c])),
        }
        let repeat = 1 + usize::from(c % 8);
        for _ in 0..repeat {
            match kind % 4 {
                0 => apm.handle_render_frame(&frame).expect("a 10 ms frame"),
                1 => apm
                    .process_capture_frame(&mut frame.clone())
                    .expect("a 10 ms frame"),
                2 => {
                    apm.handle_render_frame(&frame).expect("a 10 ms frame");
                    apm.process_capture_frame(&mut frame.clone())
                        .expect("a 10 ms frame");
                }
                _ => {
                    let wrong = usize::from(b) % (2 * n + 1);
                    if wrong != n {
                        let mut bad = vec![0i16; wrong];
                        let before = bad.clone();
                        let err = apm.process_capture_frame(&mut bad);
                        assert_eq!(
                            err,
                            Err(FrameError::Length {
                                expected: n,
                                actual: wrong
                            })
                        );
                        assert_eq!(bad, before, "a refused frame is left alone");
                        assert!(apm.handle_render_frame(&bad).is_err());
                    }
                }
            }
        }
    }
    // Recovery: a silent render for longer than delay + tail (and the queue drained) and
    // the noise suppressor's 1.5 s window, then a capture that must come through.
    let silence = vec![0i16; n];
    for _ in 0..200 {
        apm.handle_render_frame(&silence).expect("a 10 ms frame");
        apm.process_capture_frame(&mut silence.clone())
            .expect("a 10 ms frame");
    }
    let energy = |x: &[i16]| x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>();
    let (mut energy_in, mut energy_out) = (0.0, 0.0);
    // A 1 kHz square wave at -12 dBFS: well above the high-pass filter and under the
    // limiter.
    let half_period = n / 20;
    let capture: Vec<i16> = (0..n)
        .map(|i| {
            if (i / half_period) % 2 == 0 {
                8192
            } else {
                -8192
            }
        })
        .collect();
    for _ in 0..5 {
        let mut out = capture.clone();
        apm.handle_render_frame(&silence).expect("a 10 ms frame");
        apm.process_capture_frame(&mut out).expect("a 10 ms frame");
        if all_off {
            assert_eq!(
                out, capture,
                "with every stage off the capture passes through"
            );
        }
        energy_in += energy(&capture);
        energy_out += energy(&out);
    }
    // The post-filter's frame of latency holds back a fifth; the high-pass filter and the
    // limiter take a little more.
    assert!(
        energy_out >= 0.25 * energy_in,
        "the capture did not come back after silence: {energy_out} of {energy_in}"
    );
});
