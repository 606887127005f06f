//! rtcweb-peer: two sans-IO peer cores in one process, datagrams handed across directly
//! (no sockets, so this is the stack's CPU cost), each next to a baseline in the same run:
//!
//! - `connect`: from `create_offer` to the data channel open on both sides (SDP offer and
//!   answer as text, trickled candidates, ICE checks, DTLS handshake, SCTP association,
//!   DCEP), against the DTLS handshake alone (rtcweb-dtls client and server with the same
//!   certificates): the public-key floor of any WebRTC connection.
//! - `throughput`: one 64 KiB binary message from one peer to the other over the open
//!   channel (SCTP chunks, DTLS records, AES-128-GCM), against rtcweb-dtls sealing and
//!   opening the same 64 KiB as 1,200-byte records in place: the crypto floor.
//!
//! The comparisons with webrtc-rs and str0m and the socket-level figures the peer issue
//! asks for are not here yet.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_common::{Datagram, Transport};
use rtcweb_datachannel::{ChannelOptions, Message};
use rtcweb_dtls::{Certificate, Connection, HashAlgorithm};
use rtcweb_peer::{Config, DataChannelId, Event, Peer};

#[path = "dtls_support/handshake.rs"]
mod handshake;
use handshake::rtcweb_handshake;

const MESSAGE: usize = 64 << 10;
const RECORD: usize = 1200;

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

/// Two connected peers and the channel between them.
struct Pair {
    peers: [Peer; 2],
    now: Instant,
    /// The channel on each side (A's, B's).
    channel: [Option<DataChannelId>; 2],
}

impl Pair {
    fn new(certificates: &[Certificate; 2], now: Instant) -> (Self, DataChannelId) {
        let config = |i: usize| Config {
            seed: Some(i as u64 + 1),
            certificate: Some(certificates[i].clone()),
            ..Config::default()
        };
        let mut a = Peer::new(config(0), now).unwrap();
        let mut b = Peer::new(config(1), now).unwrap();
        a.add_local_address(now, "192.0.2.1:5000".parse().unwrap())
            .unwrap();
        b.add_local_address(now, "192.0.2.2:5000".parse().unwrap())
            .unwrap();
        let channel = a
            .create_data_channel(now, "bench", ChannelOptions::new("bench"))
            .unwrap();
        let offer = a.create_offer().unwrap();
        a.set_local_description(now, &offer).unwrap();
        b.set_remote_description(now, &offer).unwrap();
        let answer = b.create_answer().unwrap();
        b.set_local_description(now, &answer).unwrap();
        a.set_remote_description(now, &answer).unwrap();
        let pair = Self {
            peers: [a, b],
            now,
            channel: [None, None],
        };
        (pair, channel)
    }

    /// Moves datagrams and events until nothing moves; advances simulated time when idle
    /// and `wait` (given the bytes of messages received so far) says there is something to
    /// wait for. Returns the bytes of messages received.
    fn pump(&mut self, mut wait: impl FnMut(&Self, usize) -> bool) -> usize {
        let mut received = 0;
        loop {
            let mut moved = false;
            for i in 0..2 {
                let (left, right) = self.peers.split_at_mut(1);
                let (from, to) = if i == 0 {
                    (&mut left[0], &mut right[0])
                } else {
                    (&mut right[0], &mut left[0])
                };
                while let Some(event) = from.poll_event() {
                    match event {
                        Event::LocalCandidate(c) => to
                            .add_ice_candidate(self.now, Some(&c.mid), &c.candidate)
                            .unwrap(),
                        Event::DataChannelOpen { channel } => self.channel[i] = Some(channel),
                        Event::Message { message, .. } => received += message.data.len(),
                        Event::Failed(reason) => panic!("failed: {reason}"),
                        _ => {}
                    }
                }
                while let Some(t) = from.poll_transmit() {
                    moved = true;
                    let datagram = Datagram {
                        transport: Transport::Udp,
                        local: t.destination,
                        remote: t.source.unwrap(),
                        contents: &t.contents,
                    };
                    to.handle_datagram(self.now, datagram);
                }
            }
            if !moved {
                if !wait(self, received) {
                    return received;
                }
                let deadline = self.peers.iter().filter_map(Peer::poll_timeout).min();
                self.now =
                    deadline.map_or(self.now + Duration::from_millis(1), |d| self.now.max(d));
                let now = self.now;
                self.peers.iter_mut().for_each(|p| p.handle_timeout(now));
            }
        }
    }

    fn connect(certificates: &[Certificate; 2], now: Instant) -> (Self, DataChannelId) {
        let (mut pair, channel) = Self::new(certificates, now);
        pair.pump(|p, _| p.channel.iter().any(Option::is_none));
        (pair, channel)
    }
}

fn dtls_handshake(certificates: &[Certificate; 2], now: Instant) -> (Connection, Connection) {
    let fingerprint = |i: usize| vec![certificates[i].fingerprint(HashAlgorithm::Sha256)];
    let client = rtcweb_dtls::Config::new(certificates[0].clone(), fingerprint(1));
    let server = rtcweb_dtls::Config::new(certificates[1].clone(), fingerprint(0));
    rtcweb_handshake(now, &client, &server)
}

fn connect(c: &mut Criterion) {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let now = epoch();
    let mut g = c.benchmark_group("peer_connect");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("baseline_dtls_handshake_alone", |b| {
        b.iter(|| black_box(dtls_handshake(&certificates, now)))
    });
    g.bench_function("create_offer_to_channel_open", |b| {
        b.iter(|| black_box(Pair::connect(&certificates, now).1))
    });
    g.finish();
}

fn throughput(c: &mut Criterion) {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let now = epoch();
    let payload = vec![0x5au8; MESSAGE];
    let mut g = c.benchmark_group("peer_throughput_64KiB_message");
    g.throughput(Throughput::Bytes(MESSAGE as u64));
    let (mut client, mut server) = dtls_handshake(&certificates, now);
    let mut wire = Vec::with_capacity(RECORD + 64);
    let mut ranges = Vec::with_capacity(2);
    g.bench_function("baseline_dtls_records_in_place", |b| {
        b.iter(|| {
            let mut opened = 0;
            for chunk in payload.chunks(RECORD) {
                wire.clear();
                client.send_into(chunk, &mut wire).unwrap();
                ranges.clear();
                server.handle_datagram_in_place(now, &mut wire, &mut ranges);
                opened += ranges.iter().map(|r| r.len()).sum::<usize>();
            }
            black_box(opened)
        })
    });
    let (mut pair, channel) = Pair::connect(&certificates, now);
    g.bench_function("peer_to_peer", |b| {
        b.iter(|| {
            let a = &mut pair.peers[0];
            a.send(pair.now, channel, Message::binary(payload.clone()))
                .unwrap();
            // Simulated time moves only while the message is still on its way.
            black_box(pair.pump(|_, got| got < MESSAGE))
        })
    });
    g.finish();
}

criterion_group!(benches, connect, throughput);
criterion_main!(benches);
