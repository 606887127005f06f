//! W3C "perfect negotiation" between two rtcweb peers in the simulator: each offers on
//! `negotiationneeded` with `setLocalDescription()`; when both offer at once (glare) the
//! impolite peer ignores the other's offer and the polite one's `setRemoteDescription`
//! rolls its own back. Both end stable with every change of both sides negotiated (the
//! polite side's audio track rides the impolite side's audio section, as W3C
//! `setRemoteDescription` associates an unassociated `addTrack` transceiver), and later
//! changes renegotiate on a live connection.

mod support;

use std::time::Duration;

use rtcweb_peer::{
    DataChannelInit, Direction, MediaKind, MediaTrack, SdpType, SignalingState, TransceiverInit,
};
use support::World;

fn stable(w: &World) -> bool {
    w.a.peer.signaling_state() == SignalingState::Stable
        && w.b.peer.signaling_state() == SignalingState::Stable
}

/// Both peers change something at the same instant: both offer, one yields.
fn glare(polite_a: bool) {
    let mut w = World::new(41, support::lossy(0.0));
    w.perfect = Some((polite_a, !polite_a));
    let now = w.now;
    w.a.peer
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    w.a.peer
        .add_track(now, MediaTrack::audio("a-mic"), &["a"])
        .unwrap();
    let b_video =
        w.b.peer
            .add_transceiver(
                now,
                MediaKind::Video,
                TransceiverInit::direction(Direction::SendRecv),
            )
            .unwrap();
    w.b.peer
        .add_track(now, MediaTrack::audio("b-mic"), &["b"])
        .unwrap();
    assert!(
        w.run_until(Duration::from_secs(10), |w| stable(w)
            && w.a.connected_at().is_some()
            && w.b.connected_at().is_some()
            && w.a.peer.transceivers().len() == 2
            && w.b.peer.transceivers().len() == 2
            && w.b.incoming_channel().is_some()
            && w.a
                .peer
                .transceivers()
                .iter()
                .all(|t| t.current_direction.is_some())
            && w.b
                .peer
                .transceivers()
                .iter()
                .all(|t| t.current_direction.is_some())),
        "not settled: A {:?} {:?}, B {:?} {:?}, errors {:?} {:?}",
        w.a.peer.signaling_state(),
        w.a.peer.transceivers(),
        w.b.peer.signaling_state(),
        w.b.peer.transceivers(),
        w.a.signal_errors,
        w.b.signal_errors,
    );
    // The impolite side ignored the polite one's offer, once.
    let impolite = usize::from(polite_a);
    assert_eq!(w.ignored_offers[impolite], 1, "{:?}", w.ignored_offers);
    assert!(w.a.signal_errors.is_empty() && w.b.signal_errors.is_empty());
    // Both sides see the same sections: one audio, sending both ways, and one video.
    for side in [&w.a, &w.b] {
        let ts = side.peer.transceivers();
        let audio: Vec<_> = ts.iter().filter(|t| t.kind == MediaKind::Audio).collect();
        assert_eq!(audio.len(), 1);
        assert_eq!(audio[0].current_direction, Some(Direction::SendRecv));
        assert!(audio[0].sender.track.is_some());
        assert!(ts.iter().any(|t| t.kind == MediaKind::Video));
        assert!(ts.iter().all(|t| t.mid.is_some()));
        assert!(side.peer.current_local_description().is_some());
        assert!(side.peer.pending_local_description().is_none());
    }
    // A has no video to send: B's sendrecv video section is answered recvonly.
    let video = w.b.peer.transceiver(b_video).unwrap();
    assert_eq!(video.current_direction, Some(Direction::SendOnly));

    // A later change on the live connection renegotiates without glare.
    let later = w.now;
    let a_audio =
        w.a.peer
            .transceivers()
            .into_iter()
            .find(|t| t.kind == MediaKind::Audio && t.sender.track.is_some())
            .unwrap()
            .id;
    w.a.peer
        .set_direction(later, a_audio, Direction::RecvOnly)
        .unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| stable(w)
        && w.a.peer.transceiver(a_audio).unwrap().current_direction
            == Some(Direction::RecvOnly)));
}

#[test]
fn glare_with_a_polite() {
    glare(true);
}

#[test]
fn glare_with_b_polite() {
    glare(false);
}

#[test]
fn rollback_cancels_our_offer() {
    let mut w = World::new(43, support::lossy(0.0));
    let now = w.now;
    w.a.peer
        .add_track(now, MediaTrack::audio("mic"), &["s"])
        .unwrap();
    let offer = w.a.peer.set_local_description_implicit(now).unwrap();
    assert_eq!(offer.kind, SdpType::Offer);
    assert_eq!(w.a.peer.signaling_state(), SignalingState::HaveLocalOffer);
    assert!(w.a.peer.pending_local_description().is_some());
    w.a.peer
        .set_local_description(
            now,
            &rtcweb_peer::Description {
                kind: SdpType::Rollback,
                sdp: String::new(),
            },
        )
        .unwrap();
    assert_eq!(w.a.peer.signaling_state(), SignalingState::Stable);
    assert!(w.a.peer.pending_local_description().is_none());
    // The transceiver the owner added stays, unassociated, for the next offer.
    let t = &w.a.peer.transceivers()[0];
    assert_eq!(t.mid, None);
    w.offer();
    assert!(w.run_until(Duration::from_secs(10), |w| w.a.connected_at().is_some()));
    assert!(w.a.peer.transceivers()[0].mid.is_some());
}
