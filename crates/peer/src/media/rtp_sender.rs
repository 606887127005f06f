//! The sending half of a transceiver: encoded frames packetized as RTP (RFC 7587 Opus,
//! RFC 3551 G.711 and the like, RFC 7741 VP8, RFC 6184 H.264) with the negotiated header
//! extensions, a history to answer NACKs (with RTX, RFC 4588, when negotiated), DTMF
//! (RFC 4733), and the counters of sender reports and webrtc-stats `outbound-rtp`.

use std::time::{Duration, Instant};

use rtcweb_cc::PacketClass;
use rtcweb_rtp::payload::{H264Packetizer, PacketHistory, Vp8Packetizer, Vp9Packetizer, rtx_wrap};
use rtcweb_rtp::{Extension, RtpPacket, SendStats, write_extensions};
use rtcweb_sdp::MediaKind;

use super::RtpCodec;
use super::dtmf::{DtmfSender, EventPacket};
use super::outbox::Outbox;
use crate::frame::{CodecInfo, OutgoingFrame};
use crate::media::MediaError;

/// Largest RTP payload of a video packet: 1200-byte datagrams (what browsers use on the
/// internet) less the RTP header, extensions and SRTP tag.
const MAX_VIDEO_PAYLOAD: usize = 1100;
/// Packets kept for retransmission, and for how long (older ones would come too late).
const HISTORY_PACKETS: usize = 1024;
const HISTORY_AGE: Duration = Duration::from_secs(1);
/// Room for the extension block (transport-wide sequence number, mid up to 16 bytes, audio
/// level, absolute send time).
const MAX_EXTENSIONS: usize = 36;
/// Most padding bytes one RTP packet carries (RFC 3550 §5.1: the count is one byte).
const MAX_PADDING: usize = 255;
/// Padding asked for above this many bytes is sent as a recent packet again (payload
/// padding): a padding-only packet cannot be larger.
const PADDING_ONLY_MAX: usize = 300;
/// How many recent packets payload padding looks at.
const PAYLOAD_PADDING_LOOKBACK: u16 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packetization {
    /// One packet per frame (audio).
    Single,
    Vp8,
    Vp9,
    H264,
}

impl Packetization {
    fn of(kind: &MediaKind, codec: &CodecInfo) -> Option<Self> {
        if *kind == MediaKind::Audio {
            Some(Self::Single)
        } else if codec.is("VP8") {
            Some(Self::Vp8)
        } else if codec.is("VP9") && codec.parameter("profile-id").unwrap_or("0") == "0" {
            Some(Self::Vp9)
        } else if codec.is("H264") && codec.parameter("packetization-mode") == Some("1") {
            Some(Self::H264)
        } else {
            None
        }
    }
}

/// The webrtc-stats `outbound-rtp` counters of a sender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SenderCounters {
    /// Frames sent (`framesSent`).
    pub frames_sent: u64,
    /// Key frames sent (`keyFramesEncoded` as far as the core knows).
    pub key_frames_sent: u64,
    /// Frames not sent: a DTMF tone was playing, or the encoding is inactive.
    pub frames_dropped: u64,
    /// Packets retransmitted after a NACK (`retransmittedPacketsSent`).
    pub retransmitted_packets: u64,
    /// Payload bytes retransmitted (`retransmittedBytesSent`).
    pub retransmitted_bytes: u64,
    /// NACK packets received (`nackCount`).
    pub nack_count: u64,
    /// PLIs received (`pliCount`).
    pub pli_count: u64,
    /// FIRs received (`firCount`).
    pub fir_count: u64,
    /// DTMF tones sent.
    pub dtmf_tones: u64,
}

/// The sending half of one transceiver, while the negotiation lets it send.
#[derive(Debug)]
pub(crate) struct RtpSender {
    pub(crate) ssrc: u32,
    pub(crate) rtx_ssrc: Option<u32>,
    pub(crate) kind: MediaKind,
    pub(crate) codecs: Vec<RtpCodec>,
    /// The `sdes:mid` extension id and the mid (RFC 8843 §15).
    mid: Option<(u8, Vec<u8>)>,
    /// The `ssrc-audio-level` extension id (RFC 6464).
    audio_level: Option<u8>,
    /// The transport-wide sequence number extension id: packets carry a placeholder the
    /// pacer fills in when they leave.
    transport_cc: Option<u8>,
    /// The absolute send time extension id (for a peer that estimates with REMB): a
    /// placeholder the pacer fills in too.
    abs_send_time: Option<u8>,
    sequence: u16,
    rtx_sequence: u16,
    vp8: Vp8Packetizer,
    vp9: Vp9Packetizer,
    h264: H264Packetizer,
    history: Option<PacketHistory>,
    pub(crate) stats: SendStats,
    pub(crate) counters: SenderCounters,
    /// The last frame: its RTP timestamp, when it was captured, its clock rate.
    last: Option<(u32, Instant, u32)>,
    pub(crate) dtmf: Option<DtmfSender>,
}

/// What a sender is made from.
#[derive(Debug)]
pub(crate) struct SenderSetup {
    pub(crate) ssrc: u32,
    pub(crate) rtx_ssrc: Option<u32>,
    pub(crate) kind: MediaKind,
    pub(crate) codecs: Vec<RtpCodec>,
    pub(crate) mid: Option<(u8, Vec<u8>)>,
    pub(crate) audio_level: Option<u8>,
    pub(crate) transport_cc: Option<u8>,
    pub(crate) abs_send_time: Option<u8>,
    /// `nack` was negotiated for one of the codecs: keep a history.
    pub(crate) nack: bool,
    pub(crate) random: u64,
}

impl RtpSender {
    pub(crate) fn new(s: SenderSetup) -> Self {
        let clock_rate = s.codecs.first().map_or(90_000, |c| c.info.clock_rate);
        let dtmf = s
            .codecs
            .iter()
            .find(|c| c.info.is("telephone-event"))
            .map(|c| DtmfSender::new(c.payload_type, c.info.clock_rate));
        Self {
            ssrc: s.ssrc,
            rtx_ssrc: s.rtx_ssrc,
            kind: s.kind,
            codecs: s.codecs,
            mid: s.mid,
            audio_level: s.audio_level,
            transport_cc: s.transport_cc,
            abs_send_time: s.abs_send_time,
            // RFC 3550 §5.1: random initial sequence numbers.
            sequence: s.random as u16,
            rtx_sequence: (s.random >> 16) as u16,
            vp8: Vp8Packetizer::new(MAX_VIDEO_PAYLOAD, (s.random >> 32) as u16),
            vp9: Vp9Packetizer::new(MAX_VIDEO_PAYLOAD, (s.random >> 48) as u16),
            h264: H264Packetizer::new(MAX_VIDEO_PAYLOAD),
            history: s
                .nack
                .then(|| PacketHistory::new(HISTORY_PACKETS, HISTORY_AGE)),
            stats: SendStats::new(s.ssrc, clock_rate),
            counters: SenderCounters::default(),
            last: None,
            dtmf,
        }
    }

    /// Updates what a renegotiation changed (codecs, extension ids), keeping the stream's
    /// sequence numbers, history and counters.
    pub(crate) fn update(&mut self, s: SenderSetup) {
        if let Some(d) = s.codecs.iter().find(|c| c.info.is("telephone-event")) {
            if self
                .dtmf
                .as_ref()
                .is_none_or(|x| x.payload_type != d.payload_type)
            {
                self.dtmf = Some(DtmfSender::new(d.payload_type, d.info.clock_rate));
            }
        } else {
            self.dtmf = None;
        }
        self.codecs = s.codecs;
        self.mid = s.mid;
        self.audio_level = s.audio_level;
        self.transport_cc = s.transport_cc;
        self.abs_send_time = s.abs_send_time;
        self.rtx_ssrc = s.rtx_ssrc;
        if s.nack && self.history.is_none() {
            self.history = Some(PacketHistory::new(HISTORY_PACKETS, HISTORY_AGE));
        }
    }

    /// Stops sending until a later exchange resumes the stream: what is in flight is no
    /// longer answered (the history goes) and pending DTMF is dropped; the sequence numbers
    /// and counters stay.
    pub(crate) fn suspend(&mut self) {
        if let Some(h) = self.history.as_mut() {
            *h = PacketHistory::new(HISTORY_PACKETS, HISTORY_AGE);
        }
        if let Some(d) = self.dtmf.as_mut() {
            d.reset();
        }
    }

    /// Packetizes one frame into `outbox`.
    pub(crate) fn write(
        &mut self,
        now: Instant,
        frame: &OutgoingFrame<'_>,
        outbox: &mut Outbox,
    ) -> Result<bool, MediaError> {
        let codec = self
            .codecs
            .iter()
            .find(|c| c.payload_type == frame.payload_type)
            .ok_or(MediaError::PayloadType(frame.payload_type))?;
        if codec.info.is("telephone-event") {
            return Err(MediaError::PayloadType(frame.payload_type));
        }
        let packetization = Packetization::of(&self.kind, &codec.info)
            .ok_or(MediaError::PayloadType(frame.payload_type))?;
        if self.dtmf.as_ref().is_some_and(DtmfSender::is_playing) {
            // RFC 4733 §2.1: the event stands for the audio while it plays.
            self.counters.frames_dropped += 1;
            return Ok(false);
        }
        let clock_rate = codec.info.clock_rate;
        let at = frame.capture_time.unwrap_or(now);
        let level = frame.audio_level;
        match packetization {
            Packetization::Single => {
                self.packet(
                    outbox,
                    frame.payload_type,
                    frame.rtp_timestamp,
                    frame.talkspurt_start,
                    level,
                    frame.data,
                    at,
                );
            }
            Packetization::Vp8 | Packetization::Vp9 | Packetization::H264 => {
                let payloads = match packetization {
                    Packetization::Vp8 => self.vp8.packetize(frame.data),
                    Packetization::Vp9 => {
                        self.vp9
                            .packetize(frame.data, frame.keyframe, frame.video_size)
                    }
                    _ => self.h264.packetize(frame.data),
                };
                let last = payloads.len().saturating_sub(1);
                for (i, p) in payloads.iter().enumerate() {
                    self.packet(
                        outbox,
                        frame.payload_type,
                        frame.rtp_timestamp,
                        i == last,
                        None,
                        p,
                        at,
                    );
                }
            }
        }
        self.counters.frames_sent += 1;
        if frame.keyframe {
            self.counters.key_frames_sent += 1;
        }
        self.last = Some((frame.rtp_timestamp, at, clock_rate));
        Ok(true)
    }

    /// Writes one RTP packet into `outbox` (and the history).
    #[allow(clippy::too_many_arguments)]
    fn packet(
        &mut self,
        outbox: &mut Outbox,
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        level: Option<(u8, bool)>,
        payload: &[u8],
        at: Instant,
    ) {
        let seq = self.sequence;
        self.sequence = self.sequence.wrapping_add(1);
        let mut buf = outbox.buffer();
        if write_rtp(
            &mut buf,
            &Header {
                payload_type,
                ssrc: self.ssrc,
                sequence: seq,
                timestamp,
                marker,
                mid: self.mid.as_ref(),
                audio_level: self.audio_level.zip(level),
                transport_cc: self.transport_cc,
                abs_send_time: self.abs_send_time,
            },
            payload,
        ) {
            if let Some(h) = self.history.as_mut() {
                h.insert(seq, at, &buf);
            }
            self.stats.on_packet_sent(at, timestamp, payload.len());
            outbox.push_rtp(buf, self.class());
        } else {
            outbox.recycle(buf);
        }
    }

    /// The peer lost `seq`: resent from the history, as RTX when negotiated (RFC 4588
    /// §4), else as it was. False when it is no longer kept.
    /// `allow` is asked with the packet's size first (the retransmission budget).
    pub(crate) fn retransmit(
        &mut self,
        now: Instant,
        seq: u16,
        outbox: &mut Outbox,
        allow: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        let Some(size) = self
            .history
            .as_mut()
            .and_then(|h| h.get(seq, now))
            .map(<[u8]>::len)
        else {
            return false;
        };
        if !allow(size) {
            return false;
        }
        let mut buf = outbox.buffer();
        let Some(payload_len) = self.write_resend(seq, now, &mut buf) else {
            outbox.recycle(buf);
            return false;
        };
        self.counters.retransmitted_packets += 1;
        self.counters.retransmitted_bytes += payload_len as u64;
        outbox.push_rtp(buf, PacketClass::Retransmission);
        true
    }

    /// How the pacer treats this sender's packets.
    fn class(&self) -> PacketClass {
        if self.kind == MediaKind::Audio {
            PacketClass::Audio
        } else {
            PacketClass::Video
        }
    }

    /// Writes packet `seq` from the history into `buf` to be sent again: as RTX when
    /// negotiated (RFC 4588 §4: its own SSRC and sequence numbers, the original sequence
    /// number first in the payload), else as it was. The original payload's length, or
    /// `None` when the packet is no longer kept.
    fn write_resend(&mut self, seq: u16, now: Instant, buf: &mut Vec<u8>) -> Option<usize> {
        let original = self.history.as_mut()?.get(seq, now)?;
        let packet = RtpPacket::parse(original).ok()?;
        let payload_len = packet.payload().len();
        let rtx = self
            .codecs
            .iter()
            .find(|c| c.payload_type == packet.payload_type())
            .and_then(|c| c.rtx_payload_type)
            .zip(self.rtx_ssrc);
        let written = match rtx {
            Some((rtx_pt, rtx_ssrc)) => {
                let mut payload = Vec::with_capacity(payload_len + 2);
                rtx_wrap(seq, packet.payload(), &mut payload);
                let rtx_seq = self.rtx_sequence;
                self.rtx_sequence = self.rtx_sequence.wrapping_add(1);
                write_rtp(
                    buf,
                    &Header {
                        payload_type: rtx_pt,
                        ssrc: rtx_ssrc,
                        sequence: rtx_seq,
                        timestamp: packet.timestamp(),
                        marker: packet.marker(),
                        mid: self.mid.as_ref(),
                        audio_level: None,
                        transport_cc: self.transport_cc,
                        abs_send_time: self.abs_send_time,
                    },
                    &payload,
                )
            }
            None => {
                buf.extend_from_slice(original);
                true
            }
        };
        written.then_some(payload_len)
    }

    /// A packet of about `size` bytes on the RTX stream for bandwidth probes: a recent
    /// media packet sent again (libwebrtc's payload padding: useful if that packet was
    /// lost, and as large as a probe wants), or, for small sizes and when none is kept, a
    /// padding-only packet (RFC 4588 §4 with RFC 3550 §5.1 padding, at most 255 bytes);
    /// `None` without RTX.
    pub(crate) fn padding(&mut self, now: Instant, size: usize, buf: &mut Vec<u8>) -> bool {
        let (Some(rtx_ssrc), Some(rtx_pt)) = (
            self.rtx_ssrc,
            self.codecs.iter().find_map(|c| c.rtx_payload_type),
        ) else {
            return false;
        };
        if size > PADDING_ONLY_MAX
            && let Some(seq) = self.payload_padding_candidate(now, size)
            && self.write_resend(seq, now, buf).is_some()
        {
            return true;
        }
        buf.clear();
        let Some((timestamp, _, _)) = self.last else {
            return false;
        };
        let rtx_seq = self.rtx_sequence;
        if !write_rtp(
            buf,
            &Header {
                payload_type: rtx_pt,
                ssrc: rtx_ssrc,
                sequence: rtx_seq,
                timestamp,
                marker: false,
                mid: self.mid.as_ref(),
                audio_level: None,
                transport_cc: self.transport_cc,
                abs_send_time: self.abs_send_time,
            },
            &[],
        ) {
            return false;
        }
        self.rtx_sequence = self.rtx_sequence.wrapping_add(1);
        let pad = size.saturating_sub(buf.len()).clamp(1, MAX_PADDING);
        // RFC 3550 §5.1: the P bit, and the last padding byte counts them.
        buf[0] |= 0x20;
        buf.resize(buf.len() + pad - 1, 0);
        buf.push(pad as u8);
        true
    }

    /// Of the last few packets sent, the newest no larger than `size` (else the
    /// smallest), for payload padding.
    fn payload_padding_candidate(&mut self, now: Instant, size: usize) -> Option<u16> {
        let history = self.history.as_mut()?;
        let mut best: Option<(u16, usize)> = None;
        for back in 1..=PAYLOAD_PADDING_LOOKBACK {
            let seq = self.sequence.wrapping_sub(back);
            let Some(len) = history.get(seq, now).map(<[u8]>::len) else {
                continue;
            };
            if len <= size {
                return Some(seq);
            }
            if best.is_none_or(|(_, l)| len < l) {
                best = Some((seq, len));
            }
        }
        best.map(|(seq, _)| seq)
    }

    /// When DTMF next wants to send.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.dtmf.as_ref().and_then(DtmfSender::poll_timeout)
    }

    /// Sends the DTMF packets that are due; the tone changes for `tonechange`.
    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Vec<Option<char>> {
        let Some(dtmf) = self.dtmf.as_mut() else {
            return Vec::new();
        };
        let last = self.last;
        let te_rate = self
            .codecs
            .iter()
            .find(|c| c.info.is("telephone-event"))
            .map_or(8000, |c| c.info.clock_rate);
        let random_base = u32::from(self.sequence) << 16;
        let tick = dtmf.tick(now, |at| match last {
            // The event starts where the audio timeline is at that instant.
            Some((ts, sent, _)) => {
                let elapsed = at.saturating_duration_since(sent);
                ts.wrapping_add((elapsed.as_micros() * u128::from(te_rate) / 1_000_000) as u32)
            }
            None => random_base,
        });
        let pt = dtmf.payload_type;
        for EventPacket {
            payload,
            marker,
            timestamp,
        } in tick.packets
        {
            self.packet(outbox, pt, timestamp, marker, None, &payload, now);
        }
        self.counters.dtmf_tones += tick.tone_changes.iter().filter(|t| t.is_some()).count() as u64;
        tick.tone_changes
    }
}

/// An RTP header to write.
struct Header<'a> {
    payload_type: u8,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    marker: bool,
    mid: Option<&'a (u8, Vec<u8>)>,
    /// Extension id, then (level, voice).
    audio_level: Option<(u8, (u8, bool))>,
    /// The transport-wide sequence number's extension id: a zero placeholder is written.
    transport_cc: Option<u8>,
    /// The absolute send time's extension id: a zero placeholder is written.
    abs_send_time: Option<u8>,
}

/// Writes an RTP packet into `buf` (cleared first); false if it could not be built.
fn write_rtp(buf: &mut Vec<u8>, h: &Header<'_>, payload: &[u8]) -> bool {
    let mut level = [0u8; 1];
    let mut list: [Option<Extension<'_>>; 4] = [None, None, None, None];
    if let Some(id) = h.transport_cc {
        list[0] = Some(Extension { id, data: &[0, 0] });
    }
    if let Some(id) = h.abs_send_time {
        list[3] = Some(Extension {
            id,
            data: &[0, 0, 0],
        });
    }
    if let Some((id, mid)) = h.mid {
        list[1] = Some(Extension { id: *id, data: mid });
    }
    if let Some((id, (dbov, voice))) = h.audio_level {
        // RFC 6464 §3: V bit, then the level in -dBov.
        level[0] = (dbov & 0x7f) | if voice { 0x80 } else { 0 };
        list[2] = Some(Extension { id, data: &level });
    }
    let mut elements = [Extension { id: 0, data: &[] }; 4];
    let mut count = 0;
    for e in list.into_iter().flatten() {
        elements[count] = e;
        count += 1;
    }
    let extensions = &elements[..count];
    let mut ext = [0u8; MAX_EXTENSIONS];
    let (profile, ext_len) = if extensions.is_empty() {
        (0, 0)
    } else {
        match write_extensions(extensions, &mut ext) {
            Ok(v) => v,
            Err(_) => return false,
        }
    };
    let mut builder = rtp_rs::RtpPacketBuilder::new()
        .payload_type(h.payload_type)
        .ssrc(h.ssrc)
        .sequence(rtp_rs::Seq::from(h.sequence))
        .timestamp(h.timestamp)
        .marked(h.marker)
        .payload(payload);
    if ext_len > 0 {
        builder = builder.extension(profile, &ext[..ext_len]);
    }
    buf.clear();
    buf.resize(12 + 4 + ext_len + payload.len() + 4, 0);
    match builder.build_into(buf) {
        Ok(n) => {
            buf.truncate(n);
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;

    fn codec(pt: u8, name: &str, rate: u32, rtx: Option<u8>) -> RtpCodec {
        RtpCodec {
            payload_type: pt,
            info: CodecInfo {
                name: name.into(),
                clock_rate: rate,
                channels: 1,
                fmtp: String::new(),
            },
            rtx_payload_type: rtx,
        }
    }

    fn sender(kind: MediaKind, codecs: Vec<RtpCodec>, nack: bool) -> RtpSender {
        RtpSender::new(SenderSetup {
            ssrc: 1111,
            rtx_ssrc: Some(2222),
            kind,
            codecs,
            mid: Some((4, b"0".to_vec())),
            audio_level: Some(1),
            transport_cc: None,
            abs_send_time: None,
            nack,
            random: 7,
        })
    }

    #[test]
    fn audio_frames_are_one_packet_with_mid_and_level() {
        let mut s = sender(
            MediaKind::Audio,
            vec![codec(111, "opus", 48_000, None)],
            false,
        );
        let mut out = Outbox::default();
        let now = Instant::now();
        let mut f = OutgoingFrame::new(111, 960, b"opus!");
        f.audio_level = Some((30, true));
        f.talkspurt_start = true;
        assert!(s.write(now, &f, &mut out).unwrap());
        let p = out.pop().unwrap();
        let rtp = RtpPacket::parse(&p.bytes).unwrap();
        assert_eq!(
            (
                rtp.payload_type(),
                rtp.ssrc(),
                rtp.timestamp(),
                rtp.marker()
            ),
            (111, 1111, 960, true)
        );
        assert_eq!(rtp.payload(), b"opus!");
        assert_eq!(rtp.extensions().get(4), Some(&b"0"[..]));
        assert_eq!(rtp.extensions().get(1), Some(&[0x80 | 30][..]));
        assert!(out.pop().is_none());
        assert_eq!(
            s.write(now, &OutgoingFrame::new(9, 0, b""), &mut out),
            Err(MediaError::PayloadType(9))
        );
    }

    #[test]
    fn video_frames_split_and_nacks_come_back_as_rtx() {
        let mut s = sender(
            MediaKind::Video,
            vec![codec(96, "VP8", 90_000, Some(97))],
            true,
        );
        let mut out = Outbox::default();
        let now = Instant::now();
        let frame = vec![0x10u8; 3000];
        s.write(now, &OutgoingFrame::new(96, 3000, &frame), &mut out)
            .unwrap();
        let mut seqs = Vec::new();
        while let Some(p) = out.pop() {
            let rtp = RtpPacket::parse(&p.bytes).unwrap();
            seqs.push((rtp.sequence_number(), rtp.marker()));
        }
        assert_eq!(seqs.len(), 3);
        assert!(seqs[2].1 && !seqs[0].1 && !seqs[1].1);
        assert!(s.retransmit(now, seqs[1].0, &mut out, &mut |_| true));
        let rtx = out.pop().unwrap();
        let rtp = RtpPacket::parse(&rtx.bytes).unwrap();
        assert_eq!((rtp.payload_type(), rtp.ssrc()), (97, 2222));
        assert_eq!(
            u16::from_be_bytes([rtp.payload()[0], rtp.payload()[1]]),
            seqs[1].0
        );
        assert_eq!(s.counters.retransmitted_packets, 1);
        // Too old: gone.
        assert!(!s.retransmit(
            now + Duration::from_secs(2),
            seqs[0].0,
            &mut out,
            &mut |_| true
        ));
    }
}
