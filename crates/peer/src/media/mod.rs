//! The RTP side of the peer: one entry per audio transceiver, incoming RTP routed to it by
//! SSRC or by the `sdes:mid` header extension (RFC 8843 §9.2), RTCP reports both ways.
//! Packets here are plain RTP and RTCP; SRTP and the transport are the peer's.

mod audio_receiver;
mod audio_sender;
mod inbound_stream;
mod rtcp_reports;
mod video_receiver;

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use rtcweb_media::{CodecError, OpusConfig, VideoCodec};
use rtcweb_rtp::{AnchoredNtpClock, RtpPacket, WireError, uri};
use rtcweb_sdp::{MediaKind, MediaParameters};
use thiserror::Error;

pub use audio_receiver::AudioReceiveStats;
pub(crate) use audio_receiver::AudioReceiver;
pub(crate) use audio_sender::AudioSender;
pub(crate) use rtcp_reports::RtcpReports;
pub use video_receiver::VideoReceiveStats;
pub(crate) use video_receiver::{VideoOutput, VideoReceiver};

use crate::track::{AudioFrame, TrackId};

/// Most video outputs (frames, feedback requests) held for the peer between two drains.
const MAX_VIDEO_OUTPUT: usize = 256;

/// Most remote SSRCs remembered (RFC 8843 §9.2 learns them from the mid extension).
const MAX_REMOTE_SSRCS: usize = 64;

/// Why media could not be sent or set up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MediaError {
    /// libopus refused (bad frame length, bad setting).
    #[error("Opus: {0}")]
    Codec(#[from] CodecError),
    /// An RTP or RTCP packet could not be written.
    #[error("RTP: {0}")]
    Wire(#[from] WireError),
    /// The RTP packet did not fit its buffer.
    #[error("RTP packet could not be built")]
    Packetize,
}

/// Counters of what we sent on a track (webrtc-stats `outbound-rtp`) and what the peer
/// reported about it (`remote-inbound-rtp`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct AudioSendStats {
    /// Our SSRC.
    pub ssrc: u32,
    /// The payload type we send.
    pub payload_type: u8,
    /// RTP packets sent (`packetsSent`).
    pub packets_sent: u64,
    /// Payload bytes sent (`bytesSent`).
    pub bytes_sent: u64,
    /// What the peer's receiver reports said.
    pub remote: rtcweb_rtp::RemoteReceiveStats,
}

/// One audio or video transceiver.
#[derive(Debug)]
pub(crate) struct Track {
    pub(crate) id: TrackId,
    pub(crate) kind: MediaKind,
    pub(crate) mid: Option<String>,
    /// Made by `add_audio_track`: it has something to send.
    pub(crate) local: bool,
    pub(crate) sender: Option<AudioSender>,
    pub(crate) receiver: Option<AudioReceiver>,
    pub(crate) video: Option<VideoReceiver>,
    /// The codec in use, as negotiated (for statistics).
    pub(crate) codec: Option<rtcweb_sdp::NegotiatedCodec>,
    /// `Event::Track` was given for it.
    pub(crate) announced: bool,
}

impl Track {
    /// The received stream's RTCP state, audio or video.
    pub(crate) fn inbound_mut(&mut self) -> Option<&mut inbound_stream::InboundStream> {
        match (self.receiver.as_mut(), self.video.as_mut()) {
            (Some(audio), _) => Some(audio.inbound()),
            (None, Some(video)) => Some(video.inbound()),
            (None, None) => None,
        }
    }
}

/// Every track of the connection and the RTCP state they share.
#[derive(Debug)]
pub(crate) struct Media {
    pub(crate) tracks: Vec<Track>,
    /// The wall clock of sender reports (RFC 3550 §6.4.1).
    clock: AnchoredNtpClock,
    /// Remote SSRC → index in `tracks`.
    ssrcs: HashMap<u32, usize>,
    /// The `sdes:mid` extension id of the BUNDLE group (RFC 8843 §9.2: one id per URI).
    mid_extension: Option<u8>,
    pub(crate) reports: Option<RtcpReports>,
    /// RTP packets no track took.
    pub(crate) unrouted: u64,
    /// Frames and feedback requests of the video receivers, drained by the peer.
    pub(crate) video_out: VecDeque<(TrackId, VideoOutput)>,
    /// Video outputs dropped because `video_out` was full.
    pub(crate) video_out_dropped: u64,
}

impl Media {
    pub(crate) fn new(clock: AnchoredNtpClock) -> Self {
        Self {
            tracks: Vec::new(),
            clock,
            ssrcs: HashMap::new(),
            mid_extension: None,
            reports: None,
            unrouted: 0,
            video_out: VecDeque::new(),
            video_out_dropped: 0,
        }
    }

    pub(crate) fn track(&self, id: TrackId) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    pub(crate) fn track_mut(&mut self, id: TrackId) -> Option<&mut Track> {
        self.tracks.iter_mut().find(|t| t.id == id)
    }

    /// A track for a transceiver of ours.
    pub(crate) fn add_local(&mut self, id: TrackId, kind: MediaKind) {
        self.tracks.push(Track {
            id,
            kind,
            mid: None,
            local: true,
            sender: None,
            receiver: None,
            video: None,
            codec: None,
            announced: false,
        });
    }

    /// Applies what an exchange settled for the audio and video sections: senders and
    /// receivers made or dropped, remote SSRCs learned. Returns the tracks the peer now
    /// sends us for the first time (W3C `track` events).
    pub(crate) fn apply(
        &mut self,
        now: Instant,
        sections: &[MediaParameters],
        mut random: impl FnMut() -> u64,
    ) -> Result<Vec<(TrackId, MediaKind, String)>, MediaError> {
        let mut new_remote = Vec::new();
        self.ssrcs.clear();
        for section in sections {
            if let Some(id) = section
                .extensions
                .iter()
                .find(|e| e.uri == uri::SDES_MID)
                .and_then(|e| u8::try_from(e.id).ok())
            {
                self.mid_extension = Some(id);
            }
            let index = match self.tracks.iter().position(|t| t.id == section.transceiver) {
                Some(i) => i,
                None => {
                    self.tracks.push(Track {
                        id: section.transceiver,
                        kind: section.kind.clone(),
                        mid: None,
                        local: false,
                        sender: None,
                        receiver: None,
                        video: None,
                        codec: None,
                        announced: false,
                    });
                    self.tracks.len() - 1
                }
            };
            let mid_extension = self.mid_extension;
            let track = &mut self.tracks[index];
            track.mid = Some(section.mid.clone());
            track.codec = section
                .codecs
                .iter()
                .find(|c| {
                    ["opus", "VP8", "H264"]
                        .iter()
                        .any(|n| c.name.eq_ignore_ascii_case(n))
                })
                .cloned();
            if section.kind == MediaKind::Video {
                if section.direction.receives() {
                    if track.video.is_none() {
                        track.video = Some(new_video_receiver(section));
                    }
                    for stream in &section.remote_streams {
                        for ssrc in std::iter::once(stream.ssrc).chain(stream.rtx_ssrc) {
                            if self.ssrcs.len() < MAX_REMOTE_SSRCS {
                                self.ssrcs.insert(ssrc, index);
                            }
                        }
                    }
                    if !track.announced {
                        track.announced = true;
                        new_remote.push((track.id, track.kind.clone(), section.mid.clone()));
                    }
                } else {
                    track.video = None;
                }
                continue;
            }
            // Only Opus audio is carried yet; other kinds are negotiated and ignored.
            let opus = section
                .codecs
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case("opus") && c.clock_rate == 48_000);
            let (MediaKind::Audio, Some(opus)) = (&section.kind, opus) else {
                continue;
            };
            let sends = section.direction.sends() && track.local;
            match (&track.sender, sends, section.local_streams.first()) {
                (None, true, Some(stream)) => {
                    // RFC 7587 §7: send what the receiver asked for in its fmtp.
                    let params = &opus.remote_parameters;
                    let config = OpusConfig {
                        stereo: params.get("stereo") == Some("1"),
                        fec: params.get("useinbandfec") != Some("0"),
                        ..OpusConfig::default()
                    };
                    let mid = (section.mid.len() <= 16)
                        .then(|| mid_extension.map(|id| (id, section.mid.as_bytes().to_vec())))
                        .flatten();
                    track.sender = Some(AudioSender::new(
                        stream.ssrc,
                        opus.payload_type,
                        mid,
                        config,
                        random(),
                    )?);
                }
                (Some(_), false, _) => track.sender = None,
                _ => {}
            }
            if section.direction.receives() {
                if track.receiver.is_none() {
                    track.receiver = Some(AudioReceiver::new(opus.payload_type)?);
                }
                for stream in &section.remote_streams {
                    if self.ssrcs.len() < MAX_REMOTE_SSRCS {
                        self.ssrcs.insert(stream.ssrc, index);
                    }
                }
                if !track.announced {
                    track.announced = true;
                    new_remote.push((track.id, track.kind.clone(), section.mid.clone()));
                }
            } else {
                track.receiver = None;
            }
        }
        let senders = self.tracks.iter().filter(|t| t.sender.is_some()).count();
        let receivers = self
            .tracks
            .iter()
            .filter(|t| t.receiver.is_some() || t.video.is_some())
            .count();
        if senders + receivers > 0 {
            self.reports
                .get_or_insert_with(|| RtcpReports::new(now, random()));
        }
        Ok(new_remote)
    }

    /// An unprotected RTP packet: to the track its SSRC belongs to, or the one its mid
    /// extension names (and the SSRC is remembered, RFC 8843 §9.2), or the only receiving
    /// track with its payload type.
    pub(crate) fn handle_rtp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(packet) = RtpPacket::parse(bytes) else {
            self.unrouted += 1;
            return;
        };
        let ssrc = packet.ssrc();
        let index = self.ssrcs.get(&ssrc).copied().or_else(|| {
            let by_mid = self.mid_extension.and_then(|id| {
                let mid = packet.extensions().get(id)?;
                self.tracks.iter().position(|t| {
                    (t.receiver.is_some() || t.video.is_some())
                        && t.mid.as_deref().map(str::as_bytes) == Some(mid)
                })
            });
            let index = by_mid.or_else(|| {
                let pt = packet.payload_type();
                let mut matching = self.tracks.iter().enumerate().filter(|(_, t)| {
                    t.receiver.as_ref().is_some_and(|r| r.payload_type == pt)
                        || t.video.as_ref().is_some_and(|v| v.takes(pt))
                });
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
        let Some(track) = index.and_then(|i| self.tracks.get_mut(i)) else {
            self.unrouted += 1;
            return;
        };
        if let Some(receiver) = track.receiver.as_mut() {
            receiver.handle_packet(now, &packet);
        } else if let Some(video) = track.video.as_mut() {
            let id = track.id;
            let (out, dropped) = (&mut self.video_out, &mut self.video_out_dropped);
            video.handle_packet(now, &packet, &mut |o| push_bounded(out, dropped, id, o));
        } else {
            self.unrouted += 1;
        }
    }

    /// An unprotected RTCP compound packet: sender reports to the receivers, report blocks
    /// to the senders.
    pub(crate) fn handle_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        if let Some(reports) = self.reports.as_mut() {
            reports.handle(now, &self.clock, bytes, &mut self.tracks);
        }
    }

    /// The earliest of the playout ticks and the next report.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let ticks = self
            .tracks
            .iter()
            .filter_map(|t| {
                let audio = t.receiver.as_ref().and_then(AudioReceiver::poll_timeout);
                let video = t.video.as_ref().and_then(VideoReceiver::poll_timeout);
                audio.into_iter().chain(video).min()
            })
            .min();
        let reports = self.reports.as_ref().and_then(RtcpReports::poll_timeout);
        ticks.into_iter().chain(reports).min()
    }

    /// Plays the due ticks (each frame to `out`); whether a report is due.
    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        mut out: impl FnMut(TrackId, AudioFrame),
    ) -> bool {
        for track in &mut self.tracks {
            let id = track.id;
            if let Some(receiver) = track.receiver.as_mut() {
                receiver.handle_timeout(now, |frame| out(id, frame));
            }
            if let Some(video) = track.video.as_mut() {
                let (out, dropped) = (&mut self.video_out, &mut self.video_out_dropped);
                video.handle_timeout(now, &mut |o| push_bounded(out, dropped, id, o));
            }
        }
        self.reports.as_mut().is_some_and(|r| r.handle_timeout(now))
    }

    /// Writes the RTCP packet asking for what a video receiver wants (a NACK or a PLI) into
    /// `out`; false when there is nothing to send (no RTCP state, or a frame).
    pub(crate) fn build_video_feedback(
        &mut self,
        cname: &str,
        output: &VideoOutput,
        out: &mut Vec<u8>,
    ) -> Result<bool, MediaError> {
        let Some(reports) = self.reports.as_mut() else {
            return Ok(false);
        };
        let sender = reports.reporter();
        let packet = match output {
            VideoOutput::Nack { ssrc, lost } => rtcweb_rtp::rtcp::Packet::Nack(
                rtcweb_rtp::rtcp::Nack::from_lost(sender, *ssrc, lost),
            ),
            VideoOutput::Pli { ssrc } => rtcweb_rtp::rtcp::Packet::Pli(rtcweb_rtp::rtcp::Pli {
                sender_ssrc: sender,
                media_ssrc: *ssrc,
            }),
            VideoOutput::Frame(..) => return Ok(false),
        };
        reports.build_feedback(cname, &packet, out)?;
        Ok(true)
    }

    /// Writes the due RTCP report into `out`.
    pub(crate) fn build_report(
        &mut self,
        now: Instant,
        cname: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        match self.reports.as_mut() {
            Some(r) => r.build(now, &self.clock, cname, &mut self.tracks, out),
            None => Ok(()),
        }
    }
}

/// What a video section's negotiated codecs let us assemble: VP8, and H.264 in
/// packetization mode 1 (RFC 6184 §6.3); with their RTX payload types (RFC 4588 §8.6).
fn new_video_receiver(section: &MediaParameters) -> VideoReceiver {
    let mut codecs = Vec::new();
    let mut rtx = Vec::new();
    for c in &section.codecs {
        let codec = if c.name.eq_ignore_ascii_case("VP8") {
            VideoCodec::Vp8
        } else if c.name.eq_ignore_ascii_case("H264")
            && c.local_parameters.get("packetization-mode") == Some("1")
        {
            VideoCodec::H264
        } else {
            continue;
        };
        codecs.push((c.payload_type, codec));
        if let Some(r) = c.rtx_payload_type {
            rtx.push((r, c.payload_type));
        }
    }
    VideoReceiver::new(codecs, rtx)
}

fn push_bounded(
    out: &mut VecDeque<(TrackId, VideoOutput)>,
    dropped: &mut u64,
    id: TrackId,
    output: VideoOutput,
) {
    if out.len() >= MAX_VIDEO_OUTPUT {
        *dropped += 1;
    } else {
        out.push_back((id, output));
    }
}
