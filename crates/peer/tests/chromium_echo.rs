//! Echo cancellation with Chromium as the far end (issue 18): Chromium's fake microphone
//! (a 400 Hz beep of 20 ms every 500 ms, its own processing off) reaches an rtcweb peer,
//! which plays it into a simulated room (`echo_room`) whose microphone rtcweb sends back;
//! Chromium plays what it receives in an `<audio>` element and counts its energy. The call
//! runs twice, rtcweb's sender without processing and then with echo cancellation
//! (`RtpSender::set_audio_processing`). Between 4 s and 10 s into each call (the canceller
//! has converged by then) Chromium's `totalAudioEnergy` over `totalSamplesDuration` gives
//! the power of the echo it hears: with processing on it must be at least 30 dB lower.
//!
//! Each run uses a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the case is skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test paces audio with the wall clock

mod chromium;
mod echo_room;
mod peer_events;

use std::time::Duration;

use chromium::Chromium;
use echo_room::Room;
use rtcweb_media::PcmFrame;
use rtcweb_peer::driver::{
    AudioProcessing, DriverConfig, PeerConnection, RemoteAudioTrack, RtpSender,
};
use rtcweb_peer::{MediaTrack, StatsKind};
use serde_json::{Value, json};
use tokio::time::{Instant, sleep_until, timeout};

/// When the measured window starts and ends, in 20 ms frames from the start.
const WINDOW: (usize, usize) = (200, 500);

/// Plays Chromium's audio into the room and sends the room's microphone, frames
/// `from..to` of 20 ms after `start`.
async fn room_call(
    room: &mut Room,
    remote: &mut RemoteAudioTrack,
    local: &RtpSender,
    start: Instant,
    frames: std::ops::Range<usize>,
) {
    for k in frames {
        sleep_until(start + Duration::from_millis(20 * k as u64)).await;
        while let Some(frame) = remote.try_recv() {
            room.play(&frame);
        }
        let pcm = PcmFrame {
            samples: room.microphone(None),
            sample_rate: 48_000,
            channels: 1,
        };
        let _ = local.send_audio(pcm, None).await;
    }
}

/// Chromium's received audio energy and its duration so far.
fn heard(browser: &mut Chromium, page: &str) -> (f64, f64) {
    let stats: Value = browser.evaluate(page, "rtc.stats()");
    let inbound = &stats["inbound"];
    (
        inbound["totalAudioEnergy"].as_f64().unwrap_or(0.0),
        inbound["totalSamplesDuration"].as_f64().unwrap_or(0.0),
    )
}

/// One call; the power Chromium heard in the window, and rtcweb's
/// `echoReturnLossEnhancement`.
fn call(settings: AudioProcessing) -> (f64, Option<f64>) {
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Chromium::launch();
    // getUserMedia needs a secure context: a page from 127.0.0.1.
    let page = browser.new_page_at(&chromium::serve_page(
        "<!doctype html><title>rtcweb</title>",
    ));
    assert_eq!(
        browser.evaluate(&page, chromium::AUDIO_PAGE_SCRIPT),
        json!(true)
    );
    let (pc, events) = rt
        .block_on(PeerConnection::new(DriverConfig::loopback()))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped {
        seen,
        audio: mut tracks,
        ..
    } = peer_events::pump(&rt, events);
    let local = rt
        .block_on(pc.add_track(MediaTrack::audio("mic"), &["rtcweb"]))
        .expect("an audio track");
    rt.block_on(local.set_audio_processing(settings))
        .expect("processing set");
    browser.exchange(&page, &rt, &pc, true, &seen);
    let mut remote = rt
        .block_on(timeout(Duration::from_secs(20), tracks.recv()))
        .expect("Chromium's track reaches rtcweb in time")
        .expect("a track");

    let mut room = Room::new();
    let start = Instant::now();
    rt.block_on(room_call(
        &mut room,
        &mut remote,
        &local,
        start,
        0..WINDOW.0,
    ));
    let before = heard(&mut browser, &page);
    rt.block_on(room_call(
        &mut room,
        &mut remote,
        &local,
        start,
        WINDOW.0..WINDOW.1,
    ));
    let after = heard(&mut browser, &page);
    let erle = rt.block_on(pc.stats()).ok().and_then(|report| {
        report.iter().find_map(|s| match &s.kind {
            StatsKind::MediaSource(m) => m.echo_return_loss_enhancement,
            _ => None,
        })
    });
    let duration = after.1 - before.1;
    assert!(
        duration > 4.0,
        "Chromium played {duration:.1} s of the window"
    );
    ((after.0 - before.0) / duration, erle)
}

#[test]
fn chromium_hears_its_own_voice_30_db_down_through_rtcweb() {
    let name = "chromium_hears_its_own_voice_30_db_down_through_rtcweb";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let (off, off_erle) = call(AudioProcessing::default());
    let (on, on_erle) = call(AudioProcessing {
        echo_cancellation: true,
        ..AudioProcessing::default()
    });
    let reduction = 10.0 * (off / on.max(f64::MIN_POSITIVE)).log10();
    println!(
        "Chromium heard its beep's echo at a power of {off:.3e} without processing and \
         {on:.3e} with echo cancellation: {reduction:.1} dB down; rtcweb's \
         echoReturnLossEnhancement {on_erle:?} dB (without processing: {off_erle:?})"
    );
    assert!(
        off > 1e-6,
        "without processing the echo is there: {off:.3e}"
    );
    assert!(reduction >= 30.0, "the echo only {reduction:.1} dB down");
    assert!(on_erle.is_some(), "echoReturnLossEnhancement reported");
}
