//! Receiving one video track: RTP (and RTX, RFC 4588) packets into rtcweb-media's frame
//! buffer, whole VP8 or H.264 frames out in decoding order, NACK and PLI requests for the
//! peer (RFC 4585).

use std::time::Instant;

use rtcweb_media::{VideoBufferConfig, VideoCodec, VideoEvent, VideoFrameBuffer, VideoStats};
use rtcweb_rtp::payload::rtx_unwrap;

use crate::media::inbound_stream::InboundStream;
use rtcweb_rtp::RtpPacket;

/// Video RTP clock rate (RFC 7741 §6.1, RFC 6184 §8.2.1).
const CLOCK_RATE: u32 = 90_000;

/// Counters of a received video stream, named as in webrtc-stats `inbound-rtp`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct VideoReceiveStats {
    /// RTP packets received, retransmissions not included (`packetsReceived`).
    pub packets_received: u64,
    /// Payload bytes received (`bytesReceived`).
    pub bytes_received: u64,
    /// Packets lost, RFC 3550 A.3 (`packetsLost`).
    pub packets_lost: i64,
    /// Interarrival jitter, seconds (`jitter`).
    pub jitter: f64,
    /// Retransmissions received in RTX packets (`retransmittedPacketsReceived`).
    pub retransmitted_packets_received: u64,
    /// Packets with a payload type we do not assemble.
    pub other_payloads: u64,
    /// The frame buffer's counters (`framesReceived`, `keyFramesDecoded`, `nackCount`,
    /// `pliCount`, ...).
    pub frames: VideoStats,
}

/// What a video receiver asks of the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VideoOutput {
    /// A whole frame.
    Frame(rtcweb_rtp::payload::Frame, VideoCodec),
    /// Send a generic NACK for these sequence numbers of `ssrc`.
    Nack { ssrc: u32, lost: Vec<u16> },
    /// Send a PLI for `ssrc`.
    Pli { ssrc: u32 },
}

/// The receiving half of a video track.
#[derive(Debug)]
pub(crate) struct VideoReceiver {
    /// Payload types we assemble, and their codec.
    codecs: Vec<(u8, VideoCodec)>,
    /// RTX payload types and the payload type each repairs.
    rtx: Vec<(u8, u8)>,
    /// The frame buffer of the payload type in use (a new type starts a new buffer).
    buffer: Option<(u8, VideoFrameBuffer)>,
    inbound: InboundStream,
    stats: VideoReceiveStats,
}

impl VideoReceiver {
    pub(crate) fn new(codecs: Vec<(u8, VideoCodec)>, rtx: Vec<(u8, u8)>) -> Self {
        Self {
            codecs,
            rtx,
            buffer: None,
            inbound: InboundStream::new(CLOCK_RATE),
            stats: VideoReceiveStats::default(),
        }
    }

    /// Whether this track takes packets of payload type `pt`.
    pub(crate) fn takes(&self, pt: u8) -> bool {
        self.codecs.iter().any(|(p, _)| *p == pt) || self.rtx.iter().any(|(p, _)| *p == pt)
    }

    /// A packet of this track arrived; what it completed goes to `out`.
    pub(crate) fn handle_packet(
        &mut self,
        now: Instant,
        packet: &RtpPacket<'_>,
        out: &mut impl FnMut(VideoOutput),
    ) {
        let pt = packet.payload_type();
        // RFC 4588 §4: the original sequence number leads the RTX payload.
        let (pt, seq, payload, retransmitted) = match self.rtx.iter().find(|(p, _)| *p == pt) {
            Some(&(_, apt)) => match rtx_unwrap(packet.payload()) {
                Some((seq, payload)) => {
                    self.stats.retransmitted_packets_received += 1;
                    (apt, seq, payload, true)
                }
                None => {
                    self.stats.other_payloads += 1;
                    return;
                }
            },
            None => (pt, packet.sequence_number(), packet.payload(), false),
        };
        let Some(&(_, codec)) = self.codecs.iter().find(|(p, _)| *p == pt) else {
            self.stats.other_payloads += 1;
            return;
        };
        if !retransmitted {
            if !self
                .inbound
                .record(packet.ssrc(), seq, packet.timestamp(), now)
            {
                self.stats.other_payloads += 1;
                return;
            }
            self.stats.packets_received += 1;
            self.stats.bytes_received += payload.len() as u64;
        }
        if self.buffer.as_ref().is_none_or(|(p, _)| *p != pt) {
            self.buffer = Some((pt, VideoFrameBuffer::new(VideoBufferConfig::new(codec))));
        }
        if let Some((_, buffer)) = self.buffer.as_mut() {
            buffer.handle_packet(now, seq, packet.timestamp(), packet.marker(), payload);
        }
        self.drain(out);
    }

    /// When the frame buffer next wants time (a NACK retry or giving up on a frame).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.buffer.as_ref()?.1.poll_timeout()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut impl FnMut(VideoOutput)) {
        if let Some((_, buffer)) = self.buffer.as_mut() {
            buffer.handle_timeout(now);
        }
        self.drain(out);
    }

    fn drain(&mut self, out: &mut impl FnMut(VideoOutput)) {
        let Some((pt, buffer)) = self.buffer.as_mut() else {
            return;
        };
        let codec = self
            .codecs
            .iter()
            .find(|(p, _)| p == pt)
            .map_or(VideoCodec::Vp8, |(_, c)| *c);
        let ssrc = self.inbound.ssrc().unwrap_or(0);
        while let Some(event) = buffer.poll_event() {
            out(match event {
                VideoEvent::Frame(frame) => VideoOutput::Frame(frame, codec),
                VideoEvent::Nack(lost) => VideoOutput::Nack { ssrc, lost },
                VideoEvent::KeyframeRequest => VideoOutput::Pli { ssrc },
            });
        }
    }

    /// The stream's SSRC, once a packet came.
    pub(crate) fn ssrc(&self) -> Option<u32> {
        self.inbound.ssrc()
    }

    /// The SSRC and RTCP state of the stream.
    pub(crate) fn inbound(&mut self) -> &mut InboundStream {
        &mut self.inbound
    }

    /// The counters now.
    pub(crate) fn stats(&self) -> VideoReceiveStats {
        let mut stats = self.stats;
        if let Some((lost, jitter)) = self.inbound.loss_and_jitter() {
            stats.packets_lost = lost;
            stats.jitter = jitter;
        }
        if let Some((_, buffer)) = &self.buffer {
            stats.frames = buffer.stats();
        }
        stats
    }
}
