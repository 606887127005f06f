//! RFC 4571 framing: datagrams carried in a byte stream, each after a 16-bit length.
//!
//! ICE-TCP (RFC 6544 §3) frames every STUN, DTLS and SRTP datagram this way on a TCP
//! connection between two candidates. [`FrameDecoder`] collects the bytes read from one
//! connection and cuts them into the datagrams they carry; [`encode_frame`] writes one
//! datagram with its length prefix. Both are sans-IO: the owner of the connection reads
//! and writes.
//!
//! STUN and ChannelData to a TURN server over TCP are framed by their own length fields,
//! not by this prefix (RFC 8656 §12.5): that is `rtcweb_turn::StreamFramer`.

use std::fmt;

/// Bytes of the length prefix (RFC 4571 §2: `LENGTH`, 16 bits, network order).
pub const FRAME_HEADER_LEN: usize = 2;
/// The largest datagram a frame can carry: the prefix is 16 bits.
pub const MAX_FRAME_PAYLOAD: usize = u16::MAX as usize;
/// The most a [`FrameDecoder`] must hold to always make progress: one largest frame.
pub const MIN_DECODER_LIMIT: usize = FRAME_HEADER_LEN + MAX_FRAME_PAYLOAD;

/// What the framing refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramingError {
    /// A datagram longer than 65535 bytes cannot be framed (API misuse).
    TooLong,
    /// The decoder would hold more than its limit: the connection sends faster than it is
    /// drained, or the limit is below one largest frame. The stream should be closed.
    BufferFull,
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "datagram too long for RFC 4571 framing",
            Self::BufferFull => "RFC 4571 stream buffer full",
        })
    }
}

impl std::error::Error for FramingError {}

/// Appends `datagram` to `out` with its RFC 4571 length prefix.
pub fn encode_frame(datagram: &[u8], out: &mut Vec<u8>) -> Result<(), FramingError> {
    let len = u16::try_from(datagram.len()).map_err(|_| FramingError::TooLong)?;
    out.reserve(FRAME_HEADER_LEN + datagram.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(datagram);
    Ok(())
}

/// Cuts the bytes of one stream into the datagrams its RFC 4571 frames carry. Holds at
/// most `limit` bytes not yet handed out; a frame of length 0 is an empty datagram
/// (RFC 4571 §2 allows it), handed out like any other.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Where the next frame starts in `buf`: bytes before it were handed out.
    start: usize,
    limit: usize,
}

impl FrameDecoder {
    /// A decoder that holds at most `limit` bytes (raised to [`MIN_DECODER_LIMIT`], so that
    /// one largest frame always fits).
    pub fn new(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            limit: limit.max(MIN_DECODER_LIMIT),
        }
    }

    /// Bytes held and not yet handed out as datagrams.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// How many more bytes [`push`](Self::push) takes now: read at most this much from the
    /// stream. Never 0 while no complete frame waits in the decoder.
    pub fn room(&self) -> usize {
        self.limit - self.buffered()
    }

    /// Appends bytes read from the stream. Fails, taking none of them, when the decoder
    /// would hold more than its limit: drain it with [`next_frame`](Self::next_frame)
    /// first.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), FramingError> {
        if self.buffered() + bytes.len() > self.limit {
            return Err(FramingError::BufferFull);
        }
        if self.start > 0 {
            // What was handed out goes before the buffer grows.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete datagram, borrowed until the next call; `None` until all of its
    /// bytes have arrived.
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        let pending = &self.buf[self.start..];
        let header: [u8; FRAME_HEADER_LEN] = pending.get(..FRAME_HEADER_LEN)?.try_into().ok()?;
        let len = usize::from(u16::from_be_bytes(header));
        if pending.len() < FRAME_HEADER_LEN + len {
            return None;
        }
        let begin = self.start + FRAME_HEADER_LEN;
        self.start = begin + len;
        // The frame stays in `buf` until the next push moves what follows it forward.
        Some(&self.buf[begin..self.start])
    }

    /// Drops everything held.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(decoder: &mut FrameDecoder) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| decoder.next_frame().map(<[u8]>::to_vec)).collect()
    }

    #[test]
    fn encodes_the_length_in_network_order() {
        let mut out = Vec::new();
        encode_frame(b"abc", &mut out).unwrap();
        encode_frame(b"", &mut out).unwrap();
        assert_eq!(out, [0, 3, b'a', b'b', b'c', 0, 0]);
        let big = vec![7u8; MAX_FRAME_PAYLOAD];
        out.clear();
        encode_frame(&big, &mut out).unwrap();
        assert_eq!(&out[..2], [0xff, 0xff]);
        assert_eq!(
            encode_frame(&vec![0; MAX_FRAME_PAYLOAD + 1], &mut out),
            Err(FramingError::TooLong)
        );
    }

    #[test]
    fn frames_split_at_any_byte_come_out_whole_and_in_order() {
        let datagrams: [&[u8]; 4] = [b"\x00\x01stun", b"", b"\x16\xfe\xfddtls", &[0x80; 300]];
        let mut stream = Vec::new();
        for d in datagrams {
            encode_frame(d, &mut stream).unwrap();
        }
        for a in 0..stream.len() {
            for b in a..stream.len() {
                let mut decoder = FrameDecoder::new(0);
                let mut got = Vec::new();
                for piece in [&stream[..a], &stream[a..b], &stream[b..]] {
                    decoder.push(piece).unwrap();
                    got.extend(frames(&mut decoder));
                }
                assert_eq!(got, datagrams.map(<[u8]>::to_vec), "split at {a} and {b}");
                assert_eq!(decoder.buffered(), 0);
            }
        }
    }

    #[test]
    fn holds_at_most_its_limit() {
        let mut decoder = FrameDecoder::new(0);
        // A header announcing the largest frame, and all but its last byte: held.
        decoder.push(&[0xff, 0xff]).unwrap();
        decoder.push(&vec![1; MAX_FRAME_PAYLOAD - 1]).unwrap();
        assert_eq!(decoder.next_frame(), None);
        assert_eq!(decoder.push(&[1, 2]), Err(FramingError::BufferFull));
        assert_eq!(decoder.buffered(), MIN_DECODER_LIMIT - 1, "nothing taken");
        assert_eq!(decoder.room(), 1);
        decoder.push(&[1]).unwrap();
        assert_eq!(
            decoder.next_frame().map(<[u8]>::len),
            Some(MAX_FRAME_PAYLOAD)
        );
        assert_eq!(decoder.buffered(), 0);
        decoder.push(&[0, 1, 9]).unwrap();
        assert_eq!(decoder.next_frame(), Some(&[9u8][..]));
        decoder.push(&[0, 5]).unwrap();
        decoder.clear();
        assert_eq!(decoder.buffered(), 0);
        assert_eq!(decoder.next_frame(), None);
    }
}
