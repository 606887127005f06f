//! The SCTP common header (RFC 9260 §3.1).

use super::{WireError, be16, be32};

/// Length of the common header.
pub const HEADER_LEN: usize = 12;

/// Ports and verification tag of the common header; the checksum is the writer's job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommonHeader {
    /// Source Port Number (5000 for WebRTC data channels by default, RFC 8841 §5).
    pub source_port: u16,
    /// Destination Port Number.
    pub destination_port: u16,
    /// Verification Tag: 0 on a packet with INIT (RFC 9260 §8.5.1), the peer's Initiate Tag
    /// otherwise.
    pub verification_tag: u32,
}

impl CommonHeader {
    /// Reads the header from the first 12 bytes of `packet`.
    pub fn parse(packet: &[u8]) -> Result<Self, WireError> {
        if packet.len() < HEADER_LEN {
            return Err(WireError::PacketTooShort);
        }
        Ok(Self {
            source_port: be16(packet, 0),
            destination_port: be16(packet, 2),
            verification_tag: be32(packet, 4),
        })
    }

    /// Writes ports and tag into the first 12 bytes of `buf`, with a zero checksum.
    pub(crate) fn emit(&self, buf: &mut [u8]) {
        buf[0..2].copy_from_slice(&self.source_port.to_be_bytes());
        buf[2..4].copy_from_slice(&self.destination_port.to_be_bytes());
        buf[4..8].copy_from_slice(&self.verification_tag.to_be_bytes());
        buf[8..12].fill(0);
    }
}
