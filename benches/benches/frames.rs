//! The frame core of `rtcweb-peer`: the per-frame cost of `write_frame` to protected
//! datagrams, and of a protected datagram to the `Event::Frame` it completes, for an Opus
//! frame (one packet) and a VP8, a VP9 and an H.264 frame (several packets each: RFC 7741,
//! RFC 9628, RFC 6184 FU-A), between two connected cores in memory.
//!
//! The floor, in the same run: SRTP alone (`rtcweb-srtp`, the same profile the peers
//! negotiated) protecting and unprotecting packets with the same headers (taken from the
//! core's own datagrams, which SRTP leaves in clear) and the same sizes. What the core adds
//! over it is packetizing, sequence numbers, the NACK history, header extensions,
//! statistics, demultiplexing and the event.
//!
//! Receiving needs fresh datagrams each time (replay protection), so they are made outside
//! the timed part and each receive is timed on its own, on both sides. The peers run
//! without congestion control, so a frame's packets leave at once rather than through the
//! pacer (whose cost `cc` measures), and settle for a second after connecting.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_common::{Datagram, Transport};
use rtcweb_peer::{
    Config, Event, MediaTrack, OutgoingFrame, Peer, PeerConnectionState, TransceiverId,
};
use rtcweb_srtp::{Context, MasterKey, Profile};

const A: &str = "192.0.2.1:5000";
const B: &str = "192.0.2.2:6000";

/// Two connected cores: A sends an audio and a video track, B receives them.
struct Pair {
    a: Peer,
    b: Peer,
    a_addr: SocketAddr,
    b_addr: SocketAddr,
    audio: TransceiverId,
    video: TransceiverId,
    now: Instant,
    /// The negotiated payload types: Opus, and the video codecs by name.
    opus: u8,
    video_pts: Vec<(&'static str, u8)>,
    /// The next RTP timestamps.
    audio_ts: u32,
    video_ts: u32,
}

impl Pair {
    fn new() -> Self {
        #[allow(clippy::disallowed_methods)] // the epoch of the cores' time
        let mut now = Instant::now();
        let a_addr: SocketAddr = A.parse().unwrap();
        let b_addr: SocketAddr = B.parse().unwrap();
        let peer = |seed, addr| {
            // Without the pacer: every packet of a frame leaves at once, so one write is
            // one frame's datagrams (the pacer's own cost is `cc`'s benchmark).
            let config = Config {
                seed: Some(seed),
                congestion_control: None,
                ..Config::default()
            };
            let mut p = Peer::new(config, now).unwrap();
            p.add_local_address(now, addr).unwrap();
            p
        };
        let mut a = peer(1, a_addr);
        let mut b = peer(2, b_addr);
        let audio = a.add_track(now, MediaTrack::audio("mic"), &["s"]).unwrap();
        let video = a.add_track(now, MediaTrack::video("cam"), &["s"]).unwrap();
        let offer = a.set_local_description_implicit(now).unwrap();
        b.set_remote_description(now, &offer).unwrap();
        let answer = b.set_local_description_implicit(now).unwrap();
        a.set_remote_description(now, &answer).unwrap();
        let mut pair = Self {
            a,
            b,
            a_addr,
            b_addr,
            audio,
            video,
            now,
            opus: 0,
            video_pts: Vec::new(),
            audio_ts: 0,
            video_ts: 0,
        };
        // Trickle, then run until both are connected.
        for _ in 0..200 {
            now += Duration::from_millis(10);
            pair.now = now;
            pair.step();
            if pair.a.connection_state() == PeerConnectionState::Connected
                && pair.b.connection_state() == PeerConnectionState::Connected
            {
                break;
            }
        }
        assert_eq!(pair.a.connection_state(), PeerConnectionState::Connected);
        // A second of settling: the handshakes' last datagrams (SPED's acknowledgements in
        // the checks, DTLS's last flight) are sent and taken before any frame is timed.
        for _ in 0..100 {
            now += Duration::from_millis(10);
            pair.now = now;
            pair.step();
        }
        let pt = |id, name: &str| {
            pair.a
                .sender_parameters(id)
                .unwrap()
                .codecs
                .iter()
                .find(|(_, c)| c.name == name)
                .map(|(pt, _)| *pt)
                .unwrap()
        };
        pair.opus = pt(audio, "opus");
        pair.video_pts = ["VP8", "VP9", "H264"]
            .into_iter()
            .map(|name| (name, pt(video, name)))
            .collect();
        pair
    }

    /// Timeouts, datagrams both ways, candidates trickled, events drained.
    fn step(&mut self) {
        let now = self.now;
        let (a, b) = (self.a_addr, self.b_addr);
        relay(now, &mut self.a, &mut self.b, a, b);
        relay(now, &mut self.b, &mut self.a, b, a);
    }

    /// A writes the next frame (video in `codec`, audio when `None`); its datagrams.
    fn write(&mut self, codec: Option<&str>, data: &[u8]) -> Vec<Vec<u8>> {
        let video = codec.is_some();
        let (id, pt, ts) = if let Some(codec) = codec {
            self.video_ts = self.video_ts.wrapping_add(3000);
            let pt = self
                .video_pts
                .iter()
                .find(|(name, _)| *name == codec)
                .map(|(_, pt)| *pt)
                .expect("negotiated");
            (self.video, pt, self.video_ts)
        } else {
            self.audio_ts = self.audio_ts.wrapping_add(960);
            (self.audio, self.opus, self.audio_ts)
        };
        let mut frame = OutgoingFrame::new(pt, ts, data);
        frame.keyframe = video;
        frame.audio_level = (!video).then_some((30, true));
        assert!(self.a.write_frame(self.now, id, frame).unwrap());
        let mut out = Vec::new();
        while let Some(t) = self.a.poll_transmit() {
            out.push(t.contents);
        }
        out
    }

    /// B takes datagrams; the frame they complete.
    fn receive(&mut self, datagrams: &[Vec<u8>]) -> usize {
        for d in datagrams {
            self.b.handle_datagram(
                self.now,
                Datagram {
                    transport: Transport::Udp,
                    local: self.b_addr,
                    remote: self.a_addr,
                    contents: d,
                },
            );
        }
        let mut frames = 0;
        while let Some(e) = self.b.poll_event() {
            if let Event::Frame { frame, .. } = e {
                frames += 1;
                black_box(frame);
            }
        }
        while self.b.poll_transmit().is_some() {}
        frames
    }
}

/// One direction of [`Pair::step`]: `from`'s timeouts, datagrams and candidates to `to`.
fn relay(now: Instant, from: &mut Peer, to: &mut Peer, from_addr: SocketAddr, to_addr: SocketAddr) {
    if from.poll_timeout().is_some_and(|t| t <= now) {
        from.handle_timeout(now);
    }
    while let Some(t) = from.poll_transmit() {
        to.handle_datagram(
            now,
            Datagram {
                transport: Transport::Udp,
                local: to_addr,
                remote: from_addr,
                contents: &t.contents,
            },
        );
    }
    while let Some(e) = from.poll_event() {
        if let Event::LocalCandidate(c) = e {
            to.add_ice_candidate(now, Some(&c.mid), &c.candidate)
                .unwrap();
        }
    }
}

/// A VP8 key frame's payload: the 10-byte key-frame header, then bytes.
fn vp8_frame(len: usize) -> Vec<u8> {
    let mut f = vec![0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01];
    f.extend((10..len).map(|i| (i * 7) as u8));
    f
}

/// An H.264 key frame in Annex B form, as encoders give it: SPS, PPS, then an IDR slice of
/// bytes (no start code inside: every byte odd).
fn h264_frame(len: usize) -> Vec<u8> {
    let mut f = vec![
        0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1f, 0x8d, 0x68, 0x0a, 0x03, 0xda,
    ];
    f.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0x06, 0xe2, 0, 0, 0, 1, 0x65]);
    let head = f.len();
    f.extend((head..len).map(|i| (i * 7) as u8 | 1));
    f
}

/// SRTP alone on packets like the core's: each datagram's RTP header (in clear) with a
/// payload of the same length, protected and unprotected by contexts of the negotiated
/// profile.
struct Floor {
    send: Context,
    recv: Context,
    /// Plain packets, each with room for the tag.
    packets: Vec<Vec<u8>>,
    lens: Vec<usize>,
    seq: u16,
}

impl Floor {
    fn new(profile: Profile, datagrams: &[Vec<u8>]) -> Self {
        let key: Vec<u8> = (0..profile.master_key_len() as u8).collect();
        let salt: Vec<u8> = (0..profile.master_salt_len() as u8).collect();
        let context = || {
            Context::new(
                profile,
                MasterKey {
                    key: &key,
                    salt: &salt,
                },
                &rtcweb_srtp::Config::default(),
            )
            .unwrap()
        };
        let tag = profile.rtp_tag_len();
        let mut packets = Vec::new();
        let mut lens = Vec::new();
        for d in datagrams {
            let header = rtp_header_len(d);
            let len = d.len() - tag;
            let mut p = d[..header].to_vec();
            p.extend((header..len).map(|i| i as u8));
            p.resize(len + tag, 0);
            packets.push(p);
            lens.push(len);
        }
        Self {
            send: context(),
            recv: context(),
            packets,
            lens,
            seq: 0,
        }
    }

    /// The next frame's packets, protected.
    fn protect(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.packets.len());
        for (p, &len) in self.packets.iter().zip(&self.lens) {
            self.seq = self.seq.wrapping_add(1);
            let mut buf = p.clone();
            buf[2..4].copy_from_slice(&self.seq.to_be_bytes());
            let n = self.send.protect_rtp(&mut buf, len).unwrap();
            buf.truncate(n);
            out.push(buf);
        }
        out
    }

    fn unprotect(&mut self, mut packets: Vec<Vec<u8>>) -> usize {
        let mut total = 0;
        for p in &mut packets {
            total += self.recv.unprotect_rtp(p).unwrap();
        }
        total
    }
}

/// The length of an RTP header with its CSRCs and extension (RFC 3550 §5.1, §5.3.1).
fn rtp_header_len(p: &[u8]) -> usize {
    let csrcs = usize::from(p[0] & 0x0f);
    let mut len = 12 + 4 * csrcs;
    if p[0] & 0x10 != 0 {
        let words = usize::from(u16::from_be_bytes([p[len + 2], p[len + 3]]));
        len += 4 + 4 * words;
    }
    len
}

fn frames(c: &mut Criterion) {
    let opus = vec![0x78u8; 60]; // a 20 ms Opus frame at about 24 kbit/s
    let vp8 = vp8_frame(6000); // a small key frame: five packets
    let h264 = h264_frame(6000);
    for (name, video, data) in [
        ("opus_60B", None, &opus),
        ("vp8_6000B", Some("VP8"), &vp8),
        ("vp9_6000B", Some("VP9"), &vp8),
        ("h264_6000B", Some("H264"), &h264),
    ] {
        let mut pair = Pair::new();
        let profile = pair.a.srtp_profile().expect("SRTP keyed");
        let sample = pair.write(video, data);
        assert_eq!(pair.receive(&sample), 1, "the frame arrives whole");
        let mut floor = Floor::new(profile, &sample);
        let floor_sample = floor.protect();
        assert_eq!(
            floor_sample.iter().map(Vec::len).collect::<Vec<_>>(),
            sample.iter().map(Vec::len).collect::<Vec<_>>(),
            "the floor's packets are the core's sizes"
        );
        floor.unprotect(floor_sample);
        println!(
            "frames/{name}: {} datagrams of {:?} bytes, {}",
            sample.len(),
            sample.iter().map(Vec::len).collect::<Vec<_>>(),
            profile.name()
        );

        let mut g = c.benchmark_group(format!("frames/{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("write_frame/peer", |bench| {
            bench.iter(|| black_box(pair.write(video, data)));
        });
        g.bench_function("write_frame/srtp_floor", |bench| {
            bench.iter(|| black_box(floor.protect()));
        });
        // Receiving needs fresh datagrams each time (replay protection): made outside the
        // timed part, each receive timed on its own (the same clock reads on both sides).
        // A fresh pair and floor: after the sending benches the receivers would be far
        // behind the senders' sequence numbers (beyond what SRTP's index estimate spans).
        let mut pair = Pair::new();
        let mut floor = Floor::new(profile, &sample);
        g.bench_function("receive/peer", |bench| {
            bench.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let d = pair.write(video, data);
                    let t = Instant::now();
                    let got = pair.receive(&d);
                    total += t.elapsed();
                    assert_eq!(got, 1);
                }
                total
            });
        });
        g.bench_function("receive/srtp_floor", |bench| {
            bench.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let p = floor.protect();
                    let t = Instant::now();
                    black_box(floor.unprotect(p));
                    total += t.elapsed();
                }
                total
            });
        });
        g.finish();
    }
}

criterion_group!(benches, frames);
criterion_main!(benches);
