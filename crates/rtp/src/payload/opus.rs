//! Opus over RTP (RFC 7587): one Opus packet per RTP packet, timestamps at 48 kHz.

/// Packetizes Opus frames: the RTP payload is the Opus packet itself (RFC 7587 §4.2); the
/// timestamp advances by the frame's duration at 48 kHz whatever the sampling rate
/// (§4.1).
#[derive(Debug, Clone)]
pub struct OpusPacketizer {
    timestamp: u32,
}

impl OpusPacketizer {
    /// Starts at this RTP timestamp (random per RFC 3550 §5.1).
    pub fn new(first_timestamp: u32) -> Self {
        Self {
            timestamp: first_timestamp,
        }
    }

    /// The payload and timestamp of the next packet for a frame of `duration_ms` (2.5 to
    /// 120 ms; 20 ms in WebRTC).
    pub fn packetize<'a>(&mut self, frame: &'a [u8], duration_ms: f32) -> (&'a [u8], u32) {
        let ts = self.timestamp;
        self.timestamp = self
            .timestamp
            .wrapping_add((duration_ms * 48.0).round() as u32);
        (frame, ts)
    }
}

/// The Opus packet in an RTP payload; `None` for an empty payload (RFC 7587 §4.2 forbids
/// them: a DTX gap is signalled by not sending).
pub fn opus_frame(payload: &[u8]) -> Option<&[u8]> {
    (!payload.is_empty()).then_some(payload)
}
