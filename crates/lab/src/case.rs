//! One lab case: a NAT lab, coturn on its wan, two peers (rtcweb, Chromium, Firefox or
//! aiortc) in its hosts (behind its routers, or one on the wan host), an offer/answer between them, and what came of it: the selected pairs, the
//! time to connected, a data-channel echo and the tone each side heard.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    Agent, Coturn, LabError, Namespace, NatLab, PASSWORD, SERVER, Site, SoundServer, TLS_PORT,
    USER, WAN_HOST, Wan,
};

/// Which stack a peer runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerKind {
    /// rtcweb's `lab-peer` (the path of the binary).
    Rtcweb(PathBuf),
    /// Headless Chromium through `lab-chromium` (the path of the binary).
    Chromium(PathBuf),
    /// Headless Firefox through `lab-firefox` (the path of the binary).
    Firefox(PathBuf),
    /// aiortc: the virtualenv's Python running `lab_peer.py`.
    Aiortc(PathBuf),
}

impl PeerKind {
    /// "rtcweb", "Chromium", "Firefox" or "aiortc".
    pub fn name(&self) -> &'static str {
        match self {
            Self::Rtcweb(_) => "rtcweb",
            Self::Chromium(_) => "Chromium",
            Self::Firefox(_) => "Firefox",
            Self::Aiortc(_) => "aiortc",
        }
    }

    /// The command that runs it in `host`, whose address is `ip`.
    fn command(&self, host: &Namespace, ip: std::net::Ipv4Addr) -> Command {
        match self {
            Self::Rtcweb(exe) => {
                let mut c = host.command(exe);
                c.arg(ip.to_string());
                c
            }
            Self::Chromium(exe) | Self::Firefox(exe) => host.command(exe),
            Self::Aiortc(python) => {
                let mut c = host.command(python);
                c.arg(crate::aiortc::lab_peer_script())
                    .env("PYTHONUNBUFFERED", "1");
                c
            }
        }
    }
}

/// The TURN transports a peer is given (with STUN on the same server, always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// `turn:…?transport=udp`.
    Udp,
    /// `turn:…?transport=tcp`.
    Tcp,
    /// `turns:…` (TLS; rtcweb pins the server's certificate).
    Tls,
}

/// One peer's settings.
#[derive(Debug, Clone)]
pub struct Side {
    /// Its stack.
    pub kind: PeerKind,
    /// Its router.
    pub site: Site,
    /// It runs on the wan host ([`WAN_HOST`], no NAT in front of it) instead of behind its
    /// router; `site` then shapes only the router nobody is behind.
    pub on_wan: bool,
    /// Its TURN servers.
    pub turn: Vec<Turn>,
    /// The TURN password it uses (the server knows [`PASSWORD`]).
    pub password: String,
    /// It is given coturn as its `stun:` server (else no STUN server at all).
    pub stun: bool,
}

impl Side {
    /// A peer of `kind` behind `site`, with STUN and TURN over UDP and the right password.
    pub fn new(kind: PeerKind, site: Site) -> Self {
        Self {
            kind,
            site,
            on_wan: false,
            turn: vec![Turn::Udp],
            password: PASSWORD.to_owned(),
            stun: true,
        }
    }

    /// A peer of `kind` on the wan host, with STUN and TURN over UDP.
    pub fn on_wan(kind: PeerKind) -> Self {
        Self {
            on_wan: true,
            ..Self::new(kind, Site::new(crate::Nat::PortKeeping))
        }
    }

    /// Where it runs in `lab` as side `i`: the namespace and its address.
    fn host<'a>(&self, lab: &'a NatLab, i: usize) -> (&'a Namespace, std::net::Ipv4Addr) {
        if self.on_wan {
            (lab.wan_host(), WAN_HOST)
        } else {
            (lab.host(i), NatLab::host_ip(i))
        }
    }

    /// The same with these TURN transports.
    pub fn with_turn(mut self, turn: &[Turn]) -> Self {
        self.turn = turn.to_vec();
        self
    }

    /// The same without a `stun:` server: no server-reflexive candidate (but what a TURN
    /// server's answer shows).
    pub fn without_stun(mut self) -> Self {
        self.stun = false;
        self
    }

    /// The same with a password the server refuses.
    pub fn with_wrong_password(mut self) -> Self {
        self.password = "not-the-password".to_owned();
        self
    }

    fn ice_servers(&self, coturn: &Coturn) -> Value {
        let mut servers = Vec::new();
        if self.stun {
            servers.push(json!({ "urls": [format!("stun:{SERVER}:3478")] }));
        }
        let der: String = coturn
            .certificate
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for t in &self.turn {
            let url = match t {
                Turn::Udp => format!("turn:{SERVER}:3478?transport=udp"),
                Turn::Tcp => format!("turn:{SERVER}:3478?transport=tcp"),
                Turn::Tls => format!("turns:{SERVER}:{TLS_PORT}?transport=tcp"),
            };
            servers.push(json!({
                "urls": [url],
                "username": USER,
                "credential": self.password,
                "certificate_der_hex": der,
            }));
        }
        Value::Array(servers)
    }
}

/// What one side reported.
#[derive(Debug, Clone)]
pub struct SideOutcome {
    /// Its stack.
    pub name: &'static str,
    /// Whether it connected.
    pub connected: bool,
    /// Time from applying the remote description to connected (or failed), in ms.
    pub ms: Option<f64>,
    /// `type protocol [tcpType] address:port` (webrtc-stats), its selected pair's local
    /// candidate.
    pub local: Option<String>,
    /// The remote candidate of its selected pair.
    pub remote: Option<String>,
    /// How its selected local candidate reaches the TURN server, when it is relayed
    /// (webrtc-stats `relayProtocol`: "udp", "tcp", "tls").
    pub relay_protocol: Option<String>,
    /// Its failure reason, when it failed.
    pub failure: Option<String>,
    /// What STUN and TURN servers refused or left unanswered (rtcweb reports these).
    pub candidate_errors: Vec<String>,
    /// Frequency of the remote tone it heard (Hz), and frames received.
    pub heard_hz: f64,
    /// Remote audio frames (or packets) received.
    pub audio_frames: u64,
}

impl SideOutcome {
    /// Reads what an agent reported to `connected` (`report`) and to `audio`; what is
    /// missing or of another type reads as not connected, unknown or none.
    pub fn from_reports(name: &'static str, report: &Value, audio: &Value) -> Self {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        Self {
            name,
            connected: report["connected"] == true,
            ms: report["ms"].as_f64(),
            local: text(&report["pair"]["local"]),
            remote: text(&report["pair"]["remote"]),
            relay_protocol: text(&report["pair"]["relay_protocol"]),
            failure: text(&report["failure"]),
            candidate_errors: report["candidate_errors"]
                .as_array()
                .map(|a| a.iter().filter_map(text).collect())
                .unwrap_or_default(),
            heard_hz: audio["hz"].as_f64().unwrap_or(0.0),
            audio_frames: audio["frames"].as_u64().unwrap_or(0),
        }
    }
}

/// What a case came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The offerer (site 0) and the answerer (site 1).
    pub sides: [SideOutcome; 2],
    /// Data-channel messages echoed back to the offerer, and their median round trip.
    pub echoed: u64,
    /// Median data-channel round trip (ms).
    pub rtt_ms: f64,
    /// From the offer command to both sides settled, wall time.
    pub total: Duration,
    /// coturn's log (for failures and request counts).
    pub coturn_log: String,
}

impl Outcome {
    /// One line for the report.
    pub fn line(&self) -> String {
        let side = |s: &SideOutcome| {
            format!(
                "{} {} in {} ms via {}{} <-> {}{}",
                s.name,
                if s.connected { "connected" } else { "FAILED" },
                s.ms.map_or("?".to_owned(), |m| format!("{m:.0}")),
                s.local.as_deref().unwrap_or("-"),
                s.relay_protocol
                    .as_ref()
                    .map_or(String::new(), |p| format!(" (relay over {p})")),
                s.remote.as_deref().unwrap_or("-"),
                s.failure
                    .as_ref()
                    .map_or(String::new(), |f| format!(" ({f})")),
            )
        };
        format!(
            "offerer {}; answerer {}; echo {} msgs rtt {:.1} ms; tones heard {:.0} Hz / {:.0} Hz",
            side(&self.sides[0]),
            side(&self.sides[1]),
            self.echoed,
            self.rtt_ms,
            self.sides[0].heard_hz,
            self.sides[1].heard_hz,
        )
    }
}

/// How long each step may take.
const STEP: Duration = Duration::from_secs(30);

/// What a case does once the peers run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// How long the peers may take to connect (or fail).
    pub connect_timeout: Duration,
    /// Data-channel messages the offerer sends and expects back.
    pub messages: u64,
    /// How long the tones play once connected.
    pub listen: Duration,
    /// What lies beyond the wan.
    pub wan: Wan,
}

impl Default for Plan {
    /// 30 s to connect, 20 messages, 2 s of tones, the internet beyond the wan.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            messages: 20,
            listen: Duration::from_secs(2),
            wan: Wan::Internet,
        }
    }
}

/// Builds the lab, starts coturn and both peers, connects them (the first offers), and,
/// when they connect, echoes messages on the data channel and lets the tones play. A peer
/// that fails is an outcome, not an error; an error is a lab that could not be built or a
/// peer that stopped answering.
pub fn run(offerer: &Side, answerer: &Side, plan: Plan) -> Result<Outcome, LabError> {
    let Plan {
        connect_timeout,
        messages,
        listen,
        wan,
    } = plan;
    let lab = NatLab::with_wan(offerer.site, answerer.site, wan)?;
    let coturn = Coturn::start(lab.wan())?;
    let sides = [offerer, answerer];
    // Firefox keeps the AudioContext that measures what it hears suspended unless it has
    // somewhere to play: a sound server of the case's own (named after the lab, unique).
    let sound = sides
        .iter()
        .any(|s| matches!(s.kind, PeerKind::Firefox(_)))
        .then(|| SoundServer::start(lab.wan().name()))
        .transpose()?;
    let mut agents = Vec::new();
    for (i, side) in sides.iter().enumerate() {
        let name = format!(
            "{} ({})",
            side.kind.name(),
            if i == 0 { "offerer" } else { "answerer" }
        );
        let (host, ip) = side.host(&lab, i);
        let mut command = side.kind.command(host, ip);
        if let Some(sound) = &sound {
            command.env("PULSE_SERVER", sound.pulse_server());
        }
        let mut agent = Agent::spawn(&name, command)?;
        agent.call(
            json!({ "cmd": "configure", "ice_servers": side.ice_servers(&coturn), "policy": "all" }),
            STEP,
        )?;
        agents.push(agent);
    }
    let started = Instant::now();
    let offer = agents[0].call(json!({ "cmd": "offer" }), STEP)?;
    let answer = agents[1].call(
        json!({ "cmd": "answer", "sdp": offer["sdp"], "candidates": offer["candidates"] }),
        STEP,
    )?;
    agents[0].call(
        json!({ "cmd": "accept", "sdp": answer["sdp"], "candidates": answer["candidates"] }),
        STEP,
    )?;
    let wait = json!({ "cmd": "connected", "timeout_ms": connect_timeout.as_millis() as u64 });
    let mut reports = Vec::new();
    for agent in &mut agents {
        reports.push(agent.call(wait.clone(), connect_timeout + STEP)?);
    }
    let total = started.elapsed();
    let both = reports.iter().all(|r| r["connected"] == true);
    let (mut echoed, mut rtt_ms) = (0, 0.0);
    if both && messages > 0 {
        let ping = agents[0].call(json!({ "cmd": "ping", "count": messages }), STEP)?;
        echoed = ping["echoed"].as_u64().unwrap_or(0);
        rtt_ms = ping["rtt_ms"].as_f64().unwrap_or(0.0);
    }
    if both {
        std::thread::sleep(listen);
    }
    let mut outcomes = Vec::new();
    for (i, agent) in agents.iter_mut().enumerate() {
        let r = &reports[i];
        let audio = if both {
            agent.call(json!({ "cmd": "audio" }), STEP)?
        } else {
            json!({})
        };
        if std::env::var_os("RTCWEB_LAB_DEBUG").is_some() {
            eprintln!("{}: audio {audio}", agent.name());
            if let Ok(stats) = agent.call(json!({ "cmd": "stats" }), STEP) {
                for (_, s) in stats.as_object().into_iter().flatten() {
                    if s["type"]
                        .as_str()
                        .is_some_and(|t| t.contains("rtp") || t == "transport")
                    {
                        eprintln!("  {s}");
                    }
                }
            }
        }
        outcomes.push(SideOutcome::from_reports(sides[i].kind.name(), r, &audio));
    }
    let [a, b]: [SideOutcome; 2] = outcomes.try_into().expect("two sides");
    drop(agents);
    Ok(Outcome {
        sides: [a, b],
        echoed,
        rtt_ms,
        total,
        coturn_log: coturn.log(),
    })
}
