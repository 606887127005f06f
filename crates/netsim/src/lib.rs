//! # rtcweb-netsim: a deterministic network for sans-IO protocol tests
//!
//! A simulated UDP network to drive rtcweb's sans-IO state machines (the ICE agents, the
//! SCTP and data-channel pairs of `rtcweb-test-support`, and pairs of peers) through NATs,
//! lossy links and relays, in simulated time:
//!
//! - **Hosts** ([`Network::add_host`]) on the public internet or in the private realm behind
//!   a NAT. Private addresses may repeat in different realms; hosts of one realm reach each
//!   other directly (a LAN). A host may have several interfaces ([`Network::add_interface`]).
//! - **Access links** ([`LinkConfig`]): delay, uniform jitter, loss, duplication and
//!   reordering, applied independently to each packet leaving and entering a host.
//! - **NATs** ([`NatConfig`]) with the mapping and filtering behaviours of RFC 4787
//!   (endpoint-independent, address-dependent, address-and-port-dependent), hairpinning on or
//!   off, and mappings that time out after the last outbound packet.
//! - **A STUN server** ([`Network::add_stun_server`]) answering Binding requests with
//!   XOR-MAPPED-ADDRESS, and **a small TURN server** ([`Network::add_turn_server`], RFC 8656
//!   over UDP with long-term credentials: Allocate, Refresh, CreatePermission, ChannelBind,
//!   Send and Data indications, ChannelData). Servers have ideal links.
//! - **Bottlenecks** ([`Bottleneck`], [`Network::set_bottleneck`]) on either direction of a
//!   host's access link: a rate, a drop-tail queue limited in bytes or in time at the current
//!   rate, serialization at the rate, and rate changes now or at set times
//!   ([`Network::schedule_bottleneck_rate`]).
//! - **Counters** ([`NetStats`]) of what was sent, delivered, lost, duplicated and dropped
//!   where, and **bounds** ([`Limits`]) on every queue and table.
//!
//! ## How a datagram travels
//! 1. [`Network::send`] from a host socket: the sender's uplink bottleneck, if any, queues and
//!    serializes it; then its access link applies loss, delay, jitter, reordering and
//!    duplication (each copy travels on by itself).
//! 2. In a private realm: to a host of the same realm directly; to the NAT's own public
//!    address by hairpinning (or dropped); else out through the NAT, which maps the source
//!    (RFC 4787 §4.1) and records the destination for filtering.
//! 3. On the public internet, by destination: a server's socket (STUN, TURN, or a TURN
//!    relayed address: handled at once, answers go on from there), a NAT's public IP
//!    (filtered and translated, RFC 4787 §5), a public host, or nowhere (dropped).
//! 4. The receiver's downlink bottleneck, if any, and its access link, then the host's inbox,
//!    for [`Network::poll_delivery`].
//!
//! Every drop is counted in [`NetStats`]; nothing panics on what a datagram contains.
//!
//! ## Time and randomness
//! No clock is read: time starts at the `Instant` given to [`Network::new`] and moves only
//! with [`Network::advance_to`]. [`Network::send`] sends at [`Network::now`]. All randomness
//! (loss, jitter, ...) comes from one generator seeded at [`Network::new`], so a seed and the
//! same calls reproduce a run exactly: same deliveries, same order, same times. Packets
//! arriving at the same instant are delivered in the order they were scheduled.
//!
//! ## The drive loop
//! Drain what each state machine wants sent into [`Network::send`], find the earliest deadline
//! of the machines and of the network ([`Network::poll_timeout`]), advance the network to it,
//! and feed each host what [`Network::poll_delivery`] hands out:
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::{Duration, Instant};
//! use rtcweb_netsim::{LinkConfig, NatConfig, Network};
//!
//! # #[allow(clippy::disallowed_methods)] // the epoch of simulated time
//! let start = Instant::now();
//! let mut net = Network::new(7, start);
//! let nat = net.add_nat(NatConfig::port_restricted_cone("203.0.113.1".parse().unwrap()));
//! let alice = net.add_host("192.168.1.10".parse().unwrap(), Some(nat));
//! let bob = net.add_host("198.51.100.20".parse().unwrap(), None);
//! net.set_link(alice, LinkConfig { delay: Duration::from_millis(20), ..LinkConfig::default() });
//! let a: SocketAddr = "192.168.1.10:5000".parse().unwrap();
//! let b: SocketAddr = "198.51.100.20:6000".parse().unwrap();
//!
//! net.send(alice, a, b, b"hello".to_vec()); // what a machine's poll_transmit() gave
//! while let Some(deadline) = net.poll_timeout() {
//!     // In a real test: deadline = min(net.poll_timeout(), each machine's poll_timeout()).
//!     net.advance_to(deadline);
//!     while let Some(d) = net.poll_delivery(bob) {
//!         // machine.handle_datagram(net.now(), d.datagram()), then drain its transmits.
//!         assert_eq!(d.contents, b"hello");
//!         assert_eq!(d.remote, "203.0.113.1:40000".parse().unwrap()); // after the NAT
//!         net.send(bob, b, d.remote, b"hi".to_vec());
//!     }
//!     while let Some(d) = net.poll_delivery(alice) {
//!         assert_eq!((d.local, d.remote, d.contents.as_slice()), (a, b, &b"hi"[..]));
//!     }
//! }
//! assert_eq!(net.stats().delivered, 2);
//! assert_eq!(net.now() - start, Duration::from_millis(20 + 5 + 5 + 20));
//! ```
//!
//! ## Not simulated
//! TCP and TLS (UDP only); MTU, fragmentation and ICMP; bandwidth and queueing anywhere but
//! on access links (the internet core and servers are unlimited); active queue management
//! (bottleneck queues are drop-tail, no CoDel/RED, no ECN marking); link-layer framing beyond a
//! fixed per-packet overhead; cross traffic other than what the test sends itself; NATs
//! behind NATs; NAT port preservation or parity; inbound refresh of NAT mappings; TURN over
//! TCP/TLS, RFC 6062, dual allocations, EVEN-PORT and RESERVATION-TOKEN; nonce expiry (the
//! TURN server's nonce never goes stale).
#![forbid(unsafe_code)]

mod bottleneck;
mod delivery;
mod host;
mod link;
mod nat;
mod network;
mod stats;
mod stun_server;
mod turn_allocation;
mod turn_data;
mod turn_server;

pub use bottleneck::{Bottleneck, BottleneckStats, Direction, QueueLimit};
pub use delivery::Delivery;
pub use host::HostId;
pub use link::LinkConfig;
pub use nat::{NatBehavior, NatConfig, NatId};
pub use network::Network;
pub use stats::{Limits, NetStats};
pub use turn_server::TurnServerConfig;
