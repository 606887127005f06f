//! Framing of STUN and ChannelData messages in a TCP or TLS byte stream (RFC 8656 §12.5,
//! RFC 8489 §6.2.2).

use rtcweb_stun::{HEADER_LEN, parse_header};

use crate::WireError;
use crate::channel_data::ChannelData;

/// One complete message cut from the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A STUN message (header plus attributes).
    Stun(&'a [u8]),
    /// A ChannelData message.
    ChannelData(ChannelData<'a>),
}

/// Collects stream bytes and cuts them into frames; holds at most `limit` bytes.
#[derive(Debug)]
pub struct StreamFramer {
    buf: Vec<u8>,
    start: usize,
    limit: usize,
}

impl StreamFramer {
    /// A framer that holds at most `limit` unframed bytes (at least one maximal message,
    /// 4 + 65535 bytes, is advisable).
    pub fn new(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            limit,
        }
    }

    /// Appends bytes from the stream. Fails when the buffer would exceed its limit: the
    /// stream is then unusable and should be closed.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        if self.buf.len() - self.start + bytes.len() > self.limit {
            return Err(WireError::StreamBufferFull);
        }
        if self.start > 0 && self.buf.len() + bytes.len() > self.buf.capacity() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete frame, if one has arrived. A stream whose next bytes are neither
    /// STUN nor ChannelData is broken: the error is returned every time after.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, WireError> {
        Ok(self.next_frame_at()?.map(|(_, frame)| frame))
    }

    /// [`next_frame`](Self::next_frame), with where the frame starts in
    /// [`buffered`](Self::buffered). Offsets stay valid until the next [`push`](Self::push)
    /// or [`clear`](Self::clear).
    pub(crate) fn next_frame_at(&mut self) -> Result<Option<(usize, Frame<'_>)>, WireError> {
        let pending = &self.buf[self.start..];
        let Some(&first) = pending.first() else {
            return Ok(None);
        };
        match first >> 6 {
            // RFC 7983 §7: 0..=3 is STUN (parse_header refuses the rest of 0..=63).
            0b00 => {
                if pending.len() < HEADER_LEN {
                    return Ok(None);
                }
                let header = parse_header(pending).map_err(|_| WireError::BadFrame)?;
                let len = header.message_len();
                if pending.len() < len {
                    return Ok(None);
                }
                let start = self.start;
                self.start += len;
                Ok(Some((start, Frame::Stun(&self.buf[start..start + len]))))
            }
            0b01 => match ChannelData::parse_prefix(pending) {
                Ok((_, used)) if pending.len() < used => Ok(None),
                Ok((_, used)) => {
                    let start = self.start;
                    self.start += used;
                    let (msg, _) = ChannelData::parse_prefix(&self.buf[start..start + used])?;
                    Ok(Some((start, Frame::ChannelData(msg))))
                }
                Err(WireError::Truncated) => Ok(None),
                Err(e) => Err(e),
            },
            _ => Err(WireError::BadFrame),
        }
    }

    /// The bytes held, including the frames already cut (until the next push).
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Drops everything buffered (after a reconnection).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_at_any_byte() {
        let stun = rtcweb_stun::MessageWriter::indication(rtcweb_stun::Method::BINDING, [7; 12])
            .to_vec(None, true)
            .unwrap();
        let mut cd = [0u8; 12];
        let n = ChannelData {
            channel: 0x4000,
            data: b"hello",
        }
        .emit(true, &mut cd)
        .unwrap();
        let mut stream = stun.clone();
        stream.extend_from_slice(&cd[..n]);
        stream.extend_from_slice(&stun);
        for split in 0..stream.len() {
            let mut f = StreamFramer::new(1 << 16);
            let mut got = vec![];
            for part in [&stream[..split], &stream[split..]] {
                f.push(part).unwrap();
                while let Some(frame) = f.next_frame().unwrap() {
                    got.push(match frame {
                        Frame::Stun(b) => b.len(),
                        Frame::ChannelData(c) => c.data.len() + 1000,
                    });
                }
            }
            assert_eq!(got, vec![stun.len(), 1005, stun.len()], "split at {split}");
        }
    }

    #[test]
    fn bounded_and_rejects_garbage() {
        let mut f = StreamFramer::new(8);
        assert_eq!(f.push(&[0; 9]), Err(WireError::StreamBufferFull));
        let mut f = StreamFramer::new(64);
        f.push(&[0xff; 4]).unwrap();
        assert_eq!(f.next_frame(), Err(WireError::BadFrame));
    }
}
