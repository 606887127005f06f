//! rtcweb-peer end to end, each case next to a baseline measured in the same run.
//!
//! In process, sans-IO: two `rtcweb_peer::Peer` cores, datagrams handed across directly (no
//! sockets, so this is the stack's CPU cost):
//!
//! - `peer_connect`: from `create_offer` to the data channel open on both sides (SDP offer
//!   and answer as text, trickled candidates, ICE checks, DTLS handshake, SCTP association,
//!   DCEP), against the DTLS handshake alone (rtcweb-dtls client and server with the same
//!   certificates): the public-key floor of any WebRTC connection. It also prints the
//!   simulated time the connection takes: what the protocols wait for, apart from CPU.
//! - `peer_throughput_64KiB_message`: one 64 KiB binary message from one peer to the other
//!   over the open channel (SCTP chunks, DTLS records, AES-128-GCM), against rtcweb-dtls
//!   sealing and opening the same 64 KiB as 1,200-byte records in place: the crypto floor.
//!
//! Over real UDP on 127.0.0.1 (issue 9's figures), two peers of each stack in this process:
//! rtcweb through its tokio driver, webrtc-rs 0.21 (async, on tokio) and str0m 0.25
//! (sans-IO, run by a task per peer here), each driven as its own users drive it
//! (`peer_support/`):
//!
//! - `peer_loopback_connect`: wall time from A's `createDataChannel` and `createOffer` to
//!   the channel open at both ends, signalled in process; making the peers (sockets,
//!   certificates) and closing them are not timed.
//! - `peer_loopback_throughput_64KiB_messages/<bound>`: 32 MiB from A to B on one open,
//!   reliable, ordered channel in 64 KiB binary messages, DTLS on, until B's application has
//!   counted every byte. The sender waits while `<bound>` bytes are buffered on the channel
//!   (each stack's own back-pressure; see `Settings::in_flight`), at 128 KiB and at 1 MiB.
//! - Memory per idle established connection: 1,000 connections (500 pairs, channel open) of
//!   each stack in a child process, live heap (counting allocator) and resident memory
//!   before and after, divided by 1,000 (`peer_support/memory.rs`). Criterion cannot measure
//!   memory: it runs only in benchmark mode (not under `cargo test`), unless a filter
//!   excludes `memory`, and its figures are printed.
//!
//! - `peer_loopback_connect_alternating`: rtcweb's loopback connect and str0m's taken in
//!   turn, 600 rounds of one each (`peer_support/alternating.rs`): the median of the rounds'
//!   ratios, which the drift of a shared machine between two criterion cases does not
//!   move; once connecting from the `block_on` thread, once from a spawned task. Outside
//!   criterion, printed after the table (two rounds each under `--test`).
//!
//! The run ends with a table of the loopback figures, rtcweb's as ratios of webrtc-rs's and
//! str0m's, with the targets (throughput at least twice webrtc-rs's, memory per
//! connection no more than str0m's).
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use rtcweb_common::{Datagram, Transport};
use rtcweb_datachannel::Message;
use rtcweb_dtls::{Certificate, Connection, HashAlgorithm};
use rtcweb_peer::{Config, DataChannelId, DataChannelInit, Event, Peer};

#[path = "../../benches/dtls_support/handshake.rs"]
mod handshake;
use handshake::rtcweb_handshake;

#[path = "peer_support/mod.rs"]
mod peer_support;
use peer_support::alternating;
use peer_support::figures::{Figures, Samples, StackFigures};
use peer_support::loopback::{Loopback, Settings, now, runtime, timed_connect, within};
use peer_support::memory;
use peer_support::rtcweb_pair::RtcwebPair;
use peer_support::str0m_pair::Str0mPair;
use peer_support::webrtc_rs_pair::WebrtcRsPair;
use tokio::runtime::Runtime;

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
    /// The two peers, made and told their addresses: what an application has before it
    /// calls `create_offer` (the DTLS keys are made here too).
    fn made(certificates: &[Certificate; 2], now: Instant) -> [Peer; 2] {
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
        [a, b]
    }

    /// From `create_data_channel` and `create_offer` to both descriptions applied.
    fn new(peers: [Peer; 2], now: Instant) -> (Self, DataChannelId) {
        let [mut a, mut b] = peers;
        let channel = a
            .create_data_channel(now, "bench", DataChannelInit::default())
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

    fn connect(peers: [Peer; 2], now: Instant) -> (Self, DataChannelId) {
        let (mut pair, channel) = Self::new(peers, now);
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
    // Where the time of a connection goes when the CPU is free: the protocols' own waits.
    let (pair, _) = Pair::connect(Pair::made(&certificates, now), now);
    println!(
        "peer_connect: {:?} of simulated time from create_offer to the channel open on both \
         sides (timers and round trips, no CPU time)",
        pair.now - now
    );
    let mut g = c.benchmark_group("peer_connect");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("baseline_dtls_handshake_alone", |b| {
        b.iter(|| black_box(dtls_handshake(&certificates, now)))
    });
    // From `create_offer` on: the peers are made (with their DTLS keys) before the clock
    // starts, as an application makes them before it signals.
    g.bench_function("create_offer_to_channel_open", |b| {
        b.iter_batched(
            || Pair::made(&certificates, now),
            |peers| black_box(Pair::connect(peers, now).1),
            BatchSize::SmallInput,
        )
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
                client.send_into(now, chunk, &mut wire).unwrap();
                ranges.clear();
                server.handle_datagram_in_place(now, &mut wire, &mut ranges);
                opened += ranges.iter().map(|r| r.len()).sum::<usize>();
            }
            black_box(opened)
        })
    });
    let (mut pair, channel) = Pair::connect(Pair::made(&certificates, now), now);
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

/// Bytes of one iteration of the loopback throughput case.
const LOOPBACK_BYTES: usize = 32 << 20;
/// Samples of each loopback case: criterion's least. An iteration of the throughput case
/// takes up to seconds for the slower stacks.
const LOOPBACK_SAMPLES: usize = 10;
/// The in-flight bounds of the throughput case: 128 KiB (where webrtc-rs did best when the
/// issue was written) and 1 MiB (rtcweb's default high-water mark).
const BOUNDS: [(&str, usize); 2] = [("128KiB", 128 << 10), ("1MiB", 1 << 20)];

/// A loopback group: [`LOOPBACK_SAMPLES`] samples of equal iteration counts.
fn loopback_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(LOOPBACK_SAMPLES);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g
}

/// `L`'s connect case; its median, if it ran.
fn loopback_connect<L: Loopback>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &Runtime,
) -> Option<Duration> {
    let samples = Samples::default();
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            let total = runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += timed_connect::<L>().await;
                }
                total
            });
            samples.record(iters, total);
            total
        })
    });
    samples.median(LOOPBACK_SAMPLES)
}

/// `L`'s throughput case with `in_flight` bytes buffered at most, on one connection; bytes
/// per second at its median, if it ran.
fn loopback_throughput<L: Loopback>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &Runtime,
    in_flight: usize,
) -> Option<f64> {
    let samples = Samples::default();
    let mut pair: Option<L> = None;
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            let total = runtime.block_on(async {
                if pair.is_none() {
                    let mut p = within("making the pair", L::new(Settings { in_flight })).await;
                    p.connect().await;
                    pair = Some(p);
                }
                let p = pair.as_mut().expect("made above");
                let start = now();
                for _ in 0..iters {
                    p.transfer(LOOPBACK_BYTES).await;
                }
                start.elapsed()
            });
            samples.record(iters, total);
            total
        })
    });
    if let Some(p) = pair {
        runtime.block_on(within("closing the pair", p.close()));
    }
    samples
        .median(LOOPBACK_SAMPLES)
        .map(|d| LOOPBACK_BYTES as f64 / d.as_secs_f64())
}

/// One stack's loopback cases.
fn loopback_stack<L: Loopback>(c: &mut Criterion, runtime: &Runtime) -> StackFigures {
    let connect = loopback_connect::<L>(&mut loopback_group(c, "peer_loopback_connect"), runtime);
    let throughput = BOUNDS
        .iter()
        .map(|(name, in_flight)| {
            let mut g = loopback_group(
                c,
                &format!("peer_loopback_throughput_64KiB_messages/{name}"),
            );
            g.throughput(Throughput::Bytes(LOOPBACK_BYTES as u64));
            loopback_throughput::<L>(&mut g, runtime, *in_flight)
        })
        .collect();
    StackFigures {
        connect,
        throughput,
        memory: None,
    }
}

/// The loopback cases of the three stacks, rtcweb first.
fn loopback(c: &mut Criterion) -> Figures {
    let runtime = runtime();
    Figures {
        bounds: BOUNDS.iter().map(|(name, _)| (*name).to_owned()).collect(),
        stacks: vec![
            (RtcwebPair::NAME, loopback_stack::<RtcwebPair>(c, &runtime)),
            (
                WebrtcRsPair::NAME,
                loopback_stack::<WebrtcRsPair>(c, &runtime),
            ),
            (Str0mPair::NAME, loopback_stack::<Str0mPair>(c, &runtime)),
        ],
    }
}

/// Criterion's filter (the first argument that is not an option or an option's value), if
/// one was given.
fn filter() -> Option<String> {
    // Criterion's options that take a value, so that the value is not taken for a filter.
    const VALUED: [&str; 17] = [
        "-s",
        "--save-baseline",
        "-b",
        "--baseline",
        "--baseline-lenient",
        "--format",
        "--profile-time",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
    ];
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        if VALUED.contains(&arg.as_str()) || arg == "-c" || arg == "--color" {
            it.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

/// Whether an argument is `flag`.
fn has(flag: &str) -> bool {
    std::env::args().skip(1).any(|a| a == flag)
}

/// Whether a case outside criterion named `name` runs: not under `--list`, and unless a
/// filter is given that `name` does not contain.
fn wanted(name: &str) -> bool {
    !has("--list") && filter().is_none_or(|f| name.contains(&f))
}

/// Whether to measure memory: in benchmark mode only (`--bench`, as `cargo bench` runs
/// this, not `--test` or `--list`), and unless a filter is given that `peer_memory` does
/// not contain.
fn memory_wanted() -> bool {
    has("--bench") && !has("--test") && wanted("peer_memory")
}

/// Rounds of the alternating connect comparison: [`alternating::ROUNDS`] in benchmark mode,
/// two under `--test`; none under `--list` or when a filter leaves it out.
fn alternating_rounds() -> Option<usize> {
    if !wanted("peer_loopback_connect_alternating") {
        return None;
    }
    Some(if has("--test") {
        2
    } else {
        alternating::ROUNDS
    })
}

/// The criterion cases (or, in a memory child, one stack's memory measurement), then the
/// memory figures, then the table of loopback figures.
fn main() {
    if let Some(stack) = memory::child_stack() {
        memory::run_child(&stack);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    connect(&mut c);
    throughput(&mut c);
    let mut figures = loopback(&mut c);
    if memory_wanted() {
        for (name, stack) in &mut figures.stacks {
            eprintln!(
                "peer_memory: {} idle connections of {name}...",
                memory::CONNECTIONS
            );
            let m = memory::per_connection(name);
            println!(
                "peer_memory_per_idle_connection/{name}: live heap {:.1} KiB, resident {:.1} \
                 KiB (of {} connections)",
                m.heap / 1024.0,
                m.rss / 1024.0,
                memory::CONNECTIONS
            );
            stack.memory = Some(m);
        }
    }
    c.final_summary();
    println!(
        "\npeer over UDP on 127.0.0.1: medians of the measured samples (a single run each \
         under --test), rtcweb as ratios (time: lower is better; throughput: higher; memory: \
         lower)\n{}",
        figures.table()
    );
    if let Some(rounds) = alternating_rounds() {
        let runtime = runtime();
        for caller in [alternating::Caller::BlockOn, alternating::Caller::Task] {
            println!("{}", alternating::run(&runtime, caller, rounds));
        }
    }
}
