//! The async handle of one data channel (W3C `RTCDataChannel`).

use tokio::sync::{mpsc, watch};

use super::command::Command;
use super::{DriverError, request};
use crate::{ChannelState, DataChannelId, Message};

/// One data channel of a driver-backed [`PeerConnection`](super::PeerConnection): async
/// send of text and binary messages (with backpressure), and a receiver of the messages
/// that arrive, in order.
///
/// Received messages queue in the handle until [`recv`](Self::recv) takes them: read them,
/// or memory grows with what the peer sends. The handle keeps the connection's task alive,
/// as a [`PeerConnection`](super::PeerConnection) does.
#[derive(Debug)]
pub struct DataChannel {
    sender: DataChannelSender,
    label: String,
    protocol: String,
    messages: mpsc::UnboundedReceiver<Message>,
}

/// The sending half of a [`DataChannel`] ([`DataChannel::sender`]): clone it to send from
/// another task while the channel's owner receives.
#[derive(Debug, Clone)]
pub struct DataChannelSender {
    id: DataChannelId,
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<ChannelState>,
}

/// The task's side of a [`DataChannel`]: where its messages and state changes go.
#[derive(Debug)]
pub(crate) struct ChannelLink {
    pub(crate) messages: mpsc::UnboundedSender<Message>,
    pub(crate) state: watch::Sender<ChannelState>,
}

impl ChannelLink {
    /// A linked pair; the handle starts in `state`.
    pub(crate) fn new(
        id: DataChannelId,
        label: String,
        protocol: String,
        state: ChannelState,
        commands: mpsc::Sender<Command>,
    ) -> (Self, DataChannel) {
        let (messages_tx, messages) = mpsc::unbounded_channel();
        let (state_tx, state_rx) = watch::channel(state);
        let handle = DataChannel {
            sender: DataChannelSender {
                id,
                commands,
                state: state_rx,
            },
            label,
            protocol,
            messages,
        };
        (
            Self {
                messages: messages_tx,
                state: state_tx,
            },
            handle,
        )
    }

    pub(crate) fn set_state(&self, state: ChannelState) {
        self.state.send_replace(state);
    }
}

impl DataChannel {
    /// The channel's handle within its peer connection.
    pub fn id(&self) -> DataChannelId {
        self.sender.id
    }

    /// Its label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Its sub-protocol.
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// A sending handle, for another task.
    pub fn sender(&self) -> DataChannelSender {
        self.sender.clone()
    }

    /// Its state now (W3C `readyState`).
    pub fn state(&self) -> ChannelState {
        self.sender.state()
    }

    /// Waits until the channel is open; [`DriverError::ChannelClosed`] if it closes first.
    pub async fn opened(&self) -> Result<(), DriverError> {
        self.sender.opened().await
    }

    /// Sends a message: see [`DataChannelSender::send`].
    pub async fn send(&self, message: Message) -> Result<(), DriverError> {
        self.sender.send(message).await
    }

    /// Sends a text message.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), DriverError> {
        self.sender.send(Message::text(text)).await
    }

    /// Sends a binary message.
    pub async fn send_binary(&self, data: impl Into<Vec<u8>>) -> Result<(), DriverError> {
        self.sender.send(Message::binary(data)).await
    }

    /// The next message, in order; `None` once the channel is closed and every message
    /// that arrived before was taken.
    pub async fn recv(&mut self) -> Option<Message> {
        self.messages.recv().await
    }

    /// A message that already arrived, without waiting.
    pub fn try_recv(&mut self) -> Option<Message> {
        self.messages.try_recv().ok()
    }

    /// Bytes queued on the channel and not yet sent (W3C `bufferedAmount`).
    pub async fn buffered_amount(&self) -> Result<usize, DriverError> {
        self.sender.buffered_amount().await
    }

    /// Closes the channel: see [`DataChannelSender::close`].
    pub async fn close(&self) -> Result<(), DriverError> {
        self.sender.close().await
    }

    /// Waits until the channel is closed.
    pub async fn closed(&self) {
        self.sender.closed().await;
    }
}

impl DataChannelSender {
    /// The channel's handle within its peer connection.
    pub fn id(&self) -> DataChannelId {
        self.id
    }

    /// The channel's state now (W3C `readyState`).
    pub fn state(&self) -> ChannelState {
        *self.state.borrow()
    }

    /// Waits until the channel is open; [`DriverError::ChannelClosed`] if it closes first.
    pub async fn opened(&self) -> Result<(), DriverError> {
        let mut state = self.state.clone();
        let state = state
            .wait_for(|s| *s != ChannelState::Connecting)
            .await
            .map_err(|_| DriverError::ChannelClosed)?;
        match *state {
            ChannelState::Open => Ok(()),
            _ => Err(DriverError::ChannelClosed),
        }
    }

    /// Sends a message (W3C `send`), text or binary. Waits until the channel is open, and
    /// while more than [`DriverConfig::send_high_water`](super::DriverConfig) bytes are
    /// queued on it. Larger than the peer's `a=max-message-size` is refused.
    pub async fn send(&self, message: Message) -> Result<(), DriverError> {
        self.opened().await?;
        let channel = self.id;
        request(&self.commands, |reply| Command::Send {
            channel,
            message,
            reply,
        })
        .await
    }

    /// Sends a text message.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), DriverError> {
        self.send(Message::text(text)).await
    }

    /// Sends a binary message.
    pub async fn send_binary(&self, data: impl Into<Vec<u8>>) -> Result<(), DriverError> {
        self.send(Message::binary(data)).await
    }

    /// Bytes queued on the channel and not yet sent (W3C `bufferedAmount`).
    pub async fn buffered_amount(&self) -> Result<usize, DriverError> {
        let channel = self.id;
        request(&self.commands, |reply| {
            Command::BufferedAmount(channel, reply)
        })
        .await
    }

    /// Closes the channel (W3C `close`): both sides' streams are reset (RFC 8831 §6.7);
    /// [`DataChannel::recv`] returns `None` once the close completes.
    pub async fn close(&self) -> Result<(), DriverError> {
        self.commands
            .send(Command::CloseDataChannel(self.id))
            .await
            .map_err(|_| DriverError::Closed)
    }

    /// Waits until the channel is closed.
    pub async fn closed(&self) {
        // An error means the task dropped the link: closed too.
        let _ = self
            .state
            .clone()
            .wait_for(|s| *s == ChannelState::Closed)
            .await;
    }
}
