//! The ICE agent fed arbitrary datagrams, remote candidates, commands and times, with a TURN
//! server in reach.
//!
//! The agent lives on a simulated network (rtcweb-netsim) beside a TURN server, so its
//! allocation, permissions and relayed checks are real; the fuzzer plays the remote peer on
//! that network. Each input is a sequence of operations: the first byte picks one, the next
//! bytes carry its argument. Besides raw bytes, some operations forge what the fuzzer could
//! not: a check that authenticates with our password (sent to our host socket or to our
//! relayed address, so that a peer-reflexive candidate is learned through the relay), an
//! authenticated success response to the latest check the peer received, and remote
//! server-reflexive candidates whose related address is a host candidate's. Checks and
//! responses may carry the SPED attributes (draft-hancke-webrtc-sped: a DTLS datagram in
//! 0xC070, CRC-32 acks in 0xC071) made of the fuzzer's bytes, and the owner's SPED calls
//! (a DTLS flight, the handshake done, a plain DTLS datagram) are operations too.
//!
//! ICE-TCP (RFC 6544) too: the agent has a TCP listener from the start (its passive and
//! active candidates) and may be given another; the fuzzer's remote candidates may be TCP
//! ones of each `tcptype`; and the owner's side of ICE-TCP is played as operations:
//! datagrams read from a connection (raw bytes, a check that authenticates, a success
//! response to the latest check the agent sent over TCP), on the listener or on the active
//! candidate's connection, and connections closing (`stream_closed`). The agent's TCP
//! transmits stay with the fuzzer, as a driver would frame them on its connections.
//! The agent has a `stun:` server too, which its listeners ask over TCP for their
//! server-reflexive passive candidates (RFC 6544 §4.1): the fuzzer answers the latest such
//! request with a mapped address of its choosing, sends raw bytes as from the server, or
//! closes that connection.
//! Whatever comes, the agent stays within its limits and never panics.
#![no_main]

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_common::{Datagram, Transport};
use rtcweb_ice::{
    Agent, Candidate, CandidateKind, CandidateTransport, Config, ConnectionAddress, Credentials,
    IceServer, TcpType,
};
use rtcweb_ice::{DTLS_IN_STUN, DTLS_IN_STUN_ACK, Event};
use rtcweb_netsim::{Network, TurnServerConfig};
use rtcweb_stun::{BindingRequest, IceRole, IntegrityKey, Message, encode_binding_success_with};

const REMOTE_UFRAG: &str = "rEmO";
const REMOTE_PWD: &str = "remotepassword0123456789x";
const TURN: &str = "192.0.2.10:3478";
/// A STUN server (asked over UDP from the socket, over TCP from each listener).
const STUN: &str = "192.0.2.11:3478";
/// Our ICE-TCP listener (passive candidate) and the active candidate's address on its IP
/// (port 9, RFC 6544 §4.5).
const LISTENER: &str = "192.0.2.1:7000";
const ACTIVE: &str = "192.0.2.1:9";

/// A Binding request that authenticates with our current password, shaped by `op` (PRIORITY
/// left out, the role and its tie-breaker, USE-CANDIDATE) and `arg` (transaction id),
/// carrying the `raw` attributes.
fn forge_check(agent: &Agent, op: u8, arg: &[u8], raw: &[(u16, &[u8])]) -> Option<Vec<u8>> {
    let creds = agent.local_credentials().clone();
    let key = IntegrityKey::short_term(&creds.pwd).ok()?;
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
    let mut buf = [0u8; 1500];
    let n = request.encode_with(raw, &mut buf).ok()?;
    Some(buf[..n].to_vec())
}

/// An authenticated success response to `request` (a check the peer received from `from`).
fn forge_success(
    request: &[u8],
    from: SocketAddr,
    key: &IntegrityKey,
    raw: &[(u16, &[u8])],
) -> Option<Vec<u8>> {
    let msg = Message::decode(request).ok()?;
    let mut buf = [0u8; 1500];
    let n =
        encode_binding_success_with(msg.transaction_id(), from, Some(key), raw, &mut buf).ok()?;
    Some(buf[..n].to_vec())
}

fuzz_target!(|data: &[u8]| {
    let local: SocketAddr = "192.0.2.1:5000".parse().unwrap();
    let flags = data.first().copied().unwrap_or(0);
    let config = Config {
        controlling: flags & 1 == 1,
        lite: flags & 2 == 2,
        servers: vec![
            IceServer::Turn {
                address: TURN.parse().unwrap(),
                transport: Transport::Udp,
                username: "alice".into(),
                password: "wonderland".into(),
                tls: None,
            },
            IceServer::Stun {
                address: STUN.parse().unwrap(),
            },
        ],
        seed: Some(3),
        sped: flags & 8 == 8,
        max_remote_candidates: 8,
        max_pairs: 8,
        max_transactions: 16,
        ..Config::default()
    };
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let mut now = start;
    let Ok(mut agent) = Agent::new(config, now) else {
        return;
    };
    let mut net = Network::new(u64::from(flags), now);
    net.add_turn_server(TurnServerConfig {
        close_on_unroutable: flags & 4 == 4,
        ..TurnServerConfig::new(TURN.parse().unwrap(), "rtcweb.test", "alice", "wonderland")
    });
    let me = net.add_host(local.ip(), None);
    let peer_ip: IpAddr = "198.51.100.1".parse().unwrap();
    let peer = net.add_host(peer_ip, None);
    let _ = agent.add_local_socket(now, local);
    let listener: SocketAddr = LISTENER.parse().unwrap();
    let active: SocketAddr = ACTIVE.parse().unwrap();
    let _ = agent.add_tcp_listener(now, listener);
    agent.gather(now);
    let remote_key = IntegrityKey::short_term(REMOTE_PWD).unwrap();
    // The latest check the peer received, and where it came from (our socket or relay).
    let mut last_request: Option<(Vec<u8>, SocketAddr, SocketAddr)> = None;
    // The latest check the agent sent over ICE-TCP: (bytes, our end, the peer's end).
    let mut last_tcp_request: Option<(Vec<u8>, SocketAddr, SocketAddr)> = None;
    // The latest Binding request over TCP to the STUN server: (bytes, the listener).
    let mut last_stun_request: Option<(Vec<u8>, SocketAddr)> = None;
    let stun: SocketAddr = STUN.parse().unwrap();
    let mut out = Vec::new();
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        let port = 6000 + u16::from(arg.first().copied().unwrap_or(0) % 4);
        let remote = SocketAddr::new(peer_ip, port);
        let relayed = agent
            .local_candidates()
            .find(|c| c.kind == CandidateKind::Relayed)
            .and_then(Candidate::socket_addr);
        // SPED attributes from the argument's tail when the operation's top bit is set:
        // a datagram (any bytes) and an ack list (any length, so also malformed).
        let tail = arg.get(13..).unwrap_or_default();
        let split = tail
            .first()
            .map_or(0, |b| usize::from(*b) % (tail.len() + 1));
        let raw_owned: [(u16, &[u8]); 2] = [
            (DTLS_IN_STUN, &tail[split..]),
            (DTLS_IN_STUN_ACK, &tail[..split]),
        ];
        let raw: &[(u16, &[u8])] = if op & 0x80 != 0 { &raw_owned } else { &[] };
        match op % 16 {
            0 => {
                let d = Datagram {
                    transport: Transport::Udp,
                    local,
                    remote,
                    contents: arg,
                };
                let _ = agent.handle_datagram(now, d);
            }
            1 => {
                now += Duration::from_millis(u64::from(op) * 37);
                net.advance_to(now);
            }
            2 => {
                // To the next deadline of the network or the agent (within a minute).
                let next = [net.poll_timeout(), agent.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min()
                    .map_or(now, |t| t.min(now + Duration::from_secs(60)));
                now = now.max(next);
                net.advance_to(now);
                agent.handle_timeout(now);
            }
            3 => {
                if let Ok(line) = std::str::from_utf8(arg)
                    && let Ok(c) = Candidate::parse(line)
                {
                    let _ = agent.add_remote_candidate(now, c);
                }
            }
            4 => {
                let mut c = Candidate::new(CandidateKind::Host, "1", u32::from(op) << 20, remote);
                if op & 0x10 != 0 {
                    // An ICE-TCP candidate of each type (RFC 6544 §4.5).
                    c.transport = CandidateTransport::Tcp;
                    c.tcp_type = Some(match (op >> 5) % 3 {
                        0 => TcpType::Passive,
                        1 => TcpType::Active,
                        _ => TcpType::SimultaneousOpen,
                    });
                }
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
            9 | 12 => {
                // A check that authenticates with our current password, from the peer to our
                // host socket (9) or to our relayed address (12).
                let to = if op % 16 == 12 { relayed } else { Some(local) };
                if let (Some(to), Some(check)) = (to, forge_check(&agent, op, arg, raw)) {
                    net.send(peer, remote, to, check);
                }
            }
            10 => {
                // An authenticated success response to the latest check the peer received,
                // back the way it came.
                if let Some((request, from, to)) = &last_request
                    && let Some(response) = forge_success(request, *from, &remote_key, raw)
                {
                    net.send(peer, *to, *from, response);
                }
            }
            11 => {
                // A server-reflexive candidate whose base is a host address the peer may have
                // signalled: its host is behind a NAT.
                let mut c = Candidate::new(
                    CandidateKind::ServerReflexive,
                    "2",
                    u32::from(op) << 16,
                    SocketAddr::from(([203, 0, 113, op], port)),
                );
                c.related = Some((ConnectionAddress::Ip(peer_ip), port));
                let _ = agent.add_remote_candidate(now, c);
            }
            13 => {
                // The owner hands over a DTLS flight (the argument, split in two), or says
                // the handshake is done.
                if op & 0x40 != 0 {
                    agent.sped_handshake_complete(op & 0x20 != 0);
                } else {
                    let (a, b) = arg.split_at(arg.len() / 2);
                    agent.sped_flight(now, [a, b]);
                }
            }
            14 => {
                agent.sped_dtls_received(arg);
            }
            _ => {
                // ICE-TCP as the owner sees it: on a connection accepted on the listener, or
                // (top bit) the one the active candidate opened.
                let ours = if op & 0x80 != 0 { active } else { listener };
                let tcp = |contents: &[u8], agent: &mut Agent| {
                    let d = Datagram {
                        transport: Transport::Tcp,
                        local: ours,
                        remote,
                        contents,
                    };
                    let _ = agent.handle_datagram(now, d);
                };
                match (op >> 4) & 7 {
                    1 => {
                        // Another listener, at a port of the argument's (0 and 9 refused).
                        let port = u16::from_be_bytes([
                            arg.first().copied().unwrap_or(0),
                            arg.get(1).copied().unwrap_or(0),
                        ]);
                        let _ = agent.add_tcp_listener(now, SocketAddr::new(local.ip(), port));
                    }
                    2 => agent.stream_closed(now, ours, remote),
                    3 => {
                        if let Some(check) = forge_check(&agent, op, arg, &[]) {
                            tcp(&check, &mut agent);
                        }
                    }
                    4 => {
                        // A success response to the agent's latest check over TCP, on the
                        // connection it went on.
                        if let Some((request, from, to)) = &last_tcp_request
                            && let Some(response) = forge_success(request, *from, &remote_key, &[])
                        {
                            let d = Datagram {
                                transport: Transport::Tcp,
                                local: *from,
                                remote: *to,
                                contents: &response,
                            };
                            let _ = agent.handle_datagram(now, d);
                        }
                    }
                    5 => tcp(arg, &mut agent),
                    6 => {
                        // The STUN server answers the latest request over TCP: mapped to
                        // 203.0.113.9 at a port of the argument's (the listener's port
                        // when it is 0: no NAT), or raw bytes as from it.
                        let port = u16::from_be_bytes([
                            arg.first().copied().unwrap_or(0),
                            arg.get(1).copied().unwrap_or(0),
                        ]);
                        if let Some((request, from)) = &last_stun_request {
                            let mapped = if port == 0 {
                                *from
                            } else {
                                SocketAddr::new([203, 0, 113, 9].into(), port)
                            };
                            let response = if op & 0x80 != 0 {
                                Some(arg.to_vec())
                            } else {
                                Message::decode(request).ok().and_then(|m| {
                                    let mut buf = [0u8; 256];
                                    let n = encode_binding_success_with(
                                        m.transaction_id(),
                                        mapped,
                                        None,
                                        &[],
                                        &mut buf,
                                    )
                                    .ok()?;
                                    Some(buf[..n].to_vec())
                                })
                            };
                            if let Some(response) = response {
                                let d = Datagram {
                                    transport: Transport::Tcp,
                                    local: *from,
                                    remote: stun,
                                    contents: &response,
                                };
                                let _ = agent.handle_datagram(now, d);
                            }
                        }
                    }
                    7 => {
                        // The connection to the STUN server closes.
                        if let Some((_, from)) = &last_stun_request {
                            agent.stream_closed(now, *from, stun);
                        }
                    }
                    _ => agent.close(now),
                }
            }
        }
        let mut n = 0;
        while let Some(t) = agent.poll_transmit() {
            n += 1;
            assert!(n < 10_000, "unbounded transmits");
            match (t.transport, t.source) {
                // ICE-TCP: the owner frames it on its connection; the fuzzer plays the peer.
                (Transport::Tcp, Some(source)) if t.destination == stun => {
                    last_stun_request = Some((t.contents, source));
                }
                (Transport::Tcp, Some(source)) => {
                    if t.contents.first().is_some_and(|b| *b < 4) {
                        last_tcp_request = Some((t.contents, source, t.destination));
                    }
                }
                (_, Some(source)) => net.send(me, source, t.destination, t.contents),
                (_, None) => {}
            }
        }
        net.advance_to(now);
        while let Some(d) = net.poll_delivery(me) {
            let datagram = Datagram {
                transport: Transport::Udp,
                local: d.local,
                remote: d.remote,
                contents: &d.contents,
            };
            let _ = agent.handle_datagram(now, datagram);
        }
        while let Some(d) = net.poll_delivery(peer) {
            if d.contents.first().is_some_and(|b| *b < 4) {
                last_request = Some((d.contents, d.remote, d.local));
            }
        }
        while let Some(e) = agent.poll_event() {
            if let Event::PiggybackedDtls { data } = e {
                // Only DTLS records are handed up.
                assert!(data.len() >= 13 && (20..=63).contains(&data[0]));
            }
        }
        assert!(agent.remote_candidates().count() <= 8);
        assert!(agent.pairs().count() <= 8);
        if let Some(t) = agent.poll_timeout() {
            assert!(t <= now + Duration::from_secs(3600));
        }
    }
});
