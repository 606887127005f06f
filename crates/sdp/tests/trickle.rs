//! Trickle ICE (RFC 8838, RFC 8840): Chromium's offer before gathering (no candidates, port
//! 9) is answered, its candidates trickle in afterwards and are checked against the remote
//! description; our own candidates go into the descriptions we write, with the default
//! candidate on the `m=` and `c=` lines and `a=end-of-candidates` once gathering is done.

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rtcweb_sdp::{
    Attribute, Candidate, Direction, Error, MediaKind, SdpType, SessionDescription, SignalingState,
};
use support::{exchange, fixture, negotiated, negotiator, track};

/// The first `a=candidate` of each section of Chromium's offer after gathering: what
/// Chromium trickles when it does not wait for gathering to complete.
fn chromium_candidates() -> Vec<(String, Candidate)> {
    let gathered =
        SessionDescription::parse(&fixture("offer_audio_video_datachannel.sdp")).unwrap();
    gathered
        .media
        .iter()
        .map(|m| {
            let c = m.candidates().next().expect("a gathered candidate");
            (m.mid().unwrap().to_owned(), c.clone())
        })
        .collect()
}

fn host(last: u8, port: u16) -> Candidate {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), port);
    Candidate::new(rtcweb_ice::CandidateKind::Host, "1", 2_122_260_223, addr)
}

#[test]
fn chromium_offer_before_gathering_then_trickled_candidates() {
    let text = fixture("offer_audio_video_datachannel_before_gathering.sdp");
    let offer = SessionDescription::parse(&text).unwrap();
    assert!(offer.media.iter().all(|m| m.port == 9));
    assert!(offer.media.iter().all(|m| m.candidates().count() == 0));
    assert!(offer.ice_options(0).unwrap().trickle());

    let mut n = negotiator(81);
    n.set_remote_sdp(SdpType::Offer, &text).unwrap();
    // Before any remote candidate: a candidate for a mid the offer lacks is refused.
    let before = n.clone();
    let (_, first) = chromium_candidates().remove(0);
    assert_eq!(
        n.add_remote_candidate("7", first.clone()),
        Err(Error::CandidateMismatch)
    );
    assert_eq!(n, before, "a refused candidate changes nothing");

    let answer = n.create_answer().unwrap();
    assert_eq!(answer.groups().next().unwrap().mids, ["0", "1", "2"]);
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let r = negotiated(&mut n).unwrap();
    let t = r.transport.unwrap();
    assert!(t.ice.remote_candidates.is_empty());
    assert!(!t.ice.remote_end_of_candidates);
    assert!(t.ice.remote_trickle);
    assert_eq!(t.ice.remote.ufrag, "9HDN");

    // Chromium's candidates trickle in, one per section: each is recorded in the remote
    // description of the section it names.
    for (mid, c) in chromium_candidates() {
        n.add_remote_candidate(&mid, c.clone()).unwrap();
        let remote = n.remote_description().unwrap();
        let (_, section) = remote.media_by_mid(&mid).unwrap();
        assert_eq!(section.candidates().collect::<Vec<_>>(), [&c]);
    }
    assert_eq!(n.state(), SignalingState::Stable);
    // The remote description with its trickled candidates still writes and parses back.
    let remote = n.remote_description().unwrap().clone();
    assert_eq!(
        SessionDescription::parse(&remote.to_string()).unwrap(),
        remote
    );
}

#[test]
fn candidates_of_another_ice_generation_are_refused() {
    let mut n = negotiator(82);
    n.set_remote_sdp(
        SdpType::Offer,
        &fixture("offer_audio_video_datachannel_before_gathering.sdp"),
    )
    .unwrap();
    let (mid, mut c) = chromium_candidates().remove(0);
    c.ufrag = Some("old1".into());
    let before = n.clone();
    assert_eq!(
        n.add_remote_candidate(&mid, c.clone()),
        Err(Error::CandidateMismatch)
    );
    assert_eq!(n, before);
    // The current generation's ufrag is accepted.
    c.ufrag = Some("9HDN".into());
    n.add_remote_candidate(&mid, c).unwrap();
    n.close();
    let (mid, c) = chromium_candidates().remove(1);
    assert!(matches!(
        n.add_remote_candidate(&mid, c),
        Err(Error::WrongState { .. })
    ));
}

#[test]
fn our_candidates_go_into_our_descriptions() {
    let mut a = negotiator(83);
    let mut b = negotiator(84);
    a.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    a.add_data_channel().unwrap();
    a.add_local_candidate(host(1, 40_000)).unwrap();
    a.end_of_local_candidates();
    let offer = a.create_offer().unwrap();
    for m in &offer.media {
        // RFC 8840 §4.1.1: the default candidate goes on the m= and c= lines.
        assert_eq!(m.port, 40_000);
        assert_eq!(
            m.connections[0].connection_address, "192.0.2.1",
            "c= line of the default candidate"
        );
        assert_eq!(m.candidates().count(), 1);
        assert!(m.has(&Attribute::EndOfCandidates));
    }
    // Through text, as signalling carries it: the answerer sees the candidate.
    let (_, rb) = exchange(&mut a, &mut b);
    let t = rb.transport.unwrap();
    assert_eq!(t.ice.remote_candidates, [host(1, 40_000)]);
    assert!(t.ice.remote_end_of_candidates);

    // A candidate gathered later is added to the local description in force.
    a.add_local_candidate(host(2, 40_002)).unwrap();
    let local = a.local_description().unwrap();
    for m in local.media.iter().filter(|m| !m.is_rejected()) {
        let ports: Vec<u16> = m.candidates().map(|c| c.port).collect();
        assert_eq!(ports, [40_000, 40_002]);
    }
    // And the next offer carries both.
    let next = a.create_offer().unwrap();
    assert_eq!(next.media[0].candidates().count(), 2);
}

#[test]
fn gathering_that_completes_after_the_description_updates_it() {
    let mut a = negotiator(85);
    a.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    a.add_data_channel().unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(a.local_description().unwrap().media[0].port, 9);
    a.add_local_candidate(host(1, 40_000)).unwrap();
    a.end_of_local_candidates();
    // What a peer that does not trickle reads when we send the description in force now.
    let text = a.local_description().unwrap().to_string();
    let local = SessionDescription::parse(&text).unwrap();
    for m in &local.media {
        assert_eq!(m.port, 40_000, "{text}");
        assert_eq!(m.connections[0].connection_address, "192.0.2.1");
        assert_eq!(m.candidates().count(), 1);
        assert!(m.has(&Attribute::EndOfCandidates));
    }
}

#[test]
fn an_ice_restart_drops_our_old_candidates() {
    let mut a = negotiator(85);
    let mut b = negotiator(86);
    a.add_data_channel().unwrap();
    a.add_local_candidate(host(1, 40_000)).unwrap();
    a.end_of_local_candidates();
    exchange(&mut a, &mut b);
    a.restart_ice(None).unwrap();
    let offer = a.create_offer().unwrap();
    let m = &offer.media[0];
    assert_eq!(m.candidates().count(), 0, "gathering starts again");
    assert!(!m.has(&Attribute::EndOfCandidates));
    assert_eq!(m.port, 9, "no default candidate yet");
}
