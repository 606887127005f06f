//! Codec intersection: which offered codecs an answerer accepts, with which parameters, and
//! what an answer leaves negotiated.

use crate::h264::ProfileLevelId;
use crate::{Codec, CodecCapability, Feedback, FormatParameters};

/// Whether two descriptions of a codec mean the same codec: same encoding name
/// (case-insensitive, RFC 4855 §3), clock rate and channel count (absent = 1, RFC 8866
/// §6.6), and the parameters that select the bitstream:
/// - H.264: the same profile and packetization-mode (RFC 6184 §8.2.2); levels may differ.
/// - VP9: the same `profile-id` (RFC 9628 §6; absent = 0).
/// - AV1: the same `profile` (absent = 0).
///
/// Opus parameters (RFC 7587 §7) and VP8's `max-fr` / `max-fs` (RFC 7741 §6.1) only state
/// receiver preferences, so they never prevent a match.
pub(crate) fn compatible(a: &Codec, b: &Codec) -> bool {
    if !a.name.eq_ignore_ascii_case(&b.name)
        || a.clock_rate != b.clock_rate
        || a.channel_count() != b.channel_count()
    {
        return false;
    }
    let same = |name: &str, default: &str| {
        a.parameters.get(name).unwrap_or(default).trim()
            == b.parameters.get(name).unwrap_or(default).trim()
    };
    if a.is("H264") {
        let (Some(pa), Some(pb)) = (
            ProfileLevelId::parse(a.parameters.get("profile-level-id")),
            ProfileLevelId::parse(b.parameters.get("profile-level-id")),
        ) else {
            return false;
        };
        pa.profile() == pb.profile() && same("packetization-mode", "0")
    } else if a.is("VP9") {
        same("profile-id", "0")
    } else if a.is("AV1") {
        same("profile", "0")
    } else if a.is_rtx() {
        // RTX formats match through their primaries (RFC 4588 §8.1), not on their own.
        false
    } else {
        true
    }
}

/// The fmtp parameters an answerer writes for an offered codec it accepts.
///
/// Opus: our own receive preferences (`useinbandfec`, `stereo`, ..., RFC 7587 §7). H.264:
/// the offered profile and packetization-mode, `level-asymmetry-allowed` when both allow
/// it, and the level we receive — ours when asymmetry is allowed on both sides, else the
/// lower of the two (RFC 6184 §8.2.2). Others: our parameters.
fn answer_parameters(offered: &Codec, ours: &CodecCapability) -> FormatParameters {
    if !offered.is("H264") {
        return ours.parameters.clone();
    }
    let offered_id = ProfileLevelId::parse(offered.parameters.get("profile-level-id"));
    let our_id = ProfileLevelId::parse(ours.parameters.get("profile-level-id"));
    let (Some(offered_id), Some(our_id)) = (offered_id, our_id) else {
        return ours.parameters.clone();
    };
    let asymmetry = offered.parameters.flag("level-asymmetry-allowed")
        && ours.parameters.flag("level-asymmetry-allowed");
    let level = if asymmetry {
        our_id.level_idc
    } else {
        offered_id.level_idc.min(our_id.level_idc)
    };
    let mut p = FormatParameters::default();
    if asymmetry {
        p.set("level-asymmetry-allowed", "1");
    }
    p.set(
        "packetization-mode",
        offered
            .parameters
            .get("packetization-mode")
            .unwrap_or("0")
            .trim(),
    );
    p.set("profile-level-id", offered_id.with_level(level).to_hex());
    p
}

/// The feedback both sides support, in the offer's order (RFC 4585 §4.2).
fn common_feedback(offered: &[Feedback], ours: &[Feedback]) -> Vec<Feedback> {
    offered
        .iter()
        .filter(|f| ours.contains(f))
        .cloned()
        .collect()
}

/// The codecs of an answer to an offered RTP section (RFC 8829 §5.3.1, RFC 3264 §6.1): the
/// offered codecs we support, in the offer's order and with the offerer's payload types,
/// each RTX format kept when its primary (`apt`) is kept and we do RTX for it
/// (RFC 4588 §8.6).
pub(crate) fn answer_codecs(offered: &[Codec], caps: &[CodecCapability]) -> Vec<Codec> {
    let mut accepted: Vec<(u8, &CodecCapability)> = Vec::new();
    for o in offered.iter().filter(|c| !c.is_rtx()) {
        if let Some(cap) = caps.iter().find(|cap| compatible(o, &cap.to_codec())) {
            accepted.push((o.payload_type, cap));
        }
    }
    offered
        .iter()
        .filter_map(|o| {
            if o.is_rtx() {
                let apt = o.apt()?;
                if !accepted.iter().any(|(pt, cap)| *pt == apt && cap.rtx) {
                    return None;
                }
                let mut parameters = FormatParameters::default();
                parameters.set("apt", apt.to_string());
                if let Some(t) = o.parameters.get("rtx-time") {
                    parameters.set("rtx-time", t);
                }
                return Some(Codec {
                    parameters,
                    feedback: Vec::new(),
                    ..o.clone()
                });
            }
            let (_, cap) = accepted.iter().find(|(pt, _)| *pt == o.payload_type)?;
            Some(Codec {
                payload_type: o.payload_type,
                name: o.name.clone(),
                clock_rate: o.clock_rate,
                channels: o.channels,
                parameters: answer_parameters(o, cap),
                feedback: common_feedback(&o.feedback, &cap.feedback),
            })
        })
        .collect()
}

/// A codec both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedCodec {
    /// The payload type, as the answer has it (the offerer's, RFC 8829 §5.3.1).
    pub payload_type: u8,
    /// The encoding name.
    pub name: String,
    /// The clock rate.
    pub clock_rate: u32,
    /// The channel count (1 when not written).
    pub channels: u16,
    /// Our fmtp parameters: what we asked to receive.
    pub local_parameters: FormatParameters,
    /// The peer's fmtp parameters: what it asked to receive, so what we send with (Opus
    /// `stereo`, `useinbandfec`; H.264 level).
    pub remote_parameters: FormatParameters,
    /// The RTCP feedback the answer kept.
    pub feedback: Vec<Feedback>,
    /// The payload type of its RTX format, when RTX was negotiated (RFC 4588).
    pub rtx_payload_type: Option<u8>,
}

/// What an answer leaves negotiated for one section: every answer codec that matches an
/// offered one, in the answer's order, with its RTX payload type.
pub(crate) fn negotiated_codecs(
    offer: &[Codec],
    answer: &[Codec],
    local_is_offerer: bool,
) -> Vec<NegotiatedCodec> {
    answer
        .iter()
        .filter(|a| !a.is_rtx())
        .filter_map(|a| {
            let o = offer.iter().find(|o| compatible(o, a))?;
            let rtx_payload_type = answer
                .iter()
                .find(|r| r.is_rtx() && r.apt() == Some(a.payload_type))
                .map(|r| r.payload_type);
            let (local, remote) = if local_is_offerer { (o, a) } else { (a, o) };
            Some(NegotiatedCodec {
                payload_type: a.payload_type,
                name: a.name.clone(),
                clock_rate: a.clock_rate,
                channels: a.channel_count(),
                local_parameters: local.parameters.clone(),
                remote_parameters: remote.parameters.clone(),
                feedback: a.feedback.clone(),
                rtx_payload_type,
            })
        })
        .collect()
}

/// What we may receive on a section: every codec of our own description (RFC 3264 §5.1:
/// an offer lists what the offerer can receive, §6.1: an answer what the answerer can). As
/// offerer that is more than the answer kept: the answerer must send one of those
/// (RFC 3264 §6.1), but Chromium sends its own first choice from the offer even after
/// `setCodecPreferences` left it out of its answer, and what we offered we decode. The
/// peer's parameters are those of its matching codec, if it listed one.
pub(crate) fn receivable_codecs(
    offer: &[Codec],
    answer: &[Codec],
    local_is_offerer: bool,
) -> Vec<NegotiatedCodec> {
    if !local_is_offerer {
        return negotiated_codecs(offer, answer, false);
    }
    offer
        .iter()
        .filter(|o| !o.is_rtx())
        .map(|o| {
            let rtx_payload_type = offer
                .iter()
                .find(|r| r.is_rtx() && r.apt() == Some(o.payload_type))
                .map(|r| r.payload_type);
            let theirs = answer.iter().find(|a| !a.is_rtx() && compatible(o, a));
            NegotiatedCodec {
                payload_type: o.payload_type,
                name: o.name.clone(),
                clock_rate: o.clock_rate,
                channels: o.channel_count(),
                local_parameters: o.parameters.clone(),
                remote_parameters: theirs.map(|a| a.parameters.clone()).unwrap_or_default(),
                feedback: theirs.map(|a| a.feedback.clone()).unwrap_or_default(),
                rtx_payload_type,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(pt: u8, name: &str, clock: u32, params: &str) -> Codec {
        Codec {
            payload_type: pt,
            name: name.into(),
            clock_rate: clock,
            channels: None,
            parameters: FormatParameters::parse(params),
            feedback: Vec::new(),
        }
    }

    #[test]
    fn h264_matches_on_profile_and_packetization_mode_rfc6184_8_2_2() {
        let ours = CodecCapability::h264_constrained_baseline().to_codec();
        let cb_pm1 = codec(
            102,
            "H264",
            90000,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        );
        let cb_pm0 = codec(
            104,
            "H264",
            90000,
            "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
        );
        let baseline = codec(
            106,
            "h264",
            90000,
            "packetization-mode=1;profile-level-id=42001f",
        );
        let lower_level = codec(
            107,
            "H264",
            90000,
            "packetization-mode=1;profile-level-id=42e00d",
        );
        assert!(compatible(&cb_pm1, &ours));
        assert!(!compatible(&cb_pm0, &ours));
        assert!(!compatible(&baseline, &ours));
        assert!(compatible(&lower_level, &ours));
        let answer = answer_codecs(
            &[lower_level],
            &[CodecCapability::h264_constrained_baseline()],
        );
        assert_eq!(
            answer[0].parameters.get("profile-level-id"),
            Some("42e00d"),
            "no asymmetry: the lower level"
        );
    }

    #[test]
    fn rtx_follows_its_primary_and_pts_are_the_offerers() {
        let offered = [
            codec(100, "VP8", 90000, ""),
            codec(101, "rtx", 90000, "apt=100"),
            codec(102, "VP9", 90000, "profile-id=2"),
            codec(103, "rtx", 90000, "apt=102"),
        ];
        let answer = answer_codecs(&offered, &CodecCapability::default_video());
        let pts: Vec<u8> = answer.iter().map(|c| c.payload_type).collect();
        assert_eq!(pts, [100, 101]);
        assert_eq!(answer[1].apt(), Some(100));
        let n = negotiated_codecs(&offered, &answer, false);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].rtx_payload_type, Some(101));
    }

    #[test]
    fn opus_parameters_are_preferences() {
        let mut offered = codec(
            109,
            "opus",
            48000,
            "maxplaybackrate=48000;stereo=1;useinbandfec=1",
        );
        offered.channels = Some(2);
        let answer = answer_codecs(&[offered.clone()], &[CodecCapability::opus()]);
        assert_eq!(
            answer[0].parameters.to_string(),
            "minptime=10;useinbandfec=1"
        );
        let n = negotiated_codecs(&[offered], &answer, false);
        assert!(n[0].remote_parameters.flag("stereo"));
        assert_eq!(n[0].channels, 2);
        let mono = codec(110, "opus", 48000, "");
        assert!(answer_codecs(&[mono], &[CodecCapability::opus()]).is_empty());
    }

    #[test]
    fn an_offerer_receives_every_offered_codec_rfc3264_5_1() {
        let mut opus = codec(111, "opus", 48000, "minptime=10;useinbandfec=1");
        opus.channels = Some(2);
        let offer = [opus, codec(0, "PCMU", 8000, ""), codec(8, "PCMA", 8000, "")];
        // Chromium's answer after setCodecPreferences([PCMA]).
        let answer = [codec(8, "PCMA", 8000, "")];
        let sent: Vec<u8> = negotiated_codecs(&offer, &answer, true)
            .iter()
            .map(|c| c.payload_type)
            .collect();
        assert_eq!(sent, [8], "we send what the answer kept");
        let received = receivable_codecs(&offer, &answer, true);
        let pts: Vec<u8> = received.iter().map(|c| c.payload_type).collect();
        assert_eq!(pts, [111, 0, 8], "we decode all we offered");
        assert!(received[0].local_parameters.flag("useinbandfec"));
        // As answerer, what our answer listed.
        let ours = receivable_codecs(&offer, &answer, false);
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0].payload_type, 8);
    }
}
