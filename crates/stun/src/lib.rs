//! # rtcweb-stun: STUN for ICE and TURN, sans-IO
//!
//! Session Traversal Utilities for NAT (RFC 8489) as WebRTC's ICE agent (RFC 8445) and TURN
//! client (RFC 8656) need it. Message encoding and attribute decoding are done by
//! [`stun-rs`](https://docs.rs/stun-rs); this crate adds what a WebRTC stack needs around it:
//!
//! - **A cheap classifier** ([`classify()`], [`classify_checked`], [`looks_like_stun`]): is this
//!   datagram STUN, which class, method and transaction, is its FINGERPRINT right. It reads
//!   the header and the attribute headers and runs one CRC-32, with no allocation, so a flood of
//!   garbage costs little. Full decoding ([`Message::decode`]) runs only on what passed it.
//! - **Typed messages**: [`Message`] (decoded, with accessors for USERNAME, PRIORITY,
//!   ICE-CONTROLLING/-CONTROLLED, USE-CANDIDATE, XOR-MAPPED-ADDRESS, ERROR-CODE, REALM, NONCE,
//!   USERHASH, PASSWORD-ALGORITHMS, PASSWORD-ALGORITHM and TURN's attributes) and
//!   [`MessageWriter`] (encodes into the caller's buffer with MESSAGE-INTEGRITY or
//!   MESSAGE-INTEGRITY-SHA256 and FINGERPRINT). Keys for short-term and long-term credentials
//!   (RFC 8489 §9) are [`IntegrityKey`]s, made once per credential, with the MD5 or SHA-256
//!   [`PasswordAlgorithm`] (§9.2.2).
//! - **The nonce cookie** of RFC 8489 §9.2: [`SecurityFeatures`] read from a NONCE that
//!   starts with [`NONCE_COOKIE`] tell whether the server takes PASSWORD-ALGORITHMS and asks
//!   for USERHASH ([`userhash`]). The client side of that negotiation, with its bid-down
//!   protection, is rtcweb-turn's.
//! - **Unknown attributes**: comprehension-optional ones (Chromium's GOOG-NETWORK-INFO,
//!   0xC057) are tolerated; comprehension-required ones are listed so a server answers 420 with
//!   UNKNOWN-ATTRIBUTES ([`encode_unknown_attributes_response`]).
//! - **Client transactions** ([`ClientTransactions`]): RFC 8489 §6.2.1 retransmissions (RTO,
//!   Rc, Rm, configurable for ICE pacing), matching by transaction ID, timeouts, a bounded table.
//! - **Server-reflexive discovery** ([`ReflexiveDiscovery`]).
//!
//! ## The sans-IO contract
//! Nothing here owns a socket or reads a clock. Stateful types take input with
//! `handle_datagram(now, datagram)` (an [`rtcweb_common::Datagram`]) and `handle_timeout(now)`, and give output through
//! `poll_transmit()`, `poll_event()` and `poll_timeout()`. The owner sends, receives and
//! sleeps. See [`ReflexiveDiscovery`] for the drive loop.
//!
//! ## Not implemented
//! STUN servers beyond answering Binding requests (no RFC 5780 NAT behaviour discovery, no
//! long-term credential server side), DNS SRV discovery of servers (the owner resolves names).
#![forbid(unsafe_code)]

mod binding;
mod classify;
mod credentials;
mod discovery;
mod error;
mod message;
mod method;
mod nonce_cookie;
mod transaction;
mod writer;

pub use binding::{
    BindingRequest, IceRole, encode_binding_error, encode_binding_indication,
    encode_binding_success, encode_binding_success_with, encode_unknown_attributes_response,
};
pub use classify::{
    Class, FINGERPRINT_TYPE, FINGERPRINT_XOR, Fingerprint, HEADER_LEN, Header, MAGIC_COOKIE,
    classify, classify_checked, looks_like_stun, parse_header, raw_attribute,
};
pub use credentials::{IntegrityAlgorithm, IntegrityKey, PasswordAlgorithm, userhash};
pub use discovery::{DiscoveryError, DiscoveryEvent, ReflexiveDiscovery};
pub use error::{ClassifyError, CredentialError, DecodeError, EncodeError};
pub use message::{ErrorCode, Message, codes};
pub use method::Method;
pub use nonce_cookie::{NONCE_COOKIE, SecurityFeatures};
pub use transaction::{
    ClientTransactions, Completed, RetransmitConfig, TimedOut, TransactionError,
};
pub use writer::{MAX_MESSAGE_LEN, MessageWriter};

/// The stun-rs crate this one is built on, for attributes without a helper here.
pub use stun_rs;
