//! Chromium's fake camera arrives in rtcweb as complete VP8 frames: key frames that parse
//! (the RFC 6386 §9.1 start code and a frame size), every frame in decoding order. Once
//! with Chromium offering its camera, once with rtcweb offering a `recvonly` video
//! transceiver. Chromium's `outbound-rtp` stats and rtcweb's `inbound-rtp` counters are
//! printed (NACKs and PLIs included).
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod peer_events;

use std::time::{Duration, Instant};

use chromium::Chromium;
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use rtcweb_peer::{Direction, MediaKind, ReceivedFrame, TransceiverInit};
use serde_json::json;
use tokio::time::timeout;

/// How long rtcweb collects Chromium's video.
const SECONDS: u64 = 3;

/// The page: an `RTCPeerConnection` that sends the fake camera.
const PAGE_SCRIPT: &str = r#"
window.rtc = {
  pc: null,
  async make() {
    rtc.pc = new RTCPeerConnection();
    rtc.camera = await navigator.mediaDevices.getUserMedia({ video: true });
    return rtc.pc;
  },
  addCamera(pc) { for (const t of rtc.camera.getVideoTracks()) pc.addTrack(t, rtc.camera); },
  gathered(pc) {
    return new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
  },
  async offer() {
    const pc = await rtc.make();
    rtc.addCamera(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async answer(sdp) {
    const pc = await rtc.make();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    rtc.addCamera(pc);
    await pc.setLocalDescription(await pc.createAnswer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(sdp) { await rtc.pc.setRemoteDescription({ type: 'answer', sdp }); },
  async candidate(candidate, sdpMid) { await rtc.pc.addIceCandidate({ candidate, sdpMid }); },
  async stats() {
    const out = {};
    (await rtc.pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') out.outbound = r;
      if (r.type === 'codec' && r.mimeType.startsWith('video/')) out.codec = r;
    });
    return out;
  },
};
true
"#;

#[test]
fn chromium_offers_its_camera_as_vp8_frames() {
    run_case("chromium_offers_its_camera_as_vp8_frames", true);
}

#[test]
fn rtcweb_offers_to_receive_chromium_camera_as_vp8_frames() {
    run_case(
        "rtcweb_offers_to_receive_chromium_camera_as_vp8_frames",
        false,
    );
}

/// The frame size in a VP8 key frame header (RFC 6386 §9.1), if it is one.
fn vp8_key_frame_size(data: &[u8]) -> Option<(u16, u16)> {
    let tag = data.get(..10)?;
    let key = tag[0] & 1 == 0;
    if !key || tag[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([tag[6], tag[7]]) & 0x3fff;
    let height = u16::from_le_bytes([tag[8], tag[9]]) & 0x3fff;
    Some((width, height))
}

fn run_case(name: &str, chromium_offers: bool) {
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let label = if chromium_offers {
        "Chromium offers"
    } else {
        "rtcweb offers"
    };
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Chromium::launch();
    let version = browser.version();
    // getUserMedia needs a secure context: a page from 127.0.0.1.
    let page = browser.new_page_at(&chromium::serve_page(
        "<!doctype html><title>rtcweb</title>",
    ));
    assert_eq!(browser.evaluate(&page, PAGE_SCRIPT), json!(true));

    let (pc, events) = rt
        .block_on(PeerConnection::new(DriverConfig::loopback()))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped {
        seen,
        video: mut tracks,
        ..
    } = peer_events::pump(&rt, events);

    let start = Instant::now();
    if !chromium_offers {
        rt.block_on(pc.add_transceiver(
            MediaKind::Video,
            TransceiverInit::direction(Direction::RecvOnly),
        ))
        .expect("a video transceiver");
    }
    browser.exchange(&page, &rt, &pc, chromium_offers, &seen);
    let mut remote = rt
        .block_on(timeout(Duration::from_secs(20), tracks.recv()))
        .expect("Chromium's video track reaches rtcweb in time")
        .expect("a track");

    let frames: Vec<(Duration, ReceivedFrame)> = rt.block_on(async {
        let mut frames = Vec::new();
        let until = tokio::time::Instant::now() + Duration::from_secs(SECONDS);
        while let Ok(Some(frame)) = tokio::time::timeout_at(until, remote.recv()).await {
            frames.push((start.elapsed(), frame));
        }
        frames
    });
    let keyframes: Vec<&ReceivedFrame> = frames
        .iter()
        .map(|(_, f)| f)
        .filter(|f| f.keyframe)
        .collect();
    let first = frames.first().expect("at least one frame");
    println!(
        "{label} ({version}): first frame after {:.0?}, {} frames in {SECONDS} s, {} key frames, \
         {} bytes in all",
        first.0,
        frames.len(),
        keyframes.len(),
        frames.iter().map(|(_, f)| f.data.len()).sum::<usize>()
    );
    assert!(first.1.keyframe, "{label}: the first frame is a key frame");
    assert!(
        frames.len() as u64 >= SECONDS * 10,
        "{label}: too few frames"
    );
    for (_, frame) in &frames {
        assert!(frame.codec.is("VP8"), "{label}: {:?}", frame.codec);
        // RFC 6386 §9.1: bit 0 of the frame tag is 0 for key frames, 1 for inter frames.
        assert_eq!(frame.data[0] & 1 == 0, frame.keyframe, "{label}: frame tag");
    }
    let sizes: Vec<(u16, u16)> = keyframes
        .iter()
        .map(|f| vp8_key_frame_size(&f.data).expect("a VP8 key frame header"))
        .collect();
    println!("{label}: key frame sizes {sizes:?}");
    assert!(sizes.iter().all(|&(w, h)| w > 0 && h > 0));
    // Timestamps go forward frame after frame (decoding order).
    assert!(
        frames
            .windows(2)
            .all(|w| (w[1].1.rtp_timestamp.wrapping_sub(w[0].1.rtp_timestamp) as i32) > 0),
        "{label}: frames out of order"
    );

    let stats = browser.evaluate(&page, "rtc.stats()");
    let outbound = &stats["outbound"];
    println!(
        "{label}: Chromium outbound-rtp: {} frames encoded, {} key frames, {} packets, \
         {} NACKs, {} PLIs, {}x{}; codec {}",
        outbound["framesEncoded"],
        outbound["keyFramesEncoded"],
        outbound["packetsSent"],
        outbound["nackCount"],
        outbound["pliCount"],
        outbound["frameWidth"],
        outbound["frameHeight"],
        stats["codec"]["mimeType"],
    );
    assert_eq!(stats["codec"]["mimeType"], "video/VP8", "{stats}");
    let info = rt.block_on(pc.info()).unwrap();
    let ours = info
        .transceivers
        .iter()
        .find(|(id, _)| *id == remote.transceiver())
        .and_then(|(_, s)| s.inbound)
        .expect("rtcweb's video stats");
    println!(
        "{label}: rtcweb inbound-rtp: {} packets, {} lost, {} retransmitted, {} frames \
         assembled ({} key), {} NACKs, {} PLIs",
        ours.packets_received,
        ours.packets_lost,
        ours.retransmitted_packets_received,
        ours.frames_received,
        ours.key_frames_received,
        ours.video.nack_count,
        ours.video.pli_count,
    );
    assert!(ours.frames_received >= frames.len() as u64);
    rt.block_on(pc.close()).unwrap();
}
