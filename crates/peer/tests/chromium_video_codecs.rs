//! Video both ways with Chromium, in each codec: rtcweb encodes its moving test pattern
//! (640×480, 30 frame/s) and Chromium decodes it (its `inbound-rtp` shows frames decoded at
//! the sent rate, the sent size, no freeze); Chromium's fake camera plays a Y4M file of the
//! same pattern (`--use-file-for-fake-video-capture`), and rtcweb decodes it into pictures
//! whose bar codes read back: what the browser's camera drew. VP8, VP9 and H.264, once with
//! Chromium offering (its page narrows its codecs to the one under test with
//! `setCodecPreferences`) and once with rtcweb offering (its `Config::video_codecs` holds
//! only that codec).
//!
//! The call itself (exchange, sending, decoding, the checks both browsers share) is
//! `video_call`'s.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod peer_events;
mod video_call;

use chromium::Chromium;
use rtcweb_media::video::{TestPattern, Y4mSink, read_code};
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use video_call::{HEIGHT, WIDTH};

/// The page: its video source is the fake camera.
const PAGE: &str = "<!doctype html><title>rtcweb</title><body><script>
window.videoSource = () => navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
</script></body>";

#[test]
fn vp8_chromium_offers() {
    run_case("VP8", true);
}

#[test]
fn vp8_rtcweb_offers() {
    run_case("VP8", false);
}

/// 5 % of the UDP datagrams on the namespace's `lo` dropped (iptables' `statistic` match),
/// both ways, from before the first offer: NACK and RTX (and a PLI when a frame cannot be
/// saved) keep Chromium's picture going.
#[test]
fn vp8_rtcweb_offers_with_five_percent_loss() {
    run_lossy_case("VP8");
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
fn vp9_rtcweb_offers_with_five_percent_loss() {
    run_lossy_case("VP9");
}

#[test]
fn h264_chromium_offers() {
    run_case("H264", true);
}

#[test]
fn h264_rtcweb_offers() {
    run_case("H264", false);
}

#[test]
fn h264_rtcweb_offers_with_five_percent_loss() {
    run_lossy_case("H264");
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

fn run_case(codec: &str, chromium_offers: bool) {
    let side = if chromium_offers {
        "chromium_offers"
    } else {
        "rtcweb_offers"
    };
    let name = format!("{}_{side}", codec.to_lowercase());
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
    if video_call::lose_five_percent(&name, "lo") {
        call(codec, false, true);
    }
}

fn call(codec: &str, chromium_offers: bool, lossy: bool) {
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let camera = camera_file();
    let mut browser = Chromium::launch_with(&[&format!(
        "--use-file-for-fake-video-capture={}",
        camera.display()
    )]);
    let label = format!(
        "{codec}, {} offers{} ({})",
        if chromium_offers {
            "Chromium"
        } else {
            "rtcweb"
        },
        if lossy { ", 5 % loss" } else { "" },
        browser.version()
    );
    let page = browser.new_page_at(&chromium::serve_page(PAGE));
    let config = video_call::config(DriverConfig::loopback(), codec, chromium_offers);
    let (pc, events) = rt
        .block_on(PeerConnection::new(config))
        .expect("peer on 127.0.0.1");
    let pumped = peer_events::pump(&rt, events);
    let outcome = video_call::call(
        &rt,
        &pc,
        pumped,
        &mut |js| browser.evaluate(&page, js),
        codec,
        chromium_offers,
        lossy,
        &label,
    );
    // Chromium's camera played the pattern: its bar codes come out of rtcweb's decoder.
    let pictures = &outcome.pictures;
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
}
