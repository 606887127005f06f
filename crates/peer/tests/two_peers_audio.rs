//! Two peers in the network simulator send each other an Opus tone, both ways at once:
//! each adds an audio track before the exchange, encodes its own tone (A 440 Hz, B 660 Hz)
//! with rtcweb-media's audio encoder and writes the frames to the core, and plays the
//! other's frames through rtcweb-media's playout (jitter buffer, decoder, concealment) at
//! the instants they arrived. On a clean link and with 3 % loss and jitter, the played
//! audio has the sender's frequency and level; RTCP reports flow both ways (round-trip
//! time measured).

mod support;

use std::time::Duration;

use rtcweb_media::audio::{AudioPlayout, PlayoutStats};
use rtcweb_media::{AudioCodec, AudioEncoder, AudioSource, PcmFrame, ToneSource};
use rtcweb_netsim::LinkConfig;
use rtcweb_peer::{Event, MediaKind, MediaTrack, OutgoingFrame, TransceiverId};
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

/// The remote track a side was told about, and the audio its playout made of the frames
/// at the instants they arrived (frames after the first half second, concealed ones
/// included): the transceiver, the samples, frames played, frames concealed, and the
/// playout's counters.
fn played(side: &Side) -> (TransceiverId, Vec<i16>, usize, usize, PlayoutStats) {
    let transceiver = side
        .events
        .iter()
        .find_map(|(_, e)| match e {
            Event::Track {
                transceiver, track, ..
            } if track.kind == MediaKind::Audio => Some(*transceiver),
            _ => None,
        })
        .expect("a remote audio track");
    let frames: Vec<_> = side
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Frame {
                transceiver: t,
                frame,
            } if *t == transceiver => Some(frame),
            _ => None,
        })
        .collect();
    let mut playout = AudioPlayout::new(1);
    let (mut samples, mut played, mut concealed) = (Vec::new(), 0, 0);
    let mut next = 0;
    let start = frames.first().expect("frames").received_at;
    let mut now = start;
    // Ticks every millisecond of simulated time until a second after the last arrival.
    let end = frames.last().unwrap().received_at + Duration::from_secs(1);
    while now < end {
        while next < frames.len() && frames[next].received_at <= now {
            let f = frames[next];
            let codec = AudioCodec {
                payload_type: f.payload_type,
                name: f.codec.name.clone(),
                clock_rate: f.codec.clock_rate,
                channels: f.codec.channels,
                fmtp: f.codec.fmtp.clone(),
            };
            playout.handle_packet(f.received_at, &codec, f.rtp_timestamp, &f.data);
            next += 1;
        }
        playout.handle_timeout(now);
        while let Some(frame) = playout.poll_frame() {
            played += 1;
            concealed += usize::from(frame.concealed);
            if played > 25 {
                samples.extend_from_slice(&frame.samples);
            }
        }
        now += Duration::from_millis(1);
    }
    (transceiver, samples, played, concealed, playout.stats())
}

/// The negotiated send codecs of a transceiver, as the audio encoder takes them.
fn send_codecs(side: &Side, id: TransceiverId) -> Vec<AudioCodec> {
    side.peer
        .sender_parameters(id)
        .expect("a sender")
        .codecs
        .into_iter()
        .map(|(pt, c)| AudioCodec {
            payload_type: pt,
            name: c.name,
            clock_rate: c.clock_rate,
            channels: c.channels,
            fmtp: c.fmtp,
        })
        .collect()
}

fn tone_both_ways(link: LinkConfig, label: &str) {
    let mut world = World::new(7, link);
    let now = world.now;
    let a_track = world
        .a
        .peer
        .add_track(now, MediaTrack::audio("a-tone"), &["a"])
        .unwrap();
    let b_track = world
        .b
        .peer
        .add_track(now, MediaTrack::audio("b-tone"), &["b"])
        .unwrap();
    world.offer();
    assert!(
        world.run_until(Duration::from_secs(10), |w| w.a.connected_at().is_some()
            && w.b.connected_at().is_some()),
        "{label}: not connected"
    );
    let mut a_tone = ToneSource::new(440.0, 16_384.0, 48_000, 1);
    let mut b_tone = ToneSource::new(660.0, 8_192.0, 48_000, 1);
    let mut a_encoder = AudioEncoder::new(&send_codecs(&world.a, a_track), 1000).unwrap();
    let mut b_encoder = AudioEncoder::new(&send_codecs(&world.b, b_track), 2000).unwrap();
    assert!(a_encoder.codec().is("opus"), "{:?}", a_encoder.codec());
    let mut pcm = vec![0i16; 960];
    let frames = 150; // 3 s
    let mut next = world.now;
    for _ in 0..frames {
        while world.now < next {
            world.step(next);
        }
        let now = world.now;
        for (tone, encoder, side, track) in [
            (&mut a_tone, &mut a_encoder, &mut world.a, a_track),
            (&mut b_tone, &mut b_encoder, &mut world.b, b_track),
        ] {
            tone.fill(&mut pcm);
            let frame = PcmFrame {
                samples: pcm.clone(),
                sample_rate: 48_000,
                channels: 1,
            };
            encoder.handle_pcm(&frame, Some(now)).unwrap();
            while let Some(e) = encoder.poll_frame() {
                let mut out = OutgoingFrame::new(e.payload_type, e.rtp_timestamp, &e.data);
                out.audio_level = Some(e.audio_level);
                out.capture_time = e.capture_time;
                assert!(side.peer.write_frame(now, track, out).unwrap());
            }
        }
        world.flush();
        next += Duration::from_millis(20);
    }
    world.run_for(Duration::from_millis(600));

    for (side, name, freq, amplitude) in [(&world.b, "B", 440.0, 0.5), (&world.a, "A", 660.0, 0.25)]
    {
        let (track, samples, played, concealed, playout) = played(side);
        let (f, rms) = analyse(&samples);
        let stats = side.peer.transceiver_stats(track).unwrap();
        let received = stats.inbound.expect("receive stats");
        println!(
            "{label}: {name} played {played} frames ({concealed} concealed) at {f:.1} Hz, \
             RMS {rms:.3}; {} packets received, {} lost, jitter {:.1} ms, jitter buffer delay \
             {:.1} ms/frame",
            received.packets_received,
            received.packets_lost,
            received.jitter * 1e3,
            playout.jitter.mean_delay().as_secs_f64() * 1e3,
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
        assert!(playout.total_audio_energy > 0.0);
        // A packet crosses two access links, each losing 3 % in the lossy case: about 6 %
        // lost, with room for a seed's bad luck.
        assert!(received.packets_received >= frames as u64 * 85 / 100);
    }
    for (side, name, track) in [(&world.a, "A", a_track), (&world.b, "B", b_track)] {
        let sent = side
            .peer
            .transceiver_stats(track)
            .unwrap()
            .outbound
            .expect("sending");
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
    let report = world.a.peer.stats_report(world.now).to_json();
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
    assert!(inbound["packetsReceived"].as_u64().unwrap() > 100);
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
