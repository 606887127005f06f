//! What the interop tests do with a driver-backed peer's events: a runtime to run it on, an
//! event pump that hands the blocking test what it waits for, and the trickling of our
//! candidates to the other peer as they come.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use rtcweb_peer::driver::{
    DataChannel, Events, PeerConnectionEvent, RemoteAudioTrack, RemoteTrack,
};
use rtcweb_peer::{GatheringState, PeerConnectionState};
use tokio::sync::mpsc;

/// A runtime with one worker for the test's peer. Enter it (`rt.enter()`) so that timers
/// made outside `block_on` (`timeout(...)`) find it.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// What a peer's event pump hands the (blocking) test about signalling.
pub enum Seen {
    /// A local candidate to trickle.
    Candidate { mid: String, candidate: String },
    /// Gathering completed.
    GatheringComplete,
    /// The connection state became connected, at this instant.
    Connected(Instant),
}

/// When the connection became connected, as the pump saw it. The event stream and a
/// channel's handle are separate queues, so the channel may report open before the pump has
/// passed the state change on: this waits for it (up to `limit`) instead of racing it.
pub fn connected_at(seen: &std_mpsc::Receiver<Seen>, limit: Duration) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match seen.recv_timeout(left) {
            Ok(Seen::Connected(at)) => return Some(at),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

/// The pump's outputs: signalling, and the channels and tracks the peer opened to us.
pub struct Pumped {
    pub seen: std_mpsc::Receiver<Seen>,
    pub channels: mpsc::UnboundedReceiver<DataChannel>,
    pub audio: mpsc::UnboundedReceiver<RemoteAudioTrack>,
    /// Remote tracks whose frames come encoded (video).
    pub video: mpsc::UnboundedReceiver<RemoteTrack>,
}

/// Runs the peer's events on `rt` until they end; a failed connection panics with its
/// reason.
pub fn pump(rt: &tokio::runtime::Runtime, mut events: Events) -> Pumped {
    let (seen_tx, seen) = std_mpsc::channel();
    let (channel_tx, channels) = mpsc::unbounded_channel();
    let (audio_tx, audio) = mpsc::unbounded_channel();
    let (video_tx, video) = mpsc::unbounded_channel();
    rt.spawn(async move {
        while let Some(event) = events.recv().await {
            let seen = match event {
                PeerConnectionEvent::LocalCandidate(c) => Seen::Candidate {
                    mid: c.mid,
                    candidate: c.candidate,
                },
                PeerConnectionEvent::IceGatheringState(GatheringState::Complete) => {
                    Seen::GatheringComplete
                }
                PeerConnectionEvent::ConnectionState(PeerConnectionState::Connected) => {
                    #[allow(clippy::disallowed_methods)] // the tests measure wall time
                    Seen::Connected(Instant::now())
                }
                PeerConnectionEvent::DataChannel(c) => {
                    let _ = channel_tx.send(c);
                    continue;
                }
                PeerConnectionEvent::AudioTrack(t) => {
                    let _ = audio_tx.send(t);
                    continue;
                }
                PeerConnectionEvent::Track(t) => {
                    let _ = video_tx.send(t);
                    continue;
                }
                PeerConnectionEvent::Failed(reason) => panic!("connection failed: {reason}"),
                _ => continue,
            };
            let _ = seen_tx.send(seen);
        }
    });
    Pumped {
        seen,
        channels,
        audio,
        video,
    }
}

/// Gives each candidate to `give` (mid, candidate) as the peer gathers them, until
/// gathering completes (10 s at most); the mid of the last one. At least one is required.
pub fn trickle(seen: &std_mpsc::Receiver<Seen>, mut give: impl FnMut(&str, &str)) -> String {
    #[allow(clippy::disallowed_methods)] // real peers, real time
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last_mid = None;
    loop {
        #[allow(clippy::disallowed_methods)]
        let left = deadline.saturating_duration_since(Instant::now());
        match seen
            .recv_timeout(left)
            .expect("gathering completes in time")
        {
            Seen::Candidate { mid, candidate } => {
                give(&mid, &candidate);
                last_mid = Some(mid);
            }
            Seen::GatheringComplete => break,
            Seen::Connected(_) => {}
        }
    }
    last_mid.expect("the peer gathered no candidate")
}
