//! Two driver-backed peers over real UDP on loopback send video with the driver's video
//! layer, in each codec: A encodes the moving test pattern (640×480, 30 frame/s) on its
//! sender's encoder thread, B decodes it on its track's decoder thread and reads the frame
//! number and capture time from each picture's bar code. Every picture B hands out is
//! whole and in order, nearly every one A sent arrives, a key-frame request from B makes A
//! encode a key frame, and both stats reports carry the encoder's and decoder's counters.
//! Glass-to-glass latency (capture to decoded picture) is printed; its target lives in the
//! `peer` benchmark.

#![allow(clippy::disallowed_methods)] // the test measures wall-clock time
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rtcweb_media::RawVideoFrame;
use rtcweb_media::video::{TestPattern, read_code};
use rtcweb_peer::driver::{
    DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteTrack, VideoSendSettings,
};
use rtcweb_peer::{CodecCapability, Config, Direction, MediaTrack, TransceiverInit};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::timeout;

const FRAMES: u32 = 90;

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Forwards candidates to `to` and remote tracks to `tracks`.
fn pump(mut events: Events, to: PeerConnection, tracks: mpsc::Sender<RemoteTrack>) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    to.add_ice_candidate(Some(&c.mid), &c.candidate)
                        .await
                        .expect("the peer takes our candidate");
                }
                PeerConnectionEvent::Track(t) => {
                    let _ = tracks.send(t).await;
                }
                PeerConnectionEvent::Failed(reason) => panic!("connection failed: {reason}"),
                _ => {}
            }
        }
    });
}

fn stats_of(report: &Value, kind: &str) -> Value {
    report
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["type"] == kind && s["kind"] == "video")
        .cloned()
        .unwrap_or(Value::Null)
}

async fn send_and_decode(codec: CodecCapability) {
    let name = codec.name.clone();
    let config = |codecs: Vec<CodecCapability>| DriverConfig {
        peer: Config {
            video_codecs: codecs,
            ..Config::default()
        },
        ..DriverConfig::loopback()
    };
    // A prefers only the codec under test; B accepts all of them.
    let (a, a_events) = PeerConnection::new(config(vec![codec])).await.unwrap();
    let (b, b_events) = PeerConnection::new(config(CodecCapability::default_video()))
        .await
        .unwrap();
    let sender = a
        .add_transceiver(
            MediaTrack::video("pattern"),
            TransceiverInit::direction(Direction::SendOnly),
        )
        .await
        .unwrap();
    let offer = a.create_offer().await.unwrap();
    a.set_local_description(&offer).await.unwrap();
    b.set_remote_description(&offer).await.unwrap();
    let answer = b.create_answer().await.unwrap();
    b.set_local_description(&answer).await.unwrap();
    a.set_remote_description(&answer).await.unwrap();
    // Candidates trickle once both descriptions are in place (they wait in the events).
    let (a_tracks, _) = mpsc::channel(1);
    let (b_tracks, mut tracks) = mpsc::channel(1);
    pump(a_events, b.clone(), a_tracks);
    pump(b_events, a.clone(), b_tracks);

    let video = sender
        .video(VideoSendSettings::default())
        .await
        .expect("a video sender");
    let remote = timeout(Duration::from_secs(10), tracks.recv())
        .await
        .expect("B is told of A's track")
        .unwrap();
    let mut decoded = remote.decode().await.expect("a decoder");

    // Send until the connection is up (frames before are not sent), then FRAMES more.
    let mut pattern = TestPattern::new(640, 480).unwrap();
    let mut tick = tokio::time::interval(Duration::from_millis(33));
    let mut sent = Vec::new();
    let mut pictures = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut asked_keyframe = false;
    while sent.len() < FRAMES as usize && tokio::time::Instant::now() < deadline {
        tokio::select! {
            _ = tick.tick() => {
                let n = pattern.frame_number();
                let frame = RawVideoFrame {
                    picture: pattern.next_frame(unix_micros()),
                    rtp_timestamp: n.wrapping_mul(3000),
                    capture_time: Some(Instant::now()),
                };
                if video.send(frame).await.expect("encoded") {
                    sent.push(n);
                }
                if sent.len() == FRAMES as usize / 2 && !asked_keyframe {
                    asked_keyframe = b
                        .request_key_frame(remote_id(&b).await)
                        .await
                        .expect("a PLI");
                }
            }
            Some(p) = decoded.recv() => pictures.push((p, unix_micros())),
        }
    }
    // The last pictures in flight.
    while let Ok(Some(p)) = timeout(Duration::from_millis(300), decoded.recv()).await {
        pictures.push((p, unix_micros()));
    }
    assert_eq!(
        sent.len(),
        FRAMES as usize,
        "{name}: the connection came up"
    );

    let codes: Vec<_> = pictures
        .iter()
        .filter_map(|(p, at)| read_code(&p.picture).map(|c| (c, *at)))
        .collect();
    let mut latencies: Vec<u64> = codes
        .iter()
        .map(|(c, at)| at.saturating_sub(c.capture_micros))
        .collect();
    latencies.sort_unstable();
    let numbers: Vec<u32> = codes.iter().map(|(c, _)| c.frame_number).collect();
    let first_sent = sent[0];
    let got = numbers.iter().filter(|n| **n >= first_sent).count();
    let a_stats = serde_json::to_value(a.stats().await.unwrap()).unwrap();
    let b_stats = serde_json::to_value(b.stats().await.unwrap()).unwrap();
    let outbound = stats_of(&a_stats, "outbound-rtp");
    let inbound = stats_of(&b_stats, "inbound-rtp");
    println!(
        "{name}: A sent {} pictures, B decoded {} ({} with a readable code, {got} of the \
         sent ones); capture to decoded picture: median {} µs, max {} µs",
        sent.len(),
        pictures.len(),
        codes.len(),
        latencies.get(latencies.len() / 2).copied().unwrap_or(0),
        latencies.last().copied().unwrap_or(0),
    );
    println!("{name}: A outbound-rtp {outbound}");
    println!("{name}: B inbound-rtp {inbound}");

    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "{name}: in order, none twice"
    );
    // The code survives lossy coding (rtcweb-media's `video_codecs` test reads every frame
    // of every codec); a real-time encoder may still leave a block of the last picture in
    // both copies now and then.
    assert!(
        codes.len() >= pictures.len() * 95 / 100,
        "{name}: {} of {} pictures read back",
        codes.len(),
        pictures.len()
    );
    assert!(
        got >= sent.len() * 95 / 100,
        "{name}: {got} of {} arrived",
        sent.len()
    );
    assert!(asked_keyframe, "{name}: B's PLI went out");
    let key_frames = outbound["keyFramesEncoded"].as_u64().unwrap_or(0);
    assert!(
        key_frames >= 2,
        "{name}: the first key frame and the one B asked for: {outbound}"
    );
    // Pictures encoded before the connection was up were not sent.
    assert!(outbound["framesEncoded"].as_u64().unwrap_or(0) >= sent.len() as u64);
    assert_eq!(outbound["framesSent"].as_u64(), Some(sent.len() as u64));
    assert_eq!(outbound["frameWidth"].as_u64(), Some(640));
    assert!(outbound["totalEncodeTime"].as_f64().unwrap_or(0.0) > 0.0);
    if name != "H264" {
        // libvpx reports each frame's quantizer; OpenH264's API does not.
        assert!(outbound["qpSum"].as_u64().unwrap_or(0) > 0);
    }
    assert_eq!(
        inbound["framesDecoded"].as_u64(),
        Some(pictures.len() as u64)
    );
    assert_eq!(inbound["frameHeight"].as_u64(), Some(480));
    assert!(inbound["keyFramesDecoded"].as_u64().unwrap_or(0) >= 2);
    assert_eq!(inbound["freezeCount"].as_u64(), Some(0), "{inbound}");
    let pt = inbound["codecId"].as_str().unwrap_or_default();
    assert!(
        b_stats[pt]["mimeType"]
            .as_str()
            .is_some_and(|m| m.eq_ignore_ascii_case(&format!("video/{name}"))),
        "{name}: {}",
        b_stats[pt]
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
}

async fn remote_id(b: &PeerConnection) -> rtcweb_peer::TransceiverId {
    b.transceivers().await.unwrap()[0].id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vp8_pattern_over_loopback() {
    send_and_decode(CodecCapability::vp8()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vp9_pattern_over_loopback() {
    send_and_decode(CodecCapability::vp9()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h264_pattern_over_loopback() {
    send_and_decode(CodecCapability::h264_constrained_baseline()).await;
}
