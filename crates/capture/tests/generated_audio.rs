//! The generated and file audio devices behind `AudioCapture` and `AudioPlayout`: a tone
//! microphone's frequency and 10 ms pacing, a WAV microphone's conversion, end and loop, a
//! WAV speaker writing what it got, a null speaker's ring counters.
#![allow(clippy::disallowed_methods)] // pacing is measured against the clock

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rtcweb_capture::{
    AudioCapture, AudioFrame, AudioPlayout, AudioSettings, Backend, CaptureError, DeviceInfo,
    DeviceKind, StreamEvent, enumerate_audio,
};
use rtcweb_media::analysis::{peak_frequency, rms};
use rtcweb_media::{AudioSink, AudioSource, ToneSource, WavSink, WavSource};

fn settings(sample_rate: u32, channels: u16) -> AudioSettings {
    AudioSettings {
        sample_rate,
        channels,
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rtcweb-capture-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn next_frame(capture: &AudioCapture) -> AudioFrame {
    match capture.frames().recv_timeout(Duration::from_secs(2)) {
        Some(StreamEvent::Frame(f)) => f,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_generated_devices_are_listed_and_listing_never_hangs() {
    let start = Instant::now();
    let devices = enumerate_audio();
    // Two seconds at most for a PulseAudio server that does not answer, plus ALSA.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let tone = devices
        .iter()
        .find(|d| d.backend == Backend::Synthetic && d.kind == DeviceKind::AudioInput)
        .expect("a tone microphone");
    assert_eq!(tone, &DeviceInfo::tone_microphone(440));
    assert!(devices.contains(&DeviceInfo::null_speaker()));
    // Ids are unique per kind.
    for (i, a) in devices.iter().enumerate() {
        for b in &devices[i + 1..] {
            assert!(a.id != b.id || a.kind != b.kind, "{} twice", a.id);
        }
    }
}

#[test]
fn a_tone_microphone_gives_its_frequency_in_10_ms_frames_at_real_time_pace() {
    for (hz, rate, channels) in [(440, 48_000, 1), (1000, 16_000, 2)] {
        let want = settings(rate, channels);
        let capture = AudioCapture::open(&DeviceInfo::tone_microphone(hz), want).unwrap();
        assert_eq!(capture.settings(), want);
        assert_eq!(capture.latency().latency, Duration::ZERO);
        let first = next_frame(&capture);
        let start = Instant::now();
        let mut frames = vec![first];
        for _ in 0..50 {
            frames.push(next_frame(&capture));
        }
        // 50 more frames take 500 ms of real time, however fast the consumer is.
        let took = start.elapsed();
        assert!(
            took > Duration::from_millis(450) && took < Duration::from_millis(800),
            "{took:?}"
        );
        for w in frames.windows(2) {
            assert_eq!(
                w[1].capture_time.duration_since(w[0].capture_time),
                Duration::from_millis(10)
            );
        }
        let per_frame = rate as usize / 100 * usize::from(channels);
        assert!(
            frames
                .iter()
                .all(|f| f.samples.len() == per_frame && f.settings == want)
        );
        let mono: Vec<i16> = frames
            .iter()
            .flat_map(|f| f.samples.iter().step_by(usize::from(channels)).copied())
            .collect();
        let measured = peak_frequency(&mono, rate);
        assert!(
            (measured - f64::from(hz)).abs() <= 1.0,
            "{measured} Hz for {hz}"
        );
        // About -10 dBFS (a 10 000 peak sine).
        let level = 20.0 * rms(&mono).log10();
        assert!((level + 13.3).abs() < 0.5, "{level} dBFS");
    }
}

/// A WAV file of `seconds` of a 700 Hz tone, 44.1 kHz stereo.
fn tone_file(path: &std::path::Path, seconds: f64) {
    let mut sink = WavSink::new(
        std::io::BufWriter::new(std::fs::File::create(path).unwrap()),
        44_100,
        2,
    )
    .unwrap();
    let mut tone = ToneSource::new(700.0, 9000.0, 44_100, 2);
    let mut pcm = vec![0i16; (44_100.0 * seconds) as usize * 2];
    tone.fill(&mut pcm);
    sink.write(&pcm);
    sink.finish().unwrap();
}

#[test]
fn a_wav_microphone_converts_the_file_and_ends_or_loops() {
    let dir = temp_dir("wav-mic");
    let path = dir.join("tone.wav");
    tone_file(&path, 0.3);
    let device = DeviceInfo::wav_microphone(&path).unwrap();
    assert_eq!(device.backend, Backend::File);
    let capture = AudioCapture::open(&device, settings(48_000, 1)).unwrap();
    assert_eq!(capture.native_format().sample_rate, 44_100);
    assert_eq!(capture.native_format().channels, 2);
    assert!(
        capture.latency().latency > Duration::ZERO,
        "the resampler's delay"
    );
    let mut samples = Vec::new();
    loop {
        match capture.frames().recv_timeout(Duration::from_secs(2)) {
            Some(StreamEvent::Frame(f)) => samples.extend(f.samples),
            Some(StreamEvent::Ended) => break,
            other => panic!("{other:?}"),
        }
    }
    // 0.3 s in, up to 0.3 s out: less what the resampler holds and the last partial frame.
    let frames = samples.len() / 480;
    assert!((25..=30).contains(&frames), "{frames} frames");
    let hz = peak_frequency(&samples[4800..], 48_000);
    assert!((hz - 700.0).abs() <= 2.0, "{hz} Hz");

    // Looping: it goes on past the file's end, and the tone continues.
    let device = DeviceInfo::looping_wav_microphone(&path).unwrap();
    let capture = AudioCapture::open(&device, settings(16_000, 1)).unwrap();
    for _ in 0..45 {
        let f = next_frame(&capture);
        assert_eq!(f.samples.len(), 160);
    }
    drop(capture);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_wav_speaker_writes_what_it_was_given() {
    let dir = temp_dir("wav-speaker");
    let path = dir.join("out.wav");
    let want = settings(16_000, 1);
    let mut playout = AudioPlayout::open(&DeviceInfo::wav_speaker(&path), want).unwrap();
    // 15 frames of a counting ramp, written at once (the ring holds 300 ms).
    let written: Vec<i16> = (1..=15 * 160).map(|i| i as i16).collect();
    for frame in written.chunks(160) {
        playout.write(frame).unwrap();
    }
    assert!(playout.latency().latency >= Duration::from_millis(150));
    std::thread::sleep(Duration::from_millis(400));
    let stats = playout.stats();
    assert_eq!((stats.frames_written, stats.frames_dropped), (2400, 0));
    assert!(playout.latency().latency <= Duration::from_millis(10));
    drop(playout);

    let mut source = WavSource::new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!((source.sample_rate(), source.channels()), (16_000, 1));
    let mut file = vec![0i16; 16_000];
    let n = source.fill(&mut file);
    file.truncate(n);
    // Silence until the first write, then exactly the ramp, then silence.
    let start = file
        .iter()
        .position(|&s| s != 0)
        .expect("the ramp was written");
    assert!(file[..start].iter().all(|&s| s == 0));
    assert_eq!(&file[start..start + written.len()], &written[..]);
    assert!(file[start + written.len()..].iter().all(|&s| s == 0));
    // About 400 ms in all (10 ms per tick).
    assert!((5600..=8000).contains(&file.len()), "{}", file.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_null_speaker_counts_underruns_and_drops_what_overflows_its_ring() {
    let mut playout = AudioPlayout::open(&DeviceInfo::null_speaker(), settings(48_000, 2)).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let quiet = playout.stats();
    assert!(quiet.underruns >= 5, "{quiet:?}");
    assert_eq!(quiet.silence_frames, quiet.frames_played);
    // 400 ms at once into a 300 ms ring: up to the oldest 100 ms go (less what the speaker
    // took while the frames were written).
    let frame = [7i16; 960];
    for _ in 0..40 {
        playout.write(&frame).unwrap();
    }
    let full = playout.stats();
    assert_eq!(full.frames_written, 40 * 480);
    assert!(
        full.frames_dropped > 0 && full.frames_dropped <= 10 * 480,
        "{full:?}"
    );
    // Every frame written is played, dropped or still waiting.
    let played = full.frames_played - full.silence_frames;
    let waiting = full.frames_written - full.frames_dropped - played;
    assert!(waiting <= 400 * 48, "{full:?}");
    let latency = playout.latency().latency;
    assert!(
        latency >= Duration::from_millis(200) && latency <= Duration::from_millis(310),
        "{latency:?}"
    );
    // A frame in other settings is refused.
    let other = AudioFrame {
        samples: vec![0; 160],
        settings: settings(16_000, 1),
        capture_time: Instant::now(),
    };
    assert!(matches!(
        playout.write_frame(&other),
        Err(CaptureError::BadFrame(_))
    ));
}

#[test]
fn opening_the_wrong_kind_or_impossible_settings_is_an_error() {
    assert_eq!(
        AudioCapture::open(&DeviceInfo::null_speaker(), settings(48_000, 1)).err(),
        Some(CaptureError::NotFound(DeviceInfo::null_speaker().id))
    );
    let tone = DeviceInfo::tone_microphone(440);
    assert_eq!(
        AudioPlayout::open(&tone, settings(48_000, 1)).err(),
        Some(CaptureError::NotFound(tone.id.clone()))
    );
    assert_eq!(
        AudioCapture::open(&tone, settings(44_123, 1)).err(),
        Some(CaptureError::Overconstrained {
            constraint: "sampleRate"
        })
    );
    // A sound device that is not there (unplugged since it was listed).
    let mut gone = DeviceInfo::tone_microphone(440);
    gone.backend = Backend::Audio;
    gone.id = rtcweb_capture::DeviceId::new("audio:alsa:unplugged-card");
    assert_eq!(
        AudioCapture::open(&gone, settings(48_000, 1)).err(),
        Some(CaptureError::NotFound(gone.id.clone()))
    );
}
