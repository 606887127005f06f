//! webrtc-rs 0.21 on the bench's tokio runtime, as its examples drive it: an event handler
//! that hands candidates and incoming channels to the benchmark, a task polling each
//! channel's events (webrtc-rs holds its driver back when a registered channel's event queue
//! is full), and the send-buffer limit for back-pressure.

use std::sync::Arc;

use bytes::BytesMut;
use rtc_ice::mdns::MulticastDnsMode;
use tokio::sync::{mpsc, oneshot};
use webrtc::data_channel::{DataChannel, DataChannelEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceCandidateInit,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState, RTCSessionDescription, SettingEngineBuilder,
};

use super::loopback::{Loopback, MESSAGE, Received, Settings, counter, within};

/// Two webrtc-rs peers on 127.0.0.1.
pub(crate) struct WebrtcRsPair {
    a: Arc<dyn PeerConnection>,
    b: Arc<dyn PeerConnection>,
    /// What each side's handler reports, until [`Loopback::connect`] takes it.
    reports: Option<(Reports, Reports)>,
    /// A's channel, once open.
    channel: Option<Arc<dyn DataChannel>>,
    /// What B's application received.
    received: Option<Received>,
}

/// What one side's [`Handler`] hands over.
struct Reports {
    candidates: mpsc::UnboundedReceiver<RTCIceCandidateInit>,
    channels: mpsc::UnboundedReceiver<Arc<dyn DataChannel>>,
}

/// The event handler of one side: candidates and incoming channels go to the benchmark.
struct Handler {
    candidates: mpsc::UnboundedSender<RTCIceCandidateInit>,
    channels: mpsc::UnboundedSender<Arc<dyn DataChannel>>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.candidates.send(init);
        }
    }

    async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
        let _ = self.channels.send(channel);
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        assert_ne!(
            state,
            RTCPeerConnectionState::Failed,
            "webrtc-rs connection failed"
        );
    }
}

/// One webrtc-rs peer on 127.0.0.1, and what its handler reports.
async fn peer(settings: Settings) -> (Arc<dyn PeerConnection>, Reports) {
    let (candidates_tx, candidates) = mpsc::unbounded_channel();
    let (channels_tx, channels) = mpsc::unbounded_channel();
    // mDNS off: by default every connection binds 0.0.0.0:5353 and joins the mDNS group,
    // which is more work and reaches past the loopback.
    let setting_engine = SettingEngineBuilder::new()
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_setting_engine(setting_engine)
        .with_handler(Arc::new(Handler {
            candidates: candidates_tx,
            channels: channels_tx,
        }))
        .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
        .with_data_channel_send_buffer_limit(settings.in_flight)
        .build()
        .await
        .expect("a webrtc-rs peer");
    (
        Arc::new(pc),
        Reports {
            candidates,
            channels,
        },
    )
}

/// Hands `to` every candidate `from` gathers.
fn trickle(mut from: mpsc::UnboundedReceiver<RTCIceCandidateInit>, to: Arc<dyn PeerConnection>) {
    tokio::spawn(async move {
        while let Some(candidate) = from.recv().await {
            // The other side may be closing already at the end of a case.
            let _ = to.add_ice_candidate(candidate).await;
        }
    });
}

impl Loopback for WebrtcRsPair {
    const NAME: &'static str = "webrtc-rs";

    async fn new(settings: Settings) -> Self {
        let (a, a_reports) = peer(settings).await;
        let (b, b_reports) = peer(settings).await;
        Self {
            a,
            b,
            reports: Some((a_reports, b_reports)),
            channel: None,
            received: None,
        }
    }

    async fn connect(&mut self) {
        let (a_reports, mut b_reports) = self.reports.take().expect("connect is called once");
        let channel = self
            .a
            .create_data_channel("bench", None)
            .await
            .expect("a channel");
        // A's channel events: its opening, then whatever comes (buffered-amount events).
        let (opened_tx, opened) = oneshot::channel();
        let events = Arc::clone(&channel);
        tokio::spawn(async move {
            let mut opened_tx = Some(opened_tx);
            while let Some(event) = events.poll().await {
                if matches!(event, DataChannelEvent::OnOpen) {
                    if let Some(tx) = opened_tx.take() {
                        let _ = tx.send(());
                    }
                }
            }
        });
        // SDP goes across as text, as through a signalling server.
        let offer = self.a.create_offer(None).await.expect("an offer");
        self.a
            .set_local_description(offer.clone())
            .await
            .expect("A's offer");
        let offer = RTCSessionDescription::offer(offer.sdp).expect("offer SDP");
        self.b
            .set_remote_description(offer)
            .await
            .expect("B takes it");
        let answer = self.b.create_answer(None).await.expect("an answer");
        self.b
            .set_local_description(answer.clone())
            .await
            .expect("B's answer");
        let answer = RTCSessionDescription::answer(answer.sdp).expect("answer SDP");
        self.a
            .set_remote_description(answer)
            .await
            .expect("A takes it");
        trickle(a_reports.candidates, Arc::clone(&self.b));
        trickle(b_reports.candidates, Arc::clone(&self.a));
        within("webrtc-rs: A's channel opening", opened)
            .await
            .expect("A's channel opens");
        let remote = within("webrtc-rs: B's channel arriving", b_reports.channels.recv())
            .await
            .expect("B's handler runs");
        let (mut count, received) = counter();
        tokio::spawn(async move {
            while let Some(event) = remote.poll().await {
                if let DataChannelEvent::OnMessage(message) = event {
                    count.add(message.data.len());
                }
            }
        });
        self.channel = Some(channel);
        self.received = Some(received);
    }

    async fn transfer(&mut self, bytes: usize) {
        let channel = self.channel.as_ref().expect("connected");
        let received = self.received.as_mut().expect("connected");
        let target = received.current() + bytes as u64;
        let payload = vec![0x5au8; MESSAGE];
        for _ in 0..bytes / MESSAGE {
            // Waits while the channel holds `in_flight` bytes not yet acknowledged.
            within(
                "webrtc-rs: sending",
                channel.send(BytesMut::from(&payload[..])),
            )
            .await
            .expect("the channel takes the message");
        }
        received.reach(target).await;
    }

    async fn close(self) {
        self.a.close().await.expect("A closes");
        self.b.close().await.expect("B closes");
    }
}
