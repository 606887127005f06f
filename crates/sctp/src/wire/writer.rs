//! Writing a packet: header, chunks padded to 4 bytes (RFC 9260 §3.2) up to a maximum size,
//! and the CRC32c at the end (§6.8).

use super::chunk::Chunk;
use super::header::{CommonHeader, HEADER_LEN};
use super::tlv::pad4;
use super::{WireError, checksum};

/// Where the packet goes.
#[derive(Debug)]
enum Out<'b> {
    Slice(&'b mut [u8]),
    /// Appended to a vector from `start`.
    Vec {
        vec: &'b mut Vec<u8>,
        start: usize,
    },
}

/// Writes one packet into the caller's buffer, chunk by chunk, up to a maximum size.
///
/// ```
/// use rtcweb_sctp::wire::{Chunk, CommonHeader, Data, Packet, PacketWriter, WireError};
///
/// let header = CommonHeader { source_port: 5000, destination_port: 5000, verification_tag: 7 };
/// let mut buf = [0u8; 1500];
/// let mut w = PacketWriter::new(&mut buf, header, 1200)?;
/// let data = Data { tsn: 1, stream_id: 0, beginning: true, ending: true, ppid: 51, payload: b"hi", ..Data::default() };
/// w.push(&Chunk::Data(data))?;
/// // A chunk too big for what is left is refused and the packet stays as it was.
/// let big = Data { payload: &[0; 1200], ..data };
/// assert!(matches!(w.push(&Chunk::Data(big)), Err(WireError::NoRoom { .. })));
/// let len = w.finish();
/// let packet = Packet::parse(&buf[..len])?;
/// assert_eq!(packet.chunks().count(), 1);
/// # Ok::<(), WireError>(())
/// ```
#[derive(Debug)]
pub struct PacketWriter<'b> {
    out: Out<'b>,
    /// Bytes written so far, header included.
    len: usize,
    /// Maximum packet size.
    limit: usize,
    zero_checksum: bool,
}

impl<'b> PacketWriter<'b> {
    /// Starts a packet in `buf`, at most `max_len` bytes long (the path MTU less the lower
    /// layers' overhead) and at most `buf.len()`.
    pub fn new(buf: &'b mut [u8], header: CommonHeader, max_len: usize) -> Result<Self, WireError> {
        let limit = max_len.min(buf.len());
        Self::start(Out::Slice(buf), limit, header)
    }

    /// Starts a packet appended to `vec`, at most `max_len` bytes long.
    pub fn new_in_vec(
        vec: &'b mut Vec<u8>,
        header: CommonHeader,
        max_len: usize,
    ) -> Result<Self, WireError> {
        let start = vec.len();
        Self::start(Out::Vec { vec, start }, max_len, header)
    }

    fn start(out: Out<'b>, limit: usize, header: CommonHeader) -> Result<Self, WireError> {
        if limit < HEADER_LEN {
            return Err(WireError::NoRoom {
                needed: HEADER_LEN,
                available: limit,
            });
        }
        let mut w = Self {
            out,
            len: 0,
            limit,
            zero_checksum: false,
        };
        header.emit(w.grow(HEADER_LEN));
        Ok(w)
    }

    /// Leaves the checksum zero, as RFC 9653 §5.3 allows once the peer declared Zero
    /// Checksum Acceptable for the method in use.
    pub fn with_zero_checksum(mut self) -> Self {
        self.zero_checksum = true;
        self
    }

    /// The next `n` bytes of the packet, made part of it.
    fn grow(&mut self, n: usize) -> &mut [u8] {
        let at = self.len;
        self.len += n;
        match &mut self.out {
            Out::Slice(buf) => &mut buf[at..at + n],
            Out::Vec { vec, start } => {
                vec.resize(*start + at + n, 0);
                &mut vec[*start + at..]
            }
        }
    }

    /// Bytes left for chunks (with their padding).
    pub fn remaining(&self) -> usize {
        self.limit - self.len
    }

    /// Bytes written so far, header included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no chunk was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == HEADER_LEN
    }

    /// Bytes `chunk` takes in a packet, padding included.
    pub fn space_for(chunk: &Chunk<'_>) -> Result<usize, WireError> {
        chunk.buffer_len().map(pad4)
    }

    /// Appends `chunk`, padded to 4 bytes. If it does not fit in what is left,
    /// [`WireError::NoRoom`] says so and the packet is unchanged: send it and start another.
    pub fn push(&mut self, chunk: &Chunk<'_>) -> Result<(), WireError> {
        let len = chunk.buffer_len()?;
        let needed = pad4(len);
        if needed > self.remaining() {
            return Err(WireError::NoRoom {
                needed,
                available: self.remaining(),
            });
        }
        let out = self.grow(needed);
        let (body, padding) = out.split_at_mut(len);
        chunk.emit(body);
        padding.fill(0);
        Ok(())
    }

    /// Writes the checksum and returns the packet's length.
    pub fn finish(mut self) -> usize {
        let len = self.len;
        let packet = match &mut self.out {
            Out::Slice(buf) => &mut buf[..len],
            Out::Vec { vec, start } => &mut vec[*start..*start + len],
        };
        if !self.zero_checksum {
            let crc = checksum::compute(packet);
            checksum::store(packet, crc);
        }
        len
    }
}
