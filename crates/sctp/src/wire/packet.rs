//! A parsed packet: the common header, a verified checksum, and its chunks as borrowed
//! views (RFC 9260 §3).

use super::chunk::{Chunk, HEADER_LEN as CHUNK_HEADER_LEN};
use super::chunk_type::ChunkType;
use super::header::{CommonHeader, HEADER_LEN};
use super::tlv::pad4;
use super::{WireError, checksum};

/// How to treat the checksum when parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumPolicy {
    /// Verify the CRC32c (RFC 9260 §6.8).
    #[default]
    Verify,
    /// Also accept a checksum of zero: only once both sides agreed on it with the Zero
    /// Checksum Acceptable parameter (RFC 9653 §5.2), as over DTLS. A non-zero checksum is
    /// still verified.
    AcceptZero,
    /// Do not look at the checksum (fuzzing, tools).
    Ignore,
}

/// A parsed SCTP packet. The chunks are parsed as they are iterated; their framing
/// (lengths and padding) was checked by [`Packet::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    header: CommonHeader,
    checksum: u32,
    chunks: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parses a packet and verifies its checksum.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        Self::parse_with(bytes, ChecksumPolicy::Verify)
    }

    /// Parses a packet with the given checksum policy.
    pub fn parse_with(bytes: &'a [u8], policy: ChecksumPolicy) -> Result<Self, WireError> {
        let header = CommonHeader::parse(bytes)?;
        let received = checksum::stored(bytes);
        let check = match policy {
            ChecksumPolicy::Verify => true,
            ChecksumPolicy::AcceptZero => received != 0,
            ChecksumPolicy::Ignore => false,
        };
        if check {
            let computed = checksum::compute(bytes);
            if computed != received {
                return Err(WireError::BadChecksum { received, computed });
            }
        }
        let chunks = &bytes[HEADER_LEN..];
        check_framing(chunks)?;
        Ok(Self {
            header,
            checksum: received,
            chunks,
        })
    }

    /// The common header.
    pub fn header(&self) -> CommonHeader {
        self.header
    }

    /// The checksum field as received.
    pub fn checksum(&self) -> u32 {
        self.checksum
    }

    /// The chunks in order. Each is parsed when reached; one that is malformed gives an
    /// error and ends the iteration.
    pub fn chunks(&self) -> Chunks<'a> {
        Chunks { rest: self.chunks }
    }

    /// The type of the first chunk, if any: enough to route INIT (RFC 9260 §8.5.1).
    pub fn first_chunk_type(&self) -> Option<ChunkType> {
        self.chunks.first().map(|&t| ChunkType(t))
    }
}

/// One chunk's framing: type, flags, value, and the bytes after its padding.
struct Framed<'a> {
    kind: ChunkType,
    flags: u8,
    value: &'a [u8],
    rest: &'a [u8],
}

/// Splits the first chunk off `bytes`.
fn split(bytes: &[u8]) -> Result<Framed<'_>, WireError> {
    let [kind, flags, l0, l1, ..] = *bytes else {
        // Fewer than 4 bytes left cannot be a chunk header.
        let chunk = bytes.first().copied().unwrap_or(0);
        return Err(WireError::ChunkOverrun { chunk });
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if len < CHUNK_HEADER_LEN {
        return Err(WireError::ChunkLengthTooSmall { chunk: kind });
    }
    if len > bytes.len() {
        return Err(WireError::ChunkOverrun { chunk: kind });
    }
    // RFC 9260 §3.2: every chunk is padded to 4 bytes, the last one included.
    let rest = bytes
        .get(pad4(len)..)
        .ok_or(WireError::PaddingOverrun { chunk: kind })?;
    Ok(Framed {
        kind: ChunkType(kind),
        flags,
        value: &bytes[CHUNK_HEADER_LEN..len],
        rest,
    })
}

fn check_framing(mut bytes: &[u8]) -> Result<(), WireError> {
    while !bytes.is_empty() {
        bytes = split(bytes)?.rest;
    }
    Ok(())
}

/// Iterator over the chunks of a [`Packet`].
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let parsed = split(self.rest).and_then(|f| {
            self.rest = f.rest;
            Chunk::parse(f.kind, f.flags, f.value)
        });
        if parsed.is_err() {
            self.rest = &[];
        }
        Some(parsed)
    }
}
