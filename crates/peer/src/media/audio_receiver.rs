//! Receiving one audio track: RTP packets into the jitter buffer, one 20 ms frame decoded
//! (or concealed) per playout tick, with the webrtc-stats `inbound-rtp` counters.

use std::time::{Duration, Instant};

use rtcweb_media::{FRAME_SAMPLES, JitterBuffer, JitterConfig, JitterStats, OpusDecoder, Playout};
use rtcweb_rtp::RtpPacket;

use crate::media::MediaError;
use crate::media::inbound_stream::InboundStream;
use crate::track::AudioFrame;

/// One playout tick: 20 ms, what WebRTC Opus packets carry.
const TICK: Duration = Duration::from_millis(20);
/// Playout stops after this long without a packet (the sender stopped or went away), and
/// restarts with the next one; a tick later than this is skipped, not caught up.
const IDLE: Duration = Duration::from_millis(100);

/// Counters of a received audio stream, named as in webrtc-stats `inbound-rtp`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct AudioReceiveStats {
    /// RTP packets received (`packetsReceived`).
    pub packets_received: u64,
    /// Payload bytes received (`bytesReceived`).
    pub bytes_received: u64,
    /// Packets lost, RFC 3550 A.3 (`packetsLost`).
    pub packets_lost: i64,
    /// Interarrival jitter, seconds (`jitter`).
    pub jitter: f64,
    /// Samples played, decoded and concealed (`totalSamplesReceived`).
    pub total_samples_received: u64,
    /// Sum over played frames of the squared audio level (0..1, peak) times the frame
    /// duration (`totalAudioEnergy`).
    pub total_audio_energy: f64,
    /// Seconds of audio played (`totalSamplesDuration`).
    pub total_samples_duration: f64,
    /// Packets whose payload Opus refused (concealed instead).
    pub decode_errors: u64,
    /// Packets with a payload type other than the negotiated Opus one (CN, DTMF, ...).
    pub other_payloads: u64,
    /// The jitter buffer's counters (`jitterBufferDelay`, `concealedSamples`, ...).
    pub jitter_buffer: JitterStats,
}

/// The receiving half of an audio track.
#[derive(Debug)]
pub(crate) struct AudioReceiver {
    pub(crate) payload_type: u8,
    jitter: JitterBuffer,
    decoder: OpusDecoder,
    inbound: InboundStream,
    stats: AudioReceiveStats,
    next_tick: Option<Instant>,
    last_packet: Option<Instant>,
    pcm: Vec<i16>,
}

impl AudioReceiver {
    pub(crate) fn new(payload_type: u8) -> Result<Self, MediaError> {
        let decoder = OpusDecoder::new(false)?;
        let pcm = vec![0; decoder.max_output_len()];
        Ok(Self {
            payload_type,
            jitter: JitterBuffer::new(JitterConfig::default()),
            decoder,
            inbound: InboundStream::new(48_000),
            stats: AudioReceiveStats::default(),
            next_tick: None,
            last_packet: None,
            pcm,
        })
    }

    /// A packet of this track arrived.
    pub(crate) fn handle_packet(&mut self, now: Instant, packet: &RtpPacket<'_>) {
        if packet.payload_type() != self.payload_type {
            self.stats.other_payloads += 1;
            return;
        }
        if !self.inbound.record(
            packet.ssrc(),
            packet.sequence_number(),
            packet.timestamp(),
            now,
        ) {
            self.stats.other_payloads += 1;
            return;
        }
        self.stats.packets_received += 1;
        self.stats.bytes_received += packet.payload().len() as u64;
        self.jitter
            .insert(now, packet.timestamp(), packet.payload());
        self.last_packet = Some(now);
        if self.next_tick.is_none() {
            self.next_tick = Some(now + TICK);
        }
    }

    /// The next playout tick.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.next_tick
    }

    /// Plays the ticks that are due: each gives a frame to `out`.
    pub(crate) fn handle_timeout(&mut self, now: Instant, mut out: impl FnMut(AudioFrame)) {
        while let Some(tick) = self.next_tick.filter(|t| *t <= now) {
            if self
                .last_packet
                .is_none_or(|last| tick.saturating_duration_since(last) > IDLE)
            {
                self.next_tick = None;
                break;
            }
            // Late by more than the idle time (the owner was away): resume from now.
            let tick = if now - tick > IDLE { now } else { tick };
            self.next_tick = Some(tick + TICK);
            if let Some(frame) = self.play(tick) {
                out(frame);
            }
        }
    }

    fn play(&mut self, tick: Instant) -> Option<AudioFrame> {
        let (rtp_timestamp, decoded, concealed) = match self.jitter.pop(tick) {
            Playout::Waiting => return None,
            Playout::Frame {
                timestamp, payload, ..
            } => match self.decoder.decode(&payload, &mut self.pcm) {
                Ok(n) => (Some(timestamp), n, false),
                Err(e) => {
                    tracing::debug!(error = %e, "Opus packet refused; concealed");
                    self.stats.decode_errors += 1;
                    (None, self.decoder.conceal(None, &mut self.pcm).ok()?, true)
                }
            },
            Playout::Conceal { next } => (
                None,
                self.decoder.conceal(next.as_deref(), &mut self.pcm).ok()?,
                true,
            ),
        };
        let samples = self.pcm[..decoded.min(self.pcm.len())].to_vec();
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        let level = f64::from(peak) / 32768.0;
        let duration = samples.len() as f64 / 48_000.0;
        self.stats.total_audio_energy += level * level * duration;
        self.stats.total_samples_duration += duration;
        self.stats.total_samples_received += samples.len() as u64;
        debug_assert!(samples.len() <= FRAME_SAMPLES * 6);
        Some(AudioFrame {
            samples,
            rtp_timestamp,
            concealed,
        })
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
    pub(crate) fn stats(&self) -> AudioReceiveStats {
        let mut stats = self.stats;
        if let Some((lost, jitter)) = self.inbound.loss_and_jitter() {
            stats.packets_lost = lost;
            stats.jitter = jitter;
        }
        stats.jitter_buffer = self.jitter.stats();
        stats
    }
}
