//! Live renegotiation and W3C "perfect negotiation" with real browsers (headless Chromium
//! and Firefox ESR), in a network namespace with a veth address from RFC 5737. Both sides
//! run the perfect-negotiation pattern: each offers on `negotiationneeded` with
//! `setLocalDescription()`, the impolite one ignores a colliding offer, the polite one's
//! `setRemoteDescription` rolls its own back.
//!
//! - Renegotiation on a live connection: a data channel first; then rtcweb adds audio, a
//!   second audio track, stops a transceiver, and takes a transceiver through sendrecv →
//!   recvonly → inactive → sendrecv; after each step the browser's transceivers and stats
//!   confirm the state (directions, and audio arriving or not).
//! - Glare: rtcweb and the browser add a track at the same instant, with the browser
//!   polite and then impolite; both end stable with both tracks flowing.
//! - DTMF from the browser (`RTCDTMFSender.insertDTMF`) arrives as tones.
//! - Hang-up: the browser's `pc.close()` closes rtcweb's connection within a second
//!   (DTLS close_notify or SCTP ABORT), and the connection's task ends.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use rtcweb_lab::chromium::Chromium;
use rtcweb_lab::firefox::Firefox;
use rtcweb_lab::isolate::{VETH_ADDRESS, run_in_namespace};
use rtcweb_media::{AudioSource, PcmFrame, ToneSource};
use rtcweb_peer::driver::{
    DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteAudioTrack, RtpSender,
};
use rtcweb_peer::{
    DataChannelInit, Description, Direction, MediaTrack, SdpType, SignalingState, TransceiverId,
};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The page: a peer connection running perfect negotiation, its messages to rtcweb in
/// `lab.out`, rtcweb's through `lab.receive`.
const PAGE: &str = r#"<!doctype html><title>rtcweb</title><script>
window.lab = {
  out: [], polite: false, makingOffer: false, ignoreOffer: false, channels: [],
  start(polite) {
    lab.polite = polite;
    const pc = new RTCPeerConnection();
    lab.pc = pc;
    pc.onnegotiationneeded = async () => {
      try {
        lab.makingOffer = true;
        await pc.setLocalDescription();
        lab.out.push({ description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
      } catch (e) { lab.out.push({ error: String(e) }); } finally { lab.makingOffer = false; }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && candidate.candidate) lab.out.push({ candidate: candidate.candidate, mid: candidate.sdpMid });
    };
    pc.ondatachannel = (e) => { e.channel.onmessage = (m) => e.channel.send(m.data); lab.channels.push(e.channel); };
    pc.ontrack = (e) => {
      const audio = document.createElement('audio');
      audio.autoplay = true;
      audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      document.body.appendChild(audio);
    };
    return true;
  },
  async receive(msg) {
    const pc = lab.pc;
    if (msg.description) {
      const d = msg.description;
      const collision = d.type === 'offer' && (lab.makingOffer || pc.signalingState !== 'stable');
      lab.ignoreOffer = !lab.polite && collision;
      if (lab.ignoreOffer) return 'ignored';
      await pc.setRemoteDescription(d);
      if (d.type === 'offer') {
        await pc.setLocalDescription();
        lab.out.push({ description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
      }
      return 'applied';
    }
    try { await pc.addIceCandidate({ candidate: msg.candidate, sdpMid: msg.mid }); }
    catch (e) { if (!lab.ignoreOffer) throw e; }
    return 'candidate';
  },
  drain() { const o = lab.out; lab.out = []; return o; },
  async addMic() {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    lab.mic = mic;
    lab.micSender = lab.pc.addTrack(mic.getAudioTracks()[0], mic);
    return true;
  },
  dtmf(tones) { lab.micSender.dtmf.insertDTMF(tones, 100, 70); return true; },
  async state() {
    const pc = lab.pc;
    const inbound = {};
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') inbound[r.mid] = r.packetsReceived;
    });
    return {
      signaling: pc.signalingState,
      connection: pc.connectionState,
      transceivers: pc.getTransceivers().map((t) => ({
        mid: t.mid, direction: t.direction, current: t.currentDirection,
        kind: t.receiver.track.kind,
      })),
      inbound,
    };
  },
  close() { lab.pc.close(); return true; },
};
</script>"#;

/// A headless browser with the page loaded.
enum Browser {
    Chromium(Box<Chromium>, String),
    Firefox(Box<Firefox>),
}

impl Browser {
    fn launch(firefox: bool, url: &str) -> Self {
        if firefox {
            let mut f = Firefox::launch(&[("media.peerconnection.ice.loopback", "true")])
                .expect("Firefox starts");
            f.navigate(url).expect("the page loads");
            Self::Firefox(Box::new(f))
        } else {
            let mut c = Chromium::launch(&[]).expect("Chromium starts");
            let page = c.new_page_at(url).expect("the page loads");
            Self::Chromium(Box::new(c), page)
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Chromium(..) => "Chromium",
            Self::Firefox(_) => "Firefox",
        }
    }

    fn eval(&mut self, js: &str) -> Value {
        let result = match self {
            Self::Chromium(c, page) => c.evaluate(page, js),
            Self::Firefox(f) => f.evaluate(js),
        };
        result.unwrap_or_else(|e| panic!("{}: {js:.80}: {e}", self.name()))
    }
}

/// rtcweb and the browser, with the signalling between them.
struct Session {
    rt: Runtime,
    pc: PeerConnection,
    events: Events,
    browser: Browser,
    polite: bool,
    ignoring: bool,
    to_page: VecDeque<Value>,
    audio: Vec<RemoteAudioTrack>,
    tones: Vec<char>,
    closed_by_peer: Option<Instant>,
}

impl Session {
    fn new(firefox: bool, rtcweb_polite: bool) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let url = rtcweb_lab::chromium::serve_page(PAGE).expect("a page server");
        let mut browser = Browser::launch(firefox, &url);
        assert_eq!(
            browser.eval(&format!("lab.start({})", !rtcweb_polite)),
            json!(true)
        );
        let config = DriverConfig {
            interfaces: vec![IpAddr::V4(VETH_ADDRESS)],
            ..DriverConfig::default()
        };
        let (pc, events) = rt.block_on(PeerConnection::new(config)).unwrap();
        Self {
            rt,
            pc,
            events,
            browser,
            polite: rtcweb_polite,
            ignoring: false,
            to_page: VecDeque::new(),
            audio: Vec::new(),
            tones: Vec::new(),
            closed_by_peer: None,
        }
    }

    /// One round: rtcweb's events (offers on `negotiationneeded`, candidates), then the
    /// page's messages (perfect negotiation on rtcweb's side), then ours to the page.
    fn pump(&mut self) {
        loop {
            let event = match self.events.try_recv() {
                Some(e) => e,
                None => break,
            };
            match event {
                PeerConnectionEvent::NegotiationNeeded => {
                    let state = self.rt.block_on(self.pc.info()).unwrap().signaling_state;
                    if state == SignalingState::Stable {
                        let offer = self
                            .rt
                            .block_on(self.pc.set_local_description_implicit())
                            .unwrap();
                        self.to_page.push_back(description(&offer));
                    }
                }
                PeerConnectionEvent::LocalCandidate(c) => {
                    self.to_page
                        .push_back(json!({ "candidate": c.candidate, "mid": c.mid }));
                }
                PeerConnectionEvent::AudioTrack(t) => self.audio.push(t),
                PeerConnectionEvent::Dtmf { tone, .. } => self.tones.push(tone),
                PeerConnectionEvent::ClosedByPeer => self.closed_by_peer = Some(Instant::now()),
                _ => {}
            }
        }
        let out = self.browser.eval("lab.drain()");
        for msg in out.as_array().cloned().unwrap_or_default() {
            if let Some(e) = msg.get("error") {
                panic!("the page failed: {e}");
            }
            if let Some(d) = msg.get("description") {
                self.receive_description(d);
            } else if let Some(c) = msg["candidate"].as_str() {
                let r = self
                    .rt
                    .block_on(self.pc.add_ice_candidate(msg["mid"].as_str(), c));
                if let Err(e) = r
                    && !self.ignoring
                {
                    panic!("a candidate from the page was refused: {e}");
                }
            }
        }
        while let Some(msg) = self.to_page.pop_front() {
            self.browser.eval(&format!("lab.receive({msg})"));
        }
    }

    fn receive_description(&mut self, d: &Value) {
        let kind = match d["type"].as_str() {
            Some("offer") => SdpType::Offer,
            Some("answer") => SdpType::Answer,
            other => panic!("description of type {other:?}"),
        };
        let state = self.rt.block_on(self.pc.info()).unwrap().signaling_state;
        let collision = kind == SdpType::Offer && state != SignalingState::Stable;
        self.ignoring = collision && !self.polite;
        if self.ignoring {
            return;
        }
        let description = Description {
            kind,
            sdp: d["sdp"].as_str().unwrap().to_owned(),
        };
        self.rt
            .block_on(self.pc.set_remote_description(&description))
            .unwrap_or_else(|e| panic!("the page's {kind} was refused: {e}"));
        if kind == SdpType::Offer {
            let answer = self
                .rt
                .block_on(self.pc.set_local_description_implicit())
                .unwrap();
            self.to_page.push_back(description_json(&answer));
        }
    }

    /// Pumps until `done` holds of the browser's state (20 s at most).
    fn until(&mut self, what: &str, mut done: impl FnMut(&mut Self, &Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pump();
            let state = self.browser.eval("lab.state()");
            if done(self, &state) {
                return state;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {what} did not happen: {state:#}",
                self.browser.name()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// The current direction of our transceiver `id` (our side applied the exchange).
    fn our_direction(&self, id: TransceiverId) -> Option<Direction> {
        self.rt
            .block_on(self.pc.transceivers())
            .ok()?
            .into_iter()
            .find(|t| t.id == id)?
            .current_direction
    }

    fn stable(state: &Value) -> bool {
        state["signaling"] == "stable"
    }

    fn rtcweb_transceiver(&self, mid: &str) -> TransceiverId {
        self.rt
            .block_on(self.pc.transceivers())
            .unwrap()
            .into_iter()
            .find(|t| t.mid.as_deref() == Some(mid))
            .expect("a transceiver with that mid")
            .id
    }
}

fn description(d: &Description) -> Value {
    description_json(d)
}

fn description_json(d: &Description) -> Value {
    json!({ "description": { "type": d.kind.as_str(), "sdp": d.sdp } })
}

/// The browser's transceiver of `mid`.
fn transceiver<'a>(state: &'a Value, mid: &str) -> Option<&'a Value> {
    state["transceivers"]
        .as_array()?
        .iter()
        .find(|t| t["mid"] == mid)
}

fn packets(state: &Value, mid: &str) -> u64 {
    state["inbound"][mid].as_u64().unwrap_or(0)
}

/// Sends a 440 Hz tone on `sender` for as long as the returned guard lives.
fn tone(rt: &Runtime, sender: RtpSender) -> tokio::task::JoinHandle<()> {
    rt.spawn(async move {
        let mut tone = ToneSource::new(440.0, 10_000.0, 48_000, 1);
        let mut pcm = vec![0i16; 960];
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        loop {
            tick.tick().await;
            tone.fill(&mut pcm);
            let frame = PcmFrame {
                samples: pcm.clone(),
                sample_rate: 48_000,
                channels: 1,
            };
            if let Err(e) = sender.send_audio(frame, None).await {
                println!("the tone on {:?} ends: {e}", sender.transceiver());
                return;
            }
        }
    })
}

fn available(firefox: bool) -> bool {
    if firefox {
        rtcweb_lab::firefox::available()
    } else {
        rtcweb_lab::chromium::available()
    }
}

fn renegotiation(name: &str, firefox: bool) {
    if !available(firefox) || run_in_namespace(name, true) {
        return;
    }
    let mut s = Session::new(firefox, true);
    let label = s.browser.name();
    // 1. A data channel: the first exchange.
    let mut chat =
        s.rt.block_on(s.pc.create_data_channel("chat", DataChannelInit::default()))
            .unwrap();
    s.until("the data channel exchange", |s, st| {
        Session::stable(st) && st["connection"] == "connected" && {
            s.rt.block_on(async {
                tokio::time::timeout(Duration::from_millis(1), chat.opened()).await
            })
            .is_ok()
        }
    });
    s.rt.block_on(chat.send_text("hello")).unwrap();
    let back =
        s.rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), chat.recv()).await })
            .unwrap()
            .unwrap();
    assert_eq!(back.data, b"hello".as_slice());
    println!("{label}: data channel up");

    // 2. Audio added on the live connection.
    let first =
        s.rt.block_on(s.pc.add_track(MediaTrack::audio("tone-1"), &["rtcweb"]))
            .unwrap();
    let _tone1 = tone(&s.rt, first.clone());
    let state = s.until("the first audio section", |_, st| {
        Session::stable(st) && st["transceivers"].as_array().is_some_and(|t| !t.is_empty())
    });
    let mid1 = state["transceivers"][0]["mid"].as_str().unwrap().to_owned();
    s.until("audio arriving on the first section", |_, st| {
        packets(st, &mid1) > 25
    });
    println!("{label}: audio added after the data channel: mid {mid1} receives");

    // 3. A second audio track.
    let second =
        s.rt.block_on(s.pc.add_track(MediaTrack::audio("tone-2"), &["rtcweb"]))
            .unwrap();
    let _tone2 = tone(&s.rt, second.clone());
    let state = s.until("the second audio section", |_, st| {
        Session::stable(st) && st["transceivers"].as_array().is_some_and(|t| t.len() == 2)
    });
    let mid2 = state["transceivers"][1]["mid"].as_str().unwrap().to_owned();
    s.until("audio arriving on the second section", |_, st| {
        packets(st, &mid2) > 25
    });
    println!("{label}: a second audio track: mid {mid2} receives");

    // 4. The second transceiver stops: the browser sees its section stopped.
    let t2 = second.transceiver();
    s.rt.block_on(s.pc.stop_transceiver(t2)).unwrap();
    s.until("the stopped transceiver", |_, st| {
        Session::stable(st)
            && transceiver(st, &mid2)
                .is_none_or(|t| t["current"].is_null() || t["current"] == "stopped")
    });
    println!("{label}: the second transceiver stopped");

    // 5. The browser sends too (its addTrack takes the transceiver of mid 1, which never
    // sent); then rtcweb's directions sendrecv → recvonly → inactive → sendrecv, each seen
    // from the browser's side (its current direction is ours reversed), audio reaching it
    // only while we send.
    s.browser.eval("lab.addMic()");
    s.until("the browser's microphone on mid 1", |_, st| {
        Session::stable(st) && transceiver(st, &mid1).is_some_and(|t| t["current"] == "sendrecv")
    });
    let t1 = first.transceiver();
    assert_eq!(s.rtcweb_transceiver(&mid1), t1);
    for (ours, theirs, flowing) in [
        (Direction::RecvOnly, "sendonly", false),
        (Direction::Inactive, "inactive", false),
        (Direction::SendRecv, "sendrecv", true),
    ] {
        s.rt.block_on(s.pc.set_direction(t1, ours)).unwrap();
        let state = s.until(&format!("direction {ours:?}"), |s, st| {
            Session::stable(st)
                && transceiver(st, &mid1).is_some_and(|t| t["current"] == theirs)
                && s.our_direction(t1) == Some(ours)
        });
        let before = packets(&state, &mid1);
        std::thread::sleep(Duration::from_millis(600));
        s.pump();
        let after = packets(&s.browser.eval("lab.state()"), &mid1);
        println!(
            "{label}: rtcweb {ours:?}, the browser's currentDirection {theirs}: {} packets in 0.6 s",
            after - before
        );
        assert_eq!(
            after - before > 10,
            flowing,
            "{label}: {ours:?}: {before} -> {after}"
        );
    }
    s.rt.block_on(s.pc.close()).unwrap();
}

#[test]
fn chromium_renegotiates_a_live_connection() {
    renegotiation("chromium_renegotiates_a_live_connection", false);
}

#[test]
fn firefox_renegotiates_a_live_connection() {
    renegotiation("firefox_renegotiates_a_live_connection", true);
}

/// rtcweb and the browser add a track at the same instant (glare), then the browser sends
/// DTMF, then hangs up.
fn glare_dtmf_hangup(name: &str, firefox: bool, rtcweb_polite: bool) {
    if !available(firefox) || run_in_namespace(name, true) {
        return;
    }
    let mut s = Session::new(firefox, rtcweb_polite);
    let label = format!(
        "{}, rtcweb {}",
        s.browser.name(),
        if rtcweb_polite { "polite" } else { "impolite" }
    );
    let ours =
        s.rt.block_on(s.pc.add_track(MediaTrack::audio("ours"), &["rtcweb"]))
            .unwrap();
    s.browser.eval("lab.addMic()");
    let _tone = tone(&s.rt, ours.clone());
    let state = s.until("both tracks negotiated", |s, st| {
        Session::stable(st)
            && st["connection"] == "connected"
            && !s.audio.is_empty()
            && st["inbound"]
                .as_object()
                .is_some_and(|m| m.values().any(|v| v.as_u64() > Some(25)))
    });
    println!(
        "{label}: glare settled: {} transceiver(s) in the browser, audio both ways",
        state["transceivers"].as_array().map_or(0, Vec::len)
    );
    // The browser's microphone reaches rtcweb as played audio.
    let mut track = s.audio.remove(0);
    let frames = s.rt.block_on(async {
        let mut n = 0;
        let until = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(Some(_)) = tokio::time::timeout_at(until, track.recv()).await {
            n += 1;
        }
        n
    });
    assert!(
        frames > 25,
        "{label}: {frames} frames of the browser's audio"
    );

    // DTMF from the browser.
    s.browser.eval("lab.dtmf('4*7')");
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.tones.len() < 3 && Instant::now() < deadline {
        s.pump();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(s.tones, ['4', '*', '7'], "{label}: DTMF");
    println!("{label}: DTMF 4*7 from the browser arrived as tones");

    // The browser hangs up: rtcweb's connection closes within a second.
    let hung_up = Instant::now();
    s.browser.eval("lab.close()");
    while s.closed_by_peer.is_none() && hung_up.elapsed() < Duration::from_secs(5) {
        s.pump_events_only();
        std::thread::sleep(Duration::from_millis(10));
    }
    let noticed = s
        .closed_by_peer
        .map(|t| t - hung_up)
        .unwrap_or_else(|| panic!("{label}: rtcweb did not notice the hang-up"));
    let info = s.rt.block_on(s.pc.info());
    println!("{label}: hang-up noticed after {noticed:.0?}; the connection is {info:?}");
    assert!(noticed < Duration::from_secs(1), "{label}: {noticed:?}");
    // The task (and its sockets) ended: the handle's commands find it gone.
    let deadline = Instant::now() + Duration::from_secs(1);
    while s.rt.block_on(s.pc.info()).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        s.rt.block_on(s.pc.info()).is_err(),
        "{label}: the connection's task still runs"
    );
}

impl Session {
    /// rtcweb's events only (the page's connection is closed).
    fn pump_events_only(&mut self) {
        while let Some(e) = self.events.try_recv() {
            if matches!(e, PeerConnectionEvent::ClosedByPeer) {
                self.closed_by_peer = Some(Instant::now());
            }
        }
    }
}

#[test]
fn chromium_glare_rtcweb_polite() {
    glare_dtmf_hangup("chromium_glare_rtcweb_polite", false, true);
}

#[test]
fn chromium_glare_rtcweb_impolite() {
    glare_dtmf_hangup("chromium_glare_rtcweb_impolite", false, false);
}

#[test]
fn firefox_glare_rtcweb_polite() {
    glare_dtmf_hangup("firefox_glare_rtcweb_polite", true, true);
}

#[test]
fn firefox_glare_rtcweb_impolite() {
    glare_dtmf_hangup("firefox_glare_rtcweb_impolite", true, false);
}
