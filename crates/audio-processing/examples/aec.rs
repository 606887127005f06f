//! Echo cancellation of your own recordings:
//!
//! ```text
//! cargo run -p rtcweb-audio-processing --example aec -- far.wav mic.wav out.wav [near.wav]
//! ```
//!
//! `far.wav` is what the loudspeaker played (the render), `mic.wav` what the microphone
//! heard at the same time (the capture), both mono 16-bit at 16, 32 or 48 kHz, starting
//! together; `out.wav` gets the processed capture. Given `near.wav`, the clean near-end
//! talker as the microphone would have heard it alone, the metrics of issue 18 are printed:
//! ERLE (over the frames where `mic - near`, the echo, is active) and the segmental SNR of the
//! output against `near.wav`.

use rtcweb_audio_processing::testkit::metrics::{active_frames, erle_over, segmental_snr_db};
use rtcweb_audio_processing::testkit::signals::to_f32;
use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor};

fn read(path: &str) -> Result<(u32, Vec<i16>), Box<dyn std::error::Error>> {
    let mut reader = hound::WavReader::open(path)?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.bits_per_sample != 16 {
        return Err(format!("{path}: mono 16-bit WAV expected").into());
    }
    let samples = reader.samples::<i16>().collect::<Result<_, _>>()?;
    Ok((spec.sample_rate, samples))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [far, mic, out, rest @ ..] = args.as_slice() else {
        eprintln!("usage: aec far.wav mic.wav out.wav [near.wav]");
        std::process::exit(2);
    };
    let (rate, render) = read(far)?;
    let (mic_rate, capture) = read(mic)?;
    if rate != mic_rate {
        return Err(format!("{far} is {rate} Hz, {mic} is {mic_rate} Hz").into());
    }
    let mut apm = AudioProcessor::new(AudioProcessingConfig::new(rate))?;
    let n = apm.frame_len();
    let mut processed = capture.clone();
    for (r, c) in render.chunks_exact(n).zip(processed.chunks_exact_mut(n)) {
        apm.handle_render_frame(r)?;
        apm.process_capture_frame(c)?;
    }
    let frames = render.len().min(capture.len()) / n;
    processed.truncate(frames * n);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(out, spec)?;
    for s in &processed {
        writer.write_sample(*s)?;
    }
    writer.finalize()?;
    println!("{:?}", apm.stats());

    if let Some(near) = rest.first() {
        let (_, near) = read(near)?;
        let len = processed.len().min(near.len());
        let (mic, near, out) = (
            to_f32(&capture[..len]),
            to_f32(&near[..len]),
            to_f32(&processed[..len]),
        );
        let echo: Vec<f32> = mic.iter().zip(&near).map(|(m, s)| m - s).collect();
        let echo_active = active_frames(&echo, n);
        let near_active = active_frames(&near, n);
        // ERLE where the echo is active and the near end is not (far-end single talk).
        let single: Vec<bool> = echo_active
            .iter()
            .zip(&near_active)
            .map(|(&e, &s)| e && !s)
            .collect();
        match erle_over(&echo, &out, &single, n, 0..len) {
            Some(erle) => println!("ERLE over far-end single talk: {erle:.1} dB"),
            None => println!("ERLE: no far-end single talk in the files"),
        }
        println!(
            "segmental SNR of the near end: {:.1} dB",
            segmental_snr_db(&near, &out, &near_active, n)
        );
    }
    Ok(())
}
