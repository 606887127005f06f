//! rtcweb-ice: the cost of answering one inbound check, against one HMAC-SHA1 of the same
//! bytes in the same run; the CPU time for two agents to connect in the simulator; and the
//! time (simulated and CPU) for two agents behind symmetric NATs to connect through a relay;
//! the parsing of a STUN or TURN server URL (RFC 7064, RFC 7065), against parsing the bare
//! socket address it names in the same run; and gathering with several interfaces and
//! servers, in simulated and in wall time (`ice_support/gathering.rs`).
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{Agent, Config, Credentials, IceUrl};
use sha1::Sha1;

#[path = "ice_support/connect.rs"]
mod ice_connect;
#[path = "ice_support/gathering.rs"]
mod ice_gathering;
#[path = "ice_support/symmetric.rs"]
mod ice_symmetric;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/chromium")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn answer_check(c: &mut Criterion) {
    // Chromium's real check as controlling agent; our credentials: aiortc's answer.
    let request = fixture("stun_binding_request_chromium_controlling.bin");
    let pwd = "0qeqTanLnNQyDyqmAOpqBD";
    let now = Instant::now();
    let config = Config {
        controlling: false,
        credentials: Some(Credentials::new("fZE1", pwd)),
        seed: Some(1),
        ..Config::default()
    };
    let local = "127.0.0.1:59262".parse().unwrap();
    let remote = "127.0.0.1:42770".parse().unwrap();
    let mut agent = Agent::new(config, now).unwrap();
    agent.add_local_socket(now, local).unwrap();
    agent.gather(now);
    agent
        .set_remote_credentials(now, Credentials::new("9HDN", "YEMqi0e8acSmLT4YD6QTGmq3"))
        .unwrap();
    let datagram = Datagram {
        transport: Transport::Udp,
        local,
        remote,
        contents: &request,
    };
    // The first check creates the pair and a triggered check; later ones only get answers.
    agent.handle_datagram(now, datagram);
    while agent.poll_transmit().is_some() {}
    while agent.poll_event().is_some() {}

    let mut g = c.benchmark_group("ice");
    g.throughput(Throughput::Elements(1));
    let covered = &request[..request.len() - 8 - 24];
    g.bench_function("baseline_hmac_sha1", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha1>::new_from_slice(pwd.as_bytes()).unwrap();
            mac.update(black_box(covered));
            black_box(mac.finalize().into_bytes())
        })
    });
    g.bench_function("answer_inbound_check", |b| {
        b.iter(|| {
            agent.handle_datagram(now, black_box(datagram));
            let response = agent.poll_transmit().expect("a response");
            black_box(response.contents.len())
        })
    });
    g.finish();
}

/// The URLs applications copy from their providers: a STUN name, TURN over TCP by IPv6
/// address, TURNS by name with a port. Each parse is measured per URL.
fn url_parse(c: &mut Criterion) {
    let urls = [
        "stun:stun.l.google.com:19302",
        "turn:[2001:db8::3]:3478?transport=tcp",
        "turns:turn.example.org:443",
    ];
    let addresses = ["192.0.2.1:19302", "[2001:db8::3]:3478", "192.0.2.2:443"];
    let mut g = c.benchmark_group("ice_url");
    g.throughput(Throughput::Elements(urls.len() as u64));
    g.bench_function("baseline_socket_addr_parse", |b| {
        b.iter(|| {
            for a in addresses {
                black_box(black_box(a).parse::<std::net::SocketAddr>().unwrap());
            }
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            for u in urls {
                black_box(black_box(u).parse::<IceUrl>().unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    answer_check,
    url_parse,
    ice_connect::connect,
    ice_symmetric::symmetric,
    ice_gathering::gathering
);
criterion_main!(benches);
