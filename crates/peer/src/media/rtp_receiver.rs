//! The receiving half of a transceiver: RTP (and RTX, RFC 4588) packets of one remote
//! stream into encoded frames. Audio: one frame per packet (the jitter buffer and the
//! decoder are the layer above's). Video: whole VP8 or H.264 frames from rtcweb-media's
//! frame buffer in decoding order, with NACK and PLI requests for the peer (RFC 4585).
//! DTMF (RFC 4733) comes out as tones. Every frame carries the sender's wall-clock time
//! once a sender report mapped the stream (RFC 3550 §6.4.1).

use std::time::{Duration, Instant};

use rtcweb_media::{VideoBufferConfig, VideoCodec, VideoEvent, VideoFrameBuffer, VideoStats};
use rtcweb_rtp::RtpPacket;
use rtcweb_rtp::payload::rtx_unwrap;
use rtcweb_sdp::MediaKind;

use super::RtpCodec;
use super::dtmf::DtmfReceiver;
use super::inbound_stream::InboundStream;
use crate::frame::ReceivedFrame;

/// Counters of a received stream, named as in webrtc-stats `inbound-rtp`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct ReceiveStats {
    /// RTP packets received, retransmissions not included (`packetsReceived`).
    pub packets_received: u64,
    /// Payload bytes received (`bytesReceived`).
    pub bytes_received: u64,
    /// Packets lost, RFC 3550 A.3 (`packetsLost`).
    pub packets_lost: i64,
    /// Interarrival jitter, seconds (`jitter`).
    pub jitter: f64,
    /// Frames handed out (`framesReceived` for video; packets for audio).
    pub frames_received: u64,
    /// Key frames handed out.
    pub key_frames_received: u64,
    /// Retransmissions received in RTX packets (`retransmittedPacketsReceived`).
    pub retransmitted_packets_received: u64,
    /// Packets with a payload type that was not negotiated here.
    pub other_payloads: u64,
    /// DTMF tones received.
    pub dtmf_tones: u64,
    /// The video frame buffer's counters (`nackCount`, `pliCount`, frames dropped...).
    pub video: VideoStats,
}

/// What a receiver produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReceiveOutput {
    /// A frame for the owner.
    Frame(ReceivedFrame),
    /// Send a generic NACK for these sequence numbers of `ssrc`.
    Nack { ssrc: u32, lost: Vec<u16> },
    /// Send a PLI for `ssrc`.
    Pli { ssrc: u32 },
    /// A DTMF tone ended.
    Dtmf { tone: char, duration: Duration },
}

/// The receiving half of one transceiver.
#[derive(Debug)]
pub(crate) struct RtpReceiver {
    pub(crate) kind: MediaKind,
    pub(crate) codecs: Vec<RtpCodec>,
    /// The `ssrc-audio-level` extension id (RFC 6464).
    audio_level: Option<u8>,
    /// The frame buffer of the video payload type in use (a new type starts a new one).
    buffer: Option<(u8, VideoFrameBuffer)>,
    dtmf: DtmfReceiver,
    pub(crate) inbound: InboundStream,
    stats: ReceiveStats,
    /// A BYE came for the stream (W3C: the track is muted until media comes again).
    pub(crate) muted: bool,
}

impl RtpReceiver {
    pub(crate) fn new(kind: MediaKind, codecs: Vec<RtpCodec>, audio_level: Option<u8>) -> Self {
        let clock_rate = codecs
            .iter()
            .find(|c| !c.info.is("telephone-event"))
            .map_or(90_000, |c| c.info.clock_rate);
        Self {
            kind,
            codecs,
            audio_level,
            buffer: None,
            dtmf: DtmfReceiver::default(),
            inbound: InboundStream::new(clock_rate),
            stats: ReceiveStats::default(),
            muted: false,
        }
    }

    /// Updates what a renegotiation changed, keeping the stream's state.
    pub(crate) fn update(&mut self, codecs: Vec<RtpCodec>, audio_level: Option<u8>) {
        self.codecs = codecs;
        self.audio_level = audio_level;
    }

    /// Whether this receiver takes packets of payload type `pt`.
    pub(crate) fn takes(&self, pt: u8) -> bool {
        self.codecs
            .iter()
            .any(|c| c.payload_type == pt || c.rtx_payload_type == Some(pt))
    }

    /// A packet of this stream arrived; what it completed goes to `out`.
    pub(crate) fn handle_packet(
        &mut self,
        now: Instant,
        packet: &RtpPacket<'_>,
        out: &mut impl FnMut(ReceiveOutput),
    ) {
        let pt = packet.payload_type();
        // RFC 4588 §4: the original sequence number leads the RTX payload.
        let repaired = self.codecs.iter().find(|c| c.rtx_payload_type == Some(pt));
        let (pt, seq, payload, retransmitted) = match repaired {
            // Before any packet of the original stream came, a retransmission (or payload
            // padding that overtook its original) cannot be tied to a stream (RFC 4588
            // §5.3 pairs them by SSRC): dropped, the original or a later one fills in.
            Some(_) if self.inbound.ssrc().is_none() => {
                self.stats.other_payloads += 1;
                return;
            }
            Some(c) => match rtx_unwrap(packet.payload()) {
                Some((seq, payload)) => {
                    self.stats.retransmitted_packets_received += 1;
                    (c.payload_type, seq, payload, true)
                }
                None => {
                    self.stats.other_payloads += 1;
                    return;
                }
            },
            None => (pt, packet.sequence_number(), packet.payload(), false),
        };
        let Some(codec) = self.codecs.iter().find(|c| c.payload_type == pt) else {
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
        self.muted = false;
        if codec.info.is("telephone-event") {
            let clock_rate = codec.info.clock_rate;
            if let Some((tone, duration)) =
                self.dtmf.handle(packet.timestamp(), payload, clock_rate)
            {
                self.stats.dtmf_tones += 1;
                out(ReceiveOutput::Dtmf { tone, duration });
            }
            return;
        }
        if self.kind == MediaKind::Audio {
            let audio_level = self
                .audio_level
                .and_then(|id| packet.extensions().get(id))
                .and_then(|b| b.first())
                .map(|b| (b & 0x7f, b & 0x80 != 0));
            self.stats.frames_received += 1;
            let frame = ReceivedFrame {
                payload_type: pt,
                codec: codec.info.clone(),
                rtp_timestamp: packet.timestamp(),
                marker: packet.marker(),
                keyframe: false,
                ssrc: packet.ssrc(),
                sequence: (seq, seq),
                received_at: now,
                sender_time: self.inbound.sender_time(packet.timestamp()),
                audio_level,
                data: payload.to_vec(),
            };
            out(ReceiveOutput::Frame(frame));
            return;
        }
        let video_codec = if codec.info.is("VP8") {
            VideoCodec::Vp8
        } else if codec.info.is("VP9") {
            VideoCodec::Vp9
        } else if codec.info.is("H264") {
            VideoCodec::H264
        } else {
            self.stats.other_payloads += 1;
            return;
        };
        if self.buffer.as_ref().is_none_or(|(p, _)| *p != pt) {
            self.buffer = Some((
                pt,
                VideoFrameBuffer::new(VideoBufferConfig::new(video_codec)),
            ));
        }
        if let Some((_, buffer)) = self.buffer.as_mut() {
            buffer.handle_packet(now, seq, packet.timestamp(), packet.marker(), payload);
        }
        self.drain(now, out);
    }

    /// When the frame buffer next wants time (a NACK retry, or giving up on a frame).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.buffer.as_ref()?.1.poll_timeout()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut impl FnMut(ReceiveOutput)) {
        if let Some((_, buffer)) = self.buffer.as_mut() {
            buffer.handle_timeout(now);
        }
        self.drain(now, out);
    }

    fn drain(&mut self, now: Instant, out: &mut impl FnMut(ReceiveOutput)) {
        let Some((pt, buffer)) = self.buffer.as_mut() else {
            return;
        };
        let pt = *pt;
        let Some(codec) = self.codecs.iter().find(|c| c.payload_type == pt) else {
            return;
        };
        let ssrc = self.inbound.ssrc().unwrap_or(0);
        while let Some(event) = buffer.poll_event() {
            out(match event {
                VideoEvent::Frame(frame) => {
                    self.stats.frames_received += 1;
                    if frame.keyframe {
                        self.stats.key_frames_received += 1;
                    }
                    ReceiveOutput::Frame(ReceivedFrame {
                        payload_type: pt,
                        codec: codec.info.clone(),
                        rtp_timestamp: frame.timestamp,
                        marker: true,
                        keyframe: frame.keyframe,
                        ssrc,
                        sequence: (frame.first_seq, frame.last_seq),
                        received_at: now,
                        sender_time: self.inbound.sender_time(frame.timestamp),
                        audio_level: None,
                        data: frame.data,
                    })
                }
                VideoEvent::Nack(lost) => ReceiveOutput::Nack { ssrc, lost },
                VideoEvent::KeyframeRequest => ReceiveOutput::Pli { ssrc },
            });
        }
    }

    /// The stream's SSRC, once a packet came.
    pub(crate) fn ssrc(&self) -> Option<u32> {
        self.inbound.ssrc()
    }

    /// The counters now.
    pub(crate) fn stats(&self) -> ReceiveStats {
        let mut stats = self.stats;
        if let Some((lost, jitter)) = self.inbound.loss_and_jitter() {
            stats.packets_lost = lost;
            stats.jitter = jitter;
        }
        if let Some((_, buffer)) = &self.buffer {
            stats.video = buffer.stats();
        }
        stats
    }
}
