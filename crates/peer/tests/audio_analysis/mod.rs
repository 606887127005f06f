//! What a decoded tone sounds like: its level and its strongest frequency.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

/// RMS level of 16-bit samples, 0..1 of full scale.
pub fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len().max(1) as f64).sqrt() / 32768.0
}

/// The frequency from 100 Hz to 2 kHz (10 Hz steps) with the most energy in 48 kHz
/// `samples` (a DFT bin per step, Goertzel's recurrence).
pub fn peak_frequency(samples: &[i16]) -> f64 {
    let power = |f: f64| {
        let w = 2.0 * std::f64::consts::PI * f / 48_000.0;
        let c = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &x in samples {
            let s = f64::from(x) + c * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        s1 * s1 + s2 * s2 - c * s1 * s2
    };
    (10..=200)
        .map(|i| f64::from(i) * 10.0)
        .max_by(|a, b| power(*a).total_cmp(&power(*b)))
        .unwrap_or(0.0)
}
