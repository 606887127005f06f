//! The SCTP association fed arbitrary chunks behind a valid header. Two associations are
//! connected first; then each input is a sequence of operations: chunk bytes wrapped in a
//! packet with the right ports, verification tag and checksum (so the fuzzer reaches every
//! chunk handler, past the CRC), time steps, sends, stream resets, and real traffic both
//! ways. Nothing may panic, and the queues stay within their limits.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_sctp::wire::crc32c;
use rtcweb_sctp::{Association, Config, SendOptions};

fn connected(now: Instant) -> Option<(Association, Association, [u8; 12])> {
    let config = |seed| Config {
        seed,
        max_send_buffer: 64 * 1024,
        max_receive_buffer: 64 * 1024,
        ..Config::default()
    };
    let mut a = Association::new(config(1), now);
    let mut b = Association::new(config(2), now);
    a.connect(now);
    b.connect(now);
    let mut header = None;
    let mut p = Vec::new();
    for _ in 0..8 {
        while a.poll_transmit_into(&mut p) {
            b.handle_datagram(now, &p);
        }
        while b.poll_transmit_into(&mut p) {
            if a.is_established() || b.is_established() {
                header = p.get(..12).and_then(|h| <[u8; 12]>::try_from(h).ok());
            }
            a.handle_datagram(now, &p);
        }
    }
    while a.poll_event().is_some() {}
    while b.poll_event().is_some() {}
    Some((a, b, header?))
}

/// `chunks` behind `header` (B to A), with the checksum computed.
fn packet(header: &[u8; 12], chunks: &[u8]) -> Vec<u8> {
    let mut p = header.to_vec();
    p[8..12].fill(0);
    p.extend_from_slice(chunks);
    let crc = crc32c(&p);
    p[8..12].copy_from_slice(&crc.to_le_bytes());
    p
}

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let Some((mut a, mut b, header)) = connected(now) else {
        return;
    };
    // One buffer for every packet polled.
    let mut p = Vec::new();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        let stream = u16::from(arg.first().copied().unwrap_or(0) % 4);
        match op % 8 {
            0 | 1 => a.handle_datagram(now, &packet(&header, arg)),
            2 => {
                now += Duration::from_millis(u64::from(op) * 7);
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            3 => {
                let options = SendOptions {
                    unordered: op & 0x10 != 0,
                    max_retransmissions: (op & 0x20 != 0).then_some(0),
                    expires: (op & 0x40 != 0).then(|| now + Duration::from_millis(5)),
                };
                let _ = a.send(now, stream, 53, arg.to_vec(), options);
                let _ = b.send(now, stream, 53, arg.repeat(40), options);
            }
            4 => a.reset_streams(now, &[stream]),
            5 => b.reset_streams(now, &[stream]),
            6 => {
                if op & 0x80 != 0 {
                    b.shutdown(now);
                } else {
                    a.handle_datagram(now, arg);
                }
            }
            _ => {
                // Real traffic both ways, dropping some of B's packets.
                for round in 0..4 {
                    while a.poll_transmit_into(&mut p) {
                        b.handle_datagram(now, &p);
                    }
                    let mut i = 0u32;
                    while b.poll_transmit_into(&mut p) {
                        i += 1;
                        if (i + round) % 3 != u32::from(op) % 3 {
                            a.handle_datagram(now, &p);
                        }
                    }
                }
            }
        }
        while a.poll_event().is_some() {}
        while b.poll_event().is_some() {}
        let m = a.metrics();
        assert!(m.queued <= 64 * 1024);
        let mut n = 0;
        while a.poll_transmit_into(&mut p) {
            n += 1;
            assert!(n < 100_000, "unbounded transmits");
        }
    }
});
