//! Signalling over HTTP for the examples that talk to a browser (`browser`, `call`): a page
//! served at `/`, and its offer POSTed to `/offer` answered with our SDP and every
//! candidate as JSON (no trickle: the answer waits for gathering). Shared by those
//! examples and their tests through `#[path]`.
#![allow(dead_code, unreachable_pub)] // each user takes what it needs

use std::net::SocketAddr;
use std::time::Duration;

use rtcweb_peer::driver::{Events, PeerConnection, PeerConnectionEvent};
use rtcweb_peer::{Description, GatheringState, SdpType};
use serde_json::json;

/// Any error, for the examples.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Why an offer was not answered: the HTTP status and the text sent back.
pub type Refused = (u16, String);

/// Largest offer read; offers are a few kilobytes.
const MAX_OFFER: u64 = 256 << 10;

/// Starts the HTTP endpoint on `addr` (port 0 picks one) in a thread of its own, serving
/// `page` at `/` and giving each offer POSTed to `/offer` to `on_offer`, whose JSON goes
/// back; one thread per request, as an answer waits for gathering. The address it listens
/// on.
pub fn serve(
    addr: SocketAddr,
    page: &'static str,
    on_offer: impl Fn(String) -> Result<serde_json::Value, Refused> + Send + Sync + 'static,
) -> Result<SocketAddr, Error> {
    let server = tiny_http::Server::http(addr)?;
    let local = server
        .server_addr()
        .to_ip()
        .ok_or("the server listens on an IP address")?;
    let on_offer = std::sync::Arc::new(on_offer);
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let on_offer = std::sync::Arc::clone(&on_offer);
            std::thread::spawn(move || handle(request, page, &*on_offer));
        }
    });
    Ok(local)
}

fn handle(
    mut request: tiny_http::Request,
    page: &'static str,
    on_offer: &dyn Fn(String) -> Result<serde_json::Value, Refused>,
) {
    let html = tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
        .expect("a valid header");
    let json_type =
        tiny_http::Header::from_bytes("Content-Type", "application/json").expect("a valid header");
    let response = match (request.method(), request.url()) {
        (tiny_http::Method::Get, "/") => tiny_http::Response::from_string(page).with_header(html),
        (tiny_http::Method::Post, "/offer") => {
            let mut sdp = String::new();
            let read = std::io::Read::read_to_string(
                &mut std::io::Read::take(request.as_reader(), MAX_OFFER),
                &mut sdp,
            );
            match read
                .map_err(|e| (400, e.to_string()))
                .and_then(|_| on_offer(sdp))
            {
                Ok(body) => {
                    tiny_http::Response::from_string(body.to_string()).with_header(json_type)
                }
                Err((status, text)) => {
                    tiny_http::Response::from_string(text).with_status_code(status)
                }
            }
        }
        _ => tiny_http::Response::from_string("not found").with_status_code(404),
    };
    if let Err(e) = request.respond(response) {
        eprintln!("HTTP response not sent: {e}");
    }
}

/// Applies `offer` to `pc`, answers it and waits (up to 10 s) for gathering to complete:
/// the answer and candidates as the page expects them (`{ sdp, candidates }`), and the
/// other events seen meanwhile, for the session to handle.
pub async fn answer_with_candidates(
    pc: &PeerConnection,
    events: &mut Events,
    offer: String,
) -> Result<(serde_json::Value, Vec<PeerConnectionEvent>), Error> {
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
    Ok((
        json!({ "sdp": answer.sdp, "candidates": candidates }),
        early,
    ))
}

/// The next event of a session: the ones [`answer_with_candidates`] saw first, then the
/// connection's; `None` when the connection ended.
pub async fn next_event(
    early: &mut std::vec::IntoIter<PeerConnectionEvent>,
    events: &mut Events,
) -> Option<PeerConnectionEvent> {
    match early.next() {
        Some(event) => Some(event),
        None => events.recv().await,
    }
}
