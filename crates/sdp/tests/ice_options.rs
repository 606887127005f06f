//! Extra `a=ice-options` tags (RFC 8839 §5.6), as SPED (draft-hancke-webrtc-sped) is
//! negotiated with Chromium 156: written in every offer, answered only when offered, and
//! the peer's tags handed over with the negotiation.

mod support;

use rtcweb_sdp::{IceOption, Negotiator, SdpType};
use support::{config, fixture, negotiated};

fn sped() -> Vec<IceOption> {
    vec![
        IceOption::Other("sped".to_owned()),
        IceOption::Other("googspedv1".to_owned()),
    ]
}

#[test]
fn our_tags_follow_trickle_in_offers() {
    let mut c = config(1);
    c.ice_options = sped();
    let mut n = Negotiator::new(c).unwrap();
    n.add_data_channel().unwrap();
    let offer = n.create_offer().unwrap().to_string();
    assert!(
        offer.contains("a=ice-options:trickle sped googspedv1\r\n"),
        "{offer}"
    );
}

#[test]
fn answers_carry_only_the_tags_the_offer_carried() {
    // Chromium 156 with WebRTC-IceHandshakeDtls offers both; an offer with one gets one
    // back; an offer without gets none, and the negotiation says so.
    for (offered, answered) in [
        ("trickle sped googspedv1", Some("trickle sped googspedv1")),
        ("trickle googspedv1", Some("trickle googspedv1")),
        ("trickle", None),
    ] {
        let offer = fixture("offer_audio_video_datachannel.sdp").replace(
            "a=ice-options:trickle\r\n",
            &format!("a=ice-options:{offered}\r\n"),
        );
        let mut c = config(2);
        c.ice_options = sped();
        let mut n = Negotiator::new(c).unwrap();
        n.set_remote_sdp(SdpType::Offer, &offer).unwrap();
        let answer = n.create_answer().unwrap();
        let text = answer.to_string();
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("a=ice-options:"))
            .unwrap();
        assert_eq!(line, answered.unwrap_or("trickle"), "{offered}");
        n.set_local_description(SdpType::Answer, &answer).unwrap();
        let remote = negotiated(&mut n)
            .unwrap()
            .transport
            .unwrap()
            .ice
            .remote_ice_options;
        let tags: Vec<String> = remote.iter().map(|o| o.as_str().to_owned()).collect();
        assert_eq!(tags.join(" "), offered);
    }
}
