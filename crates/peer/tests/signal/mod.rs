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
