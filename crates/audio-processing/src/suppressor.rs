//! Residual echo suppression with comfort noise, broadband and without added latency.
//!
//! What the linear filter leaves (a clipping loudspeaker, a drifting clock, a room that just
//! changed) is estimated from the main filter's echo estimate `y`: `R = r · Σy²`, `r` the
//! residual-to-echo ratio learnt over blocks of far-end single talk. The block's gain is the
//! spectral-subtraction rule on energies, `g = 1 − β R / Σe²`, bounded below; so a near-end
//! talker, who makes `Σe²` large against `R`, keeps a gain near 1 even where the double-talk
//! detector misses him. What the gain takes away of the background noise is put back as
//! comfort noise at the noise floor (minimum statistics of the output), so the far end does
//! not hear the line go dead. The gain moves linearly across each block (no clicks).

/// Overestimation of the residual echo in the gain rule.
const OVERESTIMATION: f32 = 2.0;
/// Smallest gain (−20 dB).
const MIN_GAIN: f32 = 0.1;
/// Smoothing of the residual-to-echo ratio (per single-talk block).
const RATIO_SMOOTHING: f32 = 0.05;
/// Rise of the noise floor per block while above it (about 3 dB a second at 10 ms blocks).
const FLOOR_RISE: f32 = 1.007;

/// The suppressor's state.
#[derive(Debug)]
pub(crate) struct Suppressor {
    ratio: f32,
    floor: f32,
    gain: f32,
    noise_state: u32,
}

impl Suppressor {
    pub(crate) fn new() -> Self {
        Self {
            ratio: 1.0,
            floor: f32::MAX,
            gain: 1.0,
            noise_state: 0x9E37_79B9,
        }
    }

    /// Processes the main filter's `error` in place. `estimate` is the energy of the main
    /// filter's echo estimate over the block; `single_talk` whether the block is far-end
    /// single talk with echo in it (the residual ratio learns only then); `near_end` whether
    /// the double-talk detector holds.
    pub(crate) fn process(
        &mut self,
        error: &mut [f32],
        estimate: f32,
        single_talk: bool,
        near_end: bool,
    ) {
        let n = error.len().max(1) as f32;
        let energy: f32 = error.iter().map(|e| e * e).sum();
        // Minimum statistics: the floor falls at once and rises slowly.
        let per_sample = energy / n;
        self.floor = if per_sample < self.floor {
            per_sample
        } else {
            // From at least -100 dBFS, so a floor set by digital silence can rise again.
            self.floor.max(1e-10) * FLOOR_RISE
        };
        if single_talk && estimate > 0.0 {
            let residual = (energy - self.floor * n).max(0.0) / estimate;
            self.ratio += RATIO_SMOOTHING * (residual.min(1.0) - self.ratio);
        }
        let target = if near_end || energy <= 0.0 {
            1.0
        } else {
            (1.0 - OVERESTIMATION * self.ratio * estimate / energy).clamp(MIN_GAIN, 1.0)
        };
        let start = self.gain;
        let step = (target - start) / n;
        let floor_amplitude = self.floor.sqrt();
        for (i, e) in error.iter_mut().enumerate() {
            let g = start + step * (i + 1) as f32;
            // Comfort noise where the gain took the noise away: uniform, variance 1 (√3
            // amplitude), scaled to the floor.
            let fill = (1.0 - g * g).max(0.0).sqrt() * floor_amplitude;
            *e = g * *e + fill * self.uniform() * 1.732_050_8;
        }
        self.gain = target;
    }

    /// A uniform draw in [-1, 1) (xorshift32: comfort noise needs no better).
    fn uniform(&mut self) -> f32 {
        let mut x = self.noise_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.noise_state = x;
        (x as f32 / u32::MAX as f32) * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_talker_much_louder_than_the_residual_is_kept() {
        let mut s = Suppressor::new();
        s.ratio = 0.01;
        s.gain = 1.0;
        let mut block: Vec<f32> = (0..160).map(|i| ((i as f32) * 0.3).sin() * 0.1).collect();
        let before = block.clone();
        // Echo estimate energy equal to the talker's: residual 1 % of it, 2 % after
        // overestimation; the gain stays at 0.98 or above.
        let energy: f32 = before.iter().map(|e| e * e).sum();
        s.process(&mut block, energy, false, false);
        let after: f32 = block.iter().map(|e| e * e).sum();
        assert!(after > 0.95 * energy, "{after} vs {energy}");
    }

    #[test]
    fn residual_echo_is_suppressed_down_to_the_floor() {
        let mut s = Suppressor::new();
        // Learn: blocks of quiet noise (the floor) between blocks of a residual that is 5 %
        // of the echo estimate.
        let echo_block = |s: &mut Suppressor| {
            let mut block: Vec<f32> = (0..160).map(|i| 0.05 * ((i as f32) * 0.7).sin()).collect();
            let residual: f32 = block.iter().map(|e| e * e).sum();
            s.process(&mut block, residual / 0.05, true, false);
            (residual, block.iter().map(|e| e * e).sum::<f32>())
        };
        for _ in 0..200 {
            let mut quiet: Vec<f32> = (0..160).map(|i| 0.001 * ((i as f32) * 1.3).sin()).collect();
            s.process(&mut quiet, 0.0, false, false);
            echo_block(&mut s);
        }
        let (residual, after) = echo_block(&mut s);
        assert!(after < 0.05 * residual, "{after} vs {residual}");
    }
}
