//! INIT and INIT ACK (RFC 9260 §3.3.2, §3.3.3): the same layout, told apart by chunk type.

use super::chunk_type::ChunkType;
use super::param::Param;
use super::tlv::TlvList;
use super::{WireError, be16, be32};

/// The value of an INIT or INIT ACK chunk.
///
/// The rules on values (a zero Initiate Tag, zero stream counts, a missing State Cookie in
/// an INIT ACK) are the association's to enforce (RFC 9260 §3.3.2, §3.3.3); the wire
/// format carries whatever the peer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Init<'a> {
    /// Initiate Tag: the verification tag the peer must put on packets to us.
    pub initiate_tag: u32,
    /// Advertised Receiver Window Credit (a_rwnd), in bytes.
    pub a_rwnd: u32,
    /// Number of Outbound Streams (OS).
    pub outbound_streams: u16,
    /// Number of Inbound Streams (MIS).
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: u32,
    /// Optional and variable-length parameters, in order.
    pub params: TlvList<'a, Param<'a>>,
}

impl<'a> Init<'a> {
    const FIXED: usize = 16;

    pub(crate) fn parse(kind: ChunkType, value: &'a [u8]) -> Result<Self, WireError> {
        if value.len() < Self::FIXED {
            return Err(WireError::BadChunkLength { chunk: kind.0 });
        }
        Ok(Self {
            initiate_tag: be32(value, 0),
            a_rwnd: be32(value, 4),
            outbound_streams: be16(value, 8),
            inbound_streams: be16(value, 10),
            initial_tsn: be32(value, 12),
            params: TlvList::from_wire(kind.0, &value[Self::FIXED..])?,
        })
    }

    pub(crate) fn value_len(&self) -> usize {
        Self::FIXED + self.params.wire_len()
    }

    pub(crate) fn emit_value(&self, buf: &mut [u8]) {
        buf[0..4].copy_from_slice(&self.initiate_tag.to_be_bytes());
        buf[4..8].copy_from_slice(&self.a_rwnd.to_be_bytes());
        buf[8..10].copy_from_slice(&self.outbound_streams.to_be_bytes());
        buf[10..12].copy_from_slice(&self.inbound_streams.to_be_bytes());
        buf[12..16].copy_from_slice(&self.initial_tsn.to_be_bytes());
        self.params.emit(&mut buf[Self::FIXED..]);
    }

    /// The State Cookie parameter's value, if present (an INIT ACK must carry one).
    pub fn state_cookie(&self) -> Option<&'a [u8]> {
        self.params.iter().find_map(|p| match p {
            Param::StateCookie(c) => Some(c),
            _ => None,
        })
    }

    /// The chunk types listed in Supported Extensions (RFC 5061 §4.2.7), empty if absent.
    pub fn supported_extensions(&self) -> &'a [u8] {
        self.params
            .iter()
            .find_map(|p| match p {
                Param::SupportedExtensions(e) => Some(e),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// Whether the peer supports `chunk` by Supported Extensions.
    pub fn supports(&self, chunk: ChunkType) -> bool {
        self.supported_extensions().contains(&chunk.0)
    }

    /// Whether the peer supports partial reliability: the Forward-TSN-Supported parameter
    /// (RFC 3758 §3.1) or FORWARD TSN in Supported Extensions.
    pub fn forward_tsn_supported(&self) -> bool {
        self.supports(ChunkType::FORWARD_TSN)
            || self
                .params
                .iter()
                .any(|p| matches!(p, Param::ForwardTsnSupported))
    }

    /// The Zero Checksum Acceptable method (RFC 9653 §5.1), if offered.
    pub fn zero_checksum_edmid(&self) -> Option<u32> {
        self.params.iter().find_map(|p| match p {
            Param::ZeroChecksumAcceptable { edmid } => Some(edmid),
            _ => None,
        })
    }
}
