//! Rollback (RFC 8829 §4.1.10.2): of our offer, of the peer's offer, and to resolve glare.

mod support;

use rtcweb_sdp::{Direction, Error, MediaKind, Operation, SdpType, SignalingState};
use support::{exchange, mids, negotiator, track};

#[test]
fn rollback_of_a_local_offer_returns_to_stable() {
    let mut a = negotiator(31);
    let t = a
        .add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(a.transceiver(t).unwrap().mid(), Some("0"));
    a.rollback().unwrap();
    assert_eq!(a.state(), SignalingState::Stable);
    assert!(a.local_description().is_none());
    assert_eq!(a.transceiver(t).unwrap().mid(), None, "association undone");
    // The next offer is made as if nothing happened.
    let again = a.create_offer().unwrap();
    assert_eq!(mids(&again), ["0"]);
    let mut b = negotiator(32);
    exchange(&mut a, &mut b);
    assert_eq!(a.transceiver(t).unwrap().mid(), Some("0"));
}

#[test]
fn rollback_of_a_remote_offer_removes_its_transceivers_and_keeps_ours() {
    let mut a = negotiator(33);
    let mut b = negotiator(34);
    a.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    a.add_transceiver(MediaKind::Video, Direction::SendRecv, track("v"))
        .unwrap();
    let ours = b
        .add_transceiver(MediaKind::Audio, Direction::SendRecv, track("b"))
        .unwrap();
    let before = b.clone();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    b.set_remote_description(SdpType::Offer, offer).unwrap();
    assert_eq!(b.transceivers().len(), 2, "video made by the offer");
    assert_eq!(b.transceiver(ours).unwrap().mid(), Some("0"));
    // Added during the exchange: survives the rollback.
    let added = b
        .add_transceiver(MediaKind::Video, Direction::SendOnly, track("late"))
        .unwrap();
    b.rollback().unwrap();
    assert_eq!(b.state(), SignalingState::Stable);
    assert!(b.remote_description().is_none());
    let ids: Vec<_> = b.transceivers().iter().map(|t| t.id()).collect();
    assert_eq!(ids, [ours, added]);
    assert!(b.transceivers().iter().all(|t| t.mid().is_none()));
    assert_eq!(b.transceivers()[0], before.transceivers()[0]);
}

#[test]
fn glare_is_refused_then_resolved_by_rollback() {
    let mut a = negotiator(35);
    let mut b = negotiator(36);
    a.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    b.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("b"))
        .unwrap();
    let offer_a = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer_a).unwrap();
    let offer_b = b.create_offer().unwrap();
    b.set_local_description(SdpType::Offer, &offer_b).unwrap();
    // Both have a local offer: the peer's offer is refused (have-local-offer).
    let snapshot = b.clone();
    let err = b
        .set_remote_description(SdpType::Offer, offer_a.clone())
        .unwrap_err();
    assert_eq!(
        err,
        Error::WrongState {
            operation: Operation::SetRemote(SdpType::Offer),
            state: SignalingState::HaveLocalOffer,
        }
    );
    assert_eq!(b, snapshot, "unchanged");
    // The polite side rolls back and answers.
    b.rollback().unwrap();
    b.set_remote_description(SdpType::Offer, offer_a).unwrap();
    let answer = b.create_answer().unwrap();
    b.set_local_description(SdpType::Answer, &answer).unwrap();
    a.set_remote_description(SdpType::Answer, answer).unwrap();
    assert_eq!(a.state(), SignalingState::Stable);
    assert_eq!(b.state(), SignalingState::Stable);
    assert_eq!(
        b.transceivers()[0].current_direction(),
        Some(Direction::SendRecv)
    );
}

#[test]
fn provisional_answers_then_the_final_one() {
    let mut a = negotiator(37);
    let mut b = negotiator(38);
    a.add_data_channel().unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    b.set_remote_description(SdpType::Offer, offer).unwrap();
    let answer = b.create_answer().unwrap();
    b.set_local_description(SdpType::Pranswer, &answer).unwrap();
    assert_eq!(b.state(), SignalingState::HaveLocalPranswer);
    a.set_remote_description(SdpType::Pranswer, answer.clone())
        .unwrap();
    assert_eq!(a.state(), SignalingState::HaveRemotePranswer);
    let provisional = support::negotiated(&mut a).unwrap();
    assert!(provisional.provisional && provisional.sctp.is_some());
    let final_answer = b.create_answer().unwrap();
    b.set_local_description(SdpType::Answer, &final_answer)
        .unwrap();
    a.set_remote_description(SdpType::Answer, final_answer)
        .unwrap();
    assert_eq!(a.state(), SignalingState::Stable);
    assert!(!support::negotiated(&mut a).unwrap().provisional);
    assert!(a.rollback().is_err(), "nothing to roll back in stable");
}
