//! The TURN client fed arbitrary datagrams, stream bytes, commands and times.
//!
//! Each input is a sequence of operations: the first byte picks one, the next bytes carry its
//! argument, so the fuzzer explores states (allocated or not, permissions, channels) as well as
//! parsers. Responses that would authenticate cannot be forged by the fuzzer; the client must
//! stay within its limits whatever comes.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_common::{Datagram, Transport};
use rtcweb_turn::{Client, Config, Input};

fuzz_target!(|data: &[u8]| {
    let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let transport = match data.first() {
        Some(b) if b % 2 == 1 => Transport::Tcp,
        _ => Transport::Udp,
    };
    let mut config = Config::new(server, transport, "user", "pass");
    config.seed = Some(1);
    config.max_stream_buffer = 4096;
    let Ok(mut client) = Client::new(config) else {
        return;
    };
    // A fixed epoch: the fuzz input drives time from here.
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let mut rest = data.get(1..).unwrap_or_default();
    let mut out = Vec::new();
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        let peer = SocketAddr::from(([203, 0, 113, arg.first().copied().unwrap_or(1)], 7000));
        match op % 8 {
            0 => {
                let _ = client.allocate(now);
            }
            1 => {
                if transport.is_stream() {
                    // Relayed data lies within the stream buffer, whatever the input.
                    for input in client.handle_stream(now, arg) {
                        if let Input::Relayed { data, .. } = input {
                            assert!(data.len() <= 4096);
                        }
                    }
                } else {
                    let datagram = Datagram {
                        transport,
                        local: SocketAddr::from(([198, 51, 100, 1], 5000)),
                        remote: server,
                        contents: arg,
                    };
                    let _ = client.handle_datagram(now, datagram);
                }
            }
            2 => now += Duration::from_millis(u64::from(op) * 97),
            3 => client.handle_timeout(now),
            4 => {
                let _ = client.create_permission(now, peer.ip());
            }
            5 => {
                let _ = client.bind_channel(now, peer);
            }
            6 => {
                let _ = client.send_to(now, peer, arg, &mut out);
            }
            _ => client.close(now),
        }
        let mut n = 0;
        while client.poll_transmit().is_some() {
            n += 1;
            assert!(n < 10_000, "unbounded transmits");
        }
        while client.poll_event().is_some() {}
        if let Some(t) = client.poll_timeout() {
            // A deadline in the past is allowed (call handle_timeout now), never absurdly far.
            assert!(t <= now + Duration::from_secs(3 * 3600));
        }
    }
});
