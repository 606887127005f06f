//! The high-pass filter on the capture stream: a 2nd-order Butterworth at 80 Hz, as in
//! libwebrtc's audio processing. It takes away the rumble, handling noise and DC offset a
//! microphone picks up below speech (whose fundamental starts around 85 Hz), which would
//! otherwise cost the noise suppressor its attention and the encoder its bits.
//!
//! It runs after the echo canceller, not before it as libwebrtc's does: in front of the
//! canceller, the scenarios' double-talk segmental SNR fell from 20.1 to 18.8 dB (the
//! canceller's double-talk detector weighs energies, and the filtered talker, a male voice
//! with much of its energy near 100 Hz, trips it later).

use biquad::{
    Biquad as _, Coefficients, DirectForm2Transposed, Q_BUTTERWORTH_F32, ToHertz as _, Type,
};

/// Cut-off frequency, Hz (-3 dB).
pub(crate) const CUTOFF_HZ: f32 = 80.0;

/// The filter's state.
#[derive(Debug)]
pub(crate) struct HighPass {
    filter: DirectForm2Transposed<f32>,
}

impl HighPass {
    /// A filter for `sample_rate` Hz (one of the supported rates, all far above 160 Hz).
    pub(crate) fn new(sample_rate: u32) -> Self {
        // RBJ audio-EQ-cookbook high-pass with Q = 1/√2: Butterworth. It only refuses a
        // cut-off at or above Nyquist or a negative Q, neither possible at 16 kHz and up.
        let coefficients = Coefficients::<f32>::from_params(
            Type::HighPass,
            (sample_rate as f32).hz(),
            CUTOFF_HZ.hz(),
            Q_BUTTERWORTH_F32,
        )
        .expect("80 Hz is below the Nyquist frequency of every supported rate");
        Self {
            filter: DirectForm2Transposed::<f32>::new(coefficients),
        }
    }

    /// Filters `frame` in place. A state that has become non-finite (it cannot from
    /// 16-bit input) is reset, so one bad sample does not silence the stream for good.
    pub(crate) fn process(&mut self, frame: &mut [f32]) {
        for x in frame.iter_mut() {
            *x = self.filter.run(*x);
        }
        if !(self.filter.s1.is_finite() && self.filter.s2.is_finite()) {
            self.filter.reset_state();
            frame.fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gain in dB of a tone of `hz` through a fresh filter at `rate`, after 0.5 s.
    fn gain_db(rate: u32, hz: f32) -> f32 {
        let mut hp = HighPass::new(rate);
        let frame = (rate / 100) as usize;
        let mut signal: Vec<f32> = (0..rate as usize)
            .map(|i| (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin())
            .collect();
        let energy_in: f32 = signal[rate as usize / 2..].iter().map(|s| s * s).sum();
        for chunk in signal.chunks_mut(frame) {
            hp.process(chunk);
        }
        let energy_out: f32 = signal[rate as usize / 2..].iter().map(|s| s * s).sum();
        10.0 * (energy_out / energy_in).log10()
    }

    #[test]
    fn a_butterworth_response_at_every_rate() {
        for rate in crate::SAMPLE_RATES {
            // |H|² = f⁴ / (f⁴ + fc⁴) for a 2nd-order Butterworth high-pass.
            assert!((gain_db(rate, CUTOFF_HZ) + 3.01).abs() < 0.2, "{rate}");
            assert!(gain_db(rate, 20.0) < -23.0, "{rate}");
            assert!(gain_db(rate, 300.0).abs() < 0.1, "{rate}");
            assert!(gain_db(rate, 3000.0).abs() < 0.01, "{rate}");
        }
    }

    #[test]
    fn a_dc_offset_is_removed() {
        let mut hp = HighPass::new(16_000);
        let mut frame = vec![0.25f32; 160];
        for _ in 0..100 {
            frame.fill(0.25);
            hp.process(&mut frame);
        }
        assert!(frame.iter().all(|s| s.abs() < 1e-3), "{:?}", &frame[..4]);
    }

    #[test]
    fn a_non_finite_state_is_reset() {
        let mut hp = HighPass::new(16_000);
        let mut frame = vec![f32::INFINITY; 160];
        hp.process(&mut frame);
        let mut frame = vec![0.1f32; 160];
        hp.process(&mut frame);
        assert!(frame.iter().all(|s| s.is_finite()));
    }
}
