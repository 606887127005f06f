//! Identifiers shared by a BUNDLE group. Bundled sections form one RTP session, so a payload
//! type or a header-extension id has one meaning across all of them (RFC 8843 §9.1.1,
//! RFC 8285 §5). A section added in a renegotiation takes the numbers already negotiated for
//! the same codecs and extensions, and free numbers for the others, never one that means
//! something else in the group.

use crate::codec_match::compatible;
use crate::{Codec, ExtMap, ExtensionCapability, MediaKind, SessionDescription};

/// The payload types and extension ids in use in the active RTP sections of a description.
#[derive(Debug, Default)]
pub(crate) struct InUse {
    codecs: Vec<Codec>,
    extensions: Vec<(u16, String)>,
}

/// Dynamic payload types (RFC 3551 §3), in the order they are handed out: 96..=127 first,
/// then 35..=63 as browsers do once the upper range is full.
fn dynamic_payload_types() -> impl Iterator<Item = u8> {
    (96..=127).chain(35..=63)
}

impl InUse {
    /// What the active audio and video sections of `d` (our description of the last
    /// exchange) use.
    pub(crate) fn of(d: Option<&SessionDescription>) -> Self {
        let mut out = Self::default();
        let Some(d) = d else { return out };
        for m in d
            .media
            .iter()
            .filter(|m| !m.is_rejected() && m.kind.is_rtp())
        {
            out.codecs.extend(m.codecs());
            for e in m.extmaps() {
                if !out.extensions.iter().any(|(id, _)| *id == e.id) {
                    out.extensions.push((e.id, e.uri.clone()));
                }
            }
        }
        out
    }

    fn codec_at(&self, pt: u8) -> Option<&Codec> {
        self.codecs.iter().find(|c| c.payload_type == pt)
    }

    /// Whether `pt` may carry `codec`: unused, or used for the same codec.
    fn fits(&self, pt: u8, codec: &Codec, apt: Option<u8>) -> bool {
        match self.codec_at(pt) {
            None => true,
            Some(used) if codec.is_rtx() => used.is_rtx() && used.apt() == apt,
            Some(used) => compatible(used, codec),
        }
    }

    /// The payload type the group already uses for `codec` (with `apt` for RTX).
    fn negotiated_pt(&self, codec: &Codec, apt: Option<u8>) -> Option<u8> {
        self.codecs
            .iter()
            .find(|used| {
                if codec.is_rtx() {
                    used.is_rtx() && used.apt() == apt
                } else {
                    compatible(used, codec)
                }
            })
            .map(|used| used.payload_type)
    }

    /// Gives the codecs of a new section payload types that fit the group: the one already
    /// negotiated for the same codec, else its own when that does not clash, else a free
    /// dynamic one. RTX formats follow their primaries (`apt`, RFC 4588 §8.1). A codec for
    /// which no payload type is left is dropped, with its RTX.
    pub(crate) fn assign_payload_types(&self, codecs: Vec<Codec>) -> Vec<Codec> {
        if self.codecs.is_empty() {
            return codecs;
        }
        let original: Vec<u8> = codecs.iter().map(|c| c.payload_type).collect();
        let mut assigned: Vec<(u8, u8)> = Vec::with_capacity(codecs.len());
        let mut out: Vec<Codec> = Vec::with_capacity(codecs.len());
        // Primaries first, so RTX formats know where their primaries went.
        let (primaries, rtx): (Vec<Codec>, Vec<Codec>) =
            codecs.into_iter().partition(|c| !c.is_rtx());
        for mut c in primaries.into_iter().chain(rtx) {
            let apt = if c.is_rtx() {
                let Some(new_apt) = c
                    .apt()
                    .and_then(|old| assigned.iter().find(|(o, _)| *o == old))
                    .map(|(_, n)| *n)
                else {
                    continue;
                };
                c.parameters.set("apt", new_apt.to_string());
                Some(new_apt)
            } else {
                None
            };
            let taken = |pt: u8| out.iter().any(|x| x.payload_type == pt);
            let free = |pt: u8| !taken(pt) && self.codec_at(pt).is_none();
            let pt = self
                .negotiated_pt(&c, apt)
                .filter(|pt| !taken(*pt))
                .or_else(|| {
                    Some(c.payload_type).filter(|pt| !taken(*pt) && self.fits(*pt, &c, apt))
                })
                .or_else(|| dynamic_payload_types().find(|pt| free(*pt) && !original.contains(pt)));
            let Some(pt) = pt else { continue };
            assigned.push((c.payload_type, pt));
            c.payload_type = pt;
            out.push(c);
        }
        // Back to the preference order: each RTX right after its primary.
        let mut ordered = Vec::with_capacity(out.len());
        for c in out.iter().filter(|c| !c.is_rtx()) {
            ordered.push(c.clone());
            ordered.extend(
                out.iter()
                    .filter(|r| r.is_rtx() && r.apt() == Some(c.payload_type))
                    .cloned(),
            );
        }
        ordered
    }

    /// The header extensions of a new section of `kind`: for each capability, the id the
    /// group already uses for its URI, else its position in the configuration (the id of a
    /// first offer) when that id is free, else the lowest free one-byte id (1..=14), or
    /// two-byte id (16..=255) with `two_byte`. Ids are decided over every capability, so
    /// new sections of either kind agree with each other.
    pub(crate) fn extensions(
        &self,
        caps: &[ExtensionCapability],
        kind: &MediaKind,
        two_byte: bool,
    ) -> Vec<ExtMap> {
        let mut ids: Vec<(u16, &str)> = self
            .extensions
            .iter()
            .map(|(id, uri)| (*id, uri.as_str()))
            .collect();
        let mut out = Vec::new();
        for (i, cap) in caps.iter().enumerate() {
            let id = match ids.iter().find(|(_, uri)| *uri == cap.uri) {
                Some((id, _)) => Some(*id),
                None => {
                    let free = |id: &u16| !ids.iter().any(|(used, _)| used == id);
                    let id = u16::try_from(i + 1)
                        .ok()
                        .filter(free)
                        .or_else(|| (1..=14).find(free))
                        .or_else(|| (16..=255).filter(|_| two_byte).find(free));
                    if let Some(id) = id {
                        ids.push((id, &cap.uri));
                    }
                    id
                }
            };
            if let Some(id) = id.filter(|_| cap.applies_to(kind)) {
                out.push(ExtMap::new(id, &cap.uri));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CodecCapability, FormatParameters, MediaSection, PROTO_RTP};

    fn negotiated(codecs: &[(u8, &str, u32, Option<u16>, &str)], ext: &[(u16, &str)]) -> InUse {
        let mut m = MediaSection::new(MediaKind::Audio, PROTO_RTP, Vec::new());
        for (pt, name, clock, channels, params) in codecs {
            m.push_codec(&Codec {
                payload_type: *pt,
                name: (*name).to_owned(),
                clock_rate: *clock,
                channels: *channels,
                parameters: FormatParameters::parse(params),
                feedback: Vec::new(),
            });
        }
        for (id, uri) in ext {
            m.push(crate::Attribute::ExtMap(ExtMap::new(*id, uri)));
        }
        let mut d = SessionDescription::new(1, 1);
        d.media.push(m);
        InUse::of(Some(&d))
    }

    fn video_offer() -> Vec<Codec> {
        let mut out = Vec::new();
        for cap in CodecCapability::default_video() {
            out.push(cap.to_codec());
            let mut rtx = cap.to_codec();
            rtx.payload_type = cap.rtx_payload_type.unwrap();
            rtx.name = "rtx".into();
            rtx.parameters =
                FormatParameters::from_pairs([("apt", &*cap.payload_type.to_string())]);
            out.push(rtx);
        }
        out
    }

    #[test]
    fn clashing_payload_types_move_and_rtx_follows_rfc8843_9_1_1() {
        // Firefox's audio took 109 (Opus), which our H.264 RTX would reuse; 100 is free.
        let used = negotiated(
            &[
                (109, "opus", 48000, Some(2), ""),
                (0, "PCMU", 8000, None, ""),
            ],
            &[],
        );
        let codecs = used.assign_payload_types(video_offer());
        let pts: Vec<(u8, &str, Option<u8>)> = codecs
            .iter()
            .map(|c| (c.payload_type, c.name.as_str(), c.apt()))
            .collect();
        assert_eq!(
            pts,
            [
                (96, "VP8", None),
                (97, "rtx", Some(96)),
                (98, "VP9", None),
                (99, "rtx", Some(98)),
                (108, "H264", None),
                (100, "rtx", Some(108)),
            ]
        );
    }

    #[test]
    fn the_groups_numbers_for_the_same_codec_are_reused() {
        // Firefox's video: VP8 at 120 with RTX 124, H.264 at 126 with RTX 127.
        let used = negotiated(
            &[
                (120, "VP8", 90000, None, ""),
                (124, "rtx", 90000, None, "apt=120"),
                (
                    126,
                    "H264",
                    90000,
                    None,
                    "packetization-mode=1;profile-level-id=42e01f",
                ),
                (127, "rtx", 90000, None, "apt=126"),
            ],
            &[],
        );
        let pts: Vec<u8> = used
            .assign_payload_types(video_offer())
            .iter()
            .map(|c| c.payload_type)
            .collect();
        assert_eq!(pts, [120, 124, 98, 99, 126, 127]);
        assert_eq!(
            InUse::default().assign_payload_types(video_offer()),
            video_offer(),
            "nothing negotiated: our own numbers"
        );
    }

    #[test]
    fn extension_ids_keep_one_meaning() {
        use crate::extmap::uri;
        // Firefox: 1 audio level, 3 mid, 4 abs-send-time, 7 transport-cc.
        let used = negotiated(
            &[],
            &[
                (1, uri::AUDIO_LEVEL),
                (3, uri::MID),
                (4, uri::ABS_SEND_TIME),
                (7, uri::TRANSPORT_CC),
            ],
        );
        // Every extension the session knows, as a peer that supports them all offers them.
        let caps = vec![
            ExtensionCapability::new(uri::AUDIO_LEVEL, true, false),
            ExtensionCapability::new(uri::ABS_SEND_TIME, true, true),
            ExtensionCapability::new(uri::TRANSPORT_CC, true, true),
            ExtensionCapability::new(uri::MID, true, true),
            ExtensionCapability::new(uri::RTP_STREAM_ID, false, true),
            ExtensionCapability::new(uri::REPAIRED_RTP_STREAM_ID, false, true),
        ];
        let video: Vec<(u16, String)> = used
            .extensions(&caps, &MediaKind::Video, false)
            .into_iter()
            .map(|e| (e.id, e.uri))
            .collect();
        assert_eq!(
            video,
            [
                (4, uri::ABS_SEND_TIME.to_owned()),
                (7, uri::TRANSPORT_CC.to_owned()),
                (3, uri::MID.to_owned()),
                (5, uri::RTP_STREAM_ID.to_owned()),
                (6, uri::REPAIRED_RTP_STREAM_ID.to_owned()),
            ]
        );
        let audio: Vec<u16> = used
            .extensions(&caps, &MediaKind::Audio, false)
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(audio, [1, 4, 7, 3]);
    }
}
