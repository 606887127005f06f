//! Lip sync through the driver, over real UDP on loopback: A sends an audio click (Opus)
//! and a video flash (VP8) captured at the same instant every second, both tracks in one
//! stream, and holds every video frame 120 ms before sending it (as a slow camera pipeline
//! or a longer network path would), with its true capture time, which A's sender reports
//! map. B plays the audio through the driver's audio layer and decodes the video through
//! its render queue; the driver pairs the two (same remote stream) and its `LipSync` delays
//! the audio. The skew at B's handles (flash received minus click received) starts near
//! +120 ms and ends near zero.
//!
//! Wall-clock instants on a shared machine carry scheduling noise (and the audio's 20 ms
//! ticks), so the bound here is ±40 ms; the ±15 ms target is measured deterministically in
//! rtcweb-media's `lip_sync` test in simulated time.

#![allow(clippy::disallowed_methods)] // the test paces media and measures in wall time
use std::time::{Duration, Instant};

use rtcweb_media::analysis::luma_stats;
use rtcweb_media::video::{Fill, TestPattern};
use rtcweb_media::{PcmFrame, RawVideoFrame};
use rtcweb_peer::MediaTrack;
use rtcweb_peer::driver::{
    DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteAudioTrack, RemoteTrack,
    VideoSendSettings,
};
use tokio::sync::mpsc;
use tokio::time::{Instant as TokioInstant, sleep_until, timeout};

/// How long A sends.
const SECONDS: u64 = 14;
/// How long A holds each video frame before sending it.
const VIDEO_HOLD: Duration = Duration::from_millis(120);

enum Remote {
    Audio(RemoteAudioTrack),
    Video(RemoteTrack),
}

fn pump(mut events: Events, to: PeerConnection, tracks: mpsc::UnboundedSender<Remote>) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    to.add_ice_candidate(Some(&c.mid), &c.candidate)
                        .await
                        .expect("the peer takes our candidate");
                }
                PeerConnectionEvent::AudioTrack(t) => {
                    let _ = tracks.send(Remote::Audio(t));
                }
                PeerConnectionEvent::Track(t) => {
                    let _ = tracks.send(Remote::Video(t));
                }
                PeerConnectionEvent::Failed(reason) => panic!("connection failed: {reason}"),
                _ => {}
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_video_stream_is_played_in_sync_with_its_audio() {
    let (a, a_events) = PeerConnection::new(DriverConfig::loopback()).await.unwrap();
    let (b, b_events) = PeerConnection::new(DriverConfig::loopback()).await.unwrap();
    let mic = a
        .add_track(MediaTrack::audio("click"), &["av"])
        .await
        .unwrap();
    let cam = a
        .add_track(MediaTrack::video("flash"), &["av"])
        .await
        .unwrap();
    let offer = a.create_offer().await.unwrap();
    a.set_local_description(&offer).await.unwrap();
    b.set_remote_description(&offer).await.unwrap();
    let answer = b.create_answer().await.unwrap();
    b.set_local_description(&answer).await.unwrap();
    a.set_remote_description(&answer).await.unwrap();
    let (a_tracks, _) = mpsc::unbounded_channel();
    let (b_tracks, mut tracks) = mpsc::unbounded_channel();
    pump(a_events, b.clone(), a_tracks);
    pump(b_events, a.clone(), b_tracks);

    let (mut audio, mut video) = (None, None);
    while audio.is_none() || video.is_none() {
        match timeout(Duration::from_secs(10), tracks.recv()).await {
            Ok(Some(Remote::Audio(t))) => audio = Some(t),
            Ok(Some(Remote::Video(t))) => video = Some(t),
            _ => panic!("B is told of both tracks"),
        }
    }
    let mut audio = audio.unwrap();
    let mut video = video.unwrap().decode().await.expect("a decoder");
    let cam = cam
        .video(VideoSendSettings::default())
        .await
        .expect("a video sender");

    // A: clicks and flashes on whole seconds from `start`.
    let start = TokioInstant::now() + Duration::from_millis(200);
    let audio_task = tokio::spawn(async move {
        for k in 0..SECONDS * 50 {
            let at = start + Duration::from_millis(20 * k);
            sleep_until(at).await;
            let mut samples = vec![0i16; 960];
            if k % 50 == 0 {
                // A 5 ms burst of a 1 kHz tone at the frame's start.
                for (i, s) in samples.iter_mut().take(240).enumerate() {
                    *s = (20_000.0 * (i as f64 * 2.0 * std::f64::consts::PI / 48.0).sin()) as i16;
                }
            }
            let pcm = PcmFrame {
                samples,
                sample_rate: 48_000,
                channels: 1,
            };
            let _ = mic.send_audio(pcm, Some(at.into_std())).await;
        }
    });
    let video_task = tokio::spawn(async move {
        let mut pattern = TestPattern::new(320, 240).unwrap();
        for n in 0..SECONDS * 30 {
            let captured = start + Duration::from_micros(33_333 * n);
            sleep_until(captured + VIDEO_HOLD).await;
            let fill = if n % 30 == 0 {
                Fill::White
            } else {
                Fill::Black
            };
            let frame = RawVideoFrame {
                picture: pattern.next_frame_with(n * 33_333, fill),
                rtp_timestamp: (n as u32).wrapping_mul(3000),
                capture_time: Some(captured.into_std()),
            };
            let _ = cam.send(frame).await;
        }
    });

    // B: when each click and each flash reaches its handle.
    let mut clicks: Vec<Instant> = Vec::new();
    let mut flashes: Vec<Instant> = Vec::new();
    let end = start + Duration::from_secs(SECONDS) + Duration::from_millis(500);
    let mut last_flash = false;
    let mut pictures = 0usize;
    let mut brightest = 0f64;
    while TokioInstant::now() < end {
        tokio::select! {
            Some(frame) = audio.recv() => {
                let ch = usize::from(frame.channels.max(1));
                if let Some(i) = frame
                    .samples
                    .chunks(ch)
                    .position(|s| s[0].unsigned_abs() > 8_000)
                {
                    let at = Instant::now() + Duration::from_micros(i as u64 * 1_000 / 48);
                    if clicks.last().is_none_or(|c| at - *c > Duration::from_millis(500)) {
                        clicks.push(at);
                    }
                }
            }
            Some(picture) = video.recv() => {
                pictures += 1;
                let mean = luma_stats(&picture.picture).mean;
                brightest = brightest.max(mean);
                // A white picture (its bar code aside) against black ones.
                let flash = mean > 100.0;
                if flash && !last_flash {
                    flashes.push(Instant::now());
                }
                last_flash = flash;
            }
            _ = sleep_until(end) => break,
        }
    }
    audio_task.abort();
    video_task.abort();

    // Each flash with the click nearest to it.
    let skews: Vec<f64> = flashes
        .iter()
        .filter_map(|f| {
            let c = clicks
                .iter()
                .min_by_key(|c| f.max(c).duration_since(*f.min(c)))?;
            let ms = if f >= c {
                (*f - *c).as_secs_f64() * 1000.0
            } else {
                -((*c - *f).as_secs_f64() * 1000.0)
            };
            (ms.abs() < 500.0).then_some(ms)
        })
        .collect();
    let shown: Vec<String> = skews.iter().map(|s| format!("{s:+.0}")).collect();
    println!(
        "lip sync through the driver, video held {VIDEO_HOLD:?}: {} clicks, {} flashes in \
         {pictures} pictures (brightest mean luma {brightest:.0}); skew (flash − click, ms) \
         second by second: {}",
        clicks.len(),
        flashes.len(),
        shown.join(" ")
    );
    assert!(skews.len() >= 10, "{} pairs", skews.len());
    assert!(
        skews[0] > 60.0,
        "before sync acts, the held video is late: {}",
        skews[0]
    );
    let settled = &skews[skews.len() - 3..];
    assert!(
        settled.iter().all(|s| s.abs() <= 40.0),
        "in sync once settled: {settled:?}"
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
}
