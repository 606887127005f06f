//! Every transition JSEP forbids (RFC 8829 §3.2) is refused with `WrongState` and changes
//! nothing; every allowed one, given the right description, succeeds and lands where the
//! state machine says. Exhaustively over states × operations, then over random sequences.

mod support;

use proptest::prelude::*;
use rtcweb_sdp::{
    Direction, Error, MediaKind, Negotiator, Operation, SdpType, SessionDescription, SignalingState,
};
use support::{negotiator, track};

/// Our negotiator `n` and a peer `p` able to feed it.
struct Scene {
    n: Negotiator,
    p: Negotiator,
}

fn fresh(seed: u64) -> Negotiator {
    let mut n = negotiator(seed);
    n.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("t"))
        .unwrap();
    n.add_data_channel().unwrap();
    n
}

fn offer_from(x: &mut Negotiator) -> SessionDescription {
    let o = x.create_offer().unwrap();
    x.set_local_description(SdpType::Offer, &o).unwrap();
    o
}

/// Drives `n` into `state` with ordinary calls.
fn scene(state: SignalingState) -> Scene {
    let mut n = fresh(61);
    let mut p = fresh(62);
    match state {
        SignalingState::Stable => {}
        SignalingState::HaveLocalOffer => {
            let o = offer_from(&mut n);
            p.set_remote_description(SdpType::Offer, o).unwrap();
        }
        SignalingState::HaveRemoteOffer => {
            let o = offer_from(&mut p);
            n.set_remote_description(SdpType::Offer, o).unwrap();
        }
        SignalingState::HaveLocalPranswer => {
            let o = offer_from(&mut p);
            n.set_remote_description(SdpType::Offer, o).unwrap();
            let a = n.create_answer().unwrap();
            n.set_local_description(SdpType::Pranswer, &a).unwrap();
        }
        SignalingState::HaveRemotePranswer => {
            let o = offer_from(&mut n);
            p.set_remote_description(SdpType::Offer, o).unwrap();
            let a = p.create_answer().unwrap();
            p.set_local_description(SdpType::Pranswer, &a).unwrap();
            n.set_remote_description(SdpType::Pranswer, a).unwrap();
        }
        SignalingState::Closed => n.close(),
    }
    assert_eq!(n.state(), state);
    Scene { n, p }
}

/// Performs `op` on `n` with the description that makes sense for it.
fn perform(s: &mut Scene, op: Operation) -> Result<(), Error> {
    match op {
        Operation::CreateOffer => s.n.create_offer().map(drop),
        Operation::CreateAnswer => s.n.create_answer().map(drop),
        Operation::Rollback => s.n.rollback(),
        Operation::SetLocal(SdpType::Offer) => {
            let o =
                s.n.create_offer()
                    .unwrap_or_else(|_| fresh(63).create_offer().unwrap());
            s.n.set_local_description(SdpType::Offer, &o)
        }
        Operation::SetLocal(kind) => {
            let a = s.n.create_answer().unwrap_or_else(|_| {
                let mut x = fresh(64);
                x.set_remote_description(SdpType::Offer, offer_from(&mut fresh(65)))
                    .unwrap();
                x.create_answer().unwrap()
            });
            s.n.set_local_description(kind, &a)
        }
        Operation::SetRemote(SdpType::Offer) => {
            let o =
                s.p.create_offer()
                    .unwrap_or_else(|_| fresh(66).create_offer().unwrap());
            s.n.set_remote_description(SdpType::Offer, o)
        }
        Operation::SetRemote(kind) => {
            let a = s.p.create_answer().unwrap_or_else(|_| {
                let mut x = fresh(67);
                x.set_remote_description(SdpType::Offer, offer_from(&mut fresh(68)))
                    .unwrap();
                x.create_answer().unwrap()
            });
            s.n.set_remote_description(kind, a)
        }
    }
}

#[test]
fn every_state_and_operation() {
    let mut forbidden = 0;
    for state in SignalingState::ALL {
        for op in Operation::ALL {
            let mut s = scene(state);
            let before = s.n.clone();
            let result = perform(&mut s, op);
            match state.after(op) {
                None => {
                    forbidden += 1;
                    assert_eq!(
                        result,
                        Err(Error::WrongState {
                            operation: op,
                            state
                        }),
                        "{op} in {state}"
                    );
                    assert_eq!(s.n, before, "{op} in {state} changed the negotiator");
                }
                Some(next) => {
                    assert_eq!(result, Ok(()), "{op} in {state}");
                    assert_eq!(s.n.state(), next, "{op} in {state}");
                }
            }
        }
    }
    // 6 states × 9 operations, 18 allowed (RFC 8829 §3.2 figure 1 and the W3C rules).
    assert_eq!(forbidden, 54 - 18);
}

/// One step of a random conversation between two negotiators.
#[derive(Debug, Clone)]
enum Step {
    Op(bool, Operation),
    AddTrack(bool),
    Restart(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (any::<bool>(), prop::sample::select(Operation::ALL.to_vec()))
            .prop_map(|(side, op)| Step::Op(side, op)),
        1 => any::<bool>().prop_map(Step::AddTrack),
        1 => any::<bool>().prop_map(Step::Restart),
    ]
}

/// Applies `op` to `me`, taking remote descriptions from what `peer` last created.
fn apply(
    me: &mut Negotiator,
    wire: &mut [Option<SessionDescription>; 2],
    op: Operation,
    side: usize,
) -> Result<(), Error> {
    let mine = side;
    let theirs = 1 - side;
    match op {
        Operation::CreateOffer => me.create_offer().map(|o| wire[mine] = Some(o)),
        Operation::CreateAnswer => me.create_answer().map(|a| wire[mine] = Some(a)),
        Operation::Rollback => me.rollback(),
        Operation::SetLocal(kind) => match wire[mine].clone() {
            Some(d) => me.set_local_description(kind, &d),
            None => me.set_local_description(kind, &SessionDescription::new(1, 1)),
        },
        Operation::SetRemote(kind) => match wire[theirs].clone() {
            Some(d) => me.set_remote_description(kind, d),
            None => me.set_remote_description(kind, SessionDescription::new(1, 1)),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_conversations_never_break_the_state_machine(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let mut sides = [fresh(71), fresh(72)];
        let mut wire: [Option<SessionDescription>; 2] = [None, None];
        for s in steps {
            match s {
                Step::AddTrack(side) => {
                    let _ = sides[usize::from(side)].add_transceiver(
                        MediaKind::Video,
                        Direction::SendRecv,
                        track("v"),
                    );
                }
                Step::Restart(side) => {
                    let _ = sides[usize::from(side)].restart_ice(None);
                }
                Step::Op(side, op) => {
                    let i = usize::from(side);
                    let state = sides[i].state();
                    let before = sides[i].clone();
                    let result = apply(&mut sides[i], &mut wire, op, i);
                    match (state.after(op), result) {
                        (None, Err(Error::WrongState { operation, state: s })) => {
                            prop_assert_eq!((operation, s), (op, state));
                            prop_assert_eq!(&sides[i], &before);
                        }
                        (None, other) => {
                            prop_assert!(false, "{} in {} gave {:?}", op, state, other);
                        }
                        (Some(next), Ok(())) => prop_assert_eq!(sides[i].state(), next),
                        (Some(_), Err(e)) => {
                            prop_assert!(!matches!(e, Error::WrongState { .. }), "{}", e);
                            prop_assert_eq!(&sides[i], &before, "{} in {}: {}", op, state, e);
                        }
                    }
                }
            }
        }
    }
}
