//! Sections the answerer cannot use are rejected with port 0 (RFC 3264 §6, RFC 8829
//! §5.3.1) and keep their place, mid, media type, protocol and formats; a later offer
//! recycles them (RFC 8829 §5.2.2). Without BUNDLE only the first usable section is accepted,
//! since everything runs on one transport.

mod support;

use rtcweb_sdp::{
    Attribute, Direction, MediaKind, PROTO_RTP, SdpType, SessionDescription, SignalingState,
};
use support::{fixture, mids, negotiated, negotiator, track};

/// Chromium's offer with five more sections: text (not audio or video), plain RTP/AVP audio
/// (no DTLS-SRTP), a second data channel, audio with no codec we know, and video the offerer
/// rejected itself.
fn offer_with_unusable_sections() -> String {
    let extra = "m=text 9 UDP/TLS/RTP/SAVPF 98\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\n\
                 a=rtpmap:98 t140/1000\r\n\
                 m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:4\r\n\
                 m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n\
                 a=mid:5\r\na=sctp-port:5001\r\n\
                 m=audio 9 UDP/TLS/RTP/SAVPF 98\r\nc=IN IP4 0.0.0.0\r\na=mid:6\r\na=rtcp-mux\r\n\
                 a=rtpmap:98 speex/16000\r\n\
                 m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:7\r\na=rtcp-mux\r\n\
                 a=rtpmap:96 VP8/90000\r\n";
    let offer = fixture("offer_audio_video_datachannel.sdp")
        .replace("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 3 4 5 6");
    format!("{offer}{extra}")
}

#[test]
fn unusable_sections_are_rejected_in_place() {
    let text = offer_with_unusable_sections();
    let offer = SessionDescription::parse(&text).unwrap();
    offer.validate().unwrap();
    let mut n = negotiator(91);
    n.set_remote_description(SdpType::Offer, offer.clone())
        .unwrap();
    let answer = n.create_answer().unwrap();
    assert_eq!(mids(&answer), mids(&offer));
    for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        assert_eq!(a.kind, o.kind, "section {i}");
        if i < 3 {
            assert_ne!(a.port, 0, "section {i} is accepted");
            continue;
        }
        assert_eq!(a.port, 0, "section {i} is rejected");
        assert!(a.is_rejected());
        assert_eq!((&a.protocol, &a.formats), (&o.protocol, &o.formats));
        // A rejected section carries no transport (RFC 8843 §7.3.3).
        assert!(a.ice_ufrag().is_none() && a.fingerprints().next().is_none());
    }
    assert_eq!(answer.media[3].kind, MediaKind::Other("text".into()));
    assert_eq!(answer.groups().next().unwrap().mids, ["0", "1", "2"]);
    answer.validate().unwrap();

    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    assert_eq!(r.rejected, ["3", "4", "5", "6", "7"]);
    assert_eq!(r.media.len(), 2);
    assert_eq!(r.sctp.unwrap().mid, "2", "the first data channel");
    // The audio section without a common codec made a transceiver, now stopped.
    let stopped: Vec<_> = n
        .transceivers()
        .iter()
        .filter(|t| t.is_stopped())
        .map(|t| t.mid().map(str::to_owned))
        .collect();
    assert_eq!(stopped, [Some("6".to_owned())]);
}

#[test]
fn our_next_offer_keeps_them_rejected_and_recycles_the_first() {
    let mut n = negotiator(92);
    n.set_remote_sdp(SdpType::Offer, &offer_with_unusable_sections())
        .unwrap();
    let answer = n.create_answer().unwrap();
    n.set_local_description(SdpType::Answer, &answer).unwrap();

    // Nothing to add: the rejected sections are offered again, rejected, as they were.
    let offer = n.create_offer().unwrap();
    assert_eq!(mids(&offer), ["0", "1", "2", "3", "4", "5", "6", "7"]);
    assert!(offer.media[3..].iter().all(|m| m.port == 0));
    assert_eq!(offer.media[4].protocol, "RTP/AVP");

    // A new video track recycles the first rejected section with a fresh mid.
    let v = n
        .add_transceiver(MediaKind::Video, Direction::SendOnly, track("v"))
        .unwrap();
    let offer = n.create_offer().unwrap();
    assert_eq!(offer.media.len(), 8, "recycled, not appended");
    let recycled = &offer.media[3];
    assert_eq!(recycled.kind, MediaKind::Video);
    assert_eq!(recycled.protocol, PROTO_RTP);
    let mid = recycled.mid().unwrap().to_owned();
    assert!(!mids(&answer).contains(&mid), "mids are never reused");
    assert!(offer.groups().next().unwrap().mids.contains(&mid));
    assert!(offer.media[4..].iter().all(|m| m.port == 0));
    n.set_local_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(n.transceiver(v).unwrap().mid(), Some(mid.as_str()));
    assert_eq!(n.state(), SignalingState::HaveLocalOffer);
}

#[test]
fn without_bundle_only_the_first_usable_section_is_accepted() {
    let text = fixture("offer_audio_video_datachannel.sdp").replace("a=group:BUNDLE 0 1 2\r\n", "");
    let mut n = negotiator(93);
    n.set_remote_sdp(SdpType::Offer, &text).unwrap();
    let answer = n.create_answer().unwrap();
    let ports: Vec<bool> = answer.media.iter().map(|m| m.port != 0).collect();
    assert_eq!(ports, [true, false, false]);
    assert_eq!(answer.groups().count(), 0, "no BUNDLE group to answer");
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    let t = r.transport.unwrap();
    assert_eq!(
        (t.mid.as_str(), t.bundle.as_slice()),
        ("0", ["0".to_owned()].as_slice())
    );
    assert_eq!(r.rejected, ["1", "2"]);
    assert!(r.sctp.is_none());
}

#[test]
fn a_stopped_transceiver_is_not_matched_with_an_offered_section() {
    let mut n = negotiator(94);
    let audio = n
        .add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    n.stop_transceiver(audio).unwrap();
    n.set_remote_sdp(
        SdpType::Offer,
        &fixture("offer_audio_video_datachannel.sdp"),
    )
    .unwrap();
    // The stopped transceiver is not associated: the offer's audio gets a new one.
    assert_eq!(n.transceiver(audio).unwrap().mid(), None);
    let answer = n.create_answer().unwrap();
    assert!(answer.media.iter().all(|m| m.port != 0));
    assert!(answer.media[0].has(&Attribute::RtcpMux));
}
