//! SNAP: an association started from arbitrary `a=sctp-init` bytes (the peer's INIT chunk
//! from SDP), then fed the rest of the input as packets and time steps. A bad INIT is an
//! error and leaves the association closed; a good one starts it established; nothing
//! panics and the queues stay bounded.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_sctp::{Association, Config, SendOptions, State};

fuzz_target!(|data: &[u8]| {
    let Some((&len, rest)) = data.split_first() else {
        return;
    };
    let (init, rest) = rest.split_at(usize::from(len).min(rest.len()));
    let mut now = Instant::now();
    let mut a = Association::new(
        Config {
            seed: 1,
            max_send_buffer: 64 * 1024,
            ..Config::default()
        },
        now,
    );
    match a.connect_snap(now, init) {
        Ok(()) => assert!(a.is_established()),
        Err(_) => assert_eq!(a.state(), State::Closed),
    }
    let _ = a.send(now, 1, 51, b"hello".to_vec(), SendOptions::default());
    let mut out = Vec::new();
    for packet in rest.chunks(64) {
        a.handle_datagram(now, packet);
        now += Duration::from_millis(u64::from(packet[0]) * 4);
        a.handle_timeout(now);
        let mut sent = 0;
        while a.poll_transmit_into(&mut out) {
            sent += 1;
            assert!(sent < 1000, "unbounded output");
        }
        while a.poll_event().is_some() {}
    }
});
