//! Refused descriptions and calls: a typed error, and the negotiator exactly as before.

mod support;

use rtcweb_sdp::{
    DescriptionError, Direction, Error, Fault, MediaKind, Negotiator, Operation, ParseError,
    SdpType, SessionDescription, SignalingState,
};
use support::{fixture, negotiator, track};

fn offer() -> String {
    fixture("offer_audio_video_datachannel.sdp")
}

/// Applies `sdp` as a remote description and checks it fails with `want`, changing nothing.
fn refused(n: &mut Negotiator, kind: SdpType, sdp: &str, want: &Error) {
    let before = n.clone();
    let err = n.set_remote_sdp(kind, sdp).unwrap_err();
    assert_eq!(&err, want);
    assert_eq!(n, &before, "state changed by a refused {kind}");
}

#[test]
fn malformed_sdp() {
    let mut n = negotiator(51);
    refused(
        &mut n,
        SdpType::Offer,
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nbroken\r\n",
        &Error::Parse(ParseError::Syntax {
            line: 3,
            reason: "Line not in key=value format",
        }),
    );
    let bad_rtpmap = offer().replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus");
    let err = n.set_remote_sdp(SdpType::Offer, &bad_rtpmap).unwrap_err();
    assert!(matches!(
        err,
        Error::Parse(ParseError::InvalidAttribute {
            attribute: "rtpmap",
            ..
        })
    ));
    assert_eq!(err.fault(), Fault::Remote);
    let bad_candidate = offer().replace(
        "typ host generation 0 network-id 1 network-cost 50\r\na=candidate:1732814077",
        "typ nat\r\na=candidate:1732814077",
    );
    assert!(matches!(
        n.set_remote_sdp(SdpType::Offer, &bad_candidate),
        Err(Error::Parse(ParseError::InvalidCandidate { .. }))
    ));
    assert_eq!(n.state(), SignalingState::Stable);
}

#[test]
fn self_contradicting_descriptions() {
    let mut n = negotiator(52);
    let cases = [
        (
            offer().replace("a=fingerprint:", "a=x-fingerprint:"),
            DescriptionError::MissingFingerprint("0".into()),
        ),
        (
            offer().replace("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 3"),
            DescriptionError::BundleMidMissing("3".into()),
        ),
        (
            offer().replace("a=rtpmap:63 red/48000/2", "a=rtpmap:111 red/48000/2"),
            DescriptionError::DuplicatePayloadType {
                mid: "0".into(),
                payload_type: 111,
            },
        ),
        (
            offer().replace("a=mid:2", "a=mid:1"),
            DescriptionError::DuplicateMid("1".into()),
        ),
    ];
    for (sdp, want) in cases {
        refused(&mut n, SdpType::Offer, &sdp, &Error::Invalid(want));
    }
}

#[test]
fn operations_in_the_wrong_state() {
    let mut n = negotiator(53);
    n.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    // An answer with no offer out.
    refused(
        &mut n,
        SdpType::Answer,
        &fixture("answer_aiortc.sdp"),
        &Error::WrongState {
            operation: Operation::SetRemote(SdpType::Answer),
            state: SignalingState::Stable,
        },
    );
    assert!(matches!(n.create_answer(), Err(Error::WrongState { .. })));
    let local = n.create_offer().unwrap();
    n.set_local_description(SdpType::Offer, &local).unwrap();
    // An offer while our offer is out.
    refused(
        &mut n,
        SdpType::Offer,
        &offer(),
        &Error::WrongState {
            operation: Operation::SetRemote(SdpType::Offer),
            state: SignalingState::HaveLocalOffer,
        },
    );
    let err = n
        .set_local_description(SdpType::Answer, &local)
        .unwrap_err();
    assert_eq!(err.fault(), Fault::Local);
    n.close();
    assert!(matches!(n.create_offer(), Err(Error::WrongState { .. })));
    assert!(n.add_data_channel().is_err());
}

#[test]
fn answers_that_do_not_match_our_offer() {
    let mut n = negotiator(54);
    n.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    let local = n.create_offer().unwrap();
    n.set_local_description(SdpType::Offer, &local).unwrap();
    // The peer answers as if with our own offer turned around, but with actpass.
    let mut answer = local.clone();
    answer.media[0].attributes_mut().for_each(|a| {
        if let rtcweb_sdp::Attribute::Direction(d) = a {
            *d = Direction::SendRecv;
        }
    });
    let text = answer.to_string();
    refused(
        &mut n,
        SdpType::Answer,
        &text,
        &Error::InvalidSetup("actpass"),
    );
    let wrong_mid = text
        .replace("a=setup:actpass", "a=setup:active")
        .replace("a=mid:0", "a=mid:7")
        .replace("a=group:BUNDLE 0", "a=group:BUNDLE 7");
    refused(
        &mut n,
        SdpType::Answer,
        &wrong_mid,
        &Error::AnswerMismatch(0),
    );
    let no_codec = text
        .replace("a=setup:actpass", "a=setup:active")
        .replace("opus/48000/2", "speex/16000")
        .replace("SAVPF 111 0 8 110 126", "SAVPF 111");
    refused(
        &mut n,
        SdpType::Answer,
        &no_codec,
        &Error::AnswerMismatch(0),
    );
    // The right answer is accepted afterwards.
    let good = text.replace("a=setup:actpass", "a=setup:active");
    n.set_remote_sdp(SdpType::Answer, &good).unwrap();
    assert_eq!(n.state(), SignalingState::Stable);
}

#[test]
fn local_descriptions_must_be_ours() {
    let mut n = negotiator(55);
    n.add_data_channel().unwrap();
    let mut offer = n.create_offer().unwrap();
    offer.session_name = "changed".into();
    let before = n.clone();
    assert_eq!(
        n.set_local_description(SdpType::Offer, &offer),
        Err(Error::NotCreatedHere)
    );
    assert_eq!(n, before);
    let foreign = SessionDescription::parse(&fixture("offer_aiortc.sdp")).unwrap();
    assert_eq!(
        n.set_local_description(SdpType::Offer, &foreign),
        Err(Error::NotCreatedHere)
    );
    assert_eq!(
        n.add_transceiver(MediaKind::Application, Direction::SendRecv, None),
        Err(Error::InvalidTransceiverKind)
    );
}

#[test]
fn a_remote_offer_may_not_drop_negotiated_sections() {
    let mut a = negotiator(56);
    let mut b = negotiator(57);
    a.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    a.add_data_channel().unwrap();
    support::exchange(&mut a, &mut b);
    let mut smaller = a.create_offer().unwrap();
    smaller.media.truncate(1);
    smaller.retain(|attr| !matches!(attr, rtcweb_sdp::Attribute::Group(_)));
    refused(
        &mut b,
        SdpType::Offer,
        &smaller.to_string(),
        &Error::RemoteOfferMismatch(1),
    );
}
