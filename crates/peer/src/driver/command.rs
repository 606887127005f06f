//! What the handles ask of the connection task. Each command carries a one-shot reply; the
//! task runs it on the [`Peer`](crate::Peer) it shares with the handles' signalling
//! methods (see [`super::shared`]).

use std::net::IpAddr;

use tokio::sync::{mpsc, oneshot};

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

/// Ends a connection's command queue as its task ends: no handle can send any more, and
/// every command sent, or being sent, is taken, so that its caller hears the connection is
/// closed instead of waiting for ever (a `close` is answered: closing a closed connection
/// does nothing; every other reply is dropped, which its caller reads as
/// [`DriverError::Closed`]). Dropping the receiver is not enough: a command whose sender had
/// taken its place in the queue just before (a handle's `close` as the peer's close ends
/// the task) would be queued after the receiver's drop had emptied the queue, and stay
/// there, reply and all, as long as any handle lives. After `close`, `recv` answers `None`
/// only once no such place is outstanding.
pub(crate) async fn end_queue(commands: &mut mpsc::Receiver<Command>) {
    commands.close();
    while let Some(command) = commands.recv().await {
        match command {
            Command::Close(reply) => {
                let _ = reply.send(Ok(()));
            }
            other => drop(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::{mpsc, oneshot};

    use super::{Command, end_queue};

    /// A handle that took its place in the queue as the task ended: dropped with the
    /// receiver, its command would be queued after the drop emptied the queue and wait as
    /// long as the handle lives; ended with `end_queue`, its `close` is answered.
    #[tokio::test]
    async fn a_command_sent_as_the_queue_ends_is_answered() {
        // Dropping the receiver alone: the reply is neither sent nor dropped.
        let (tx, rx) = mpsc::channel::<Command>(4);
        let permit = tx.reserve().await.unwrap();
        drop(rx);
        let (reply, mut answer) = oneshot::channel();
        permit.send(Command::Close(reply));
        assert!(matches!(
            answer.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        ));

        // Ending the queue: it waits for the place taken, then answers.
        let (tx, mut rx) = mpsc::channel::<Command>(4);
        let permit = tx.reserve().await.unwrap();
        let end = tokio::spawn(async move { end_queue(&mut rx).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!end.is_finished(), "a place in the queue is still taken");
        let (reply, answer) = oneshot::channel();
        permit.send(Command::Close(reply));
        let answered = tokio::time::timeout(Duration::from_secs(5), answer).await;
        assert!(matches!(answered, Ok(Ok(Ok(())))), "{answered:?}");
        end.await.unwrap();
        // And later sends fail at once.
        let (reply, _answer) = oneshot::channel();
        assert!(tx.send(Command::Close(reply)).await.is_err());
    }
}
