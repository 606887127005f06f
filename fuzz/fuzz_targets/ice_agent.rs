//! The ICE agent fed arbitrary datagrams, remote candidates, commands and times.
//!
//! Each input is a sequence of operations: the first byte picks one, the next bytes carry its
//! argument. Besides raw bytes, two operations forge what the fuzzer could not: a check that
//! authenticates with our password, and an authenticated success response to the latest
//! check we sent, so the agent is driven into checking, connected, restarted and closed
//! states. Whatever comes, it stays within its limits and never panics.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{Agent, Candidate, CandidateKind, Config, Credentials};
use rtcweb_stun::{BindingRequest, IceRole, IntegrityKey, Message, encode_binding_success};

const REMOTE_UFRAG: &str = "rEmO";
const REMOTE_PWD: &str = "remotepassword0123456789x";

fuzz_target!(|data: &[u8]| {
    let local: SocketAddr = "192.0.2.1:5000".parse().unwrap();
    let config = Config {
        controlling: data.first().is_some_and(|b| b & 1 == 1),
        lite: data.first().is_some_and(|b| b & 2 == 2),
        seed: Some(3),
        max_remote_candidates: 8,
        max_pairs: 8,
        max_transactions: 16,
        ..Config::default()
    };
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let Ok(mut agent) = Agent::new(config, now) else {
        return;
    };
    let _ = agent.add_local_socket(now, local);
    agent.gather(now);
    let remote_key = IntegrityKey::short_term(REMOTE_PWD).unwrap();
    let mut last_request: Option<(Vec<u8>, SocketAddr)> = None;
    let mut out = Vec::new();
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        let remote =
            SocketAddr::from(([198, 51, 100, arg.first().copied().unwrap_or(1) % 4], 6000));
        match op % 12 {
            0 => {
                let d = Datagram {
                    transport: Transport::Udp,
                    local,
                    remote,
                    contents: arg,
                };
                let _ = agent.handle_datagram(now, d);
            }
            1 => now += Duration::from_millis(u64::from(op) * 37),
            2 => agent.handle_timeout(now),
            3 => {
                if let Ok(line) = std::str::from_utf8(arg)
                    && let Ok(c) = Candidate::parse(line)
                {
                    let _ = agent.add_remote_candidate(now, c);
                }
            }
            4 => {
                let c = Candidate::new(CandidateKind::Host, "1", u32::from(op) << 20, remote);
                let _ = agent.add_remote_candidate(now, c);
            }
            5 => {
                let _ =
                    agent.set_remote_credentials(now, Credentials::new(REMOTE_UFRAG, REMOTE_PWD));
            }
            6 => agent.end_of_remote_candidates(now),
            7 => {
                let name = format!("{}.local", arg.len());
                let _ = agent.resolve_mdns(now, &name, remote.ip());
            }
            8 => {
                if op > 200 {
                    agent.restart(now);
                } else {
                    let _ = agent.send(now, arg, &mut out);
                }
            }
            9 => {
                // A check that authenticates with our current password.
                let creds = agent.local_credentials().clone();
                let key = IntegrityKey::short_term(&creds.pwd).unwrap();
                let username = format!("{}:{REMOTE_UFRAG}", creds.ufrag);
                let mut id = [0u8; 12];
                id[..arg.len().min(12)].copy_from_slice(&arg[..arg.len().min(12)]);
                let tie = u64::from(arg.get(12).copied().unwrap_or(0)) << 56;
                let request = BindingRequest {
                    transaction_id: id,
                    username: Some(&username),
                    priority: (op & 0x10 == 0).then_some(u32::from(op) << 16),
                    role: Some(if op & 0x20 == 0 {
                        IceRole::Controlling(tie)
                    } else {
                        IceRole::Controlled(tie)
                    }),
                    use_candidate: op & 0x40 != 0,
                    key: Some(&key),
                    software: None,
                };
                let mut buf = [0u8; 512];
                if let Ok(n) = request.encode(&mut buf) {
                    let d = Datagram {
                        transport: Transport::Udp,
                        local,
                        remote,
                        contents: &buf[..n],
                    };
                    let _ = agent.handle_datagram(now, d);
                }
            }
            10 => {
                // An authenticated success response to the latest request we sent.
                if let Some((request, to)) = &last_request
                    && let Ok(msg) = Message::decode(request)
                {
                    let mut buf = [0u8; 256];
                    let mapped = SocketAddr::from(([203, 0, 113, op], 7000));
                    if let Ok(n) = encode_binding_success(
                        msg.transaction_id(),
                        mapped,
                        Some(&remote_key),
                        &mut buf,
                    ) {
                        let d = Datagram {
                            transport: Transport::Udp,
                            local,
                            remote: *to,
                            contents: &buf[..n],
                        };
                        let _ = agent.handle_datagram(now, d);
                    }
                }
            }
            _ => agent.close(now),
        }
        let mut n = 0;
        while let Some(t) = agent.poll_transmit() {
            n += 1;
            assert!(n < 10_000, "unbounded transmits");
            if t.contents.first().is_some_and(|b| *b < 4) {
                last_request = Some((t.contents, t.destination));
            }
        }
        while agent.poll_event().is_some() {}
        assert!(agent.remote_candidates().count() <= 8);
        assert!(agent.pairs().count() <= 8);
        if let Some(t) = agent.poll_timeout() {
            assert!(t <= now + Duration::from_secs(3600));
        }
    }
});
