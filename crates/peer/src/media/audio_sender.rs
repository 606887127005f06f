//! Sending one audio track: 48 kHz PCM frames encoded with Opus, packetized as RTP
//! (RFC 7587) with the `sdes:mid` header extension (RFC 8843 §15), counted for sender
//! reports.

use std::time::Instant;

use rtcweb_media::{FRAME_SAMPLES, MAX_PACKET, OpusConfig, OpusEncoder};
use rtcweb_rtp::{Extension, SendStats, write_extensions};

use crate::media::MediaError;

/// RTP header (12) plus a one- or two-byte extension block holding a mid (at most 4 + 20).
const MAX_HEADER: usize = 12 + 24;

/// The sending half of an audio track.
#[derive(Debug)]
pub(crate) struct AudioSender {
    pub(crate) ssrc: u32,
    pub(crate) payload_type: u8,
    /// The id of the `sdes:mid` extension, and the mid it carries.
    mid_extension: Option<(u8, Vec<u8>)>,
    encoder: OpusEncoder,
    sequence: u16,
    timestamp: u32,
    pub(crate) stats: SendStats,
    encoded: Vec<u8>,
}

impl AudioSender {
    /// A sender for `ssrc` with the negotiated Opus payload type; `stereo`/`fec` as the
    /// peer's fmtp asked (RFC 7587 §6.1). Sequence number and timestamp start at random
    /// values (RFC 3550 §5.1).
    pub(crate) fn new(
        ssrc: u32,
        payload_type: u8,
        mid_extension: Option<(u8, Vec<u8>)>,
        config: OpusConfig,
        random: u64,
    ) -> Result<Self, MediaError> {
        Ok(Self {
            ssrc,
            payload_type,
            mid_extension,
            encoder: OpusEncoder::new(config)?,
            sequence: random as u16,
            timestamp: (random >> 32) as u32,
            stats: SendStats::new(ssrc, 48_000),
            encoded: vec![0; MAX_PACKET],
        })
    }

    /// Samples of one frame (per channel × channels).
    pub(crate) fn frame_len(&self) -> usize {
        self.encoder.frame_len()
    }

    /// Encodes one frame of PCM and writes the RTP packet into `out` (cleared first), with
    /// `tail` spare bytes after it for the SRTP tag.
    pub(crate) fn packetize(
        &mut self,
        now: Instant,
        pcm: &[i16],
        out: &mut Vec<u8>,
        tail: usize,
    ) -> Result<(), MediaError> {
        let len = self.encoder.encode(pcm, &mut self.encoded)?;
        let samples = (pcm.len() / if self.encoder.config().stereo { 2 } else { 1 }) as u32;
        let mut ext = [0u8; 24];
        let (profile, ext_len) = match &self.mid_extension {
            Some((id, mid)) => write_extensions(&[Extension { id: *id, data: mid }], &mut ext)?,
            None => (0, 0),
        };
        let mut builder = rtp_rs::RtpPacketBuilder::new()
            .payload_type(self.payload_type)
            .ssrc(self.ssrc)
            .sequence(rtp_rs::Seq::from(self.sequence))
            .timestamp(self.timestamp)
            .payload(&self.encoded[..len]);
        if ext_len > 0 {
            builder = builder.extension(profile, &ext[..ext_len]);
        }
        out.clear();
        out.resize(MAX_HEADER + len + tail, 0);
        let written = builder.build_into(out).map_err(|_| MediaError::Packetize)?;
        out.truncate(written);
        self.stats.on_packet_sent(now, self.timestamp, len);
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(samples);
        debug_assert!(samples as usize <= FRAME_SAMPLES * 6);
        Ok(())
    }
}
