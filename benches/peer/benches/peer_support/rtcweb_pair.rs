//! rtcweb through its tokio driver ([`PeerConnection`]): what an application of ours writes.
//! Each side's event stream is read by a task that trickles its candidates to the other side
//! (and must be read, or the driver stops reading the network), B's channel by a task that
//! counts the bytes.

use rtcweb_peer::DataChannelInit;
use rtcweb_peer::driver::{DataChannel, DriverConfig, Events, PeerConnection, PeerConnectionEvent};
use tokio::sync::mpsc;

use super::loopback::{Loopback, MESSAGE, Received, Settings, counter, within};

/// Two driver-backed rtcweb peers on 127.0.0.1.
#[derive(Debug)]
pub(crate) struct RtcwebPair {
    a: PeerConnection,
    b: PeerConnection,
    /// Each side's events until [`Loopback::connect`] hands them to the signalling tasks.
    events: Option<(Events, Events)>,
    /// A's channel, once open.
    channel: Option<DataChannel>,
    /// What B's application received.
    received: Option<Received>,
}

impl Loopback for RtcwebPair {
    const NAME: &'static str = "rtcweb";

    async fn new(settings: Settings) -> Self {
        let config = || DriverConfig {
            send_high_water: settings.in_flight,
            send_low_water: settings.in_flight / 2,
            // Our candidates are addresses: nothing to resolve, and no multicast ever.
            resolve_mdns: false,
            ..DriverConfig::loopback()
        };
        let (a, a_events) = PeerConnection::new(config()).await.expect("peer A");
        let (b, b_events) = PeerConnection::new(config()).await.expect("peer B");
        Self {
            a,
            b,
            events: Some((a_events, b_events)),
            channel: None,
            received: None,
        }
    }

    async fn connect(&mut self) {
        let (a_events, b_events) = self.events.take().expect("connect is called once");
        let channel = self
            .a
            .create_data_channel("bench", DataChannelInit::default())
            .await
            .expect("a channel");
        let offer = self.a.create_offer().await.expect("an offer");
        self.a
            .set_local_description(&offer)
            .await
            .expect("A's offer");
        self.b
            .set_remote_description(&offer)
            .await
            .expect("B takes it");
        let answer = self.b.create_answer().await.expect("an answer");
        self.b
            .set_local_description(&answer)
            .await
            .expect("B's answer");
        self.a
            .set_remote_description(&answer)
            .await
            .expect("A takes it");
        let (incoming_tx, mut incoming) = mpsc::channel(1);
        tokio::spawn(signal(a_events, self.b.clone(), None));
        tokio::spawn(signal(b_events, self.a.clone(), Some(incoming_tx)));
        within("rtcweb: A's channel opening", channel.opened())
            .await
            .expect("A's channel opens");
        let mut remote = within("rtcweb: B's channel arriving", incoming.recv())
            .await
            .expect("B's signalling task runs");
        let (mut count, received) = counter();
        tokio::spawn(async move {
            while let Some(message) = remote.recv().await {
                count.add(message.data.len());
            }
        });
        self.channel = Some(channel);
        self.received = Some(received);
    }

    async fn transfer(&mut self, bytes: usize) {
        let channel = self.channel.as_ref().expect("connected");
        let received = self.received.as_mut().expect("connected");
        let target = received.current() + bytes as u64;
        for _ in 0..bytes / MESSAGE {
            within("rtcweb: sending", channel.send_binary(vec![0x5a; MESSAGE]))
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

/// Reads one side's events: its candidates go to `to`, the channels its peer opens to
/// `incoming`. Ends with the connection.
async fn signal(
    mut events: Events,
    to: PeerConnection,
    incoming: Option<mpsc::Sender<DataChannel>>,
) {
    while let Some(event) = events.recv().await {
        match event {
            PeerConnectionEvent::LocalCandidate(c) => {
                // The other side may be closing already at the end of a case.
                let _ = to.add_ice_candidate(Some(&c.mid), &c.candidate).await;
            }
            PeerConnectionEvent::DataChannel(channel) => {
                if let Some(incoming) = &incoming {
                    let _ = incoming.send(channel).await;
                }
            }
            PeerConnectionEvent::Failed(reason) => panic!("rtcweb connection failed: {reason}"),
            _ => {}
        }
    }
}
