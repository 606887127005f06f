//! The JSEP negotiator fed an arbitrary remote description (the fuzz input as SDP text) as an
//! offer, a provisional answer and an answer, in every signaling state.
//!
//! Each state is reached once with ordinary calls between two negotiators, then cloned per
//! input. Whatever comes: no panic; a refused description leaves the negotiator exactly as
//! it was; an accepted one moves the state as JSEP says; an accepted offer can always be
//! answered, and our answer applies and parses back.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rtcweb_sdp::{
    Config, Direction, Fingerprint, HashAlgorithm, LocalTrack, MediaKind, Negotiator, Operation,
    SdpType, SessionDescription, SignalingState,
};

fn negotiator(seed: u64) -> Negotiator {
    let mut config = Config::new(Fingerprint::new(
        HashAlgorithm::Sha256,
        vec![seed as u8; 32],
    ));
    config.seed = Some(seed);
    let mut n = Negotiator::new(config).expect("valid configuration");
    let track = LocalTrack {
        stream_id: "s".into(),
        track_id: "t".into(),
    };
    n.add_transceiver(MediaKind::Audio, Direction::SendRecv, Some(track))
        .expect("stable");
    n.add_data_channel().expect("stable");
    n
}

fn offer(n: &mut Negotiator) -> SessionDescription {
    let o = n.create_offer().expect("offer");
    n.set_local_description(SdpType::Offer, &o)
        .expect("apply offer");
    o
}

/// A negotiator in each signaling state (Closed included).
fn scenes() -> &'static [Negotiator] {
    static SCENES: OnceLock<Vec<Negotiator>> = OnceLock::new();
    SCENES.get_or_init(|| {
        let stable = negotiator(1);
        let mut local_offer = negotiator(1);
        offer(&mut local_offer);
        let mut remote_offer = negotiator(1);
        remote_offer
            .set_remote_description(SdpType::Offer, offer(&mut negotiator(2)))
            .expect("remote offer");
        let mut local_pranswer = remote_offer.clone();
        let a = local_pranswer.create_answer().expect("answer");
        local_pranswer
            .set_local_description(SdpType::Pranswer, &a)
            .expect("pranswer");
        let mut remote_pranswer = negotiator(1);
        let mut peer = negotiator(2);
        peer.set_remote_description(SdpType::Offer, offer(&mut remote_pranswer))
            .expect("peer offer");
        let a = peer.create_answer().expect("peer answer");
        remote_pranswer
            .set_remote_description(SdpType::Pranswer, a)
            .expect("remote pranswer");
        // Stable after a full exchange, so renegotiation rules apply.
        let mut negotiated = negotiator(1);
        let mut peer = negotiator(2);
        peer.set_remote_description(SdpType::Offer, offer(&mut negotiated))
            .expect("peer offer");
        let a = peer.create_answer().expect("peer answer");
        negotiated
            .set_remote_description(SdpType::Answer, a)
            .expect("answer");
        let mut closed = negotiator(1);
        closed.close();
        vec![
            stable,
            negotiated,
            local_offer,
            remote_offer,
            local_pranswer,
            remote_pranswer,
            closed,
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for scene in scenes() {
        for kind in [SdpType::Offer, SdpType::Pranswer, SdpType::Answer] {
            let mut n = scene.clone();
            let state = n.state();
            match n.set_remote_sdp(kind, text) {
                Err(_) => assert_eq!(&n, scene, "a refused {kind} changed the negotiator"),
                Ok(()) => {
                    let next = state.after(Operation::SetRemote(kind));
                    assert_eq!(Some(n.state()), next, "{kind} in {state}");
                    if n.state() == SignalingState::HaveRemoteOffer {
                        answer(&mut n);
                    }
                    while n.poll_event().is_some() {}
                }
            }
        }
    }
});

/// An accepted offer can be answered, our answer applies, and it parses back.
fn answer(n: &mut Negotiator) {
    let answer = n
        .create_answer()
        .expect("an accepted offer can be answered");
    let again = SessionDescription::parse(&answer.to_string()).expect("our answer parses");
    assert_eq!(again, answer);
    n.set_local_description(SdpType::Answer, &answer)
        .expect("our answer applies");
    assert_eq!(n.state(), SignalingState::Stable);
    let next = n.create_offer().expect("stable again: we can offer");
    n.set_local_description(SdpType::Offer, &next)
        .expect("our offer applies");
}
