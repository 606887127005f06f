//! Echo cancellation through a real sound server (issue 18): the echo path is a PulseAudio
//! daemon of the test's own (rtcweb-lab's `SoundServer`), not a simulated room.
//!
//! Two driver peers over loopback (`echo_call`). A talks (the far-end voice of
//! `loopback_echo.rs`); B plays what its driver hands out for A's track through
//! rtcweb-capture's `AudioPlayout` into the server's null sink, and captures the sink's
//! monitor through `AudioCapture` as its microphone: everything B's speaker plays comes
//! back, delayed by the server's real buffering (the playout's ring, the stream's
//! buffer, the sink's and the monitor's) on the server's clock. After A has gone quiet,
//! B's own talker (a 600 Hz tone) is added to the microphone. B sends its microphone to A.
//!
//! The call runs three times: B's sender without processing, with echo cancellation
//! alone, and with everything a browser turns on for a microphone (echo cancellation,
//! noise suppression, gain control). A measures what it decodes of B: the echo of its own
//! voice after 2.5 s of convergence, and B's talker. The echo must be at least 30 dB lower
//! with echo cancellation (both runs), B's talker kept within 3 dB (echo cancellation
//! alone; gain control may raise it, never lower it by more than 3 dB).
//!
//! The test also measures the server's delay itself: each 100 ms window of B's
//! microphone is cross-correlated with the audio B's driver handed out for playout, and
//! the delay from a sample's handing out to its arrival in the microphone is printed with
//! the delay the echo canceller estimated (`RtpSender::audio_processing_stats`), which
//! must agree with it; the offsets between the two streams show whether the path gained
//! or lost audio during the call (a gap or a drop in B's speaker moves the echo).
//!
//! Measured here (five test runs on a loaded two-core machine): without processing the
//! echo comes back at the level it was played (ERL 0.02-0.03 dB), 267-296 ms after B's
//! driver handed it out (B's speaker ring and its cushion, PulseAudio's 200 ms stream
//! buffer, the monitor's 20 ms fragments); the canceller estimated 250-280 ms, 10-20 ms
//! under it as the driver's 40 ms render headroom makes it; the echo at A was 48.5-54.5 dB
//! lower with echo cancellation and 67.0-67.6 dB lower with everything on (B's talker
//! -0.0 dB, and +3.1 to +3.2 dB from gain control). Two calls of eleven had their echo
//! path moved by the server (20-140 ms dropped in B's speaker); such a call is made again (see
//! `call_on_a_still_path`).
//!
//! cpal finds the server through `PULSE_SERVER`, which only a child process's environment
//! can carry: the test body runs in a child of this test binary (rtcweb-lab's
//! `run_test_in_sound_server`, as rtcweb-capture's PulseAudio tests do). Without
//! `pulseaudio` the test fails with a message (`cargo xtask test` installs it).
#![allow(clippy::disallowed_methods)] // real time against a real sound server

mod echo_call;

use rtcweb_lab::sound::run_test_in_sound_server;

#[test]
fn echo_through_a_real_sound_server_is_cancelled() {
    run_test_in_sound_server("echo", "in_sound_server::echo_through_the_null_sink");
}

/// The test body, run in a child process (see the module docs).
mod in_sound_server {
    use std::time::{Duration, Instant};

    use rtcweb_capture::{
        AudioCapture, AudioPlayout, AudioSettings, DeviceInfo, DeviceKind, PlayoutStats,
        StreamEvent, enumerate_audio,
    };
    use rtcweb_lab::sound::{SERVER_ENV, SINK};
    use rtcweb_media::PcmFrame;
    use rtcweb_media::audio::convert_channels;
    use rtcweb_peer::driver::{AudioProcessing, AudioProcessingStats};
    use tokio::sync::mpsc;
    use tokio::time::Instant as TokioInstant;

    use super::echo_call::{self, db, energy, listen, near_samples, talk};

    /// 48 kHz mono: what B's speaker is given and its microphone gives.
    const SETTINGS: AudioSettings = AudioSettings {
        sample_rate: 48_000,
        channels: 1,
    };
    const RATE: f64 = 48_000.0;
    /// A talks for this many 20 ms frames (6 s) ...
    const FAR_FRAMES: usize = 300;
    /// ... and sends this many in all (8.6 s), silence after its voice.
    const FRAMES: usize = 430;
    /// The echo is measured at A from this long after A started talking (the canceller's
    /// convergence time) ...
    const ECHO_FROM: Duration = Duration::from_millis(2500);
    /// ... to the end of A's voice.
    const ECHO_TO: Duration = Duration::from_millis(6000);
    /// B's talker speaks from this long after A started (the echo of A's last words has
    /// come back long before) ...
    const NEAR_FROM: Duration = Duration::from_millis(7000);
    /// ... to this long after, when B's microphone stops.
    const NEAR_TO: Duration = Duration::from_millis(8600);
    /// The echo path is watched from this long after A started talking (its first words
    /// have come back by then).
    const PATH_FROM: Duration = Duration::from_millis(500);
    /// Calls made for each processing setting at most while the sound server moves the
    /// echo path during the call.
    const ATTEMPTS: usize = 3;
    /// The longest delay the cross-correlation looks for between handing out and hearing.
    const LONGEST_DELAY: Duration = Duration::from_millis(1200);
    /// The cross-correlation's window of the microphone: 100 ms.
    const WINDOW: usize = 4800;

    /// What B's speaker is given, frame by frame: when B's driver handed the frame out,
    /// and its samples (mono).
    type Rendered = Vec<(Instant, Vec<i16>)>;

    /// A microphone frame: when it reached the application, and its samples as captured.
    type Captured = Vec<(Instant, Vec<i16>)>;

    /// What one call measured.
    struct Run {
        /// Mean square of B's audio at A while A talks, after [`ECHO_FROM`].
        echo: f64,
        /// The same while B's talker speaks alone.
        near: f64,
        /// B's processing's figures at the end of A's voice.
        processing: Option<AudioProcessingStats>,
        /// The delays from B's driver handing a sample out to it arriving in B's
        /// microphone, one per window that correlated.
        delays: Vec<Duration>,
        /// The offsets of the same windows between the streams, samples.
        offsets: Vec<usize>,
        /// What B's speaker did (underruns, drops).
        speaker: PlayoutStats,
    }

    /// The null sink and its monitor.
    fn devices() -> (DeviceInfo, DeviceInfo) {
        let all = enumerate_audio();
        let find = |name: String, kind| {
            all.iter()
                .find(|d| d.id.as_str() == format!("audio:pulseaudio:{name}") && d.kind == kind)
                .unwrap_or_else(|| panic!("{name} ({kind}) not listed: {all:#?}"))
                .clone()
        };
        (
            find(SINK.to_owned(), DeviceKind::AudioOutput),
            find(format!("{SINK}.monitor"), DeviceKind::AudioInput),
        )
    }

    /// B's speaker: a thread that owns the playout (a sound-server stream stays on the
    /// thread that made it) and writes what it is sent, until the sender is dropped; its
    /// statistics then. Returns once the device is open.
    fn speaker(
        device: DeviceInfo,
    ) -> (
        mpsc::Sender<Vec<i16>>,
        std::thread::JoinHandle<PlayoutStats>,
    ) {
        // 20 frames of 20 ms: the speaker thread is never that far behind.
        let (to_speaker, mut frames) = mpsc::channel::<Vec<i16>>(20);
        let (opened, is_open) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut playout = AudioPlayout::open(&device, SETTINGS).expect("the sink opens");
            opened.send(()).expect("the test waits");
            while let Some(samples) = frames.blocking_recv() {
                playout.write(&samples).expect("the sink plays");
            }
            playout.stats()
        });
        is_open.recv().expect("the speaker thread opened the sink");
        (to_speaker, thread)
    }

    /// B's microphone: a thread that owns the capture and sends its frames (10 ms, with
    /// their arrival) until the receiver is dropped. Returns once the device is open.
    fn microphone(
        device: DeviceInfo,
    ) -> (
        mpsc::Receiver<(Instant, Vec<i16>)>,
        std::thread::JoinHandle<()>,
    ) {
        let (to_b, frames) = mpsc::channel(100);
        let (opened, is_open) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let capture = AudioCapture::open(&device, SETTINGS).expect("the monitor opens");
            opened.send(()).expect("the test waits");
            loop {
                let going_on = match capture.frames().recv_timeout(Duration::from_millis(100)) {
                    Some(StreamEvent::Frame(f)) => {
                        to_b.blocking_send((Instant::now(), f.samples)).is_ok()
                    }
                    Some(other) => panic!("the microphone: {other:?}"),
                    None => !to_b.is_closed(),
                };
                if !going_on {
                    break;
                }
            }
        });
        is_open
            .recv()
            .expect("the microphone thread opened the monitor");
        (frames, thread)
    }

    async fn call(settings: AudioProcessing) -> Run {
        let (sink, monitor) = devices();
        let call = echo_call::connect(settings).await;
        let (mic, mut from_a, mut from_b) = (call.mic, call.from_a, call.from_b);
        let (to_speaker, speaker) = speaker(sink);
        let (mut heard, microphone) = microphone(monitor);

        let start = TokioInstant::now() + Duration::from_millis(300);
        let talk = talk(call.voice, start, FAR_FRAMES, FRAMES);
        let (start, end) = (start.into_std(), start.into_std() + NEAR_TO);

        // B's speaker plays what its driver hands out, as it comes.
        let play = tokio::spawn(async move {
            let mut rendered: Rendered = Vec::new();
            let mut mono = Vec::new();
            while let Ok(Some(frame)) = tokio::time::timeout_at(end.into(), from_a.recv()).await {
                mono.clear();
                convert_channels(&frame.samples, usize::from(frame.channels), 1, &mut mono);
                rendered.push((Instant::now(), mono.clone()));
                to_speaker
                    .send(mono.clone())
                    .await
                    .expect("the speaker plays");
            }
            rendered
        });

        // B's microphone goes to A, with B's talker added from `NEAR_FROM`.
        let b_side = tokio::spawn(async move {
            let mut captured: Captured = Vec::new();
            let mut processing = None;
            let mut talker = 0;
            while let Some((at, samples)) = heard.recv().await {
                if at >= end {
                    break;
                }
                if processing.is_none() && at >= start + ECHO_TO {
                    processing = Some(mic.audio_processing_stats().await.unwrap());
                }
                let mut pcm = samples.clone();
                if at >= start + NEAR_FROM {
                    for (s, n) in pcm.iter_mut().zip(near_samples(talker, samples.len())) {
                        *s = s.saturating_add(n);
                    }
                    talker += samples.len();
                }
                captured.push((at, samples));
                let pcm = PcmFrame {
                    samples: pcm,
                    sample_rate: 48_000,
                    channels: 1,
                };
                mic.send_audio(pcm, None).await.unwrap();
            }
            (captured, processing.flatten())
        });

        // A hears B.
        let heard_at_a = listen(&mut from_b, end.into()).await;
        talk.await.unwrap();
        let rendered = play.await.unwrap();
        let (captured, processing) = b_side.await.unwrap();
        let speaker = speaker.join().expect("the speaker thread");
        microphone.join().expect("the microphone thread");
        drop((call.a, call.b));

        // Windows in A's time: B's microphone took a network hop and a jitter buffer.
        let margin = Duration::from_millis(300);
        let echo = energy(&heard_at_a, start + ECHO_FROM, start + ECHO_TO);
        let near = energy(&heard_at_a, start + NEAR_FROM + margin, start + NEAR_TO);
        // From A's first words on: the path must not move while the canceller learns it.
        let (delays, offsets) = delays(&rendered, &captured, start + PATH_FROM, start + ECHO_TO);
        Run {
            echo,
            near,
            processing,
            delays,
            offsets,
            speaker,
        }
    }

    /// The delay from B's driver handing a sample out to it arriving in B's microphone,
    /// for each 100 ms window of the microphone that arrived from `from` to `to` every
    /// half second and correlates (normalised, above 0.5) with what was handed out in the
    /// [`LONGEST_DELAY`] before it. A sample's hand-out time is its frame's plus its place
    /// in the frame; its arrival is its frame's minus what follows it in the frame. With
    /// each, the window's offset in samples between the two streams (all audio handed out
    /// end to end, all audio captured end to end): it moves only when the path gains or
    /// loses audio (a gap, a drop), which the canceller sees as its echo moving.
    fn delays(
        rendered: &Rendered,
        captured: &Captured,
        from: Instant,
        to: Instant,
    ) -> (Vec<Duration>, Vec<usize>) {
        let (r, r_time) = timeline(rendered, |at, i, _| at + seconds(i));
        let (c, c_time) = timeline(captured, |at, i, len| {
            at.checked_sub(seconds(len - i)).unwrap_or(at)
        });
        let (mut delays, mut offsets) = (Vec::new(), Vec::new());
        let mut at = from;
        while at + Duration::from_millis(100) < to {
            let Some(j) = c_time.iter().position(|&t| t >= at) else {
                break;
            };
            if j + WINDOW > c.len() {
                break;
            }
            let window = &c[j..j + WINDOW];
            let earliest = c_time[j].checked_sub(LONGEST_DELAY).unwrap_or(c_time[j]);
            let lo = r_time
                .iter()
                .position(|&t| t >= earliest)
                .unwrap_or(r.len());
            let hi = r_time
                .iter()
                .rposition(|&t| t <= c_time[j])
                .unwrap_or(0)
                .min(r.len().saturating_sub(WINDOW));
            if let Some((i, score)) = best_match(window, &r, lo, hi)
                && score > 0.5
            {
                delays.push(c_time[j].saturating_duration_since(r_time[i]));
                offsets.push(j - i);
            }
            at += Duration::from_millis(500);
        }
        (delays, offsets)
    }

    fn seconds(samples: usize) -> Duration {
        Duration::from_secs_f64(samples as f64 / RATE)
    }

    /// The frames' samples end to end (as f32), and each sample's time by `time(frame's
    /// instant, place in the frame, frame length)`.
    fn timeline(
        frames: &[(Instant, Vec<i16>)],
        time: impl Fn(Instant, usize, usize) -> Instant,
    ) -> (Vec<f32>, Vec<Instant>) {
        let mut samples = Vec::new();
        let mut times = Vec::new();
        for (at, frame) in frames {
            samples.extend(frame.iter().map(|&s| f32::from(s)));
            times.extend((0..frame.len()).map(|i| time(*at, i, frame.len())));
        }
        (samples, times)
    }

    /// Where in `r[lo..=hi]` `window` fits best, by normalised cross-correlation: first on
    /// sums of 8 samples (6 kHz: the test is not optimised), then sample by sample around
    /// the best of those; the place and its score.
    fn best_match(window: &[f32], r: &[f32], lo: usize, hi: usize) -> Option<(usize, f32)> {
        const STEP: usize = 8;
        if lo >= hi {
            return None;
        }
        let score = |w: &[f32], x: &[f32]| {
            let (mut wx, mut xx, mut ww) = (0.0f64, 0.0f64, 0.0f64);
            for (&a, &b) in w.iter().zip(x) {
                wx += f64::from(a) * f64::from(b);
                xx += f64::from(b) * f64::from(b);
                ww += f64::from(a) * f64::from(a);
            }
            (wx / (ww * xx).sqrt().max(1.0)) as f32
        };
        let coarse =
            |s: &[f32]| -> Vec<f32> { s.chunks_exact(STEP).map(|c| c.iter().sum()).collect() };
        let w = coarse(window);
        let rc = coarse(&r[lo..(hi + WINDOW).min(r.len())]);
        let (best, _) = (0..=rc.len().saturating_sub(w.len()))
            .map(|p| (p, score(&w, &rc[p..p + w.len()])))
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let centre = lo + STEP * best;
        (centre.saturating_sub(2 * STEP)..=(centre + 2 * STEP).min(hi))
            .map(|i| (i, score(window, &r[i..i + WINDOW])))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// A call with `settings` whose echo path stayed put from [`PATH_FROM`] on: the same
    /// offset between the streams in every window. On a loaded machine the sound server
    /// sometimes fails to take B's audio for over 140 ms (B's speaker then drops 20 ms) or
    /// B's audio comes late (a gap): the echo moves by that much, and the canceller needs
    /// 1 to 1.5 s to find it again (measured on recorded calls; not fixed yet), which is
    /// not what this test measures. Such a call is printed and made again, as
    /// rtcweb-capture's PulseAudio test repeats a tone with a gap.
    async fn call_on_a_still_path(settings: AudioProcessing) -> Run {
        for attempt in 1..=ATTEMPTS {
            let run = call(settings).await;
            let moved = run.offsets.windows(2).any(|w| w[0] != w[1]);
            if !moved && !run.offsets.is_empty() {
                return run;
            }
            println!(
                "{settings:?}, attempt {attempt}: the echo path moved during the call (stream \
                 offsets {:?} samples; B's speaker {:?}; echo at A {:.0}): again",
                run.offsets, run.speaker, run.echo
            );
        }
        panic!("{ATTEMPTS} calls, each with the echo path moving: the machine is too loaded")
    }

    fn median(values: &[Duration]) -> Option<Duration> {
        let mut sorted = values.to_vec();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied()
    }

    #[test]
    #[ignore = "run by echo_through_a_real_sound_server_is_cancelled"]
    fn echo_through_the_null_sink() {
        assert!(
            std::env::var_os(SERVER_ENV).is_some(),
            "run by the test above, inside its PulseAudio server"
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let runs = rt.block_on(async {
            let off = call(AudioProcessing::default()).await;
            let aec = call_on_a_still_path(AudioProcessing {
                echo_cancellation: true,
                ..AudioProcessing::default()
            })
            .await;
            let all = call_on_a_still_path(AudioProcessing::MICROPHONE).await;
            [
                ("off", off),
                ("echo cancellation", aec),
                ("microphone", all),
            ]
        });
        let [(_, off), ..] = &runs;
        for (name, run) in &runs {
            println!(
                "{name}: echo at A {:.0} mean square ({:+.1} dB against processing off), B's \
                 talker {:.0} ({:+.1} dB); sound server delay, handed out -> microphone, \
                 median {:?} of {:?}, stream offsets {:?} samples; the canceller's \
                 estimate {:?} ms; processing {:?}; B's speaker {:?}",
                run.echo,
                db(run.echo, off.echo),
                run.near,
                db(run.near, off.near),
                median(&run.delays),
                run.delays,
                run.offsets,
                run.processing.and_then(|p| p.delay_ms),
                run.processing,
                run.speaker,
            );
        }
        assert!(
            off.echo > 1e4,
            "no echo without processing: {:.0}",
            off.echo
        );
        for (name, run) in &runs {
            let measured = median(&run.delays)
                .unwrap_or_else(|| panic!("{name}: no window of the microphone correlated"));
            // The premise: the echo is inside the canceller's search (0 to 500 ms).
            assert!(
                measured < Duration::from_millis(450),
                "{name}: the sound server's delay {measured:?}"
            );
            if name == &"off" {
                continue;
            }
            let reduction = db(off.echo, run.echo);
            assert!(
                reduction >= 30.0,
                "{name}: the echo only {reduction:.1} dB down"
            );
            // The driver pairs each microphone frame with the reference queued 40 ms
            // ahead of it (its headroom), give or take a 20 ms playout round: the
            // canceller's estimate is the measured delay less 20 to 60 ms, in 10 ms steps.
            let estimated = run
                .processing
                .and_then(|p| p.delay_ms)
                .map_or(0.0, f64::from);
            let measured_ms = measured.as_secs_f64() * 1000.0;
            assert!(
                (measured_ms - 70.0..=measured_ms + 10.0).contains(&estimated),
                "{name}: the canceller estimated {estimated} ms, the delay is {measured_ms:.0} ms"
            );
        }
        let talker = db(runs[1].1.near, off.near);
        assert!(talker.abs() <= 3.0, "B's talker moved {talker:+.1} dB");
        let talker = db(runs[2].1.near, off.near);
        assert!(talker >= -3.0, "B's talker lowered {talker:+.1} dB");
    }
}
