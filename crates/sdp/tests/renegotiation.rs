//! Two of our negotiators renegotiate: tracks and a data channel added later, a stopped
//! transceiver's section rejected and then recycled, mids, payload types and extension ids
//! stable, the DTLS role kept.

mod support;

use rtcweb_sdp::{Direction, DtlsRole, Event, MediaKind, SdpType, SignalingState};
use support::{exchange, mids, negotiator, track};

#[test]
fn sections_are_added_rejected_and_recycled_with_stable_mids() {
    let mut a = negotiator(21);
    let mut b = negotiator(22);
    let a_audio = a
        .add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a-audio"))
        .unwrap();
    assert_eq!(a.poll_event(), Some(Event::NegotiationNeeded));
    let b_audio = b
        .add_transceiver(MediaKind::Audio, Direction::SendRecv, track("b-audio"))
        .unwrap();

    // 1. Audio only.
    let (ra, rb) = exchange(&mut a, &mut b);
    assert_eq!(ra.media.len(), 1);
    assert_eq!(b.transceiver(b_audio).unwrap().mid(), Some("0"));
    assert_eq!(ra.media[0].direction, Direction::SendRecv);
    assert_eq!(
        rb.media[0].remote_streams[0].ssrc,
        a.transceiver(a_audio).unwrap().ssrc()
    );
    assert_eq!(a.dtls_role(), Some(DtlsRole::Server));
    assert_eq!(b.dtls_role(), Some(DtlsRole::Client));
    let opus_pt = ra.media[0].codecs[0].payload_type;

    // 2. A adds video: mid 0 stays, video gets mid 1.
    a.add_transceiver(MediaKind::Video, Direction::SendRecv, track("a-video"))
        .unwrap();
    assert!(std::iter::from_fn(|| a.poll_event()).any(|e| e == Event::NegotiationNeeded));
    let (ra, rb) = exchange(&mut a, &mut b);
    assert_eq!(mids(a.current_local_description().unwrap()), ["0", "1"]);
    assert_eq!(ra.media[0].codecs[0].payload_type, opus_pt);
    assert_eq!(
        rb.media[1].direction,
        Direction::RecvOnly,
        "B has no video track"
    );
    assert_eq!(ra.media[1].direction, Direction::SendOnly);
    let video_ids: Vec<u16> = ra.media[1].extensions.iter().map(|e| e.id).collect();

    // 3. B adds a data channel and offers: B's offer keeps A's mids, data gets a new one.
    b.add_data_channel().unwrap();
    let (rb, ra) = exchange(&mut b, &mut a);
    assert_eq!(
        mids(b.current_local_description().unwrap()),
        ["0", "1", "2"]
    );
    assert_eq!(rb.sctp.as_ref().unwrap().mid, "2");
    assert!(ra.sctp.is_some());
    // The answerer (A) keeps its DTLS role: server, so it answers passive.
    assert_eq!(ra.transport.as_ref().unwrap().dtls.role, DtlsRole::Server);
    assert_eq!(rb.transport.as_ref().unwrap().dtls.role, DtlsRole::Client);
    assert_eq!(ra.media[0].codecs[0].payload_type, opus_pt);
    let ids: Vec<u16> = ra.media[1].extensions.iter().map(|e| e.id).collect();
    assert_eq!(ids, video_ids, "extension ids stay");

    // 4. A stops its audio: the section is rejected with port 0, mids unchanged.
    a.stop_transceiver(a_audio).unwrap();
    let (ra, rb) = exchange(&mut a, &mut b);
    let local = a.current_local_description().unwrap();
    assert_eq!(mids(local), ["0", "1", "2"]);
    assert_eq!(local.media[0].port, 0);
    assert_eq!(ra.rejected, ["0"]);
    assert_eq!(rb.rejected, ["0"]);
    assert!(b.transceiver(b_audio).unwrap().is_stopped());
    assert_eq!(ra.media.len(), 1);

    // 5. A adds another video track: it recycles section 0 with a fresh mid.
    let a_video2 = a
        .add_transceiver(MediaKind::Video, Direction::SendOnly, track("a-video-2"))
        .unwrap();
    let (ra, rb) = exchange(&mut a, &mut b);
    let local = a.current_local_description().unwrap();
    assert_eq!(local.media.len(), 3, "recycled, not appended");
    let new_mid = local.media[0].mid().unwrap().to_owned();
    assert!(!["0", "1", "2"].contains(&new_mid.as_str()));
    assert_eq!(mids(local)[1..], ["1", "2"]);
    assert_eq!(local.media[0].kind, MediaKind::Video);
    assert_eq!(
        a.transceiver(a_video2).unwrap().mid(),
        Some(new_mid.as_str())
    );
    assert_eq!(a.transceiver(a_audio).unwrap().mid(), None);
    assert_eq!(ra.media.len(), 2);
    assert_eq!(rb.media(&new_mid).unwrap().direction, Direction::RecvOnly);
    assert!(rb.rejected.is_empty());
    assert_eq!(a.state(), SignalingState::Stable);
    assert_eq!(b.state(), SignalingState::Stable);
}

#[test]
fn direction_change_needs_negotiation_and_is_answered() {
    let mut a = negotiator(23);
    let mut b = negotiator(24);
    let t = a
        .add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    b.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("b"))
        .unwrap();
    exchange(&mut a, &mut b);
    while a.poll_event().is_some() {}
    a.set_direction(t, Direction::RecvOnly).unwrap();
    assert_eq!(a.poll_event(), Some(Event::NegotiationNeeded));
    let (ra, rb) = exchange(&mut a, &mut b);
    assert_eq!(ra.media[0].direction, Direction::RecvOnly);
    assert_eq!(rb.media[0].direction, Direction::SendOnly);
    assert!(ra.media[0].local_streams.is_empty());
    assert_eq!(rb.media[0].local_streams.len(), 1);
}

#[test]
fn session_version_increments_and_session_id_stays() {
    let mut a = negotiator(25);
    let mut b = negotiator(26);
    a.add_data_channel().unwrap();
    exchange(&mut a, &mut b);
    let first = a.current_local_description().unwrap().origin.clone();
    a.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("x"))
        .unwrap();
    exchange(&mut a, &mut b);
    let second = a.current_local_description().unwrap().origin.clone();
    assert_eq!(first.sess_id, second.sess_id);
    assert_eq!(second.sess_version, first.sess_version + 1);
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(offer.origin.sess_version, second.sess_version + 1);
}

/// Every payload type and every extension id has one meaning across the bundled sections of
/// `d` (one RTP session, RFC 8843 §9.1.1).
fn assert_one_meaning_per_number(d: &rtcweb_sdp::SessionDescription) {
    let mut pts: Vec<(u8, String, u32)> = Vec::new();
    let mut ids: Vec<(u16, String)> = Vec::new();
    for m in d.media.iter().filter(|m| !m.is_rejected()) {
        for c in m.codecs() {
            let meaning = (c.payload_type, c.name.to_ascii_lowercase(), c.clock_rate);
            match pts.iter().find(|p| p.0 == c.payload_type) {
                Some(p) => assert_eq!(p, &meaning, "payload type {}", c.payload_type),
                None => pts.push(meaning),
            }
        }
        for e in m.extmaps() {
            match ids.iter().find(|(id, _)| *id == e.id) {
                Some((_, uri)) => assert_eq!(uri, &e.uri, "extension id {}", e.id),
                None => ids.push((e.id, e.uri.clone())),
            }
        }
    }
}

#[test]
fn a_section_added_after_answering_firefox_reuses_its_numbers() {
    let mut n = negotiator(27);
    n.set_remote_sdp(SdpType::Offer, &support::data("firefox_offer.sdp"))
        .unwrap();
    let answer = n.create_answer().unwrap();
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let v = n
        .add_transceiver(MediaKind::Video, Direction::SendOnly, track("v2"))
        .unwrap();
    let offer = n.create_offer().unwrap();
    assert_eq!(mids(&offer), ["0", "1", "2", "3"]);
    let new = &offer.media[3];
    // Firefox's numbers for VP8, VP9 and H.264 with their RTX, and its extension ids for the
    // mid (3), transport-cc (7) and abs-send-time (4): the video extensions we offer.
    assert_eq!(new.formats, ["120", "124", "121", "125", "126", "127"]);
    let ids: Vec<u16> = new.extmaps().map(|e| e.id).collect();
    assert_eq!(ids, [3, 7, 4]);
    assert_one_meaning_per_number(&offer);
    offer.validate().unwrap();
    n.set_local_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(n.transceiver(v).unwrap().mid(), Some("3"));
}

#[test]
fn a_new_section_never_reuses_a_payload_type_of_another_codec() {
    // Firefox offering audio only: Opus at 109, which our H.264 RTX uses in a first offer.
    let mut audio_only =
        rtcweb_sdp::SessionDescription::parse(&support::data("firefox_offer.sdp")).unwrap();
    audio_only.media.truncate(1);
    audio_only.retain(|a| !matches!(a, rtcweb_sdp::Attribute::Group(_)));
    audio_only.push(rtcweb_sdp::Attribute::Group(rtcweb_sdp::Group::bundle([
        "0",
    ])));
    let mut n = negotiator(28);
    n.set_remote_sdp(SdpType::Offer, &audio_only.to_string())
        .unwrap();
    let answer = n.create_answer().unwrap();
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    n.add_transceiver(MediaKind::Video, Direction::SendRecv, track("v"))
        .unwrap();
    let offer = n.create_offer().unwrap();
    assert_eq!(offer.media[0].formats, ["109", "0", "8", "101"]);
    let video = offer.media[1].codecs();
    let pts: Vec<(u8, &str)> = video
        .iter()
        .map(|c| (c.payload_type, c.name.as_str()))
        .collect();
    assert_eq!(
        pts,
        [
            (96, "VP8"),
            (97, "rtx"),
            (98, "VP9"),
            (99, "rtx"),
            (108, "H264"),
            (100, "rtx")
        ]
    );
    assert_eq!(video[5].apt(), Some(108), "RTX follows its primary");
    assert_one_meaning_per_number(&offer);

    // Another negotiator of ours accepts it and the exchange completes.
    let mut peer = negotiator(29);
    peer.set_remote_sdp(SdpType::Offer, &offer.to_string())
        .unwrap();
    n.set_local_description(SdpType::Offer, &offer).unwrap();
    let reply = peer.create_answer().unwrap();
    peer.set_local_description(SdpType::Answer, &reply).unwrap();
    n.set_remote_sdp(SdpType::Answer, &reply.to_string())
        .unwrap();
    let r = support::negotiated(&mut n).unwrap();
    let video = r.media("1").unwrap();
    assert_eq!(video.codecs[2].name, "H264");
    assert_eq!(video.codecs[2].rtx_payload_type, Some(100));
}
