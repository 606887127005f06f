//! Video both ways with Chromium, in each codec: rtcweb encodes its moving test pattern
//! (640×480, 30 frame/s) and Chromium decodes it (its `inbound-rtp` shows frames decoded at
//! the sent rate, the sent size, no freeze); Chromium's fake camera plays a Y4M file of the
//! same pattern (`--use-file-for-fake-video-capture`), and rtcweb decodes it into pictures
//! whose bar codes read back: what the browser's camera drew. VP8, VP9 and H.264, once with
//! Chromium offering (its page narrows its codecs to the one under test with
//! `setCodecPreferences`) and once with rtcweb offering (its `Config::video_codecs` holds
//! only that codec).
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod peer_events;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chromium::Chromium;
use rtcweb_media::analysis::picture_has_structure;
use rtcweb_media::video::{TestPattern, Y4mSink, read_code};
use rtcweb_media::{DecodedVideoFrame, RawVideoFrame};
use rtcweb_peer::driver::{DriverConfig, PeerConnection, VideoSendSettings};
use rtcweb_peer::{
    CodecCapability, Description, Direction, MediaKind, MediaTrack, SdpType, TransceiverInit,
};
use serde_json::{Value, json};
use tokio::time::timeout;

/// How long each side sends once connected.
const SECONDS: u64 = 4;
const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;

/// The page: an `RTCPeerConnection` that sends the fake camera and receives, with one
/// video codec (and its RTX) preferred.
const PAGE_SCRIPT: &str = r#"
window.rtc = {
  pc: null,
  codec: null,
  async make() {
    rtc.pc = new RTCPeerConnection();
    rtc.camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    rtc.pc.ontrack = (e) => {
      const v = document.createElement('video');
      v.muted = true; v.autoplay = true; v.srcObject = new MediaStream([e.track]);
      document.body.appendChild(v);
    };
    return rtc.pc;
  },
  prefer(t) {
    const caps = RTCRtpReceiver.getCapabilities('video').codecs.filter((c) =>
      c.mimeType.toLowerCase() === ('video/' + rtc.codec).toLowerCase() &&
      (rtc.codec !== 'H264' || (c.sdpFmtpLine || '').includes('packetization-mode=1') &&
        (c.sdpFmtpLine || '').includes('42e01f')) &&
      (rtc.codec !== 'VP9' || !(c.sdpFmtpLine || '').includes('profile-id=2')));
    const rtx = RTCRtpReceiver.getCapabilities('video').codecs.filter((c) => c.mimeType === 'video/rtx');
    t.setCodecPreferences(caps.slice(0, 1).concat(rtx));
  },
  gathered(pc) {
    return new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
  },
  async offer() {
    const pc = await rtc.make();
    const t = pc.addTransceiver(rtc.camera.getVideoTracks()[0], { direction: 'sendrecv' });
    rtc.prefer(t);
    await pc.setLocalDescription(await pc.createOffer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async answer(sdp) {
    const pc = await rtc.make();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const t = pc.getTransceivers()[0];
    t.direction = 'sendrecv';
    await t.sender.replaceTrack(rtc.camera.getVideoTracks()[0]);
    rtc.prefer(t);
    await pc.setLocalDescription(await pc.createAnswer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(sdp) { await rtc.pc.setRemoteDescription({ type: 'answer', sdp }); },
  async candidate(candidate, sdpMid) { await rtc.pc.addIceCandidate({ candidate, sdpMid }); },
  async stats() {
    const out = { codecs: {} };
    (await rtc.pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') out.inbound = r;
      if (r.type === 'outbound-rtp' && r.kind === 'video') out.outbound = r;
      if (r.type === 'codec') out.codecs[r.id] = r.mimeType;
    });
    return out;
  },
};
true
"#;

#[test]
fn vp8_chromium_offers() {
    run_case("VP8", true);
}

/// 5 % of the UDP datagrams on the namespace's `lo` dropped (iptables' `statistic` match),
/// both ways, from before the first offer: NACK and RTX (and a PLI when a frame cannot be
/// saved) keep Chromium's picture going.
#[test]
fn vp8_rtcweb_offers_with_five_percent_loss() {
    run_lossy_case("VP8");
}

#[test]
fn vp9_rtcweb_offers_with_five_percent_loss() {
    run_lossy_case("VP9");
}

#[test]
fn h264_rtcweb_offers_with_five_percent_loss() {
    run_lossy_case("H264");
}

#[test]
fn vp8_rtcweb_offers() {
    run_case("VP8", false);
}

#[test]
fn vp9_chromium_offers() {
    run_case("VP9", true);
}

#[test]
fn vp9_rtcweb_offers() {
    run_case("VP9", false);
}

#[test]
fn h264_chromium_offers() {
    run_case("H264", true);
}

#[test]
fn h264_rtcweb_offers() {
    run_case("H264", false);
}

/// One second of the test pattern at 640×480 as a Y4M file for Chromium's fake camera
/// (which loops it), in the test's own temporary directory.
fn camera_file() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rtcweb-camera-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pattern.y4m");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut sink = Y4mSink::new(file, WIDTH, HEIGHT, (30, 1)).unwrap();
    let mut pattern = TestPattern::new(WIDTH, HEIGHT).unwrap();
    for n in 0..30u64 {
        sink.write_frame(&pattern.next_frame(n * 33_333)).unwrap();
    }
    drop(sink);
    path
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn run_case(codec: &str, chromium_offers: bool) {
    let name = format!(
        "{}_{}",
        codec.to_lowercase(),
        if chromium_offers {
            "chromium_offers"
        } else {
            "rtcweb_offers"
        }
    );
    if !chromium::available() || chromium::run_in_network_namespace(&name) {
        return;
    }
    call(codec, chromium_offers, false);
}

fn run_lossy_case(codec: &str) {
    let name = format!(
        "{}_rtcweb_offers_with_five_percent_loss",
        codec.to_lowercase()
    );
    if !chromium::available() || chromium::run_in_network_namespace(&name) {
        return;
    }
    if !rtcweb_lab::isolate::inside_namespace() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name}: needs a network namespace under CI"
        );
        println!("{name}: skipped: no network namespace to drop packets in");
        return;
    }
    let status = std::process::Command::new("iptables")
        .args([
            "-A",
            "INPUT",
            "-i",
            "lo",
            "-p",
            "udp",
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            "0.05",
            "-j",
            "DROP",
        ])
        .status()
        .expect("iptables runs");
    assert!(status.success(), "the loss rule is in place");
    call(codec, false, true);
}

fn call(codec: &str, chromium_offers: bool, lossy: bool) {
    let label = format!(
        "{codec}, {} offers{}",
        if chromium_offers {
            "Chromium"
        } else {
            "rtcweb"
        },
        if lossy { ", 5 % loss" } else { "" }
    );
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let camera = camera_file();
    let mut browser = Chromium::launch_with(&[&format!(
        "--use-file-for-fake-video-capture={}",
        camera.display()
    )]);
    let version = browser.version();
    let page = browser.new_page_at(&chromium::serve_page(
        "<!doctype html><title>rtcweb</title><body></body>",
    ));
    assert_eq!(browser.evaluate(&page, PAGE_SCRIPT), json!(true));
    browser.evaluate(&page, &format!("rtc.codec = {}", json!(codec)));

    let mut config = DriverConfig::default();
    if !chromium_offers {
        config.peer.video_codecs = CodecCapability::default_video()
            .into_iter()
            .filter(|c| c.name.eq_ignore_ascii_case(codec))
            .collect();
    }
    let (pc, events) = rt
        .block_on(PeerConnection::new(config))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped {
        seen,
        video: mut tracks,
        ..
    } = peer_events::pump(&rt, events);
    if chromium_offers {
        // As a browser's application does: apply the offer, add the track (it goes on the
        // transceiver the offer made, which now sends too), then answer.
        let offer = browser.evaluate(&page, "rtc.offer()");
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Offer,
            sdp: offer.as_str().expect("the offer's SDP").to_owned(),
        }))
        .expect("Chromium's offer applies");
        let sender = rt
            .block_on(pc.add_track(MediaTrack::video("pattern"), &["rtcweb"]))
            .expect("our pattern on the offered transceiver");
        let offered = rt.block_on(pc.transceivers()).unwrap()[0].id;
        assert_eq!(
            sender.transceiver(),
            offered,
            "the offer's transceiver is reused"
        );
        let answer = rt.block_on(pc.create_answer()).expect("an answer");
        rt.block_on(pc.set_local_description(&answer))
            .expect("our answer applies");
        browser.evaluate(&page, &format!("rtc.accept({})", json!(answer.sdp)));
        peer_events::trickle(&seen, |mid, candidate| {
            browser.evaluate(
                &page,
                &format!("rtc.candidate({}, {})", json!(candidate), json!(mid)),
            );
        });
    } else {
        rt.block_on(pc.add_transceiver(
            MediaTrack::video("pattern"),
            TransceiverInit::direction(Direction::SendRecv),
        ))
        .expect("a video transceiver");
        browser.exchange(&page, &rt, &pc, false, &seen);
    }
    let remote = rt
        .block_on(timeout(Duration::from_secs(20), tracks.recv()))
        .expect("Chromium's video track reaches rtcweb in time")
        .expect("a track");
    let id = remote.transceiver();
    let sender = rt.block_on(pc.sender(id)).expect("the sender");
    assert_eq!(sender.kind(), &MediaKind::Video);
    let video = rt
        .block_on(sender.video(VideoSendSettings {
            bitrate_bps: 1_200_000,
            ..VideoSendSettings::default()
        }))
        .expect("a video sender");
    let mut decoded = rt.block_on(remote.decode()).expect("a decoder");

    // Send the pattern at 30 frame/s while collecting Chromium's pictures.
    let started = Instant::now();
    let (sent, pictures): (u32, Vec<DecodedVideoFrame>) = rt.block_on(async {
        let mut pattern = TestPattern::new(WIDTH, HEIGHT).unwrap();
        let mut tick = tokio::time::interval(Duration::from_millis(33));
        // SECONDS from the first picture the connection took (the handshake can take a
        // while with loss), 20 s at most.
        let mut until = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut first = true;
        let mut sent = 0u32;
        let mut pictures = Vec::new();
        while tokio::time::Instant::now() < until {
            tokio::select! {
                _ = tick.tick() => {
                    let n = pattern.frame_number();
                    let frame = RawVideoFrame {
                        picture: pattern.next_frame(unix_micros()),
                        rtp_timestamp: n.wrapping_mul(3000),
                        capture_time: Some(Instant::now()),
                    };
                    if video.send(frame).await.expect("the pattern is encoded and sent") {
                        sent += 1;
                        if first {
                            first = false;
                            until = tokio::time::Instant::now() + Duration::from_secs(SECONDS);
                        }
                    }
                }
                Some(p) = decoded.recv() => pictures.push(p),
            }
        }
        (sent, pictures)
    });
    let elapsed = started.elapsed();

    let stats = browser.evaluate(&page, "rtc.stats()");
    let inbound = &stats["inbound"];
    let outbound = &stats["outbound"];
    let mime = |r: &Value| stats["codecs"][r["codecId"].as_str().unwrap_or("")].clone();
    println!(
        "{label} ({version}): rtcweb sent {sent} pictures in {elapsed:.1?}; Chromium decoded \
         {} ({} fps, {}x{}, {} freezes, {} NACKs, {} PLIs, codec {})",
        inbound["framesDecoded"],
        inbound["framesPerSecond"],
        inbound["frameWidth"],
        inbound["frameHeight"],
        inbound["freezeCount"],
        inbound["nackCount"],
        inbound["pliCount"],
        mime(inbound),
    );
    let last = pictures.last().expect("rtcweb decoded Chromium's camera");
    println!(
        "{label}: rtcweb decoded {} pictures of Chromium's camera ({}x{}, sent as {} at \
         {}x{}); the last has structure: {}",
        pictures.len(),
        last.picture.width(),
        last.picture.height(),
        mime(outbound),
        outbound["frameWidth"],
        outbound["frameHeight"],
        picture_has_structure(&last.picture),
    );
    let report = rt.block_on(pc.stats()).expect("our stats");
    let json = serde_json::to_value(&report).unwrap();
    for s in json.as_object().unwrap().values() {
        if s["kind"] == "video" && (s["type"] == "outbound-rtp" || s["type"] == "inbound-rtp") {
            println!("{label}: rtcweb {s}");
        }
    }

    assert_eq!(mime(inbound), json!(format!("video/{codec}")), "{stats}");
    assert_eq!(mime(outbound), json!(format!("video/{codec}")), "{stats}");
    let frames_decoded = inbound["framesDecoded"].as_u64().unwrap_or(0);
    assert!(
        frames_decoded >= u64::from(sent) * 8 / 10,
        "{label}: Chromium decoded {frames_decoded} of {sent}"
    );
    assert!(sent as u64 >= SECONDS * 25, "{label}: only {sent} sent");
    assert_eq!(inbound["frameWidth"], json!(WIDTH), "{label}");
    assert_eq!(inbound["frameHeight"], json!(HEIGHT), "{label}");
    if lossy {
        // No freeze longer than 500 ms: all of them together stay under that.
        let frozen = inbound["totalFreezesDuration"].as_f64().unwrap_or(0.0);
        assert!(frozen < 0.5, "{label}: frozen for {frozen} s: {inbound}");
        let ours = json
            .as_object()
            .unwrap()
            .values()
            .find(|s| s["kind"] == "video" && s["type"] == "outbound-rtp")
            .expect("our outbound-rtp");
        assert!(
            ours["retransmittedPacketsSent"].as_u64().unwrap_or(0) > 0,
            "{label}: losses were repaired with RTX: {ours}"
        );
    } else {
        assert_eq!(inbound["freezeCount"], json!(0), "{label}: {inbound}");
    }
    assert!(
        pictures.len() as u64 >= SECONDS * 10,
        "{label}: rtcweb decoded only {} pictures",
        pictures.len()
    );
    assert!(
        picture_has_structure(&last.picture),
        "{label}: the decoded camera picture is blank"
    );
    let readable = pictures
        .iter()
        .filter(|p| read_code(&p.picture).is_some())
        .count();
    println!(
        "{label}: {readable} of {} pictures from Chromium's camera carry a readable code",
        pictures.len()
    );
    assert!(
        readable >= pictures.len() * 8 / 10,
        "{label}: what Chromium's camera drew comes out of rtcweb's decoder"
    );
    assert_eq!(
        (Some(last.picture.width()), Some(last.picture.height())),
        (
            outbound["frameWidth"].as_u64().map(|w| w as u32),
            outbound["frameHeight"].as_u64().map(|h| h as u32)
        ),
        "{label}: the size Chromium sent"
    );
    rt.block_on(pc.close()).unwrap();
}
