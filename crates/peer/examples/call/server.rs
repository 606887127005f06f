//! The signalling side of the call: an HTTP endpoint on 127.0.0.1 that serves the page and
//! answers its offer (SDP and every candidate, no trickle), and the rtcweb peer of the
//! call, which sends the microphone and the camera and plays what the browser sends. One
//! call at a time: the devices are the machine's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rtcweb_peer::driver::{
    AudioProcessing, DriverConfig, Events, PeerConnection, PeerConnectionEvent, VideoSendSettings,
};
use rtcweb_peer::{MediaTrack, PeerConnectionState};

use crate::devices::Devices;
use crate::media::{self, Counters, Show};

/// The page, served at `/`.
const PAGE: &str = include_str!("page.html");

#[path = "../shared/http_signal.rs"]
mod http_signal;

use http_signal::Error;

/// What every call shares: the devices, where pictures go, the counters.
pub(crate) struct Call {
    pub(crate) devices: Devices,
    /// What the microphone's sender runs it through.
    pub(crate) processing: AudioProcessing,
    pub(crate) show: Arc<dyn Fn(rtcweb_media::I420Frame) -> bool + Send + Sync>,
    pub(crate) counters: Arc<Counters>,
    busy: AtomicBool,
}

impl Call {
    pub(crate) fn new(
        devices: Devices,
        processing: AudioProcessing,
        show: Arc<dyn Fn(rtcweb_media::I420Frame) -> bool + Send + Sync>,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            devices,
            processing,
            show,
            counters,
            busy: AtomicBool::new(false),
        }
    }
}

/// Starts the HTTP endpoint on `addr` (port 0 picks one) in a thread of its own; the
/// address it listens on. Peers run on `runtime`; a second caller while a call is on is
/// refused (409).
pub(crate) fn start(
    addr: SocketAddr,
    runtime: tokio::runtime::Handle,
    call: Arc<Call>,
) -> Result<SocketAddr, Error> {
    http_signal::serve(addr, PAGE, move |offer| {
        if call.busy.swap(true, Ordering::AcqRel) {
            return Err((409, "a call is already on".to_owned()));
        }
        runtime
            .block_on(answer(offer, Arc::clone(&call)))
            .map_err(|e| {
                call.busy.store(false, Ordering::Release);
                (400, e.to_string())
            })
    })
}

/// The peer of a call: applies the offer, answers with a microphone and a camera track,
/// waits for its candidates; the answer and candidates as JSON. The call lives on in tasks
/// of its own.
async fn answer(offer: String, call: Arc<Call>) -> Result<serde_json::Value, Error> {
    let (pc, mut events) = PeerConnection::new(DriverConfig::default()).await?;
    let microphone = pc
        .add_track(MediaTrack::audio("microphone"), &["rtcweb-call"])
        .await?;
    microphone.set_audio_processing(call.processing).await?;
    let camera = pc
        .add_track(MediaTrack::video("camera"), &["rtcweb-call"])
        .await?;
    let frame_rate = call.devices.camera.1.frame_rate.as_f64().round() as u32;
    let camera = camera
        .video(VideoSendSettings {
            frame_rate: frame_rate.max(1),
            ..VideoSendSettings::default()
        })
        .await?;
    let (body, early) = http_signal::answer_with_candidates(&pc, &mut events, offer).await?;
    println!("the browser is calling");
    let devices = &call.devices;
    media::send_microphone(
        devices.microphone.0.clone(),
        devices.microphone.1,
        microphone,
        Arc::clone(&call.counters),
    );
    media::send_camera(
        devices.camera.0.clone(),
        devices.camera.1,
        camera,
        Arc::clone(&call.counters),
    );
    tokio::spawn(session(pc, events, early, call));
    Ok(body)
}

/// The call's events until it ends: the browser's tracks to the speaker and the window.
async fn session(
    pc: PeerConnection,
    mut events: Events,
    early: Vec<PeerConnectionEvent>,
    call: Arc<Call>,
) {
    let mut pending = early.into_iter();
    while let Some(event) = http_signal::next_event(&mut pending, &mut events).await {
        match event {
            PeerConnectionEvent::AudioTrack(track) => {
                let (device, settings) = call.devices.speaker.clone();
                media::play_audio(track, device, settings, Arc::clone(&call.counters));
            }
            PeerConnectionEvent::Track(track) => {
                let show = Arc::clone(&call.show);
                let show: Show = Box::new(move |picture| show(picture));
                media::show_video(track, show, Arc::clone(&call.counters));
            }
            PeerConnectionEvent::ConnectionState(state) => {
                println!("call: {state:?}");
                if matches!(
                    state,
                    PeerConnectionState::Failed | PeerConnectionState::Closed
                ) {
                    break;
                }
            }
            PeerConnectionEvent::ClosedByPeer => break,
            PeerConnectionEvent::Failed(reason) => eprintln!("the call failed: {reason}"),
            _ => {}
        }
    }
    let _ = pc.close().await;
    println!("the call ended: {}", call.counters.summary());
    call.busy.store(false, Ordering::Release);
}
