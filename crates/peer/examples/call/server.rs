//! The signalling side of the call: an HTTP endpoint on 127.0.0.1 that serves the page and
//! answers its offer (SDP and every candidate, no trickle), and the rtcweb peer of the
//! call, which sends the microphone and the camera and plays what the browser sends. One
//! call at a time: the devices are the machine's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rtcweb_peer::driver::{
    DriverConfig, Events, PeerConnection, PeerConnectionEvent, VideoSendSettings,
};
use rtcweb_peer::{Description, GatheringState, MediaTrack, PeerConnectionState, SdpType};
use serde_json::json;

use crate::devices::Devices;
use crate::media::{self, Counters, Show};

/// The page, served at `/`.
const PAGE: &str = include_str!("page.html");

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What every call shares: the devices, where pictures go, the counters.
pub(crate) struct Call {
    pub(crate) devices: Devices,
    pub(crate) show: Arc<dyn Fn(rtcweb_media::I420Frame) -> bool + Send + Sync>,
    pub(crate) counters: Arc<Counters>,
    busy: AtomicBool,
}

impl Call {
    pub(crate) fn new(
        devices: Devices,
        show: Arc<dyn Fn(rtcweb_media::I420Frame) -> bool + Send + Sync>,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            devices,
            show,
            counters,
            busy: AtomicBool::new(false),
        }
    }
}

/// Starts the HTTP endpoint on `addr` (port 0 picks one) in a thread of its own; the
/// address it listens on. Peers run on `runtime`.
pub(crate) fn start(
    addr: SocketAddr,
    runtime: tokio::runtime::Handle,
    call: Arc<Call>,
) -> Result<SocketAddr, Error> {
    let server = tiny_http::Server::http(addr)?;
    let local = server
        .server_addr()
        .to_ip()
        .ok_or("the server listens on an IP address")?;
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let runtime = runtime.clone();
            let call = Arc::clone(&call);
            // One thread per request: an offer waits for gathering.
            std::thread::spawn(move || handle(request, &runtime, call));
        }
    });
    Ok(local)
}

fn handle(mut request: tiny_http::Request, runtime: &tokio::runtime::Handle, call: Arc<Call>) {
    let html = tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
        .expect("a valid header");
    let json_type =
        tiny_http::Header::from_bytes("Content-Type", "application/json").expect("a valid header");
    let response = match (request.method(), request.url()) {
        (tiny_http::Method::Get, "/") => tiny_http::Response::from_string(PAGE).with_header(html),
        (tiny_http::Method::Post, "/offer") => {
            if call.busy.swap(true, Ordering::AcqRel) {
                tiny_http::Response::from_string("a call is already on").with_status_code(409)
            } else {
                let mut sdp = String::new();
                // Offers are a few kilobytes; anything far larger is refused.
                let read = std::io::Read::read_to_string(
                    &mut std::io::Read::take(request.as_reader(), 256 << 10),
                    &mut sdp,
                );
                match read
                    .map_err(Error::from)
                    .and_then(|_| runtime.block_on(answer(sdp, Arc::clone(&call))))
                {
                    Ok(body) => {
                        tiny_http::Response::from_string(body.to_string()).with_header(json_type)
                    }
                    Err(e) => {
                        call.busy.store(false, Ordering::Release);
                        tiny_http::Response::from_string(e.to_string()).with_status_code(400)
                    }
                }
            }
        }
        _ => tiny_http::Response::from_string("not found").with_status_code(404),
    };
    if let Err(e) = request.respond(response) {
        eprintln!("HTTP response not sent: {e}");
    }
}

/// The peer of a call: applies the offer, answers with a microphone and a camera track,
/// waits for its candidates; the answer and candidates as JSON. The call lives on in tasks
/// of its own.
async fn answer(offer: String, call: Arc<Call>) -> Result<serde_json::Value, Error> {
    let (pc, mut events) = PeerConnection::new(DriverConfig::default()).await?;
    let microphone = pc
        .add_track(MediaTrack::audio("microphone"), &["rtcweb-call"])
        .await?;
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
    pc.set_remote_description(&Description {
        kind: SdpType::Offer,
        sdp: offer,
    })
    .await?;
    let answer = pc.create_answer().await?;
    pc.set_local_description(&answer).await?;
    let mut candidates = Vec::new();
    let mut early = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .map_err(|_| "gathering did not complete in 10 s")?
            .ok_or("the connection ended")?;
        match event {
            PeerConnectionEvent::LocalCandidate(c) => {
                candidates.push(json!({ "candidate": c.candidate, "mid": c.mid }));
            }
            PeerConnectionEvent::IceGatheringState(GatheringState::Complete) => break,
            other => early.push(other),
        }
    }
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
    Ok(json!({ "sdp": answer.sdp, "candidates": candidates }))
}

/// The call's events until it ends: the browser's tracks to the speaker and the window.
async fn session(
    pc: PeerConnection,
    mut events: Events,
    early: Vec<PeerConnectionEvent>,
    call: Arc<Call>,
) {
    let mut pending = early.into_iter();
    loop {
        let event = match pending.next() {
            Some(e) => e,
            None => match events.recv().await {
                Some(e) => e,
                None => break,
            },
        };
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
