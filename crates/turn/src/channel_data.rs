//! ChannelData messages (RFC 8656 §12.4).

use crate::WireError;

/// First channel number a client may bind (RFC 8656 §12).
pub const MIN_CHANNEL: u16 = 0x4000;
/// Last channel number a client may bind (RFC 8656 §12).
pub const MAX_CHANNEL: u16 = 0x4FFF;
/// Size of the ChannelData header.
pub const HEADER_LEN: usize = 4;

/// A ChannelData message borrowed from a buffer: a 4-byte header (channel number, length)
/// then the application data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// Channel number, 0x4000..=0x4FFF.
    pub channel: u16,
    /// The application data.
    pub data: &'a [u8],
}

impl<'a> ChannelData<'a> {
    /// Parses a ChannelData message that fills a UDP datagram (RFC 8656 §12.5: over UDP
    /// the padding may be absent, and bytes past the length are ignored).
    pub fn parse(datagram: &'a [u8]) -> Result<Self, WireError> {
        let (msg, _) = Self::parse_prefix(datagram)?;
        Ok(msg)
    }

    /// Parses a ChannelData message at the start of `bytes` and returns it with the number of
    /// bytes it takes in a byte stream, padding included (RFC 8656 §12.5: over TCP and TLS the
    /// message is padded to a multiple of 4).
    pub fn parse_prefix(bytes: &'a [u8]) -> Result<(Self, usize), WireError> {
        if bytes.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let channel = u16::from_be_bytes([bytes[0], bytes[1]]);
        // RFC 8656 §12.4: 0x4000..=0x4FFF; others are not ChannelData (0x5000..=0xFFFF are
        // reserved, and the first two bits 0b01 tell ChannelData from STUN).
        if !(MIN_CHANNEL..=MAX_CHANNEL).contains(&channel) {
            return Err(WireError::BadChannelNumber(channel));
        }
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        let end = HEADER_LEN + len;
        if bytes.len() < end {
            return Err(WireError::Truncated);
        }
        let padded = HEADER_LEN + ((len + 3) & !3);
        Ok((
            Self {
                channel,
                data: &bytes[HEADER_LEN..end],
            },
            padded,
        ))
    }

    /// Bytes [`emit`](Self::emit) writes: header plus data, plus padding when `pad`.
    pub fn buffer_len(&self, pad: bool) -> usize {
        let len = self.data.len();
        HEADER_LEN + if pad { (len + 3) & !3 } else { len }
    }

    /// Writes the message into `out` (padded to 4 bytes when `pad`, as stream transports
    /// require) and returns its length.
    pub fn emit(&self, pad: bool, out: &mut [u8]) -> Result<usize, WireError> {
        let len = u16::try_from(self.data.len()).map_err(|_| WireError::TooLong)?;
        let total = self.buffer_len(pad);
        if out.len() < total {
            return Err(WireError::BufferTooSmall);
        }
        out[0..2].copy_from_slice(&self.channel.to_be_bytes());
        out[2..4].copy_from_slice(&len.to_be_bytes());
        out[HEADER_LEN..HEADER_LEN + self.data.len()].copy_from_slice(self.data);
        out[HEADER_LEN + self.data.len()..total].fill(0);
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_and_emit() {
        let msg = ChannelData {
            channel: 0x4001,
            data: b"hello",
        };
        let mut buf = [0u8; 16];
        assert_eq!(msg.emit(false, &mut buf), Ok(9));
        assert_eq!(&buf[..9], b"\x40\x01\x00\x05hello");
        assert_eq!(ChannelData::parse(&buf[..9]), Ok(msg));
        assert_eq!(msg.emit(true, &mut buf), Ok(12));
        assert_eq!(ChannelData::parse_prefix(&buf[..12]), Ok((msg, 12)));
    }

    #[test]
    fn errors() {
        assert_eq!(ChannelData::parse(b"\x40"), Err(WireError::Truncated));
        assert_eq!(
            ChannelData::parse(b"\x50\x00\x00\x00"),
            Err(WireError::BadChannelNumber(0x5000))
        );
        assert_eq!(
            ChannelData::parse(b"\x40\x00\x00\x05abc"),
            Err(WireError::Truncated)
        );
        let big = vec![0u8; 70_000];
        let msg = ChannelData {
            channel: 0x4000,
            data: &big,
        };
        assert_eq!(msg.emit(false, &mut [0u8; 80_000]), Err(WireError::TooLong));
        let msg = ChannelData {
            channel: 0x4000,
            data: b"abc",
        };
        assert_eq!(
            msg.emit(true, &mut [0u8; 7]),
            Err(WireError::BufferTooSmall)
        );
    }

    proptest! {
        #[test]
        fn round_trip(channel in MIN_CHANNEL..=MAX_CHANNEL, data in proptest::collection::vec(any::<u8>(), 0..2000), pad: bool) {
            let msg = ChannelData { channel, data: &data };
            let mut buf = vec![0u8; msg.buffer_len(pad)];
            let n = msg.emit(pad, &mut buf).unwrap();
            let (back, used) = ChannelData::parse_prefix(&buf[..n]).unwrap();
            prop_assert_eq!(back, msg);
            prop_assert_eq!(used, if pad { n } else { HEADER_LEN + ((data.len() + 3) & !3) });
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = ChannelData::parse(&bytes);
            let _ = ChannelData::parse_prefix(&bytes);
        }
    }
}
