//! A video call between a driver-backed rtcweb peer and a browser page, shared by the
//! Chromium and Firefox tests: the page's `rtc` object (one `sendrecv` video transceiver
//! narrowed to one codec with `setCodecPreferences`, its source given by the page as
//! `window.videoSource()`), the exchange in either direction, rtcweb sending its test
//! pattern while it decodes the browser's video, and the checks both browsers share.
#![allow(dead_code, unreachable_pub, clippy::disallowed_methods)] // shared test code; wall time

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rtcweb_media::analysis::picture_has_structure;
use rtcweb_media::video::TestPattern;
use rtcweb_media::{DecodedVideoFrame, RawVideoFrame};
use rtcweb_peer::driver::{
    DriverConfig, PeerConnection, RemoteTrack, RemoteVideoTrack, VideoSendSettings, VideoSender,
};
use rtcweb_peer::{
    CodecCapability, Description, Direction, MediaKind, MediaTrack, SdpType, TransceiverInit,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::peer_events;

/// How long rtcweb sends once the connection takes its first picture.
pub const SECONDS: u64 = 4;
/// The size rtcweb sends (and the browsers' sources draw).
pub const WIDTH: u32 = 640;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 480;

/// The page's `rtc` object; the page defines `window.videoSource()` (a promise of a
/// `MediaStream`) and sets `rtc.codec` before `offer()` or `answer()`.
pub const RTC_SCRIPT: &str = r#"
window.rtc = {
  pc: null,
  codec: null,
  async make() {
    rtc.pc = new RTCPeerConnection();
    rtc.source = await window.videoSource();
    rtc.pc.ontrack = (e) => {
      const v = document.createElement('video');
      v.muted = true; v.autoplay = true; v.srcObject = new MediaStream([e.track]);
      document.body.appendChild(v);
    };
    return rtc.pc;
  },
  prefer(t) {
    const all = RTCRtpReceiver.getCapabilities('video').codecs;
    const fmtp = (c) => c.sdpFmtpLine || '';
    const ours = all.filter((c) =>
      c.mimeType.toLowerCase() === ('video/' + rtc.codec).toLowerCase() &&
      (rtc.codec !== 'H264' || fmtp(c).includes('packetization-mode=1') &&
        fmtp(c).includes('42e01f')) &&
      (rtc.codec !== 'VP9' || !fmtp(c).includes('profile-id=2')));
    const rtx = all.filter((c) => c.mimeType.toLowerCase() === 'video/rtx');
    t.setCodecPreferences(ours.slice(0, 1).concat(rtx));
    return ours.length > 0;
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
    const t = pc.addTransceiver(rtc.source.getVideoTracks()[0], { direction: 'sendrecv' });
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
    await t.sender.replaceTrack(rtc.source.getVideoTracks()[0]);
    rtc.prefer(t);
    await pc.setLocalDescription(await pc.createAnswer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(sdp) { await rtc.pc.setRemoteDescription({ type: 'answer', sdp }); return true; },
  async candidate(candidate, sdpMid) {
    await rtc.pc.addIceCandidate(candidate ? { candidate, sdpMid } : undefined);
    return true;
  },
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
"#;

/// rtcweb's configuration for a call in `codec`: when rtcweb offers, its offer holds only
/// that codec.
pub fn config(mut config: DriverConfig, codec: &str, page_offers: bool) -> DriverConfig {
    if !page_offers {
        config.peer.video_codecs = CodecCapability::default_video()
            .into_iter()
            .filter(|c| c.name.eq_ignore_ascii_case(codec))
            .collect();
    }
    config
}

/// Drops 5 % of the UDP datagrams that cross `interface` in this test's network namespace
/// (iptables' `statistic` match), both ways. False, said on stdout, when the test is not in
/// a namespace of its own (there is none to drop packets in); under CI that is a failure.
pub fn lose_five_percent(name: &str, interface: &str) -> bool {
    if !rtcweb_lab::isolate::inside_namespace() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name}: needs a network namespace under CI"
        );
        println!("{name}: skipped: no network namespace to drop packets in");
        return false;
    }
    let status = std::process::Command::new("iptables")
        .args([
            "-A",
            "INPUT",
            "-i",
            interface,
            "-p",
            "udp",
            "-m",
            "statistic",
        ])
        .args(["--mode", "random", "--probability", "0.05", "-j", "DROP"])
        .status()
        .expect("iptables runs");
    assert!(status.success(), "the loss rule is in place");
    true
}

/// The protocol of the local candidate of the selected pair in rtcweb's stats.
fn selected_protocol(ours: &Value) -> String {
    let entries = ours.as_object().expect("a stats map");
    let pair = entries
        .values()
        .find(|e| e["type"] == "transport")
        .and_then(|t| t["selectedCandidatePairId"].as_str())
        .and_then(|id| entries.values().find(|e| e["id"] == id));
    let local = pair
        .and_then(|p| p["localCandidateId"].as_str())
        .and_then(|id| entries.values().find(|e| e["id"] == id));
    local
        .and_then(|c| c["protocol"].as_str())
        .unwrap_or("none")
        .to_owned()
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// What a call gave: the pictures rtcweb decoded, and the page's stats.
pub struct Outcome {
    pub pictures: Vec<DecodedVideoFrame>,
    pub stats: Value,
}

/// One call: the exchange (the page offers when `page_offers`), rtcweb sends its pattern
/// for [`SECONDS`] while decoding the page's video, then the shared checks. `eval` runs
/// JavaScript in the page and gives its result.
#[allow(clippy::too_many_arguments)]
pub fn call(
    rt: &tokio::runtime::Runtime,
    pc: &PeerConnection,
    pumped: peer_events::Pumped,
    eval: &mut dyn FnMut(&str) -> Value,
    codec: &str,
    page_offers: bool,
    lossy: bool,
    label: &str,
) -> Outcome {
    // One expression, which both browsers' evaluators take.
    assert_eq!(
        eval(&format!("(() => {{ {RTC_SCRIPT}; return true; }})()")),
        json!(true)
    );
    eval(&format!("rtc.codec = {}", json!(codec)));
    let peer_events::Pumped {
        seen,
        video: mut tracks,
        ..
    } = pumped;
    if page_offers {
        // As a browser's application does: apply the offer, add the track (it goes on
        // the transceiver the offer made, which now sends too), then answer.
        let offer = eval("rtc.offer()");
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Offer,
            sdp: offer.as_str().expect("the offer's SDP").to_owned(),
        }))
        .expect("the page's offer applies");
        let sender = rt
            .block_on(pc.add_track(MediaTrack::video("pattern"), &["rtcweb"]))
            .expect("our pattern on the offered transceiver");
        let offered = rt.block_on(pc.transceivers()).unwrap()[0].id;
        assert_eq!(sender.transceiver(), offered, "the offer's transceiver");
        let answer = rt.block_on(pc.create_answer()).expect("an answer");
        rt.block_on(pc.set_local_description(&answer))
            .expect("our answer applies");
        eval(&format!("rtc.accept({})", json!(answer.sdp)));
    } else {
        rt.block_on(pc.add_transceiver(
            MediaTrack::video("pattern"),
            TransceiverInit::direction(Direction::SendRecv),
        ))
        .expect("a video transceiver");
        let offer = rt.block_on(pc.create_offer()).expect("an offer");
        rt.block_on(pc.set_local_description(&offer))
            .expect("our offer applies");
        let answer = eval(&format!("rtc.answer({})", json!(offer.sdp)));
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Answer,
            sdp: answer.as_str().expect("the answer's SDP").to_owned(),
        }))
        .expect("the page's answer applies");
    }
    peer_events::trickle(&seen, |mid, candidate| {
        eval(&format!(
            "rtc.candidate({}, {})",
            json!(candidate),
            json!(mid)
        ));
    });
    eval("rtc.candidate(null, null)");
    let remote = recv_track(rt, &mut tracks);
    let sender = rt
        .block_on(pc.sender(remote.transceiver()))
        .expect("the sender");
    assert_eq!(sender.kind(), &MediaKind::Video);
    let video = rt
        .block_on(sender.video(VideoSendSettings {
            bitrate_bps: 1_200_000,
            ..VideoSendSettings::default()
        }))
        .expect("a video sender");
    let mut decoded = rt.block_on(remote.decode()).expect("a decoder");

    let started = Instant::now();
    let (sent, pictures) = rt.block_on(exchange_video(&video, &mut decoded));
    let elapsed = started.elapsed();

    let stats = eval("rtc.stats()");
    let inbound = &stats["inbound"];
    let outbound = &stats["outbound"];
    let mime = |r: &Value| stats["codecs"][r["codecId"].as_str().unwrap_or("")].clone();
    println!(
        "{label}: rtcweb sent {sent} pictures in {elapsed:.1?}; the browser decoded {} ({} \
         fps, {}x{}, {} freezes, {} NACKs, {} PLIs, codec {})",
        inbound["framesDecoded"],
        inbound["framesPerSecond"],
        inbound["frameWidth"],
        inbound["frameHeight"],
        inbound["freezeCount"],
        inbound["nackCount"],
        inbound["pliCount"],
        mime(inbound),
    );
    let last = pictures.last().expect("rtcweb decoded the browser's video");
    println!(
        "{label}: rtcweb decoded {} pictures of the browser's video ({}x{}, sent as {} at \
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
    let ours = serde_json::to_value(&report).unwrap();
    for s in ours.as_object().unwrap().values() {
        if s["kind"] == "video" && (s["type"] == "outbound-rtp" || s["type"] == "inbound-rtp") {
            println!("{label}: rtcweb {s}");
        }
    }

    let want = json!(format!("video/{codec}"));
    assert_eq!(mime(inbound), want, "{label}: {stats}");
    assert_eq!(mime(outbound), want, "{label}: {stats}");
    let frames_decoded = inbound["framesDecoded"].as_u64().unwrap_or(0);
    assert!(
        frames_decoded >= u64::from(sent) * 8 / 10,
        "{label}: the browser decoded {frames_decoded} of {sent}"
    );
    assert!(sent as u64 >= SECONDS * 25, "{label}: only {sent} sent");
    assert_eq!(inbound["frameWidth"], json!(WIDTH), "{label}");
    assert_eq!(inbound["frameHeight"], json!(HEIGHT), "{label}");
    if lossy {
        // No freeze longer than 500 ms: all of them together stay under that.
        let frozen = inbound["totalFreezesDuration"].as_f64().unwrap_or(0.0);
        assert!(frozen < 0.5, "{label}: frozen for {frozen} s: {inbound}");
        let sent_stats = ours
            .as_object()
            .unwrap()
            .values()
            .find(|s| s["kind"] == "video" && s["type"] == "outbound-rtp")
            .expect("our outbound-rtp");
        // The loss is on UDP: the call must end up there, not on the ICE-TCP pair that
        // may have answered first while a UDP check was lost.
        let protocol = selected_protocol(&ours);
        println!("{label}: the selected pair is {protocol}");
        assert_eq!(protocol, "udp", "{label}: the selected pair");
        assert!(
            sent_stats["retransmittedPacketsSent"].as_u64().unwrap_or(0) > 0,
            "{label}: losses were repaired with RTX: {sent_stats}"
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
        "{label}: the decoded picture is blank"
    );
    // The browser adapts its resolution to the estimate rtcweb's congestion feedback lets
    // it make, so the last picture and the stats read after it can be a step apart (seen:
    // 320x240 decoded, 480x360 in Firefox's stats): the same shape, within the source.
    let (w, h) = (
        u64::from(last.picture.width()),
        u64::from(last.picture.height()),
    );
    let (sent_w, sent_h) = (
        outbound["frameWidth"].as_u64().unwrap_or(0),
        outbound["frameHeight"].as_u64().unwrap_or(0),
    );
    assert!(
        sent_w > 0 && w * sent_h == h * sent_w && w <= u64::from(WIDTH) && h <= u64::from(HEIGHT),
        "{label}: the size the browser sent: decoded {w}x{h}, its stats {sent_w}x{sent_h}"
    );
    rt.block_on(pc.close()).unwrap();
    Outcome { pictures, stats }
}

/// Sends the test pattern at 30 frame/s for [`SECONDS`] from the first picture the
/// connection takes (the handshake can take a while with loss; 20 s at most) while
/// collecting the decoded pictures of the other side; the pictures sent, and those
/// received.
pub async fn exchange_video(
    video: &VideoSender,
    decoded: &mut RemoteVideoTrack,
) -> (u32, Vec<DecodedVideoFrame>) {
    let mut pattern = TestPattern::new(WIDTH, HEIGHT).unwrap();
    let mut tick = tokio::time::interval(Duration::from_millis(33));
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
}

fn recv_track(
    rt: &tokio::runtime::Runtime,
    tracks: &mut mpsc::UnboundedReceiver<RemoteTrack>,
) -> RemoteTrack {
    rt.block_on(timeout(Duration::from_secs(20), tracks.recv()))
        .expect("the browser's video track reaches rtcweb in time")
        .expect("a track")
}
