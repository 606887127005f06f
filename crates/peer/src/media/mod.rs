//! The RTP side of the peer: one entry per transceiver, with an RTP sender while the
//! negotiation lets it send and an RTP receiver while it receives. Frames go in and out
//! encoded; incoming RTP is routed by SSRC, by the `sdes:mid` header extension (RFC 8843
//! §9.2) or by payload type; RTCP reports, feedback and BYE go both ways. Packets here are
//! plain RTP and RTCP: SRTP and the transport are the peer's, which drains [`Outbox`].

mod dtmf;
mod inbound_stream;
mod outbox;
mod retransmit_budget;
mod rtcp_reports;
mod rtp_receiver;
mod rtp_sender;
mod send_side;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rtcweb_cc::{
    Bitrate, CcConfig, CcfbRecorder, CcfbRecorderConfig, RembEstimator, TwccRecorder,
    TwccRecorderConfig,
};
use rtcweb_rtp::{AnchoredNtpClock, NtpClock, RtpPacket, WireError, parse_transport_wide_seq, uri};
use rtcweb_sdp::{MediaKind, MediaParameters, NegotiatedCodec};
use thiserror::Error;

pub(crate) use outbox::{OutPacket, Outbox};
use retransmit_budget::RetransmitBudget;
use rtcp_reports::Incoming;
pub(crate) use rtcp_reports::RtcpReports;
pub use rtp_receiver::ReceiveStats;
use rtp_receiver::{ReceiveOutput, RtpReceiver};
pub use rtp_sender::SenderCounters;
use rtp_sender::{RtpSender, SenderSetup};
use send_side::SendSide;

use crate::frame::{CodecInfo, KeyFrameRequest, OutgoingFrame, ReceivedFrame};
use crate::transceiver::{MediaTrack, RemoteTrack, SendEncoding, TransceiverId};

/// Most events held for the peer between two drains.
const MAX_EVENTS: usize = 1024;
/// Most remote SSRCs remembered (RFC 8843 §9.2 learns them from the mid extension).
const MAX_REMOTE_SSRCS: usize = 64;
/// What congestion control gives each audio sender: Opus's range in browsers (libwebrtc
/// allocates 6–32 kbit/s to it), a tenth of the target within it.
const AUDIO_MIN_BPS: u64 = 16_000;
const AUDIO_MAX_BPS: u64 = 32_000;
/// The least a video sender is given.
const VIDEO_MIN_BPS: u64 = 30_000;
/// A pacer backlog this long (at the target) halves what encoders are given.
const PUSHBACK_WINDOW: Duration = Duration::from_millis(500);

/// Why media could not be sent or set up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The frame's payload type was not negotiated for sending on this transceiver (or is
    /// one whose packets the core writes itself, such as `telephone-event`).
    #[error("payload type {0} is not negotiated for sending here")]
    PayloadType(u8),
    /// An RTP or RTCP packet could not be written.
    #[error("RTP: {0}")]
    Wire(#[from] WireError),
    /// The DTMF tones are not 0-9, A-D, #, * and `,`, or too many.
    #[error("not a DTMF tone string")]
    InvalidTones,
    /// DTMF cannot be sent: `telephone-event` was not negotiated, or the sender does not
    /// send (W3C `canInsertDTMF` false).
    #[error("DTMF cannot be sent on this transceiver")]
    NoDtmf,
}

/// What the media side tells the peer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MediaEvent {
    /// The peer sends on a transceiver for the first time (W3C `track`).
    Track {
        id: TransceiverId,
        track: RemoteTrack,
        mid: String,
    },
    /// The peer no longer sends on it (renegotiated, or stopped).
    TrackEnded { id: TransceiverId },
    /// A BYE came for the stream (muted), or media again (unmuted).
    Muted { id: TransceiverId, muted: bool },
    /// An encoded frame arrived.
    Frame {
        id: TransceiverId,
        frame: ReceivedFrame,
    },
    /// The peer asked one of our senders for a key frame.
    KeyFrameRequest {
        id: TransceiverId,
        kind: KeyFrameRequest,
    },
    /// A DTMF tone arrived.
    Dtmf {
        id: TransceiverId,
        tone: char,
        duration: Duration,
    },
    /// Our DTMF sender started a tone, or ran out (W3C `tonechange`).
    ToneChange {
        id: TransceiverId,
        tone: Option<char>,
    },
    /// Congestion control gives a sender this bitrate.
    SendBitrate { id: TransceiverId, bps: u32 },
}

/// One transceiver's media state.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: TransceiverId,
    pub(crate) kind: MediaKind,
    pub(crate) mid: Option<String>,
    /// The sender's track: frames are sent only with one.
    pub(crate) track: Option<MediaTrack>,
    pub(crate) streams: Vec<String>,
    pub(crate) encodings: Vec<SendEncoding>,
    pub(crate) sender: Option<RtpSender>,
    pub(crate) receiver: Option<RtpReceiver>,
    /// The remote track, once the peer sent on this section.
    pub(crate) remote_track: Option<RemoteTrack>,
    /// The negotiated codecs of the last exchange, for the sender and the receiver.
    pub(crate) send_codecs: Vec<(u8, CodecInfo)>,
    pub(crate) receive_codecs: Vec<(u8, CodecInfo)>,
    /// Counters kept when the sender goes (a renegotiation may bring it back).
    pub(crate) past_sent: Option<SenderCounters>,
    /// The bitrate congestion control last gave the sender (`targetBitrate`).
    pub(crate) target_bps: Option<u32>,
    /// The sender a direction change stopped, kept to resume its stream: the same SSRC
    /// must go on with its sequence numbers (RFC 3550 §5.1), or the peer's SRTP would take
    /// the restarted ones for replays (RFC 3711 §3.3.2).
    suspended: Option<Box<RtpSender>>,
}

/// Every transceiver's media and the RTCP state they share.
#[derive(Debug)]
pub(crate) struct Media {
    pub(crate) entries: Vec<Entry>,
    /// The wall clock of sender reports (RFC 3550 §6.4.1).
    clock: AnchoredNtpClock,
    /// Remote SSRC → index in `entries`.
    ssrcs: HashMap<u32, usize>,
    /// The `sdes:mid` extension id of the BUNDLE group (RFC 8843 §9.2: one id per URI).
    mid_extension: Option<u8>,
    /// The transport-wide sequence number extension id, when negotiated
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    twcc_extension: Option<u8>,
    /// Arrivals of the peer's packets by transport-wide sequence number, and the feedback
    /// that reports them, while the extension is negotiated.
    twcc: Option<TwccRecorder>,
    /// Arrivals of the peer's packets by stream and sequence number, and the RFC 8888
    /// feedback that reports them, while `ack ccfb` is negotiated (instead of TWCC).
    ccfb: Option<CcfbRecorder>,
    /// The absolute send time extension id, while negotiated.
    abs_send_time_extension: Option<u8>,
    /// The peer has neither TWCC nor RFC 8888 feedback but REMB and abs-send-time: each
    /// side estimates what it receives and tells the other in REMB.
    remb_mode: bool,
    /// The receive-side estimate sent back as REMB, for a peer that negotiated `goog-remb`
    /// and abs-send-time but neither TWCC nor RFC 8888 feedback.
    remb: Option<RembEstimator>,
    /// Pacer and bandwidth estimator of what we send, while the extension (or RFC 8888
    /// feedback) is negotiated and something sends.
    pub(crate) send_side: Option<SendSide>,
    /// The round-trip time last given to the estimator.
    rtt: Option<Duration>,
    /// Congestion control's settings; `None` leaves it off.
    cc_config: Option<CcConfig>,
    /// What NACKs may have resent.
    pub(crate) retransmits: RetransmitBudget,
    pub(crate) reports: Option<RtcpReports>,
    /// Our RTCP CNAME.
    cname: String,
    pub(crate) outbox: Outbox,
    events: VecDeque<MediaEvent>,
    /// RTP packets no transceiver took.
    pub(crate) unrouted: u64,
    /// Events dropped because the queue was full.
    pub(crate) events_dropped: u64,
    random: u64,
}

/// The codec as frames and parameters name it, with the fmtp of `params`.
/// A negotiated codec as a sender or receiver uses it: its payload type, what it is, and
/// its RTX payload type when RTX was negotiated.
#[derive(Debug, Clone)]
pub(crate) struct RtpCodec {
    pub(crate) payload_type: u8,
    pub(crate) info: CodecInfo,
    pub(crate) rtx_payload_type: Option<u8>,
}

impl RtpCodec {
    /// `c` with the fmtp of one side: the peer's to send with, ours to receive.
    fn new(c: &NegotiatedCodec, fmtp: &rtcweb_sdp::FormatParameters) -> Self {
        Self {
            payload_type: c.payload_type,
            info: CodecInfo {
                name: c.name.clone(),
                clock_rate: c.clock_rate,
                channels: c.channels,
                fmtp: fmtp.to_string(),
            },
            rtx_payload_type: c.rtx_payload_type,
        }
    }
}

impl Media {
    pub(crate) fn new(clock: AnchoredNtpClock, random: u64, cc_config: Option<CcConfig>) -> Self {
        Self {
            entries: Vec::new(),
            clock,
            ssrcs: HashMap::new(),
            mid_extension: None,
            twcc_extension: None,
            twcc: None,
            ccfb: None,
            abs_send_time_extension: None,
            remb_mode: false,
            remb: None,
            send_side: None,
            rtt: None,
            cc_config,
            retransmits: RetransmitBudget::default(),
            reports: None,
            cname: String::new(),
            outbox: Outbox::default(),
            events: VecDeque::new(),
            unrouted: 0,
            events_dropped: 0,
            random,
        }
    }

    fn next_random(&mut self) -> u64 {
        // SplitMix64: sequence numbers and SSRC-independent bases for new senders.
        self.random = self.random.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn set_cname(&mut self, cname: &str) {
        cname.clone_into(&mut self.cname);
    }

    pub(crate) fn entry(&self, id: TransceiverId) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub(crate) fn entry_mut(&mut self, id: TransceiverId) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    /// The entry of a transceiver, made when it is new.
    pub(crate) fn ensure(&mut self, id: TransceiverId, kind: MediaKind) -> &mut Entry {
        if let Some(i) = self.entries.iter().position(|e| e.id == id) {
            return &mut self.entries[i];
        }
        self.entries.push(Entry {
            id,
            kind,
            mid: None,
            track: None,
            streams: Vec::new(),
            encodings: vec![SendEncoding::default()],
            sender: None,
            receiver: None,
            remote_track: None,
            send_codecs: Vec::new(),
            receive_codecs: Vec::new(),
            past_sent: None,
            target_bps: None,
            suspended: None,
        });
        let last = self.entries.len() - 1;
        &mut self.entries[last]
    }

    pub(crate) fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    fn push(&mut self, event: MediaEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events_dropped += 1;
        } else {
            self.events.push_back(event);
        }
    }

    /// Applies what an exchange settled for the audio and video sections: senders and
    /// receivers made, updated or stopped, remote SSRCs learned, `track` events for the
    /// sections the peer now sends on.
    pub(crate) fn apply(&mut self, now: Instant, sections: &[MediaParameters]) {
        self.ssrcs.clear();
        let mut seen = Vec::new();
        // RFC 8843 §9.2 with RFC 8285 §6: one id per URI across the BUNDLE group.
        self.twcc_extension = sections
            .iter()
            .find_map(|s| ext_id(s, uri::TRANSPORT_WIDE_CC));
        self.abs_send_time_extension = sections.iter().find_map(|s| ext_id(s, uri::ABS_SEND_TIME));
        let has_feedback = |kind: &str, parameter: Option<&str>| {
            sections.iter().any(|s| {
                s.codecs.iter().any(|c| {
                    c.feedback
                        .iter()
                        .any(|f| f.kind == kind && f.parameter.as_deref() == parameter)
                })
            })
        };
        // RFC 8888 §6: `a=rtcp-fb:* ack ccfb`; with it, its feedback replaces TWCC's.
        let ccfb = has_feedback("ack", Some("ccfb"));
        // REMB only for a peer with neither TWCC nor RFC 8888 feedback.
        self.remb_mode = has_feedback("goog-remb", None)
            && !ccfb
            && self.twcc_extension.is_none()
            && self.abs_send_time_extension.is_some();
        let remb_mode = self.remb_mode;
        for section in sections {
            seen.push(section.transceiver);
            if let Some(id) = ext_id(section, uri::SDES_MID) {
                self.mid_extension = Some(id);
            }
            self.apply_section(section);
        }
        // Sections that are gone (rejected, or their transceiver stopped): nothing is sent
        // or received on them any more.
        for i in 0..self.entries.len() {
            if !seen.contains(&self.entries[i].id) {
                self.stop_sending(i);
                self.stop_receiving(i);
            }
        }
        let active = self
            .entries
            .iter()
            .any(|e| e.sender.is_some() || e.receiver.is_some());
        if active && self.reports.is_none() {
            let random = self.next_random();
            self.reports = Some(RtcpReports::new(now, random));
        }
        if ccfb {
            self.twcc = None;
            if self.ccfb.is_none() {
                let mut r = CcfbRecorder::new(CcfbRecorderConfig::default());
                r.set_clock(now, self.clock.ntp_time(now));
                self.ccfb = Some(r);
            }
        } else {
            self.ccfb = None;
            if self.twcc_extension.is_none() {
                self.twcc = None;
            } else if self.twcc.is_none() {
                self.twcc = Some(TwccRecorder::new(TwccRecorderConfig::default()));
            }
        }
        if remb_mode {
            if self.remb.is_none() {
                let config = self.cc_config.unwrap_or_default();
                self.remb = Some(RembEstimator::new(
                    config.start_bitrate,
                    config.min_bitrate,
                    config.max_bitrate,
                ));
            }
        } else {
            self.remb = None;
        }
        let sending = self.entries.iter().any(|e| e.sender.is_some());
        let feedback = ccfb || self.twcc_extension.is_some() || remb_mode;
        let extension = self.twcc_extension.unwrap_or(0);
        let abs = if remb_mode {
            self.abs_send_time_extension.unwrap_or(0)
        } else {
            0
        };
        match (feedback, self.cc_config, self.send_side.as_mut()) {
            (true, Some(_), Some(side)) => {
                side.set_extension(extension);
                side.set_abs_send_time(abs);
                side.set_ccfb(ccfb);
            }
            (true, Some(mut config), None) if sending => {
                // Probes are read from transport-wide or RFC 8888 feedback; REMB cannot tell.
                config.probing &= !remb_mode;
                let mut side = SendSide::new(now, extension, config);
                side.set_abs_send_time(abs);
                side.set_ccfb(ccfb);
                self.send_side = Some(side);
                self.allocate();
            }
            (false, _, _) => self.send_side = None,
            _ => {}
        }
    }

    /// Splits the estimator's target, less the pacer's backlog, between the senders: each
    /// audio sender what Opus needs, the video senders the rest in equal parts; a sender
    /// whose share moved by more than 2 % is told (webrtc-stats `targetBitrate`).
    fn allocate(&mut self) {
        let Some(side) = self.send_side.as_ref() else {
            return;
        };
        // Pacer pushback (libwebrtc's encoder pushback from the pacer queue): what waits in
        // the pacer, in time at the target, comes off the encoders' share, down to half,
        // so that encoders which overshoot do not keep the queues of the path full. The
        // congestion window's pushback is in the encoder target already.
        let target = side.encoder_target();
        let queued = side.pacer_stats().queued_bytes;
        let backlog = target
            .time_for(queued)
            .map_or(0.0, |d| d.as_secs_f64() / PUSHBACK_WINDOW.as_secs_f64());
        let target = target.scale((1.0 - backlog).max(0.5)).bps();
        let is = |e: &Entry, kind: MediaKind| e.sender.is_some() && e.kind == kind;
        let audio = self
            .entries
            .iter()
            .filter(|e| is(e, MediaKind::Audio))
            .count() as u64;
        let video = self
            .entries
            .iter()
            .filter(|e| is(e, MediaKind::Video))
            .count() as u64;
        let audio_each = (target / 10).clamp(AUDIO_MIN_BPS, AUDIO_MAX_BPS);
        let video_each = target
            .saturating_sub(audio * audio_each)
            .checked_div(video)
            .map_or(0, |each| each.max(VIDEO_MIN_BPS));
        let mut events = Vec::new();
        for e in self.entries.iter_mut().filter(|e| e.sender.is_some()) {
            let share = match e.kind {
                MediaKind::Audio => audio_each,
                MediaKind::Video => video_each,
                _ => continue,
            };
            let bps = u32::try_from(share).unwrap_or(u32::MAX);
            let moved = e
                .target_bps
                .is_none_or(|old| u64::from(old.abs_diff(bps)) * 50 > u64::from(old));
            if moved {
                e.target_bps = Some(bps);
                events.push(MediaEvent::SendBitrate { id: e.id, bps });
            }
        }
        for event in events {
            self.push(event);
        }
    }

    /// The next packet to protect and send: RTCP at once; RTP through the pacer when
    /// congestion control runs (stamped with its transport-wide number as it leaves),
    /// else at once.
    pub(crate) fn poll_packet(&mut self, now: Instant) -> Option<OutPacket> {
        while let Some(packet) = self.outbox.pop() {
            match self.send_side.as_mut() {
                Some(side) if !packet.rtcp => {
                    if let Err(p) = side.enqueue(now, packet) {
                        self.outbox.recycle(p.bytes);
                    }
                }
                _ => return Some(packet),
            }
        }
        let side = self.send_side.as_mut()?;
        let (entries, outbox) = (&mut self.entries, &mut self.outbox);
        let mut pad = |size: usize| -> Option<OutPacket> {
            let mut buf = outbox.buffer();
            let sender = entries
                .iter_mut()
                .filter(|e| e.kind == MediaKind::Video)
                .filter_map(|e| e.sender.as_mut())
                .find(|s| s.rtx_ssrc.is_some());
            if sender.is_some_and(|s| s.padding(now, size, &mut buf)) {
                Some(OutPacket {
                    bytes: buf,
                    rtcp: false,
                    class: rtcweb_cc::PacketClass::Padding,
                })
            } else {
                outbox.recycle(buf);
                None
            }
        };
        side.poll_packet(now, &mut pad)
    }

    /// Data-channel bytes left: congestion control leaves room for them.
    pub(crate) fn on_data_sent(&mut self, now: Instant, bytes: usize) {
        if let Some(side) = self.send_side.as_mut() {
            side.on_data_sent(now, bytes);
        }
    }

    /// The estimate (webrtc-stats `availableOutgoingBitrate`), while congestion control
    /// runs.
    pub(crate) fn available_bitrate(&self) -> Option<Bitrate> {
        Some(self.send_side.as_ref()?.target().target)
    }

    fn apply_section(&mut self, section: &MediaParameters) {
        let random = self.next_random();
        let mid_extension = self.mid_extension;
        let index = {
            let entry = self.ensure(section.transceiver, section.kind.clone());
            entry.mid = Some(section.mid.clone());
            entry.id
        };
        let index = self
            .entries
            .iter()
            .position(|e| e.id == index)
            .expect("the entry was just ensured");
        let audio_level = ext_id(section, uri::SSRC_AUDIO_LEVEL);
        let send_codecs: Vec<RtpCodec> = section
            .codecs
            .iter()
            .map(|c| RtpCodec::new(c, &c.remote_parameters))
            .collect();
        let receive_codecs: Vec<RtpCodec> = section
            .receive_codecs
            .iter()
            .map(|c| RtpCodec::new(c, &c.local_parameters))
            .collect();
        let nack = section.codecs.iter().any(|c| {
            c.feedback
                .iter()
                .any(|f| f.kind == "nack" && f.parameter.is_none())
        });
        let entry = &mut self.entries[index];
        let listed = |codecs: &[RtpCodec]| -> Vec<(u8, CodecInfo)> {
            codecs
                .iter()
                .map(|c| (c.payload_type, c.info.clone()))
                .collect()
        };
        entry.send_codecs = listed(&send_codecs);
        entry.receive_codecs = listed(&receive_codecs);
        // Sending: what our direction and the streams the description announced allow.
        match (section.direction.sends(), section.local_streams.first()) {
            (true, Some(stream)) => {
                let mid = (section.mid.len() <= 16)
                    .then(|| mid_extension.map(|id| (id, section.mid.as_bytes().to_vec())))
                    .flatten();
                let setup = SenderSetup {
                    // Packets carry the number only when the pacer stamps it.
                    transport_cc: self.twcc_extension.filter(|_| self.cc_config.is_some()),
                    // The absolute send time only for a peer that estimates with REMB.
                    abs_send_time: self
                        .remb_mode
                        .then_some(self.abs_send_time_extension)
                        .flatten()
                        .filter(|_| self.cc_config.is_some()),
                    ssrc: stream.ssrc,
                    rtx_ssrc: stream.rtx_ssrc,
                    kind: section.kind.clone(),
                    codecs: send_codecs,
                    mid,
                    audio_level: (section.kind == MediaKind::Audio)
                        .then_some(audio_level)
                        .flatten(),
                    nack,
                    random,
                };
                match entry.sender.as_mut() {
                    Some(s) if s.ssrc == stream.ssrc => s.update(setup),
                    _ => {
                        let sender = match entry.suspended.take() {
                            Some(mut s) if s.ssrc == stream.ssrc => {
                                s.update(setup);
                                *s
                            }
                            _ => RtpSender::new(setup),
                        };
                        entry.sender = Some(sender);
                    }
                }
            }
            _ => self.stop_sending(index),
        }
        let entry = &mut self.entries[index];
        if section.direction.receives() {
            match entry.receiver.as_mut() {
                Some(r) => r.update(receive_codecs, audio_level),
                None => {
                    entry.receiver = Some(RtpReceiver::new(
                        section.kind.clone(),
                        receive_codecs,
                        audio_level,
                    ));
                }
            }
            for stream in &section.remote_streams {
                for ssrc in std::iter::once(stream.ssrc).chain(stream.rtx_ssrc) {
                    if self.ssrcs.len() < MAX_REMOTE_SSRCS {
                        self.ssrcs.insert(ssrc, index);
                    }
                }
            }
            let entry = &mut self.entries[index];
            if entry.remote_track.is_none() {
                let (id, streams) = match &section.remote_msid {
                    Some(m) => (
                        m.track
                            .clone()
                            .unwrap_or_else(|| format!("{}-{}", section.kind, section.mid)),
                        if m.stream == "-" {
                            Vec::new()
                        } else {
                            vec![m.stream.clone()]
                        },
                    ),
                    None => (format!("{}-{}", section.kind, section.mid), Vec::new()),
                };
                let track = RemoteTrack {
                    kind: section.kind.clone(),
                    id,
                    streams,
                };
                entry.remote_track = Some(track.clone());
                let event = MediaEvent::Track {
                    id: entry.id,
                    track,
                    mid: section.mid.clone(),
                };
                self.push(event);
            }
        } else {
            self.stop_receiving(index);
        }
    }

    /// The sender of entry `i` stops: a BYE is owed for its SSRCs (RFC 3550 §6.6).
    /// The sender is kept (suspended) in case a later exchange lets it send again.
    fn stop_sending(&mut self, i: usize) {
        if let Some(mut sender) = self.entries[i].sender.take() {
            self.entries[i].past_sent = Some(sender.counters);
            if sender.stats.has_sent() {
                let ssrcs: Vec<u32> = std::iter::once(sender.ssrc)
                    .chain(sender.rtx_ssrc)
                    .collect();
                self.bye(&ssrcs);
            }
            sender.suspend();
            self.entries[i].suspended = Some(Box::new(sender));
        }
    }

    fn stop_receiving(&mut self, i: usize) {
        if self.entries[i].receiver.take().is_some() && self.entries[i].remote_track.is_some() {
            self.entries[i].remote_track = None;
            let id = self.entries[i].id;
            self.push(MediaEvent::TrackEnded { id });
        }
    }

    /// Writes a BYE for `ssrcs` into the outbox.
    fn bye(&mut self, ssrcs: &[u32]) {
        let Some(reports) = self.reports.as_mut() else {
            return;
        };
        let mut buf = self.outbox.buffer();
        match reports.build_bye(&self.cname, ssrcs, &mut buf) {
            Ok(()) => self.outbox.push_rtcp(buf),
            Err(e) => {
                tracing::debug!(error = %e, "BYE not built");
                self.outbox.recycle(buf);
            }
        }
    }

    /// Transceiver `id` stopped (W3C `stop()`): its sender says BYE and stops at once, its
    /// receiver's track ends.
    pub(crate) fn stop(&mut self, id: TransceiverId) {
        if let Some(i) = self.entries.iter().position(|e| e.id == id) {
            self.stop_sending(i);
            self.stop_receiving(i);
        }
    }

    /// Every sender leaves (the connection closes).
    pub(crate) fn bye_all(&mut self) {
        for i in 0..self.entries.len() {
            self.stop_sending(i);
        }
    }

    /// Packetizes a frame of transceiver `id`: `Ok(false)` when it was not sent (an
    /// inactive encoding, or a DTMF tone playing).
    pub(crate) fn write_frame(
        &mut self,
        now: Instant,
        id: TransceiverId,
        frame: &OutgoingFrame<'_>,
    ) -> Result<bool, crate::Error> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or(crate::Error::UnknownTransceiver(id))?;
        if entry.track.is_none() {
            return Err(crate::Error::NoTrack(id));
        }
        let sender = entry.sender.as_mut().ok_or(crate::Error::NotSending(id))?;
        if !entry.encodings.first().is_none_or(|e| e.active) {
            sender.counters.frames_dropped += 1;
            return Ok(false);
        }
        Ok(sender.write(now, frame, &mut self.outbox)?)
    }

    /// W3C `insertDTMF` on transceiver `id`.
    pub(crate) fn insert_dtmf(
        &mut self,
        now: Instant,
        id: TransceiverId,
        tones: &str,
        duration: Duration,
        gap: Duration,
    ) -> Result<(), crate::Error> {
        if !dtmf::valid_tones(tones) {
            return Err(MediaError::InvalidTones.into());
        }
        let entry = self
            .entry_mut(id)
            .ok_or(crate::Error::UnknownTransceiver(id))?;
        let dtmf = entry
            .sender
            .as_mut()
            .and_then(|s| s.dtmf.as_mut())
            .ok_or(MediaError::NoDtmf)?;
        dtmf.insert(now, tones, duration, gap);
        Ok(())
    }

    /// W3C `toneBuffer` of transceiver `id`.
    pub(crate) fn tone_buffer(&self, id: TransceiverId) -> Option<String> {
        Some(
            self.entry(id)?
                .sender
                .as_ref()?
                .dtmf
                .as_ref()?
                .tone_buffer(),
        )
    }

    /// Asks the peer for a key frame of the stream transceiver `id` receives (a PLI,
    /// RFC 4585 §6.3.1): what a decoder that lost its reference does.
    pub(crate) fn request_key_frame(&mut self, id: TransceiverId) -> Result<bool, crate::Error> {
        let entry = self.entry(id).ok_or(crate::Error::UnknownTransceiver(id))?;
        let Some(ssrc) = entry.receiver.as_ref().and_then(RtpReceiver::ssrc) else {
            return Ok(false);
        };
        self.feedback(&ReceiveOutput::Pli { ssrc });
        Ok(true)
    }

    /// An unprotected RTP packet: to the transceiver its SSRC belongs to, or the one its
    /// mid extension names (and the SSRC is remembered, RFC 8843 §9.2), or the only
    /// receiving one that takes its payload type.
    pub(crate) fn handle_rtp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(packet) = RtpPacket::parse(bytes) else {
            self.unrouted += 1;
            return;
        };
        let ssrc = packet.ssrc();
        // Every packet with a transport-wide number counts, whichever stream it is on.
        if let Some(twcc) = self.twcc.as_mut()
            && let Some(seq) = self
                .twcc_extension
                .and_then(|id| packet.extensions().get(id))
                .and_then(parse_transport_wide_seq)
        {
            if twcc.stats().packets == 0 {
                let reporter = self.reports.as_ref().map_or(0, RtcpReports::reporter);
                twcc.set_ssrcs(reporter, ssrc);
            }
            twcc.handle_packet(now, seq);
        }
        if let Some(remb) = self.remb.as_mut()
            && let Some(abs) = self
                .abs_send_time_extension
                .and_then(|id| packet.extensions().get(id))
                .and_then(rtcweb_rtp::parse_abs_send_time)
        {
            if remb.sent() == 0 {
                remb.set_sender_ssrc(self.reports.as_ref().map_or(0, RtcpReports::reporter));
            }
            remb.handle_packet(now, ssrc, abs, bytes.len());
        }
        if let Some(ccfb) = self.ccfb.as_mut() {
            if ccfb.stats().packets == 0 {
                ccfb.set_sender_ssrc(self.reports.as_ref().map_or(0, RtcpReports::reporter));
            }
            ccfb.handle_packet(now, ssrc, packet.sequence_number());
        }
        let index = self.ssrcs.get(&ssrc).copied().or_else(|| {
            let by_mid = self.mid_extension.and_then(|id| {
                let mid = packet.extensions().get(id)?;
                self.entries.iter().position(|e| {
                    e.receiver.is_some() && e.mid.as_deref().map(str::as_bytes) == Some(mid)
                })
            });
            let index = by_mid.or_else(|| {
                let pt = packet.payload_type();
                let mut matching = self
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.receiver.as_ref().is_some_and(|r| r.takes(pt)));
                match (matching.next(), matching.next()) {
                    (Some((i, _)), None) => Some(i),
                    _ => None,
                }
            })?;
            if self.ssrcs.len() < MAX_REMOTE_SSRCS {
                self.ssrcs.insert(ssrc, index);
            }
            Some(index)
        });
        let Some(entry) = index.and_then(|i| self.entries.get_mut(i)) else {
            self.unrouted += 1;
            return;
        };
        let id = entry.id;
        let Some(receiver) = entry.receiver.as_mut() else {
            self.unrouted += 1;
            return;
        };
        let was_muted = receiver.muted;
        let mut outputs = Vec::new();
        receiver.handle_packet(now, &packet, &mut |o| outputs.push(o));
        if was_muted && !receiver.muted {
            self.push(MediaEvent::Muted { id, muted: false });
        }
        self.route_outputs(id, outputs);
    }

    fn route_outputs(&mut self, id: TransceiverId, outputs: Vec<ReceiveOutput>) {
        for output in outputs {
            match output {
                ReceiveOutput::Frame(frame) => self.push(MediaEvent::Frame { id, frame }),
                ReceiveOutput::Dtmf { tone, duration } => {
                    self.push(MediaEvent::Dtmf { id, tone, duration });
                }
                feedback => self.feedback(&feedback),
            }
        }
    }

    /// Writes the NACK or PLI a receiver asked for into the outbox.
    fn feedback(&mut self, output: &ReceiveOutput) {
        let Some(reports) = self.reports.as_mut() else {
            return;
        };
        let sender = reports.reporter();
        let packet = match output {
            ReceiveOutput::Nack { ssrc, lost } => rtcweb_rtp::rtcp::Packet::Nack(
                rtcweb_rtp::rtcp::Nack::from_lost(sender, *ssrc, lost),
            ),
            ReceiveOutput::Pli { ssrc } => rtcweb_rtp::rtcp::Packet::Pli(rtcweb_rtp::rtcp::Pli {
                sender_ssrc: sender,
                media_ssrc: *ssrc,
            }),
            _ => return,
        };
        self.send_feedback(&packet);
    }

    /// Writes a feedback packet into the outbox, in a minimal compound packet.
    fn send_feedback(&mut self, packet: &rtcweb_rtp::rtcp::Packet<'_>) {
        let Some(reports) = self.reports.as_mut() else {
            return;
        };
        let mut buf = self.outbox.buffer();
        match reports.build_feedback(&self.cname, packet, &mut buf) {
            Ok(()) => self.outbox.push_rtcp(buf),
            Err(e) => {
                tracing::debug!(error = %e, "RTCP feedback not built");
                self.outbox.recycle(buf);
            }
        }
    }

    /// An unprotected RTCP compound packet: reports to the streams, NACKs answered from
    /// the history, key-frame requests and BYEs told to the owner.
    pub(crate) fn handle_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        let Some(reports) = self.reports.as_mut() else {
            return;
        };
        let incoming = reports.handle(now, &self.clock, bytes, &mut self.entries);
        for what in incoming {
            match what {
                Incoming::Nack { ssrc, lost } => {
                    if let Some(sender) = self
                        .entries
                        .iter_mut()
                        .filter_map(|e| e.sender.as_mut())
                        .find(|s| s.ssrc == ssrc)
                    {
                        sender.counters.nack_count += 1;
                        // A round trip not measured yet counts as 100 ms. Receiver reports
                        // come a second apart: when the path's queue grows in between, the
                        // round trip the congestion feedback shows is the fresher one, and a
                        // packet resent again before its first copy could arrive only adds
                        // to the queue that lost it.
                        let rtt = sender
                            .stats
                            .remote()
                            .round_trip_time
                            .unwrap_or(Duration::from_millis(100))
                            .max(
                                self.send_side
                                    .as_ref()
                                    .and_then(|s| s.stats().feedback_rtt)
                                    .unwrap_or(Duration::ZERO),
                            );
                        let rate = self.send_side.as_ref().map(|s| s.target().target.bps());
                        let budget = &mut self.retransmits;
                        for seq in lost {
                            let mut allow =
                                |size: usize| budget.allow(now, ssrc, seq, size, rtt, rate);
                            sender.retransmit(now, seq, &mut self.outbox, &mut allow);
                        }
                    }
                }
                Incoming::KeyFrame { ssrc, kind } => {
                    let Some(entry) = self
                        .entries
                        .iter_mut()
                        .find(|e| e.sender.as_ref().is_some_and(|s| s.ssrc == ssrc))
                    else {
                        continue;
                    };
                    if let Some(s) = entry.sender.as_mut() {
                        match kind {
                            KeyFrameRequest::Pli => s.counters.pli_count += 1,
                            KeyFrameRequest::Fir => s.counters.fir_count += 1,
                        }
                    }
                    let id = entry.id;
                    self.push(MediaEvent::KeyFrameRequest { id, kind });
                }
                Incoming::TransportCc(feedback) => {
                    if let Some(side) = self.send_side.as_mut() {
                        side.handle_transport_cc(now, &feedback);
                    }
                }
                Incoming::Ccfb(feedback) => {
                    if let Some(side) = self.send_side.as_mut() {
                        side.handle_ccfb(now, &feedback);
                    }
                }
                Incoming::Remb { bitrate } => {
                    if let Some(side) = self.send_side.as_mut() {
                        side.handle_remb(now, bitrate);
                    }
                }
                Incoming::Bye { sources } => {
                    for i in 0..self.entries.len() {
                        let Some(r) = self.entries[i].receiver.as_mut() else {
                            continue;
                        };
                        if r.ssrc().is_some_and(|s| sources.contains(&s)) && !r.muted {
                            r.muted = true;
                            let id = self.entries[i].id;
                            self.push(MediaEvent::Muted { id, muted: true });
                        }
                    }
                }
            }
        }
        // The round trip from receiver reports (RFC 3550 §6.4.1) for the loss-based part.
        let rtt = self
            .entries
            .iter()
            .filter_map(|e| e.sender.as_ref()?.stats.remote().round_trip_time)
            .min();
        if let Some(side) = self.send_side.as_mut() {
            if let Some(rtt) = rtt
                && self.rtt != Some(rtt)
            {
                self.rtt = Some(rtt);
                side.handle_rtt(now, rtt);
            }
            self.allocate();
        }
    }

    /// The earliest of the video receivers' timers, DTMF and the next report.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let receivers = self
            .entries
            .iter()
            .filter_map(|e| e.receiver.as_ref()?.poll_timeout());
        let senders = self
            .entries
            .iter()
            .filter_map(|e| e.sender.as_ref()?.poll_timeout());
        let reports = self.reports.as_ref().and_then(RtcpReports::poll_timeout);
        let twcc = self
            .twcc
            .as_ref()
            .and_then(TwccRecorder::poll_timeout)
            .into_iter()
            .chain(self.ccfb.as_ref().and_then(CcfbRecorder::poll_timeout))
            .chain(self.remb.as_ref().and_then(RembEstimator::poll_timeout));
        let side = self.send_side.as_ref().and_then(SendSide::poll_timeout);
        receivers
            .chain(senders)
            .chain(reports)
            .chain(twcc)
            .chain(side)
            .min()
    }

    /// Runs what is due: video receivers' timers (NACK retries, PLIs), DTMF packets, and
    /// the RTCP report.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.entries.len() {
            let id = self.entries[i].id;
            if let Some(receiver) = self.entries[i].receiver.as_mut() {
                let mut outputs = Vec::new();
                receiver.handle_timeout(now, &mut |o| outputs.push(o));
                self.route_outputs(id, outputs);
            }
            if let Some(sender) = self.entries[i].sender.as_mut() {
                for tone in sender.handle_timeout(now, &mut self.outbox) {
                    self.push(MediaEvent::ToneChange { id, tone });
                }
            }
        }
        if let Some(side) = self.send_side.as_mut() {
            side.handle_timeout(now);
            self.allocate();
        }
        if let Some(twcc) = self.twcc.as_mut() {
            twcc.handle_timeout(now);
            while let Some(feedback) = self.twcc.as_mut().and_then(TwccRecorder::poll_feedback) {
                self.send_feedback(&rtcweb_rtp::rtcp::Packet::TransportCc(feedback));
            }
        }
        if let Some(remb) = self.remb.as_mut() {
            remb.handle_timeout(now);
            if let Some(packet) = remb.poll_remb() {
                self.send_feedback(&rtcweb_rtp::rtcp::Packet::Remb(packet));
            }
        }
        if let Some(ccfb) = self.ccfb.as_mut() {
            ccfb.handle_timeout(now);
            while let Some(feedback) = self.ccfb.as_mut().and_then(CcfbRecorder::poll_feedback) {
                self.send_feedback(&rtcweb_rtp::rtcp::Packet::CongestionControlFeedback(
                    feedback,
                ));
            }
        }
        let due = self.reports.as_mut().is_some_and(|r| r.handle_timeout(now));
        if due && let Some(reports) = self.reports.as_mut() {
            let mut buf = self.outbox.buffer();
            match reports.build(now, &self.clock, &self.cname, &mut self.entries, &mut buf) {
                Ok(()) => self.outbox.push_rtcp(buf),
                Err(e) => {
                    tracing::debug!(error = %e, "RTCP report not built");
                    self.outbox.recycle(buf);
                }
            }
        }
    }
}

/// The id of the header extension with `uri` in a section.
fn ext_id(section: &MediaParameters, uri: &str) -> Option<u8> {
    section
        .extensions
        .iter()
        .find(|e| e.uri == uri)
        .and_then(|e| u8::try_from(e.id).ok())
}
