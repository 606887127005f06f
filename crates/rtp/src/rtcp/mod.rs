//! RTCP (RFC 3550 §6, RFC 4585, RFC 5104, RFC 5506, RFC 8888): compound and reduced-size packets.

mod ccfb;
mod feedback;
mod header;
mod report;
mod sdes;
mod twcc;

pub use ccfb::{
    CCFB_FMT, CcfbPacketReport, CcfbReportBlock, CongestionControlFeedback, Ecn, MAX_CCFB_REPORTS,
};
pub use feedback::{Fir, Nack, NackPair, Pli, Remb};
pub use header::{HEADER_LEN, Header, packet_type};
pub use report::{ReceiverReport, ReportBlock, SenderReport};
pub use sdes::{App, Bye, CNAME, Sdes, SdesChunk, SdesItem};
pub use twcc::{DELTA_UNIT_US, MAX_STATUSES, REFERENCE_UNIT_MS, TransportCc};

use crate::WireError;

/// One RTCP packet of a compound (or reduced-size) packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Packet<'a> {
    /// Sender report.
    SenderReport(SenderReport),
    /// Receiver report.
    ReceiverReport(ReceiverReport),
    /// Source description.
    Sdes(Sdes),
    /// Goodbye.
    Bye(Bye),
    /// Application-defined.
    App(App),
    /// Generic NACK.
    Nack(Nack),
    /// Picture loss indication.
    Pli(Pli),
    /// Full intra request.
    Fir(Fir),
    /// Receiver estimated maximum bitrate.
    Remb(Remb),
    /// Transport-wide congestion control feedback.
    TransportCc(TransportCc),
    /// RTP Control Protocol feedback for congestion control (RFC 8888).
    CongestionControlFeedback(CongestionControlFeedback),
    /// Any other packet, carried through unparsed (header and the whole packet).
    Unknown {
        /// Its header.
        header: Header,
        /// The whole packet, header included.
        bytes: &'a [u8],
    },
}

impl<'a> Packet<'a> {
    /// Parses one packet at the start of `bytes`; returns it and its length.
    pub fn parse(bytes: &'a [u8]) -> Result<(Self, usize), WireError> {
        let header = Header::parse(bytes)?;
        let body = header::body(bytes, &header)?;
        let packet = match (header.packet_type, header.count) {
            (packet_type::SR, _) => Self::SenderReport(SenderReport::parse(&header, body)?),
            (packet_type::RR, _) => Self::ReceiverReport(ReceiverReport::parse(&header, body)?),
            (packet_type::SDES, _) => Self::Sdes(Sdes::parse(&header, body)?),
            (packet_type::BYE, _) => Self::Bye(Bye::parse(&header, body)?),
            (packet_type::APP, _) => Self::App(App::parse(&header, body)?),
            (packet_type::RTPFB, 1) => Self::Nack(Nack::parse(body)?),
            (packet_type::RTPFB, 15) => Self::TransportCc(TransportCc::parse(body)?),
            (packet_type::RTPFB, CCFB_FMT) => {
                Self::CongestionControlFeedback(CongestionControlFeedback::parse(body)?)
            }
            (packet_type::PSFB, 1) => Self::Pli(Pli::parse(body)?),
            (packet_type::PSFB, 4) => Self::Fir(Fir::parse(body)?),
            (packet_type::PSFB, 15) if Remb::is_remb(body) => Self::Remb(Remb::parse(body)?),
            _ => Self::Unknown {
                header,
                bytes: &bytes[..header.len],
            },
        };
        Ok((packet, header.len))
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        match self {
            Self::SenderReport(p) => p.emit(out),
            Self::ReceiverReport(p) => p.emit(out),
            Self::Sdes(p) => p.emit(out),
            Self::Bye(p) => p.emit(out),
            Self::App(p) => p.emit(out),
            Self::Nack(p) => p.emit(out),
            Self::Pli(p) => p.emit(out),
            Self::Fir(p) => p.emit(out),
            Self::Remb(p) => p.emit(out),
            Self::TransportCc(p) => p.emit(out),
            Self::CongestionControlFeedback(p) => p.emit(out),
            Self::Unknown { bytes, .. } => {
                out.extend_from_slice(bytes);
                Ok(())
            }
        }
    }
}

/// Iterates the packets of a compound RTCP packet (RFC 3550 §6.1) or a reduced-size one
/// (RFC 5506). A malformed packet ends the iteration with its error.
#[derive(Debug, Clone)]
pub struct Compound<'a> {
    rest: &'a [u8],
}

impl<'a> Compound<'a> {
    /// The packets in `bytes` (an unprotected SRTCP payload or a plain RTCP datagram).
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Result<Packet<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Packet::parse(self.rest) {
            Ok((packet, len)) => {
                self.rest = &self.rest[len..];
                Some(Ok(packet))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}
