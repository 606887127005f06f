//! Interop with headless Firefox (Debian's `firefox-esr`, driven over WebDriver BiDi): a
//! driver-backed rtcweb peer and an `RTCPeerConnection` in a Firefox page, in a network
//! namespace with a veth address from RFC 5737 (Firefox gathers no candidate without a
//! route). Each case runs with Firefox offering and with rtcweb offering:
//!
//! - data channels: 1,000 messages (text and binary, 0 B to 256 KiB, the largest both
//!   accept) echoed byte-exact on a reliable channel; an unordered one, one with
//!   `maxRetransmits: 0` and one with `maxPacketLifeTime`, whose settings Firefox sees;
//!   closes from either side;
//! - audio both ways: Firefox's fake microphone decoded in rtcweb (its frequency measured),
//!   rtcweb's 440 Hz tone played in Firefox (`totalAudioEnergy` > 0 on an `<audio>`
//!   element that plays);
//! - the DTLS version (DTLS 1.3 by default: Firefox ESR 153 has it on) and the DTLS and
//!   SRTP ciphers Firefox reports;
//!
//! once with Firefox's host addresses in clear and its defaults, once hidden behind mDNS
//! names (`media.peerconnection.ice.obfuscate_host_addresses`), which rtcweb resolves, with
//! `media.peerconnection.dtls.version.max` set for DTLS 1.3 (772), and once, rtcweb
//! offering, with that preference at DTLS 1.2 (771): rtcweb falls back to 1.2.
//!
//! Without `/usr/bin/firefox-esr` the cases are skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod audio_analysis;
mod messages;
mod peer_events;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use audio_analysis::tone_and_listen;
use messages::{MAX_SIZE, echo_stream};
use rtcweb_lab::firefox::Firefox;
use rtcweb_lab::isolate::{VETH_ADDRESS, run_in_namespace};
use rtcweb_media::analysis::{peak_frequency, rms};
use rtcweb_peer::driver::{DriverConfig, PeerConnection};
use rtcweb_peer::{ChannelType, DataChannelInit, Description, MediaTrack, Reliability, SdpType};
use serde_json::{Value, json};
use tokio::time::timeout;

const MESSAGES: usize = 1000;

/// The page: an `RTCPeerConnection` with Firefox's fake microphone, whose data channels
/// echo every message, and that plays the remote audio in an `<audio>` element.
const PAGE: &str = r#"<!doctype html><title>rtcweb</title><script>
window.rtc = {
  pc: null,
  channels: {},
  closedLabels: [],
  echo(dc) {
    dc.binaryType = 'arraybuffer';
    const queue = [];
    dc.bufferedAmountLowThreshold = 1 << 20;
    const pump = () => {
      while (queue.length && dc.bufferedAmount < (4 << 20)) dc.send(queue.shift());
    };
    dc.onmessage = (e) => { queue.push(e.data); pump(); };
    dc.onbufferedamountlow = pump;
    dc.onclose = () => rtc.closedLabels.push(dc.label);
    rtc.channels[dc.label] = dc;
  },
  async make() {
    const pc = new RTCPeerConnection();
    pc.ondatachannel = (e) => rtc.echo(e.channel);
    pc.ontrack = (e) => {
      const audio = document.createElement('audio');
      audio.autoplay = true;
      audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      document.body.appendChild(audio);
    };
    rtc.mic = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, autoGainControl: false, noiseSuppression: false },
    });
    rtc.pc = pc;
    return pc;
  },
  addMic() { for (const t of rtc.mic.getAudioTracks()) rtc.pc.addTrack(t, rtc.mic); },
  gathered(pc) {
    return new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
  },
  async offer() {
    const pc = await rtc.make();
    rtc.echo(pc.createDataChannel('echo'));
    rtc.addMic();
    await pc.setLocalDescription();
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async answer(sdp) {
    const pc = await rtc.make();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    rtc.addMic();
    await pc.setLocalDescription();
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(sdp) { await rtc.pc.setRemoteDescription({ type: 'answer', sdp }); return true; },
  async candidate(candidate, sdpMid) {
    await rtc.pc.addIceCandidate(candidate ? { candidate, sdpMid } : undefined);
    return true;
  },
  channel(label) {
    const dc = rtc.channels[label];
    return dc && { ordered: dc.ordered, maxRetransmits: dc.maxRetransmits,
                   maxPacketLifeTime: dc.maxPacketLifeTime, readyState: dc.readyState };
  },
  close(label) { rtc.channels[label].close(); return true; },
  closed(label, ms) {
    return new Promise((resolve) => {
      const t0 = Date.now();
      const poll = () => {
        if (rtc.closedLabels.includes(label)) return resolve(true);
        if (Date.now() - t0 > ms) return resolve(false);
        setTimeout(poll, 20);
      };
      poll();
    });
  },
  async stats() {
    const out = { connectionState: rtc.pc.connectionState, all: [] };
    (await rtc.pc.getStats()).forEach((r) => {
      out.all.push(r.type);
      if (r.type === 'transport') out.transport = r;
      if (r.type === 'inbound-rtp' && r.kind === 'audio') out.inbound = r;
      if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outbound = r;
      if (r.type === 'candidate-pair' && (r.nominated || r.selected)) out.pair = r;
      if (r.type === 'local-candidate') (out.local = out.local || []).push(r);
    });
    const a = document.querySelector('audio');
    out.playing = !!a && !a.paused && a.readyState >= 2;
    out.sdp = rtc.pc.localDescription.sdp;
    out.remoteSdp = rtc.pc.remoteDescription.sdp;
    return out;
  },
};
</script>"#;

/// `media.peerconnection.dtls.version.max` for DTLS 1.3 and 1.2 (NSS's TLS version
/// numbers).
const DTLS13: u32 = 772;
const DTLS12: u32 = 771;

#[test]
fn firefox_offers() {
    run_case("firefox_offers", true, false, None);
}

#[test]
fn rtcweb_offers_to_firefox() {
    run_case("rtcweb_offers_to_firefox", false, false, None);
}

#[test]
fn firefox_offers_with_mdns_host_names() {
    run_case(
        "firefox_offers_with_mdns_host_names",
        true,
        true,
        Some(DTLS13),
    );
}

#[test]
fn rtcweb_offers_to_firefox_with_mdns_host_names() {
    run_case(
        "rtcweb_offers_to_firefox_with_mdns_host_names",
        false,
        true,
        Some(DTLS13),
    );
}

#[test]
fn rtcweb_offers_to_firefox_with_dtls12_only() {
    run_case(
        "rtcweb_offers_to_firefox_with_dtls12_only",
        false,
        false,
        Some(DTLS12),
    );
}

fn run_case(name: &str, firefox_offers: bool, mdns: bool, dtls_max: Option<u32>) {
    if !rtcweb_lab::firefox::available() || run_in_namespace(name, true) {
        return;
    }
    let label = format!(
        "{}{}",
        if firefox_offers {
            "Firefox offers"
        } else {
            "rtcweb offers"
        },
        if mdns { ", mDNS host names" } else { "" }
    );
    let rt = peer_events::runtime();
    let _context = rt.enter();
    let url = serve_page();
    let obfuscate = if mdns { "true" } else { "false" };
    let max = dtls_max.map(|v| v.to_string());
    let mut prefs = vec![
        (
            "media.peerconnection.ice.obfuscate_host_addresses",
            obfuscate,
        ),
        ("media.peerconnection.ice.loopback", "true"),
    ];
    if let Some(max) = &max {
        prefs.push(("media.peerconnection.dtls.version.max", max));
    }
    let mut browser = Firefox::launch(&prefs).expect("Firefox starts");
    let version = browser.version().to_owned();
    browser.navigate(&url).expect("the page loads");

    let config = DriverConfig {
        interfaces: vec![IpAddr::V4(VETH_ADDRESS)],
        ..DriverConfig::default()
    };
    let (pc, events) = rt.block_on(PeerConnection::new(config)).expect("a peer");
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
    let ours = (!firefox_offers).then(|| {
        rt.block_on(pc.create_data_channel("echo", DataChannelInit::default()))
            .expect("a data channel")
    });
    let eval = |b: &mut Firefox, js: &str| -> Value {
        b.evaluate(js)
            .unwrap_or_else(|e| panic!("{label}: {js:.60}: {e}"))
    };
    if firefox_offers {
        let offer = eval(&mut browser, "rtc.offer()");
        let offer = offer.as_str().expect("the offer's SDP").to_owned();
        assert_eq!(
            offer.contains(".local "),
            mdns,
            "{label}: Firefox's host candidates"
        );
        // Firefox asks for stereo Opus (RFC 7587 §7): the audio layer converts rtcweb's
        // mono tone to it (the old API refused mono frames then, and Firefox heard
        // nothing).
        assert!(offer.contains("stereo=1"), "{label}: Firefox's Opus fmtp");
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Offer,
            sdp: offer,
        }))
        .expect("Firefox's offer applies");
        let answer = rt.block_on(pc.set_local_description_implicit()).unwrap();
        eval(&mut browser, &format!("rtc.accept({})", json!(answer.sdp)));
    } else {
        let offer = rt.block_on(pc.set_local_description_implicit()).unwrap();
        let answer = eval(&mut browser, &format!("rtc.answer({})", json!(offer.sdp)));
        let answer = answer.as_str().expect("the answer's SDP").to_owned();
        rt.block_on(pc.set_remote_description(&Description {
            kind: SdpType::Answer,
            sdp: answer,
        }))
        .expect("Firefox's answer applies");
    }
    peer_events::trickle(&seen, |mid, candidate| {
        eval(
            &mut browser,
            &format!("rtc.candidate({}, {})", json!(candidate), json!(mid)),
        );
    });
    eval(&mut browser, "rtc.candidate(null, null)");

    let channel = match ours {
        Some(channel) => channel,
        None => rt
            .block_on(timeout(Duration::from_secs(20), incoming.recv()))
            .expect("Firefox's channel reaches rtcweb in time")
            .expect("a channel"),
    };
    rt.block_on(timeout(Duration::from_secs(20), channel.opened()))
        .unwrap_or_else(|_| panic!("{label}: the channel did not open in time"))
        .expect("the channel opens");
    let open = start.elapsed();
    let info = rt.block_on(pc.info()).unwrap();
    let pair = info.selected_candidate_pair.clone().expect("a pair");
    println!(
        "{label} ({version}): channel open {open:.0?} after the first offer call; pair {} \
         {}:{} -> {} {}:{}; {} mDNS names resolved",
        pair.local.kind.as_str(),
        pair.local.address,
        pair.local.port,
        pair.remote.kind.as_str(),
        pair.remote.address,
        pair.remote.port,
        info.io.mdns_resolved,
    );
    if mdns {
        // The checks may win the race (Firefox's arrive as peer-reflexive), the query's
        // answer comes all the same.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut resolved = info.io.mdns_resolved;
        while resolved == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            resolved = rt.block_on(pc.info()).unwrap().io.mdns_resolved;
        }
        println!("{label}: {resolved} mDNS names resolved by rtcweb's query");
        assert!(resolved > 0, "{label}: no .local name resolved");
    }

    // 1,000 messages on the reliable channel.
    let (channel, bytes, took) = rt.block_on(echo_stream(channel, MESSAGES, MAX_SIZE, &label));
    println!(
        "{label}: {MESSAGES} messages ({bytes} bytes) echoed by Firefox byte-exact in \
         {took:.2?}: {:.1} Mbit/s each way",
        bytes as f64 * 8.0 / took.as_secs_f64() / 1e6
    );

    // Partially reliable and unordered channels: Firefox sees their settings, messages go
    // round.
    let kinds = [
        (
            "unordered",
            ChannelType {
                reliability: Reliability::Reliable,
                ordered: false,
            },
            json!({ "ordered": false }),
        ),
        (
            "rexmit0",
            ChannelType {
                reliability: Reliability::MaxRetransmits(0),
                ordered: true,
            },
            json!({ "maxRetransmits": 0, "ordered": true }),
        ),
        (
            "lifetime",
            ChannelType {
                reliability: Reliability::MaxLifetimeMs(500),
                ordered: true,
            },
            json!({ "maxPacketLifeTime": 500, "ordered": true }),
        ),
    ];
    let mut extra = Vec::new();
    for (name, kind, want) in kinds {
        let options = DataChannelInit::default().with_channel_type(kind);
        let mut dc = rt
            .block_on(pc.create_data_channel(name, options))
            .expect("a channel");
        rt.block_on(timeout(Duration::from_secs(10), dc.opened()))
            .expect("opens in time")
            .expect("opens");
        // Open on rtcweb's side as its DATA_CHANNEL_OPEN leaves (RFC 8832 §6); Firefox has
        // the channel when that arrives, half a round trip later.
        let asked = std::time::Instant::now();
        let seen_there = loop {
            let seen = eval(&mut browser, &format!("rtc.channel({})", json!(name)));
            if !seen.is_null() || asked.elapsed() > Duration::from_secs(5) {
                break seen;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(
                &seen_there[k], v,
                "{label}: Firefox's {name} channel: {seen_there}"
            );
        }
        let mut back = Vec::new();
        rt.block_on(async {
            for i in 0..50 {
                dc.send_text(format!("{name} {i}")).await.unwrap();
            }
            while back.len() < 50 {
                let m = timeout(Duration::from_secs(10), dc.recv())
                    .await
                    .expect("echoes come back")
                    .expect("open");
                back.push(String::from_utf8(m.data.to_vec()).unwrap());
            }
        });
        back.sort();
        let mut want: Vec<String> = (0..50).map(|i| format!("{name} {i}")).collect();
        want.sort();
        assert_eq!(back, want, "{label}: {name}");
        extra.push(dc);
    }
    // Closes from either side.
    let rexmit0 = extra.remove(1);
    eval(&mut browser, "rtc.close('rexmit0')");
    rt.block_on(timeout(Duration::from_secs(10), rexmit0.closed()))
        .unwrap_or_else(|_| panic!("{label}: rtcweb did not see Firefox's close"));
    let lifetime = extra.remove(1);
    rt.block_on(lifetime.close()).unwrap();
    assert_eq!(
        eval(&mut browser, "rtc.closed('lifetime', 10000)"),
        json!(true),
        "{label}: Firefox did not see rtcweb's close"
    );
    println!(
        "{label}: unordered, maxRetransmits 0 and maxPacketLifeTime channels echo; closes seen both ways"
    );

    // Audio both ways for three seconds.
    let mut remote = rt
        .block_on(timeout(Duration::from_secs(10), tracks.recv()))
        .expect("Firefox's track reaches rtcweb")
        .expect("a track");
    let (played, sent) = rt.block_on(tone_and_listen(local, &mut remote, 440.0, 3));
    let loud: Vec<i16> = played
        .iter()
        .filter(|f| !f.concealed)
        .flat_map(|f| f.samples.chunks(960))
        .filter(|c| rms(c) > 0.01)
        .flatten()
        .copied()
        .collect();
    let peak = peak_frequency(&loud[..loud.len().min(48_000)], 48_000);
    let stats = eval(&mut browser, "rtc.stats()");
    let inbound = &stats["inbound"];
    println!(
        "{label}: rtcweb sent {sent} frames; Firefox inbound-rtp: {} packets, {} lost, \
         totalAudioEnergy {}, playing {}; rtcweb heard {} loud samples of Firefox's \
         microphone peaking at {peak:.0} Hz; DTLS {} / SRTP {}",
        inbound["packetsReceived"],
        inbound["packetsLost"],
        inbound["totalAudioEnergy"],
        stats["playing"],
        loud.len(),
        stats["transport"]["dtlsCipher"],
        stats["transport"]["srtpCipher"],
    );
    assert!(sent > 100, "{label}: rtcweb sent {sent} frames");
    assert!(
        inbound["packetsReceived"].as_u64().unwrap_or(0) > 100,
        "{label}: Firefox received too little: {inbound}"
    );
    assert!(
        inbound["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{label}: Firefox played nothing: {inbound}"
    );
    assert!(
        loud.len() > 48_000,
        "{label}: Firefox's microphone is silent here"
    );
    // Firefox's fake microphone is a 1 kHz tone.
    assert!((peak - 1000.0).abs() < 20.0, "{label}: peak at {peak} Hz");
    let info = rt.block_on(pc.info()).unwrap();
    println!(
        "{label} (dtls.version.max {dtls_max:?}): rtcweb: DTLS {:?} {:?} with {:?}, SRTP {:?}",
        info.dtls_version,
        info.dtls_cipher,
        info.dtls_group,
        info.srtp_profile.map(|p| p.name())
    );
    assert!(info.srtp_profile.is_some());
    let expected = if dtls_max == Some(DTLS12) {
        rtcweb_dtls::ProtocolVersion::DTLS_1_2
    } else {
        rtcweb_dtls::ProtocolVersion::DTLS_1_3
    };
    assert_eq!(info.dtls_version, Some(expected), "{label}");

    rt.block_on(channel.close()).unwrap();
    rt.block_on(pc.close()).unwrap();
    drop(channel);
}

/// The page on 127.0.0.1 (a secure context for `getUserMedia`).
fn serve_page() -> String {
    rtcweb_lab::chromium::serve_page(PAGE).expect("a page server")
}
