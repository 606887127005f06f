//! Audio both ways with headless Chromium, in Opus and in G.711 (PCMU with Chromium
//! offering, PCMA with rtcweb offering; Chromium's `setCodecPreferences` leaves only that
//! codec): Chromium's fake microphone (a 400 Hz beep
//! of 20 ms every 500 ms) reaches an rtcweb peer and decodes to that tone; rtcweb's 440 Hz
//! Opus tone plays in Chromium, whose `getStats` shows packets received and
//! `totalAudioEnergy` > 0 (an unmuted, playing `<audio>` element is what makes Chromium
//! play a remote track and count its energy). Opus once with Chromium offering, once with
//! rtcweb offering, both with Chromium's `WebRTC-ForceDtls13/Only/` field trial (no DTLS
//! 1.2 at all: the SRTP keys come from DTLS 1.3's exporter); Chromium's transport stats
//! show DTLS connected, its version and the SRTP cipher, and both sides' codec stats name
//! the codec that was used.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here.
//! Without `/usr/bin/chromium` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test paces audio with the wall clock

mod audio_analysis;
mod chromium;
mod peer_events;

use std::time::Duration;

use audio_analysis::{loud, peak_frequency, tone_and_listen};
use chromium::Chromium;
use rtcweb_peer::MediaTrack;
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use serde_json::json;
use tokio::time::timeout;

/// How long rtcweb sends its tone and listens to Chromium's.
const SECONDS: u64 = 4;
/// Chromium without DTLS 1.2.
const DTLS13_ONLY: &[&str] = &["--force-fieldtrials=WebRTC-ForceDtls13/Only/"];

#[test]
fn chromium_offers_and_audio_flows_both_ways() {
    run_case(
        "chromium_offers_and_audio_flows_both_ways",
        true,
        "audio/opus",
        DTLS13_ONLY,
    );
}

#[test]
fn rtcweb_offers_and_audio_flows_both_ways() {
    run_case(
        "rtcweb_offers_and_audio_flows_both_ways",
        false,
        "audio/opus",
        DTLS13_ONLY,
    );
}

#[test]
fn chromium_offers_pcmu_and_audio_flows_both_ways() {
    run_case(
        "chromium_offers_pcmu_and_audio_flows_both_ways",
        true,
        "audio/PCMU",
        &[],
    );
}

#[test]
fn rtcweb_offers_and_chromium_answers_pcma() {
    run_case(
        "rtcweb_offers_and_chromium_answers_pcma",
        false,
        "audio/PCMA",
        &[],
    );
}

/// Chromium's offer asks for DTX: two seconds of silence then two of a tone from rtcweb.
/// DTX leaves most of the silence unsent; Chromium still plays the tone.
#[test]
fn chromium_asks_for_dtx_and_silence_is_not_sent() {
    let name = "chromium_asks_for_dtx_and_silence_is_not_sent";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Chromium::launch();
    let page = browser.new_page_at(&chromium::serve_page(
        "<!doctype html><title>rtcweb</title>",
    ));
    assert_eq!(
        browser.evaluate(&page, chromium::AUDIO_PAGE_SCRIPT),
        json!(true)
    );
    browser.evaluate(&page, "rtc.dtx = true");
    let (pc, events) = rt
        .block_on(PeerConnection::new(DriverConfig::loopback()))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped { seen, .. } = peer_events::pump(&rt, events);
    let local = rt
        .block_on(pc.add_track(MediaTrack::audio("tone"), &["rtcweb"]))
        .expect("an audio track");
    browser.exchange(&page, &rt, &pc, true, &seen);
    let frames = rt.block_on(async {
        use rtcweb_media::{AudioSource, PcmFrame, ToneSource};
        // Wait for the connection: frames before it are not sent.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while pc.info().await.unwrap().srtp_profile.is_none() {
            assert!(tokio::time::Instant::now() < deadline, "no connection");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut tone = ToneSource::new(440.0, 12_000.0, 48_000, 1);
        let mut pcm = vec![0i16; 960];
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for i in 0..200 {
            tick.tick().await;
            if i < 100 {
                pcm.fill(0);
            } else {
                tone.fill(&mut pcm);
            }
            let frame = PcmFrame {
                samples: pcm.clone(),
                sample_rate: 48_000,
                channels: 1,
            };
            local.send_audio(frame, None).await.expect("sends");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        200u64
    });
    let stats = browser.evaluate(&page, "rtc.stats()");
    let inbound = &stats["inbound"];
    let received = inbound["packetsReceived"].as_u64().unwrap_or(0);
    let info = rt.block_on(pc.info()).unwrap();
    let sent = info
        .transceivers
        .iter()
        .find(|(id, _)| *id == local.transceiver())
        .and_then(|(_, s)| s.outbound)
        .expect("outbound stats")
        .packets_sent;
    println!(
        "DTX asked by Chromium's offer ({}): {frames} frames of 20 ms given (100 silent), \
         rtcweb sent {sent} packets, Chromium received {received} and played \
         totalAudioEnergy {}",
        stats["codec"]["sdpFmtpLine"], inbound["totalAudioEnergy"],
    );
    assert!(sent >= 100, "the tone is sent whole: {sent}");
    assert!(
        sent <= 130,
        "DTX leaves silence unsent: {sent} packets for 200 frames"
    );
    assert!(
        received + 5 >= sent,
        "Chromium received {received} of {sent}"
    );
    assert!(
        inbound["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "Chromium played the tone: {stats}"
    );
    rt.block_on(pc.close()).unwrap();
}

fn run_case(name: &str, chromium_offers: bool, codec: &str, flags: &[&str]) {
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let label = if chromium_offers {
        format!("Chromium offers {codec}")
    } else {
        format!("rtcweb offers, Chromium answers {codec}")
    };
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let mut browser = Chromium::launch_with(flags);
    let version = browser.version();
    // getUserMedia needs a secure context: a page from 127.0.0.1.
    let page = browser.new_page_at(&chromium::serve_page(
        "<!doctype html><title>rtcweb</title>",
    ));
    assert_eq!(
        browser.evaluate(&page, chromium::AUDIO_PAGE_SCRIPT),
        json!(true)
    );
    browser.evaluate(&page, &format!("rtc.codec = {}", json!(codec)));

    let (pc, events) = rt
        .block_on(PeerConnection::new(DriverConfig::loopback()))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped {
        seen,
        audio: mut tracks,
        ..
    } = peer_events::pump(&rt, events);

    let local = rt
        .block_on(pc.add_track(MediaTrack::audio("tone"), &["rtcweb"]))
        .expect("an audio track");
    browser.exchange(&page, &rt, &pc, chromium_offers, &seen);
    let mut remote = rt
        .block_on(timeout(Duration::from_secs(20), tracks.recv()))
        .expect("Chromium's track reaches rtcweb in time")
        .expect("a track");

    // rtcweb sends its tone at the pace of a source while it collects Chromium's audio.
    let (played, sent) = rt.block_on(tone_and_listen(local, &mut remote, 440.0, SECONDS));

    // What rtcweb heard: bursts of Chromium's 400 Hz beep.
    let (samples, loud, concealed) = loud(&played);
    let peak = peak_frequency(&samples);
    println!(
        "{label} ({version}): rtcweb played {} frames from Chromium ({concealed} concealed), \
         {} loud; their spectrum peaks at {peak:.0} Hz; rtcweb sent {sent} frames",
        played.len(),
        loud
    );
    let stats = browser.evaluate(&page, "rtc.stats()");
    let inbound = &stats["inbound"];
    println!(
        "{label}: Chromium inbound-rtp: {} packets received, {} lost, totalAudioEnergy {}, \
         totalSamplesReceived {}, concealedSamples {}, jitter {}; transport: dtlsState {}, \
         srtpCipher {}, dtlsCipher {}; codec {} {}",
        inbound["packetsReceived"],
        inbound["packetsLost"],
        inbound["totalAudioEnergy"],
        inbound["totalSamplesReceived"],
        inbound["concealedSamples"],
        inbound["jitter"],
        stats["transport"]["dtlsState"],
        stats["transport"]["srtpCipher"],
        stats["transport"]["dtlsCipher"],
        stats["codec"]["mimeType"],
        stats["codec"]["sdpFmtpLine"],
    );
    assert_eq!(stats["transport"]["dtlsState"], "connected", "{stats}");
    assert!(
        stats["transport"]["srtpCipher"]
            .as_str()
            .is_some_and(|c| c.starts_with("SRTP_") || c.starts_with("AEAD_")),
        "{stats}"
    );
    assert!(
        inbound["packetsReceived"].as_u64().unwrap_or(0) >= sent * 3 / 4,
        "{label}: {stats}"
    );
    assert!(
        inbound["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{label}: {stats}"
    );
    let info = rt.block_on(pc.info()).unwrap();
    println!(
        "{label}: Chromium sends with {}",
        stats["outbound"]["codecId"]
    );
    assert!(
        played.len() as u64 >= SECONDS * 50 * 3 / 4,
        "{label}: too few frames"
    );
    assert!(loud >= 4, "{label}: no beep heard");
    assert!(
        (380.0..=420.0).contains(&peak),
        "{label}: peak at {peak} Hz"
    );
    let ours = info
        .transceivers
        .iter()
        .find(|(id, _)| *id == remote.transceiver())
        .map(|(_, s)| s.clone())
        .expect("rtcweb's stats of the remote track");
    let received = ours.inbound.expect("receive stats");
    let playout = info
        .playout
        .iter()
        .find(|(id, _)| *id == remote.transceiver())
        .map(|(_, p)| *p)
        .expect("playout stats");
    println!(
        "{label}: rtcweb inbound: {} packets, {} lost, jitter {:.1} ms, mean jitter buffer \
         delay {:.1} ms; SRTP profile {:?}",
        received.packets_received,
        received.packets_lost,
        received.jitter * 1e3,
        playout.jitter.mean_delay().as_secs_f64() * 1e3,
        info.srtp_profile,
    );
    // Our webrtc-stats report agrees with Chromium's about the transport.
    let report = rt.block_on(pc.stats()).unwrap().to_json();
    let of_type = |t: &str| -> Vec<serde_json::Value> {
        report
            .as_object()
            .expect("a report object")
            .values()
            .filter(|v| v["type"] == t)
            .cloned()
            .collect()
    };
    let transport = &of_type("transport")[0];
    assert_eq!(transport["dtlsState"], "connected", "{report}");
    assert_eq!(
        transport["srtpCipher"], stats["transport"]["srtpCipher"],
        "{label}: both sides name the same SRTP profile"
    );
    assert_eq!(
        transport["dtlsCipher"], stats["transport"]["dtlsCipher"],
        "{label}: both sides name the same DTLS cipher suite"
    );
    assert_eq!(
        transport["tlsVersion"], stats["transport"]["tlsVersion"],
        "{label}: both sides name the same DTLS version"
    );
    if !flags.is_empty() {
        assert_eq!(
            stats["transport"]["tlsVersion"], "FEFC",
            "{label}: DTLS 1.3"
        );
    }
    let inbound = &of_type("inbound-rtp")[0];
    assert!(inbound["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0);
    let outbound = &of_type("outbound-rtp")[0];
    assert_eq!(
        report[outbound["codecId"].as_str().expect("a codec id")]["mimeType"],
        codec,
        "{label}: rtcweb sent what Chromium asked for"
    );
    assert_eq!(
        stats["codec"]["mimeType"], codec,
        "{label}: Chromium used the codec: {stats}"
    );
    assert_eq!(of_type("certificate").len(), 2, "{report}");
    println!(
        "{label}: rtcweb stats report: {} objects ({} bytes of JSON); transport srtpCipher {}, \
         dtlsCipher {}; remote-inbound-rtp roundTripTime {}",
        report.as_object().map_or(0, serde_json::Map::len),
        report.to_string().len(),
        transport["srtpCipher"],
        transport["dtlsCipher"],
        of_type("remote-inbound-rtp")
            .first()
            .map_or(serde_json::Value::Null, |r| r["roundTripTime"].clone()),
    );
    rt.block_on(pc.close()).unwrap();
}
