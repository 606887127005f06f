//! Semantic checks of a description (RFC 8829 §5.8.3): what must hold before a negotiator
//! applies it.

use std::collections::HashSet;

use crate::attribute::usable_ice_credential;
use crate::{Attribute, DescriptionError, MediaSection, RtpMap, SessionDescription};

impl SessionDescription {
    /// Index of the section whose transport media section `index` uses: the first section
    /// of its BUNDLE group (the tagged one, RFC 8843 §7.2.1) that is not rejected, or itself.
    pub fn transport_index(&self, index: usize) -> usize {
        let Some(mid) = self.media.get(index).and_then(MediaSection::mid) else {
            return index;
        };
        self.bundle_group_of(mid)
            .and_then(|g| {
                g.mids.iter().find_map(|m| {
                    self.media_by_mid(m)
                        .filter(|(_, s)| !s.is_rejected())
                        .map(|(i, _)| i)
                })
            })
            .unwrap_or(index)
    }

    /// Whether media section `index` is one a WebRTC endpoint may accept: DTLS-SRTP audio
    /// or video, or a data channel. Other sections are rejected by the answerer, so their
    /// contents do not matter.
    pub(crate) fn is_webrtc_section(&self, index: usize) -> bool {
        self.media
            .get(index)
            .is_some_and(|m| (m.kind.is_rtp() && m.is_dtls_srtp()) || m.is_data_channel())
    }

    /// Checks that the description does not contradict itself and carries what JSEP needs:
    /// a unique mid in every section, BUNDLE groups naming existing mids, and for every
    /// active WebRTC section ICE credentials, a fingerprint and RTCP multiplexing (own,
    /// from its BUNDLE transport, or session level), at most one codec per payload type and
    /// one extension per id.
    pub fn validate(&self) -> Result<(), DescriptionError> {
        check_single(self.attributes(), "")?;
        let mut mids = HashSet::new();
        for (i, m) in self.media.iter().enumerate() {
            let mid = m.mid().ok_or(DescriptionError::MissingMid(i))?;
            if !mids.insert(mid) {
                return Err(DescriptionError::DuplicateMid(mid.to_owned()));
            }
            check_single(m.attributes(), mid)?;
        }
        let mut bundled = HashSet::new();
        for g in self.groups().filter(|g| g.is_bundle()) {
            for mid in &g.mids {
                if !mids.contains(mid.as_str()) {
                    return Err(DescriptionError::BundleMidMissing(mid.clone()));
                }
                if !bundled.insert(mid.as_str()) {
                    return Err(DescriptionError::MidInTwoBundles(mid.clone()));
                }
            }
        }
        for (i, m) in self.media.iter().enumerate() {
            if m.is_rejected() || !self.is_webrtc_section(i) {
                continue;
            }
            // Checked above: every section has a mid.
            let mid = m.mid().unwrap_or_default().to_owned();
            let t = self.transport_index(i);
            let (ufrag, pwd) = self
                .ice_credentials(i)
                .or_else(|| self.ice_credentials(t))
                .ok_or_else(|| DescriptionError::MissingIceCredentials(mid.clone()))?;
            if !usable_ice_credential(ufrag) || !usable_ice_credential(pwd) {
                return Err(DescriptionError::InvalidIceCredentials(mid));
            }
            if self.fingerprints(i).is_empty() && self.fingerprints(t).is_empty() {
                return Err(DescriptionError::MissingFingerprint(mid));
            }
            if m.kind.is_rtp() {
                if !m.has(&Attribute::RtcpMux) {
                    return Err(DescriptionError::MissingRtcpMux(mid));
                }
                check_payload_types(m, &mid)?;
            }
            let mut ids = HashSet::new();
            if let Some(e) = m.extmaps().find(|e| !ids.insert(e.id)) {
                return Err(DescriptionError::DuplicateExtensionId { mid, id: e.id });
            }
        }
        Ok(())
    }
}

/// Two rtpmap lines for one payload type, or an rtpmap contradicting the static assignment
/// of a payload type the `m=` line lists, is a contradiction (RFC 8866 §6.6).
fn check_payload_types(m: &MediaSection, mid: &str) -> Result<(), DescriptionError> {
    let mut seen = [false; 128];
    for a in m.attributes() {
        let Attribute::RtpMap(r) = a else { continue };
        let contradiction = DescriptionError::DuplicatePayloadType {
            mid: mid.to_owned(),
            payload_type: r.payload_type,
        };
        // The parser keeps payload types within 0..=127; the mask only keeps the index in
        // bounds.
        if std::mem::replace(&mut seen[usize::from(r.payload_type & 0x7f)], true) {
            return Err(contradiction);
        }
        // RFC 3551 §6: a static payload type listed on the m= line has one meaning.
        let listed = m.payload_types().any(|pt| pt == r.payload_type);
        if let Some(fixed) = RtpMap::static_payload_type(r.payload_type).filter(|_| listed) {
            let same = fixed.encoding.eq_ignore_ascii_case(&r.encoding)
                && fixed.clock_rate == r.clock_rate
                && fixed.channels.unwrap_or(1) == r.channels.unwrap_or(1);
            if !same {
                return Err(contradiction);
            }
        }
    }
    Ok(())
}

/// Attributes that may appear once per level.
fn check_single<'a>(
    attributes: impl Iterator<Item = &'a Attribute>,
    mid: &str,
) -> Result<(), DescriptionError> {
    let mut seen = [false; 9];
    for a in attributes {
        let (slot, name) = match a {
            Attribute::Mid(_) => (0, "mid"),
            Attribute::Direction(_) => (1, "direction"),
            Attribute::Setup(_) => (2, "setup"),
            Attribute::IceUfrag(_) => (3, "ice-ufrag"),
            Attribute::IcePwd(_) => (4, "ice-pwd"),
            Attribute::SctpPort(_) => (5, "sctp-port"),
            Attribute::MaxMessageSize(_) => (6, "max-message-size"),
            Attribute::Simulcast(_) => (7, "simulcast"),
            Attribute::SctpInit(_) => (8, "sctp-init"),
            _ => continue,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(DescriptionError::DuplicateAttribute {
                mid: mid.to_owned(),
                attribute: name,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=bundle-only\r\na=mid:1\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n";

    fn check(sdp: &str) -> Result<(), DescriptionError> {
        SessionDescription::parse(sdp).unwrap().validate()
    }

    #[test]
    fn bundle_only_sections_take_the_tagged_transport() {
        check(OK).unwrap();
        let d = SessionDescription::parse(OK).unwrap();
        assert_eq!(d.transport_index(1), 0);
    }

    #[test]
    fn contradictions_are_refused() {
        let cases = [
            (
                OK.replace("a=fingerprint:", "a=x-fingerprint:"),
                DescriptionError::MissingFingerprint("0".into()),
            ),
            (
                OK.replace("BUNDLE 0 1", "BUNDLE 0 1 2"),
                DescriptionError::BundleMidMissing("2".into()),
            ),
            (
                OK.replace(
                    "a=rtpmap:111 opus/48000/2",
                    "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 PCMU/8000",
                ),
                DescriptionError::DuplicatePayloadType {
                    mid: "0".into(),
                    payload_type: 111,
                },
            ),
            (
                OK.replace("SAVPF 111\r\n", "SAVPF 111 0\r\n").replace(
                    "a=rtpmap:111 opus/48000/2",
                    "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 opus/48000/2",
                ),
                DescriptionError::DuplicatePayloadType {
                    mid: "0".into(),
                    payload_type: 0,
                },
            ),
            (
                OK.replace("a=mid:1", "a=mid:0"),
                DescriptionError::DuplicateMid("0".into()),
            ),
            (
                OK.replace("a=mid:1\r\n", ""),
                DescriptionError::MissingMid(1),
            ),
            (
                OK.replacen("a=rtcp-mux\r\n", "", 1),
                DescriptionError::MissingRtcpMux("0".into()),
            ),
            (
                OK.replace("a=ice-ufrag:abcd", "a=ice-ufrag:ab:cd"),
                DescriptionError::InvalidIceCredentials("0".into()),
            ),
            (
                OK.replace("a=mid:0", "a=mid:0\r\na=sendrecv\r\na=recvonly"),
                DescriptionError::DuplicateAttribute {
                    mid: "0".into(),
                    attribute: "direction",
                },
            ),
        ];
        for (sdp, want) in cases {
            assert_eq!(check(&sdp), Err(want));
        }
    }

    #[test]
    fn static_payload_types_may_be_restated_rfc3551_6() {
        let sdp = OK.replace("SAVPF 111\r\n", "SAVPF 111 0 8\r\n").replace(
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 pcmu/8000\r\na=rtpmap:8 PCMA/8000/1",
        );
        check(&sdp).unwrap();
        // Not on the m= line: the rtpmap line names nothing that is used.
        let unused = OK.replace(
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 opus/48000/2",
        );
        check(&unused).unwrap();
    }
}
