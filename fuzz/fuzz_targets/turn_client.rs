//! The TURN client fed arbitrary datagrams, stream bytes, commands and times.
//!
//! Each input is a sequence of operations: the first byte picks one, the next bytes carry its
//! argument, so the fuzzer explores states (allocated or not, permissions, channels) as well as
//! parsers. Responses that would authenticate cannot be forged by the fuzzer, so two operations
//! play the server for the last request sent: a 401 or 438 challenge whose nonce cookie
//! features and PASSWORD-ALGORITHMS bytes come from the input (RFC 8489 §9.2: garbage,
//! truncated or huge lists, unknown algorithms, bid-downs), and a success protected with
//! the MD5 or SHA-256 key and MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 as the input
//! says, so allocations, refreshes and later challenges are reached. The client must stay
//! within its limits whatever comes.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_common::{Datagram, Transport};
use rtcweb_stun::{Class, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method};
use rtcweb_turn::{Client, Config, Input};

const USER: &str = "user";
const PASS: &str = "pass";
const REALM: &str = "r";
/// Type of PASSWORD-ALGORITHMS (RFC 8489 §14.11), written raw from the input.
const PASSWORD_ALGORITHMS: u16 = 0x8002;
/// The four base64 feature characters of a nonce cookie: none, password algorithms and
/// username anonymity counted from the right (RFC 8489 Errata 6290) or from the left.
const FEATURES: [&str; 8] = [
    "AAAA", "AAAB", "AAAC", "AAAD", "gAAA", "QAAA", "wAAA", "A/+/",
];

/// Feeds one message from the server over the client's transport.
fn feed(client: &mut Client, now: Instant, transport: Transport, server: SocketAddr, bytes: &[u8]) {
    if transport.is_stream() {
        // Relayed data lies within the stream buffer, whatever the input.
        for input in client.handle_stream(now, bytes) {
            if let Input::Relayed { data, .. } = input {
                assert!(data.len() <= 4096);
            }
        }
    } else {
        let datagram = Datagram {
            transport,
            local: SocketAddr::from(([198, 51, 100, 1], 5000)),
            remote: server,
            contents: bytes,
        };
        let _ = client.handle_datagram(now, datagram);
    }
}

/// A 401 (or 438) to `(method, id)`: NONCE with the cookie and features `arg[0]` picks (or a
/// plain nonce), and `arg[1..]` as the raw PASSWORD-ALGORITHMS value.
fn challenge(method: Method, id: [u8; 12], arg: &[u8]) -> Option<Vec<u8>> {
    let pick = arg.first().copied().unwrap_or(0);
    let code = if pick & 0x80 != 0 { 438 } else { 401 };
    let nonce = if pick & 0x40 != 0 {
        format!("plain{pick}")
    } else {
        format!("obMatJos2{}n{}", FEATURES[usize::from(pick & 7)], pick >> 3)
    };
    let mut w = MessageWriter::error(method, id, code, "x")
        .ok()?
        .realm(REALM)
        .ok()?
        .nonce(&nonce)
        .ok()?;
    if pick & 0x20 == 0 {
        w = w
            .raw_attribute(PASSWORD_ALGORITHMS, arg.get(1..).unwrap_or_default())
            .ok()?;
    }
    w.to_vec(None, true).ok()
}

/// A success to `(method, id)` protected as `arg[0]` says: MD5 or SHA-256 key,
/// MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256.
fn success(method: Method, id: [u8; 12], arg: &[u8]) -> Option<Vec<u8>> {
    let pick = arg.first().copied().unwrap_or(0);
    let key = if pick & 1 == 0 {
        IntegrityKey::long_term(USER, REALM, PASS)
    } else {
        IntegrityKey::long_term_sha256(USER, REALM, PASS)
    }
    .ok()?;
    let integrity = if pick & 2 == 0 {
        IntegrityAlgorithm::Sha1
    } else {
        IntegrityAlgorithm::Sha256
    };
    MessageWriter::success(method, id)
        .xor_relayed_address(SocketAddr::from(([192, 0, 2, 1], 50000)))
        .xor_mapped_address(SocketAddr::from(([198, 51, 100, 1], 40000)))
        .lifetime(u32::from(pick >> 2) * 20)
        .to_vec(Some((&key, integrity)), true)
        .ok()
}

fuzz_target!(|data: &[u8]| {
    let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let transport = match data.first() {
        Some(b) if b % 2 == 1 => Transport::Tcp,
        _ => Transport::Udp,
    };
    let mut config = Config::new(server, transport, USER, PASS);
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
    // The method and transaction ID of the last request the client sent.
    let mut last: Option<(Method, [u8; 12])> = None;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        let peer = SocketAddr::from(([203, 0, 113, arg.first().copied().unwrap_or(1)], 7000));
        match op % 10 {
            0 => {
                let _ = client.allocate(now);
            }
            1 => feed(&mut client, now, transport, server, arg),
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
            7 => client.close(now),
            8 => {
                if let Some(bytes) = last.and_then(|(m, id)| challenge(m, id, arg)) {
                    feed(&mut client, now, transport, server, &bytes);
                }
            }
            _ => {
                if let Some(bytes) = last.and_then(|(m, id)| success(m, id, arg)) {
                    feed(&mut client, now, transport, server, &bytes);
                }
            }
        }
        let mut n = 0;
        while let Some(t) = client.poll_transmit() {
            if let Ok(msg) = Message::decode(&t.contents) {
                if msg.class() == Class::Request {
                    last = Some((msg.method(), msg.transaction_id()));
                }
            }
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
