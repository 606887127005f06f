//! # rtcweb-sctp: SCTP for WebRTC data channels, sans-IO
//!
//! Our own SCTP (RFC 9260, with partial reliability from RFC 3758 and stream reset from
//! RFC 6525), to carry data channels (RFC 8831) in place of dcsctp. This first part is the
//! **wire format**; the association (handshake, retransmission, congestion control, streams)
//! comes next, under the `rtcweb-datachannel` API.
//!
//! ## What is here: [`wire`]
//! - The common header (RFC 9260 §3.1) with the CRC32c checksum (§6.8, Appendix A),
//!   verified on parse (a mismatch is [`wire::WireError::BadChecksum`]) and computed by the
//!   writer. RFC 9653's zero checksum can be accepted ([`wire::ChecksumPolicy::AcceptZero`])
//!   and written ([`wire::PacketWriter::with_zero_checksum`]) once both sides agreed on it.
//! - Chunks ([`wire::Chunk`]): DATA with the U/B/E/I flags, INIT and INIT ACK with their
//!   parameters (State Cookie, Supported Extensions, Forward-TSN-Supported, Zero Checksum
//!   Acceptable, and any other kept with its type), SACK with gap ack blocks and duplicate
//!   TSNs, HEARTBEAT / HEARTBEAT ACK, ABORT, SHUTDOWN / SHUTDOWN ACK / SHUTDOWN COMPLETE,
//!   ERROR with its causes (code and raw value), COOKIE ECHO / COOKIE ACK, FORWARD TSN
//!   (RFC 3758 §3.2), RE-CONFIG (RFC 6525 §3.1) with Outgoing and Incoming SSN Reset
//!   Requests and Re-configuration Responses, and any other chunk kept whole (type, flags,
//!   value) with the action its two high bits ask for ([`wire::UnrecognizedAction`]).
//! - Parsing borrows: [`wire::Packet::parse`] checks header, checksum and chunk framing,
//!   and [`wire::Packet::chunks`] yields chunks that point into the packet (a DATA payload
//!   is never copied). Malformed input is a typed error, never a panic.
//! - Writing into the caller's buffer: [`wire::PacketWriter`] pads chunks to 4 bytes,
//!   keeps to a maximum packet size (so the association can bundle chunks up to the MTU)
//!   and writes the checksum at the end. No allocation.
//!
//! ```
//! use rtcweb_sctp::wire::{Chunk, CommonHeader, GapBlock, List, Packet, PacketWriter, Sack};
//!
//! let header = CommonHeader { source_port: 5000, destination_port: 5000, verification_tag: 0x1234 };
//! let gaps = [GapBlock { start: 2, end: 3 }];
//! let sack = Sack { cumulative_tsn_ack: 100, a_rwnd: 1 << 20, gap_blocks: List::new(&gaps), ..Sack::default() };
//! let mut buf = [0u8; 1200];
//! let mut writer = PacketWriter::new(&mut buf, header, 1200)?;
//! writer.push(&Chunk::Sack(sack))?;
//! let len = writer.finish();
//!
//! let packet = Packet::parse(&buf[..len])?;
//! assert_eq!(packet.header(), header);
//! for chunk in packet.chunks() {
//!     if let Chunk::Sack(s) = chunk? {
//!         assert_eq!(s.gap_blocks.iter().next(), Some(GapBlock { start: 2, end: 3 }));
//!     }
//! }
//! # Ok::<(), rtcweb_sctp::wire::WireError>(())
//! ```
//!
//! ## Not here yet
//! The association and everything with state or time. Rules on values (a zero Initiate
//! Tag, DATA without user data, which chunks may be bundled with INIT, §6.10) belong to it:
//! the wire format carries what the peer sent. I-DATA and I-FORWARD-TSN (RFC 8260), AUTH
//! (RFC 4895) and ASCONF (RFC 5061) are carried as unknown chunks, and the SSN/TSN Reset
//! and Add Streams requests of RFC 6525 as unknown RE-CONFIG parameters.
#![forbid(unsafe_code)]

pub mod wire;
