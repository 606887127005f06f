//! The browser example (`examples/browser`) in headless Chromium: the page is served by the
//! example's HTTP endpoint on 127.0.0.1, connects (its offer and our answer over HTTP), a
//! chat line gets the Rust peer's reply, Chromium's fake microphone comes back from the
//! peer as audio that plays (`inbound-rtp` `totalAudioEnergy` > 0), and the peer's test
//! pattern plays in the page's `<video>`: a screenshot of the page (CDP
//! `Page.captureScreenshot`) shows it, its bar code read back from the PNG's pixels.
//!
//! Runs in a network namespace holding only `lo` when `unshare -n` works here. Without
//! `/usr/bin/chromium` it is skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test waits in wall-clock time

mod chromium;
mod peer_events;
#[path = "../examples/browser/server.rs"]
mod server;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use chromium::Chromium;
use serde_json::json;

#[test]
fn chromium_chats_and_hears_its_echo_through_the_browser_example() {
    let name = "chromium_chats_and_hears_its_echo_through_the_browser_example";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let addr = server::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        rt.handle().clone(),
    )
    .expect("the example's endpoint");
    let mut browser = Chromium::launch();
    let version = browser.version();
    let page = browser.new_page_at(&format!("http://{addr}/"));

    assert_eq!(browser.evaluate(&page, "connect()"), json!(true));
    for line in ["hello from Chromium", "héllo, ünïcode"] {
        let reply = browser.evaluate(&page, &format!("say({})", json!(line)));
        assert_eq!(reply, json!(format!("rtcweb heard \"{line}\"")));
    }
    // The fake microphone beeps twice a second: let a few beeps go round.
    std::thread::sleep(Duration::from_secs(3));
    let stats = browser.evaluate(
        &page,
        "(async () => { let r = {}; (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') r.inbound = s;
            if (s.type === 'outbound-rtp' && s.kind === 'audio') r.outbound = s;
          }); r.state = pc.connectionState; r.log = document.getElementById('log').innerText;
          return r; })()",
    );
    println!(
        "browser example ({version}): chat answered; Chromium sent {} audio packets and \
         received {} back, totalAudioEnergy {}; page log:\n{}",
        stats["outbound"]["packetsSent"],
        stats["inbound"]["packetsReceived"],
        stats["inbound"]["totalAudioEnergy"],
        stats["log"].as_str().unwrap_or("")
    );
    assert_eq!(stats["state"], "connected");
    assert!(
        stats["inbound"]["packetsReceived"].as_u64().unwrap_or(0) > 50,
        "{stats}"
    );
    assert!(
        stats["inbound"]["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{stats}"
    );

    // The pattern on the page: a screenshot of the <video> element, its bar code read.
    let rect = browser.evaluate(
        &page,
        "(() => { const r = document.getElementById('pattern').getBoundingClientRect(); \
           return { x: r.x + window.scrollX, y: r.y + window.scrollY, w: r.width, h: r.height }; })()",
    );
    let shot = browser.call(
        Some(&page),
        "Page.captureScreenshot",
        json!({
            "format": "png",
            "captureBeyondViewport": true,
            // A margin of 16 px around the element: the code is looked for within it.
            "clip": {
                "x": rect["x"].as_f64().unwrap_or(0.0) - 16.0,
                "y": rect["y"].as_f64().unwrap_or(0.0) - 16.0,
                "width": rect["w"].as_f64().unwrap_or(0.0) + 32.0,
                "height": rect["h"].as_f64().unwrap_or(0.0) + 32.0,
                "scale": 1,
            },
        }),
    );
    let png = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        shot["data"].as_str().expect("a PNG"),
    )
    .expect("base64");
    if let Some(path) = std::env::var_os("RTCWEB_SCREENSHOT") {
        std::fs::write(path, &png).expect("the screenshot saved");
    }
    let shot = luma_of_png(&png);
    // The 640x480 picture somewhere in the margin: every offset tried. The true code reads
    // at the offsets around the right one; a misread that passes the CRC-8 at some other
    // offset is a stray: the code read at the most offsets wins.
    let mut codes: Vec<(rtcweb_media::PatternCode, usize)> = Vec::new();
    for dy in 0..=32u32 {
        for dx in 0..=32u32 {
            let Some(code) =
                crop(&shot, dx, dy, 640, 480).and_then(|p| rtcweb_media::read_code(&p))
            else {
                continue;
            };
            match codes.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => codes.push((code, 1)),
            }
        }
    }
    let found = codes.iter().max_by_key(|(_, n)| *n).copied();
    println!(
        "browser example: a {}x{} screenshot around the page's <video>: the pattern's code \
         read at {} offsets: {found:?}",
        shot.width(),
        shot.height(),
        found.map_or(0, |(_, n)| n),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let code = found
        .filter(|(_, n)| *n >= 4)
        .map(|(code, _)| code)
        .filter(|c| now.abs_diff(c.capture_micros) < 60_000_000);
    assert!(
        code.is_some(),
        "the test pattern is on the page (its bar code reads back from the screenshot)"
    );
    let video = browser.evaluate(
        &page,
        "(async () => { let v; (await pc.getStats()).forEach((s) => { \
           if (s.type === 'inbound-rtp' && s.kind === 'video') v = s; }); return v; })()",
    );
    println!(
        "browser example: Chromium decoded {} frames of the pattern at {}x{}, {} freezes",
        video["framesDecoded"], video["frameWidth"], video["frameHeight"], video["freezeCount"]
    );
    assert!(video["framesDecoded"].as_u64().unwrap_or(0) > 30, "{video}");
}

/// The `w`×`h` part of `picture` at (`x`, `y`), luma only (flat chroma).
fn crop(
    picture: &rtcweb_media::I420Frame,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
) -> Option<rtcweb_media::I420Frame> {
    if x + w > picture.width() || y + h > picture.height() {
        return None;
    }
    let mut out = rtcweb_media::I420Frame::black(w, h).ok()?;
    let stride = picture.width() as usize;
    let (luma, _, _) = out.planes_mut();
    for row in 0..h as usize {
        let from = (y as usize + row) * stride + x as usize;
        luma[row * w as usize..(row + 1) * w as usize]
            .copy_from_slice(&picture.y()[from..from + w as usize]);
    }
    Some(out)
}

/// The picture of a PNG as I420 with its luma from the RGB (BT.601, limited range, as
/// the pattern was drawn) and flat chroma: what the bar code reader looks at.
fn luma_of_png(png: &[u8]) -> rtcweb_media::I420Frame {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut rgb = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut rgb).expect("a PNG frame");
    let channels = info.color_type.samples();
    let (w, h) = (info.width, info.height);
    let mut picture = rtcweb_media::I420Frame::black(w, h).expect("a size");
    let (y, _, _) = picture.planes_mut();
    for (i, px) in rgb[..info.buffer_size()].chunks(channels).enumerate() {
        let (r, g, b) = (f64::from(px[0]), f64::from(px[1]), f64::from(px[2]));
        y[i] = (16.0 + 0.257 * r + 0.504 * g + 0.098 * b).round() as u8;
    }
    picture
}
