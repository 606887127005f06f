//! The call of the echo cancellation tests: two driver peers over loopback, A with a voice
//! track, B with a microphone track whose sender has the processing under test; A's
//! far-end talker, B's near-end talker, and the energy of what A hears of B over a window.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::time::{Duration, Instant};

use rtcweb_media::PcmFrame;
use rtcweb_peer::MediaTrack;
use rtcweb_peer::driver::{
    AudioProcessing, DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteAudioTrack,
    RtpSender,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant as TokioInstant, sleep_until, timeout, timeout_at};

/// 20 ms at 48 kHz.
pub const FRAME: usize = 960;

/// The two peers, connected, and their audio.
pub struct Call {
    pub a: PeerConnection,
    pub b: PeerConnection,
    /// A's voice track.
    pub voice: RtpSender,
    /// B's microphone track, with the processing asked for.
    pub mic: RtpSender,
    /// A's voice as B's driver hands it out for playout.
    pub from_a: RemoteAudioTrack,
    /// B's microphone as A's driver hands it out.
    pub from_b: RemoteAudioTrack,
}

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

/// Connects A (offerer, sending `voice`) and B (sending `mic` with `settings`) on
/// loopback and waits for each one's track at the other.
pub async fn connect(settings: AudioProcessing) -> Call {
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
    let from_a = timeout(wait, at_b.recv())
        .await
        .unwrap()
        .expect("A's track at B");
    let from_b = timeout(wait, at_a.recv())
        .await
        .unwrap()
        .expect("B's track at A");
    Call {
        a,
        b,
        voice,
        mic,
        from_a,
        from_b,
    }
}

/// A's voice: low-passed noise under a 4 Hz syllable envelope, about -20 dBFS.
pub fn far_frame(k: usize, state: &mut (u64, f32)) -> Vec<i16> {
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

/// B's near-end talker: a 600 Hz tone, about -25 dBFS; `len` samples from sample
/// `first` of its 48 kHz timeline.
pub fn near_samples(first: usize, len: usize) -> Vec<i16> {
    (first..first + len)
        .map(|n| (2500.0 * (2.0 * std::f32::consts::PI * 600.0 * n as f32 / 48_000.0).sin()) as i16)
        .collect()
}

/// A talks at the pace of a microphone from `start`: `far_frames` frames of its voice,
/// then silence up to `frames` frames in all.
pub fn talk(
    voice: RtpSender,
    start: TokioInstant,
    far_frames: usize,
    frames: usize,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut state = (0x9e37_79b9_7f4a_7c15u64, 0.0f32);
        for k in 0..frames {
            sleep_until(start + Duration::from_millis(20 * k as u64)).await;
            let samples = if k < far_frames {
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
    })
}

/// What A hears of B: each frame's arrival and mean square, until `until` or until B has
/// been quiet for 2 s.
pub async fn listen(from_b: &mut RemoteAudioTrack, until: TokioInstant) -> Vec<(Instant, f64)> {
    let mut heard = Vec::new();
    let quiet = Duration::from_secs(2);
    while let Ok(Some(frame)) =
        timeout_at((TokioInstant::now() + quiet).min(until), from_b.recv()).await
    {
        let e = frame
            .samples
            .iter()
            .map(|&s| f64::from(s).powi(2))
            .sum::<f64>()
            / frame.samples.len().max(1) as f64;
        heard.push((Instant::now(), e));
    }
    heard
}

/// The mean square of the frames heard from `from` to `to` (more than 20 of them).
pub fn energy(frames: &[(Instant, f64)], from: Instant, to: Instant) -> f64 {
    let inside: Vec<f64> = frames
        .iter()
        .filter(|(t, _)| *t >= from && *t < to)
        .map(|(_, e)| *e)
        .collect();
    assert!(inside.len() > 20, "{} frames in the window", inside.len());
    inside.iter().sum::<f64>() / inside.len() as f64
}

/// `x` over `y` in dB.
pub fn db(x: f64, y: f64) -> f64 {
    10.0 * (x / y).log10()
}
