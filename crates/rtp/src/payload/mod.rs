//! Payloaders and depayloaders: Opus (RFC 7587), VP8 (RFC 7741), VP9 (RFC 9628), H.264 (RFC 6184,
//! packetization-mode 1), RTX (RFC 4588), and a send-side history for answering NACKs.

mod assembly;
mod h264;
mod history;
mod opus;
mod rtx;
mod vp8;
mod vp9;

pub use h264::{H264Depacketizer, H264Packetizer, NalUnit};
pub use history::PacketHistory;
pub use opus::{OpusPacketizer, opus_frame};
pub use rtx::{rtx_unwrap, rtx_wrap};
pub use vp8::{Vp8Depacketizer, Vp8Descriptor, Vp8Packetizer};
pub use vp9::{Vp9Depacketizer, Vp9Descriptor, Vp9Packetizer};

/// An encoded frame reassembled from RTP packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// RTP timestamp of the frame.
    pub timestamp: u32,
    /// Codec bitstream (for H.264: Annex B, with start codes).
    pub data: Vec<u8>,
    /// A key frame (decodable on its own).
    pub keyframe: bool,
    /// First and last sequence numbers of the packets it came in.
    pub first_seq: u16,
    /// Last sequence number.
    pub last_seq: u16,
}

/// Why a depacketizer dropped what it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepacketizeError {
    /// A malformed payload (descriptor or NAL header too short, bad fragment).
    Malformed,
    /// A packet of the frame is missing: the partial frame was dropped (ask for a NACK or a
    /// key frame).
    Gap,
    /// The frame grew beyond the depacketizer's limit.
    TooLarge,
}
