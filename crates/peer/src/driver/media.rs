//! The media layers the driver runs beside the core: an audio encoder per sending audio
//! transceiver (PCM in, frames to the core), an audio playout per decoded remote track
//! (frames from the core, PCM out at playout time), and the queues of the remote tracks'
//! handles; the counters of the video encoders and decoders that run on their own threads
//! (see `video.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rtcweb_media::audio::{AudioPlayout, DecodedAudio, PlayoutStats};
use rtcweb_media::video::{VideoPlayout, VideoPlayoutConfig};
use rtcweb_media::{AudioCodec, AudioEncoder, PcmFrame};

use tokio::sync::mpsc;

use super::audio_processing::{AudioProcessing, AudioProcessingStats, CapturePath, RenderMix};
use super::command::Command;
use super::lip_sync::LipSyncs;
use super::tracks::REMOTE_FRAMES;

/// Most transceivers whose allocated bitrate is remembered.
const MAX_ALLOCATIONS: usize = 256;
use super::video::{DecoderShared, EncoderShared};
use super::{DriverError, IoStats, PeerConnectionEvent, RemoteAudioTrack, RemoteTrack};
use crate::{
    CodecInfo, MediaKind, OutgoingFrame, Peer, ReceivedFrame, RtcStats, StatsKind, StatsReport,
    TransceiverId,
};

/// A decoded remote audio track: its playout and its handle's queue.
#[derive(Debug)]
struct Playout {
    playout: AudioPlayout,
    out: mpsc::Sender<DecodedAudio>,
}

/// An audio sender's encoder, and the codecs it was made for.
#[derive(Debug)]
struct Encoder {
    codecs: Vec<AudioCodec>,
    encoder: AudioEncoder,
}

/// Every media layer of one connection.
#[derive(Debug)]
pub(crate) struct MediaLayers {
    decode_audio: bool,
    encoders: HashMap<TransceiverId, Encoder>,
    playouts: HashMap<TransceiverId, Playout>,
    encoded: HashMap<TransceiverId, mpsc::Sender<ReceivedFrame>>,
    video_senders: HashMap<TransceiverId, Arc<EncoderShared>>,
    /// What congestion control last allocated to each sender.
    allocated: HashMap<TransceiverId, u32>,
    video_decoders: HashMap<TransceiverId, Arc<DecoderShared>>,
    /// The render queues of decoded video tracks: frames go to their decoder at their
    /// render time, which lip sync moves.
    renders: HashMap<TransceiverId, VideoPlayout<ReceivedFrame>>,
    /// The remote stream ids of each remote track, to pair audio and video for lip sync.
    streams: HashMap<TransceiverId, Vec<String>>,
    syncs: LipSyncs,
    /// The audio senders' processing (echo cancellation, noise suppression, gain
    /// control), and the render reference it cancels the echo of.
    processing: HashMap<TransceiverId, CapturePath>,
    render: RenderMix,
    /// For the first RTP timestamps of new encoders.
    seed: u32,
}

fn audio_codec(payload_type: u8, c: &CodecInfo) -> AudioCodec {
    AudioCodec {
        payload_type,
        name: c.name.clone(),
        clock_rate: c.clock_rate,
        channels: c.channels,
        fmtp: c.fmtp.clone(),
    }
}

impl MediaLayers {
    pub(crate) fn new(decode_audio: bool) -> Self {
        Self {
            decode_audio,
            encoders: HashMap::new(),
            playouts: HashMap::new(),
            encoded: HashMap::new(),
            video_senders: HashMap::new(),
            allocated: HashMap::new(),
            video_decoders: HashMap::new(),
            renders: HashMap::new(),
            streams: HashMap::new(),
            syncs: LipSyncs::default(),
            processing: HashMap::new(),
            render: RenderMix::default(),
            seed: 0x2545_f491,
        }
    }

    /// The peer sends on transceiver `id`: a handle for its track, decoded audio or
    /// encoded frames.
    pub(crate) fn remote_track(
        &mut self,
        peer: &Peer,
        id: TransceiverId,
        info: crate::RemoteTrack,
        mid: String,
        commands: Option<mpsc::Sender<Command>>,
    ) -> Option<PeerConnectionEvent> {
        self.streams.insert(id, info.streams.clone());
        if info.kind == MediaKind::Audio && self.decode_audio {
            // Stereo when our fmtp asked for it (RFC 7587 §7).
            let stereo = peer.transceiver(id).is_some_and(|t| {
                t.receiver
                    .codecs
                    .iter()
                    .any(|(_, c)| c.is("opus") && c.parameter("stereo") == Some("1"))
            });
            let (out, frames) = mpsc::channel(REMOTE_FRAMES);
            self.playouts.insert(
                id,
                Playout {
                    playout: AudioPlayout::new(if stereo { 2 } else { 1 }),
                    out,
                },
            );
            self.pair_for_sync();
            return Some(PeerConnectionEvent::AudioTrack(RemoteAudioTrack {
                transceiver: id,
                info,
                mid,
                frames,
            }));
        }
        let (sender, frames) = mpsc::channel(REMOTE_FRAMES);
        self.encoded.insert(id, sender);
        Some(PeerConnectionEvent::Track(RemoteTrack {
            transceiver: id,
            info,
            mid,
            frames,
            commands,
        }))
    }

    /// A frame from the core: into the audio playout, the video render queue, or to the
    /// handle.
    pub(crate) fn frame(&mut self, id: TransceiverId, frame: ReceivedFrame, io: &mut IoStats) {
        self.syncs.frame(id, &frame);
        if let Some(p) = self.playouts.get_mut(&id) {
            let codec = audio_codec(frame.payload_type, &frame.codec);
            p.playout
                .handle_packet(frame.received_at, &codec, frame.rtp_timestamp, &frame.data);
            return;
        }
        if let Some(render) = self.renders.get_mut(&id) {
            render.handle_frame(frame.received_at, frame.rtp_timestamp, frame);
            return;
        }
        self.to_handle(id, frame, io);
    }

    fn to_handle(&self, id: TransceiverId, frame: ReceivedFrame, io: &mut IoStats) {
        if let Some(sender) = self.encoded.get(&id)
            && sender.try_send(frame).is_err()
        {
            io.frames_dropped += 1;
        }
    }

    /// The peer stopped sending on `id`: its handle ends.
    pub(crate) fn ended(&mut self, id: TransceiverId) {
        self.playouts.remove(&id);
        self.encoded.remove(&id);
        self.video_decoders.remove(&id);
        self.renders.remove(&id);
        self.streams.remove(&id);
        self.syncs.remove(id);
    }

    /// A video sender's encoder for transceiver `id` (the latest one counts).
    pub(crate) fn attach_video_sender(&mut self, id: TransceiverId, shared: Arc<EncoderShared>) {
        if let Some(bps) = self.allocated.get(&id) {
            shared.set_allocated(*bps);
        }
        self.video_senders.insert(id, shared);
    }

    /// Congestion control allocates `bps` to transceiver `id`'s sender: its video encoder
    /// or its audio encoder aims at it.
    pub(crate) fn send_bitrate(&mut self, id: TransceiverId, bps: u32) {
        if self.allocated.len() < MAX_ALLOCATIONS || self.allocated.contains_key(&id) {
            self.allocated.insert(id, bps);
        }
        if let Some(s) = self.video_senders.get(&id) {
            s.set_allocated(bps);
        }
        if let Some(e) = self.encoders.get_mut(&id)
            && let Err(e) = e.encoder.set_bitrate(bps)
        {
            tracing::debug!(error = %e, "audio bitrate not set");
        }
    }

    /// A remote video track's decoder for transceiver `id`: from now on the track's frames
    /// wait in a render queue and go to the decoder at their render time, kept in sync with
    /// a decoded audio track of the same remote stream.
    pub(crate) fn attach_video_decoder(&mut self, id: TransceiverId, shared: Arc<DecoderShared>) {
        self.video_decoders.insert(id, shared);
        self.renders
            .entry(id)
            .or_insert_with(|| VideoPlayout::new(VideoPlayoutConfig::default()));
        self.pair_for_sync();
    }

    /// Pairs each decoded video track with a decoded audio track of the same remote stream
    /// (W3C: the tracks of one `MediaStream` play in sync), whichever came first.
    fn pair_for_sync(&mut self) {
        let shares = |a: &TransceiverId, b: &TransceiverId| {
            let (Some(x), Some(y)) = (self.streams.get(a), self.streams.get(b)) else {
                return false;
            };
            x.iter().any(|s| y.contains(s))
        };
        let pairs: Vec<(TransceiverId, TransceiverId)> = self
            .renders
            .keys()
            .filter_map(|v| {
                self.playouts
                    .keys()
                    .find(|a| shares(a, v))
                    .map(|a| (*a, *v))
            })
            .collect();
        for (audio, video) in pairs {
            self.syncs.pair(audio, video);
        }
    }

    /// The peer asked for a key frame (PLI or FIR, RFC 4585 §6.3.1, RFC 5104 §4.3.1): the
    /// transceiver's encoder makes its next picture one.
    pub(crate) fn key_frame_request(&self, id: TransceiverId) {
        if let Some(s) = self.video_senders.get(&id) {
            s.request_keyframe();
        }
    }

    /// The next playout tick, render time or lip-sync adjustment.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let audio = self
            .playouts
            .values()
            .filter_map(|p| p.playout.poll_timeout());
        let video = self.renders.values().filter_map(VideoPlayout::poll_timeout);
        audio.chain(video).chain(self.syncs.poll_timeout()).min()
    }

    /// Plays the due audio ticks and renders the due video frames (to their decoders);
    /// frames go to the handles (dropped and counted when not read). What was played feeds
    /// lip sync, whose adjustments go to the playouts and render queues.
    pub(crate) fn handle_timeout(&mut self, now: Instant, io: &mut IoStats) {
        for (id, p) in &mut self.playouts {
            p.playout.handle_timeout(now);
            self.render.next_track();
            while let Some(frame) = p.playout.poll_frame() {
                if let Some(ts) = frame.rtp_timestamp {
                    self.syncs.played(*id, now, ts);
                }
                if !self.processing.is_empty() {
                    self.render.add(&frame.samples, frame.channels);
                }
                if p.out.try_send(frame).is_err() {
                    io.audio_frames_dropped += 1;
                }
            }
        }
        // One playout round: what every decoded track played is the echo reference.
        self.render.flush(self.processing.values_mut());
        let mut rendered = Vec::new();
        for (id, render) in &mut self.renders {
            render.handle_timeout(now);
            while let Some(frame) = render.poll_frame() {
                self.syncs.played(*id, frame.render_at, frame.rtp_timestamp);
                rendered.push((*id, frame.payload));
            }
        }
        for (id, frame) in rendered {
            self.to_handle(id, frame, io);
        }
        for d in self.syncs.handle_timeout(now) {
            if let Some(p) = self.playouts.get_mut(&d.audio) {
                p.playout.set_extra_delay(d.audio_extra);
            }
            if let Some(r) = self.renders.get_mut(&d.video) {
                r.set_extra_delay(d.video_extra);
            }
        }
    }

    /// Encodes `pcm` for audio transceiver `id` with its negotiated codec and writes the
    /// frames to the core; the frames sent.
    pub(crate) fn send_audio(
        &mut self,
        peer: &mut Peer,
        now: Instant,
        id: TransceiverId,
        pcm: &PcmFrame,
        capture_time: Option<Instant>,
    ) -> Result<usize, DriverError> {
        let negotiated = peer
            .send_codecs(id, &MediaKind::Audio)
            .map_err(DriverError::Peer)?;
        if negotiated.is_empty() {
            // Not negotiated to send yet: a live source's frames are dropped.
            return Ok(0);
        }
        let current = self.encoders.get(&id).is_some_and(|e| {
            e.codecs.len() == negotiated.len()
                && e.codecs.iter().zip(negotiated).all(|(a, (pt, c))| {
                    a.payload_type == *pt
                        && a.name == c.name
                        && a.clock_rate == c.clock_rate
                        && a.channels == c.channels
                        && a.fmtp == c.fmtp
                })
        });
        if !current {
            let codecs: Vec<AudioCodec> = negotiated
                .iter()
                .map(|(pt, c)| audio_codec(*pt, c))
                .collect();
            self.seed = self
                .seed
                .wrapping_mul(1_664_525)
                .wrapping_add(1_013_904_223);
            let mut encoder = AudioEncoder::new(&codecs, self.seed)?;
            if let Some(bps) = self.allocated.get(&id)
                && let Err(e) = encoder.set_bitrate(*bps)
            {
                tracing::debug!(error = %e, "audio bitrate not set");
            }
            self.encoders.insert(id, Encoder { codecs, encoder });
        }
        let Some(e) = self.encoders.get_mut(&id) else {
            return Ok(0);
        };
        match self.processing.get_mut(&id) {
            Some(path) => {
                let processed = path.process(pcm)?;
                // The processor's 10 ms of latency at most is not taken off the capture
                // time: well under the jitter a receiver's buffer absorbs.
                e.encoder.handle_pcm(processed, capture_time)?;
            }
            None => e.encoder.handle_pcm(pcm, capture_time)?,
        }
        let mut sent = 0;
        while let Some(frame) = e.encoder.poll_frame() {
            let outgoing = OutgoingFrame {
                payload_type: frame.payload_type,
                rtp_timestamp: frame.rtp_timestamp,
                capture_time: frame.capture_time,
                audio_level: Some(frame.audio_level),
                talkspurt_start: frame.talkspurt_start,
                keyframe: false,
                video_size: None,
                data: &frame.data,
            };
            if peer.write_frame(now, id, outgoing)? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Sets audio sender `id`'s processing; none turns it off. New settings start afresh.
    pub(crate) fn set_audio_processing(
        &mut self,
        peer: &Peer,
        id: TransceiverId,
        settings: AudioProcessing,
    ) -> Result<(), DriverError> {
        if peer.transceiver(id).is_none() {
            return Err(DriverError::Peer(crate::Error::UnknownTransceiver(id)));
        }
        if self.processing.get(&id).map(CapturePath::settings) == Some(settings) {
            return Ok(());
        }
        match CapturePath::new(settings)? {
            Some(path) => self.processing.insert(id, path),
            None => self.processing.remove(&id),
        };
        Ok(())
    }

    /// What audio sender `id`'s processing measured; `None` when it processes nothing.
    pub(crate) fn audio_processing_stats(
        &self,
        peer: &Peer,
        id: TransceiverId,
    ) -> Result<Option<AudioProcessingStats>, DriverError> {
        if peer.transceiver(id).is_none() {
            return Err(DriverError::Peer(crate::Error::UnknownTransceiver(id)));
        }
        Ok(self.processing.get(&id).map(CapturePath::stats))
    }

    /// What each decoded track's playout did.
    pub(crate) fn playout_stats(&self) -> Vec<(TransceiverId, PlayoutStats)> {
        self.playouts
            .iter()
            .map(|(id, p)| (*id, p.playout.stats()))
            .collect()
    }

    /// Adds the playout's counters to the `inbound-rtp` objects of the decoded tracks
    /// (webrtc-stats: `totalAudioEnergy`, `concealedSamples`, `jitterBufferDelay`, ...).
    pub(crate) fn add_stats(&self, peer: &Peer, report: &mut StatsReport) {
        self.add_video_stats(peer, report);
        self.add_media_source_stats(peer, report);
        for (id, p) in &self.playouts {
            let Some(ssrc) = peer.transceiver(*id).and_then(|t| t.receiver.ssrc) else {
                continue;
            };
            let key = crate::stats_report::inbound_rtp_id(&MediaKind::Audio, ssrc);
            let Some(RtcStats {
                kind: StatsKind::InboundRtp(inbound),
                ..
            }) = report.get_mut(&key)
            else {
                continue;
            };
            let s = p.playout.stats();
            let j = s.jitter;
            inbound.total_samples_received = Some(s.total_samples_received);
            inbound.total_audio_energy = Some(s.total_audio_energy);
            inbound.total_samples_duration = Some(s.total_samples_duration);
            inbound.concealed_samples = Some(j.concealed_samples);
            inbound.concealment_events = Some(j.concealment_events);
            inbound.jitter_buffer_delay = Some(j.jitter_buffer_delay);
            inbound.jitter_buffer_emitted_count = Some(j.jitter_buffer_emitted_count);
            inbound.jitter_buffer_target_delay = Some(j.target_delay);
            inbound.packets_discarded = Some(j.packets_discarded);
        }
    }

    /// A `media-source` object for each audio sender that processes its audio, with the
    /// echo canceller's `echoReturnLoss` and `echoReturnLossEnhancement`; its
    /// `outbound-rtp` names it in `mediaSourceId`.
    fn add_media_source_stats(&self, peer: &Peer, report: &mut StatsReport) {
        for (id, path) in &self.processing {
            let Some(t) = peer.transceiver(*id) else {
                continue;
            };
            let source_id = format!("SA{}", id.0);
            let key = crate::stats_report::outbound_rtp_id(&MediaKind::Audio, t.sender.ssrc);
            let Some(RtcStats {
                timestamp,
                kind: StatsKind::OutboundRtp(outbound),
                ..
            }) = report.get_mut(&key)
            else {
                // Not sending yet: no stream to hang the source on.
                continue;
            };
            outbound.media_source_id = Some(source_id.clone());
            let timestamp = *timestamp;
            let s = path.stats();
            let settings = path.settings();
            report.insert(RtcStats {
                id: source_id,
                timestamp,
                kind: StatsKind::MediaSource(crate::stats_report::MediaSourceStats {
                    kind: "audio",
                    track_identifier: t.sender.track.as_ref().map(|track| track.id.clone()),
                    echo_return_loss: s.echo_return_loss.filter(|_| settings.echo_cancellation),
                    echo_return_loss_enhancement: s
                        .echo_return_loss_enhancement
                        .filter(|_| settings.echo_cancellation),
                }),
            });
        }
    }

    /// Adds the video encoders' and decoders' counters to their `outbound-rtp` and
    /// `inbound-rtp` objects (webrtc-stats: `framesEncoded`, `qpSum`, `totalEncodeTime`,
    /// `framesDecoded`, `freezeCount`, ...).
    fn add_video_stats(&self, peer: &Peer, report: &mut StatsReport) {
        for (id, s) in &self.video_senders {
            let Some(ssrc) = peer.transceiver(*id).map(|t| t.sender.ssrc) else {
                continue;
            };
            let key = crate::stats_report::outbound_rtp_id(&MediaKind::Video, ssrc);
            let Some(RtcStats {
                kind: StatsKind::OutboundRtp(outbound),
                ..
            }) = report.get_mut(&key)
            else {
                continue;
            };
            let c = s.counters();
            outbound.frames_encoded = Some(c.frames_encoded);
            outbound.key_frames_encoded = Some(c.key_frames_encoded);
            outbound.qp_sum = c.qp_sum;
            outbound.total_encode_time = Some(c.total_encode_time.as_secs_f64());
            outbound.frame_width = c.frame_size.map(|s| s.0);
            outbound.frame_height = c.frame_size.map(|s| s.1);
        }
        for (id, s) in &self.video_decoders {
            let Some(ssrc) = peer.transceiver(*id).and_then(|t| t.receiver.ssrc) else {
                continue;
            };
            let key = crate::stats_report::inbound_rtp_id(&MediaKind::Video, ssrc);
            let Some(RtcStats {
                kind: StatsKind::InboundRtp(inbound),
                ..
            }) = report.get_mut(&key)
            else {
                continue;
            };
            let c = s.counters();
            inbound.frames_decoded = Some(c.frames_decoded);
            inbound.key_frames_decoded = Some(c.key_frames_decoded);
            inbound.frames_dropped = Some(inbound.frames_dropped.unwrap_or(0) + c.frames_dropped);
            inbound.total_decode_time = Some(c.total_decode_time.as_secs_f64());
            inbound.frame_width = c.frame_size.map(|s| s.0);
            inbound.frame_height = c.frame_size.map(|s| s.1);
            inbound.frames_per_second = Some(c.frames_per_second);
            inbound.freeze_count = Some(c.freeze_count);
            inbound.total_freezes_duration = Some(c.total_freezes_duration.as_secs_f64());
        }
    }
}
