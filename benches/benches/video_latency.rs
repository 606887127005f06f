//! Glass-to-glass latency of video between two rtcweb peers over real UDP on 127.0.0.1:
//! from the instant a picture of the moving test pattern (640×480) is captured to the
//! instant the receiving application holds it decoded, through the driver's whole path
//! (the sender's encoder thread, packetizing and SRTP, the socket, the frame buffer, the
//! render queue and the decoder thread). One iteration sends one picture at the next 30
//! frame/s tick and waits for it (the decoded picture with its RTP timestamp).
//!
//! The floor, in the same run: the same picture encoded and decoded in process by the same
//! codec (`rtcweb_media::VideoEncoder` / `VideoDecoder`), what any transport adds to. The
//! target (issue 16): at most two frame intervals at 30 frame/s, 66.7 ms.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points
#![allow(clippy::disallowed_methods)] // a latency benchmark reads the clock

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rtcweb_media::video::{TestPattern, VideoDecoder, VideoEncoder, VideoEncoderConfig};
use rtcweb_media::{RawVideoFrame, VideoCodec};
use rtcweb_peer::driver::{
    DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteVideoTrack, VideoSendSettings,
    VideoSender,
};
use rtcweb_peer::{CodecCapability, Config, Direction, MediaTrack, TransceiverInit};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;
const TICK: Duration = Duration::from_micros(33_333);

/// Two connected peers, A sending video in `codec` to B, which decodes it.
struct Call {
    _a: PeerConnection,
    _b: PeerConnection,
    video: VideoSender,
    decoded: RemoteVideoTrack,
    pattern: TestPattern,
    next_tick: tokio::time::Instant,
}

fn pump(
    mut events: Events,
    to: PeerConnection,
    tracks: mpsc::Sender<rtcweb_peer::driver::RemoteTrack>,
) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    let _ = to.add_ice_candidate(Some(&c.mid), &c.candidate).await;
                }
                PeerConnectionEvent::Track(t) => {
                    let _ = tracks.send(t).await;
                }
                _ => {}
            }
        }
    });
}

async fn call(codec: CodecCapability) -> Call {
    let config = || DriverConfig {
        peer: Config {
            video_codecs: vec![codec.clone()],
            ..Config::default()
        },
        ..DriverConfig::loopback()
    };
    let (a, a_events) = PeerConnection::new(config()).await.expect("peer A");
    let (b, b_events) = PeerConnection::new(config()).await.expect("peer B");
    let sender = a
        .add_transceiver(
            MediaTrack::video("pattern"),
            TransceiverInit::direction(Direction::SendOnly),
        )
        .await
        .expect("a video transceiver");
    let offer = a.create_offer().await.unwrap();
    a.set_local_description(&offer).await.unwrap();
    b.set_remote_description(&offer).await.unwrap();
    let answer = b.create_answer().await.unwrap();
    b.set_local_description(&answer).await.unwrap();
    a.set_remote_description(&answer).await.unwrap();
    let (a_tracks, _) = mpsc::channel(1);
    let (b_tracks, mut tracks) = mpsc::channel(1);
    pump(a_events, b.clone(), a_tracks);
    pump(b_events, a.clone(), b_tracks);
    let video = sender
        .video(VideoSendSettings::default())
        .await
        .expect("a video sender");
    let remote = tracks.recv().await.expect("B's track");
    let decoded = remote.decode().await.expect("a decoder");
    let mut call = Call {
        _a: a,
        _b: b,
        video,
        decoded,
        pattern: TestPattern::new(WIDTH, HEIGHT).expect("a pattern"),
        next_tick: tokio::time::Instant::now(),
    };
    // Until the connection is up and pictures arrive: two seconds of video.
    for _ in 0..60 {
        call.one().await;
    }
    call
}

impl Call {
    /// One picture at the next tick; the time from its capture to its decoded arrival.
    async fn one(&mut self) -> Option<Duration> {
        tokio::time::sleep_until(self.next_tick).await;
        self.next_tick = tokio::time::Instant::now().max(self.next_tick) + TICK;
        let n = self.pattern.frame_number();
        let captured = Instant::now();
        let frame = RawVideoFrame {
            picture: self.pattern.next_frame(u64::from(n)),
            rtp_timestamp: n.wrapping_mul(3000),
            capture_time: Some(captured),
        };
        if !self.video.send(frame).await.ok()? {
            return None;
        }
        let wait = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some(p)) = tokio::time::timeout_at(wait, self.decoded.recv()).await {
            if p.rtp_timestamp == n.wrapping_mul(3000) {
                return Some(captured.elapsed());
            }
        }
        None
    }
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("a tokio runtime");
    let mut g = c.benchmark_group("video_glass_to_glass_640x480");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(6));
    for (name, codec, kind) in [
        ("VP8", CodecCapability::vp8(), VideoCodec::Vp8),
        ("VP9", CodecCapability::vp9(), VideoCodec::Vp9),
        (
            "H264",
            CodecCapability::h264_constrained_baseline(),
            VideoCodec::H264,
        ),
    ] {
        // The floor: the same pictures through the same codec in process.
        let mut encoder =
            VideoEncoder::new(VideoEncoderConfig::new(kind, WIDTH, HEIGHT)).expect("an encoder");
        let mut decoder = VideoDecoder::new(kind).expect("a decoder");
        let mut pattern = TestPattern::new(WIDTH, HEIGHT).expect("a pattern");
        g.bench_function(format!("{name}/encode_decode_in_process"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let n = pattern.frame_number();
                    let frame = RawVideoFrame {
                        picture: pattern.next_frame(u64::from(n)),
                        rtp_timestamp: n.wrapping_mul(3000),
                        capture_time: None,
                    };
                    let started = Instant::now();
                    encoder.handle_frame(&frame, false).expect("encoded");
                    while let Some(f) = encoder.poll_frame() {
                        decoder
                            .handle_frame(&f.data, f.rtp_timestamp, None)
                            .expect("decoded");
                        while decoder.poll_frame().is_some() {}
                    }
                    total += started.elapsed();
                }
                total
            });
        });
        let mut call = rt.block_on(call(codec));
        g.bench_function(format!("{name}/over_loopback"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        // A picture lost or late counts as the wait it caused.
                        total += call.one().await.unwrap_or(Duration::from_millis(500));
                    }
                    total
                })
            });
        });
    }
    g.finish();
    println!(
        "target: glass-to-glass at most two frame intervals at 30 frame/s ({:.1} ms)",
        2.0 * TICK.as_secs_f64() * 1000.0
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
