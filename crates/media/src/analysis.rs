//! What decoded audio sounds like, for tests and demo reports: its level and its strongest
//! frequency.

/// RMS level of 16-bit samples, 0..1 of full scale (0 for none).
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len() as f64).sqrt() / 32768.0
}

/// The power of `samples` (mono, `sample_rate` Hz) at `hz`: one DFT bin, by Goertzel's
/// recurrence.
pub fn tone_power(samples: &[i16], hz: f64, sample_rate: u32) -> f64 {
    let c = 2.0 * (2.0 * std::f64::consts::PI * hz / f64::from(sample_rate)).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s0 = f64::from(x) + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - c * s1 * s2
}

/// The frequency from 100 Hz to 2 kHz with the most power in `samples`: 10 Hz steps,
/// then 1 Hz steps around the best. 0 for no samples.
pub fn peak_frequency(samples: &[i16], sample_rate: u32) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let best = |range: &mut dyn Iterator<Item = u32>| {
        range
            .max_by(|a, b| {
                let power = |hz: u32| tone_power(samples, f64::from(hz), sample_rate);
                power(*a).total_cmp(&power(*b))
            })
            .unwrap_or(0)
    };
    let coarse = best(&mut (100..=2000).step_by(10));
    f64::from(best(
        &mut (coarse.saturating_sub(10).max(100)..=coarse + 10),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AudioSource, ToneSource};

    #[test]
    fn a_tone_is_found_at_its_frequency_and_level() {
        let mut pcm = vec![0i16; 48_000];
        ToneSource::new(443.0, 16_384.0, 48_000, 1).fill(&mut pcm);
        assert_eq!(peak_frequency(&pcm, 48_000), 443.0);
        // A sine of half full scale: RMS of 0.5 / √2.
        assert!((rms(&pcm) - 0.5 / 2f64.sqrt()).abs() < 1e-3);
        assert_eq!(peak_frequency(&[], 48_000), 0.0);
        assert_eq!(rms(&[]), 0.0);
    }
}
