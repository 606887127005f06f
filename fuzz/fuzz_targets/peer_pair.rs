//! Two peer connection cores wired to each other, driven by the fuzzer's script of what
//! applications do: add, stop and redirect transceivers, add, remove and replace tracks,
//! negotiate (explicit or implicit descriptions, rollbacks, glare, renegotiation of a live
//! connection), write frames of any payload type and content, DTMF, key-frame requests,
//! sender parameters, and time passing; the datagrams between them are delivered, dropped
//! or corrupted at the script's choice. Real keys, so frames reach the other side's
//! depacketizer. No panic, bounded output, a refused description leaves the signaling
//! state as it was, and transceiver state stays self-consistent.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_common::{Datagram, Transport};
use rtcweb_dtls::Certificate;
use rtcweb_peer::{
    Config, Description, Direction, Event, MediaKind, MediaTrack, OutgoingFrame, Peer, SdpType,
    SendParameters, SignalingState, TransceiverId, TransceiverInit,
};

/// Certificates are made once: generating two per input would be most of the time spent.
fn certificates() -> &'static [Certificate; 2] {
    static CERTS: OnceLock<[Certificate; 2]> = OnceLock::new();
    CERTS.get_or_init(|| {
        [
            Certificate::generate().expect("a certificate"),
            Certificate::generate().expect("a certificate"),
        ]
    })
}

struct Side {
    peer: Peer,
    addr: SocketAddr,
    ids: Vec<TransceiverId>,
    candidates: Vec<(String, String)>,
}

const DIRECTIONS: [Direction; 4] = [
    Direction::SendRecv,
    Direction::SendOnly,
    Direction::RecvOnly,
    Direction::Inactive,
];

/// Reads bytes from the script, zeros past its end.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn bytes(&mut self, most: usize) -> &[u8] {
        let len = usize::from(self.byte()).min(most).min(self.0.len());
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        head
    }
}

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let certs = certificates();
    let mut sides = Vec::new();
    for (i, ip) in ["192.0.2.1:5000", "192.0.2.2:6000"].into_iter().enumerate() {
        let config = Config {
            seed: Some(i as u64 + 1),
            certificate: Some(certs[i].clone()),
            ..Config::default()
        };
        let Ok(mut peer) = Peer::new(config, now) else {
            return;
        };
        let addr: SocketAddr = ip.parse().unwrap();
        let _ = peer.add_local_address(now, addr);
        sides.push(Side {
            peer,
            addr,
            ids: Vec::new(),
            candidates: Vec::new(),
        });
    }
    let mut script = Script(data);
    let mut steps = 0;
    while !script.0.is_empty() && steps < 200 {
        steps += 1;
        let op = script.byte();
        let who = usize::from(op >> 7);
        let pick = script.byte();
        let side = &mut sides[who];
        let id = (!side.ids.is_empty()).then(|| side.ids[usize::from(pick) % side.ids.len()]);
        match op & 0x7f {
            0 => {
                let kind = if pick & 1 == 0 {
                    MediaKind::Audio
                } else {
                    MediaKind::Video
                };
                let init = TransceiverInit {
                    direction: DIRECTIONS[usize::from(pick >> 1) % 4],
                    ..TransceiverInit::default()
                };
                if let Ok(id) = side.peer.add_transceiver(now, kind, init) {
                    side.ids.push(id);
                }
            }
            1 => {
                let track = if pick & 1 == 0 {
                    MediaTrack::audio(format!("a{}", pick >> 1))
                } else {
                    MediaTrack::video(format!("v{}", pick >> 1))
                };
                if let Ok(id) = side.peer.add_track(now, track, &["s"])
                    && !side.ids.contains(&id)
                {
                    side.ids.push(id);
                }
            }
            2 => {
                if let Some(id) = id {
                    let _ = side.peer.remove_track(now, id);
                }
            }
            3 => {
                if let Some(id) = id {
                    let track = (pick & 2 != 0).then(|| {
                        if pick & 1 == 0 {
                            MediaTrack::audio(format!("r{}", pick))
                        } else {
                            MediaTrack::video(format!("r{}", pick))
                        }
                    });
                    let _ = side.peer.replace_track(id, track);
                }
            }
            4 => {
                if let Some(id) = id {
                    let d = DIRECTIONS[usize::from(script.byte()) % 4];
                    let _ = side.peer.set_direction(now, id, d);
                }
            }
            5 => {
                if let Some(id) = id {
                    let _ = side.peer.stop_transceiver(now, id);
                }
            }
            6 => {
                // One side's implicit description, carried to the other, which answers
                // implicitly when it was an offer; each step may be refused.
                negotiate(&mut sides, who, now, pick);
            }
            7 => {
                // A rollback of what the side has pending, local or remote.
                let rollback = Description {
                    kind: SdpType::Rollback,
                    sdp: String::new(),
                };
                let before = side.peer.signaling_state();
                let refused = if pick & 1 == 0 {
                    side.peer.set_local_description(now, &rollback).is_err()
                } else {
                    side.peer.set_remote_description(now, &rollback).is_err()
                };
                if refused {
                    assert_eq!(side.peer.signaling_state(), before);
                }
            }
            8 => {
                if let Some(id) = id {
                    // A payload type from the negotiated ones, or any.
                    let codecs = side
                        .peer
                        .sender_parameters(id)
                        .map(|p| p.codecs)
                        .unwrap_or_default();
                    let pt = if pick & 0x80 == 0 && !codecs.is_empty() {
                        codecs[usize::from(pick >> 2) % codecs.len()].0
                    } else {
                        pick & 0x7f
                    };
                    let ts = u32::from_be_bytes([
                        script.byte(),
                        script.byte(),
                        script.byte(),
                        script.byte(),
                    ]);
                    let flags = script.byte();
                    let body = script.bytes(255);
                    // Video frames larger than a packet, to exercise fragmentation.
                    let big;
                    let body = if flags & 4 != 0 {
                        big = body.repeat(40);
                        &big[..]
                    } else {
                        body
                    };
                    let mut frame = OutgoingFrame::new(pt, ts, body);
                    frame.keyframe = flags & 1 != 0;
                    frame.talkspurt_start = flags & 2 != 0;
                    frame.audio_level = (flags & 8 != 0).then_some((flags >> 4, flags & 16 != 0));
                    frame.capture_time = (flags & 32 != 0).then_some(now);
                    let result = sides[who].peer.write_frame(now, id, frame);
                    if trace() {
                        eprintln!("write_frame {id:?} pt {pt} of {codecs:?}: {result:?}");
                    }
                }
            }
            9 => {
                if let Some(id) = id {
                    let tones = String::from_utf8_lossy(script.bytes(32)).into_owned();
                    let _ = side.peer.insert_dtmf(
                        now,
                        id,
                        &tones,
                        Duration::from_millis(u64::from(pick) * 4),
                        Duration::from_millis(u64::from(pick % 64) * 2),
                    );
                    let _ = side.peer.dtmf_tone_buffer(id);
                }
            }
            10 => {
                if let Some(id) = id {
                    let _ = side.peer.request_key_frame(now, id);
                }
            }
            11 => {
                if let Some(id) = id
                    && let Some(mut params) = side.peer.sender_parameters(id)
                {
                    if pick & 1 == 0 {
                        for e in &mut params.encodings {
                            e.active = !e.active;
                        }
                    } else {
                        params = SendParameters {
                            encodings: Vec::new(),
                            ..params
                        };
                    }
                    let _ = side.peer.set_sender_parameters(id, params);
                }
            }
            12 => {
                // Time passes; then everything in flight is delivered, some dropped or
                // corrupted.
                now += Duration::from_millis(u64::from(pick) * 4);
                let drop_mask = script.byte();
                let corrupt = script.byte();
                exchange(&mut sides, now, drop_mask, corrupt);
            }
            13 => {
                let _ = side.peer.restart_ice(now);
            }
            _ => {
                // A trickled candidate of the other side, if any.
                let other = 1 - who;
                if let Some((mid, c)) = sides[other].candidates.get(usize::from(pick)).cloned() {
                    let _ = sides[who].peer.add_ice_candidate(now, Some(&mid), &c);
                }
            }
        }
        for s in &mut sides {
            check_consistent(&s.peer);
        }
        exchange(&mut sides, now, 0, 0);
    }
    // Let the script's world run on for ten simulated seconds.
    for _ in 0..100 {
        now += Duration::from_millis(100);
        exchange(&mut sides, now, 0, 0);
    }
});

fn negotiate(sides: &mut [Side], who: usize, now: Instant, pick: u8) {
    let other = 1 - who;
    let Ok(description) = sides[who].peer.set_local_description_implicit(now) else {
        return;
    };
    if pick & 1 != 0 {
        // Left unanswered: the glare or rollback ops may meet it.
        return;
    }
    let before = sides[other].peer.signaling_state();
    if sides[other]
        .peer
        .set_remote_description(now, &description)
        .is_err()
    {
        // A refused offer in have-local-offer leaves the implicit rollback done (W3C
        // setRemoteDescription step 4.6 runs it before the offer is applied).
        let after = sides[other].peer.signaling_state();
        let rolled_back = description.kind == SdpType::Offer
            && before == SignalingState::HaveLocalOffer
            && after == SignalingState::Stable;
        assert!(
            after == before || rolled_back,
            "{before:?} became {after:?}"
        );
        return;
    }
    if description.kind == SdpType::Offer
        && let Ok(answer) = sides[other].peer.set_local_description_implicit(now)
        && pick & 2 == 0
    {
        let before = sides[who].peer.signaling_state();
        if sides[who]
            .peer
            .set_remote_description(now, &answer)
            .is_err()
        {
            assert_eq!(sides[who].peer.signaling_state(), before);
        }
    }
}

/// Handles timeouts, delivers each side's datagrams to the other (bit `i` of `drop_mask`
/// drops the i-th; `corrupt` flips a byte of every such one), drains events.
fn exchange(sides: &mut [Side], now: Instant, drop_mask: u8, corrupt: u8) {
    for round in 0..8 {
        let mut moved = false;
        for from in 0..2 {
            let to = 1 - from;
            if let Some(t) = sides[from].peer.poll_timeout()
                && t <= now
            {
                sides[from].peer.handle_timeout(now);
            }
            let mut count = 0usize;
            while let Some(t) = sides[from].peer.poll_transmit() {
                count += 1;
                assert!(count < 100_000, "unbounded output");
                moved = true;
                if t.destination != sides[to].addr {
                    continue;
                }
                let mut contents = t.contents;
                if round == 0 && count < 8 && drop_mask & (1 << count) != 0 {
                    if corrupt == 0 {
                        continue;
                    }
                    let at = usize::from(corrupt) % contents.len().max(1);
                    if let Some(b) = contents.get_mut(at) {
                        *b ^= corrupt;
                    }
                }
                let (local, remote) = (sides[to].addr, sides[from].addr);
                sides[to].peer.handle_datagram(
                    now,
                    Datagram {
                        transport: Transport::Udp,
                        local,
                        remote,
                        contents: &contents,
                    },
                );
            }
            let mut events = 0usize;
            while let Some(e) = sides[from].peer.poll_event() {
                events += 1;
                if trace() {
                    eprintln!("{} {}: {e:?}", ["A", "B"][from], steps_label(now));
                }
                assert!(events < 100_000, "unbounded events");
                if let Event::LocalCandidate(c) = e
                    && sides[from].candidates.len() < 64
                {
                    sides[from].candidates.push((c.mid, c.candidate));
                }
            }
        }
        if !moved {
            break;
        }
    }
}

/// `PEER_PAIR_TRACE=1` prints every event, to read what an input did.
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("PEER_PAIR_TRACE").is_some())
}

fn steps_label(now: Instant) -> String {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(|| now);
    format!("{:?}", now.saturating_duration_since(start))
}

/// What the W3C model promises about the transceivers whatever happened: a sender's
/// track is of the transceiver's kind (replaceTrack refuses others), and no two live
/// transceivers share a mid (RFC 8843 §7.2.1 wants them unique in a BUNDLE group).
fn check_consistent(peer: &Peer) {
    let mut mids = Vec::new();
    for t in peer.transceivers() {
        if let Some(track) = &t.sender.track {
            assert_eq!(track.kind, t.kind, "a sender's track is of its kind");
        }
        if !t.stopped
            && let Some(mid) = t.mid
        {
            assert!(!mids.contains(&mid), "mid {mid} twice");
            mids.push(mid);
        }
    }
}
