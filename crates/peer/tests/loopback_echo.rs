//! Echo cancellation in the driver's audio layer, over real UDP on loopback (issue 18).
//!
//! A talks (a far-end signal: noise shaped like syllables, Opus); B plays what its driver
//! hands out for A's track and its "microphone" hears that played audio back through a
//! room (`echo_room`), then, once A has gone quiet, B's own near-end talker (a 600 Hz
//! tone). B sends its microphone to A. The
//! call runs twice: B's sender without processing, then with
//! `RtpSender::set_audio_processing` (echo cancellation). A measures what it decodes of B:
//! the echo of its own voice while it talks after the canceller had 2 s to converge, and
//! B's talker afterwards. The canceller must take the echo down by at least 30 dB end to
//! end (through both Opus codings) and keep the talker within 3 dB; B's `media-source`
//! stats must report the enhancement.
//!
//! The ratio is of two runs on the same machine; the signals are deterministic, the
//! scheduling is not, so the bounds keep a margin below what is measured.

#![allow(clippy::disallowed_methods)] // the test paces audio in wall time
use std::time::{Duration, Instant};

mod echo_room;

use echo_room::{FRAME, Room};
use rtcweb_media::PcmFrame;
use rtcweb_peer::driver::{
    AudioProcessing, DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteAudioTrack,
};
use rtcweb_peer::{MediaTrack, StatsKind};
use tokio::sync::mpsc;
use tokio::time::{Instant as TokioInstant, sleep_until, timeout};

/// A talks for this many frames (6 s), then is quiet.
const FAR_FRAMES: usize = 300;
/// B's talker speaks from this frame (6.4 s) to the end.
const NEAR_FROM: usize = 320;
/// Frames in all (8 s).
const FRAMES: usize = 400;

fn pump(mut events: Events, to: PeerConnection, tracks: mpsc::UnboundedSender<RemoteAudioTrack>) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    to.add_ice_candidate(Some(&c.mid), &c.candidate)
                        .await
                        .expect("the peer takes our candidate");
                }
                PeerConnectionEvent::AudioTrack(t) => {
                    let _ = tracks.send(t);
                }
                PeerConnectionEvent::Failed(reason) => panic!("connection failed: {reason}"),
                _ => {}
            }
        }
    });
}

/// A's voice: low-passed noise under a 4 Hz syllable envelope, about -20 dBFS.
fn far_frame(k: usize, state: &mut (u64, f32)) -> Vec<i16> {
    (0..FRAME)
        .map(|i| {
            state.0 ^= state.0 << 13;
            state.0 ^= state.0 >> 7;
            state.0 ^= state.0 << 17;
            let white = (state.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
            state.1 += 0.3 * (white - state.1);
            let t = (k * FRAME + i) as f32 / 48_000.0;
            let envelope = 0.55 + 0.45 * (2.0 * std::f32::consts::PI * 4.0 * t).sin();
            (state.1 * envelope * 9000.0) as i16
        })
        .collect()
}

fn near_frame(k: usize) -> Vec<i16> {
    (0..FRAME)
        .map(|i| {
            let n = (k * FRAME + i) as f32;
            (2500.0 * (2.0 * std::f32::consts::PI * 600.0 * n / 48_000.0).sin()) as i16
        })
        .collect()
}

fn energy(frames: &[(Instant, f64)], from: Instant, to: Instant) -> f64 {
    let inside: Vec<f64> = frames
        .iter()
        .filter(|(t, _)| *t >= from && *t < to)
        .map(|(_, e)| *e)
        .collect();
    assert!(inside.len() > 20, "{} frames in the window", inside.len());
    inside.iter().sum::<f64>() / inside.len() as f64
}

struct Run {
    /// Mean energy a sample of B's audio at A while A talks (after 2 s).
    echo: f64,
    /// The same while B's talker speaks alone.
    near: f64,
    /// B's `media-source` enhancement, dB.
    erle: Option<f64>,
}

async fn call(settings: AudioProcessing) -> Run {
    let (a, a_events) = PeerConnection::new(DriverConfig::loopback()).await.unwrap();
    let (b, b_events) = PeerConnection::new(DriverConfig::loopback()).await.unwrap();
    let voice = a
        .add_track(MediaTrack::audio("voice"), &["a"])
        .await
        .unwrap();
    let mic = b.add_track(MediaTrack::audio("mic"), &["b"]).await.unwrap();
    mic.set_audio_processing(settings).await.unwrap();
    let offer = a.create_offer().await.unwrap();
    a.set_local_description(&offer).await.unwrap();
    b.set_remote_description(&offer).await.unwrap();
    let answer = b.create_answer().await.unwrap();
    b.set_local_description(&answer).await.unwrap();
    a.set_remote_description(&answer).await.unwrap();
    let (a_tracks, mut at_a) = mpsc::unbounded_channel();
    let (b_tracks, mut at_b) = mpsc::unbounded_channel();
    pump(a_events, b.clone(), a_tracks);
    pump(b_events, a.clone(), b_tracks);
    let wait = Duration::from_secs(10);
    let mut from_a = timeout(wait, at_b.recv())
        .await
        .unwrap()
        .expect("A's track at B");
    let mut from_b = timeout(wait, at_a.recv())
        .await
        .unwrap()
        .expect("B's track at A");

    // A talks at the pace of a microphone.
    let start = TokioInstant::now() + Duration::from_millis(300);
    let talk = tokio::spawn(async move {
        let mut state = (0x9e37_79b9_7f4a_7c15u64, 0.0f32);
        for k in 0..FRAMES {
            sleep_until(start + Duration::from_millis(20 * k as u64)).await;
            let samples = if k < FAR_FRAMES {
                far_frame(k, &mut state)
            } else {
                vec![0; FRAME]
            };
            let pcm = PcmFrame {
                samples,
                sample_rate: 48_000,
                channels: 1,
            };
            voice.send_audio(pcm, None).await.unwrap();
        }
    });

    // B plays A (the frames its driver hands out, through a speaker that takes 20 ms each
    // 20 ms and plays silence when nothing came) and its microphone hears the room.
    let b_side = tokio::spawn(async move {
        let mut room = Room::new();
        let mut sent_at = Vec::with_capacity(FRAMES);
        for k in 0..FRAMES {
            sleep_until(start + Duration::from_millis(20 * k as u64)).await;
            while let Some(frame) = from_a.try_recv() {
                room.play(&frame);
            }
            let near = near_frame(k);
            let heard_by_mic = room.microphone((k >= NEAR_FROM).then_some(&near[..]));
            sent_at.push(Instant::now());
            let pcm = PcmFrame {
                samples: heard_by_mic,
                sample_rate: 48_000,
                channels: 1,
            };
            let _ = mic.send_audio(pcm, None).await;
        }
        let stats = b.stats().await.unwrap();
        let erle = stats.iter().find_map(|s| match &s.kind {
            StatsKind::MediaSource(m) => m.echo_return_loss_enhancement,
            _ => None,
        });
        (sent_at, erle)
    });

    // A hears B.
    let mut heard = Vec::new();
    let listen = async {
        while let Ok(Some(frame)) = timeout(Duration::from_secs(2), from_b.recv()).await {
            let e = frame
                .samples
                .iter()
                .map(|&s| f64::from(s).powi(2))
                .sum::<f64>()
                / frame.samples.len().max(1) as f64;
            heard.push((Instant::now(), e));
            if heard.len() > FRAMES + 100 {
                break;
            }
        }
    };
    listen.await;
    talk.await.unwrap();
    let (sent_at, erle) = b_side.await.unwrap();
    // Windows in A's time: B's frames took a network hop and a jitter buffer, so each
    // window starts 200 ms after B sent its first frame.
    let margin = Duration::from_millis(200);
    let echo = energy(&heard, sent_at[100] + margin, sent_at[FAR_FRAMES - 10]);
    let near = energy(
        &heard,
        sent_at[NEAR_FROM + 10] + margin,
        sent_at[FRAMES - 5],
    );
    Run { echo, near, erle }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_cancels_the_echo_of_what_it_plays() {
    let off = call(AudioProcessing::default()).await;
    let on = call(AudioProcessing {
        echo_cancellation: true,
        ..AudioProcessing::default()
    })
    .await;
    let db = |x: f64, y: f64| 10.0 * (x / y).log10();
    let reduction = db(off.echo, on.echo);
    let talker = db(on.near, off.near);
    println!(
        "echo at A: {:.1} dB below the unprocessed echo ({:.0} vs {:.0} mean square); \
         B's talker {talker:+.1} dB; B's media-source echoReturnLossEnhancement {:?} dB \
         (without processing: {:?})",
        reduction, on.echo, off.echo, on.erle, off.erle
    );
    // Without processing the echo is there, as loud as the room makes it.
    assert!(
        off.echo > 1e4,
        "no echo without processing: {:.0}",
        off.echo
    );
    assert!(reduction >= 30.0, "the echo only {reduction:.1} dB down");
    assert!(talker.abs() <= 3.0, "B's talker moved {talker:+.1} dB");
    assert!(off.erle.is_none(), "no media-source without processing");
    assert!(
        on.erle.is_some_and(|e| e > 10.0),
        "echoReturnLossEnhancement {:?}",
        on.erle
    );
}
