//! The Data Channel Establishment Protocol wire format (RFC 8832 §5).

use crate::DcepError;

/// DATA_CHANNEL_OPEN message type (RFC 8832 §5.1).
pub(crate) const OPEN: u8 = 0x03;
/// DATA_CHANNEL_ACK message type (RFC 8832 §5.2).
pub(crate) const ACK: u8 = 0x02;
/// Fixed part of DATA_CHANNEL_OPEN: type, channel type, priority, reliability, label and
/// protocol lengths.
pub(crate) const OPEN_HEADER_LEN: usize = 12;

/// How a channel delivers (RFC 8832 §5.1 Channel Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// Every message is delivered (retransmitted as long as needed).
    Reliable,
    /// A message is retransmitted at most this many times.
    MaxRetransmits(u32),
    /// A message is retransmitted for at most this many milliseconds.
    MaxLifetimeMs(u32),
}

/// The channel type byte (RFC 8832 §5.1): reliability and ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelType {
    /// Reliability policy.
    pub reliability: Reliability,
    /// Whether messages are delivered in order.
    pub ordered: bool,
}

impl ChannelType {
    /// A reliable, ordered channel (the default of `createDataChannel`).
    pub const RELIABLE: Self = Self {
        reliability: Reliability::Reliable,
        ordered: true,
    };

    fn to_wire(self) -> (u8, u32) {
        let (base, parameter) = match self.reliability {
            Reliability::Reliable => (0x00, 0),
            Reliability::MaxRetransmits(n) => (0x01, n),
            Reliability::MaxLifetimeMs(ms) => (0x02, ms),
        };
        (base | if self.ordered { 0 } else { 0x80 }, parameter)
    }

    fn from_wire(byte: u8, parameter: u32) -> Result<Self, DcepError> {
        let ordered = byte & 0x80 == 0;
        let reliability = match byte & 0x7f {
            0x00 => Reliability::Reliable,
            0x01 => Reliability::MaxRetransmits(parameter),
            0x02 => Reliability::MaxLifetimeMs(parameter),
            other => return Err(DcepError::UnknownChannelType(other)),
        };
        Ok(Self {
            reliability,
            ordered,
        })
    }
}

/// A DATA_CHANNEL_OPEN message, borrowed from the payload it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open<'a> {
    /// Reliability and ordering.
    pub channel_type: ChannelType,
    /// Priority (RFC 8832 §5.1; W3C maps very-low/low/medium/high to 128/256/512/1024).
    pub priority: u16,
    /// Label, UTF-8 (RFC 8832 §5.1).
    pub label: &'a str,
    /// Sub-protocol, UTF-8.
    pub protocol: &'a str,
}

impl<'a> Open<'a> {
    /// Parses a DATA_CHANNEL_OPEN payload (PPID 50).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DcepError> {
        if bytes.len() < OPEN_HEADER_LEN {
            return Err(DcepError::TooShort);
        }
        if bytes[0] != OPEN {
            return Err(DcepError::UnknownMessageType(bytes[0]));
        }
        let priority = u16::from_be_bytes([bytes[2], bytes[3]]);
        let parameter = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        let label_len = usize::from(u16::from_be_bytes([bytes[8], bytes[9]]));
        let protocol_len = usize::from(u16::from_be_bytes([bytes[10], bytes[11]]));
        let rest = &bytes[OPEN_HEADER_LEN..];
        if rest.len() < label_len + protocol_len {
            return Err(DcepError::TooShort);
        }
        let label = std::str::from_utf8(&rest[..label_len]).map_err(|_| DcepError::NotUtf8)?;
        let protocol = std::str::from_utf8(&rest[label_len..label_len + protocol_len])
            .map_err(|_| DcepError::NotUtf8)?;
        Ok(Self {
            channel_type: ChannelType::from_wire(bytes[1], parameter)?,
            priority,
            label,
            protocol,
        })
    }

    /// The encoded length.
    pub fn buffer_len(&self) -> usize {
        OPEN_HEADER_LEN + self.label.len() + self.protocol.len()
    }

    /// Appends the encoded message to `out`. Label and protocol longer than 65535 bytes are
    /// refused.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), DcepError> {
        let label_len = u16::try_from(self.label.len()).map_err(|_| DcepError::TooLong)?;
        let protocol_len = u16::try_from(self.protocol.len()).map_err(|_| DcepError::TooLong)?;
        let (channel_type, parameter) = self.channel_type.to_wire();
        out.reserve(self.buffer_len());
        out.push(OPEN);
        out.push(channel_type);
        out.extend_from_slice(&self.priority.to_be_bytes());
        out.extend_from_slice(&parameter.to_be_bytes());
        out.extend_from_slice(&label_len.to_be_bytes());
        out.extend_from_slice(&protocol_len.to_be_bytes());
        out.extend_from_slice(self.label.as_bytes());
        out.extend_from_slice(self.protocol.as_bytes());
        Ok(())
    }
}

/// A DCEP message: what arrives with PPID 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcepMessage<'a> {
    /// DATA_CHANNEL_OPEN.
    Open(Open<'a>),
    /// DATA_CHANNEL_ACK (RFC 8832 §5.2: one byte).
    Ack,
}

impl<'a> DcepMessage<'a> {
    /// Parses a PPID-50 payload.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DcepError> {
        match bytes.first() {
            Some(&OPEN) => Open::parse(bytes).map(Self::Open),
            Some(&ACK) => Ok(Self::Ack),
            Some(&other) => Err(DcepError::UnknownMessageType(other)),
            None => Err(DcepError::TooShort),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_round_trips_every_channel_type() {
        for (reliability, ordered) in [
            (Reliability::Reliable, true),
            (Reliability::Reliable, false),
            (Reliability::MaxRetransmits(3), true),
            (Reliability::MaxRetransmits(0), false),
            (Reliability::MaxLifetimeMs(1500), true),
            (Reliability::MaxLifetimeMs(10), false),
        ] {
            let open = Open {
                channel_type: ChannelType {
                    reliability,
                    ordered,
                },
                priority: 256,
                label: "chat ✓",
                protocol: "json",
            };
            let mut buf = Vec::new();
            open.emit(&mut buf).unwrap();
            assert_eq!(buf.len(), open.buffer_len());
            assert_eq!(DcepMessage::parse(&buf).unwrap(), DcepMessage::Open(open));
        }
    }

    #[test]
    fn parses_the_bytes_browsers_send() {
        // RFC 8832 §5.1 layout: reliable ordered, priority 256, label "echo", no protocol
        // (what Chromium sends for createDataChannel("echo")).
        let bytes = [
            0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0x00, b'e', b'c', b'h', b'o',
        ];
        let DcepMessage::Open(open) = DcepMessage::parse(&bytes).unwrap() else {
            panic!("not an open");
        };
        assert_eq!(open.channel_type, ChannelType::RELIABLE);
        assert_eq!(open.label, "echo");
        assert_eq!(open.protocol, "");
        assert_eq!(DcepMessage::parse(&[0x02]).unwrap(), DcepMessage::Ack);
    }

    #[test]
    fn rejects_malformed_messages() {
        assert_eq!(DcepMessage::parse(&[]), Err(DcepError::TooShort));
        assert_eq!(
            DcepMessage::parse(&[0x07]),
            Err(DcepError::UnknownMessageType(7))
        );
        let mut short = vec![0x03, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, b'a'];
        assert_eq!(DcepMessage::parse(&short), Err(DcepError::TooShort));
        short[9] = 1;
        short[12] = 0xff;
        assert_eq!(DcepMessage::parse(&short), Err(DcepError::NotUtf8));
        let bad_type = [0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            DcepMessage::parse(&bad_type),
            Err(DcepError::UnknownChannelType(5))
        );
    }
}
