//! Encoder settings, as SDP's Opus fmtp parameters express them (RFC 7587 §6.1).

/// Duration of the audio in one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameDuration {
    /// 10 ms.
    Ms10,
    /// 20 ms: what browsers send (`minptime=10` with 20 ms packets).
    #[default]
    Ms20,
    /// 40 ms.
    Ms40,
    /// 60 ms (RFC 7587 `maxptime` is 120; libopus codes 60 ms as several frames).
    Ms60,
}

impl FrameDuration {
    /// Samples per channel at 48 kHz.
    pub fn samples(self) -> usize {
        match self {
            Self::Ms10 => 480,
            Self::Ms20 => 960,
            Self::Ms40 => 1920,
            Self::Ms60 => 2880,
        }
    }

    /// Milliseconds.
    pub fn millis(self) -> u32 {
        match self {
            Self::Ms10 => 10,
            Self::Ms20 => 20,
            Self::Ms40 => 40,
            Self::Ms60 => 60,
        }
    }

    /// The duration for a `ptime` in ms, if Opus codes it.
    pub fn from_millis(ms: u32) -> Option<Self> {
        Some(match ms {
            10 => Self::Ms10,
            20 => Self::Ms20,
            40 => Self::Ms40,
            60 => Self::Ms60,
            _ => return None,
        })
    }
}

/// How to encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusConfig {
    /// Two channels (`stereo=1`) or one.
    pub stereo: bool,
    /// Audio per packet (`ptime`).
    pub frame: FrameDuration,
    /// Target bitrate in bit/s (`maxaveragebitrate` caps it); `None` lets libopus choose.
    pub bitrate: Option<u32>,
    /// In-band forward error correction (`useinbandfec=1`, which browsers offer).
    pub fec: bool,
    /// Expected packet loss in percent: how much FEC libopus spends (0–100).
    pub expected_loss_percent: u8,
    /// Discontinuous transmission: near-silent frames become tiny packets (`usedtx=1`).
    pub dtx: bool,
    /// Encoder complexity 0–10 (`None`: libopus's default, 9 in libopus 1.5+).
    pub complexity: Option<u8>,
}

impl Default for OpusConfig {
    /// What browsers send: mono, 20 ms, FEC on, DTX off, bitrate chosen by libopus.
    fn default() -> Self {
        Self {
            stereo: false,
            frame: FrameDuration::Ms20,
            bitrate: None,
            fec: true,
            expected_loss_percent: 5,
            dtx: false,
            complexity: None,
        }
    }
}
