//! Test audio: tones, noise and WAV files.

use std::io::Cursor;

use rtcweb_media::{AudioSink, AudioSource, NoiseSource, ToneSource, WavSink, WavSource};

#[test]
fn a_tone_written_to_wav_reads_back_identical() {
    let mut tone = ToneSource::new(1000.0, 10_000.0, 48_000, 2);
    let mut pcm = vec![0i16; 960 * 2];
    let mut written = Vec::new();
    let mut file = Cursor::new(Vec::new());
    {
        let mut sink = WavSink::new(&mut file, 48_000, 2).unwrap();
        for _ in 0..50 {
            assert_eq!(tone.fill(&mut pcm), pcm.len());
            sink.write(&pcm);
            written.write(&pcm);
        }
        sink.finish().unwrap();
    }
    // 44-byte header + one second of 16-bit stereo.
    assert_eq!(file.get_ref().len(), 44 + 48_000 * 2 * 2);
    file.set_position(0);
    let mut source = WavSource::new(file).unwrap();
    assert_eq!((source.channels(), source.sample_rate()), (2, 48_000));
    let mut read = Vec::new();
    loop {
        let n = source.fill(&mut pcm);
        read.extend_from_slice(&pcm[..n]);
        if n < pcm.len() {
            break;
        }
    }
    assert_eq!(read, written);
    // Channels are the same tone; its peak is the amplitude.
    assert!(read.chunks(2).all(|f| f[0] == f[1]));
    assert_eq!(read.iter().map(|s| s.abs()).max(), Some(10_000));
}

#[test]
fn a_wav_that_is_not_16_bit_pcm_is_refused() {
    let mut file = Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::new(&mut file, spec).unwrap();
    w.write_sample(0.5f32).unwrap();
    w.finalize().unwrap();
    file.set_position(0);
    assert!(WavSource::new(file).is_err());
    assert!(WavSource::new(Cursor::new(b"RIFF garbage".to_vec())).is_err());
}

#[test]
fn noise_is_reproducible_and_within_its_amplitude() {
    let mut a = NoiseSource::new(3000.0, 1, 42);
    let mut b = NoiseSource::new(3000.0, 1, 42);
    let mut c = NoiseSource::new(3000.0, 1, 43);
    let (mut x, mut y, mut z) = (vec![0i16; 4800], vec![0i16; 4800], vec![0i16; 4800]);
    a.fill(&mut x);
    b.fill(&mut y);
    c.fill(&mut z);
    assert_eq!(x, y);
    assert_ne!(x, z);
    assert!(x.iter().all(|s| s.abs() <= 3000));
    let mean = x.iter().map(|s| f64::from(*s)).sum::<f64>() / x.len() as f64;
    assert!(mean.abs() < 100.0, "mean {mean}");
    // Uniform noise of peak A has RMS A/√3.
    let rms = (x.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    assert!((rms - 3000.0 / 3f64.sqrt()).abs() < 60.0, "rms {rms}");
}
