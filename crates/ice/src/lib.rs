//! # rtcweb-ice: a sans-IO ICE agent
//!
//! Interactive Connectivity Establishment (RFC 8445) as browsers run it, with trickle
//! (RFC 8838), consent freshness (RFC 7675), ICE-lite and the `a=candidate` grammar of
//! RFC 8839. One [`Agent`] handles one data stream with one component: WebRTC bundles
//! everything on one transport and multiplexes RTCP (`max-bundle`, `rtcp-mux`).
//!
//! - **Candidates**: host (the owner's sockets, IPv4 and IPv6), server-reflexive (STUN
//!   servers), relayed (TURN over UDP, TCP or TLS through [`rtcweb_turn`]) and
//!   peer-reflexive (learned from checks). Priorities and foundations per RFC 8445 §5.1.2 and
//!   §5.1.1.3; redundant candidates are dropped (§5.1.3).
//! - **ICE-TCP** (RFC 6544): for each TCP listener of the owner's
//!   ([`Agent::add_tcp_listener`]) a passive host candidate and an active one (port 9 in
//!   SDP, §4.5), ranked below UDP with the §4.2 direction preference; TCP pairs only with
//!   TCP, active with passive (§6.2); checks on TCP are sent once (§7.1); a check arriving
//!   on a connection to our listener makes an active peer-reflexive remote candidate,
//!   checked back on that connection. The owner opens, accepts and frames the connections
//!   (RFC 4571, [`rtcweb_common::FrameDecoder`]); a [`Transmit`](rtcweb_common::Transmit)
//!   from the active candidate's address is its cue to connect
//!   ([`Agent::add_tcp_listener`] says how connections are named).
//!   **Server-reflexive passive** candidates (§4.1) for a peer behind a 1:1 NAT (a cloud
//!   VM's public address, a port forward): one Binding request over TCP from each listener
//!   to each `stun:` server (sent once, Ti 39.5 s, RFC 8489 §6.2.2; at most 16 at once,
//!   counted in [`Stats::tcp_discoveries_refused`]), the mapping of the listener's own port
//!   as a passive candidate related to it, unless it is the listener itself; gathering
//!   completes when they end. A check on such a connection answered with that address makes
//!   it the valid pair's local candidate (RFC 8445 §7.2.5.3.1). No server-reflexive
//!   *active* candidate is gathered: an active candidate is signalled with port 9 and never
//!   connected to, its connections leave from ephemeral ports whose mapping no STUN request
//!   can know beforehand, and the peer learns that mapping anyway from our first check, as
//!   a peer-reflexive remote candidate (RFC 8445 §7.3.1.3); a server-reflexive active
//!   candidate would share the host active one's base and so its pairs' checks and
//!   connections (§6.1.2.4 prunes such pairs). libwebrtc gathers no server-reflexive TCP
//!   candidate of either kind.
//! - **Checks**: a bounded checklist with frozen / waiting / in-progress / succeeded /
//!   failed pairs, Ta pacing, triggered checks, role conflicts settled by the tie-breaker.
//!   No check goes from a relayed candidate to a remote host candidate that the peer's own
//!   server-reflexive candidate shows to be behind a NAT: the relay cannot reach it, and a
//!   TURN server whose relayed send fails closes the allocation without telling us
//!   (coturn), which would end every relayed pair at once (`tests/turn_send_errors.rs`).
//! - **Server errors**: a STUN or TURN server that refuses (401 for wrong credentials) or
//!   does not answer is reported as [`Event::CandidateError`] (W3C `icecandidateerror`) and
//!   kept for the failure report ([`Agent::candidate_errors`]).
//! - **Nomination**: regular nomination as controlling agent; as controlled agent it accepts
//!   USE-CANDIDATE on the first check, as Chromium sends it. An authenticated check from the
//!   peer on the selected pair counts as proof of life.
//! - **Trickle** and **ICE restart**; **consent freshness** (checks every 5 s ± 20 %,
//!   `disconnected` after a quiet spell, `failed` after 30 s) and keepalives.
//! - **mDNS**: `.local` candidates wait until the owner resolves them
//!   ([`Event::ResolveMdns`], [`Agent::resolve_mdns`]); the agent resolves nothing itself.
//! - **SPED** (draft-hancke-webrtc-sped, [`Config::sped`]): the DTLS handshake rides in the
//!   checks and their responses (one DTLS datagram in 0xC070, CRC-32 acks in 0xC071), as
//!   Chromium does behind `WebRTC-IceHandshakeDtls`. The owner hands the agent each DTLS
//!   flight ([`Agent::sped_flight`]) and gets the peer's as [`Event::PiggybackedDtls`]; a
//!   check that carries DTLS is answered once the owner has handed over DTLS's reply, so
//!   the response carries it. A peer whose first authenticated message has neither
//!   attribute does not do SPED: nothing more is attached and DTLS goes as datagrams.
//! - **Limits**: remote candidates, pairs, triggered checks and transactions are bounded.
//!   A Binding request that does not authenticate creates no state and, with a wrong
//!   MESSAGE-INTEGRITY, gets no response.
//!
//! ## The drive loop
//! The agent owns no socket and reads no clock. The owner gives it its sockets and every
//! datagram that arrives on them, sends what [`Agent::poll_transmit`] returns, routes
//! [`Event`]s (candidates to signalling), and calls [`Agent::handle_timeout`] at
//! [`Agent::poll_timeout`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtcweb_common::{Datagram, Transport};
//! use rtcweb_ice::{Agent, Config, Event, Received};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let mut now = Instant::now();
//! let mut agent = Agent::new(Config::default(), now).unwrap();
//! agent.add_local_socket(now, "127.0.0.1:5000".parse().unwrap()).unwrap();
//! agent.gather(now);
//! // Signalling: send our credentials and candidates, receive the peer's.
//! while let Some(event) = agent.poll_event() {
//!     if let Event::LocalCandidate(c) = event {
//!         println!("a={c}");
//!     }
//! }
//! // For every datagram a socket receives:
//! let datagram = Datagram {
//!     transport: Transport::Udp,
//!     local: "127.0.0.1:5000".parse().unwrap(),
//!     remote: "127.0.0.1:6000".parse().unwrap(),
//!     contents: &[0x16, 0xfe, 0xfd],
//! };
//! match agent.handle_datagram(now, datagram) {
//!     Received::Data { contents, .. } => println!("{} bytes for DTLS", contents.len()),
//!     Received::Consumed | Received::Rejected => {}
//! }
//! // After every input: send, then sleep until the deadline.
//! while let Some(t) = agent.poll_transmit() {
//!     println!("send {} bytes from {:?} to {}", t.contents.len(), t.source, t.destination);
//! }
//! if let Some(deadline) = agent.poll_timeout() {
//!     now = now.max(deadline);
//!     agent.handle_timeout(now);
//! }
//! ```
//!
//! Application data goes out with [`Agent::send`] on the selected pair (through the relay
//! when the pair is relayed) and comes in as [`Received::Data`].
//!
//! ## Not implemented
//! ICE-TCP simultaneous-open candidates (none gathered; remote `tcptype so` candidates are kept and never paired, since RFC 6544 §6.2 pairs them only
//! with simultaneous-open ones of ours), several components or data streams
//! per agent (no need with BUNDLE and rtcp-mux), aggressive nomination as controlling agent (deprecated by RFC 8445), the
//! RFC 8421 address-selection details beyond preferring IPv6 and earlier interfaces.
#![forbid(unsafe_code)]

mod agent;
mod candidate;
mod checklist;
mod checks;
mod config;
mod credentials;
mod error;
mod event;
mod gather;
mod inbound;
mod liveness;
mod priority;
mod sped;
mod url;

pub use agent::{Agent, Received, Stats};
pub use candidate::{
    Candidate, CandidateKind, CandidateTransport, ConnectionAddress, MAX_EXTENSIONS,
    MAX_FOUNDATION_LEN, MAX_LINE_LEN, TcpType,
};
pub use checklist::{PairInfo, PairState};
pub use config::{Config, IceServer, TransportPolicy};
pub use credentials::Credentials;
pub use error::{CandidateParseError, IceError};
pub use event::{CandidateError, ConnectionState, Event, GatheringState, SelectedPair};
pub use priority::{
    candidate_priority, local_preference, pair_priority, tcp_candidate_priority,
    tcp_local_preference, tcp_type_preference,
};
pub use sped::{
    DTLS_IN_STUN, DTLS_IN_STUN_ACK, MAX_ACKS, MAX_FLIGHT_PACKETS, Piggybacked, SpedState,
    SpedStats, packet_hash,
};
pub use url::{IceUrl, MAX_URL_LEN, UrlError, UrlHost, UrlScheme};
