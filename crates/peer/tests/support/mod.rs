//! Two peers in the network simulator, with an in-process signalling channel that carries
//! SDP text and trickled candidates in order, after a delay. Simulated time throughout.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_netsim::{HostId, LinkConfig, Network};
use rtcweb_peer::{
    Config, DataChannelId, Description, Event, Message, Peer, PeerConnectionState, SdpType,
};
use rtcweb_test_support::{Simulation, XorShift32, next_deadline, run_until};

/// What signalling carries.
#[derive(Debug, Clone)]
pub enum Signal {
    Description(Description),
    Candidate { mid: String, candidate: String },
}

pub struct Side {
    pub peer: Peer,
    pub host: HostId,
    pub addr: SocketAddr,
    pub events: Vec<(Instant, Event)>,
    /// Errors the harness got applying what signalling brought.
    pub signal_errors: Vec<rtcweb_peer::Error>,
    /// Whether the harness keeps a copy of every datagram the peer sends, in `sent`, and
    /// marks where in it each event came, in `marks`.
    pub record_sent: bool,
    /// What the peer sent, when `record_sent`: when, and the datagram.
    pub sent: Vec<(Instant, Vec<u8>)>,
    /// With `record_sent`: each event, and how many datagrams the peer had sent before the
    /// input that brought it (what that input made it send comes after the mark).
    pub marks: Vec<(usize, Event)>,
}

impl Side {
    pub fn first(&self, f: impl Fn(&Event) -> bool) -> Option<Instant> {
        self.events.iter().find(|(_, e)| f(e)).map(|(t, _)| *t)
    }

    pub fn connected_at(&self) -> Option<Instant> {
        self.first(|e| *e == Event::ConnectionState(PeerConnectionState::Connected))
    }

    pub fn messages(&self, channel: DataChannelId) -> Vec<&Message> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Message {
                    channel: c,
                    message,
                } if *c == channel => Some(message),
                _ => None,
            })
            .collect()
    }

    pub fn incoming_channel(&self) -> Option<(DataChannelId, String)> {
        self.events.iter().find_map(|(_, e)| match e {
            Event::IncomingDataChannel { channel, label, .. } => Some((*channel, label.clone())),
            _ => None,
        })
    }

    pub fn saw(&self, event: &Event) -> bool {
        self.events.iter().any(|(_, e)| e == event)
    }
}

/// How the offerer's and answerer's descriptions are changed on the way (to tamper with
/// them).
pub type Rewrite = Box<dyn FnMut(SdpType, String) -> String>;

pub struct World {
    pub net: Network,
    pub start: Instant,
    pub now: Instant,
    /// The offerer (A) and the answerer (B).
    pub a: Side,
    pub b: Side,
    /// Signals in flight: when they arrive, and for whom (true: A).
    signals: VecDeque<(Instant, bool, Signal)>,
    pub signalling_delay: Duration,
    /// Applied to every description before it is signalled.
    pub rewrite: Option<Rewrite>,
    /// W3C "perfect negotiation": whether A and B are polite. Each side then offers on
    /// `negotiationneeded` with `setLocalDescription()`, ignores a colliding offer when
    /// impolite, and rolls its own back (implicitly) when polite. `None`: A offers once,
    /// B answers.
    pub perfect: Option<(bool, bool)>,
    /// Offers each side ignored (perfect negotiation).
    pub ignored_offers: [usize; 2],
    /// Whether each side ignores what trickles with an offer it ignored (W3C perfect
    /// negotiation: `addIceCandidate` errors are swallowed while `ignoreOffer`).
    ignoring: [bool; 2],
    /// Whether a side's output is taken after each datagram handed to it, rather than once
    /// per step: with [`Side::record_sent`], events are then marked against the datagram
    /// that brought them.
    pub flush_each_delivery: bool,
}

pub use rtcweb_test_support::epoch;

pub fn lossy(loss: f64) -> LinkConfig {
    LinkConfig {
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(4),
        loss,
        ..LinkConfig::default()
    }
}

impl World {
    /// A at 192.0.2.1, B at 192.0.2.2, both public, `link` on both access links.
    pub fn new(seed: u64, link: LinkConfig) -> Self {
        Self::with_config(seed, link, &Config::default())
    }

    /// A sends video (a `sendonly` transceiver with a track), the offer goes across, and
    /// both peers connect (within 10 s of simulated time).
    pub fn connect_video_sender(&mut self) -> rtcweb_peer::TransceiverId {
        let now = self.now;
        let video = self
            .a
            .peer
            .add_transceiver(
                now,
                rtcweb_peer::MediaTrack::video("cam"),
                rtcweb_peer::TransceiverInit::direction(rtcweb_peer::Direction::SendOnly),
            )
            .unwrap();
        self.offer();
        assert!(
            self.run_until(Duration::from_secs(10), |w| w.a.connected_at().is_some()
                && w.b.connected_at().is_some())
        );
        video
    }

    /// As [`World::new`], both peers with `base` (and seeds of their own).
    pub fn with_config(seed: u64, link: LinkConfig, base: &Config) -> Self {
        Self::with_configs(seed, link, base, base)
    }

    /// As [`World::new`], peer a with `base_a`, peer b with `base_b` (and seeds of their
    /// own).
    pub fn with_configs(seed: u64, link: LinkConfig, base_a: &Config, base_b: &Config) -> Self {
        let start = epoch();
        let mut net = Network::new(seed, start);
        let mut side = |ip: &str, peer_seed: u64, base: &Config| {
            let addr: SocketAddr = format!("{ip}:5000").parse().unwrap();
            let host = net.add_host(addr.ip(), None);
            net.set_link(host, link);
            let config = Config {
                seed: Some(peer_seed),
                ..base.clone()
            };
            let mut peer = Peer::new(config, start).unwrap();
            peer.add_local_address(start, addr).unwrap();
            Side {
                peer,
                host,
                addr,
                events: Vec::new(),
                signal_errors: Vec::new(),
                record_sent: false,
                sent: Vec::new(),
                marks: Vec::new(),
            }
        };
        let a = side("192.0.2.1", seed * 2 + 1, base_a);
        let b = side("192.0.2.2", seed * 2 + 2, base_b);
        Self {
            net,
            start,
            now: start,
            a,
            b,
            signals: VecDeque::new(),
            signalling_delay: Duration::from_millis(30),
            rewrite: None,
            perfect: None,
            ignored_offers: [0; 2],
            ignoring: [false; 2],
            flush_each_delivery: false,
        }
    }

    pub fn elapsed(&self, t: Instant) -> Duration {
        t - self.start
    }

    /// A makes an offer, applies it and signals it; B answers when it arrives.
    pub fn offer(&mut self) {
        let offer = self.a.peer.create_offer().unwrap();
        self.a.peer.set_local_description(self.now, &offer).unwrap();
        self.signal(false, Signal::Description(offer));
    }

    /// Queues a signal for A (`to_a`) or B; descriptions pass through the rewrite.
    pub fn signal(&mut self, to_a: bool, signal: Signal) {
        let signal = match (signal, self.rewrite.as_mut()) {
            (Signal::Description(d), Some(rewrite)) => Signal::Description(Description {
                sdp: rewrite(d.kind, d.sdp),
                kind: d.kind,
            }),
            (s, _) => s,
        };
        let at = self.now + self.signalling_delay;
        self.signals.push_back((at, to_a, signal));
    }

    /// Sends what both peers queued and records their events; candidates are signalled.
    pub fn flush(&mut self) {
        let now = self.now;
        let mut out = Vec::new();
        let perfect = self.perfect.is_some();
        flush_side(&mut self.net, &mut self.a, true, perfect, now, &mut out);
        flush_side(&mut self.net, &mut self.b, false, perfect, now, &mut out);
        for (to_a, signal) in out {
            self.signal(to_a, signal);
        }
    }

    fn deliver_signal(&mut self, to_a: bool, signal: Signal) {
        let now = self.now;
        let side = if to_a { &mut self.a } else { &mut self.b };
        let result = match signal {
            Signal::Candidate { mid, candidate } => {
                side.peer.add_ice_candidate(now, Some(&mid), &candidate)
            }
            Signal::Description(d) if self.perfect.is_some() => {
                let (polite_a, polite_b) = self.perfect.unwrap_or_default();
                let polite = if to_a { polite_a } else { polite_b };
                // W3C perfect negotiation: an offer that collides with ours is ignored by
                // the impolite peer; the polite one's setRemoteDescription rolls back.
                let collision = d.kind == SdpType::Offer
                    && side.peer.signaling_state() != rtcweb_peer::SignalingState::Stable;
                let me = usize::from(!to_a);
                self.ignoring[me] = collision && !polite;
                if self.ignoring[me] {
                    self.ignored_offers[me] += 1;
                    return;
                }
                let applied = side.peer.set_remote_description(now, &d);
                if applied.is_ok() && d.kind == SdpType::Offer {
                    let answer = side.peer.set_local_description_implicit(now).unwrap();
                    self.signal(!to_a, Signal::Description(answer));
                    self.flush();
                    return;
                }
                applied
            }
            Signal::Description(d) => {
                let applied = side.peer.set_remote_description(now, &d);
                if applied.is_ok() && d.kind == SdpType::Offer {
                    let answer = side.peer.create_answer().unwrap();
                    side.peer.set_local_description(now, &answer).unwrap();
                    // The answer goes out before the candidates gathered from it.
                    self.signal(!to_a, Signal::Description(answer));
                    self.flush();
                    return;
                }
                applied
            }
        };
        if let Err(e) = result {
            if self.ignoring[usize::from(!to_a)] {
                // A candidate of an offer this side ignored (perfect negotiation).
                return;
            }
            let side = if to_a { &mut self.a } else { &mut self.b };
            side.signal_errors.push(e);
        }
    }

    /// One step: to the next deadline (not past `limit`), deliver datagrams and signals,
    /// fire timers, flush.
    pub fn step(&mut self, limit: Instant) {
        self.flush();
        let deadlines = [
            self.net.poll_timeout(),
            self.a.peer.poll_timeout(),
            self.b.peer.poll_timeout(),
            self.signals.front().map(|(t, _, _)| *t),
        ];
        let next = next_deadline(self.now, limit, deadlines);
        self.now = next;
        self.net.advance_to(next);
        let perfect = self.perfect.is_some();
        let mut out = Vec::new();
        for (is_a, side) in [(true, &mut self.a), (false, &mut self.b)] {
            while let Some(d) = self.net.poll_delivery(side.host) {
                side.peer.handle_datagram(next, d.datagram());
                if self.flush_each_delivery {
                    flush_side(&mut self.net, side, is_a, perfect, next, &mut out);
                }
            }
            if side.peer.poll_timeout().is_some_and(|t| t <= next) {
                side.peer.handle_timeout(next);
            }
        }
        for (to_a, signal) in out {
            self.signal(to_a, signal);
        }
        while self.signals.front().is_some_and(|(t, _, _)| *t <= next) {
            let (_, to_a, signal) = self.signals.pop_front().unwrap();
            self.deliver_signal(to_a, signal);
        }
        self.flush();
    }

    /// Runs until `done` or `timeout` of simulated time; true when done.
    pub fn run_until(&mut self, timeout: Duration, done: impl FnMut(&mut Self) -> bool) -> bool {
        run_until(self, timeout, done)
    }

    pub fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }
}

/// Sends what one peer queued and records its events; candidates (and, in perfect
/// negotiation, offers) to signal go to `out`, each with whether it is for A.
fn flush_side(
    net: &mut Network,
    side: &mut Side,
    is_a: bool,
    perfect: bool,
    now: Instant,
    out: &mut Vec<(bool, Signal)>,
) {
    let mark = side.sent.len();
    while let Some(t) = side.peer.poll_transmit() {
        let source = t.source.expect("the peer names the socket");
        if side.record_sent {
            side.sent.push((now, t.contents.clone()));
        }
        net.send(side.host, source, t.destination, t.contents);
    }
    while let Some(event) = side.peer.poll_event() {
        if perfect
            && event == Event::NegotiationNeeded
            && side.peer.signaling_state() == rtcweb_peer::SignalingState::Stable
        {
            // onnegotiationneeded: setLocalDescription(), then signal it.
            match side.peer.set_local_description_implicit(now) {
                Ok(offer) => out.push((!is_a, Signal::Description(offer))),
                Err(e) => side.signal_errors.push(e),
            }
        }
        if let Event::LocalCandidate(c) = &event {
            out.push((
                !is_a,
                Signal::Candidate {
                    mid: c.mid.clone(),
                    candidate: c.candidate.clone(),
                },
            ));
        }
        if side.record_sent {
            side.marks.push((mark, event.clone()));
        }
        side.events.push((now, event));
    }
}

/// Message `i` of a test stream: even ones text, odd ones binary, sizes from 0 to 64 KiB
/// (both ends included), content derived from `i` and `salt`.
pub fn test_message(i: usize, salt: u8) -> Message {
    let size = match i {
        0 => 0,
        1 => 1,
        2 | 3 => 65_536,
        _ => (i * 7919 + usize::from(salt) * 131) % 65_537,
    };
    let mut x = XorShift32((i as u32).wrapping_mul(2_654_435_761) ^ u32::from(salt));
    let mut byte = || x.next_u8();
    if i % 2 == 0 {
        // Printable ASCII: valid UTF-8 of exactly `size` bytes.
        let text: String = (0..size).map(|_| char::from(b' ' + byte() % 95)).collect();
        Message::text(text)
    } else {
        Message::binary((0..size).map(|_| byte()).collect::<Vec<u8>>())
    }
}

impl Simulation for World {
    fn now(&self) -> Instant {
        self.now
    }

    fn flush(&mut self) {
        Self::flush(self);
    }

    fn step(&mut self, limit: Instant) {
        Self::step(self, limit);
    }
}
