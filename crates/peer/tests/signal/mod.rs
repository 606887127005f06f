//! In-process signalling between two driver-backed peers, shared by the loopback tests.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::time::Instant;

use rtcweb_peer::PeerConnectionState;
use rtcweb_peer::driver::{DataChannel, Events, PeerConnection, PeerConnectionEvent};
use tokio::sync::{mpsc, oneshot};

/// Forwards one side's candidates to the other, reports when it is connected and hands
/// over the data channels the peer opens.
pub fn signal(
    mut events: Events,
    to: PeerConnection,
    connected: oneshot::Sender<Instant>,
    channels: mpsc::Sender<DataChannel>,
) {
    tokio::spawn(async move {
        let mut connected = Some(connected);
        while let Some(event) = events.recv().await {
            match event {
                PeerConnectionEvent::LocalCandidate(c) => {
                    to.add_ice_candidate(Some(&c.mid), &c.candidate)
                        .await
                        .expect("the peer takes our candidate");
                }
                PeerConnectionEvent::ConnectionState(PeerConnectionState::Connected) => {
                    if let Some(tx) = connected.take() {
                        #[allow(clippy::disallowed_methods)] // the tests measure wall time
                        let _ = tx.send(Instant::now());
                    }
                }
                PeerConnectionEvent::Failed(reason) => panic!("connection failed: {reason}"),
                PeerConnectionEvent::DataChannel(channel) => {
                    let _ = channels.send(channel).await;
                }
                _ => {}
            }
        }
    });
}

/// What [`link`] hands back: when each side connected, and the channels each one's peer
/// opened.
pub struct Linked {
    pub a_connected: oneshot::Receiver<Instant>,
    pub b_connected: oneshot::Receiver<Instant>,
    pub a_incoming: mpsc::Receiver<DataChannel>,
    pub b_incoming: mpsc::Receiver<DataChannel>,
}

/// A offers (with whatever was added to it before), B answers, and from then on each
/// side's candidates go to the other ([`signal`]).
pub async fn link(
    a: &PeerConnection,
    a_events: Events,
    b: &PeerConnection,
    b_events: Events,
) -> Linked {
    let offer = a.create_offer().await.expect("an offer");
    a.set_local_description(&offer).await.expect("A's offer");
    b.set_remote_description(&offer)
        .await
        .expect("B takes the offer");
    let answer = b.create_answer().await.expect("an answer");
    b.set_local_description(&answer).await.expect("B's answer");
    a.set_remote_description(&answer)
        .await
        .expect("A takes the answer");
    let (a_tx, a_connected) = oneshot::channel();
    let (b_tx, b_connected) = oneshot::channel();
    let (a_channels, a_incoming) = mpsc::channel(4);
    let (b_channels, b_incoming) = mpsc::channel(4);
    signal(a_events, b.clone(), a_tx, a_channels);
    signal(b_events, a.clone(), b_tx, b_channels);
    Linked {
        a_connected,
        b_connected,
        a_incoming,
        b_incoming,
    }
}
