//! SDP as Firefox and Safari write it (`tests/data`, written from their public examples):
//! it parses, round-trips, and negotiates.

mod support;

use rtcweb_sdp::{
    Attribute, Direction, DtlsRole, LocalTrack, MediaKind, SdpType, SessionDescription, Setup,
    SignalingState,
};
use support::{data, negotiated, negotiator};

fn track(id: &str) -> Option<LocalTrack> {
    Some(LocalTrack {
        stream_id: "stream".into(),
        track_id: id.into(),
    })
}

#[test]
fn browser_descriptions_round_trip_byte_for_byte() {
    for name in [
        "firefox_offer.sdp",
        "firefox_answer.sdp",
        "safari_offer.sdp",
    ] {
        let text = data(name);
        let d = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        d.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(d.to_string(), text, "{name}");
    }
}

#[test]
fn firefox_offer_negotiates() {
    let offer = SessionDescription::parse(&data("firefox_offer.sdp")).unwrap();
    // Session-level values apply to every section.
    assert_eq!(offer.setup(0), Some(Setup::ActPass));
    assert_eq!(offer.fingerprints(2).len(), 1);
    assert!(offer.ice_options(1).unwrap().trickle());
    assert_eq!(offer.media[0].candidates().count(), 2);

    let mut n = negotiator(11);
    n.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    n.set_remote_description(SdpType::Offer, offer).unwrap();
    let answer = n.create_answer().unwrap();
    assert_eq!(answer.groups().next().unwrap().mids, ["0", "1", "2"]);
    // Opus 109 (Firefox's number), then G.711 and telephone-event; G.722 is not ours.
    assert_eq!(answer.media[0].formats, ["109", "0", "8", "101"]);
    // VP8 120 + RTX 124, VP9 121 + RTX 125, H.264 packetization-mode 1 at 126 + RTX 127;
    // the packetization-mode 0 H.264 is not supported.
    assert_eq!(
        answer.media[1].formats,
        ["120", "124", "121", "125", "126", "127"]
    );
    let audio_ext: Vec<u16> = answer.media[0].extmaps().map(|e| e.id).collect();
    assert_eq!(audio_ext, [1, 3], "csrc-audio-level is not ours");
    let video_ext: Vec<u16> = answer.media[1].extmaps().map(|e| e.id).collect();
    // The mid, abs-send-time (for REMB) and transport-cc.
    assert_eq!(video_ext, [3, 4, 7]);
    assert_eq!(answer.media[0].direction(), Some(Direction::SendRecv));
    assert_eq!(answer.media[1].direction(), Some(Direction::RecvOnly));
    assert!(
        answer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::Active))
    );
    n.set_local_description(SdpType::Answer, &answer).unwrap();

    let r = negotiated(&mut n).unwrap();
    let t = r.transport.clone().unwrap();
    assert_eq!(t.ice.remote.ufrag, "58b99ead");
    assert_eq!(t.ice.remote_candidates.len(), 2);
    assert_eq!(
        t.ice.remote_candidates[1].transport,
        rtcweb_ice::CandidateTransport::Tcp
    );
    assert!(t.ice.remote_end_of_candidates && t.ice.remote_trickle);
    assert_eq!(t.dtls.role, DtlsRole::Client);
    assert_eq!(t.dtls.remote_fingerprints[0].value[0], 0x3a);
    let opus = &r.media("0").unwrap().codecs[0];
    assert_eq!((opus.payload_type, opus.channels), (109, 2));
    assert!(
        opus.remote_parameters.flag("stereo"),
        "Firefox receives stereo"
    );
    let video = r.media("1").unwrap();
    assert_eq!(video.remote_streams[0].ssrc, 2_790_512_434);
    assert_eq!(video.remote_streams[0].rtx_ssrc, Some(3_216_354_802));
    let sctp = r.sctp.unwrap();
    assert_eq!(sctp.remote_port, 5000);
    assert_eq!(sctp.remote_max_message_size, 1_073_741_823);
}

#[test]
fn firefox_answer_to_our_offer_is_applied() {
    let mut n = negotiator(7);
    n.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    n.add_transceiver(MediaKind::Video, Direction::SendRecv, track("v"))
        .unwrap();
    n.add_data_channel().unwrap();
    let offer = n.create_offer().unwrap();
    let mids: Vec<_> = offer.media.iter().map(|m| m.mid().unwrap()).collect();
    assert_eq!(mids, ["0", "1", "2"]);
    assert!(
        offer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::ActPass))
    );
    n.set_local_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(n.state(), SignalingState::HaveLocalOffer);
    n.set_remote_sdp(SdpType::Answer, &data("firefox_answer.sdp"))
        .unwrap();
    assert_eq!(n.state(), SignalingState::Stable);
    let r = negotiated(&mut n).unwrap();
    let t = r.transport.clone().unwrap();
    assert!(t.ice.controlling, "we offered");
    assert_eq!(t.dtls.role, DtlsRole::Server, "Firefox is active");
    assert_eq!(t.ice.remote_candidates.len(), 1);
    let video = r.media("1").unwrap();
    assert_eq!(
        video.direction,
        Direction::SendOnly,
        "Firefox receives only"
    );
    assert_eq!(video.codecs.len(), 1);
    assert_eq!(video.codecs[0].rtx_payload_type, Some(97));
    let ext: Vec<u16> = video.extensions.iter().map(|e| e.id).collect();
    // The answer's transport-cc and mid.
    assert_eq!(ext, [3, 4]);
    assert!(!video.local_streams.is_empty());
    let audio = r.media("0").unwrap();
    assert!(audio.codecs[0].remote_parameters.flag("stereo"));
    assert_eq!(
        n.transceivers()[1].current_direction(),
        Some(Direction::SendOnly)
    );
    assert!(r.sctp.is_some());
    assert!(
        n.current_local_description()
            .unwrap()
            .has(&Attribute::ExtmapAllowMixed)
    );
}

#[test]
fn safari_offer_gets_h264_first() {
    let mut n = negotiator(12);
    n.set_remote_sdp(SdpType::Offer, &data("safari_offer.sdp"))
        .unwrap();
    let answer = n.create_answer().unwrap();
    assert_eq!(answer.groups().next().unwrap().mids, ["0", "1"]);
    // Constrained High (96) and H.265 (102) are not ours: Constrained Baseline 98 leads.
    assert_eq!(answer.media[1].formats, ["98", "99", "100", "101"]);
    let h264 = &answer.media[1].codecs()[0];
    assert_eq!(h264.name, "H264");
    assert_eq!(h264.parameters.get("profile-level-id"), Some("42e01f"));
    assert_eq!(answer.media[0].formats, ["111", "0", "8", "110", "126"]);
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    let video = r.media("1").unwrap();
    assert_eq!(video.codecs[0].name, "H264");
    assert_eq!(video.codecs[0].payload_type, 98);
    assert_eq!(video.codecs[0].rtx_payload_type, Some(99));
    assert_eq!(video.codecs[1].name, "VP8");
    assert!(r.sctp.is_none());
}
