//! Video both ways with headless Firefox (Debian's `firefox-esr`, over WebDriver BiDi), in a
//! network namespace with a veth address from RFC 5737: rtcweb encodes its moving test
//! pattern (640×480, 30 frame/s) and Firefox decodes it (its `inbound-rtp` shows frames
//! decoded at the sent rate, the sent size, no freeze); Firefox sends a canvas the page
//! draws (bars, a moving box, a frame counter) and rtcweb decodes it into pictures with
//! structure. VP8 and VP9, each side offering, and VP8 with 5 % loss. The call is
//! `video_call`'s, as with Chromium.
//!
//! H.264: Firefox codes it only through Cisco's OpenH264 plugin, which it downloads at run
//! time (no Debian package carries it, and these machines reach no such server): without
//! it Firefox offers no H.264, which the H.264 case checks and reports.
//!
//! Without `/usr/bin/firefox-esr` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod peer_events;
mod video_call;

use std::net::IpAddr;

use rtcweb_lab::firefox::Firefox;
use rtcweb_lab::isolate::{VETH_ADDRESS, run_in_namespace};
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use serde_json::Value;

/// The page: its video source is a canvas it draws 30 times a second.
const PAGE: &str = r#"<!doctype html><title>rtcweb</title><body><script>
window.videoSource = async () => {
  const c = document.createElement('canvas');
  c.width = 640; c.height = 480;
  document.body.appendChild(c);
  const g = c.getContext('2d');
  const colours = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];
  let n = 0;
  const draw = () => {
    colours.forEach((k, i) => { g.fillStyle = k; g.fillRect(i * 92, 0, 92, 480); });
    g.fillStyle = '#101010';
    g.fillRect((n * 7) % 560, 180 + 100 * Math.sin(n / 10), 80, 80);
    g.fillStyle = '#ffffff';
    g.font = '48px monospace';
    g.fillText('frame ' + n, 20, 440);
    n += 1;
  };
  draw();
  setInterval(draw, 33);
  return c.captureStream(30);
};
</script></body>"#;

#[test]
fn vp8_firefox_offers() {
    run_case("VP8", true, false);
}

#[test]
fn vp8_rtcweb_offers() {
    run_case("VP8", false, false);
}

/// 5 % of the UDP datagrams on the veth pair dropped both ways (iptables' `statistic`
/// match): NACK and RTX keep Firefox's picture going.
#[test]
fn vp8_rtcweb_offers_with_five_percent_loss() {
    run_case("VP8", false, true);
}

#[test]
fn vp9_firefox_offers() {
    run_case("VP9", true, false);
}

#[test]
fn vp9_rtcweb_offers() {
    run_case("VP9", false, false);
}

/// Firefox without the OpenH264 plugin has no H.264 to offer or accept: checked, and the
/// call is made in H.264 only when it has.
#[test]
fn h264_when_firefox_has_it() {
    let name = "h264_when_firefox_has_it";
    if !rtcweb_lab::firefox::available() || run_in_namespace(name, true) {
        return;
    }
    let mut browser = launch();
    browser.navigate(&serve_page()).expect("the page loads");
    let has = browser
        .evaluate(
            "RTCRtpReceiver.getCapabilities('video').codecs.some((c) => \
             c.mimeType.toLowerCase() === 'video/h264')",
        )
        .expect("capabilities");
    println!(
        "{name} ({}): Firefox's video codecs include H.264: {has}",
        browser.version()
    );
    drop(browser);
    if has == Value::Bool(true) {
        call("H264", false, false);
    } else {
        println!(
            "{name}: Firefox has no H.264 here (its OpenH264 plugin is downloaded at run time, \
             and this machine reaches no such server); VP8 and VP9 are its codecs"
        );
    }
}

fn launch() -> Firefox {
    Firefox::launch(&[
        ("media.peerconnection.ice.obfuscate_host_addresses", "false"),
        ("media.peerconnection.ice.loopback", "true"),
    ])
    .expect("Firefox starts")
}

fn run_case(codec: &str, firefox_offers: bool, lossy: bool) {
    let name = format!(
        "{}_{}{}",
        codec.to_lowercase(),
        if firefox_offers {
            "firefox_offers"
        } else {
            "rtcweb_offers"
        },
        if lossy { "_with_five_percent_loss" } else { "" }
    );
    if !rtcweb_lab::firefox::available() || run_in_namespace(&name, true) {
        return;
    }
    // Firefox and rtcweb both use the veth address: their datagrams cross `lo`.
    if lossy && !video_call::lose_five_percent(&name, "lo") {
        return;
    }
    call(codec, firefox_offers, lossy);
}

fn call(codec: &str, firefox_offers: bool, lossy: bool) {
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = launch();
    let label = format!(
        "{codec}, {} offers{} (Firefox {})",
        if firefox_offers { "Firefox" } else { "rtcweb" },
        if lossy { ", 5 % loss" } else { "" },
        browser.version()
    );
    browser.navigate(&serve_page()).expect("the page loads");
    let config = video_call::config(
        DriverConfig {
            interfaces: vec![IpAddr::V4(VETH_ADDRESS)],
            ..DriverConfig::default()
        },
        codec,
        firefox_offers,
    );
    let (pc, events) = rt.block_on(PeerConnection::new(config)).expect("a peer");
    let pumped = peer_events::pump(&rt, events);
    let label_for_eval = label.clone();
    video_call::call(
        &rt,
        &pc,
        pumped,
        &mut |js| {
            browser
                .evaluate(js)
                .unwrap_or_else(|e| panic!("{label_for_eval}: {js:.60}: {e}"))
        },
        codec,
        firefox_offers,
        lossy,
        &label,
    );
}

/// The page on 127.0.0.1 (a secure context).
fn serve_page() -> String {
    rtcweb_lab::chromium::serve_page(PAGE).expect("a page server")
}
