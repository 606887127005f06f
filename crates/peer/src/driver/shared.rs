//! The core of one connection, shared by its task and its handles: the connection's one
//! mutex (house style: at most one per connection, never held across an `.await`).
//!
//! The task locks it for each step of its loop (a datagram in, a timeout, a transmit out,
//! an event routed). The signalling methods of [`PeerConnection`](super::PeerConnection)
//! (`createOffer`, `createAnswer`, `setLocalDescription`, `setRemoteDescription`,
//! `addIceCandidate`) and `createDataChannel` lock it too and run on the caller's
//! thread, then wake the task to send what they queued and to arm its timer again. They
//! touch nothing but the core, and a command sent to the task would cost the caller two
//! thread wake-ups for each call (one to the task, one back with the answer), a few tens
//! of microseconds each, five to seven times on the way to a connection. A new channel's
//! link waits here until the task adopts it, before it routes any event or command. Every
//! other method stays a command: it needs what the task owns (sockets, media layers).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::{Notify, mpsc};

use super::channel::{ChannelLink, ReceiveLimits};
use super::command::Command;
use super::{DataChannel, DriverError, clock};
use crate::{ChannelState, DataChannelId, DataChannelInit, Peer};

/// The core behind its mutex, and the task's wake-up.
pub(crate) struct SharedPeer {
    core: Mutex<Core>,
    /// Notified after a handle changed the core: the task sends, routes and re-arms.
    changed: Notify,
    /// The queue bounds of a new channel's handle.
    limits: ReceiveLimits,
    /// Woken when a handle takes a message (the task's, shared by every channel).
    space: Arc<Notify>,
}

/// What the mutex guards.
pub(crate) struct Core {
    pub(crate) peer: Peer,
    /// The task has ended: nothing would send what the core queues any more.
    ended: bool,
    /// Channels made by [`SharedPeer::create_data_channel`], for the task to adopt. As
    /// many at most as the core has channels.
    new_links: Vec<(DataChannelId, ChannelLink)>,
}

impl std::fmt::Debug for SharedPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPeer").finish_non_exhaustive()
    }
}

impl SharedPeer {
    pub(crate) fn new(peer: Peer, limits: ReceiveLimits, space: Arc<Notify>) -> Self {
        Self {
            core: Mutex::new(Core {
                peer,
                ended: false,
                new_links: Vec::new(),
            }),
            changed: Notify::new(),
            limits,
            space,
        }
    }

    /// The core, locked. A panic while it was held (none is expected: bad input never
    /// panics) leaves the core as the panic found it, and it is used as it is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the core on the caller's thread and wakes the task; once the task has
    /// ended, [`DriverError::Closed`] without running it.
    pub(crate) fn run<T>(
        &self,
        f: impl FnOnce(&mut Peer, Instant) -> Result<T, crate::Error>,
    ) -> Result<T, DriverError> {
        let result = {
            let mut core = self.lock();
            if core.ended {
                return Err(DriverError::Closed);
            }
            f(&mut core.peer, clock())
        };
        self.changed.notify_one();
        result.map_err(Into::into)
    }

    /// Runs `f` on the core on the caller's thread without waking the task, for calls
    /// that leave it nothing to do (no datagram, event or timer): creating an offer or an
    /// answer. From a thread outside the runtime (a `block_on` caller) a wake costs a
    /// worker's unparking, tens of microseconds on a small machine, for a task that would
    /// find nothing to send.
    pub(crate) fn run_without_wake<T>(
        &self,
        f: impl FnOnce(&mut Peer) -> Result<T, crate::Error>,
    ) -> Result<T, DriverError> {
        let mut core = self.lock();
        if core.ended {
            return Err(DriverError::Closed);
        }
        f(&mut core.peer).map_err(Into::into)
    }

    /// W3C `createDataChannel` on the caller's thread: the channel and its handle, whose
    /// link the task adopts (see [`take_new_links`](Self::take_new_links)).
    pub(crate) fn create_data_channel(
        &self,
        label: String,
        options: DataChannelInit,
        commands: &mpsc::Sender<Command>,
    ) -> Result<DataChannel, DriverError> {
        let handle = {
            let mut core = self.lock();
            if core.ended {
                return Err(DriverError::Closed);
            }
            let protocol = options.protocol.clone();
            let id = core.peer.create_data_channel(clock(), &label, options)?;
            let (link, handle) = ChannelLink::new(
                id,
                label,
                protocol,
                ChannelState::Connecting,
                commands.clone(),
                self.limits,
                Arc::clone(&self.space),
            );
            core.new_links.push((id, link));
            handle
        };
        self.changed.notify_one();
        Ok(handle)
    }

    /// The links of the channels made since the last call, for the task.
    pub(crate) fn take_new_links(&self) -> Vec<(DataChannelId, ChannelLink)> {
        std::mem::take(&mut self.lock().new_links)
    }

    /// The core's next event, with the links of the channels made since the last call,
    /// taken under one lock: a link is always adopted no later than the first event of
    /// its channel (both are left in one critical section of
    /// [`create_data_channel`](Self::create_data_channel)).
    pub(crate) fn next_event(&self) -> (Vec<(DataChannelId, ChannelLink)>, Option<crate::Event>) {
        let mut core = self.lock();
        let links = std::mem::take(&mut core.new_links);
        (links, core.peer.poll_event())
    }

    /// Resolves once a handle changed the core since the last time it resolved.
    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
    }

    /// The task ends: later calls of [`run`](Self::run) answer [`DriverError::Closed`].
    pub(crate) fn end(&self) {
        self.lock().ended = true;
    }
}
