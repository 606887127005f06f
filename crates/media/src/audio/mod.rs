//! The audio layer above the RTP core: PCM from the application converted to what the
//! negotiated codec takes and encoded into frames ([`AudioEncoder`]), and received frames
//! put in order, decoded and concealed at playout time ([`AudioPlayout`]). Opus through
//! libopus (feature `opus`, on by default), G.711 (PCMU, PCMA) in Rust. Sans-IO: time comes
//! in as arguments.

mod encoder;
pub mod g711;
mod playout;
mod resample;

pub use encoder::{AudioEncoder, EncodedAudio};
pub use playout::{AudioPlayout, DecodedAudio, PLAYOUT_RATE, PlayoutStats};
pub use resample::{Resampler, convert_channels};

/// A negotiated audio codec as the layers need it: payload type, encoding name, clock rate,
/// channels and the fmtp line of the side that receives with it (for the encoder: the
/// peer's, RFC 7587 §7; for the playout: ours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioCodec {
    /// The RTP payload type.
    pub payload_type: u8,
    /// The encoding name (`opus`, `PCMU`, `PCMA`, ...).
    pub name: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Channels in the `a=rtpmap` (2 for Opus, whatever it carries).
    pub channels: u16,
    /// The `a=fmtp` parameters, `k=v;k=v`.
    pub fmtp: String,
}

impl AudioCodec {
    /// Whether the encoding name is `name` (case-insensitive, RFC 4855 §3).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// One fmtp parameter.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.fmtp.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    /// Whether the layers can encode and decode it in this build: Opus (feature `opus`),
    /// PCMU and PCMA at 8 kHz.
    pub fn is_supported(&self) -> bool {
        (self.is("opus") && self.clock_rate == 48_000 && cfg!(feature = "opus"))
            || ((self.is("PCMU") || self.is("PCMA")) && self.clock_rate == 8000)
    }
}

/// Interleaved 16-bit PCM with its format: what the application hands over and gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcmFrame {
    /// The samples, interleaved.
    pub samples: Vec<i16>,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
}

/// The RFC 6464 audio level of some samples: -dBov (0 = full scale, 127 = silence) from
/// their RMS, and whether it looks like voice (louder than -50 dBov).
pub fn audio_level(samples: &[i16]) -> (u8, bool) {
    if samples.is_empty() {
        return (127, false);
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (energy / samples.len() as f64).sqrt() / 32768.0;
    let dbov = if rms <= 0.0 {
        127.0
    } else {
        (-20.0 * rms.log10()).clamp(0.0, 127.0)
    };
    (dbov.round() as u8, dbov < 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parameters() {
        assert_eq!(audio_level(&[0; 960]), (127, false));
        let loud: Vec<i16> = (0..960)
            .map(|i| if i % 2 == 0 { 32767 } else { -32768 })
            .collect();
        assert_eq!(audio_level(&loud), (0, true));
        let c = AudioCodec {
            payload_type: 111,
            name: "opus".into(),
            clock_rate: 48_000,
            channels: 2,
            fmtp: "minptime=10;useinbandfec=1;stereo=1".into(),
        };
        assert_eq!(c.parameter("stereo"), Some("1"));
        let pcmu = AudioCodec {
            payload_type: 0,
            name: "PCMU".into(),
            clock_rate: 8000,
            channels: 1,
            fmtp: String::new(),
        };
        assert!(pcmu.is_supported());
    }
}
