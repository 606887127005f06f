//! A DTLS client and server fed arbitrary datagrams, genuine (possibly corrupted) datagrams
//! from each other (through `handle_datagram` or `handle_datagram_in_place`), commands
//! (send, close, KeyUpdate) and times from the fuzz input, in DTLS 1.2, 1.3 or both as the
//! input picks for each side: never panics, output stays bounded, and a connection that
//! failed stays failed.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_dtls::{Certificate, Config, Connection, Event, HashAlgorithm, Versions};

fn certificates() -> &'static (Certificate, Certificate) {
    static CERTS: OnceLock<(Certificate, Certificate)> = OnceLock::new();
    CERTS.get_or_init(|| {
        (
            Certificate::generate().unwrap(),
            Certificate::generate().unwrap(),
        )
    })
}

fn drain(c: &mut Connection, queue: &mut Vec<Vec<u8>>, failed: &mut bool) {
    let mut n = 0;
    let mut d = Vec::new();
    while c.poll_transmit_into(&mut d) {
        n += 1;
        assert!(n < 1000, "unbounded transmits");
        assert!(d.len() <= 16 * 1024 + 64);
        if queue.len() < 64 {
            queue.push(std::mem::take(&mut d));
        }
    }
    while let Some(e) = c.poll_event() {
        if matches!(e, Event::Failed(_)) {
            *failed = true;
        }
    }
}

/// Hands a datagram over through `handle_datagram`, or decrypted in place: every plaintext
/// range lies inside the datagram, after the previous one.
fn deliver(c: &mut Connection, now: Instant, mut d: Vec<u8>, in_place: bool) {
    if !in_place {
        c.handle_datagram(now, &d);
        return;
    }
    let mut ranges = Vec::new();
    c.handle_datagram_in_place(now, &mut d, &mut ranges);
    let mut end = 0;
    for r in ranges {
        assert!(r.start >= end && r.start <= r.end && r.end <= d.len());
        end = r.end;
    }
}

fuzz_target!(|data: &[u8]| {
    let (a, b) = certificates();
    let mut cc = Config::new(a.clone(), vec![b.fingerprint(HashAlgorithm::Sha256)]);
    let mut sc = Config::new(b.clone(), vec![a.fingerprint(HashAlgorithm::Sha256)]);
    cc.seed = Some(1);
    sc.seed = Some(2);
    let first = data.first().copied().unwrap_or(0);
    sc.cookies = first & 1 == 1;
    let versions = |bits: u8| match bits % 3 {
        0 => Versions::Both,
        1 => Versions::Dtls12,
        _ => Versions::Dtls13,
    };
    cc.versions = versions(first >> 1);
    sc.versions = versions(first >> 3);
    cc.max_message_len = 4096;
    sc.max_reassembly = 8192;
    // A fixed epoch: the fuzz input drives time from here.
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let Ok(mut client) = Connection::client(now, cc) else {
        return;
    };
    let Ok(mut server) = Connection::server(now, sc) else {
        return;
    };
    let (mut to_server, mut to_client): (Vec<Vec<u8>>, Vec<Vec<u8>>) = (Vec::new(), Vec::new());
    let (mut client_failed, mut server_failed) = (false, false);
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        match op % 10 {
            0 => client.handle_datagram(now, arg),
            1 => server.handle_datagram(now, arg),
            2 => {
                if !to_server.is_empty() {
                    let d = to_server.remove(0);
                    deliver(&mut server, now, d, op & 0x20 != 0);
                }
            }
            3 => {
                if !to_client.is_empty() {
                    let d = to_client.remove(0);
                    deliver(&mut client, now, d, op & 0x20 != 0);
                }
            }
            4 => {
                // Deliver a genuine datagram with one byte changed.
                let (queue, target) = if op & 0x10 == 0 {
                    (&mut to_server, &mut server)
                } else {
                    (&mut to_client, &mut client)
                };
                if !queue.is_empty() {
                    let mut d = queue.remove(0);
                    if let (Some(&pos), Some(&val)) = (arg.first(), arg.get(1)) {
                        let i = usize::from(pos) % d.len().max(1);
                        if let Some(b) = d.get_mut(i) {
                            *b ^= val | 1;
                        }
                    }
                    target.handle_datagram(now, &d);
                }
            }
            5 => now += Duration::from_millis(u64::from(op) * 37),
            6 => {
                client.handle_timeout(now);
                server.handle_timeout(now);
            }
            7 => {
                let _ = client.send(now, arg);
                let _ = server.send(now, arg);
                if op & 0x40 != 0 {
                    let _ = client.update_keys(now);
                    let _ = server.update_keys(now);
                }
            }
            8 => {
                if op & 0x10 == 0 {
                    client.close(now);
                } else {
                    server.close(now);
                }
            }
            _ => {
                // Replay the first queued datagram without consuming it.
                if let Some(d) = to_server.first().cloned() {
                    server.handle_datagram(now, &d);
                }
            }
        }
        drain(&mut client, &mut to_server, &mut client_failed);
        drain(&mut server, &mut to_client, &mut server_failed);
        if client_failed {
            assert!(client.is_closed() && client.send(now, b"x").is_err());
        }
        if server_failed {
            assert!(server.is_closed() && server.send(now, b"x").is_err());
        }
        if let Some(t) = client.poll_timeout() {
            assert!(t <= now + Duration::from_secs(120));
        }
    }
});
