//! Audio tracks: the W3C `addTrack` / `track` event pair, with Opus in and out.

use std::time::Instant;

use rand::Rng;
use rtcweb_sdp::{Direction, LocalTrack, MediaKind};

use crate::track::{TrackId, TrackStats};
use crate::{Error, Event, Peer};

/// Room for the SRTP or SRTCP tag and index after a packet.
const SRTP_TAIL: usize = 32;

impl Peer {
    /// Adds a local audio track (W3C `addTrack` of a microphone track): a `sendrecv` audio
    /// transceiver, in the next offer or matched with the audio section of the next remote
    /// offer ([`Event::NegotiationNeeded`]). Once negotiated and connected, each
    /// [`send_audio`](Self::send_audio) frame goes out as one Opus RTP packet.
    pub fn add_audio_track(&mut self, now: Instant) -> Result<TrackId, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let stream_id = format!("rtcweb-{:08x}", self.rng.random::<u32>());
        let track_id = format!("audio-{:08x}", self.rng.random::<u32>());
        let id = self.negotiator.add_transceiver(
            MediaKind::Audio,
            Direction::SendRecv,
            Some(LocalTrack {
                stream_id,
                track_id,
            }),
        )?;
        self.media.add_local(id, MediaKind::Audio);
        self.drive(now);
        Ok(id)
    }

    /// Adds a transceiver (W3C `addTransceiver`) without a local track: `RecvOnly` asks the
    /// peer for its audio or video in our next offer. Remote video comes as
    /// [`Event::VideoFrame`]s; sending video is not implemented yet (a sending direction is
    /// negotiated, and nothing is sent).
    pub fn add_transceiver(
        &mut self,
        now: Instant,
        kind: MediaKind,
        direction: Direction,
    ) -> Result<TrackId, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let id = self
            .negotiator
            .add_transceiver(kind.clone(), direction, None)?;
        self.media.add_local(id, kind);
        if let Some(t) = self.media.track_mut(id) {
            // No local track: nothing of ours to send.
            t.local = false;
        }
        self.drive(now);
        Ok(id)
    }

    /// Sends one frame of a local audio track: 20 ms of 48 kHz signed 16-bit PCM, 960
    /// samples (1920 interleaved when the peer asked for `stereo=1`). It is encoded with
    /// Opus, packetized (RFC 7587), protected with SRTP and sent on the selected pair.
    ///
    /// Returns `Ok(false)` when the frame was dropped because the connection is not up yet
    /// (no SRTP keys or no path), as a live source's frames are.
    pub fn send_audio(&mut self, now: Instant, track: TrackId, pcm: &[i16]) -> Result<bool, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let entry = self
            .media
            .track_mut(track)
            .ok_or(Error::UnknownTrack(track))?;
        let sender = entry.sender.as_mut().ok_or(Error::TrackNotSending(track))?;
        if pcm.len() != sender.frame_len() {
            return Err(Error::Media(crate::MediaError::Codec(
                rtcweb_media::CodecError::FrameLength {
                    expected: sender.frame_len(),
                    got: pcm.len(),
                },
            )));
        }
        let connected = self.srtp.is_some()
            && self
                .ice
                .as_ref()
                .is_some_and(|a| a.selected_pair().is_some());
        if !connected {
            self.stats.media_not_sent += 1;
            return Ok(false);
        }
        sender.packetize(now, pcm, &mut self.media_out, SRTP_TAIL)?;
        self.send_media(now, false);
        self.drive(now);
        Ok(true)
    }

    /// What a track sent and received.
    pub fn track_stats(&self, track: TrackId) -> Option<TrackStats> {
        let t = self.media.track(track)?;
        Some(TrackStats {
            kind: t.kind.clone(),
            mid: t.mid.clone(),
            sent: t.sender.as_ref().map(|s| crate::AudioSendStats {
                ssrc: s.ssrc,
                payload_type: s.payload_type,
                packets_sent: s.stats.packets_sent(),
                bytes_sent: s.stats.octets_sent(),
                remote: s.stats.remote(),
            }),
            received: t.receiver.as_ref().map(|r| r.stats()),
            video_received: t.video.as_ref().map(|v| v.stats()),
        })
    }

    /// The tracks, local and remote, in the order they were made.
    pub fn tracks(&self) -> Vec<TrackId> {
        self.media.tracks.iter().map(|t| t.id).collect()
    }

    /// Applies the audio and video sections of a negotiation: senders, receivers, and a
    /// [`Event::Track`] for each section the peer now sends on.
    pub(crate) fn apply_media(&mut self, now: Instant, negotiation: &rtcweb_sdp::Negotiation) {
        let rng = &mut self.rng;
        match self.media.apply(now, &negotiation.media, || rng.random()) {
            Ok(remote) => {
                for (track, kind, mid) in remote {
                    self.push_event(Event::Track { track, kind, mid });
                }
            }
            Err(e) => tracing::warn!(error = %e, "media section not set up"),
        }
    }

    /// Media time passed: playout ticks (decoded frames as [`Event::AudioFrame`]) and the
    /// RTCP report when it is due.
    pub(crate) fn media_timeout(&mut self, now: Instant) {
        let mut frames = Vec::new();
        let report_due = self
            .media
            .handle_timeout(now, |track, frame| frames.push((track, frame)));
        for (track, frame) in frames {
            self.push_event(Event::AudioFrame { track, frame });
        }
        self.drain_video(now);
        if report_due && self.srtp.is_some() {
            let cname = self.negotiator.cname().to_owned();
            match self.media.build_report(now, &cname, &mut self.media_out) {
                Ok(()) => self.send_media(now, true),
                Err(e) => tracing::debug!(error = %e, "RTCP report not built"),
            }
        }
    }

    /// Feeds one RTP or RTCP packet to the tracks as if SRTP had authenticated it: the
    /// fuzz targets' way past the keys (feature `fuzzing`, not for applications).
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn fuzz_unprotected_media(&mut self, now: Instant, packet: &[u8]) {
        if crate::routing::is_rtcp(packet) {
            self.media.handle_rtcp(now, packet);
        } else {
            self.media.handle_rtp(now, packet);
            self.drain_video(now);
        }
        self.drive(now);
    }

    /// Hands out what the video receivers produced: frames as events, NACK and PLI requests
    /// sent as RTCP feedback (RFC 4585).
    pub(crate) fn drain_video(&mut self, now: Instant) {
        while let Some((track, output)) = self.media.video_out.pop_front() {
            if let crate::media::VideoOutput::Frame(frame, codec) = output {
                self.push_event(Event::VideoFrame {
                    track,
                    frame: crate::VideoFrame {
                        data: frame.data,
                        keyframe: frame.keyframe,
                        rtp_timestamp: frame.timestamp,
                        codec,
                    },
                });
                continue;
            }
            if self.srtp.is_none() {
                continue;
            }
            let cname = self.negotiator.cname().to_owned();
            match self
                .media
                .build_video_feedback(&cname, &output, &mut self.media_out)
            {
                Ok(true) => self.send_media(now, true),
                Ok(false) => {}
                Err(e) => tracing::debug!(error = %e, "RTCP feedback not built"),
            }
        }
    }

    /// Protects what `media_out` holds (RTP, or RTCP when `rtcp`) and sends it on the
    /// selected pair.
    fn send_media(&mut self, now: Instant, rtcp: bool) {
        self.queue_agent_transmits();
        let (Some(srtp), Some(agent)) = (self.srtp.as_mut(), self.ice.as_mut()) else {
            return;
        };
        let len = self.media_out.len();
        self.media_out.resize(len + SRTP_TAIL, 0);
        let protected = if rtcp {
            srtp.protect_rtcp(&mut self.media_out, len)
        } else {
            srtp.protect_rtp(&mut self.media_out, len)
        };
        let n = match protected {
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(error = %e, "SRTP protect failed");
                self.stats.media_not_sent += 1;
                return;
            }
        };
        match agent.send(now, &self.media_out[..n], &mut self.relay_buf) {
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
        }
    }
}
