//! The server side of the browser example: an HTTP endpoint on 127.0.0.1 that serves the
//! page and answers its offer, and one rtcweb peer per visitor that replies to chat
//! messages, sends the visitor's microphone back (an audio echo through Opus and the
//! jitter buffer), decodes the visitor's camera and sends back rtcweb's moving test
//! pattern (VP8, VP9 or H.264, the first the page accepts). Shared by the example and its
//! headless-Chromium test.
#![allow(dead_code, unreachable_pub)] // shared by the example and its test

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtcweb_media::RawVideoFrame;
use rtcweb_media::video::TestPattern;
use rtcweb_peer::driver::{
    DataChannel, DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteAudioTrack,
    RemoteTrack, RtpSender, VideoSendSettings, VideoSender,
};
use rtcweb_peer::{MessageKind, PeerConnectionState};

/// The page, served at `/`.
pub const PAGE: &str = include_str!("page.html");

#[path = "../shared/http_signal.rs"]
mod http_signal;

use http_signal::Error;

/// Starts the HTTP endpoint on `addr` (port 0 picks one) in a thread of its own; the
/// address it listens on. Peers run on `runtime`.
pub fn start(addr: SocketAddr, runtime: tokio::runtime::Handle) -> Result<SocketAddr, Error> {
    http_signal::serve(addr, PAGE, move |offer| {
        runtime
            .block_on(answer(offer))
            .map_err(|e| (400, e.to_string()))
    })
}

/// A new peer for one visitor: applies the offer, answers with an audio track of its own,
/// waits for its candidates; the answer and candidates as JSON. The peer lives on in a
/// task of its own.
async fn answer(offer: String) -> Result<serde_json::Value, Error> {
    let (pc, mut events) = PeerConnection::new(DriverConfig::default()).await?;
    let echo = pc
        .add_track(rtcweb_peer::MediaTrack::audio("echo"), &["rtcweb"])
        .await?;
    let pattern = pc
        .add_track(rtcweb_peer::MediaTrack::video("pattern"), &["rtcweb"])
        .await?;
    let pattern = pattern.video(VideoSendSettings::default()).await?;
    let (body, early) = http_signal::answer_with_candidates(&pc, &mut events, offer).await?;
    tokio::spawn(send_pattern(pattern));
    tokio::spawn(visit(pc, events, early, echo));
    Ok(body)
}

/// One visitor's session: chat replies and the audio echo, until the connection ends.
async fn visit(
    pc: PeerConnection,
    mut events: Events,
    early: Vec<PeerConnectionEvent>,
    echo: RtpSender,
) {
    let mut pending = early.into_iter();
    while let Some(event) = http_signal::next_event(&mut pending, &mut events).await {
        match event {
            PeerConnectionEvent::DataChannel(channel) => {
                tokio::spawn(chat(channel));
            }
            PeerConnectionEvent::AudioTrack(track) => {
                tokio::spawn(echo_audio(track, echo.clone()));
            }
            PeerConnectionEvent::Track(track) => {
                tokio::spawn(watch_camera(track));
            }
            PeerConnectionEvent::ConnectionState(
                PeerConnectionState::Failed | PeerConnectionState::Closed,
            )
            | PeerConnectionEvent::ClosedByPeer => break,
            PeerConnectionEvent::Failed(reason) => {
                eprintln!("a visitor's connection failed: {reason}")
            }
            _ => {}
        }
    }
    let _ = pc.close().await;
}

/// Replies to every text message.
async fn chat(mut channel: DataChannel) {
    while let Some(message) = channel.recv().await {
        let reply = match message.kind {
            MessageKind::Text => format!(
                "rtcweb heard \"{}\"",
                String::from_utf8_lossy(&message.data)
            ),
            MessageKind::Binary => format!("rtcweb got {} bytes", message.data.len()),
        };
        if channel.send_text(reply).await.is_err() {
            break;
        }
    }
}

/// Sends every played frame of the visitor's audio back on our track.
async fn echo_audio(mut track: RemoteAudioTrack, echo: RtpSender) {
    while let Some(frame) = track.recv().await {
        let pcm = rtcweb_media::PcmFrame {
            samples: frame.samples,
            sample_rate: rtcweb_media::audio::PLAYOUT_RATE,
            channels: frame.channels,
        };
        if echo.send_audio(pcm, None).await.is_err() {
            break;
        }
    }
}

/// Sends the moving test pattern (640x480, 30 frames a second, its frame number and
/// capture time in a bar code) until the connection is gone.
#[allow(clippy::disallowed_methods)] // the example owns its clock: the capture time
async fn send_pattern(video: VideoSender) {
    let Ok(mut pattern) = TestPattern::new(640, 480) else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_millis(33));
    loop {
        tick.tick().await;
        let n = pattern.frame_number();
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        let frame = RawVideoFrame {
            picture: pattern.next_frame(micros),
            rtp_timestamp: n.wrapping_mul(3000),
            capture_time: None,
        };
        if video.send(frame).await.is_err() {
            break;
        }
    }
}

/// Decodes the visitor's camera, saying once how it looks.
async fn watch_camera(track: RemoteTrack) {
    let Ok(mut video) = track.decode().await else {
        return;
    };
    let mut frames = 0u64;
    while let Some(frame) = video.recv().await {
        frames += 1;
        if frames == 30 {
            println!(
                "the visitor's camera: {}x{} pictures",
                frame.picture.width(),
                frame.picture.height()
            );
        }
    }
}
