//! Simulcast offered to us, with rids (RFC 8851, RFC 8853) and in the legacy form of an
//! `a=ssrc-group:SIM` (RFC 5576 §4.2): parsed, carried into the answer and the negotiation.

mod support;

use rtcweb_sdp::{
    Attribute, Rid, RidDirection, SdpType, SessionDescription, Simulcast, SimulcastStream,
};
use support::{fixture, negotiated, negotiator};

/// The SSRC lines of the video section of Chromium's offer.
const VIDEO_SSRCS: &str = "a=ssrc-group:FID 1516034624 123868265\r\n\
a=ssrc:1516034624 cname:wIFGr1eKsqVA6o5q\r\n\
a=ssrc:1516034624 msid:fcd49060-b52a-4fbe-9a4c-4e9a8c247b2e c3481c42-c04e-4c52-839e-bcaeab8daccb\r\n\
a=ssrc:123868265 cname:wIFGr1eKsqVA6o5q\r\n\
a=ssrc:123868265 msid:fcd49060-b52a-4fbe-9a4c-4e9a8c247b2e c3481c42-c04e-4c52-839e-bcaeab8daccb\r\n";

fn chromium_offer_with_video(lines: &str) -> String {
    let offer = fixture("offer_audio_video_datachannel.sdp");
    assert!(offer.contains(VIDEO_SSRCS));
    offer.replace(VIDEO_SSRCS, lines)
}

fn stream(rid: &str, paused: bool) -> SimulcastStream {
    SimulcastStream {
        rid: rid.into(),
        paused,
    }
}

#[test]
fn rid_simulcast_is_received_for_the_codecs_we_accept() {
    // Three layers; `l` may only use AV1 (45), which we do not receive; `q` is a stream the
    // offerer wants to receive, and we do not send simulcast.
    let text = chromium_offer_with_video(
        "a=rid:h send pt=96;max-width=1280;max-height=720\r\n\
         a=rid:m send pt=96,108\r\n\
         a=rid:l send pt=45\r\n\
         a=rid:q recv\r\n\
         a=simulcast:send h;m;~l recv q\r\n",
    );
    let offer = SessionDescription::parse(&text).unwrap();
    assert_eq!(offer.to_string(), text, "round-trips byte for byte");
    let video = &offer.media[1];
    let h = video.rids().next().unwrap();
    assert_eq!(h.payload_types, [96]);
    assert_eq!(
        h.restrictions,
        [
            ("max-width".to_owned(), Some("1280".to_owned())),
            ("max-height".to_owned(), Some("720".to_owned()))
        ]
    );
    let sim = video.simulcast().unwrap();
    assert_eq!(
        sim.send,
        [
            vec![stream("h", false)],
            vec![stream("m", false)],
            vec![stream("l", true)]
        ]
    );
    assert_eq!(sim.recv, [vec![stream("q", false)]]);

    let mut n = negotiator(111);
    n.set_remote_description(SdpType::Offer, offer).unwrap();
    let answer = n.create_answer().unwrap();
    let v = &answer.media[1];
    let mut h = Rid::new("h", RidDirection::Recv);
    h.payload_types = vec![96];
    let mut m = Rid::new("m", RidDirection::Recv);
    m.payload_types = vec![96, 108];
    assert_eq!(v.rids().cloned().collect::<Vec<_>>(), [h, m]);
    assert_eq!(
        v.simulcast(),
        Some(&Simulcast {
            send: Vec::new(),
            recv: vec![vec![stream("h", false)], vec![stream("m", false)]],
        })
    );
    assert_eq!(
        SessionDescription::parse(&answer.to_string()).unwrap(),
        answer
    );

    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    let video = r.media("1").unwrap();
    let ids: Vec<&str> = video.remote_rids.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["h", "m", "l", "q"]);
    assert_eq!(video.remote_simulcast.as_ref().unwrap().send.len(), 3);
    assert!(video.remote_streams.is_empty(), "rids, no SSRCs announced");
}

#[test]
fn an_offer_without_a_usable_layer_gets_no_simulcast() {
    let text = chromium_offer_with_video("a=rid:l send pt=45\r\na=simulcast:send l\r\n");
    let mut n = negotiator(112);
    n.set_remote_sdp(SdpType::Offer, &text).unwrap();
    let answer = n.create_answer().unwrap();
    let v = &answer.media[1];
    assert_eq!(v.rids().count(), 0);
    assert!(v.simulcast().is_none());
    assert_ne!(v.port, 0, "the section itself is accepted");
}

#[test]
fn legacy_sim_groups_announce_three_streams_with_rtx() {
    let text = chromium_offer_with_video(
        "a=ssrc-group:SIM 10 20 30\r\n\
         a=ssrc-group:FID 10 11\r\n\
         a=ssrc-group:FID 20 21\r\n\
         a=ssrc-group:FID 30 31\r\n\
         a=ssrc:10 cname:c\r\na=ssrc:11 cname:c\r\n\
         a=ssrc:20 cname:c\r\na=ssrc:21 cname:c\r\n\
         a=ssrc:30 cname:c\r\na=ssrc:31 cname:c\r\n",
    );
    let offer = SessionDescription::parse(&text).unwrap();
    assert_eq!(offer.to_string(), text);
    let groups: Vec<_> = offer.media[1].ssrc_groups().collect();
    assert_eq!(groups[0].semantics, "SIM");
    assert_eq!(groups[0].ssrcs, [10, 20, 30]);
    assert!(offer.media[1].attributes().any(
        |a| matches!(a, Attribute::SsrcGroup(g) if g.semantics == "FID" && g.ssrcs == [30, 31])
    ));

    let mut n = negotiator(113);
    n.set_remote_description(SdpType::Offer, offer).unwrap();
    let answer = n.create_answer().unwrap();
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    let streams: Vec<(u32, Option<u32>)> = r
        .media("1")
        .unwrap()
        .remote_streams
        .iter()
        .map(|s| (s.ssrc, s.rtx_ssrc))
        .collect();
    assert_eq!(streams, [(10, Some(11)), (20, Some(21)), (30, Some(31))]);
}
