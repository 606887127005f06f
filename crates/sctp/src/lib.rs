//! # rtcweb-sctp: SCTP for WebRTC data channels, sans-IO
//!
//! Our own SCTP (RFC 9260, with partial reliability from RFC 3758 and RFC 7496, and stream
//! reset from RFC 6525), to carry data channels (RFC 8831) over DTLS (RFC 8261).
//!
//! ## The association: [`Association`]
//! One sans-IO state machine per DTLS connection, in the house contract: SCTP packets in
//! ([`Association::handle_datagram`]) and out ([`Association::poll_transmit_into`], built
//! when asked into the caller's buffer, so the windows decide what goes at the moment it
//! goes), time in ([`Association::handle_timeout`], [`Association::poll_timeout`]), events
//! out ([`Association::poll_event`]: connected, messages, stream resets, closed).
//! - Handshake (RFC 9260 §5.1) with the INIT collision WebRTC always has (§5.2: both peers
//!   connect at once); state cookies are nonces checked against the ones we issued.
//! - Messages are queued per stream as one `Bytes` each and cut into DATA chunks only when
//!   a packet has room (§6.9), round-robin between streams; ordered and unordered delivery;
//!   reassembly copies each message once.
//! - Retransmission: SACK with gap blocks and duplicates, delayed acks (every second
//!   packet, §6.2), fast retransmit on three miss reports and fast recovery (§7.2.4),
//!   T3-rtx with exponential back-off (§6.3.3), RTO estimation (§6.3.1), slow start and
//!   congestion avoidance (§7.2), the peer's receive window (§6.1).
//! - Partial reliability: messages with a lifetime or a retransmission limit are abandoned
//!   and skipped with FORWARD TSN (RFC 3758 §3.5, RFC 7496).
//! - Stream reset (RFC 6525 §5.1.2, §5.2.2), which closes data channels (RFC 8831 §6.7).
//! - HEARTBEAT (§8.3), ABORT, and graceful shutdown (§9.2).
//! - Every queue is bounded: send buffer per stream and in total, receive window, TSNs
//!   ahead of the cumulative ack, gap blocks, duplicates, cookies, responses. Bad packets
//!   are counted in [`Metrics`] and dropped.
//!
//! Not supported: I-DATA (RFC 8260) message interleaving, which WebRTC peers do not
//! negotiate by default, and association restart (§5.2.4 case A): a WebRTC peer makes a new
//! DTLS connection instead.
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
//! The wire format carries what the peer sent; rules on values (a zero Initiate Tag, DATA
//! without user data, which chunks may be bundled with INIT, §6.10) belong to the
//! association. I-DATA and I-FORWARD-TSN (RFC 8260), AUTH (RFC 4895) and ASCONF (RFC 5061)
//! are carried as unknown chunks, and the SSN/TSN Reset and Add Streams requests of RFC 6525
//! as unknown RE-CONFIG parameters.
#![forbid(unsafe_code)]

mod association;
mod config;
mod error;
mod event;
mod timer;
mod tsn;
pub mod wire;

pub use association::{Association, Metrics, SendOptions, SnapError, State};
pub use config::Config;
pub use error::SendError;
pub use event::{CloseReason, Event, Received};
