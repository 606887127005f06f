//! An rtcweb peer for the NAT lab, driven over the lab's line protocol (see the crate
//! docs, `rtcweb_lab::agent`): one JSON command per line on stdin, one reply per line on
//! stdout. Run inside a lab host's namespace; it binds its one host address (given on the
//! command line), sends a 440 Hz tone once connected, and echoes every data-channel message.

#![allow(clippy::disallowed_methods)] // a program: it reads the clock
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::BufRead;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtcweb_common::Transport;
use rtcweb_media::{AudioSource, PcmFrame, ToneSource};
use rtcweb_peer::driver::{
    DataChannel, DriverConfig, Events, PeerConnection, PeerConnectionEvent, RemoteAudioTrack,
    RtpSender,
};
use rtcweb_peer::{
    CandidateStats, DataChannelInit, Description, GatheringState, IceServer, MediaTrack,
    PeerConnectionState, SdpType, StatsKind, StatsReport, TransportPolicy,
};
use rtcweb_turn::rustls::pki_types::{CertificateDer, ServerName};
use rtcweb_turn::rustls::time_provider::DefaultTimeProvider;
use rtcweb_turn::{ServerVerification, TlsConfig};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, watch};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The tone this peer sends.
const TONE_HZ: f64 = 440.0;

/// What the event task saw.
#[derive(Debug, Default)]
struct Seen {
    candidates: Vec<(String, String)>,
    gathering_complete: bool,
    state: Option<PeerConnectionState>,
    /// When the state became connected or failed.
    settled_at: Option<Instant>,
    failure: Option<String>,
    candidate_errors: Vec<String>,
}

/// What was heard on the remote audio track.
#[derive(Debug, Default, Clone)]
struct Heard {
    frames: u64,
    concealed: u64,
    /// The loud samples (up to a second of them), for the frequency.
    loud: Vec<i16>,
}

/// Loud samples kept for the frequency: one second.
const LOUD_KEPT: usize = 48_000;

struct Agent {
    pc: PeerConnection,
    seen: Arc<Mutex<Seen>>,
    changed: watch::Receiver<u64>,
    heard: Arc<Mutex<Heard>>,
    channel: Option<DataChannel>,
    audio: RtpSender,
    remote_applied: Option<Instant>,
    connected_after: Option<Duration>,
}

fn parse_ice_servers(value: &Value) -> Result<Vec<IceServer>, Error> {
    let mut servers = Vec::new();
    let Some(list) = value.as_array() else {
        return Ok(servers);
    };
    for server in list {
        let urls: Vec<&str> = match &server["urls"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let username = server["username"].as_str().unwrap_or_default().to_owned();
        let password = server["credential"].as_str().unwrap_or_default().to_owned();
        for url in urls {
            let (scheme, rest) = url
                .split_once(':')
                .ok_or("an ICE server URL has a scheme")?;
            let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
            let address: SocketAddr = hostport.parse()?;
            let transport = match (scheme, query) {
                ("turns", _) => Transport::Tls,
                (_, "transport=tcp") => Transport::Tcp,
                _ => Transport::Udp,
            };
            servers.push(match scheme {
                "stun" => IceServer::Stun { address },
                "turn" | "turns" => {
                    let tls = if transport == Transport::Tls {
                        let der = server["certificate_der_hex"]
                            .as_str()
                            .ok_or("turns: needs the server's pinned certificate")?;
                        let der = (0..der.len() / 2)
                            .map(|i| u8::from_str_radix(&der[2 * i..2 * i + 2], 16))
                            .collect::<Result<Vec<u8>, _>>()?;
                        Some(TlsConfig::new(
                            ServerName::IpAddress(address.ip().into()),
                            ServerVerification::Pinned(CertificateDer::from(der)),
                            Arc::new(DefaultTimeProvider),
                        )?)
                    } else {
                        None
                    };
                    IceServer::Turn {
                        address,
                        transport,
                        username: username.clone(),
                        password: password.clone(),
                        tls,
                    }
                }
                other => return Err(format!("unknown ICE server scheme {other}").into()),
            });
        }
    }
    Ok(servers)
}

fn candidates_of(value: &Value) -> Vec<(Option<String>, String)> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some((
                        c["mid"].as_str().map(str::to_owned),
                        c["candidate"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Agent {
    async fn new(address: IpAddr, command: &Value) -> Result<Self, Error> {
        let mut config = DriverConfig {
            interfaces: vec![address],
            ..DriverConfig::default()
        };
        config.peer.ice_servers = parse_ice_servers(&command["ice_servers"])?;
        if command["policy"].as_str() == Some("relay") {
            config.peer.ice_transport_policy = TransportPolicy::Relay;
        }
        let (pc, events) = PeerConnection::new(config).await?;
        let audio = pc.add_track(MediaTrack::audio("tone"), &["lab"]).await?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let heard = Arc::new(Mutex::new(Heard::default()));
        let (tx, changed) = watch::channel(0u64);
        tokio::spawn(watch_events(events, seen.clone(), heard.clone(), tx));
        Ok(Self {
            pc,
            seen,
            changed,
            heard,
            channel: None,
            audio,
            remote_applied: None,
            connected_after: None,
        })
    }

    /// Waits until `done` holds of what was seen, or the timeout.
    async fn wait_for(&mut self, timeout: Duration, done: impl Fn(&Seen) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if done(&*self.seen.lock().await) {
                return true;
            }
            if tokio::time::timeout_at(deadline, self.changed.changed())
                .await
                .is_err()
            {
                return false;
            }
        }
    }

    async fn local(&mut self, description: Description) -> Result<Value, Error> {
        self.pc.set_local_description(&description).await?;
        self.wait_for(Duration::from_secs(15), |s| s.gathering_complete)
            .await;
        let seen = self.seen.lock().await;
        let candidates: Vec<Value> = seen
            .candidates
            .iter()
            .map(|(mid, c)| json!({ "mid": mid, "candidate": c }))
            .collect();
        Ok(json!({ "sdp": description.sdp, "candidates": candidates }))
    }

    async fn remote(&mut self, kind: SdpType, command: &Value) -> Result<(), Error> {
        let sdp = command["sdp"].as_str().ok_or("no sdp")?.to_owned();
        self.pc
            .set_remote_description(&Description { kind, sdp })
            .await?;
        self.remote_applied = Some(Instant::now());
        for (mid, candidate) in candidates_of(&command["candidates"]) {
            if let Err(e) = self.pc.add_ice_candidate(mid.as_deref(), &candidate).await {
                eprintln!("lab-peer: candidate refused ({e}): {candidate}");
            }
        }
        // End of candidates: the peer gathered them all before signalling.
        self.pc.add_ice_candidate(None, "").await?;
        Ok(())
    }

    async fn handle(&mut self, command: &Value) -> Result<Value, Error> {
        match command["cmd"].as_str().unwrap_or_default() {
            "offer" => {
                self.channel = Some(
                    self.pc
                        .create_data_channel("echo", DataChannelInit::default())
                        .await?,
                );
                let offer = self.pc.create_offer().await?;
                self.local(offer).await
            }
            "answer" => {
                self.remote(SdpType::Offer, command).await?;
                let answer = self.pc.create_answer().await?;
                self.local(answer).await
            }
            "accept" => {
                self.remote(SdpType::Answer, command).await?;
                Ok(json!({}))
            }
            "connected" => {
                let timeout =
                    Duration::from_millis(command["timeout_ms"].as_u64().unwrap_or(30_000));
                let ok = self
                    .wait_for(timeout, |s| {
                        matches!(
                            s.state,
                            Some(PeerConnectionState::Connected | PeerConnectionState::Failed)
                        )
                    })
                    .await;
                let seen = self.seen.lock().await;
                let connected = ok && seen.state == Some(PeerConnectionState::Connected);
                if self.connected_after.is_none()
                    && let (Some(from), Some(to)) = (self.remote_applied, seen.settled_at)
                {
                    self.connected_after = Some(to.saturating_duration_since(from));
                }
                let pair = selected_pair(&self.pc.stats().await?);
                if connected {
                    tokio::spawn(send_tone(self.audio.clone()));
                }
                Ok(json!({
                    "connected": connected,
                    "ms": self.connected_after.map(|d| d.as_secs_f64() * 1e3),
                    "state": format!("{:?}", seen.state),
                    "failure": seen.failure,
                    "candidate_errors": seen.candidate_errors,
                    "pair": pair,
                }))
            }
            "ping" => {
                let count = command["count"].as_u64().unwrap_or(10) as usize;
                let channel = self
                    .channel
                    .as_mut()
                    .ok_or("no channel (not the offerer)")?;
                tokio::time::timeout(Duration::from_secs(10), channel.opened()).await??;
                let mut rtts = Vec::new();
                for i in 0..count {
                    let text = format!("ping {i}");
                    let sent = Instant::now();
                    channel.send_text(text.clone()).await?;
                    let back = tokio::time::timeout(Duration::from_secs(10), channel.recv())
                        .await
                        .map_err(|_| format!("{text}: no echo in 10 s"))?
                        .ok_or("channel closed")?;
                    if back.data != text.as_bytes() {
                        return Err(format!("{text} came back altered").into());
                    }
                    rtts.push(sent.elapsed().as_secs_f64() * 1e3);
                }
                rtts.sort_by(f64::total_cmp);
                Ok(json!({ "echoed": count, "rtt_ms": rtts.get(count / 2) }))
            }
            "audio" => {
                let h = self.heard.lock().await.clone();
                let hz = rtcweb_media::analysis::peak_frequency(&h.loud, 48_000);
                Ok(json!({ "frames": h.frames, "concealed": h.concealed, "hz": hz }))
            }
            "stats" => Ok(self.pc.stats().await?.to_json()),
            "close" => {
                self.pc.close().await?;
                Ok(json!({}))
            }
            other => Err(format!("unknown command {other}").into()),
        }
    }
}

/// The selected pair as the stats report (webrtc-stats) shows it: `{local, remote,
/// relay_protocol}`, each candidate as `type protocol [tcpType] address:port` (`relay udp
/// 203.0.113.1:50123`, `host tcp passive 203.0.113.20:40000`); `None` before one is
/// selected.
fn selected_pair(stats: &StatsReport) -> Option<Value> {
    let pair_id = stats.iter().find_map(|s| match &s.kind {
        StatsKind::Transport(t) => t.selected_candidate_pair_id.clone(),
        _ => None,
    })?;
    let StatsKind::CandidatePair(pair) = &stats.get(&pair_id)?.kind else {
        return None;
    };
    let candidate = |id: &Option<String>| match &stats.get(id.as_deref()?)?.kind {
        StatsKind::LocalCandidate(c) | StatsKind::RemoteCandidate(c) => Some(c.clone()),
        _ => None,
    };
    let (local, remote) = (
        candidate(&pair.local_candidate_id)?,
        candidate(&pair.remote_candidate_id)?,
    );
    let describe = |c: &CandidateStats| {
        let tcp_type = c.tcp_type.map(|t| format!(" {t}")).unwrap_or_default();
        format!(
            "{} {}{tcp_type} {}:{}",
            c.candidate_type, c.protocol, c.address, c.port
        )
    };
    Some(json!({
        "local": describe(&local),
        "remote": describe(&remote),
        "relay_protocol": local.relay_protocol,
    }))
}

async fn watch_events(
    mut events: Events,
    seen: Arc<Mutex<Seen>>,
    heard: Arc<Mutex<Heard>>,
    changed: watch::Sender<u64>,
) {
    let started = Instant::now();
    let mut n = 0;
    while let Some(event) = events.recv().await {
        {
            let mut s = seen.lock().await;
            match event {
                PeerConnectionEvent::LocalCandidate(c) => s.candidates.push((c.mid, c.candidate)),
                PeerConnectionEvent::IceGatheringState(GatheringState::Complete) => {
                    s.gathering_complete = true;
                }
                PeerConnectionEvent::ConnectionState(state) => {
                    if matches!(
                        state,
                        PeerConnectionState::Connected | PeerConnectionState::Failed
                    ) && s.settled_at.is_none()
                    {
                        s.settled_at = Some(Instant::now());
                    }
                    s.state = Some(state);
                }
                PeerConnectionEvent::Failed(reason) => s.failure = Some(reason.to_string()),
                PeerConnectionEvent::IceCandidateError(error) => {
                    s.candidate_errors.push(format!(
                        "{error} after {} ms",
                        started.elapsed().as_millis()
                    ));
                }
                PeerConnectionEvent::DataChannel(channel) => {
                    tokio::spawn(echo(channel));
                }
                PeerConnectionEvent::AudioTrack(track) => {
                    tokio::spawn(listen(track, heard.clone()));
                }
                _ => {}
            }
        }
        n += 1;
        let _ = changed.send(n);
    }
}

async fn echo(mut channel: DataChannel) {
    while let Some(m) = channel.recv().await {
        if channel.send(m).await.is_err() {
            break;
        }
    }
}

async fn send_tone(track: RtpSender) {
    let mut tone = ToneSource::new(TONE_HZ, 10_000.0, 48_000, 1);
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
        if track.send_audio(frame, None).await.is_err() {
            return;
        }
    }
}

async fn listen(mut track: RemoteAudioTrack, heard: Arc<Mutex<Heard>>) {
    while let Some(frame) = track.recv().await {
        let mut h = heard.lock().await;
        h.frames += 1;
        if frame.concealed {
            h.concealed += 1;
            continue;
        }
        // The frequency from loud frames only (RMS above 500 of 32768): decoded silence
        // says nothing.
        let loud = rtcweb_media::analysis::rms(&frame.samples) > 500.0 / 32768.0;
        if loud && h.loud.len() + frame.samples.len() <= LOUD_KEPT {
            h.loud.extend_from_slice(&frame.samples);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let address: IpAddr = std::env::args()
        .nth(1)
        .ok_or("usage: lab-peer <host address>")?
        .parse()?;
    let (lines_tx, mut lines) = mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if lines_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let mut agent: Option<Agent> = None;
    while let Some(line) = lines.recv().await {
        let command: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                println!("{}", json!({ "error": format!("not JSON: {e}") }));
                continue;
            }
        };
        let reply = match (&mut agent, command["cmd"].as_str()) {
            (None, Some("configure")) => match Agent::new(address, &command).await {
                Ok(a) => {
                    agent = Some(a);
                    Ok(json!({}))
                }
                Err(e) => Err(e),
            },
            (None, _) => Err("configure first".into()),
            (Some(a), _) => a.handle(&command).await,
        };
        let reply = reply.unwrap_or_else(|e| json!({ "error": e.to_string() }));
        println!("{reply}");
        if command["cmd"].as_str() == Some("close") {
            break;
        }
    }
    Ok(())
}
