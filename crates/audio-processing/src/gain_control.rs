//! Automatic gain control, digital, after noise suppression: a quiet talker is brought up to
//! a target speech level slowly enough not to pump, and a limiter keeps peaks from clipping.
//!
//! Shaped after libwebrtc's AGC2 adaptive digital controller: the speech level is estimated
//! on speech frames only (frames well above the noise floor), the gain goes toward
//! `target − level` at no more than [`MAX_GAIN_CHANGE_DB_PER_S`] and only while there is
//! speech (so noise alone is never turned up), and is never below 0 dB nor above
//! [`MAX_GAIN_DB`]. The limiter takes the gain down at once where a frame's peak would go
//! over [`LIMIT`], and lets it back up at [`LIMITER_RELEASE_DB_PER_S`]; the gain moves
//! linearly across each frame (no steps, no clicks).

/// Target speech level, dBFS RMS (libwebrtc AGC2 aims at the same region; -18 dBFS leaves
/// 17 dB of headroom for peaks).
pub(crate) const TARGET_DBFS: f32 = -18.0;
/// Largest gain, dB: a talker quieter than -48 dBFS is raised by this much only.
pub(crate) const MAX_GAIN_DB: f32 = 30.0;
/// Largest change of the adaptive gain, dB per second of speech (AGC2's default
/// `max_gain_change_db_per_second`): slow enough not to pump with the syllables.
pub(crate) const MAX_GAIN_CHANGE_DB_PER_S: f32 = 3.0;
/// Peak the limiter keeps the output under (-1 dBFS).
const LIMIT: f32 = 0.891;
/// How fast the limiter gives back gain it took, dB per second.
const LIMITER_RELEASE_DB_PER_S: f32 = 20.0;
/// A frame is speech when its power is this much above the noise floor (10 dB) ...
const SPEECH_OVER_FLOOR: f32 = 10.0;
/// ... and above this (-60 dBFS).
const SPEECH_MIN_POWER: f32 = 1e-6;
/// Smoothing of the speech level per speech frame (about one second of speech).
const LEVEL_SMOOTHING: f32 = 0.01;
/// Rise of the noise floor per frame while above it (about 3 dB a second).
const FLOOR_RISE: f32 = 1.007;
/// Frames per second (10 ms frames).
const FRAMES_PER_S: f32 = 100.0;

/// The gain controller's state.
#[derive(Debug)]
pub(crate) struct GainControl {
    floor: f32,
    level: f32,
    gain_db: f32,
    applied: f32,
}

impl GainControl {
    /// A controller for frames of 10 ms.
    pub(crate) fn new() -> Self {
        Self {
            floor: f32::MAX,
            // The level starts at the target: no gain until speech has been heard.
            level: 10f32.powf(TARGET_DBFS / 10.0),
            gain_db: 0.0,
            applied: 1.0,
        }
    }

    /// The adaptive gain, dB (before the limiter).
    pub(crate) fn gain_db(&self) -> f32 {
        self.gain_db
    }

    /// Applies the gain to `frame` in place.
    pub(crate) fn process(&mut self, frame: &mut [f32]) {
        let n = frame.len().max(1);
        let power = frame.iter().map(|x| x * x).sum::<f32>() / n as f32;
        if !power.is_finite() {
            frame.fill(0.0);
            return;
        }
        // Minimum statistics of the frame power: falls at once, rises slowly.
        self.floor = if power < self.floor {
            power
        } else {
            self.floor.max(1e-12) * FLOOR_RISE
        };
        let speech = power > SPEECH_MIN_POWER && power > SPEECH_OVER_FLOOR * self.floor;
        if speech {
            self.level += LEVEL_SMOOTHING * (power - self.level);
            let level_db = 10.0 * self.level.max(1e-12).log10();
            let target = (TARGET_DBFS - level_db).clamp(0.0, MAX_GAIN_DB);
            let step = MAX_GAIN_CHANGE_DB_PER_S / FRAMES_PER_S;
            self.gain_db += (target - self.gain_db).clamp(-step, step);
        }
        let adaptive = 10f32.powf(self.gain_db / 20.0);
        let peak = frame.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let release = 10f32.powf(LIMITER_RELEASE_DB_PER_S / 20.0 / FRAMES_PER_S);
        let mut target = adaptive.min(self.applied * release);
        if peak * target > LIMIT {
            target = LIMIT / peak;
        }
        // Down at once (the whole frame), up linearly across the frame.
        let start = if target < self.applied {
            target
        } else {
            self.applied
        };
        let step = (target - start) / n as f32;
        for (i, x) in frame.iter_mut().enumerate() {
            *x *= start + step * (i + 1) as f32;
        }
        self.applied = target;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms_db(x: &[f32]) -> f32 {
        10.0 * (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).log10()
    }

    /// Bursts of a 440 Hz tone at `level` dBFS RMS (0.3 s on, 0.2 s off) over noise at
    /// -70 dBFS; frame `f`.
    fn burst_frame(f: usize, level: f32, state: &mut u32) -> (Vec<f32>, bool) {
        let on = f % 50 < 30;
        let amplitude = 10f32.powf(level / 20.0) * std::f32::consts::SQRT_2;
        let noise = 10f32.powf(-70.0 / 20.0) * 1.732;
        let frame = (0..160)
            .map(|i| {
                let mut x = *state;
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *state = x;
                let n = noise * ((x as f32 / u32::MAX as f32) * 2.0 - 1.0);
                let t = (f * 160 + i) as f32 / 16_000.0;
                let s = if on {
                    amplitude * (std::f32::consts::TAU * 440.0 * t).sin()
                } else {
                    0.0
                };
                s + n
            })
            .collect();
        (frame, on)
    }

    #[test]
    fn a_quiet_talker_is_raised_to_the_target_without_pumping() {
        let mut agc = GainControl::new();
        let mut state = 1;
        let mut gains = Vec::new();
        let mut late = Vec::new();
        for f in 0..2000 {
            let (mut frame, on) = burst_frame(f, -36.0, &mut state);
            let before = agc.gain_db();
            agc.process(&mut frame);
            gains.push(agc.gain_db());
            if !on {
                // Noise alone never moves the gain.
                assert_eq!(agc.gain_db(), before, "frame {f}");
            }
            if f >= 1500 && on && f % 50 > 0 {
                late.extend_from_slice(&frame);
            }
        }
        // 18 dB of gain needed; at 3 dB per second of speech (60 % of the time) it is there
        // within 10 s.
        let level = rms_db(&late);
        assert!((level - TARGET_DBFS).abs() < 1.0, "speech at {level} dBFS");
        // No pumping: the gain never moves more than 3 dB in any second.
        for w in gains.windows(100) {
            let change = (w[99] - w[0]).abs();
            assert!(
                change <= MAX_GAIN_CHANGE_DB_PER_S + 1e-3,
                "{change} dB in 1 s"
            );
        }
    }

    #[test]
    fn noise_alone_is_not_turned_up() {
        let mut agc = GainControl::new();
        let mut state = 5;
        for f in 0..1000 {
            let (mut frame, _) = burst_frame(f, -200.0, &mut state);
            agc.process(&mut frame);
        }
        assert_eq!(agc.gain_db(), 0.0);
    }

    #[test]
    fn the_limiter_keeps_peaks_under_full_scale() {
        let mut agc = GainControl::new();
        let mut state = 9;
        // A long quiet stretch raises the gain, then the talker shouts.
        for f in 0..1500 {
            let (mut frame, _) = burst_frame(f, -40.0, &mut state);
            agc.process(&mut frame);
        }
        assert!(agc.gain_db() > 15.0, "gain {}", agc.gain_db());
        for f in 1500..1600 {
            let (mut frame, _) = burst_frame(f, -6.0, &mut state);
            agc.process(&mut frame);
            let peak = frame.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(peak <= LIMIT + 1e-4, "frame {f}: peak {peak}");
        }
    }
}
