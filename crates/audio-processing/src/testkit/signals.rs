//! Test signals, made deterministically: speech from espeak-ng (through a WAV file, read back
//! with `hound`), synthetic room impulse responses, seeded background noise, a soft-clipping
//! loudspeaker and a capture clock that runs fast (resampled with `rubato`).

use std::path::Path;
use std::process::Command;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use realfft::RealFftPlanner;
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Resampler as _, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

use super::TestkitError;

/// Speech of `text` in espeak-ng's `voice` (e.g. `en-us+m3`), at `rate` Hz, as samples in
/// [-1, 1]. The WAV espeak-ng writes goes to `dir` and is read back.
pub fn speak(voice: &str, text: &str, rate: u32, dir: &Path) -> Result<Vec<f32>, TestkitError> {
    let path = dir.join(format!("{}.wav", voice.replace(['+', '-'], "_")));
    let status = Command::new("espeak-ng")
        .arg("-v")
        .arg(voice)
        .args(["-s", "165", "-w"])
        .arg(&path)
        .arg(text)
        .status()
        .map_err(|e| TestkitError::Espeak(e.to_string()))?;
    if !status.success() {
        return Err(TestkitError::Espeak(format!(
            "espeak-ng exited with {status}"
        )));
    }
    let mut reader = hound::WavReader::open(&path)?;
    let spec = reader.spec();
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .step_by(usize::from(spec.channels.max(1)))
        .map(|s| s.map(|s| f32::from(s) / 32768.0))
        .collect::<Result<_, _>>()?;
    resample(&samples, spec.sample_rate, rate)
}

/// `input` at `from` Hz converted to `to` Hz (rubato's FFT resampler).
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, TestkitError> {
    if from == to {
        return Ok(input.to_vec());
    }
    let mut resampler = Fft::<f32>::new(from as usize, to as usize, 1024, 1, FixedSync::Input)
        .map_err(|e| TestkitError::Resample(e.to_string()))?;
    let adapter = InterleavedSlice::new(input, 1, input.len())
        .map_err(|e| TestkitError::Resample(e.to_string()))?;
    let out = resampler
        .process_all(&adapter, input.len(), None)
        .map_err(|e| TestkitError::Resample(e.to_string()))?;
    Ok(out.take_data())
}

/// `input` as a clock running `ppm` parts per million fast would sample it: the same
/// duration takes `1 + ppm/1e6` times as many samples (rubato's asynchronous sinc
/// resampler).
pub fn drift(input: &[f32], ppm: f64) -> Result<Vec<f32>, TestkitError> {
    let parameters = SincInterpolationParameters {
        sinc_len: 128,
        f_cutoff: Some(0.95),
        interpolation: SincInterpolationType::Cubic,
        oversampling_factor: 64,
        window: WindowFunction::BlackmanHarris2,
    };
    let mut resampler = Async::<f32>::new_sinc(
        1.0 + ppm * 1e-6,
        1.01,
        &parameters,
        1024,
        1,
        FixedAsync::Input,
    )
    .map_err(|e| TestkitError::Resample(e.to_string()))?;
    let adapter = InterleavedSlice::new(input, 1, input.len())
        .map_err(|e| TestkitError::Resample(e.to_string()))?;
    let out = resampler
        .process_all(&adapter, input.len(), None)
        .map_err(|e| TestkitError::Resample(e.to_string()))?;
    Ok(out.take_data())
}

/// A synthetic room impulse response at `rate` Hz: a direct path of gain 1 after `delay_s`,
/// then from 1 ms later an exponentially decaying seeded white-noise tail that falls by
/// 60 dB in `rt60_s`, scaled so the direct path is `drr_db` above the tail's energy.
pub fn room(rate: u32, delay_s: f64, rt60_s: f64, drr_db: f64, seed: u64) -> Vec<f32> {
    let rate_f = f64::from(rate);
    let delay = (delay_s * rate_f).round() as usize;
    let gap = (0.001 * rate_f) as usize;
    let tail_len = (rt60_s * rate_f) as usize;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tail: Vec<f64> = (0..tail_len)
        .map(|n| {
            let t = n as f64 / rate_f;
            // 60 dB of amplitude decay over RT60: 10^(-3 t / RT60).
            gaussian(&mut rng) * 10f64.powf(-3.0 * t / rt60_s)
        })
        .collect();
    let energy: f64 = tail.iter().map(|v| v * v).sum();
    let scale = (10f64.powf(-drr_db / 10.0) / energy.max(1e-30)).sqrt();
    tail.iter_mut().for_each(|v| *v *= scale);
    let mut h = vec![0.0f32; delay + gap + tail_len];
    h[delay] = 1.0;
    for (i, v) in tail.iter().enumerate() {
        h[delay + gap + i] += *v as f32;
    }
    h
}

/// `x` convolved with `h`, cut to the length of `x` (overlap-add through realfft).
pub fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    let fft_len = (2 * h.len()).next_power_of_two().max(1024);
    let block = fft_len - h.len() + 1;
    let mut planner = RealFftPlanner::<f32>::new();
    let forward = planner.plan_fft_forward(fft_len);
    let inverse = planner.plan_fft_inverse(fft_len);
    let mut h_time = vec![0.0f32; fft_len];
    h_time[..h.len()].copy_from_slice(h);
    let mut h_freq = forward.make_output_vec();
    // The lengths come from the plans themselves.
    forward
        .process(&mut h_time, &mut h_freq)
        .expect("plan lengths");
    let mut out = vec![0.0f32; x.len() + fft_len];
    let mut time = forward.make_input_vec();
    let mut freq = forward.make_output_vec();
    let norm = 1.0 / fft_len as f32;
    for (index, chunk) in x.chunks(block).enumerate() {
        time.fill(0.0);
        time[..chunk.len()].copy_from_slice(chunk);
        forward.process(&mut time, &mut freq).expect("plan lengths");
        freq.iter_mut().zip(&h_freq).for_each(|(a, b)| *a *= b);
        inverse.process(&mut freq, &mut time).expect("plan lengths");
        let start = index * block;
        for (o, t) in out[start..start + fft_len].iter_mut().zip(&time) {
            *o += t * norm;
        }
    }
    out.truncate(x.len());
    out
}

/// Seeded background noise of `len` samples: white Gaussian noise through a one-pole
/// low-pass (a fan's hum is mostly low), scaled to `rms`.
pub fn noise(len: usize, rms: f32, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut state = 0.0f64;
    let mut v: Vec<f32> = (0..len)
        .map(|_| {
            state = 0.7 * state + gaussian(&mut rng);
            state as f32
        })
        .collect();
    let now = rms_of(&v);
    if now > 0.0 {
        v.iter_mut().for_each(|s| *s *= rms / now);
    }
    v
}

/// A loudspeaker driven into soft clipping: `tanh(drive * x) / tanh(drive)`, so full scale
/// stays full scale and loud passages are compressed.
pub fn soft_clip(x: &[f32], drive: f32) -> Vec<f32> {
    let norm = drive.tanh();
    x.iter().map(|&s| (drive * s).tanh() / norm).collect()
}

/// Root mean square of `x`.
pub fn rms_of(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len() as f64).sqrt() as f32
}

/// Root mean square of `x` over its active 10 ms frames (those within 30 dB of the loudest),
/// the level of speech as a listener hears it rather than diluted by its pauses.
pub fn active_rms(x: &[f32], rate: u32) -> f32 {
    let frame = (rate / 100) as usize;
    let energies: Vec<f64> = x
        .chunks(frame)
        .map(|c| c.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / c.len() as f64)
        .collect();
    let peak = energies.iter().cloned().fold(0.0, f64::max);
    let active: Vec<f64> = energies
        .into_iter()
        .filter(|&e| e > peak * 1e-3 && e > 0.0)
        .collect();
    if active.is_empty() {
        return 0.0;
    }
    (active.iter().sum::<f64>() / active.len() as f64).sqrt() as f32
}

/// `x` scaled so its active level ([`active_rms`]) is `level_db` dBFS (0 dBFS = a full-scale
/// sine's RMS of 1/√2 is taken as -3 dBFS, i.e. the reference is an RMS of 1).
pub fn scale_to(x: &mut [f32], rate: u32, level_db: f32) {
    let now = active_rms(x, rate);
    if now > 0.0 {
        let gain = 10f32.powf(level_db / 20.0) / now;
        x.iter_mut().for_each(|s| *s *= gain);
    }
}

/// Samples in [-1, 1] as 16-bit PCM (saturating).
pub fn to_i16(x: &[f32]) -> Vec<i16> {
    x.iter()
        .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// 16-bit PCM as samples in [-1, 1).
pub fn to_f32(x: &[i16]) -> Vec<f32> {
    x.iter().map(|&s| f32::from(s) / 32768.0).collect()
}

/// One standard normal draw (Box–Muller).
fn gaussian(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_has_its_delay_direct_to_reverberant_ratio_and_decay() {
        let h = room(16_000, 0.05, 0.4, 3.0, 7);
        assert_eq!(h[800], 1.0);
        assert!(h[..800].iter().all(|&v| v == 0.0));
        let tail: f64 = h[801..].iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        assert!(((10.0 * (1.0 / tail).log10()) - 3.0).abs() < 0.01);
        // Energy 200 ms into the tail is about 30 dB below its start (60 dB per 400 ms).
        let e = |start: usize| -> f64 {
            h[start..start + 320]
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum()
        };
        let fall = 10.0 * (e(820) / e(820 + 3200)).log10();
        assert!((fall - 30.0).abs() < 4.0, "fall {fall}");
    }

    #[test]
    fn convolution_matches_the_direct_sum() {
        let x: Vec<f32> = noise(5000, 0.1, 1);
        let h = room(16_000, 0.002, 0.05, 0.0, 2);
        let y = convolve(&x, &h);
        for n in [0usize, 100, 1234, 4999] {
            let direct: f32 = (0..h.len())
                .filter(|&k| k <= n)
                .map(|k| h[k] * x[n - k])
                .sum();
            assert!((y[n] - direct).abs() < 1e-4, "{n}: {} vs {direct}", y[n]);
        }
    }

    #[test]
    fn drift_stretches_by_the_ppm() {
        let x = noise(160_000, 0.1, 3);
        let y = drift(&x, 100.0).unwrap();
        assert_eq!(y.len(), 160_016);
        // No drift gives the input back, one sample early (rubato trims one sample more
        // than its delay; an echo a sample early changes nothing for a canceller).
        let x = noise(32_000, 0.1, 4);
        let y = drift(&x, 0.0).unwrap();
        let err: Vec<f32> = x[1001..30_000]
            .iter()
            .zip(&y[1000..])
            .map(|(a, b)| a - b)
            .collect();
        let snr = 20.0 * (rms_of(&x[1001..30_000]) / rms_of(&err)).log10();
        // rubato band-limits at 0.95 of Nyquist, which takes the top of white noise.
        assert!(snr > 20.0, "snr {snr}");
    }
}
