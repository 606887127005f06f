//! Two peers in the network simulator send each other an Opus tone, both ways at once:
//! each adds an audio track before the exchange, feeds it 20 ms frames of its own tone
//! (A 440 Hz, B 660 Hz), and gets the other's as decoded frames from the jitter buffer.
//! On a clean link and with 3 % loss and jitter, the decoded audio has the sender's
//! frequency and level; RTCP reports flow both ways (round-trip time measured).

mod support;

use std::time::Duration;

use rtcweb_media::{AudioSource, FRAME_SAMPLES, ToneSource};
use rtcweb_netsim::LinkConfig;
use rtcweb_peer::{Event, MediaKind, TrackId};
use support::{Side, World, lossy};

/// Frequency by zero crossings, and RMS level, of `samples`.
fn analyse(samples: &[i16]) -> (f64, f64) {
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    let seconds = samples.len() as f64 / 48_000.0;
    let rms = (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>()
        / samples.len().max(1) as f64)
        .sqrt()
        / 32768.0;
    (crossings as f64 / 2.0 / seconds, rms)
}

/// The remote track a side was told about, and the audio it played (frames after the
/// first half second, concealed ones included).
fn played(side: &Side) -> (TrackId, Vec<i16>, usize, usize) {
    let track = side
        .events
        .iter()
        .find_map(|(_, e)| match e {
            Event::Track {
                track,
                kind: MediaKind::Audio,
                ..
            } => Some(*track),
            _ => None,
        })
        .expect("a remote audio track");
    let (mut samples, mut frames, mut concealed) = (Vec::new(), 0, 0);
    for (_, event) in &side.events {
        if let Event::AudioFrame { track: t, frame } = event
            && *t == track
        {
            frames += 1;
            concealed += usize::from(frame.concealed);
            if frames > 25 {
                samples.extend_from_slice(&frame.samples);
            }
        }
    }
    (track, samples, frames, concealed)
}

fn tone_both_ways(link: LinkConfig, label: &str) {
    let mut world = World::new(7, link);
    let now = world.now;
    let a_track = world.a.peer.add_audio_track(now).unwrap();
    let b_track = world.b.peer.add_audio_track(now).unwrap();
    world.offer();
    assert!(
        world.run_until(Duration::from_secs(10), |w| w.a.connected_at().is_some()
            && w.b.connected_at().is_some()),
        "{label}: not connected"
    );
    let mut a_tone = ToneSource::new(440.0, 16_384.0, 48_000, 1);
    let mut b_tone = ToneSource::new(660.0, 8_192.0, 48_000, 1);
    let mut pcm = vec![0i16; FRAME_SAMPLES];
    let frames = 150; // 3 s
    let mut next = world.now;
    for _ in 0..frames {
        while world.now < next {
            world.step(next);
        }
        a_tone.fill(&mut pcm);
        assert!(world.a.peer.send_audio(world.now, a_track, &pcm).unwrap());
        b_tone.fill(&mut pcm);
        assert!(world.b.peer.send_audio(world.now, b_track, &pcm).unwrap());
        world.flush();
        next += Duration::from_millis(20);
    }
    world.run_for(Duration::from_millis(600));

    for (side, name, freq, amplitude) in [(&world.b, "B", 440.0, 0.5), (&world.a, "A", 660.0, 0.25)]
    {
        let (track, samples, played, concealed) = played(side);
        let (f, rms) = analyse(&samples);
        let stats = side.peer.track_stats(track).unwrap();
        let received = stats.received.expect("receive stats");
        println!(
            "{label}: {name} played {played} frames ({concealed} concealed) at {f:.1} Hz, \
             RMS {rms:.3}; {} packets received, {} lost, jitter {:.1} ms, jitter buffer delay \
             {:.1} ms/frame",
            received.packets_received,
            received.packets_lost,
            received.jitter * 1e3,
            received.jitter_buffer.mean_delay().as_secs_f64() * 1e3,
        );
        assert!(
            played >= frames - 10,
            "{label}: {name} played {played} frames"
        );
        assert!(
            (f - freq).abs() < 5.0,
            "{label}: {name} heard {f:.1} Hz, not {freq}"
        );
        let expected_rms = amplitude / 2f64.sqrt();
        assert!(
            (rms - expected_rms).abs() < expected_rms * 0.2,
            "{label}: {name} RMS {rms:.3}, sent {expected_rms:.3}"
        );
        assert!(received.total_audio_energy > 0.0);
        // A packet crosses two access links, each losing 3 % in the lossy case: about 6 %
        // lost, with room for a seed's bad luck.
        assert!(received.packets_received >= frames as u64 * 85 / 100);
    }
    for (side, name, track) in [(&world.a, "A", a_track), (&world.b, "B", b_track)] {
        let sent = side.peer.track_stats(track).unwrap().sent.expect("sending");
        let rtt = sent.remote.round_trip_time;
        println!(
            "{label}: {name} sent {} packets; the peer's reports: {} blocks, {} lost, rtt {rtt:?}",
            sent.packets_sent, sent.remote.reports_received, sent.remote.packets_lost
        );
        assert_eq!(sent.packets_sent, frames as u64);
        assert!(
            sent.remote.reports_received > 0,
            "{label}: {name} got no report"
        );
        let rtt = rtt.expect("a round-trip time from LSR/DLSR");
        assert!(
            rtt >= Duration::from_millis(15) && rtt < Duration::from_millis(200),
            "{rtt:?}"
        );
        assert!(side.peer.stats().rtcp_sent > 0);
    }
    check_stats_report(&world, label);
}

/// The webrtc-stats report of A: every type a connection with audio has, consistent with
/// the counters.
fn check_stats_report(world: &World, label: &str) {
    let report = world.a.peer.stats_report(world.now);
    let of_type = |t: &str| -> Vec<&serde_json::Value> {
        report
            .as_object()
            .unwrap()
            .values()
            .filter(|v| v["type"] == t)
            .collect()
    };
    for t in [
        "peer-connection",
        "transport",
        "candidate-pair",
        "local-candidate",
        "remote-candidate",
        "codec",
        "inbound-rtp",
        "outbound-rtp",
        "remote-inbound-rtp",
    ] {
        assert!(!of_type(t).is_empty(), "{label}: no {t} in {report}");
    }
    assert_eq!(of_type("certificate").len(), 2, "ours and the peer's");
    let transport = of_type("transport")[0];
    assert_eq!(transport["dtlsState"], "connected");
    assert_eq!(transport["iceRole"], "controlling");
    let pair = &report[transport["selectedCandidatePairId"].as_str().unwrap()];
    assert_eq!(pair["type"], "candidate-pair");
    assert_eq!(pair["nominated"], true);
    assert_eq!(
        report[pair["localCandidateId"].as_str().unwrap()]["type"],
        "local-candidate"
    );
    let outbound = of_type("outbound-rtp")[0];
    assert_eq!(outbound["packetsSent"], 150);
    assert_eq!(
        report[outbound["codecId"].as_str().unwrap()]["mimeType"],
        "audio/opus"
    );
    let inbound = of_type("inbound-rtp")[0];
    assert!(inbound["totalAudioEnergy"].as_f64().unwrap() > 0.0);
    assert!(
        report[outbound["remoteId"].as_str().unwrap()]["roundTripTime"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let text = report.to_string();
    println!(
        "{label}: stats report of A, {} objects, {} bytes of JSON",
        report.as_object().unwrap().len(),
        text.len()
    );
}

#[test]
fn opus_tone_both_ways_on_a_clean_link() {
    let link = LinkConfig {
        delay: Duration::from_millis(10),
        ..LinkConfig::default()
    };
    tone_both_ways(link, "clean");
}

#[test]
fn opus_tone_both_ways_with_loss_and_jitter() {
    tone_both_ways(lossy(0.03), "3 % loss");
}
