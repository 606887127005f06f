//! Values shared by every rtcweb transport layer.
//!
//! The protocol crates of rtcweb (STUN, TURN, ICE, DTLS, SRTP, SCTP, ...) are sans-IO state
//! machines. What goes in and out of them is described by the small types of this crate, so
//! that the owner (the `peer` crate, a test, a benchmark) routes values between layers without
//! converting look-alike types:
//!
//! - [`Transport`]: UDP, TCP or TLS over TCP.
//! - [`Transmit`]: bytes a state machine wants sent, from which local address to which remote
//!   one, over which transport.
//! - [`Datagram`]: bytes that arrived, with the same addressing, borrowed from the owner's
//!   receive buffer.
//! - [`PacketKind`]: the RFC 7983 demultiplexing of a datagram by its first byte.
//! - [`FrameDecoder`] and [`encode_frame`]: RFC 4571 framing of datagrams in a TCP stream
//!   (ICE-TCP, RFC 6544 §3).
#![forbid(unsafe_code)]

mod datagram;
mod demux;
mod framing;
mod transmit;
mod transport;

pub use datagram::Datagram;
pub use demux::PacketKind;
pub use framing::{
    FRAME_HEADER_LEN, FrameDecoder, FramingError, MAX_FRAME_PAYLOAD, MIN_DECODER_LIMIT,
    encode_frame,
};
pub use transmit::Transmit;
pub use transport::Transport;
