//! The peer's transceiver and frame methods: W3C `addTransceiver`, `addTrack`,
//! `removeTrack`, `replaceTrack`, directions and `stop()`, encoded frames in and out,
//! DTMF, and the RTP side's timers and statistics.

use std::time::{Duration, Instant};

use rand::Rng;
use rtcweb_sdp::{Direction, LocalTrack, MediaKind};

use crate::frame::{CodecInfo, OutgoingFrame};
use crate::media::MediaEvent;
use crate::transceiver::{
    MediaTrack, ReceiverInfo, SendParameters, SenderInfo, TrackOrKind, TransceiverId,
    TransceiverInfo, TransceiverInit,
};
use crate::{Error, Event, Peer, TransceiverStats};

/// Room for the SRTP or SRTCP tag and index after a packet.
const SRTP_TAIL: usize = 32;

impl Peer {
    /// W3C `addTransceiver(trackOrKind, init)`: a transceiver with a media section in the
    /// next offer (or matched with one of its kind in the next remote offer),
    /// [`Event::NegotiationNeeded`]. Its sender sends frames once it has a track, the
    /// exchange let it send, and the connection is up.
    pub fn add_transceiver(
        &mut self,
        now: Instant,
        track_or_kind: impl Into<TrackOrKind>,
        init: TransceiverInit,
    ) -> Result<TransceiverId, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let (kind, track) = match track_or_kind.into() {
            TrackOrKind::Kind(kind) => (kind, None),
            TrackOrKind::Track(track) => (track.kind.clone(), Some(track)),
        };
        // The msid the section writes: the first stream ("-" for none) and a track id
        // that stays for the sender's life (W3C: replaceTrack does not renegotiate).
        let sdp_track = LocalTrack {
            stream_id: init.streams.first().cloned().unwrap_or_else(|| "-".into()),
            track_id: track.as_ref().map_or_else(
                || format!("{kind}-{:08x}", self.rng.random::<u32>()),
                |t| t.id.clone(),
            ),
        };
        let id = self
            .negotiator
            .add_transceiver(kind.clone(), init.direction, Some(sdp_track))?;
        let entry = self.media.ensure(id, kind);
        entry.track = track;
        entry.streams = init.streams;
        if !init.send_encodings.is_empty() {
            entry.encodings = init.send_encodings;
        }
        self.drive(now);
        Ok(id)
    }

    /// W3C `addTrack(track, ...streams)`: reuses a transceiver of the track's kind that
    /// never sent and has no track (one a remote offer made, W3C "add track" step 7), else
    /// adds a `sendrecv` one. Returns the transceiver whose sender has the track.
    pub fn add_track(
        &mut self,
        now: Instant,
        track: MediaTrack,
        streams: &[&str],
    ) -> Result<TransceiverId, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self
            .media
            .entries
            .iter()
            .any(|e| e.track.as_ref().is_some_and(|t| t.id == track.id))
        {
            return Err(Error::TrackAlreadyAdded(track.id));
        }
        let reusable = self.negotiator.transceivers().iter().find(|t| {
            *t.kind() == track.kind
                && !t.is_stopped()
                && self.media.entry(t.id()).is_none_or(|e| {
                    e.track.is_none() && e.sender.as_ref().is_none_or(|s| !s.stats.has_sent())
                })
                && !t.current_direction().is_some_and(Direction::sends)
                && self
                    .media
                    .entry(t.id())
                    .is_none_or(|e| e.past_sent.is_none())
        });
        if let Some(t) = reusable {
            let id = t.id();
            // The sender gets the track and the transceiver starts sending (W3C step 8).
            let direction = match t.direction() {
                Direction::RecvOnly => Direction::SendRecv,
                Direction::Inactive => Direction::SendOnly,
                d => d,
            };
            self.negotiator.set_direction(id, direction)?;
            let entry = self.media.ensure(id, track.kind.clone());
            entry.streams = streams.iter().map(|s| (*s).to_owned()).collect();
            entry.track = Some(track);
            self.drive(now);
            return Ok(id);
        }
        let init = TransceiverInit {
            streams: streams.iter().map(|s| (*s).to_owned()).collect(),
            ..TransceiverInit::default()
        };
        self.add_transceiver(now, track, init)
    }

    /// W3C `removeTrack(sender)`: the sender loses its track and the transceiver stops
    /// sending (`sendrecv` becomes `recvonly`, `sendonly` becomes `inactive`) with the next
    /// exchange ([`Event::NegotiationNeeded`]).
    pub fn remove_track(&mut self, now: Instant, id: TransceiverId) -> Result<(), Error> {
        let entry = self
            .media
            .entry_mut(id)
            .ok_or(Error::UnknownTransceiver(id))?;
        if entry.track.take().is_none() {
            return Ok(());
        }
        let t = self
            .negotiator
            .transceiver(id)
            .ok_or(Error::UnknownTransceiver(id))?;
        let direction = match t.direction() {
            Direction::SendRecv => Direction::RecvOnly,
            Direction::SendOnly => Direction::Inactive,
            d => d,
        };
        self.negotiator.set_direction(id, direction)?;
        self.drive(now);
        Ok(())
    }

    /// W3C `replaceTrack`: another track (of the same kind) or none on the sender, with no
    /// renegotiation. Without a track the sender sends nothing.
    pub fn replace_track(
        &mut self,
        id: TransceiverId,
        track: Option<MediaTrack>,
    ) -> Result<(), Error> {
        // A transceiver that a remote offer made has no media entry until now.
        let kind = self
            .negotiator
            .transceiver(id)
            .ok_or(Error::UnknownTransceiver(id))?
            .kind()
            .clone();
        let entry = self.media.ensure(id, kind);
        if let Some(t) = &track
            && t.kind != entry.kind
        {
            return Err(Error::KindMismatch(id));
        }
        entry.track = track;
        Ok(())
    }

    /// W3C `transceiver.direction = ...`: takes effect with the next exchange.
    pub fn set_direction(
        &mut self,
        now: Instant,
        id: TransceiverId,
        direction: Direction,
    ) -> Result<(), Error> {
        if self
            .negotiator
            .transceiver(id)
            .is_some_and(|t| t.is_stopped())
        {
            return Err(Error::TransceiverStopped(id));
        }
        self.negotiator.set_direction(id, direction)?;
        self.drive(now);
        Ok(())
    }

    /// W3C `transceiver.stop()`: its section is rejected in the next offer; its sender
    /// sends a BYE and stops at once, its receiver's track ends.
    pub fn stop_transceiver(&mut self, now: Instant, id: TransceiverId) -> Result<(), Error> {
        self.negotiator.stop_transceiver(id)?;
        self.media.stop(id);
        self.flush_media(now);
        self.drive(now);
        Ok(())
    }

    /// W3C `getTransceivers()`.
    pub fn transceivers(&self) -> Vec<TransceiverInfo> {
        self.negotiator
            .transceivers()
            .iter()
            .filter_map(|t| self.transceiver(t.id()))
            .collect()
    }

    /// One transceiver's state.
    pub fn transceiver(&self, id: TransceiverId) -> Option<TransceiverInfo> {
        let t = self.negotiator.transceiver(id)?;
        let entry = self.media.entry(id);
        let stopped = t.is_stopped();
        let sends = t.current_direction().is_some_and(Direction::sends);
        let sender = entry.and_then(|e| e.sender.as_ref());
        Some(TransceiverInfo {
            id,
            kind: t.kind().clone(),
            mid: t.mid().map(str::to_owned),
            direction: if stopped {
                Direction::Inactive
            } else {
                t.direction()
            },
            current_direction: if stopped { None } else { t.current_direction() },
            stopped,
            sender: SenderInfo {
                track: entry.and_then(|e| e.track.clone()),
                streams: entry.map(|e| e.streams.clone()).unwrap_or_default(),
                ssrc: t.ssrc(),
                rtx_ssrc: sender.and_then(|s| s.rtx_ssrc),
                parameters: SendParameters {
                    encodings: entry.map(|e| e.encodings.clone()).unwrap_or_default(),
                    codecs: if sends {
                        entry.map(|e| e.send_codecs.clone()).unwrap_or_default()
                    } else {
                        Vec::new()
                    },
                },
                can_insert_dtmf: sender.is_some_and(|s| s.dtmf.is_some()),
            },
            receiver: ReceiverInfo {
                track_id: entry
                    .and_then(|e| e.remote_track.as_ref().map(|r| r.id.clone()))
                    .unwrap_or_else(|| format!("{}-{}", t.kind(), id)),
                streams: entry
                    .and_then(|e| e.remote_track.as_ref().map(|r| r.streams.clone()))
                    .unwrap_or_default(),
                ssrc: entry.and_then(|e| e.receiver.as_ref()?.ssrc()),
                codecs: entry.map(|e| e.receive_codecs.clone()).unwrap_or_default(),
            },
        })
    }

    /// The codecs a transceiver's sender sends with now, without building its whole
    /// [`TransceiverInfo`]: empty while the negotiation does not let it send. An error when
    /// it is unknown, not `kind`, or has no track. (What a codec layer above the core asks
    /// before every frame.)
    pub fn send_codecs(
        &self,
        id: TransceiverId,
        kind: &MediaKind,
    ) -> Result<&[(u8, CodecInfo)], Error> {
        let t = self
            .negotiator
            .transceiver(id)
            .ok_or(Error::UnknownTransceiver(id))?;
        if t.kind() != kind {
            return Err(Error::KindMismatch(id));
        }
        let entry = self.media.entry(id).ok_or(Error::UnknownTransceiver(id))?;
        if entry.track.is_none() {
            return Err(Error::NoTrack(id));
        }
        let sends = !t.is_stopped() && t.current_direction().is_some_and(Direction::sends);
        Ok(if sends { &entry.send_codecs } else { &[] })
    }

    /// W3C `sender.getParameters()`.
    pub fn sender_parameters(&self, id: TransceiverId) -> Option<SendParameters> {
        Some(self.transceiver(id)?.sender.parameters)
    }

    /// W3C `sender.setParameters()`: the encodings (one; `active` stops and resumes
    /// sending, the rest is for the encoder above). The codecs are the negotiation's and
    /// are ignored here.
    pub fn set_sender_parameters(
        &mut self,
        id: TransceiverId,
        parameters: SendParameters,
    ) -> Result<(), Error> {
        let entry = self
            .media
            .entry_mut(id)
            .ok_or(Error::UnknownTransceiver(id))?;
        if parameters.encodings.len() != entry.encodings.len() {
            return Err(Error::InvalidParameters(id));
        }
        entry.encodings = parameters.encodings;
        Ok(())
    }

    /// Sends one encoded frame on a transceiver: packetized, protected with SRTP and sent
    /// on the selected pair. Returns `Ok(false)` when it was dropped because the
    /// connection is not up yet (no SRTP keys or no path, as a live source's frames are),
    /// the encoding is inactive, or a DTMF tone plays in its place; an error when the
    /// sender has no track, does not send, or the payload type is not negotiated.
    pub fn write_frame(
        &mut self,
        now: Instant,
        id: TransceiverId,
        frame: OutgoingFrame<'_>,
    ) -> Result<bool, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let connected = self.srtp.is_some()
            && self
                .ice
                .as_ref()
                .is_some_and(|a| a.selected_pair().is_some());
        if !connected {
            // Refused calls are still refused before the connection is up.
            let entry = self.media.entry(id).ok_or(Error::UnknownTransceiver(id))?;
            if entry.track.is_none() {
                return Err(Error::NoTrack(id));
            }
            self.stats.media_not_sent += 1;
            return Ok(false);
        }
        let sent = self.media.write_frame(now, id, &frame)?;
        self.flush_media(now);
        self.drive(now);
        Ok(sent)
    }

    /// W3C `RTCDTMFSender.insertDTMF(tones, duration, interToneGap)`: RFC 4733 events on
    /// the transceiver's audio stream, replacing the tone buffer. `tonechange` comes as
    /// [`Event::ToneChange`].
    pub fn insert_dtmf(
        &mut self,
        now: Instant,
        id: TransceiverId,
        tones: &str,
        duration: Duration,
        inter_tone_gap: Duration,
    ) -> Result<(), Error> {
        self.media
            .insert_dtmf(now, id, tones, duration, inter_tone_gap)?;
        self.drive(now);
        Ok(())
    }

    /// W3C `RTCDTMFSender.toneBuffer`.
    pub fn dtmf_tone_buffer(&self, id: TransceiverId) -> Option<String> {
        self.media.tone_buffer(id)
    }

    /// Asks the peer for a key frame of the video a transceiver receives (a PLI): what a
    /// decoder that lost its reference frame does. False when nothing was received yet.
    pub fn request_key_frame(&mut self, now: Instant, id: TransceiverId) -> Result<bool, Error> {
        let asked = self.media.request_key_frame(id)?;
        self.flush_media(now);
        Ok(asked)
    }

    /// What a transceiver sent and received.
    pub fn transceiver_stats(&self, id: TransceiverId) -> Option<TransceiverStats> {
        let e = self.media.entry(id)?;
        Some(TransceiverStats {
            kind: e.kind.clone(),
            mid: e.mid.clone(),
            outbound: e.sender.as_ref().map(|s| crate::OutboundStats {
                ssrc: s.ssrc,
                packets_sent: s.stats.packets_sent(),
                bytes_sent: s.stats.octets_sent(),
                counters: s.counters,
                remote: s.stats.remote(),
            }),
            inbound: e.receiver.as_ref().map(|r| r.stats()),
        })
    }

    /// Applies the audio and video sections of a negotiation.
    pub(crate) fn apply_media(&mut self, now: Instant, negotiation: &rtcweb_sdp::Negotiation) {
        let cname = self.negotiator.cname().to_owned();
        self.media.set_cname(&cname);
        self.media.apply(now, &negotiation.media);
        self.flush_media(now);
    }

    /// Media time passed: video receivers' timers, DTMF, the RTCP report.
    pub(crate) fn media_timeout(&mut self, now: Instant) {
        self.media.handle_timeout(now);
        self.flush_media(now);
    }

    /// Feeds one RTP or RTCP packet to the media side as if SRTP had authenticated it: the
    /// fuzz targets' way past the keys (feature `fuzzing`, not for applications).
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn fuzz_unprotected_media(&mut self, now: Instant, packet: &[u8]) {
        if crate::routing::is_rtcp(packet) {
            self.media.handle_rtcp(now, packet);
        } else {
            self.media.handle_rtp(now, packet);
        }
        self.flush_media(now);
        self.drive(now);
    }

    /// Routes the media side's events and sends its packets.
    pub(crate) fn flush_media(&mut self, now: Instant) {
        while let Some(event) = self.media.poll_event() {
            let event = match event {
                MediaEvent::Track { id, track, mid } => Event::Track {
                    transceiver: id,
                    track,
                    mid,
                },
                MediaEvent::TrackEnded { id } => Event::TrackEnded { transceiver: id },
                MediaEvent::Muted { id, muted } => Event::TrackMuted {
                    transceiver: id,
                    muted,
                },
                MediaEvent::Frame { id, frame } => Event::Frame {
                    transceiver: id,
                    frame,
                },
                MediaEvent::KeyFrameRequest { id, kind } => Event::KeyFrameRequest {
                    transceiver: id,
                    kind,
                },
                MediaEvent::Dtmf { id, tone, duration } => Event::Dtmf {
                    transceiver: id,
                    tone,
                    duration,
                },
                MediaEvent::ToneChange { id, tone } => Event::ToneChange {
                    transceiver: id,
                    tone,
                },
                MediaEvent::SendBitrate { id, bps } => Event::SendBitrate {
                    transceiver: id,
                    bitrate_bps: bps,
                },
            };
            self.push_event(event);
        }
        while let Some(packet) = self.media.poll_packet(now) {
            self.send_media(now, packet.bytes, packet.rtcp);
        }
    }

    /// Protects one plain RTP or RTCP packet and sends it on the selected pair; its buffer
    /// goes back to the media side's outbox.
    fn send_media(&mut self, now: Instant, mut packet: Vec<u8>, rtcp: bool) {
        if self.srtp.is_none() || self.ice.is_none() {
            self.stats.media_not_sent += 1;
            self.media.outbox.recycle(packet);
            return;
        }
        self.queue_agent_transmits();
        let (Some(srtp), Some(agent)) = (self.srtp.as_mut(), self.ice.as_mut()) else {
            return;
        };
        let len = packet.len();
        packet.resize(len + SRTP_TAIL, 0);
        let protected = if rtcp {
            srtp.protect_rtcp(&mut packet, len)
        } else {
            srtp.protect_rtp(&mut packet, len)
        };
        match protected {
            Ok(n) => match agent.send(now, &packet[..n], &mut self.relay_buf) {
                Ok(t) => {
                    let t = t.to_owned();
                    if self.transmits.len() >= self.config.max_queued_transmits {
                        self.stats.transmits_dropped += 1;
                    } else {
                        self.transmits.push_back(t);
                    }
                    if rtcp {
                        self.stats.rtcp_sent += 1;
                    } else {
                        self.stats.rtp_sent += 1;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "media packet not sent");
                    self.stats.media_not_sent += 1;
                }
            },
            Err(e) => {
                tracing::debug!(error = %e, "SRTP protect failed");
                self.stats.media_not_sent += 1;
            }
        }
        self.media.outbox.recycle(packet);
    }
}
