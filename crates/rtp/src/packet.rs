//! RTP packets: the header through rtp-rs, the RFC 8285 extensions on top.

use rtp_rs::RtpReader;

use crate::{Extensions, WireError};

/// A parsed RTP packet, borrowed from the datagram.
#[derive(Debug)]
pub struct RtpPacket<'a> {
    reader: RtpReader<'a>,
}

impl<'a> RtpPacket<'a> {
    /// Parses the header (RFC 3550 §5.1) with rtp-rs.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        RtpReader::new(bytes)
            .map(|reader| Self { reader })
            .map_err(|_| WireError::BadRtpHeader)
    }

    /// The rtp-rs reader, for fields without an accessor here.
    pub fn reader(&self) -> &RtpReader<'a> {
        &self.reader
    }

    /// Payload type.
    pub fn payload_type(&self) -> u8 {
        self.reader.payload_type()
    }

    /// Sequence number.
    pub fn sequence_number(&self) -> u16 {
        self.reader.sequence_number().into()
    }

    /// Timestamp.
    pub fn timestamp(&self) -> u32 {
        self.reader.timestamp()
    }

    /// SSRC.
    pub fn ssrc(&self) -> u32 {
        self.reader.ssrc()
    }

    /// Marker bit.
    pub fn marker(&self) -> bool {
        self.reader.mark()
    }

    /// The payload (after CSRCs and extensions, before padding).
    pub fn payload(&self) -> &'a [u8] {
        self.reader.payload()
    }

    /// The header extensions (RFC 8285), empty when there are none.
    pub fn extensions(&self) -> Extensions<'a> {
        match self.reader.extension() {
            Some((profile, bytes)) => Extensions::new(profile, bytes),
            None => Extensions::empty(),
        }
    }
}
