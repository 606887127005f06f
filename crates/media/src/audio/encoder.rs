//! PCM in, encoded frames out: the sending half of the audio layer.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::resample::{Resampler, convert_channels};
use super::{AudioCodec, PcmFrame, audio_level, g711};
use crate::CodecError;
#[cfg(feature = "opus")]
use crate::{OpusConfig, OpusEncoder};

/// Encoded frames held for [`AudioEncoder::poll_frame`] at most (a second of 20 ms frames).
const MAX_FRAMES: usize = 50;
/// PCM held waiting for a whole frame, at most (a second of 48 kHz stereo).
const MAX_PENDING: usize = 96_000;

/// One encoded frame, ready for the core's `write_frame`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedAudio {
    /// The payload type of the codec.
    pub payload_type: u8,
    /// Its RTP timestamp.
    pub rtp_timestamp: u32,
    /// The codec bitstream.
    pub data: Vec<u8>,
    /// The RFC 6464 level of the frame (-dBov) and whether it holds voice.
    pub audio_level: (u8, bool),
    /// The first frame after frames DTX did not send (the marker bit, RFC 3551 §4.1).
    pub talkspurt_start: bool,
    /// When its first sample was captured, when the application said.
    pub capture_time: Option<Instant>,
}

enum Codec {
    #[cfg(feature = "opus")]
    Opus(Box<OpusEncoder>),
    Pcmu,
    Pcma,
}

/// Encodes PCM of any rate and channel count with the first negotiated codec it can: the
/// PCM is converted to the codec's rate and channels (RFC 7587 §7: Opus in stereo when the
/// peer's fmtp says `stereo=1`), cut into 20 ms frames and encoded, each with its RTP
/// timestamp and level. Opus takes the peer's `useinbandfec`, `usedtx` and
/// `maxaveragebitrate`; with DTX, the frames libopus marks as not to be sent are not.
pub struct AudioEncoder {
    codec: AudioCodec,
    inner: Codec,
    rate: u32,
    channels: usize,
    /// Samples per channel in one frame.
    frame: usize,
    /// RTP timestamp units per frame.
    frame_units: u32,
    input: Option<(u32, u16)>,
    resampler: Option<Resampler>,
    converted: Vec<i16>,
    pending: Vec<i16>,
    pending_time: Option<Instant>,
    timestamp: u32,
    dtx: bool,
    silent: bool,
    out: Vec<u8>,
    frames: VecDeque<EncodedAudio>,
    /// Frames dropped because [`poll_frame`](AudioEncoder::poll_frame) was not called.
    pub dropped: u64,
    /// Frames DTX did not send.
    pub dtx_skipped: u64,
}

impl std::fmt::Debug for AudioEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioEncoder")
            .field("codec", &self.codec)
            .field("channels", &self.channels)
            .field("dtx", &self.dtx)
            .finish_non_exhaustive()
    }
}

impl AudioEncoder {
    /// An encoder for the first codec of `codecs` this build can encode (see
    /// [`AudioCodec::is_supported`]); its RTP timestamps start at `first_timestamp`
    /// (random, RFC 3550 §5.1).
    pub fn new(codecs: &[AudioCodec], first_timestamp: u32) -> Result<Self, CodecError> {
        let codec = codecs
            .iter()
            .find(|c| c.is_supported())
            .ok_or(CodecError::NoCodec)?
            .clone();
        let (inner, rate, channels, dtx) = Self::make(&codec)?;
        let frame = rate as usize / 50;
        Ok(Self {
            frame_units: (u64::from(codec.clock_rate) * frame as u64 / u64::from(rate)) as u32,
            codec,
            inner,
            rate,
            channels,
            frame,
            input: None,
            resampler: None,
            converted: Vec::new(),
            pending: Vec::new(),
            pending_time: None,
            timestamp: first_timestamp,
            dtx,
            silent: false,
            out: vec![0; 4000],
            frames: VecDeque::new(),
            dropped: 0,
            dtx_skipped: 0,
        })
    }

    fn make(codec: &AudioCodec) -> Result<(Codec, u32, usize, bool), CodecError> {
        #[cfg(feature = "opus")]
        if codec.is("opus") {
            // RFC 7587 §6.1: the receiver's fmtp says how to send to it.
            let config = OpusConfig {
                stereo: codec.parameter("stereo") == Some("1"),
                fec: codec.parameter("useinbandfec") != Some("0"),
                dtx: codec.parameter("usedtx") == Some("1"),
                bitrate: codec
                    .parameter("maxaveragebitrate")
                    .and_then(|b| b.parse::<u32>().ok())
                    .map(|b| b.clamp(6000, 510_000)),
                ..OpusConfig::default()
            };
            let channels = if config.stereo { 2 } else { 1 };
            return Ok((
                Codec::Opus(Box::new(OpusEncoder::new(config)?)),
                48_000,
                channels,
                config.dtx,
            ));
        }
        if codec.is("PCMU") {
            Ok((Codec::Pcmu, 8000, 1, false))
        } else if codec.is("PCMA") {
            Ok((Codec::Pcma, 8000, 1, false))
        } else {
            Err(CodecError::NoCodec)
        }
    }

    /// The codec in use.
    pub fn codec(&self) -> &AudioCodec {
        &self.codec
    }

    /// The rate and channels the codec takes (what the input is converted to).
    pub fn format(&self) -> (u32, usize) {
        (self.rate, self.channels)
    }

    /// Sets the target bitrate (Opus; G.711 is 64 kbit/s whatever is asked).
    pub fn set_bitrate(&mut self, bps: u32) -> Result<(), CodecError> {
        #[cfg(feature = "opus")]
        if let Codec::Opus(e) = &mut self.inner {
            return e.set_bitrate(bps.clamp(6000, 510_000));
        }
        let _ = bps;
        Ok(())
    }

    /// Takes PCM of any length, rate and channel count (captured at `capture_time`, when
    /// known); whole frames become available from [`poll_frame`](Self::poll_frame).
    pub fn handle_pcm(
        &mut self,
        pcm: &PcmFrame,
        capture_time: Option<Instant>,
    ) -> Result<(), CodecError> {
        if pcm.sample_rate == 0 || pcm.channels == 0 {
            return Err(CodecError::Format);
        }
        let format = (pcm.sample_rate, pcm.channels);
        if self.input != Some(format) {
            self.input = Some(format);
            self.resampler = Some(Resampler::new(pcm.sample_rate, self.rate, self.channels)?);
        }
        if self.pending.is_empty() {
            self.pending_time = capture_time;
        }
        self.converted.clear();
        convert_channels(
            &pcm.samples,
            usize::from(pcm.channels),
            self.channels,
            &mut self.converted,
        );
        if let Some(r) = self.resampler.as_mut() {
            r.process(&self.converted, &mut self.pending);
        }
        if self.pending.len() > MAX_PENDING {
            let excess = self.pending.len() - MAX_PENDING;
            self.pending.drain(..excess);
        }
        let frame_len = self.frame * self.channels;
        while self.pending.len() >= frame_len {
            self.encode_one(frame_len)?;
        }
        Ok(())
    }

    fn encode_one(&mut self, frame_len: usize) -> Result<(), CodecError> {
        let samples = &self.pending[..frame_len];
        let level = audio_level(samples);
        let n = match &mut self.inner {
            #[cfg(feature = "opus")]
            Codec::Opus(e) => e.encode(samples, &mut self.out)?,
            Codec::Pcmu => {
                for (o, s) in self.out.iter_mut().zip(samples) {
                    *o = g711::ulaw_encode(*s);
                }
                samples.len()
            }
            Codec::Pcma => {
                for (o, s) in self.out.iter_mut().zip(samples) {
                    *o = g711::alaw_encode(*s);
                }
                samples.len()
            }
        };
        let capture_time = self.pending_time;
        self.pending_time = capture_time.map(|t| {
            t + Duration::from_micros(self.frame as u64 * 1_000_000 / u64::from(self.rate))
        });
        self.pending.drain(..frame_len);
        let timestamp = self.timestamp;
        self.timestamp = self.timestamp.wrapping_add(self.frame_units);
        // libopus with DTX: a packet of 2 bytes or less need not be sent (its docs).
        if self.dtx && n <= 2 {
            self.silent = true;
            self.dtx_skipped += 1;
            return Ok(());
        }
        if self.frames.len() >= MAX_FRAMES {
            self.frames.pop_front();
            self.dropped += 1;
        }
        self.frames.push_back(EncodedAudio {
            payload_type: self.codec.payload_type,
            rtp_timestamp: timestamp,
            data: self.out[..n].to_vec(),
            audio_level: level,
            talkspurt_start: std::mem::replace(&mut self.silent, false),
            capture_time,
        });
        Ok(())
    }

    /// The next encoded frame.
    pub fn poll_frame(&mut self) -> Option<EncodedAudio> {
        self.frames.pop_front()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;

    fn codec(pt: u8, name: &str, rate: u32, fmtp: &str) -> AudioCodec {
        AudioCodec {
            payload_type: pt,
            name: name.into(),
            clock_rate: rate,
            channels: if name == "opus" { 2 } else { 1 },
            fmtp: fmtp.into(),
        }
    }

    fn tone(rate: u32, channels: u16, ms: usize) -> PcmFrame {
        let n = rate as usize * ms / 1000;
        let samples = (0..n)
            .flat_map(|i| {
                let v = (8000.0
                    * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / f64::from(rate)).sin())
                    as i16;
                std::iter::repeat_n(v, usize::from(channels))
            })
            .collect();
        PcmFrame {
            samples,
            sample_rate: rate,
            channels,
        }
    }

    #[test]
    fn pcmu_from_44k_stereo_frames_of_160_samples() {
        let mut e = AudioEncoder::new(
            &[codec(99, "L16", 8000, ""), codec(0, "PCMU", 8000, "")],
            1000,
        )
        .unwrap();
        assert_eq!(e.codec().payload_type, 0);
        let t0 = Instant::now();
        e.handle_pcm(&tone(44_100, 2, 100), Some(t0)).unwrap();
        let mut frames = Vec::new();
        while let Some(f) = e.poll_frame() {
            frames.push(f);
        }
        // 100 ms in, the resampler's delay keeps some back.
        assert!(frames.len() >= 3, "{}", frames.len());
        assert!(frames.iter().all(|f| f.data.len() == 160));
        assert_eq!(frames[1].rtp_timestamp, 1160);
        assert!(frames[0].audio_level.1, "a tone is voice-loud");
        assert_eq!(frames[0].capture_time, Some(t0));
        assert_eq!(frames[1].capture_time, Some(t0 + Duration::from_millis(20)));
    }

    #[test]
    fn nothing_to_encode_with() {
        assert_eq!(
            AudioEncoder::new(&[codec(9, "G722", 8000, "")], 0).err(),
            Some(CodecError::NoCodec)
        );
    }

    #[cfg(feature = "opus")]
    #[test]
    fn opus_stereo_and_dtx_from_the_peer_fmtp() {
        let mut e =
            AudioEncoder::new(&[codec(111, "opus", 48_000, "stereo=1;usedtx=1")], 0).unwrap();
        assert_eq!(e.format(), (48_000, 2));
        // Silence first (DTX skips most of it), then a tone: the tone's first frame starts a
        // talkspurt.
        e.handle_pcm(
            &PcmFrame {
                samples: vec![0; 48_000 * 2],
                sample_rate: 48_000,
                channels: 2,
            },
            None,
        )
        .unwrap();
        let silent: Vec<_> = std::iter::from_fn(|| e.poll_frame()).collect();
        assert!(e.dtx_skipped > 10, "{} skipped", e.dtx_skipped);
        assert!(silent.len() < 50);
        e.handle_pcm(&tone(48_000, 1, 100), None).unwrap();
        let talk: Vec<_> = std::iter::from_fn(|| e.poll_frame()).collect();
        assert!(talk.iter().any(|f| f.talkspurt_start));
        assert!(talk.iter().all(|f| f.data.len() > 2));
        // Timestamps advance by 960 per frame, sent or not.
        assert_eq!(talk.last().unwrap().rtp_timestamp % 960, 0);
    }
}
