//! rtcweb-datachannel: throughput of one reliable ordered channel between two endpoints in
//! process (no crypto, MTU 1200, 64 KiB messages), with 0 % and 1 % loss; sctp-proto (the
//! SCTP of str0m) moving the same bytes in the same run as the other implementation.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtcweb_datachannel::{ChannelOptions, Config, DataChannels, DtlsRole, Event, Message};

#[path = "datachannel_support/sctp_proto_pair.rs"]
mod sctp_proto_pair;

const MESSAGE: usize = 64 * 1024;
const TOTAL: usize = 16 * 1024 * 1024;

/// Drops about `per_mille` in 1000 packets, deterministically.
pub(crate) struct Loss {
    state: u64,
    per_mille: u64,
}

impl Loss {
    pub(crate) fn new(per_mille: u64) -> Self {
        Self {
            state: 0x9e37_79b9_7f4a_7c15,
            per_mille,
        }
    }

    pub(crate) fn drop(&mut self) -> bool {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % 1000 < self.per_mille
    }
}

fn config(role: DtlsRole) -> Config {
    Config {
        role,
        mtu: 1200,
        remote_max_message_size: 256 * 1024,
        ..Config::default()
    }
}

/// Moves TOTAL bytes from client to server; simulated time advances 1 ms per idle round.
fn transfer(loss_per_mille: u64) -> usize {
    let mut now = Instant::now();
    let mut a = DataChannels::new(config(DtlsRole::Client), now);
    let mut b = DataChannels::new(config(DtlsRole::Server), now);
    let mut loss = Loss::new(loss_per_mille);
    a.connect(now);
    b.connect(now);
    let id = a.open_channel(now, ChannelOptions::new("bench")).unwrap();
    let mut open = false;
    let mut sent = 0;
    let mut received = 0;
    let chunk = vec![0x5au8; MESSAGE];
    let mut wire: VecDeque<(bool, Vec<u8>)> = VecDeque::new();
    let mut spare: Vec<Vec<u8>> = Vec::new();
    while received < TOTAL {
        while open && sent < TOTAL && a.buffered_amount(id) < 4 * MESSAGE {
            a.send(now, id, Message::binary(chunk.clone())).unwrap();
            sent += MESSAGE;
        }
        // Packets are polled into buffers taken from `spare` and given back once handled:
        // no allocation per packet once the pool is warm.
        let mut p = spare.pop().unwrap_or_default();
        while a.poll_transmit_into(&mut p) {
            wire.push_back((
                true,
                std::mem::replace(&mut p, spare.pop().unwrap_or_default()),
            ));
        }
        while b.poll_transmit_into(&mut p) {
            wire.push_back((
                false,
                std::mem::replace(&mut p, spare.pop().unwrap_or_default()),
            ));
        }
        spare.push(p);
        if wire.is_empty() {
            now += Duration::from_millis(1);
            a.handle_timeout(now);
            b.handle_timeout(now);
        }
        while let Some((to_b, p)) = wire.pop_front() {
            if !loss.drop() {
                if to_b {
                    b.handle_datagram(now, &p);
                } else {
                    a.handle_datagram(now, &p);
                }
            }
            spare.push(p);
        }
        while let Some(e) = a.poll_event() {
            open |= e == Event::ChannelOpen { id };
        }
        while let Some(e) = b.poll_event() {
            if let Event::Message { message, .. } = e {
                received += message.data.len();
            }
        }
    }
    received
}

fn throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("datachannel");
    g.throughput(Throughput::Bytes(TOTAL as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for (name, loss) in [("0pct", 0), ("1pct", 10)] {
        g.bench_function(format!("rtcweb_64KiB_{name}"), |b| {
            b.iter(|| black_box(transfer(loss)))
        });
        g.bench_function(format!("sctp_proto_64KiB_{name}"), |b| {
            b.iter(|| black_box(sctp_proto_pair::transfer(TOTAL, MESSAGE, loss)))
        });
    }
    g.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
