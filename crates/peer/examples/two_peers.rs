//! The main job (`cargo xtask demo`): two rtcweb peers on this machine, over loopback, with
//! no outside server. They negotiate with real SDP (offer, answer, trickled candidates,
//! passed in-process here where a real application would use its signalling), connect with
//! ICE, DTLS and SCTP, open a data channel, and measure it: time to connected and to the
//! channel being open, round-trip time of small messages, and throughput of 64 KiB
//! messages. Then each sends the other an Opus tone for two seconds (alice 440 Hz, bob
//! 660 Hz) through its audio track, and alice sends bob two seconds of a moving test
//! pattern (640x480, 30 frame/s, the first video codec both accept: VP8) on a video track of
//! the same stream, which bob decodes in sync with her audio; the report gives packets
//! sent, received and concealed, the frequency each one heard, and the pictures bob
//! decoded, read back from their bar codes, with their latency from capture.

#![allow(clippy::disallowed_methods)] // a demo measures wall-clock time
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use rtcweb_media::video::{TestPattern, read_code};
use rtcweb_media::{AudioSource, PcmFrame, RawVideoFrame, ToneSource};
use rtcweb_peer::driver::{
    DataChannel, DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteAudioTrack,
    RemoteTrack, RtpSender, VideoSendSettings, VideoSender,
};
use rtcweb_peer::{DataChannelInit, MediaTrack, Message, MessageKind, PeerConnectionState};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

/// Messages for the round-trip measurement.
const PINGS: usize = 200;
/// Bytes sent one way for the throughput measurement.
const BULK: usize = 64 << 20;
/// Size of each bulk message.
const CHUNK: usize = 64 << 10;
/// Bulk messages in flight at most.
const WINDOW: usize = 16;
/// 20 ms audio frames each peer sends.
const AUDIO_FRAMES: usize = 100;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Forwards `events`' candidates to `to`, reports connected, hands over incoming channels.
fn signal(
    name: &'static str,
    mut events: Events,
    to: PeerConnection,
    connected: oneshot::Sender<Instant>,
    channels: mpsc::Sender<DataChannel>,
    (tracks, videos): (mpsc::Sender<RemoteAudioTrack>, mpsc::Sender<RemoteTrack>),
) {
    tokio::spawn(async move {
        let mut connected = Some(connected);
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    println!("  {name} trickles {}", c.candidate);
                    if let Err(e) = to.add_ice_candidate(Some(&c.mid), &c.candidate).await {
                        eprintln!("  {name}: the peer refused a candidate: {e}");
                    }
                }
                PeerConnectionEvent::ConnectionState(PeerConnectionState::Connected) => {
                    if let Some(tx) = connected.take() {
                        let _ = tx.send(Instant::now());
                    }
                }
                PeerConnectionEvent::Failed(reason) => {
                    eprintln!("  {name}: connection failed: {reason}");
                }
                PeerConnectionEvent::DataChannel(channel) => {
                    let _ = channels.send(channel).await;
                }
                PeerConnectionEvent::AudioTrack(track) => {
                    let _ = tracks.send(track).await;
                }
                PeerConnectionEvent::Track(track) => {
                    let _ = videos.send(track).await;
                }
                _ => {}
            }
        }
    });
}

fn mbit_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 * 8.0 / took.as_secs_f64() / 1e6
}

async fn run() -> Result<(), Error> {
    let config = || DriverConfig {
        interfaces: vec!["127.0.0.1".parse().expect("an address")],
        ..DriverConfig::default()
    };
    let (alice, alice_events) = PeerConnection::new(config()).await?;
    let (bob, bob_events) = PeerConnection::new(config()).await?;
    println!(
        "rtcweb demo: two peers on loopback, alice on {:?}, bob on {:?}",
        alice.local_addresses(),
        bob.local_addresses()
    );

    let start = Instant::now();
    let alice_audio = alice
        .add_track(MediaTrack::audio("alice-tone"), &["alice"])
        .await?;
    let bob_audio = bob
        .add_track(MediaTrack::audio("bob-tone"), &["bob"])
        .await?;
    let alice_video = alice
        .add_track(MediaTrack::video("alice-pattern"), &["alice"])
        .await?
        .video(VideoSendSettings::default())
        .await?;
    let mut channel = alice
        .create_data_channel("demo", DataChannelInit::default())
        .await?;
    let offer = alice.create_offer().await?;
    alice.set_local_description(&offer).await?;
    println!(
        "  alice offers ({} bytes of SDP, {} lines)",
        offer.sdp.len(),
        offer.sdp.lines().count()
    );
    bob.set_remote_description(&offer).await?;
    let answer = bob.create_answer().await?;
    bob.set_local_description(&answer).await?;
    alice.set_remote_description(&answer).await?;
    println!("  bob answers ({} bytes of SDP)", answer.sdp.len());

    let (alice_connected, alice_at) = oneshot::channel();
    let (bob_connected, bob_at) = oneshot::channel();
    let (alice_channels, _alice_incoming) = mpsc::channel(4);
    let (bob_channels, mut bob_incoming) = mpsc::channel(4);
    let (alice_tracks, mut alice_heard) = mpsc::channel(4);
    let (bob_tracks, mut bob_heard) = mpsc::channel(4);
    let (alice_videos, _alice_seen) = mpsc::channel(4);
    let (bob_videos, mut bob_seen) = mpsc::channel(4);
    signal(
        "alice",
        alice_events,
        bob.clone(),
        alice_connected,
        alice_channels,
        (alice_tracks, alice_videos),
    );
    signal(
        "bob",
        bob_events,
        alice.clone(),
        bob_connected,
        bob_channels,
        (bob_tracks, bob_videos),
    );

    let limit = Duration::from_secs(20);
    timeout(limit, channel.opened())
        .await
        .map_err(|_| "the channel did not open within 20 s")??;
    let open = start.elapsed();
    let mut remote = timeout(limit, bob_incoming.recv())
        .await
        .map_err(|_| "bob saw no channel within 20 s")?
        .ok_or("bob saw no channel")?;
    let connected = alice_at.await? - start;
    let bob_connected = bob_at.await? - start;
    let info = alice.info().await?;
    let pair = info.selected_candidate_pair.ok_or("no selected pair")?;

    // Bob echoes whatever comes.
    let echo = tokio::spawn(async move {
        while let Some(m) = remote.recv().await {
            if remote.send(m).await.is_err() {
                break;
            }
        }
    });

    // Round trips of small messages, one at a time.
    let mut rtts = Vec::with_capacity(PINGS);
    for i in 0..PINGS {
        let sent = Instant::now();
        channel.send_text(format!("ping {i}")).await?;
        let back = timeout(limit, channel.recv())
            .await
            .map_err(|_| format!("ping {i}: no echo within 20 s"))?
            .ok_or("channel closed")?;
        rtts.push(sent.elapsed());
        if back.kind != MessageKind::Text || back.data != format!("ping {i}").as_bytes() {
            return Err(format!("ping {i} came back altered").into());
        }
    }
    rtts.sort();
    let median = rtts[rtts.len() / 2];

    // Bulk: 64 MiB in 64 KiB messages, echoed back, checked byte for byte, with at most
    // WINDOW messages in flight (an application-level window: the echo must not outrun
    // what loopback's socket buffers hold).
    let bulk_start = Instant::now();
    let total = BULK / CHUNK;
    let mut sent = 0usize;
    let mut received = 0usize;
    for i in 0..total {
        while sent < total && sent < i + WINDOW {
            channel
                .send(Message::binary(vec![sent as u8; CHUNK]))
                .await?;
            sent += 1;
        }
        let m = timeout(limit, channel.recv())
            .await
            .map_err(|_| format!("bulk message {i}: no echo within 20 s"))?
            .ok_or("channel closed")?;
        if m.data.len() != CHUNK || m.data.iter().any(|b| *b != i as u8) {
            return Err(format!("bulk message {i} came back altered").into());
        }
        received += m.data.len();
    }
    let bulk = bulk_start.elapsed();

    // Audio: both tones at once, each heard by the other; alice's video to bob beside.
    let alice_remote = timeout(limit, alice_heard.recv())
        .await?
        .ok_or("alice got no audio track")?;
    let bob_remote = timeout(limit, bob_heard.recv())
        .await?
        .ok_or("bob got no audio track")?;
    let bob_video = timeout(limit, bob_seen.recv())
        .await?
        .ok_or("bob got no video track")?;
    let bob_video_id = bob_video.transceiver();
    let codec = alice
        .sender(alice_video.transceiver())
        .await?
        .parameters()
        .await?
        .codecs
        .first()
        .map_or_else(|| "?".to_owned(), |(_, c)| c.name.clone());
    // The pattern's capture times count from here.
    let epoch = Instant::now();
    let (to_bob, to_alice, bob_got, alice_got, pictures_sent, bob_saw) = tokio::join!(
        send_tone(alice_audio, 440.0),
        send_tone(bob_audio, 660.0),
        listen(bob_remote),
        listen(alice_remote),
        send_pattern(alice_video, epoch),
        watch(bob_video, epoch),
    );
    let (to_bob, to_alice, pictures_sent, bob_saw) = (to_bob?, to_alice?, pictures_sent?, bob_saw?);

    let alice_info = alice.info().await?;
    let bob_info = bob.info().await?;
    channel.close().await?;
    let _ = timeout(Duration::from_secs(5), echo).await;
    alice.close().await?;
    bob.close().await?;

    println!();
    println!("report");
    println!(
        "  connected:           alice {connected:.1?}, bob {bob_connected:.1?} after create_offer"
    );
    println!(
        "  data channel open:   {open:.1?} after create_offer: {:.0} round trips of the median \
         message round trip below (on loopback the path is microseconds: the rest is CPU); \
         DTLS {}; SCTP {}",
        open.as_secs_f64() / median.as_secs_f64(),
        if info.sped_stats.data_sent > 0 && info.sped_stats.data_received > 0 {
            format!(
                "in the ICE checks (SPED: {} sent, {} received inside STUN)",
                info.sped_stats.data_sent, info.sped_stats.data_received
            )
        } else {
            "in datagrams of its own".to_owned()
        },
        if info.sctp_snap {
            "started from SNAP (a=sctp-init both ways, no handshake)"
        } else {
            "started with its handshake"
        }
    );
    println!(
        "  path:                {} ({}) -> {}:{} ({})",
        pair.socket.map_or("?".to_owned(), |s| s.to_string()),
        pair.local.kind.as_str(),
        pair.remote.address,
        pair.remote.port,
        pair.remote.kind.as_str(),
    );
    println!(
        "  security:            DTLS {} with {} ({}), SRTP with {}",
        match info.dtls_version {
            Some(rtcweb_dtls::ProtocolVersion::DTLS_1_3) => "1.3",
            Some(_) => "1.2",
            None => "?",
        },
        info.dtls_cipher.unwrap_or("no cipher"),
        info.dtls_group.and_then(|g| g.name()).unwrap_or("no group"),
        info.srtp_profile.map_or("no profile", |p| p.name()),
    );
    println!(
        "  round trip:          median {median:.2?}, min {:.2?}, max {:.2?} over {PINGS} messages",
        rtts[0],
        rtts[rtts.len() - 1]
    );
    println!(
        "  throughput:          {} MiB echoed in {bulk:.2?}: {:.0} Mbit/s each way",
        received >> 20,
        mbit_per_s(received, bulk)
    );
    println!(
        "  datagrams (alice):   {} sent in {} GSO sends and single ones, {} received ({} GRO reads), {} send errors",
        alice_info.io.datagrams_sent,
        alice_info.io.gso_sends,
        alice_info.io.datagrams_received,
        alice_info.io.gro_reads,
        alice_info.io.send_errors
    );
    for (from, to, sent, heard, info) in [
        ("alice", "bob", to_bob, &bob_got, &bob_info),
        ("bob", "alice", to_alice, &alice_got, &alice_info),
    ] {
        let received = info
            .transceivers
            .iter()
            .find_map(|(_, s)| s.inbound)
            .ok_or("no receive stats")?;
        println!(
            "  audio {from:>5} -> {to:<5}  {sent} Opus packets sent, {} received, {} lost; \
             {} frames played ({} concealed), heard {:.0} Hz",
            received.packets_received,
            received.packets_lost,
            heard.frames,
            heard.concealed,
            heard.frequency
        );
    }
    let bob_video_stats = bob_info
        .transceivers
        .iter()
        .find(|(id, _)| *id == bob_video_id)
        .and_then(|(_, s)| s.inbound)
        .ok_or("no video receive stats")?;
    let mut latency = bob_saw.latencies.clone();
    latency.sort_by(f64::total_cmp);
    println!(
        "  video alice -> bob   {pictures_sent} pictures sent ({}, 640x480), {} received \
         whole ({} key), {} decoded and read back ({}x{}); capture to decoded picture: \
         median {:.1} ms, max {:.1} ms",
        codec,
        bob_video_stats.frames_received,
        bob_video_stats.key_frames_received,
        bob_saw.read,
        bob_saw.size.0,
        bob_saw.size.1,
        latency.get(latency.len() / 2).copied().unwrap_or(0.0),
        latency.last().copied().unwrap_or(0.0),
    );
    if bob_saw.read == 0 {
        return Err("bob decoded no picture of alice's pattern".into());
    }
    Ok(())
}

/// Sends two seconds of the moving test pattern at 30 frames a second, capture times from
/// `epoch` in its bar code; pictures sent.
async fn send_pattern(video: VideoSender, epoch: Instant) -> Result<usize, Error> {
    let mut pattern = TestPattern::new(640, 480)?;
    let mut tick = tokio::time::interval(Duration::from_micros(33_333));
    let mut sent = 0;
    for _ in 0..60 {
        tick.tick().await;
        let n = pattern.frame_number();
        let frame = RawVideoFrame {
            picture: pattern.next_frame(epoch.elapsed().as_micros() as u64),
            rtp_timestamp: n.wrapping_mul(3000),
            capture_time: Some(Instant::now()),
        };
        sent += usize::from(video.send(frame).await?);
    }
    Ok(sent)
}

/// What bob saw of alice's video.
struct Seen {
    read: usize,
    size: (u32, u32),
    /// Capture to decoded picture, ms.
    latencies: Vec<f64>,
}

/// Decodes the remote video until it has been quiet for 500 ms; capture times in the
/// pictures' bar codes count from `epoch`.
async fn watch(track: RemoteTrack, epoch: Instant) -> Result<Seen, Error> {
    let mut video = track.decode().await?;
    let mut seen = Seen {
        read: 0,
        size: (0, 0),
        latencies: Vec::new(),
    };
    while let Ok(Some(picture)) = timeout(Duration::from_millis(500), video.recv()).await {
        if let Some(code) = read_code(&picture.picture) {
            seen.read += 1;
            seen.size = (picture.picture.width(), picture.picture.height());
            let captured = epoch + Duration::from_micros(code.capture_micros);
            seen.latencies
                .push(captured.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(seen)
}

/// Sends `AUDIO_FRAMES` 20 ms frames of a tone at the pace of a microphone; frames sent.
async fn send_tone(track: RtpSender, frequency: f64) -> Result<usize, Error> {
    let mut tone = ToneSource::new(frequency, 10_000.0, 48_000, 1);
    let mut pcm = vec![0i16; 960];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut sent = 0;
    for _ in 0..AUDIO_FRAMES {
        tick.tick().await;
        tone.fill(&mut pcm);
        let frame = PcmFrame {
            samples: pcm.clone(),
            sample_rate: 48_000,
            channels: 1,
        };
        sent += track.send_audio(frame, None).await?;
    }
    Ok(sent)
}

/// What one side heard.
struct Heard {
    frames: usize,
    concealed: usize,
    /// By zero crossings of the decoded (not concealed) frames.
    frequency: f64,
}

/// Plays the remote track until it has been quiet for 300 ms.
async fn listen(mut track: RemoteAudioTrack) -> Heard {
    let (mut frames, mut concealed, mut crossings, mut samples) = (0, 0, 0usize, 0usize);
    while let Ok(Some(frame)) = timeout(Duration::from_millis(300), track.recv()).await {
        frames += 1;
        if frame.concealed {
            concealed += 1;
            continue;
        }
        crossings += frame
            .samples
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count();
        samples += frame.samples.len();
    }
    Heard {
        frames,
        concealed,
        frequency: crossings as f64 / 2.0 / (samples.max(1) as f64 / 48_000.0),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
