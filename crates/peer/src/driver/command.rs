//! What the handles ask of the connection task. Each command carries a one-shot reply; the
//! task runs it on the [`Peer`](crate::Peer) it shares with the handles' signalling
//! methods (see [`super::shared`]).

use std::net::IpAddr;

use tokio::sync::oneshot;

use std::time::{Duration, Instant};

use rtcweb_media::PcmFrame;

use super::{DriverError, EncodedFrame, PeerConnectionInfo, RtpSender};
use crate::{
    DataChannelId, Direction, MediaTrack, Message, SendParameters, TrackOrKind, TransceiverId,
    TransceiverInfo, TransceiverInit,
};

pub(crate) type Reply<T> = oneshot::Sender<Result<T, DriverError>>;

#[derive(Debug)]
pub(crate) enum Command {
    ResolveMdns {
        name: String,
        ip: IpAddr,
    },
    /// The reply comes once the message is queued and the channel's queue is below the
    /// high-water mark (or at once with an error).
    Send {
        channel: DataChannelId,
        message: Message,
        reply: Reply<()>,
    },
    BufferedAmount(DataChannelId, Reply<usize>),
    AddTransceiver {
        track_or_kind: TrackOrKind,
        init: TransceiverInit,
        reply: Reply<RtpSender>,
    },
    AddTrack {
        track: MediaTrack,
        streams: Vec<String>,
        reply: Reply<RtpSender>,
    },
    RemoveTrack {
        id: TransceiverId,
        reply: Reply<()>,
    },
    SetDirection {
        id: TransceiverId,
        direction: Direction,
        reply: Reply<()>,
    },
    StopTransceiver {
        id: TransceiverId,
        reply: Reply<()>,
    },
    Transceivers(Reply<Vec<TransceiverInfo>>),
    WriteFrame {
        id: TransceiverId,
        frame: EncodedFrame,
        reply: Reply<bool>,
    },
    SendAudio {
        id: TransceiverId,
        pcm: PcmFrame,
        capture_time: Option<Instant>,
        reply: Reply<usize>,
    },
    SetAudioProcessing {
        id: TransceiverId,
        settings: super::AudioProcessing,
        reply: Reply<()>,
    },
    AudioProcessingStats {
        id: TransceiverId,
        reply: Reply<Option<super::AudioProcessingStats>>,
    },
    ReplaceTrack {
        id: TransceiverId,
        track: Option<MediaTrack>,
        reply: Reply<()>,
    },
    SenderParameters {
        id: TransceiverId,
        reply: Reply<SendParameters>,
    },
    SetSenderParameters {
        id: TransceiverId,
        parameters: SendParameters,
        reply: Reply<()>,
    },
    InsertDtmf {
        id: TransceiverId,
        tones: String,
        duration: Duration,
        gap: Duration,
        reply: Reply<()>,
    },
    ToneBuffer {
        id: TransceiverId,
        reply: Reply<String>,
    },
    RequestKeyFrame {
        id: TransceiverId,
        reply: Reply<bool>,
    },
    /// A video sender's encoder: told of key-frame requests, counted in the stats.
    AttachVideoSender {
        id: TransceiverId,
        shared: std::sync::Arc<super::video::EncoderShared>,
        reply: Reply<()>,
    },
    /// A remote video track's decoder, counted in the stats.
    AttachVideoDecoder {
        id: TransceiverId,
        shared: std::sync::Arc<super::video::DecoderShared>,
        reply: Reply<()>,
    },
    CloseDataChannel(DataChannelId),
    Info(Reply<PeerConnectionInfo>),
    Stats(Reply<crate::StatsReport>),
    RestartIce(Reply<()>),
    Configuration(Reply<crate::Config>),
    SetConfiguration {
        config: Box<crate::Config>,
        reply: Reply<()>,
    },
    Close(Reply<()>),
}
