//! The common RTCP header (RFC 3550 §6.4.1).

use crate::WireError;

/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1).
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
    /// Transport-layer feedback (RFC 4585): NACK, transport-wide CC.
    pub const RTPFB: u8 = 205;
    /// Payload-specific feedback (RFC 4585): PLI, FIR, REMB.
    pub const PSFB: u8 = 206;
}

/// Length of the common header.
pub const HEADER_LEN: usize = 4;

/// The fields of the first 32-bit word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Padding flag.
    pub padding: bool,
    /// Reception report count, source count, subtype or feedback message type (5 bits).
    pub count: u8,
    /// Packet type.
    pub packet_type: u8,
    /// Length of the whole packet in bytes (header included).
    pub len: usize,
}

impl Header {
    /// Parses the header at the start of `bytes`; the declared length must fit.
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() < HEADER_LEN {
            return Err(WireError::TooShort);
        }
        if bytes[0] >> 6 != 2 {
            return Err(WireError::BadVersion);
        }
        let words = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        let len = (words + 1) * 4;
        if len > bytes.len() {
            return Err(WireError::BadLength);
        }
        Ok(Self {
            padding: bytes[0] & 0x20 != 0,
            count: bytes[0] & 0x1f,
            packet_type: bytes[1],
            len,
        })
    }

    /// Appends a header for a packet whose body (after these 4 bytes) is `body_len` bytes,
    /// a multiple of 4.
    pub(crate) fn emit(
        count: u8,
        packet_type: u8,
        body_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), WireError> {
        if count > 31 || body_len % 4 != 0 {
            return Err(WireError::TooLarge);
        }
        let words = u16::try_from(body_len / 4).map_err(|_| WireError::TooLarge)?;
        out.push(0x80 | count);
        out.push(packet_type);
        out.extend_from_slice(&words.to_be_bytes());
        Ok(())
    }
}

/// The body of a packet without its padding (RFC 3550 §6.4.1: the last byte counts it).
pub(crate) fn body<'a>(bytes: &'a [u8], header: &Header) -> Result<&'a [u8], WireError> {
    let packet = &bytes[..header.len];
    let mut end = header.len;
    if header.padding {
        let pad = usize::from(*packet.last().ok_or(WireError::TooShort)?);
        if pad == 0 || pad > header.len - HEADER_LEN {
            return Err(WireError::BadLength);
        }
        end -= pad;
    }
    Ok(&packet[HEADER_LEN..end])
}

pub(crate) fn u32_at(b: &[u8], i: usize) -> Result<u32, WireError> {
    b.get(i..i + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(WireError::TooShort)
}

pub(crate) fn u16_at(b: &[u8], i: usize) -> Result<u16, WireError> {
    b.get(i..i + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(WireError::TooShort)
}
