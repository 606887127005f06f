//! The real SDPs of `shared/fixtures/chromium` parse, validate and round-trip byte for byte.

use rtcweb_sdp::{
    Attribute, Direction, HashAlgorithm, IceOption, MediaKind, SessionDescription, Setup,
};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/fixtures/chromium/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const ALL: [&str; 5] = [
    "offer_audio_video_datachannel.sdp",
    "offer_audio_video_datachannel_before_gathering.sdp",
    "answer_aiortc.sdp",
    "offer_aiortc.sdp",
    "answer_chromium.sdp",
];

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    for name in ALL {
        let text = fixture(name);
        let d = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        d.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(d.to_string(), text, "{name}");
        let again = SessionDescription::parse(&d.to_string()).unwrap();
        assert_eq!(again, d, "{name}");
    }
}

#[test]
fn chromium_offer_is_typed() {
    let d = SessionDescription::parse(&fixture("offer_audio_video_datachannel.sdp")).unwrap();
    assert_eq!(d.origin.sess_id, "2352842827400811136");
    assert_eq!(d.groups().next().unwrap().mids, ["0", "1", "2"]);
    assert!(d.has(&Attribute::ExtmapAllowMixed));
    let [audio, video, data] = &d.media[..] else {
        panic!("three sections");
    };
    assert_eq!(
        (&audio.kind, &video.kind, &data.kind),
        (
            &MediaKind::Audio,
            &MediaKind::Video,
            &MediaKind::Application
        )
    );
    assert_eq!(audio.port, 49933);
    assert_eq!(audio.mid(), Some("0"));
    assert_eq!(d.direction(0), Direction::SendRecv);
    assert!(audio.has(&Attribute::RtcpMux) && audio.has(&Attribute::RtcpRsize));
    assert_eq!(audio.ice_ufrag(), Some("9HDN"));
    assert_eq!(audio.ice_options().unwrap().0, [IceOption::Trickle]);
    assert_eq!(audio.candidates().count(), 2);
    assert_eq!(audio.candidates().next().unwrap().generation, Some(0));
    let fp: Vec<_> = audio.fingerprints().collect();
    assert_eq!(fp[0].algorithm, HashAlgorithm::Sha256);
    assert_eq!(audio.setup(), Some(Setup::ActPass));
    let codecs = audio.codecs();
    assert_eq!(codecs.len(), 8);
    assert_eq!(codecs[1].name, "red");
    assert_eq!(codecs[1].parameters.0[0].0, "111/111");
    assert_eq!(audio.extmaps().count(), 4);
    assert_eq!(audio.ssrcs().count(), 2);
    assert_eq!(video.codecs().len(), 23);
    assert_eq!(video.codecs()[1].apt(), Some(96));
    assert_eq!(
        video.ssrc_groups().next().unwrap().ssrcs,
        [1516034624, 123868265]
    );
    assert_eq!(
        video.msid().unwrap().track.as_deref(),
        Some("c3481c42-c04e-4c52-839e-bcaeab8daccb")
    );
    assert!(data.is_data_channel());
    assert_eq!(
        (data.sctp_port(), data.max_message_size()),
        (Some(5000), Some(262144))
    );
    // Attributes we do not model are kept as written.
    assert!(
        audio
            .attributes()
            .any(|a| matches!(a, Attribute::Other { name, value }
        if name == "rtcp-xr" && value.as_deref() == Some("rcvr-rtt=all")))
    );
}

#[test]
fn aiortc_answer_carries_three_fingerprints_and_end_of_candidates() {
    let d = SessionDescription::parse(&fixture("answer_aiortc.sdp")).unwrap();
    let algs: Vec<_> = d
        .fingerprints(0)
        .iter()
        .map(|f| f.algorithm.clone())
        .collect();
    assert_eq!(
        algs,
        [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512
        ]
    );
    assert_eq!(d.setup(1), Some(Setup::Active));
    assert!(d.media[0].has(&Attribute::EndOfCandidates));
    assert_eq!(d.direction(1), Direction::RecvOnly);
}
