//! # rtcweb-turn: a sans-IO TURN client
//!
//! Traversal Using Relays around NAT (RFC 8656), client side, for WebRTC's relayed
//! candidates. One [`Client`] makes and keeps one allocation on one server:
//!
//! - **Allocate** with long-term credentials: the first request goes without them, the
//!   server's 401 names REALM and NONCE, the retry is authenticated; 438 Stale Nonce is
//!   retried with the new nonce; 300 Try Alternate with ALTERNATE-SERVER is followed once.
//! - **SHA-256 credentials** where the server offers them (RFC 8489 §9.2): a NONCE that
//!   starts with the nonce cookie `obMatJos2` and sets the "Password algorithms" feature,
//!   with PASSWORD-ALGORITHMS, makes the client take the first of SHA-256 and MD5 in the
//!   list (the server's order, RFC 8489 §9.2.5), echo the list and name its choice in
//!   PASSWORD-ALGORITHM in every authenticated request, derive
//!   the key as `SHA-256(username ":" OpaqueString(realm) ":" OpaqueString(password))` and
//!   protect requests with MESSAGE-INTEGRITY-SHA256 alone, which responses must carry too.
//!   "Username anonymity" makes it send USERHASH instead of USERNAME. A later 401 or 438 that
//!   drops a feature or changes the list fails the client with [`TurnError::BidDown`]
//!   (§9.2.5) instead of falling back; a 438 keeps the algorithm. Without the cookie — coturn
//!   and every other deployed server — the key is MD5 and the integrity MESSAGE-INTEGRITY
//!   (HMAC-SHA1), as before; [`Client::password_algorithm`] tells which. No installable
//!   TURN server offers the cookie today (coturn does not), so the crate's tests run it
//!   against a scripted server written with stun-rs.
//! - **Refresh** a minute before expiry; **close** sends LIFETIME 0.
//! - **Permissions** (CreatePermission, refreshed before the 5-minute expiry) and **channels**
//!   (ChannelBind, refreshed before 10 minutes). Nothing is sent to, and nothing delivered
//!   from, a peer without a permission.
//! - **Data**: Send and Data indications, or 4-byte [`ChannelData`] headers once a channel is
//!   bound (RFC 8656 §12, padded to 4 bytes on streams). Relayed data reaches the owner one
//!   way on every transport, as [`Input::Relayed`] borrowed without a copy: returned by
//!   [`Client::handle_datagram`] for a UDP datagram, yielded by the [`StreamInputs`] that
//!   [`Client::handle_stream`] returns for TCP and TLS bytes.
//! - **Transports**: UDP; TCP (STUN and ChannelData framed in the byte stream,
//!   [`StreamFramer`]); TLS over TCP with rustls, the server certificate verified against
//!   roots or a pinned certificate ([`TlsConfig`]).
//! - **Errors**: 401 with wrong credentials, 403, 437, 441, 486, 508 and timeouts become
//!   [`TurnError`] values in [`Event::Failed`] (or in the permission and channel events).
//!
//! ## The drive loop
//! ```
//! use std::time::Instant;
//! use rtcweb_common::{Datagram, Transport};
//! use rtcweb_turn::{Client, Config, Event, Input};
//!
//! let server = "127.0.0.1:3478".parse().unwrap();
//! let mut client = Client::new(Config::new(server, Transport::Udp, "user", "pass")).unwrap();
//! # #[allow(clippy::disallowed_methods)]
//! let now = Instant::now();
//! client.allocate(now).unwrap();
//! // After every input: drain what to send and what happened, then sleep until the deadline.
//! while let Some(transmit) = client.poll_transmit() {
//!     assert_eq!(transmit.destination, server); // socket.send_to(&transmit.contents, ...)
//! }
//! while let Some(event) = client.poll_event() {
//!     if let Event::Allocated { relayed, .. } = event { println!("relayed at {relayed}"); }
//! }
//! let _deadline = client.poll_timeout(); // then client.handle_timeout(deadline)
//! // A datagram from the server: relayed data comes back borrowed, control is consumed.
//! let reply = [0u8; 4];
//! let datagram = Datagram {
//!     transport: Transport::Udp,
//!     local: "192.0.2.1:5000".parse().unwrap(),
//!     remote: server,
//!     contents: &reply,
//! };
//! match client.handle_datagram(now, datagram) {
//!     Input::Relayed { peer, data } => println!("{} bytes from {peer}", data.len()),
//!     Input::Consumed | Input::NotForUs => {}
//! }
//! ```
//!
//! ## Time and randomness
//! Time comes in as `now` arguments; the crate reads no clock. Certificate validity for TLS
//! uses the wall-clock [`rustls::time_provider::TimeProvider`] given in [`TlsConfig::new`].
//! Transaction IDs come from a ChaCha generator seeded once (from the OS, or from
//! [`Config::seed`] for deterministic tests).
//!
//! ## Not implemented
//! TURN server functions; RFC 6062 TCP relaying (CONNECT); RFC 8656 dual allocations
//! (ADDITIONAL-ADDRESS-FAMILY), EVEN-PORT and RESERVATION-TOKEN; DTLS to the server;
//! MESSAGE-INTEGRITY-SHA256 with an MD5 key (an MD5 key, negotiated or not, goes with
//! MESSAGE-INTEGRITY).
#![forbid(unsafe_code)]

mod channel;
mod channel_data;
mod client;
mod config;
mod error;
mod event;
mod framing;
mod permission;
mod tls;

pub use channel_data::{
    ChannelData, HEADER_LEN as CHANNEL_DATA_HEADER_LEN, MAX_CHANNEL, MIN_CHANNEL,
};
pub use client::{Client, Input, Stats, StreamInputs};
pub use config::Config;
pub use error::{TurnError, WireError};
pub use event::Event;
pub use framing::{Frame, StreamFramer};
pub use tls::{ServerVerification, TlsConfig};

/// The password algorithms of long-term credentials (RFC 8489 §18.5), as
/// [`Client::password_algorithm`] reports them.
pub use rtcweb_stun::PasswordAlgorithm;

/// The rustls crate the TLS transport is built on.
pub use rustls;
