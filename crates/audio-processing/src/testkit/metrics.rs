//! The figures issue 18 judges a canceller by, over signals whose parts are known.
//!
//! ERLE (echo return loss enhancement) is the ITU-T G.168 ratio of the power of the
//! microphone signal to the power of the processed signal, both over frames where the echo
//! is active (its energy within 30 dB of its loudest frame), during far-end single talk.
//! The microphone signal holds the background noise too, so a canceller that passes the
//! noise through cannot show more ERLE than the echo-to-noise ratio.

use std::ops::Range;

/// ERLE in dB of `out` against `mic`: `10 log10(Σ mic² / Σ out²)`.
pub fn erle_db(mic: &[f32], out: &[f32]) -> f64 {
    10.0 * (energy(mic).max(1e-20) / energy(out).max(1e-20)).log10()
}

/// Which `frame`-sample frames of `signal` are active: energy within 30 dB of the loudest.
pub fn active_frames(signal: &[f32], frame: usize) -> Vec<bool> {
    let energies: Vec<f64> = signal.chunks(frame).map(energy).collect();
    let peak = energies.iter().cloned().fold(0.0, f64::max);
    energies
        .iter()
        .map(|&e| e > 0.0 && e > peak * 1e-3)
        .collect()
}

/// ERLE in dB over the active frames (of `active`, per `frame` samples) inside the sample
/// range `range`; `None` when no active frame is in it.
pub fn erle_over(
    mic: &[f32],
    out: &[f32],
    active: &[bool],
    frame: usize,
    range: Range<usize>,
) -> Option<f64> {
    let (mut num, mut den, mut any) = (0.0, 0.0, false);
    let frames = range.start / frame..range.end.div_ceil(frame).min(active.len());
    for (f, &is_active) in active
        .iter()
        .enumerate()
        .take(frames.end)
        .skip(frames.start)
    {
        let span = f * frame..((f + 1) * frame).min(mic.len()).min(out.len());
        if is_active && !span.is_empty() {
            num += energy(&mic[span.clone()]);
            den += energy(&out[span]);
            any = true;
        }
    }
    any.then(|| 10.0 * (num.max(1e-20) / den.max(1e-20)).log10())
}

/// Seconds from sample `from` until ERLE first reaches `target_db`: the start of the first
/// frame at or after `from` whose next `window` samples (their active frames, at least five)
/// show that ERLE. `None` if it never does before `until`.
#[allow(clippy::too_many_arguments)]
pub fn time_to_erle(
    mic: &[f32],
    out: &[f32],
    active: &[bool],
    frame: usize,
    rate: u32,
    from: usize,
    until: usize,
    window: usize,
    target_db: f64,
) -> Option<f64> {
    let mut start = from;
    while start + window <= until {
        let first = start / frame;
        let last = ((start + window) / frame).min(active.len());
        let count = active[first..last].iter().filter(|&&a| a).count();
        if count >= 5 {
            if let Some(erle) = erle_over(mic, out, active, frame, start..start + window) {
                if erle >= target_db {
                    return Some((start - from) as f64 / f64::from(rate));
                }
            }
        }
        start += frame;
    }
    None
}

/// Segmental SNR in dB of `out` against `reference` over the frames where `mask` is set:
/// the mean over frames of `10 log10(Σ ref² / Σ (out - ref)²)`, each clamped to
/// [-10, 35] dB as is usual (silence and perfect frames do not dominate).
pub fn segmental_snr_db(reference: &[f32], out: &[f32], mask: &[bool], frame: usize) -> f64 {
    let mut sum = 0.0;
    let mut count = 0usize;
    for (f, &m) in mask.iter().enumerate() {
        let span = f * frame..((f + 1) * frame).min(reference.len()).min(out.len());
        if !m || span.is_empty() {
            continue;
        }
        let signal = energy(&reference[span.clone()]);
        let error: f64 = reference[span.clone()]
            .iter()
            .zip(&out[span])
            .map(|(&r, &o)| f64::from(o - r) * f64::from(o - r))
            .sum();
        let snr = 10.0 * (signal.max(1e-20) / error.max(1e-20)).log10();
        sum += snr.clamp(-10.0, 35.0);
        count += 1;
    }
    if count == 0 { 0.0 } else { sum / count as f64 }
}

/// Level in dB of `a` relative to `b` over the frames where `mask` is set.
pub fn level_db(a: &[f32], b: &[f32], mask: &[bool], frame: usize) -> f64 {
    let (mut ea, mut eb) = (0.0, 0.0);
    for (f, &m) in mask.iter().enumerate() {
        let span = f * frame..((f + 1) * frame).min(a.len()).min(b.len());
        if m && !span.is_empty() {
            ea += energy(&a[span.clone()]);
            eb += energy(&b[span]);
        }
    }
    10.0 * (ea.max(1e-20) / eb.max(1e-20)).log10()
}

/// The lag in samples (0 to `max_lag`) by which `out` best trails `reference` (largest
/// cross-correlation), so a processor's latency does not count as distortion.
pub fn best_lag(reference: &[f32], out: &[f32], max_lag: usize) -> usize {
    (0..=max_lag)
        .max_by(|&a, &b| {
            let c = |lag: usize| -> f64 {
                reference
                    .iter()
                    .zip(out.iter().skip(lag))
                    .map(|(&r, &o)| f64::from(r) * f64::from(o))
                    .sum()
            };
            c(a).total_cmp(&c(b))
        })
        .unwrap_or(0)
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&s| f64::from(s) * f64::from(s)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::signals::noise;

    #[test]
    fn erle_of_an_exactly_attenuated_echo_is_the_attenuation() {
        let mic = noise(16_000, 0.1, 1);
        let out: Vec<f32> = mic.iter().map(|s| s * 10f32.powf(-25.0 / 20.0)).collect();
        assert!((erle_db(&mic, &out) - 25.0).abs() < 1e-3);
        let active = active_frames(&mic, 160);
        assert!(active.iter().all(|&a| a));
        let e = erle_over(&mic, &out, &active, 160, 0..16_000).unwrap();
        assert!((e - 25.0).abs() < 1e-3);
    }

    #[test]
    fn erle_counts_only_active_frames() {
        let mut mic = noise(16_000, 0.1, 2);
        mic[8000..].iter_mut().for_each(|s| *s *= 1e-3);
        // The quiet half is left unprocessed: it must not pull the figure down.
        let out: Vec<f32> = mic
            .iter()
            .enumerate()
            .map(|(i, &s)| if i < 8000 { s * 0.01 } else { s })
            .collect();
        let active = active_frames(&mic, 160);
        assert_eq!(active.iter().filter(|&&a| a).count(), 50);
        let e = erle_over(&mic, &out, &active, 160, 0..16_000).unwrap();
        assert!((e - 40.0).abs() < 1e-3);
    }

    #[test]
    fn time_to_erle_finds_where_the_attenuation_starts() {
        let mic = noise(48_000, 0.1, 3);
        // No cancellation for the first 1.5 s, 12 dB for 0.5 s, then 25 dB.
        let out: Vec<f32> = mic
            .iter()
            .enumerate()
            .map(|(i, &s)| match i {
                0..24_000 => s,
                24_000..32_000 => s * 10f32.powf(-12.0 / 20.0),
                _ => s * 10f32.powf(-25.0 / 20.0),
            })
            .collect();
        let active = active_frames(&mic, 160);
        let t = |db| time_to_erle(&mic, &out, &active, 160, 16_000, 8000, 48_000, 1600, db);
        // Reached within one window (0.1 s) before the change: the window that starts a
        // little early already averages above the target.
        let t10 = t(10.0).unwrap();
        assert!((0.9..=1.0).contains(&t10), "{t10}");
        let t20 = t(20.0).unwrap();
        assert!((1.4..=1.5).contains(&t20), "{t20}");
        assert_eq!(t(30.0), None);
    }

    #[test]
    fn segmental_snr_and_level_of_known_distortion() {
        let reference = noise(16_000, 0.1, 4);
        let disturbance = noise(16_000, 0.001, 5);
        let out: Vec<f32> = reference
            .iter()
            .zip(&disturbance)
            .map(|(r, d)| r + d)
            .collect();
        let mask = vec![true; 100];
        let snr = segmental_snr_db(&reference, &out, &mask, 160);
        assert!((snr - 35.0).abs() < 0.01, "clamped at 35: {snr}");
        let half: Vec<f32> = reference.iter().map(|s| s * 0.5).collect();
        assert!((level_db(&half, &reference, &mask, 160) + 6.0206).abs() < 1e-3);
        // Half the amplitude: the error is as loud as what is left, 6 dB below the reference.
        let snr = segmental_snr_db(&reference, &half, &mask, 160);
        assert!((snr - 6.0206).abs() < 1e-3, "{snr}");
    }

    #[test]
    fn best_lag_finds_a_delay() {
        let reference = noise(4000, 0.1, 6);
        let mut out = vec![0.0; 37];
        out.extend_from_slice(&reference);
        assert_eq!(best_lag(&reference, &out, 100), 37);
    }
}
