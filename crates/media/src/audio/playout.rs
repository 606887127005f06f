//! Encoded frames in, PCM out at playout time: the receiving half of the audio layer.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::resample::{Resampler, convert_channels};
use super::{AudioCodec, g711};
#[cfg(feature = "opus")]
use crate::OpusDecoder;
use crate::{CodecError, JitterBuffer, JitterConfig, JitterStats, Playout};

/// The rate of what the playout gives: 48 kHz, whatever the codec.
pub const PLAYOUT_RATE: u32 = 48_000;
/// One playout tick: 20 ms, what WebRTC audio packets carry.
const TICK: Duration = Duration::from_millis(20);
/// Playout stops after this long without a packet (the sender stopped or went away), and
/// restarts with the next one; a tick later than this is skipped, not caught up.
const IDLE: Duration = Duration::from_millis(100);
/// How far behind its input libopus's output runs: the encoder's lookahead at 48 kHz
/// (2.5 ms, plus 4 ms of delay compensation in the VoIP and audio applications that
/// WebRTC senders use), in samples.
#[cfg(feature = "opus")]
const OPUS_DELAY: u64 = 312;
/// Decoded frames held for [`AudioPlayout::poll_frame`] at most.
const MAX_FRAMES: usize = 50;

/// 20 ms of played audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedAudio {
    /// Interleaved samples at [`PLAYOUT_RATE`].
    pub samples: Vec<i16>,
    /// Channels (1, or 2 for stereo Opus).
    pub channels: u16,
    /// The RTP timestamp of the frame decoded; `None` when concealed.
    pub rtp_timestamp: Option<u32>,
    /// Made up by loss concealment (or in-band FEC) because the frame was missing or late.
    pub concealed: bool,
}

/// What the playout did, named as webrtc-stats `inbound-rtp` names it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct PlayoutStats {
    /// Samples played, decoded and concealed (`totalSamplesReceived`).
    pub total_samples_received: u64,
    /// Sum over played frames of the squared audio level (0..1, peak) times the frame's
    /// duration (`totalAudioEnergy`).
    pub total_audio_energy: f64,
    /// Seconds of audio played (`totalSamplesDuration`).
    pub total_samples_duration: f64,
    /// Frames the decoder refused (concealed instead).
    pub decode_errors: u64,
    /// Frames of a codec this build does not decode.
    pub unsupported: u64,
    /// The jitter buffer's counters (`jitterBufferDelay`, `concealedSamples`, ...).
    pub jitter: JitterStats,
}

enum Decoder {
    #[cfg(feature = "opus")]
    Opus(Box<OpusDecoder>),
    G711 {
        alaw: bool,
        upsample: Box<Resampler>,
    },
}

/// Puts received frames of one stream in order with an adaptive jitter buffer and plays one
/// 20 ms frame per tick: decoded, or concealed when it is missing (Opus PLC and in-band
/// FEC; G.711 plays silence). The output is 48 kHz, mono, or stereo when asked for (Opus
/// `stereo=1` in our fmtp). Call [`handle_timeout`](Self::handle_timeout) at
/// [`poll_timeout`](Self::poll_timeout) and take the frames from
/// [`poll_frame`](Self::poll_frame).
pub struct AudioPlayout {
    channels: u16,
    /// The payload type being played and its decoder.
    decoder: Option<(u8, Decoder)>,
    jitter: JitterBuffer,
    next_tick: Option<Instant>,
    last_packet: Option<Instant>,
    pcm: Vec<i16>,
    scratch: Vec<i16>,
    frames: VecDeque<DecodedAudio>,
    stats: PlayoutStats,
    /// Lip sync's extra delay, kept across codec changes.
    extra: Duration,
    /// RTP timestamp and tick of the last frame played from a packet.
    played: Option<(u32, Instant)>,
    /// Frames dropped because [`poll_frame`](Self::poll_frame) was not called.
    pub dropped: u64,
}

impl std::fmt::Debug for AudioPlayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioPlayout")
            .field("channels", &self.channels)
            .field("payload_type", &self.decoder.as_ref().map(|d| d.0))
            .finish_non_exhaustive()
    }
}

impl AudioPlayout {
    /// A playout giving `channels` (1 or 2) channels.
    pub fn new(channels: u16) -> Self {
        Self {
            channels: channels.clamp(1, 2),
            decoder: None,
            jitter: JitterBuffer::new(JitterConfig::default()),
            next_tick: None,
            last_packet: None,
            pcm: vec![0; 48 * 120 * 2],
            scratch: Vec::new(),
            frames: VecDeque::new(),
            stats: PlayoutStats::default(),
            extra: Duration::ZERO,
            played: None,
            dropped: 0,
        }
    }

    fn make_decoder(&self, codec: &AudioCodec) -> Result<Decoder, CodecError> {
        #[cfg(feature = "opus")]
        if codec.is("opus") && codec.clock_rate == 48_000 {
            return Ok(Decoder::Opus(Box::new(OpusDecoder::new(
                self.channels == 2,
            )?)));
        }
        if (codec.is("PCMU") || codec.is("PCMA")) && codec.clock_rate == 8000 {
            return Ok(Decoder::G711 {
                alaw: codec.is("PCMA"),
                upsample: Box::new(Resampler::new(8000, PLAYOUT_RATE, 1)?),
            });
        }
        Err(CodecError::NoCodec)
    }

    /// A received frame of `codec` arrived at `now`.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        codec: &AudioCodec,
        rtp_timestamp: u32,
        payload: &[u8],
    ) {
        if self
            .decoder
            .as_ref()
            .is_none_or(|(pt, _)| *pt != codec.payload_type)
        {
            match self.make_decoder(codec) {
                Ok(d) => {
                    // A new codec starts a new timeline.
                    self.decoder = Some((codec.payload_type, d));
                    self.jitter = JitterBuffer::new(JitterConfig {
                        clock_rate: codec.clock_rate,
                        ..JitterConfig::default()
                    });
                    self.jitter.set_extra_delay(self.extra);
                }
                Err(_) => {
                    self.stats.unsupported += 1;
                    return;
                }
            }
        }
        self.jitter.handle_packet(now, rtp_timestamp, payload);
        self.last_packet = Some(now);
        if self.next_tick.is_none() {
            self.next_tick = Some(now + TICK);
        }
    }

    /// Adds `extra` to the jitter buffer's target delay (lip sync; see
    /// [`JitterBuffer::set_extra_delay`]).
    pub fn set_extra_delay(&mut self, extra: Duration) {
        self.extra = extra;
        self.jitter.set_extra_delay(extra);
    }

    /// How long after its tick the sound of a frame's first sample is heard: the codec's
    /// delay (Opus: the encoder's 6.5 ms lookahead; G.711: the resampler's delay).
    pub fn output_delay(&self) -> Duration {
        let samples = match self.decoder.as_ref() {
            None => 0,
            #[cfg(feature = "opus")]
            Some((_, Decoder::Opus(_))) => OPUS_DELAY,
            Some((_, Decoder::G711 { upsample, .. })) => upsample.delay() as u64,
        };
        Duration::from_micros(samples * 1_000_000 / u64::from(PLAYOUT_RATE))
    }

    /// The RTP timestamp of the last frame played from a packet and when its first sample
    /// is heard (its tick plus [`output_delay`](Self::output_delay)): where the audio is
    /// now, for lip sync.
    pub fn playout_point(&self) -> Option<(u32, Instant)> {
        self.played
            .map(|(ts, tick)| (ts, tick + self.output_delay()))
    }

    /// The next playout tick.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_tick
    }

    /// Plays the ticks that are due.
    pub fn handle_timeout(&mut self, now: Instant) {
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
                if self.frames.len() >= MAX_FRAMES {
                    self.frames.pop_front();
                    self.dropped += 1;
                }
                self.frames.push_back(frame);
            }
        }
    }

    /// The next played frame.
    pub fn poll_frame(&mut self) -> Option<DecodedAudio> {
        self.frames.pop_front()
    }

    fn play(&mut self, tick: Instant) -> Option<DecodedAudio> {
        let (_, decoder) = self.decoder.as_mut()?;
        let channels = usize::from(self.channels);
        let frame_len = PLAYOUT_RATE as usize / 50 * channels;
        let (timestamp, concealed) = match self.jitter.pop(tick) {
            Playout::Waiting => return None,
            Playout::Frame {
                timestamp, payload, ..
            } => match decode(
                decoder,
                Some(&payload),
                None,
                &mut self.pcm,
                &mut self.scratch,
                channels,
            ) {
                Ok(n) => {
                    self.played = Some((timestamp, tick));
                    self.pcm.truncate(n.max(frame_len).min(self.pcm.len()));
                    (Some(timestamp), false)
                }
                Err(_) => {
                    self.stats.decode_errors += 1;
                    decode(
                        decoder,
                        None,
                        None,
                        &mut self.pcm,
                        &mut self.scratch,
                        channels,
                    )
                    .ok()?;
                    (None, true)
                }
            },
            Playout::Conceal { next } => {
                decode(
                    decoder,
                    None,
                    next.as_deref(),
                    &mut self.pcm,
                    &mut self.scratch,
                    channels,
                )
                .ok()?;
                (None, true)
            }
        };
        let samples: Vec<i16> = self.pcm.iter().take(frame_len).copied().collect();
        self.pcm.resize(48 * 120 * 2, 0);
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        let level = f64::from(peak) / 32768.0;
        let duration = (samples.len() / channels) as f64 / f64::from(PLAYOUT_RATE);
        self.stats.total_audio_energy += level * level * duration;
        self.stats.total_samples_duration += duration;
        self.stats.total_samples_received += (samples.len() / channels) as u64;
        Some(DecodedAudio {
            samples,
            channels: self.channels,
            rtp_timestamp: timestamp,
            concealed,
        })
    }

    /// The counters now.
    pub fn stats(&self) -> PlayoutStats {
        let mut s = self.stats;
        s.jitter = self.jitter.stats();
        s
    }
}

/// Decodes `payload` (or conceals, with `next` for Opus FEC) into `pcm` as 48 kHz PCM of
/// `channels`; returns the samples written.
fn decode(
    decoder: &mut Decoder,
    payload: Option<&[u8]>,
    next: Option<&[u8]>,
    pcm: &mut Vec<i16>,
    scratch: &mut Vec<i16>,
    channels: usize,
) -> Result<usize, CodecError> {
    match decoder {
        #[cfg(feature = "opus")]
        Decoder::Opus(d) => {
            pcm.resize(48 * 120 * 2, 0);
            let n = match payload {
                Some(p) => d.decode(p, pcm)?,
                None => d.conceal(next, pcm)?,
            };
            pcm.truncate(n);
            Ok(n)
        }
        Decoder::G711 { alaw, upsample } => {
            let _ = next;
            scratch.clear();
            match payload {
                Some(p) => scratch.extend(p.iter().map(|&b| {
                    if *alaw {
                        g711::alaw_decode(b)
                    } else {
                        g711::ulaw_decode(b)
                    }
                })),
                // No concealment in G.711: 20 ms of silence keeps the timeline.
                None => scratch.resize(160, 0),
            }
            let mut up = Vec::with_capacity(scratch.len() * 6);
            upsample.process(scratch, &mut up);
            // The resampler's delay: the first frames come short; pad with silence.
            up.resize(960, 0);
            pcm.clear();
            convert_channels(&up, 1, channels, pcm);
            Ok(pcm.len())
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;
    use crate::audio::{AudioEncoder, PcmFrame};

    fn codec(pt: u8, name: &str, rate: u32) -> AudioCodec {
        AudioCodec {
            payload_type: pt,
            name: name.into(),
            clock_rate: rate,
            channels: 1,
            fmtp: String::new(),
        }
    }

    /// Encodes a 440 Hz tone with `c`, plays it back through the playout, and returns what
    /// was played.
    fn round_trip(
        c: &AudioCodec,
        lose: impl Fn(usize) -> bool,
    ) -> (Vec<DecodedAudio>, PlayoutStats) {
        let mut enc = AudioEncoder::new(std::slice::from_ref(c), 0).unwrap();
        let tone: Vec<i16> = (0..48_000)
            .map(|i| {
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / 48_000.0).sin())
                    as i16
            })
            .collect();
        enc.handle_pcm(
            &PcmFrame {
                samples: tone,
                sample_rate: 48_000,
                channels: 1,
            },
            None,
        )
        .unwrap();
        let t0 = Instant::now();
        let mut p = AudioPlayout::new(1);
        let mut played = Vec::new();
        let mut i = 0;
        while let Some(f) = enc.poll_frame() {
            let at = t0 + TICK * i as u32;
            if let Some(due) = p.poll_timeout().filter(|d| *d <= at) {
                p.handle_timeout(due);
            }
            if !lose(i) {
                p.handle_packet(at, c, f.rtp_timestamp, &f.data);
            }
            p.handle_timeout(at);
            played.extend(std::iter::from_fn(|| p.poll_frame()));
            i += 1;
        }
        (played, p.stats())
    }

    fn hz(frames: &[DecodedAudio]) -> f64 {
        let s: Vec<i16> = frames
            .iter()
            .filter(|f| !f.concealed)
            .flat_map(|f| f.samples.iter().copied())
            .skip(4800)
            .collect();
        let crossings = s.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        crossings as f64 / 2.0 / (s.len() as f64 / 48_000.0)
    }

    #[test]
    fn g711_plays_the_tone_back_at_48k() {
        for name in ["PCMU", "PCMA"] {
            let (frames, stats) = round_trip(&codec(0, name, 8000), |_| false);
            assert!(frames.len() > 40, "{name}: {}", frames.len());
            assert!(frames.iter().all(|f| f.samples.len() == 960));
            let f = hz(&frames);
            assert!((f - 440.0).abs() < 10.0, "{name}: {f} Hz");
            assert!(stats.total_audio_energy > 0.0);
        }
    }

    #[cfg(feature = "opus")]
    #[test]
    fn opus_conceals_what_is_lost() {
        let (frames, stats) = round_trip(&codec(111, "opus", 48_000), |i| i % 10 == 5);
        let f = hz(&frames);
        assert!((f - 440.0).abs() < 10.0, "{f} Hz");
        assert!(frames.iter().any(|f| f.concealed));
        assert!(stats.jitter.concealed_samples > 0);
    }

    #[test]
    fn unsupported_codecs_are_counted() {
        let mut p = AudioPlayout::new(1);
        p.handle_packet(Instant::now(), &codec(9, "G722", 8000), 0, &[0; 160]);
        assert_eq!(p.stats().unsupported, 1);
        assert!(p.poll_timeout().is_none());
    }
}
