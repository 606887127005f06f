//! Errors of the wire format.

/// What is wrong with a packet or chunk, or why a chunk cannot be written.
///
/// Small and `Copy`: a malformed packet is counted and dropped, never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer than the 12 bytes of the common header (RFC 9260 §3.1).
    #[error("packet shorter than the 12-byte common header")]
    PacketTooShort,
    /// The CRC32c in the common header does not match the packet (RFC 9260 §6.8).
    #[error("bad checksum: packet says {received:#010x}, computed {computed:#010x}")]
    BadChecksum {
        /// The value in the header.
        received: u32,
        /// The value computed over the packet.
        computed: u32,
    },
    /// A chunk's length field is below 4 (RFC 9260 §3.2).
    #[error("chunk of type {chunk} has a length below 4")]
    ChunkLengthTooSmall {
        /// Chunk type.
        chunk: u8,
    },
    /// A chunk's length field runs past the end of the packet.
    #[error("chunk of type {chunk} runs past the end of the packet")]
    ChunkOverrun {
        /// Chunk type.
        chunk: u8,
    },
    /// A chunk's padding runs past the end of the packet (RFC 9260 §3.2).
    #[error("padding of chunk type {chunk} runs past the end of the packet")]
    PaddingOverrun {
        /// Chunk type.
        chunk: u8,
    },
    /// A chunk's value is too short or has a length its layout does not allow.
    #[error("chunk of type {chunk} has a malformed length")]
    BadChunkLength {
        /// Chunk type.
        chunk: u8,
    },
    /// A parameter or error cause has a length below 4 or runs past its chunk
    /// (RFC 9260 §3.2.1, §3.3.10).
    #[error("parameter {param:#06x} in chunk type {chunk} has a malformed length")]
    BadParameterLength {
        /// Chunk type.
        chunk: u8,
        /// Parameter type or cause code.
        param: u16,
    },
    /// A parameter the chunk requires is missing (the Heartbeat Info of RFC 9260 §3.3.5).
    #[error("chunk of type {chunk} lacks a required parameter")]
    MissingParameter {
        /// Chunk type.
        chunk: u8,
    },
    /// The chunk does not fit in what is left of the packet (the caller's MTU or buffer).
    #[error("chunk needs {needed} bytes, {available} left in the packet")]
    NoRoom {
        /// Bytes the chunk takes with its padding.
        needed: usize,
        /// Bytes left before the maximum packet size.
        available: usize,
    },
    /// A chunk, parameter or list is longer than its 16-bit length field can say.
    #[error("chunk or parameter longer than 65535 bytes")]
    TooLong,
}
