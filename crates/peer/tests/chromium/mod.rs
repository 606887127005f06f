//! Headless Chromium for the peer tests: rtcweb-lab's DevTools client
//! (`rtcweb_lab::chromium`) with the flags these tests use, failing the test on any error,
//! and the offer/answer with a page's `rtc` object. Also: whether the test may run here,
//! and a fresh network namespace to run it in (`rtcweb_lab::isolate`).
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::sync::mpsc;

use rtcweb_lab::isolate;
use serde_json::{Value, json};

#[allow(unused_imports)] // each test binary uses a part
pub use rtcweb_lab::chromium::available;
#[allow(unused_imports)]
pub use rtcweb_lab::isolate::VETH_ADDRESS;

/// A page's side for the data-channel tests, with the `rtc.offer()`, `rtc.answer(sdp)`,
/// `rtc.accept(sdp)` and `rtc.candidate(..)` that [`Chromium::exchange`] calls: an
/// `RTCPeerConnection` whose data channels echo every message, with a send queue that
/// respects `bufferedAmount` (Chromium closes a channel whose buffer passes 16 MiB).
pub const ECHO_PAGE_SCRIPT: &str = r#"
window.rtc = {
  pc: null,
  channels: [],
  echo(dc) {
    dc.binaryType = 'arraybuffer';
    const queue = [];
    dc.bufferedAmountLowThreshold = 1 << 20;
    const pump = () => {
      while (queue.length && dc.bufferedAmount < (4 << 20)) dc.send(queue.shift());
    };
    dc.onmessage = (e) => { queue.push(e.data); pump(); };
    dc.onbufferedamountlow = pump;
    rtc.channels.push(dc);
  },
  config: {},
  make() {
    const pc = new RTCPeerConnection(rtc.config);
    pc.ondatachannel = (e) => rtc.echo(e.channel);
    rtc.pc = pc;
    return pc;
  },
  gathered(pc) {
    return new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
  },
  async offer() {
    const pc = rtc.make();
    rtc.echo(pc.createDataChannel('echo'));
    await pc.setLocalDescription(await pc.createOffer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async answer(sdp) {
    const pc = rtc.make();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(sdp) { await rtc.pc.setRemoteDescription({ type: 'answer', sdp }); },
  async candidate(candidate, sdpMid) { await rtc.pc.addIceCandidate({ candidate, sdpMid }); },
  async stats() {
    const out = { connectionState: rtc.pc.connectionState, channels: [] };
    (await rtc.pc.getStats()).forEach((r) => {
      if (r.type === 'transport') out.transport = r;
      if (r.type === 'data-channel') out.channels.push(r);
      if (r.type === 'candidate-pair' && r.nominated) out.pair = r;
    });
    return out;
  },
  open(label) {
    const dc = rtc.pc.createDataChannel(label);
    rtc.echo(dc);
    return new Promise((resolve) => { dc.onopen = () => resolve(true); });
  },
  closeLabel(label) {
    rtc.channels.find((c) => c.label === label).close();
    return true;
  },
  closed(index, ms) {
    const dc = rtc.channels[index];
    return new Promise((resolve) => {
      if (dc.readyState === 'closed') return resolve(true);
      dc.addEventListener('close', () => resolve(true));
      setTimeout(() => resolve(dc.readyState === 'closed'), ms);
    });
  },
};
true
"#;

/// Runs the test `name` again, in a new network namespace whose only interface is `lo`,
/// so that nothing leaves the machine. Returns true when it did (and it passed); false
/// when the caller should run the test itself: it is the re-executed one, or namespaces
/// are not available here (said on stdout).
pub fn run_in_network_namespace(name: &str) -> bool {
    isolate::run_in_namespace(name, false)
}

/// As [`run_in_network_namespace`], with a veth pair in the namespace (`veth0` holding
/// [`VETH_ADDRESS`], from RFC 5737) and the default route through it: Chromium gathers
/// (and obfuscates with mDNS) a host candidate there, which it does not do on `lo`; the
/// address exists only in the namespace.
pub fn run_in_network_namespace_with_veth(name: &str) -> bool {
    isolate::run_in_namespace(name, true)
}

/// The audio page (`chromium_audio.rs`, `chromium_echo.rs`): an `RTCPeerConnection` that sends the fake microphone (audio processing off,
/// so the beep arrives as sent) and plays the remote track in an `<audio>` element.
pub const AUDIO_PAGE_SCRIPT: &str = r#"
window.rtc = {
  pc: null,
  async make() {
    const pc = new RTCPeerConnection();
    pc.ontrack = (e) => {
      const audio = document.createElement('audio');
      audio.autoplay = true;
      audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      document.body.appendChild(audio);
    };
    rtc.pc = pc;
    rtc.mic = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, autoGainControl: false, noiseSuppression: false },
    });
    return pc;
  },
  // The codec Chromium is to use ('audio/opus' or G.711), preferred on every transceiver.
  codec: 'audio/opus',
  addMic(pc) {
    for (const t of rtc.mic.getAudioTracks()) pc.addTrack(t, rtc.mic);
    const codecs = RTCRtpReceiver.getCapabilities('audio').codecs
      .filter((c) => c.mimeType === rtc.codec);
    for (const t of pc.getTransceivers()) t.setCodecPreferences(codecs);
  },
  gathered(pc) {
    return new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
  },
  // Whether the offer signalled to rtcweb asks for DTX (RFC 7587 §6.1 `usedtx=1`): the
  // SDP rtcweb reads says so, Chromium decodes DTX either way.
  dtx: false,
  async offer() {
    const pc = await rtc.make();
    rtc.addMic(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await rtc.gathered(pc);
    const sdp = pc.localDescription.sdp;
    return rtc.dtx ? sdp.replace('useinbandfec=1', 'useinbandfec=1;usedtx=1') : sdp;
  },
  async answer(sdp) {
    const pc = await rtc.make();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    rtc.addMic(pc);
    await pc.setLocalDescription(await pc.createAnswer());
    await rtc.gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(sdp) { await rtc.pc.setRemoteDescription({ type: 'answer', sdp }); },
  async candidate(candidate, sdpMid) { await rtc.pc.addIceCandidate({ candidate, sdpMid }); },
  async stats() {
    const out = { connectionState: rtc.pc.connectionState };
    (await rtc.pc.getStats()).forEach((r) => {
      if (r.type === 'transport') out.transport = r;
      if (r.type === 'inbound-rtp' && r.kind === 'audio') out.inbound = r;
      if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outbound = r;
      if (r.type === 'codec' && r.mimeType === rtc.codec) out.codec = r;
    });
    return out;
  },
};
true
"#;

/// A headless Chromium with a fresh profile; dropping it closes the browser.
pub struct Chromium(rtcweb_lab::chromium::Chromium);

impl Chromium {
    /// Starts Chromium (host candidates on loopback allowed, without mDNS names).
    pub fn launch() -> Self {
        Self::launch_with_mdns(false)
    }

    /// Starts Chromium as [`launch`](Self::launch) does, with `extra` flags.
    pub fn launch_with(extra: &[&str]) -> Self {
        let mut flags = vec![
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
        ];
        flags.extend_from_slice(extra);
        Self(rtcweb_lab::chromium::Chromium::launch(&flags).expect("chromium starts"))
    }

    /// Starts Chromium; with `mdns`, host candidates are obfuscated as `<uuid>.local`
    /// names, as browsers do by default.
    pub fn launch_with_mdns(mdns: bool) -> Self {
        let mut flags = vec!["--allow-loopback-in-peer-connection"];
        if !mdns {
            // Host candidates with their IP, not an mDNS name, unless mDNS is the point.
            flags.push("--disable-features=WebRtcHideLocalIpsWithMdns");
        }
        Self(rtcweb_lab::chromium::Chromium::launch(&flags).expect("chromium starts"))
    }

    /// One CDP call (to the browser, or to a page's session); the result, or the
    /// protocol's error as a panic.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.0
            .call(session, method, params)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Chromium's product string (`Chrome/156...`).
    pub fn version(&mut self) -> String {
        self.0.version().expect("Chromium's version")
    }

    /// A new blank page; its session id.
    pub fn new_page(&mut self) -> String {
        self.0.new_page().expect("a new page")
    }

    /// A new page at `url`, once loaded; its session id.
    pub fn new_page_at(&mut self, url: &str) -> String {
        self.0.new_page_at(url).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Evaluates JavaScript in a page, awaiting a promise result; the value as JSON (`null`
    /// for `undefined`). A thrown exception is a panic with its description.
    pub fn evaluate(&mut self, page: &str, expression: &str) -> Value {
        self.0
            .evaluate(page, expression)
            .unwrap_or_else(|e| panic!("{e}\n  in: {expression:.200}"))
    }
}

impl Chromium {
    /// One offer/answer between `pc` and the page's `rtc` object (`rtc.offer()`,
    /// `rtc.answer(sdp)`, `rtc.accept(sdp)`: Chromium offers when `chromium_offers`), then
    /// our candidates trickled to `rtc.candidate(candidate, mid)` until gathering completes.
    /// The page gathers before it returns a description, so its candidates travel in it.
    pub fn exchange(
        &mut self,
        page: &str,
        rt: &tokio::runtime::Runtime,
        pc: &rtcweb_peer::driver::PeerConnection,
        chromium_offers: bool,
        seen: &mpsc::Receiver<crate::peer_events::Seen>,
    ) {
        use rtcweb_peer::{Description, SdpType};
        if chromium_offers {
            let offer = self.evaluate(page, "rtc.offer()");
            let offer = offer.as_str().expect("the offer's SDP").to_owned();
            rt.block_on(pc.set_remote_description(&Description {
                kind: SdpType::Offer,
                sdp: offer,
            }))
            .expect("Chromium's offer applies");
            let answer = rt.block_on(pc.create_answer()).expect("an answer");
            rt.block_on(pc.set_local_description(&answer))
                .expect("our answer applies");
            self.evaluate(page, &format!("rtc.accept({})", json!(answer.sdp)));
        } else {
            let offer = rt.block_on(pc.create_offer()).expect("an offer");
            rt.block_on(pc.set_local_description(&offer))
                .expect("our offer applies");
            let answer = self.evaluate(page, &format!("rtc.answer({})", json!(offer.sdp)));
            let answer = answer.as_str().expect("the answer's SDP").to_owned();
            rt.block_on(pc.set_remote_description(&Description {
                kind: SdpType::Answer,
                sdp: answer,
            }))
            .expect("Chromium's answer applies");
        }
        crate::peer_events::trickle(seen, |mid, candidate| {
            self.evaluate(
                page,
                &format!("rtc.candidate({}, {})", json!(candidate), json!(mid)),
            );
        });
    }

    /// The first data channel between `pc` and the page, open: rtcweb makes one labelled
    /// `echo` before it offers, or the page's offer brings its own; then [`exchange`]
    /// (Self::exchange) and the wait (20 s at most) for the channel to open at rtcweb.
    #[allow(clippy::too_many_arguments)]
    pub fn open_first_channel(
        &mut self,
        page: &str,
        rt: &tokio::runtime::Runtime,
        pc: &rtcweb_peer::driver::PeerConnection,
        chromium_offers: bool,
        seen: &mpsc::Receiver<crate::peer_events::Seen>,
        incoming: &mut tokio::sync::mpsc::UnboundedReceiver<rtcweb_peer::driver::DataChannel>,
    ) -> rtcweb_peer::driver::DataChannel {
        use std::time::Duration;
        use tokio::time::timeout;
        let ours = (!chromium_offers).then(|| {
            rt.block_on(pc.create_data_channel("echo", rtcweb_peer::DataChannelInit::default()))
                .expect("a data channel")
        });
        self.exchange(page, rt, pc, chromium_offers, seen);
        let channel = match ours {
            Some(channel) => channel,
            None => rt
                .block_on(timeout(Duration::from_secs(20), incoming.recv()))
                .expect("Chromium's channel reaches rtcweb in time")
                .expect("a channel"),
        };
        rt.block_on(timeout(Duration::from_secs(20), channel.opened()))
            .expect("the channel opens in time")
            .expect("the channel opens");
        channel
    }
}

/// Serves `html` at `http://127.0.0.1:<port>/` for every GET until the test process ends;
/// the URL (see `rtcweb_lab::chromium::serve_page`).
pub fn serve_page(html: &'static str) -> String {
    rtcweb_lab::chromium::serve_page(html).expect("a loopback port")
}
