//! What decoded media is like, for tests and demo reports: the level and strongest
//! frequency of audio, and whether a picture shows something (a decoded picture rather than
//! a blank, green or grey one).

use crate::video::I420Frame;

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

/// Luma figures of a picture: enough to tell a picture with content from a flat one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LumaStats {
    /// Mean luma, 0..255.
    pub mean: f64,
    /// Variance of luma.
    pub variance: f64,
    /// Share of horizontally and vertically adjacent luma pairs that differ by more than 16
    /// (edges), 0..1.
    pub edge_ratio: f64,
}

/// The [`LumaStats`] of a picture.
pub fn luma_stats(picture: &I420Frame) -> LumaStats {
    let y = picture.y();
    let w = picture.width() as usize;
    let n = y.len() as f64;
    let (mut sum, mut squares) = (0u64, 0u64);
    for &s in y {
        sum += u64::from(s);
        squares += u64::from(s) * u64::from(s);
    }
    let mean = sum as f64 / n;
    let variance = (squares as f64 / n - mean * mean).max(0.0);
    let edge = |a: u8, b: u8| a.abs_diff(b) > 16;
    let mut edges = 0u64;
    let mut pairs = 0u64;
    for (r, row) in y.chunks_exact(w).enumerate() {
        edges += row.windows(2).filter(|p| edge(p[0], p[1])).count() as u64;
        pairs += (w - 1) as u64;
        if r > 0 {
            let above = &y[(r - 1) * w..r * w];
            edges += above
                .iter()
                .zip(row)
                .filter(|(a, b)| edge(**a, **b))
                .count() as u64;
            pairs += w as u64;
        }
    }
    LumaStats {
        mean,
        variance,
        edge_ratio: if pairs == 0 {
            0.0
        } else {
            edges as f64 / pairs as f64
        },
    }
}

/// Whether a picture shows something: its luma varies (variance above 100, a standard
/// deviation of 10 levels) and has edges (at least 0.5 % of adjacent pairs). A black, grey,
/// white or all-green (zeroed) picture, or a soft gradient, has not.
pub fn picture_has_structure(picture: &I420Frame) -> bool {
    let s = luma_stats(picture);
    s.variance > 100.0 && s.edge_ratio > 0.005
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

    #[test]
    fn flat_pictures_have_no_structure_and_a_pattern_has() {
        let black = I420Frame::black(64, 48).unwrap();
        assert!(!picture_has_structure(&black));
        let green = I420Frame::from_bytes(64, 48, vec![0; 64 * 48 * 3 / 2]).unwrap();
        assert!(!picture_has_structure(&green));
        let mut grey = black.clone();
        grey.planes_mut().0.fill(128);
        assert_eq!(luma_stats(&grey).variance, 0.0);
        // A smooth ramp varies but has no edges.
        let mut ramp = black.clone();
        for (i, s) in ramp.planes_mut().0.iter_mut().enumerate() {
            *s = (i % 64 * 4) as u8;
        }
        assert!(luma_stats(&ramp).variance > 100.0);
        assert!(!picture_has_structure(&ramp));
        let mut p = crate::video::TestPattern::new(160, 120).unwrap();
        assert!(picture_has_structure(&p.next_frame(0)));
        let one = I420Frame::black(1, 1).unwrap();
        assert_eq!(luma_stats(&one).edge_ratio, 0.0);
    }
}
