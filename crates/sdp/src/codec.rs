//! Codecs: the view that joins `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` per payload type, and
//! the codecs we can use.

use crate::{Feedback, FormatParameters, MediaKind};

/// One codec of a media section: its payload type with what the rtpmap, fmtp and rtcp-fb
/// lines say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// The RTP payload type.
    pub payload_type: u8,
    /// The encoding name as written (`opus`, `VP8`, `H264`, `rtx`).
    pub name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels (absent means 1, RFC 8866 §6.6).
    pub channels: Option<u16>,
    /// The `a=fmtp` parameters.
    pub parameters: FormatParameters,
    /// The `a=rtcp-fb` lines for this payload type (and `*`).
    pub feedback: Vec<Feedback>,
}

impl Codec {
    /// Whether the encoding name is `name` (case-insensitive, RFC 4855 §3).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// Whether this is a retransmission format (RFC 4588 §8).
    pub fn is_rtx(&self) -> bool {
        self.is("rtx")
    }

    /// The associated payload type of an RTX format (`apt`, RFC 4588 §8.1).
    pub fn apt(&self) -> Option<u8> {
        self.parameters
            .get_number::<u8>("apt")
            .filter(|pt| *pt <= 127)
    }

    /// The channel count, 1 when absent.
    pub fn channel_count(&self) -> u16 {
        self.channels.unwrap_or(1)
    }
}

/// A codec we can send and receive, as configured in
/// [`Config::audio_codecs`](crate::Config::audio_codecs) and
/// [`Config::video_codecs`](crate::Config::video_codecs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecCapability {
    /// The encoding name.
    pub name: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels (`Some(2)` for Opus, RFC 7587 §7).
    pub channels: Option<u16>,
    /// The fmtp parameters we write for it: our receive preferences (Opus) or the profile we
    /// support (H.264 `profile-level-id`, `packetization-mode`; VP9 `profile-id`).
    pub parameters: FormatParameters,
    /// The RTCP feedback we accept for it.
    pub feedback: Vec<Feedback>,
    /// Whether we offer and accept RTX (RFC 4588) for it.
    pub rtx: bool,
    /// The payload type used in our offers.
    pub payload_type: u8,
    /// The payload type of its RTX format in our offers.
    pub rtx_payload_type: Option<u8>,
}

impl CodecCapability {
    fn new(name: &str, clock_rate: u32, channels: Option<u16>, pt: u8) -> Self {
        Self {
            name: name.to_owned(),
            clock_rate,
            channels,
            parameters: FormatParameters::default(),
            feedback: Vec::new(),
            rtx: false,
            payload_type: pt,
            rtx_payload_type: None,
        }
    }

    /// The video feedback rtcweb acts on: NACKs answered from the send history, PLI and
    /// FIR turned into key-frame requests, and sent by the receiver (RFC 4585, RFC 5104),
    /// and congestion-control feedback: transport-wide
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §4) or RFC 8888's (§6), or REMB
    /// (draft-alvestrand-rmcat-remb-03) for peers with neither.
    fn video_feedback() -> Vec<Feedback> {
        vec![
            Feedback::new("transport-cc", None),
            Feedback::new("ack", Some("ccfb")),
            Feedback::new("goog-remb", None),
            Feedback::new("ccm", Some("fir")),
            Feedback::new("nack", None),
            Feedback::new("nack", Some("pli")),
        ]
    }

    fn with_rtx(mut self, rtx_pt: u8) -> Self {
        self.rtx = true;
        self.rtx_payload_type = Some(rtx_pt);
        self
    }

    /// Opus (RFC 7587) at payload type 111 as Chromium offers it: 48000/2,
    /// `minptime=10;useinbandfec=1`, with congestion-control feedback (transport-wide or
    /// RFC 8888).
    pub fn opus() -> Self {
        let mut c = Self::new("opus", 48000, Some(2), 111);
        c.feedback = vec![
            Feedback::new("transport-cc", None),
            Feedback::new("ack", Some("ccfb")),
        ];
        c.parameters = FormatParameters::from_pairs([("minptime", "10"), ("useinbandfec", "1")]);
        c
    }

    /// DTMF as RFC 4733 telephone events at `clock_rate` (48000 beside Opus, 8000 beside
    /// G.711), on Chromium's payload types (110 and 126).
    pub fn telephone_event(clock_rate: u32) -> Self {
        let pt = if clock_rate == 48_000 { 110 } else { 126 };
        let mut c = Self::new("telephone-event", clock_rate, None, pt);
        c.parameters = FormatParameters::parse("0-15");
        c
    }

    /// G.711 µ-law at its static payload type 0 (RFC 3551 §6).
    pub fn pcmu() -> Self {
        Self::new("PCMU", 8000, None, 0)
    }

    /// G.711 A-law at its static payload type 8 (RFC 3551 §6).
    pub fn pcma() -> Self {
        Self::new("PCMA", 8000, None, 8)
    }

    /// VP8 (RFC 7741) at payload type 96 with RTX at 97.
    pub fn vp8() -> Self {
        let mut c = Self::new("VP8", 90000, None, 96).with_rtx(97);
        c.feedback = Self::video_feedback();
        c
    }

    /// VP9 profile 0 (RFC 9628 §6, `profile-id=0`: 8-bit 4:2:0) at payload type 98 with
    /// RTX at 99 (Chromium's numbers).
    pub fn vp9() -> Self {
        let mut c = Self::new("VP9", 90000, None, 98).with_rtx(99);
        c.parameters = FormatParameters::from_pairs([("profile-id", "0")]);
        c.feedback = Self::video_feedback();
        c
    }

    /// H.264 Constrained Baseline, level 3.1, packetization-mode 1 (RFC 6184), at payload
    /// type 108 with RTX at 109 (Chromium's numbers for this profile).
    pub fn h264_constrained_baseline() -> Self {
        let mut c = Self::new("H264", 90000, None, 108).with_rtx(109);
        c.parameters = FormatParameters::from_pairs([
            ("level-asymmetry-allowed", "1"),
            ("packetization-mode", "1"),
            ("profile-level-id", "42e01f"),
        ]);
        c.feedback = Self::video_feedback();
        c
    }

    /// The default audio codecs: Opus, PCMU, PCMA, and telephone events at 48 and 8 kHz.
    pub fn default_audio() -> Vec<Self> {
        vec![
            Self::opus(),
            Self::pcmu(),
            Self::pcma(),
            Self::telephone_event(48_000),
            Self::telephone_event(8000),
        ]
    }

    /// The default video codecs: VP8, VP9 profile 0, then H.264 Constrained Baseline, each
    /// with RTX.
    pub fn default_video() -> Vec<Self> {
        vec![Self::vp8(), Self::vp9(), Self::h264_constrained_baseline()]
    }

    /// This capability as the codec we write in an offer.
    pub fn to_codec(&self) -> Codec {
        Codec {
            payload_type: self.payload_type,
            name: self.name.clone(),
            clock_rate: self.clock_rate,
            channels: self.channels,
            parameters: self.parameters.clone(),
            feedback: self.feedback.clone(),
        }
    }
}

/// An RTP header extension we support, and for which media kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionCapability {
    /// The extension URI.
    pub uri: String,
    /// Used with audio.
    pub audio: bool,
    /// Used with video.
    pub video: bool,
}

impl ExtensionCapability {
    /// An extension for the given kinds.
    pub fn new(uri: &str, audio: bool, video: bool) -> Self {
        Self {
            uri: uri.to_owned(),
            audio,
            video,
        }
    }

    /// Whether it applies to this kind.
    pub fn applies_to(&self, kind: &MediaKind) -> bool {
        match kind {
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
            _ => false,
        }
    }

    /// The default set, what rtcweb acts on: the audio level (written from the encoder's
    /// level, read into received frames), the mid (RFC 8843 §15), transport-wide sequence
    /// numbers, which the receiver reports in congestion-control feedback, and the absolute
    /// send time, which its REMB estimate reads when the peer has no transport-wide
    /// feedback. The RTP stream ids come with simulcast.
    pub fn defaults() -> Vec<Self> {
        use crate::extmap::uri;
        vec![
            Self::new(uri::AUDIO_LEVEL, true, false),
            Self::new(uri::MID, true, true),
            Self::new(uri::TRANSPORT_CC, true, true),
            Self::new(uri::ABS_SEND_TIME, true, true),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtx_apt_and_defaults() {
        let vp8 = CodecCapability::vp8();
        assert_eq!(vp8.rtx_payload_type, Some(97));
        let mut rtx = vp8.to_codec();
        rtx.name = "rtx".into();
        rtx.parameters = FormatParameters::from_pairs([("apt", "96")]);
        assert!(rtx.is_rtx());
        assert_eq!(rtx.apt(), Some(96));
        assert_eq!(CodecCapability::opus().to_codec().channel_count(), 2);
        assert_eq!(CodecCapability::pcmu().to_codec().channel_count(), 1);
        let video: Vec<_> = ExtensionCapability::defaults()
            .into_iter()
            .filter(|e| e.applies_to(&MediaKind::Video))
            .collect();
        assert_eq!(video.len(), 3);
    }
}
