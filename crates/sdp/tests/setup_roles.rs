//! DTLS roles from `a=setup` (RFC 8842 §5) and ICE roles (RFC 8445 §6.1.1) against offers
//! that do not say `actpass`, or come from an ICE-lite agent.

mod support;

use rtcweb_sdp::{DtlsRole, Error, SdpType, Setup, SignalingState};
use support::{config, fixture, negotiated, negotiator};

fn chromium_offer_with(setup: &str) -> String {
    fixture("offer_audio_video_datachannel.sdp").replace("a=setup:actpass", setup)
}

#[test]
fn an_active_offerer_gets_a_passive_answer() {
    let mut n = negotiator(101);
    n.set_remote_sdp(SdpType::Offer, &chromium_offer_with("a=setup:active"))
        .unwrap();
    let answer = n.create_answer().unwrap();
    assert!(
        answer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::Passive))
    );
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let t = negotiated(&mut n).unwrap().transport.unwrap();
    assert_eq!(t.dtls.role, DtlsRole::Server, "the offerer connects");
}

#[test]
fn a_passive_offerer_gets_an_active_answer_whatever_the_configuration() {
    let mut c = config(102);
    c.answerer_role = DtlsRole::Server;
    let mut n = rtcweb_sdp::Negotiator::new(c).unwrap();
    n.set_remote_sdp(SdpType::Offer, &chromium_offer_with("a=setup:passive"))
        .unwrap();
    let answer = n.create_answer().unwrap();
    assert!(
        answer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::Active))
    );
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    assert_eq!(n.dtls_role(), Some(DtlsRole::Client));
}

#[test]
fn holdconn_is_refused_and_changes_nothing() {
    let mut n = negotiator(103);
    let before = n.clone();
    assert_eq!(
        n.set_remote_sdp(SdpType::Offer, &chromium_offer_with("a=setup:holdconn")),
        Err(Error::InvalidSetup("holdconn"))
    );
    assert_eq!(n, before);
    assert_eq!(n.state(), SignalingState::Stable);
}

#[test]
fn an_ice_lite_offerer_leaves_us_controlling() {
    let text = fixture("offer_audio_video_datachannel.sdp")
        .replace("t=0 0\r\n", "t=0 0\r\na=ice-lite\r\n");
    let mut n = negotiator(104);
    n.set_remote_sdp(SdpType::Offer, &text).unwrap();
    assert!(n.remote_description().unwrap().ice_lite());
    let answer = n.create_answer().unwrap();
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let t = negotiated(&mut n).unwrap().transport.unwrap();
    assert!(t.ice.remote_lite);
    assert!(
        t.ice.controlling,
        "a full agent controls against a lite one"
    );
    assert_eq!(t.dtls.role, DtlsRole::Client);
}

#[test]
fn the_offerer_learns_its_role_from_the_answer() {
    let mut a = negotiator(105);
    let mut b = negotiator(106);
    a.add_data_channel().unwrap();
    let (ra, rb) = support::exchange(&mut a, &mut b);
    let (ta, tb) = (ra.transport.unwrap(), rb.transport.unwrap());
    assert_eq!(
        (ta.dtls.role, tb.dtls.role),
        (DtlsRole::Server, DtlsRole::Client)
    );
    assert!(ta.ice.controlling && !tb.ice.controlling);
    // Each side checks the other's certificate against the fingerprint it was given.
    assert_eq!(ta.dtls.remote_fingerprints, tb.dtls.local_fingerprints);
    assert_eq!(tb.dtls.remote_fingerprints, ta.dtls.local_fingerprints);
}
