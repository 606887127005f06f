//! Wire formats of DTLS 1.2 and 1.3: the record headers (with the DTLS 1.3 unified header),
//! the handshake header and each handshake message, as borrowed parsers and emitters into the caller's buffer.
//!
//! Record and handshake headers are fixed layouts; handshake messages are TLS vectors read
//! with a cursor. Code points are open enums (`CipherSuite(u16)` with constants), so values we
//! do not know are still carried.

pub mod ack;
pub mod alert;
pub mod certificate;
pub mod certificate13;
pub mod certificate_request;
pub mod certificate_verify;
pub mod client_hello;
pub mod client_key_exchange;
pub mod code_points;
pub(crate) mod codec;
pub mod extension;
pub mod finished;
pub mod handshake;
pub mod hello_verify_request;
pub mod key_share;
pub mod record;
pub mod server_hello;
pub mod server_key_exchange;
pub mod unified_header;
