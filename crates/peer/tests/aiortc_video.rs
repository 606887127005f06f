//! VP8 both ways with aiortc (the Python WebRTC stack, from PyPI, in the virtualenv of the
//! aiortc tests): rtcweb encodes its moving test pattern (640×480, 30 frame/s) with the
//! driver's video layer and aiortc decodes it (frames counted, their size, the spread of
//! their luma); aiortc sends a moving pattern of its own (320×240) and rtcweb decodes it
//! into pictures with structure. Once with aiortc offering, once with rtcweb offering.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here
//! (the virtualenv is made before, outside it). Without `python3` the cases are skipped
//! with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test paces video with the wall clock

mod aiortc;
mod chromium; // for `run_in_network_namespace` only
mod peer_events;
mod video_call;

use std::time::Duration;

use aiortc::Aiortc;
use peer_events::trickle;
use rtcweb_media::analysis::picture_has_structure;
use rtcweb_peer::driver::{DriverConfig, PeerConnection, VideoSendSettings};
use rtcweb_peer::{CodecCapability, Description, Direction, MediaTrack, SdpType, TransceiverInit};
use tokio::time::timeout;

use video_call::SECONDS;

#[test]
fn aiortc_offers_vp8() {
    run_case("aiortc_offers_vp8", true);
}

#[test]
fn rtcweb_offers_vp8() {
    run_case("rtcweb_offers_vp8", false);
}

fn run_case(name: &str, aiortc_offers: bool) {
    // The virtualenv needs PyPI: made before the namespace, which has no way out.
    let Some(python) = aiortc::python() else {
        return;
    };
    if chromium::run_in_network_namespace(name) {
        return;
    }
    let label = if aiortc_offers {
        "aiortc offers"
    } else {
        "rtcweb offers"
    };
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut peer = Aiortc::start(&python);
    let mut config = DriverConfig::loopback();
    config.peer.video_codecs = vec![CodecCapability::vp8()];
    let (pc, events) = rt
        .block_on(PeerConnection::new(config))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped {
        seen,
        video: mut tracks,
        ..
    } = peer_events::pump(&rt, events);
    if aiortc_offers {
        let offer = peer.offer_video();
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Offer,
            sdp: offer,
        }))
        .expect("aiortc's offer applies");
        rt.block_on(pc.add_track(MediaTrack::video("pattern"), &["rtcweb"]))
            .expect("our pattern on the offered transceiver");
        let answer = rt.block_on(pc.create_answer()).unwrap();
        rt.block_on(pc.set_local_description(&answer)).unwrap();
        peer.accept(&answer.sdp);
    } else {
        rt.block_on(pc.add_transceiver(
            MediaTrack::video("pattern"),
            TransceiverInit::direction(Direction::SendRecv),
        ))
        .expect("a video transceiver");
        let offer = rt.block_on(pc.create_offer()).unwrap();
        rt.block_on(pc.set_local_description(&offer)).unwrap();
        let answer = peer.answer_video(&offer.sdp);
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Answer,
            sdp: answer,
        }))
        .expect("aiortc's answer applies");
    }
    let last_mid = trickle(&seen, |mid, candidate| peer.candidate(mid, Some(candidate)));
    peer.candidate(&last_mid, None);

    let remote = rt
        .block_on(timeout(Duration::from_secs(20), tracks.recv()))
        .expect("aiortc's video reaches rtcweb in time")
        .expect("a track");
    let sender = rt.block_on(pc.sender(remote.transceiver())).unwrap();
    let video = rt
        .block_on(sender.video(VideoSendSettings::default()))
        .expect("a video sender");
    let mut decoded = rt.block_on(remote.decode()).expect("a decoder");
    let (sent, pictures) = rt.block_on(video_call::exchange_video(&video, &mut decoded));
    // What is in flight arrives.
    std::thread::sleep(Duration::from_millis(300));
    let stats = peer.stats();
    let ours = serde_json::to_value(rt.block_on(pc.stats()).unwrap()).unwrap();
    let inbound = ours
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["type"] == "inbound-rtp" && s["kind"] == "video")
        .cloned()
        .unwrap_or_default();
    println!(
        "{label} (aiortc {}): rtcweb sent {sent} VP8 pictures, aiortc decoded {} of size {} \
         (luma spread {:.1}); aiortc sent {} pictures, rtcweb decoded {} (inbound-rtp: \
         {inbound})",
        peer.version(),
        stats["videoFramesReceived"],
        stats["videoSize"],
        stats["videoLumaSpread"].as_f64().unwrap_or(0.0),
        stats["videoFramesSent"],
        pictures.len(),
    );
    let received = stats["videoFramesReceived"].as_u64().unwrap_or(0);
    assert!(sent as u64 >= SECONDS * 25, "{label}: only {sent} sent");
    assert!(
        received >= u64::from(sent) * 8 / 10,
        "{label}: aiortc decoded {received} of {sent}"
    );
    assert_eq!(stats["videoSize"], serde_json::json!([640, 480]), "{label}");
    assert!(
        stats["videoLumaSpread"].as_f64().unwrap_or(0.0) > 10.0,
        "{label}: aiortc's last decoded picture is flat: {stats}"
    );
    let last = pictures.last().expect("rtcweb decoded aiortc's video");
    assert!(
        pictures.len() as u64 >= SECONDS * 15,
        "{label}: rtcweb decoded only {} pictures",
        pictures.len()
    );
    assert_eq!((last.picture.width(), last.picture.height()), (320, 240));
    assert!(
        picture_has_structure(&last.picture),
        "{label}: the decoded picture is blank"
    );
    assert_eq!(inbound["freezeCount"].as_u64(), Some(0), "{label}");
    // aiortc has no transport-wide feedback but REMB with abs-send-time: each side
    // estimates what it receives and tells the other.
    let cc = rt
        .block_on(pc.info())
        .unwrap()
        .congestion_control
        .expect("congestion control runs on REMB with aiortc");
    println!(
        "{label}: REMB from aiortc {:?}, rtcweb's target {}",
        cc.estimator.remb.map(|b| b.to_string()),
        cc.target.target,
    );
    assert!(
        cc.estimator.remb.is_some(),
        "{label}: aiortc's REMB (on our abs-send-time) reached rtcweb's estimator"
    );
    rt.block_on(pc.close()).unwrap();
}
