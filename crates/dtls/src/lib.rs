//! # rtcweb-dtls: DTLS 1.3 and 1.2 for WebRTC, sans-IO, on ring
//!
//! The Datagram Transport Layer Security of WebRTC: DTLS 1.3 (RFC 9147) and DTLS 1.2
//! (RFC 6347) as DTLS-SRTP (RFC 5764) keys media and as data channels (RFC 8261) carry
//! SCTP. One [`Connection`] is one association with one peer on an already selected ICE
//! path: it owns no socket and reads no clock.
//!
//! ## Versions
//! [`Config::versions`] chooses 1.2, 1.3 or both (the default). With both, a client's
//! ClientHello offers 1.3 beside 1.2 (`supported_versions`, key shares for the first
//! [`Config::tls13_key_shares`] of [`Config::tls13_groups`]: the hybrid post-quantum
//! X25519MLKEM768, then x25519, which is the hybrid's X25519 key sent again, as rustls
//! does: one key generation for two shares) and the server's answer decides; a server
//! answers 1.3 when offered. Both directions check the RFC 8446 §4.1.3 downgrade sentinel.
//!
//! DTLS 1.3: suites `TLS_AES_128_GCM_SHA256`, `TLS_AES_256_GCM_SHA384`,
//! `TLS_CHACHA20_POLY1305_SHA256`; groups X25519MLKEM768 (ML-KEM-768 from Cryspen's
//! formally verified `libcrux-ml-kem`, the shared secret the ML-KEM one followed by the
//! X25519 one), x25519, secp256r1; the unified record header with encrypted sequence numbers (RFC 9147 §4),
//! epochs 2 (handshake) and 3+ (application), a stateless HelloRetryRequest whose cookie
//! carries the first ClientHello's hash (RFC 8446 §4.4.1), ACKs of the client's last flight
//! (RFC 9147 §7), KeyUpdate ([`Connection::update_keys`]), and the RFC 8446 §7.5 exporter
//! for the SRTP keys. [`Event::Connected`] says which version won
//! ([`Connected::version`]) and the group.
//!
//! ## Scope of DTLS 1.2
//! - **Roles**: client and server (WebRTC picks by `a=setup`). The client always sends its
//!   certificate when asked, the server always asks (mutual authentication, RFC 8827 §6.5).
//! - **Suites**: `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256` (first), `..._AES_256_GCM_SHA384`,
//!   `..._CHACHA20_POLY1305_SHA256`, and the `ECDHE_RSA` variants as a client talking to a
//!   server with an RSA certificate. **Groups**: x25519, secp256r1 (a server takes the first
//!   of the client's list it supports). **Signatures**: we sign with
//!   `ecdsa_secp256r1_sha256`; we verify ECDSA P-256/P-384, Ed25519, RSA PKCS#1 v1.5 and
//!   RSA-PSS.
//! - **Extensions**: `use_srtp` with the four profiles of [`SrtpProfile::SUPPORTED`],
//!   `extended_master_secret` (RFC 7627, required), `renegotiation_info` (empty; we never
//!   renegotiate), `supported_groups`, `ec_point_formats`, `signature_algorithms`; anything
//!   else is ignored. A ClientHello that also offers DTLS 1.3 (`supported_versions`) gets
//!   DTLS 1.3 unless [`Config::versions`] keeps to 1.2.
//! - **Datagrams**: handshake messages are reassembled from out-of-order, duplicated and
//!   overlapping fragments, within limits per message and in total; our flights are cut to
//!   [`Config::mtu`] (1200 by default) and retransmitted with exponential backoff from
//!   [`Config::initial_retransmit`] capped at [`Config::max_retransmit`] (RFC 6347 §4.2.4).
//!   A flight is also resent when the peer repeats the flight it answers, at most
//!   [`Config::max_retransmissions`] times and, after our final flight, only for the peer's
//!   authenticated Finished, so replayed or forged records cannot make us send without
//!   bound. Records of epoch 1 pass a replay window (RFC 6347 §4.1.2.6).
//! - **Records**: [`Connection::send_into`] writes a record into the caller's buffer and
//!   [`Connection::handle_datagram_in_place`] opens records where they lie in the caller's
//!   buffer, for owners that want no copy or allocation per record; [`Connection::send`]
//!   and [`Event::ApplicationData`] are the owned-buffer equivalents.
//! - **Cookies**: as server, a ClientHello without a valid stateless HMAC cookie gets a
//!   HelloVerifyRequest (DTLS 1.3: a HelloRetryRequest with a cookie) and leaves no state
//!   and costs no public-key operation; as client, we follow both.
//! - **Certificates**: [`Certificate::generate`] makes a self-signed ECDSA P-256
//!   certificate (rcgen); [`Fingerprint`] reads and writes the `a=fingerprint` form of
//!   RFC 8122. The peer's certificate must match one of [`Config::remote_fingerprints`]
//!   (of the strongest hash listed), else the handshake fails with
//!   [`Error::FingerprintMismatch`] before any key or data is released.
//! - **Events** ([`Event`]): [`Event::Connected`] with the SRTP profile and the RFC 5705
//!   keying material (label `EXTRACTOR-dtls_srtp`) for `rtcweb-srtp`, the peer certificate
//!   and fingerprint; application data; closed; failed with a typed [`Error`].
//!
//! ## The drive loop
//! The owner feeds datagrams and timeouts, drains transmits and events after every input,
//! and sleeps until [`Connection::poll_timeout`]. Here two connections talk in memory:
//! ```
//! use std::time::{Duration, Instant};
//! use rtcweb_dtls::{Certificate, Config, Connection, Event, HashAlgorithm};
//!
//! let (client_cert, server_cert) = (Certificate::generate()?, Certificate::generate()?);
//! let client_config = Config::new(client_cert.clone(), vec![server_cert.fingerprint(HashAlgorithm::Sha256)]);
//! let server_config = Config::new(server_cert, vec![client_cert.fingerprint(HashAlgorithm::Sha256)]);
//! # #[allow(clippy::disallowed_methods)]
//! let mut now = Instant::now();
//! let mut client = Connection::client(now, client_config)?;
//! let mut server = Connection::server(now, server_config)?;
//! let mut keys = Vec::new();
//! let mut datagram = Vec::new(); // one buffer, reused for every datagram
//! while keys.len() < 2 {
//!     // Drain what each side sends into the other (a socket's send_to in real life).
//!     let mut sent = false;
//!     while client.poll_transmit_into(&mut datagram) { server.handle_datagram(now, &datagram); sent = true; }
//!     while server.poll_transmit_into(&mut datagram) { client.handle_datagram(now, &datagram); sent = true; }
//!     for conn in [&mut client, &mut server] {
//!         while let Some(event) = conn.poll_event() {
//!             match event {
//!                 // Hand the SRTP keys to rtcweb-srtp (with our role).
//!                 Event::Connected(c) => keys.push(c.srtp.unwrap().keying_material),
//!                 Event::ApplicationData(data) => println!("{} bytes for SCTP", data.len()),
//!                 Event::Closed | Event::Failed(_) => unreachable!(),
//!                 _ => {}
//!             }
//!         }
//!     }
//!     // Sleep until the earliest deadline, then tell both.
//!     if let Some(deadline) = [client.poll_timeout(), server.poll_timeout()].into_iter().flatten().min() {
//!         if !sent && keys.len() < 2 { now = now.max(deadline); }
//!     }
//!     client.handle_timeout(now);
//!     server.handle_timeout(now);
//! }
//! assert_eq!(keys[0], keys[1]);
//! client.send(now, b"hello")?; // one record; drain poll_transmit_into again
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Time and randomness
//! Time comes in as `now` arguments; nothing reads a clock. Randoms and the cookie secret
//! come from a ChaCha generator seeded once from the OS (or [`Config::seed`]); AES-GCM
//! explicit nonces are the record sequence numbers, so records cost no randomness.
//! Ephemeral keys and signatures use ring's OS generator once per handshake.
//!
//! ## Ready for DTLS 1.3
//! Records and handshake messages are parsed in [`wire`] independently of the state
//! machine; the record parser recognises the DTLS 1.3 unified header and refuses it
//! ([`WireError::UnsupportedHeader`]), the handshake header and reassembly are the ones
//! DTLS 1.3 keeps (RFC 9147 §5.2), and the record layer holds ciphers per epoch.
//!
//! ## Not implemented
//! DTLS 1.3; session resumption and tickets; renegotiation (refused with
//! `no_renegotiation`); an RSA certificate of our own; PSK, CBC and CCM suites; certificate
//! path validation (WebRTC authenticates by fingerprint); path MTU discovery; connection
//! IDs (RFC 9146).
#![forbid(unsafe_code)]

mod certificate;
mod config;
mod connection;
mod crypto;
mod error;
mod event;
pub mod handshake;
mod prepared_keys;
mod record_layer;
// Driven by the DTLS 1.3 handshake (written beside it); until then by its tests, the fuzz
// target and the benchmarks.
mod record_layer13;
#[doc(hidden)]
pub use record_layer13::fuzzing;
mod replay;
mod stats;
pub mod wire;

pub use certificate::{Certificate, Fingerprint, HashAlgorithm};
pub use config::{Config, MIN_MTU, Role, Versions};
pub use connection::{Connection, SRTP_EXPORTER_LABEL};
pub use error::{ConfigError, Error, Parameter, WireError};
pub use event::{Connected, Event, SrtpKeying};
pub use prepared_keys::PreparedKeys;
pub use stats::Stats;
pub use wire::alert::AlertDescription;
pub use wire::code_points::{
    CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme, SrtpProfile,
};
