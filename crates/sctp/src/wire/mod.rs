//! The SCTP wire format: the common header, the CRC32c, and every chunk WebRTC data
//! channels use, as borrowed views for parsing and as the same types for writing.
//!
//! - [`Packet::parse`] checks the header, the checksum and the framing of every chunk, then
//!   [`Packet::chunks`] yields each [`Chunk`] borrowed from the packet (DATA payloads are
//!   not copied).
//! - [`PacketWriter`] writes a header and chunks into the caller's buffer up to a maximum
//!   packet size, refusing with [`WireError::NoRoom`] a chunk that does not fit, and puts the
//!   checksum in at [`PacketWriter::finish`].

mod cause;
mod checksum;
mod chunk;
mod chunk_type;
mod data;
mod error;
mod forward_tsn;
mod header;
mod heartbeat;
mod init;
mod list;
mod packet;
mod param;
mod reconfig;
mod sack;
mod tlv;
mod writer;

pub use cause::{Abort, Causes, ErrorCause, ErrorChunk};
pub use checksum::crc32c;
pub use chunk::{Chunk, UnknownChunk};
pub use chunk_type::{CauseCode, ChunkType, ParamType, UnrecognizedAction};
pub use data::Data;
pub use error::WireError;
pub use forward_tsn::{ForwardTsn, SkippedStream};
pub use header::{CommonHeader, HEADER_LEN};
pub use heartbeat::Heartbeat;
pub use init::Init;
pub use list::{FixedItem, List, ListIter};
pub use packet::{ChecksumPolicy, Chunks, Packet};
pub use param::Param;
pub use reconfig::{ReConfig, ReconfigParam, ReconfigResult};
pub use sack::{GapBlock, Sack};
pub use tlv::{Tlv, TlvIter, TlvList};
pub use writer::PacketWriter;

/// Big-endian u16 at `at`; the caller checked the length.
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Big-endian u32 at `at`; the caller checked the length.
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests;
