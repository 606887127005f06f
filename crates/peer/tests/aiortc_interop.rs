//! Interop with aiortc (the Python WebRTC stack, from PyPI, in a virtualenv the test makes
//! under the target directory): a driver-backed rtcweb peer on 127.0.0.1 and an aiortc
//! `RTCPeerConnection` in a child process (`tests/aiortc/peer.py`), SDP exchanged over its
//! stdin and stdout, our candidates trickled with `addIceCandidate`, aiortc's in its
//! gathered description. Once with aiortc offering, once with rtcweb offering:
//!
//! - a data channel (opened by the offerer) on which aiortc echoes 100 messages, text and
//!   binary, 0 B to 64 KiB, checked byte-exact and in order;
//! - Opus audio both ways: aiortc's 660 Hz tone decodes in rtcweb to a spectrum peaking at
//!   660 Hz, and rtcweb's 440 Hz tone (3 s) decodes in aiortc to 440 Hz.
//!
//! Each case runs in a network namespace holding only `lo` when `unshare -n` works here
//! (the virtualenv is made before, outside it). Without `python3` the cases are skipped
//! with a message, except under CI. `RTCWEB_AIORTC_SDP=1` prints both descriptions.
#![allow(clippy::disallowed_methods)] // the test paces audio and measures with the wall clock

mod aiortc;
mod audio_analysis;
mod chromium; // for `run_in_network_namespace` only
mod messages;
mod peer_events;

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use aiortc::Aiortc;
use audio_analysis::{loud, peak_frequency, rms, tone_and_listen};
use messages::echo_stream;
use peer_events::{Seen, connected_at, trickle};
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use rtcweb_peer::{DataChannelInit, Description, MediaTrack, SdpType};
use tokio::time::timeout;

/// Messages echoed by aiortc.
const MESSAGES: usize = 100;
/// The largest message: 64 KiB.
const MAX_SIZE: usize = 64 * 1024;
/// How long rtcweb sends its tone and listens to aiortc's.
const SECONDS: u64 = 3;
/// rtcweb's tone, and aiortc's (`peer.py`).
const OUR_TONE: f64 = 440.0;
const THEIR_TONE: f64 = 660.0;

#[test]
fn aiortc_offers() {
    run_case("aiortc_offers", true);
}

#[test]
fn rtcweb_offers() {
    run_case("rtcweb_offers", false);
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

    let (pc, events) = rt
        .block_on(PeerConnection::new(DriverConfig::loopback()))
        .expect("peer on 127.0.0.1");
    let peer_events::Pumped {
        seen,
        channels: mut incoming,
        audio: mut tracks,
        ..
    } = peer_events::pump(&rt, events);

    let local = rt
        .block_on(pc.add_track(MediaTrack::audio("tone"), &["rtcweb"]))
        .expect("an audio track");
    let start = Instant::now();
    let channel = if aiortc_offers {
        let offer = peer.offer(true);
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Offer,
            sdp: offer,
        }))
        .expect("aiortc's offer applies");
        let answer = rt.block_on(pc.create_answer()).unwrap();
        rt.block_on(pc.set_local_description(&answer)).unwrap();
        peer.accept(&answer.sdp);
        trickle_to(&mut peer, &seen);
        rt.block_on(timeout(Duration::from_secs(20), incoming.recv()))
            .expect("aiortc's channel reaches rtcweb in time")
            .expect("a channel")
    } else {
        let channel = rt
            .block_on(pc.create_data_channel("echo", DataChannelInit::default()))
            .unwrap();
        let offer = rt.block_on(pc.create_offer()).unwrap();
        rt.block_on(pc.set_local_description(&offer)).unwrap();
        let answer = peer.answer(&offer.sdp);
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Answer,
            sdp: answer,
        }))
        .expect("aiortc's answer applies");
        trickle_to(&mut peer, &seen);
        channel
    };
    rt.block_on(timeout(Duration::from_secs(20), channel.opened()))
        .expect("the channel opens in time")
        .expect("the channel opens");
    let open = start.elapsed();
    if std::env::var_os("RTCWEB_AIORTC_SDP").is_some() {
        let info = rt.block_on(pc.info()).unwrap();
        println!(
            "{label}: rtcweb's local description after gathering:\n{}\naiortc's:\n{}",
            info.local_description.unwrap_or_default(),
            info.remote_description.unwrap_or_default()
        );
    }
    let connected = connected_at(&seen, Duration::from_secs(5))
        .expect("the connection became connected")
        - start;
    assert_eq!(channel.label(), "echo");
    let mut remote = rt
        .block_on(timeout(Duration::from_secs(20), tracks.recv()))
        .expect("aiortc's track reaches rtcweb in time")
        .expect("a track");
    let info = rt.block_on(pc.info()).unwrap();
    let pair = info
        .selected_candidate_pair
        .clone()
        .expect("a selected pair");
    println!(
        "{label} (aiortc {}): connected in {connected:?}, channel open in {open:?} from the \
         first offer call; selected pair {} {}:{} -> {} {}:{}; SRTP profile {:?}",
        peer.version(),
        pair.local.kind.as_str(),
        pair.local.address,
        pair.local.port,
        pair.remote.kind.as_str(),
        pair.remote.address,
        pair.remote.port,
        info.srtp_profile,
    );

    // The data channel: 100 messages echoed byte-exact and in order.
    let (_channel, bytes, took) = rt.block_on(echo_stream(channel, MESSAGES, MAX_SIZE, label));
    println!(
        "{label}: {MESSAGES} messages ({bytes} bytes, 0 B to {MAX_SIZE} B, text and binary) \
         echoed by aiortc byte-exact in {took:?}; kernel UDP counters so far: {} (aiortc's \
         port is {})",
        udp_counters(),
        pair.remote.port
    );

    // Audio: rtcweb sends its tone at the pace of a source while it collects aiortc's.
    // Frames decoded while the data channel ran were not read: start afresh.
    while remote.try_recv().is_some() {}
    let (played, sent) = rt.block_on(tone_and_listen(local, &mut remote, OUR_TONE, SECONDS));

    // What rtcweb heard: aiortc's 660 Hz tone.
    let (samples, loud, concealed) = loud(&played);
    let peak = peak_frequency(&samples);
    println!(
        "{label}: rtcweb played {} frames from aiortc ({concealed} concealed), {} loud \
         (rms {:.3}); their spectrum peaks at {peak:.0} Hz; rtcweb sent {sent} frames",
        played.len(),
        loud,
        rms(&samples),
    );

    // Let the last of our audio arrive, then ask aiortc what it heard.
    std::thread::sleep(Duration::from_millis(300));
    let stats = peer.stats();
    println!(
        "{label}: aiortc received {} frames from rtcweb ({} loud, {} at {} Hz, rms {:.3}): \
         peak at {} Hz, zero crossings say {:.1} Hz; aiortc inbound-rtp {}; aiortc sent {} \
         tone frames, outbound-rtp {}; echoed {} messages / {} bytes; {} / ICE {}",
        stats["framesReceived"],
        stats["framesLoud"],
        stats["receivedLayout"],
        stats["receivedRate"],
        stats["rms"].as_f64().unwrap_or(0.0),
        stats["peakHz"],
        stats["zeroCrossingHz"].as_f64().unwrap_or(0.0),
        stats["inbound"],
        stats["toneFramesSent"],
        stats["outbound"],
        stats["messages"],
        stats["messageBytes"],
        stats["connectionState"],
        stats["iceConnectionState"],
    );
    let info = rt.block_on(pc.info()).unwrap();
    let playout = info
        .playout
        .iter()
        .find(|(id, _)| *id == remote.transceiver())
        .map(|(_, p)| *p);
    if let (Some(received), Some(playout)) = (
        info.transceivers
            .iter()
            .find(|(id, _)| *id == remote.transceiver())
            .and_then(|(_, s)| s.inbound),
        playout,
    ) {
        println!(
            "{label}: rtcweb inbound: {} packets, {} lost, jitter {:.1} ms, mean jitter \
             buffer delay {:.1} ms",
            received.packets_received,
            received.packets_lost,
            received.jitter * 1e3,
            playout.jitter.mean_delay().as_secs_f64() * 1e3,
        );
    }

    assert!(
        played.len() as u64 >= SECONDS * 50 * 3 / 4,
        "{label}: too few frames from aiortc"
    );
    assert!(
        loud as u64 >= SECONDS * 50 / 2,
        "{label}: aiortc's tone not heard"
    );
    assert!(
        (THEIR_TONE - 20.0..=THEIR_TONE + 20.0).contains(&peak),
        "{label}: aiortc's tone peaks at {peak} Hz in rtcweb"
    );
    assert_eq!(stats["connectionState"], "connected", "{label}: {stats}");
    assert_eq!(
        stats["messages"].as_u64(),
        Some(MESSAGES as u64),
        "{label}: {stats}"
    );
    let frames = stats["framesReceived"].as_u64().unwrap_or(0);
    assert!(
        frames >= sent * 3 / 4,
        "{label}: aiortc got {frames} frames"
    );
    assert!(
        stats["framesLoud"].as_u64().unwrap_or(0) >= sent / 2,
        "{label}: aiortc heard no tone: {stats}"
    );
    let theirs = stats["peakHz"].as_f64().unwrap_or(0.0);
    assert!(
        (OUR_TONE - 20.0..=OUR_TONE + 20.0).contains(&theirs),
        "{label}: rtcweb's tone peaks at {theirs} Hz in aiortc"
    );
    rt.block_on(pc.close()).unwrap();
}

/// Gives aiortc our candidates as the peer gathers them, then end-of-candidates.
fn trickle_to(peer: &mut Aiortc, seen: &std_mpsc::Receiver<Seen>) {
    let last_mid = trickle(seen, |mid, candidate| peer.candidate(mid, Some(candidate)));
    peer.candidate(&last_mid, None);
}

/// The UDP counters of this network namespace (`/proc/net/snmp`; the host's without one):
/// datagrams in and out and those the kernel dropped, with the sockets that dropped them (a
/// full receive buffer is loss even on loopback: SCTP retransmits, and the echo is slower).
fn udp_counters() -> String {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return "no UDP counters".to_owned();
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .skip(1)
        .filter(|(name, _)| {
            matches!(
                *name,
                "InDatagrams" | "OutDatagrams" | "InErrors" | "RcvbufErrors" | "SndbufErrors"
            )
        })
        .map(|(name, value)| format!("{name} {value}"))
        .chain(socket_drops())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The UDP sockets that dropped datagrams (`/proc/net/udp`, last column): which port.
fn socket_drops() -> Vec<String> {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port = u16::from_str_radix(fields.get(1)?.rsplit(':').next()?, 16).ok()?;
            let drops: u64 = fields.last()?.parse().ok()?;
            (drops > 0).then(|| format!("port {port} dropped {drops}"))
        })
        .collect()
}
