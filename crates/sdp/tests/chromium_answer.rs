//! Our answer to Chromium's real offer (`offer_audio_video_datachannel.sdp`): Opus 111, VP8
//! 96 with RTX 97, the extension ids we support, one BUNDLE group, our fingerprint,
//! `setup:active`, and the data channel with a max-message-size.

mod support;

use rtcweb_sdp::{
    Attribute, Direction, DtlsRole, LocalTrack, MediaKind, SdpType, SessionDescription, Setup,
    SignalingState, extmap::uri,
};
use support::{config, fixture, negotiated, negotiator};

fn chromium_offer() -> SessionDescription {
    SessionDescription::parse(&fixture("offer_audio_video_datachannel.sdp")).unwrap()
}

#[test]
fn answer_picks_opus_vp8_rtx_and_bundles_everything() {
    let mut n = negotiator(1);
    n.set_remote_description(SdpType::Offer, chromium_offer())
        .unwrap();
    assert_eq!(n.state(), SignalingState::HaveRemoteOffer);
    let answer = n.create_answer().unwrap();

    let bundle: Vec<_> = answer.groups().collect();
    assert_eq!(bundle.len(), 1);
    assert!(bundle[0].is_bundle());
    assert_eq!(bundle[0].mids, ["0", "1", "2"]);
    assert!(answer.has(&Attribute::ExtmapAllowMixed));

    let [audio, video, data] = &answer.media[..] else {
        panic!("three sections expected");
    };
    // Audio: Opus at the offerer's 111, then the G.711 and telephone events the offer
    // lists.
    assert_eq!(audio.formats, ["111", "0", "8", "110", "126"]);
    let opus = &audio.codecs()[0];
    assert_eq!((opus.payload_type, opus.name.as_str()), (111, "opus"));
    assert_eq!((opus.clock_rate, opus.channels), (48000, Some(2)));
    assert!(opus.parameters.flag("useinbandfec"));
    // Video, in the offer's order: VP8 96 with its RTX 97 first, then H.264 Constrained
    // Baseline 108/109, then VP9 profile 0 at 98/99 (profile 2 at 100 is not ours).
    assert_eq!(video.formats, ["96", "97", "108", "109", "98", "99"]);
    let codecs = video.codecs();
    assert_eq!(
        (codecs[0].payload_type, codecs[0].name.as_str()),
        (96, "VP8")
    );
    assert!(codecs[1].is_rtx());
    assert_eq!((codecs[1].payload_type, codecs[1].apt()), (97, Some(96)));
    assert_eq!(codecs[2].parameters.get("profile-level-id"), Some("42e01f"));
    assert_eq!(codecs[2].parameters.get("packetization-mode"), Some("1"));
    // Feedback is what both support and we act on.
    let fb: Vec<String> = codecs[0].feedback.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        fb,
        ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]
    );

    // Extensions: the supported ones, with the offerer's ids.
    let ids = |m: &rtcweb_sdp::MediaSection| {
        m.extmaps()
            .map(|e| (e.id, e.uri.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(audio),
        [
            (1, uri::AUDIO_LEVEL.to_owned()),
            (2, uri::ABS_SEND_TIME.to_owned()),
            (3, uri::TRANSPORT_CC.to_owned()),
            (4, uri::MID.to_owned())
        ]
    );
    assert_eq!(
        ids(video),
        [
            (2, uri::ABS_SEND_TIME.to_owned()),
            (3, uri::TRANSPORT_CC.to_owned()),
            (4, uri::MID.to_owned())
        ]
    );

    // Transport: our fingerprint and setup:active everywhere, rtcp-mux, one set of
    // credentials.
    for (i, m) in answer.media.iter().enumerate() {
        assert_eq!(answer.fingerprints(i), [&config(1).fingerprints[0]]);
        assert_eq!(m.setup(), Some(Setup::Active));
        assert_eq!(
            answer.ice_credentials(i).unwrap().0,
            n.local_credentials().ufrag
        );
        assert_eq!(m.port, 9);
    }
    assert!(audio.has(&Attribute::RtcpMux) && video.has(&Attribute::RtcpRsize));

    // No track of ours: we receive only.
    assert_eq!(audio.direction(), Some(Direction::RecvOnly));
    assert_eq!(audio.ssrcs().count(), 0);

    // Data channel accepted with our SCTP port and max-message-size.
    assert!(data.is_data_channel());
    assert_eq!(data.sctp_port(), Some(5000));
    assert_eq!(data.max_message_size(), Some(262_144));

    // What we write parses back to the same description, and is self-consistent.
    let text = answer.to_string();
    assert_eq!(SessionDescription::parse(&text).unwrap(), answer);
    answer.validate().unwrap();
}

#[test]
fn applying_the_answer_reports_what_the_transports_need() {
    let mut n = negotiator(2);
    n.set_remote_description(SdpType::Offer, chromium_offer())
        .unwrap();
    let answer = n.create_answer().unwrap();
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    assert_eq!(n.state(), SignalingState::Stable);
    let r = negotiated(&mut n).expect("a Negotiated event");
    assert!(!r.provisional);

    let t = r.transport.as_ref().unwrap();
    assert_eq!(t.mid, "0");
    assert_eq!(t.bundle, ["0", "1", "2"]);
    assert_eq!(t.ice.remote.ufrag, "9HDN");
    assert_eq!(t.ice.remote.pwd, "YEMqi0e8acSmLT4YD6QTGmq3");
    assert_eq!(&t.ice.local, n.local_credentials());
    // The tagged section's candidates: UDP on 49933 and Chromium's TCP active one.
    let ports: Vec<u16> = t.ice.remote_candidates.iter().map(|c| c.port).collect();
    assert_eq!(ports, [49933, 9]);
    assert!(!t.ice.controlling, "the offerer controls");
    assert!(t.ice.remote_trickle && !t.ice.restart);
    assert_eq!(t.dtls.role, DtlsRole::Client);
    assert_eq!(n.dtls_role(), Some(DtlsRole::Client));
    assert_eq!(t.dtls.remote_fingerprints.len(), 1);
    assert_eq!(t.dtls.remote_fingerprints[0].value[0], 0x74);
    assert_eq!(t.dtls.local_fingerprints, config(2).fingerprints);

    let sctp = r.sctp.as_ref().unwrap();
    assert_eq!((sctp.mid.as_str(), sctp.remote_port), ("2", 5000));
    assert_eq!(sctp.remote_max_message_size, 262_144);
    assert_eq!(sctp.local_max_message_size, 262_144);

    let audio = r.media("0").unwrap();
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(audio.codecs[0].payload_type, 111);
    assert!(audio.codecs[0].remote_parameters.flag("useinbandfec"));
    assert_eq!(audio.remote_streams[0].ssrc, 2_668_571_040);
    assert_eq!(
        audio.remote_streams[0].cname.as_deref(),
        Some("wIFGr1eKsqVA6o5q")
    );
    assert_eq!(
        audio.extensions.len(),
        4,
        "audio level, abs-send-time, transport-cc, mid"
    );
    assert!(audio.local_streams.is_empty());

    let video = r.media("1").unwrap();
    assert_eq!(video.codecs[0].name, "VP8");
    assert_eq!(video.codecs[0].rtx_payload_type, Some(97));
    assert_eq!(video.codecs[1].rtx_payload_type, Some(109));
    assert_eq!(video.remote_streams.len(), 1);
    assert_eq!(video.remote_streams[0].ssrc, 1_516_034_624);
    assert_eq!(video.remote_streams[0].rtx_ssrc, Some(123_868_265));
    assert!(video.rtcp_rsize && video.extmap_allow_mixed);
    assert_eq!(
        video.remote_msid.as_ref().unwrap().stream,
        "fcd49060-b52a-4fbe-9a4c-4e9a8c247b2e"
    );
    assert!(r.rejected.is_empty());
}

#[test]
fn a_local_track_is_sent_back_with_ssrcs_and_msid() {
    let mut n = negotiator(3);
    let track = LocalTrack {
        stream_id: "s".into(),
        track_id: "t".into(),
    };
    let id = n
        .add_transceiver(MediaKind::Video, Direction::SendRecv, Some(track))
        .unwrap();
    n.set_remote_description(SdpType::Offer, chromium_offer())
        .unwrap();
    assert_eq!(n.transceiver(id).unwrap().mid(), Some("1"));
    let answer = n.create_answer().unwrap();
    let video = &answer.media[1];
    assert_eq!(video.direction(), Some(Direction::SendRecv));
    assert_eq!(video.msid().unwrap().track.as_deref(), Some("t"));
    let t = n.transceiver(id).unwrap().clone();
    let group: Vec<_> = video.ssrc_groups().collect();
    assert_eq!(group[0].ssrcs, [t.ssrc(), t.rtx_ssrc()]);
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    let local = r.media("1").unwrap().local_streams[0];
    assert_eq!((local.ssrc, local.rtx_ssrc), (t.ssrc(), Some(t.rtx_ssrc())));
    assert_eq!(
        n.transceiver(id).unwrap().current_direction(),
        Some(Direction::SendRecv)
    );
}

#[test]
fn passive_role_is_configurable() {
    let mut c = config(4);
    c.answerer_role = DtlsRole::Server;
    let mut n = rtcweb_sdp::Negotiator::new(c).unwrap();
    n.set_remote_description(SdpType::Offer, chromium_offer())
        .unwrap();
    let answer = n.create_answer().unwrap();
    assert!(
        answer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::Passive))
    );
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    assert_eq!(n.dtls_role(), Some(DtlsRole::Server));
}

#[test]
fn aiortc_offer_keeps_its_payload_types() {
    let mut n = negotiator(5);
    n.add_transceiver(
        MediaKind::Video,
        Direction::SendRecv,
        Some(LocalTrack {
            stream_id: "s".into(),
            track_id: "v".into(),
        }),
    )
    .unwrap();
    n.set_remote_sdp(SdpType::Offer, &fixture("offer_aiortc.sdp"))
        .unwrap();
    let answer = n.create_answer().unwrap();
    // aiortc: Opus at 96, VP8 at 97 with RTX 98; its video is recvonly, so we send only.
    assert_eq!(answer.media[0].formats, ["96", "0", "8"]);
    assert_eq!(answer.media[1].formats, ["97", "98", "101", "102"]);
    assert_eq!(answer.media[1].direction(), Some(Direction::SendOnly));
    assert_eq!(answer.media[0].direction(), Some(Direction::RecvOnly));
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    let t = r.transport.clone().unwrap();
    assert_eq!(t.ice.remote_candidates.len(), 1);
    assert!(t.ice.remote_end_of_candidates);
    assert_eq!(
        t.dtls.remote_fingerprints.len(),
        3,
        "sha-256, sha-384, sha-512"
    );
}
