//! The data-channel layer fed arbitrary SCTP packets, commands and times.
//!
//! Each input is a sequence of operations: the first byte picks one, the next bytes carry its
//! argument. A second, well-behaved endpoint is wired in so the fuzzer can reach the
//! connected state and mix real packets with its own; nothing may panic, and tables stay
//! within their limits.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_datachannel::{ChannelOptions, Config, DataChannels, DtlsRole, Message};

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let config = |role| Config {
        role,
        max_channels: 16,
        max_held_bytes: 4096,
        ..Config::default()
    };
    let mut a = DataChannels::new(config(DtlsRole::Client), now);
    let mut b = DataChannels::new(config(DtlsRole::Server), now);
    // One buffer for every packet polled.
    let mut p = Vec::new();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        let id = u16::from(arg.first().copied().unwrap_or(0) % 8);
        match op % 10 {
            0 => a.handle_datagram(now, arg),
            1 => now += Duration::from_millis(u64::from(op) * 13),
            2 => {
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            3 => {
                a.connect(now);
                b.connect(now);
            }
            4 => {
                let _ = a.open_channel(now, ChannelOptions::new(String::from_utf8_lossy(arg)));
            }
            5 => {
                let mut o = ChannelOptions::new("n");
                o.negotiated = Some(id);
                let _ = b.open_channel(now, o);
            }
            6 => {
                let _ = a.send(now, id, Message::binary(arg.to_vec()));
            }
            7 => a.close_channel(now, id),
            8 => b.close(now),
            _ => {
                // Carry the real packets both ways, possibly corrupting one.
                for _ in 0..4 {
                    while a.poll_transmit_into(&mut p) {
                        if let (Some(&x), false) = (arg.first(), p.is_empty()) {
                            let i = usize::from(x) % p.len();
                            p[i] ^= op;
                        }
                        b.handle_datagram(now, &p);
                    }
                    while b.poll_transmit_into(&mut p) {
                        a.handle_datagram(now, &p);
                    }
                }
            }
        }
        while a.poll_event().is_some() {}
        while b.poll_event().is_some() {}
        assert!(a.channel_count() <= 16 && b.channel_count() <= 16);
        let mut n = 0;
        while a.poll_transmit_into(&mut p) {
            n += 1;
            assert!(n < 100_000, "unbounded transmits");
        }
    }
});
