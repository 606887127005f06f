//! What the handles ask of the connection task. Each command carries a one-shot reply; the
//! task owns the [`Peer`](crate::Peer) and nothing else touches it.

use std::net::IpAddr;

use tokio::sync::oneshot;

use super::{DataChannel, DriverError, LocalAudioTrack, PeerConnectionInfo};
use crate::{ChannelOptions, DataChannelId, Description, Direction, MediaKind, Message, TrackId};

pub(crate) type Reply<T> = oneshot::Sender<Result<T, DriverError>>;

#[derive(Debug)]
pub(crate) enum Command {
    CreateOffer(Reply<Description>),
    CreateAnswer(Reply<Description>),
    SetLocalDescription(Description, Reply<()>),
    SetRemoteDescription(Description, Reply<()>),
    AddIceCandidate {
        mid: Option<String>,
        candidate: String,
        reply: Reply<()>,
    },
    ResolveMdns {
        name: String,
        ip: IpAddr,
    },
    CreateDataChannel {
        label: String,
        options: ChannelOptions,
        reply: Reply<DataChannel>,
    },
    /// The reply comes once the message is queued and the channel's queue is below the
    /// high-water mark (or at once with an error).
    Send {
        channel: DataChannelId,
        message: Message,
        reply: Reply<()>,
    },
    BufferedAmount(DataChannelId, Reply<usize>),
    AddAudioTrack(Reply<LocalAudioTrack>),
    AddTransceiver {
        kind: MediaKind,
        direction: Direction,
        reply: Reply<TrackId>,
    },
    SendAudio {
        track: TrackId,
        pcm: Vec<i16>,
        reply: Reply<bool>,
    },
    CloseDataChannel(DataChannelId),
    Info(Reply<PeerConnectionInfo>),
    Stats(Reply<serde_json::Value>),
    RestartIce(Reply<()>),
    Close(Reply<()>),
}
