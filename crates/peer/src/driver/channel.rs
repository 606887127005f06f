//! The async handle of one data channel (W3C `RTCDataChannel`), and the task's side of it:
//! a bounded queue of received messages, and the messages the task holds back while that
//! queue is full.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Notify, mpsc, watch};

use super::command::Command;
use super::{DriverError, request};
use crate::{ChannelState, DataChannelId, Message};

/// One data channel of a driver-backed [`PeerConnection`](super::PeerConnection): async
/// send of text and binary messages (with backpressure), and a receiver of the messages
/// that arrive, in order.
///
/// Received messages queue in the handle until [`recv`](Self::recv) takes them, up to
/// [`DriverConfig::receive_queue_messages`](super::DriverConfig::receive_queue_messages)
/// and [`receive_queue_bytes`](super::DriverConfig::receive_queue_bytes). When the queue is
/// full the connection stops reading from the network until it is read: nothing is
/// dropped, but every channel of the connection waits. Read the channels you keep (a
/// dropped handle discards its messages). The handle keeps the connection's task alive, as
/// a [`PeerConnection`](super::PeerConnection) does.
#[derive(Debug)]
pub struct DataChannel {
    sender: DataChannelSender,
    label: String,
    protocol: String,
    messages: mpsc::Receiver<Message>,
    queued: Arc<Queued>,
}

/// The sending half of a [`DataChannel`] ([`DataChannel::sender`]): clone it to send from
/// another task while the channel's owner receives.
#[derive(Debug, Clone)]
pub struct DataChannelSender {
    id: DataChannelId,
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<ChannelState>,
}

/// What a channel's handle and the task share about its queue of received messages.
#[derive(Debug)]
struct Queued {
    /// Bytes of the messages in the queue: the task adds, the handle subtracts.
    bytes: AtomicUsize,
    /// The connection task's wake-up (one per connection): the handle took a message.
    space: Arc<Notify>,
}

/// Bounds of a channel's queue of received messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReceiveLimits {
    pub(crate) messages: usize,
    pub(crate) bytes: usize,
}

/// The task's side of a [`DataChannel`]: where its messages and state changes go.
#[derive(Debug)]
pub(crate) struct ChannelLink {
    messages: mpsc::Sender<Message>,
    queued: Arc<Queued>,
    max_bytes: usize,
    /// Messages the core handed out while the handle's queue was full, in order. Bounded
    /// by construction: the task reads no datagram while any link holds one, and the core
    /// releases messages only from datagrams it was given, so this holds at most what the
    /// last inputs released (one SCTP receive window, RFC 9260 §6.2).
    held: VecDeque<Message>,
    held_bytes: usize,
    /// The channel closed while messages were held: it ends once they are delivered.
    closed: bool,
    state: watch::Sender<ChannelState>,
}

impl ChannelLink {
    /// A linked pair; the handle starts in `state`. `space` wakes the connection's task.
    pub(crate) fn new(
        id: DataChannelId,
        label: String,
        protocol: String,
        state: ChannelState,
        commands: mpsc::Sender<Command>,
        limits: ReceiveLimits,
        space: Arc<Notify>,
    ) -> (Self, DataChannel) {
        let (messages_tx, messages) = mpsc::channel(limits.messages.max(1));
        let (state_tx, state_rx) = watch::channel(state);
        let queued = Arc::new(Queued {
            bytes: AtomicUsize::new(0),
            space,
        });
        let handle = DataChannel {
            sender: DataChannelSender {
                id,
                commands,
                state: state_rx,
            },
            label,
            protocol,
            messages,
            queued: Arc::clone(&queued),
        };
        (
            Self {
                messages: messages_tx,
                queued,
                max_bytes: limits.bytes,
                held: VecDeque::new(),
                held_bytes: 0,
                closed: false,
                state: state_tx,
            },
            handle,
        )
    }

    pub(crate) fn set_state(&self, state: ChannelState) {
        self.state.send_replace(state);
    }

    /// Hands a message to the handle, or holds it (in order) when the handle's queue is
    /// full. A dropped handle does not want it.
    pub(crate) fn deliver(&mut self, message: Message) {
        if !self.held.is_empty() {
            self.hold(message);
            return;
        }
        if let Err(message) = self.try_queue(message) {
            self.hold(message);
        }
    }

    fn hold(&mut self, message: Message) {
        self.held_bytes += message.data.len();
        self.held.push_back(message);
    }

    /// Moves held messages to the handle's queue while they fit; true when none is left.
    pub(crate) fn release(&mut self) -> bool {
        while let Some(message) = self.held.pop_front() {
            let len = message.data.len();
            match self.try_queue(message) {
                Ok(()) => self.held_bytes -= len,
                Err(message) => {
                    self.held.push_front(message);
                    return false;
                }
            }
        }
        true
    }

    /// Queues a message if the handle's queue has room for it by count and by bytes (an
    /// empty queue takes a message of any size); gives it back otherwise.
    fn try_queue(&self, message: Message) -> Result<(), Message> {
        let len = message.data.len();
        // The handle only subtracts: a stale value underestimates the room.
        let queued = self.queued.bytes.load(Ordering::Acquire);
        if queued > 0 && queued.saturating_add(len) > self.max_bytes {
            return if self.messages.is_closed() {
                Ok(())
            } else {
                Err(message)
            };
        }
        // Counted before the handle can take it, so that its subtraction never underflows.
        self.queued.bytes.fetch_add(len, Ordering::AcqRel);
        match self.messages.try_send(message) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(message)) => {
                self.queued.bytes.fetch_sub(len, Ordering::AcqRel);
                Err(message)
            }
            Err(TrySendError::Closed(_)) => {
                self.queued.bytes.fetch_sub(len, Ordering::AcqRel);
                Ok(())
            }
        }
    }

    /// Bytes held back by the task.
    pub(crate) fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Whether messages are held back.
    pub(crate) fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The channel closed: true when the link can go now (nothing held); otherwise it
    /// ends once the held messages are delivered.
    pub(crate) fn close(&mut self) -> bool {
        self.closed = true;
        self.held.is_empty()
    }

    /// Whether the channel closed (its link waits only to deliver held messages).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
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
        let message = self.messages.recv().await?;
        Some(self.taken(message))
    }

    /// A message that already arrived, without waiting.
    pub fn try_recv(&mut self) -> Option<Message> {
        let message = self.messages.try_recv().ok()?;
        Some(self.taken(message))
    }

    /// Bytes of the received messages waiting for [`recv`](Self::recv); at most
    /// [`DriverConfig::receive_queue_bytes`](super::DriverConfig::receive_queue_bytes), or
    /// one message larger than that.
    pub fn queued_bytes(&self) -> usize {
        self.queued.bytes.load(Ordering::Acquire)
    }

    /// Received messages waiting for [`recv`](Self::recv); at most
    /// [`DriverConfig::receive_queue_messages`](super::DriverConfig::receive_queue_messages).
    pub fn queued_messages(&self) -> usize {
        self.messages.len()
    }

    /// A message left the queue: its bytes are uncounted and the task, which may be
    /// holding messages back, is woken.
    fn taken(&self, message: Message) -> Message {
        self.queued
            .bytes
            .fetch_sub(message.data.len(), Ordering::AcqRel);
        self.queued.space.notify_one();
        message
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

impl Drop for DataChannel {
    fn drop(&mut self) {
        // The task may hold messages for this handle: they are discarded now.
        self.messages.close();
        self.queued.space.notify_one();
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
