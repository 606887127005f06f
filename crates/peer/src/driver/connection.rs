//! The async handle of a peer connection (W3C `RTCPeerConnection`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use super::channel::ReceiveLimits;
use super::command::{Command, Reply};
use super::shared::SharedPeer;
use super::sockets::Sockets;
use super::task::Task;
use super::{DataChannel, DriverConfig, DriverError, Events, PeerConnectionInfo, RtpSender, clock};
use crate::{
    DataChannelInit, Description, Direction, MediaTrack, Peer, TrackOrKind, TransceiverId,
    TransceiverInfo, TransceiverInit,
};

/// A peer connection run by the driver: a handle to a task that owns the sockets and the
/// timer, and shares the sans-IO [`Peer`] behind the connection's one mutex. The
/// signalling methods (`create_offer`, `create_answer`, `set_local_description`,
/// `set_remote_description`, `add_ice_candidate`) and `create_data_channel` run on the
/// core on the caller's thread and wake the task to send what they queued; every other
/// method sends a command to that task and awaits its answer.
///
/// Clones are handles to the same connection. The task ends at [`close`](Self::close),
/// or when every handle (and every [`DataChannel`]) is dropped.
#[derive(Debug, Clone)]
pub struct PeerConnection {
    commands: mpsc::Sender<Command>,
    /// The core, for the signalling methods.
    shared: Arc<SharedPeer>,
    local_addresses: Arc<[SocketAddr]>,
}

impl PeerConnection {
    /// Checks the ICE server URLs and resolves their host names (see
    /// [`DriverConfig::ice_servers`](super::DriverConfig::ice_servers)), binds the
    /// sockets, makes the [`Peer`], tells it the host addresses, and spawns the
    /// connection's task on the tokio runtime this is called from (the application's: it
    /// chooses the threads, and tokio's tools see the task). Events come from the returned
    /// [`Events`].
    pub async fn new(config: DriverConfig) -> Result<(Self, Events), DriverError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| DriverError::NoRuntime)?;
        let (servers, unresolved) =
            super::ice_servers::resolve(&config.ice_servers, config.resolve_timeout).await?;
        let mut config = config;
        config.peer.ice_servers.extend(servers);
        let (mut task, handles) = start(&config)?;
        for u in unresolved {
            tracing::warn!(url = %u.url, error = %u.error, "ICE server name not resolved");
            task.announce(super::PeerConnectionEvent::IceServerUnresolved {
                url: u.url,
                error: u.error,
            });
        }
        runtime.spawn(task.run());
        Ok(handles)
    }

    /// The addresses of the sockets bound when the connection was made (the host
    /// candidates); later changes come as
    /// [`PeerConnectionEvent::InterfacesChanged`](super::PeerConnectionEvent::InterfacesChanged).
    pub fn local_addresses(&self) -> &[SocketAddr] {
        &self.local_addresses
    }

    /// W3C `createOffer`.
    pub async fn create_offer(&self) -> Result<Description, DriverError> {
        // It queues nothing for the task (no signalling-state change, no transmission).
        self.shared.run_without_wake(|peer| peer.create_offer())
    }

    /// W3C `createAnswer`.
    pub async fn create_answer(&self) -> Result<Description, DriverError> {
        // It queues nothing for the task (no signalling-state change, no transmission).
        self.shared.run_without_wake(|peer| peer.create_answer())
    }

    /// W3C `setLocalDescription`: gathering starts, candidates come as
    /// [`PeerConnectionEvent::LocalCandidate`](super::PeerConnectionEvent::LocalCandidate).
    pub async fn set_local_description(
        &self,
        description: &Description,
    ) -> Result<(), DriverError> {
        self.shared
            .run(|peer, now| peer.set_local_description(now, description))
    }

    /// W3C `setLocalDescription()` without a description: the offer or answer the
    /// signaling state calls for, applied; returned for signalling.
    pub async fn set_local_description_implicit(&self) -> Result<Description, DriverError> {
        self.shared
            .run(|peer, now| peer.set_local_description_implicit(now))
    }

    /// W3C `setRemoteDescription`: a malformed or contradictory description is refused and
    /// changes nothing.
    pub async fn set_remote_description(
        &self,
        description: &Description,
    ) -> Result<(), DriverError> {
        self.shared
            .run(|peer, now| peer.set_remote_description(now, description))
    }

    /// W3C `addIceCandidate` for the section `mid` (the remote BUNDLE tag when `None`); an
    /// empty candidate is end-of-candidates.
    pub async fn add_ice_candidate(
        &self,
        mid: Option<&str>,
        candidate: &str,
    ) -> Result<(), DriverError> {
        self.shared
            .run(|peer, now| peer.add_ice_candidate(now, mid, candidate))
    }

    /// The owner resolved the mDNS name of a remote candidate.
    pub async fn resolve_mdns(&self, name: &str, ip: IpAddr) -> Result<(), DriverError> {
        self.commands
            .send(Command::ResolveMdns {
                name: name.to_owned(),
                ip,
            })
            .await
            .map_err(|_| DriverError::Closed)
    }

    /// W3C `createDataChannel`: the handle is returned at once, the channel opens with the
    /// SCTP association ([`DataChannel::opened`]).
    pub async fn create_data_channel(
        &self,
        label: &str,
        options: DataChannelInit,
    ) -> Result<DataChannel, DriverError> {
        self.shared
            .create_data_channel(label.to_owned(), options, &self.commands)
    }

    /// W3C `addTransceiver(trackOrKind, init)`: see
    /// [`Peer::add_transceiver`](crate::Peer::add_transceiver). Returns its sender; remote
    /// media comes with [`PeerConnectionEvent::Track`](super::PeerConnectionEvent::Track)
    /// or [`AudioTrack`](super::PeerConnectionEvent::AudioTrack).
    pub async fn add_transceiver(
        &self,
        track_or_kind: impl Into<TrackOrKind>,
        init: TransceiverInit,
    ) -> Result<RtpSender, DriverError> {
        let track_or_kind = track_or_kind.into();
        request(&self.commands, |reply| Command::AddTransceiver {
            track_or_kind,
            init,
            reply,
        })
        .await
    }

    /// W3C `addTrack(track, ...streams)`: see [`Peer::add_track`](crate::Peer::add_track).
    pub async fn add_track(
        &self,
        track: MediaTrack,
        streams: &[&str],
    ) -> Result<RtpSender, DriverError> {
        let streams = streams.iter().map(|s| (*s).to_owned()).collect();
        request(&self.commands, |reply| Command::AddTrack {
            track,
            streams,
            reply,
        })
        .await
    }

    /// W3C `removeTrack(sender)`.
    pub async fn remove_track(&self, sender: &RtpSender) -> Result<(), DriverError> {
        let id = sender.transceiver();
        request(&self.commands, |reply| Command::RemoveTrack { id, reply }).await
    }

    /// W3C `getTransceivers()`.
    pub async fn transceivers(&self) -> Result<Vec<TransceiverInfo>, DriverError> {
        request(&self.commands, Command::Transceivers).await
    }

    /// The sender of a transceiver (W3C `transceiver.sender`).
    pub async fn sender(&self, id: TransceiverId) -> Result<RtpSender, DriverError> {
        let info = self
            .transceivers()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(DriverError::Peer(crate::Error::UnknownTransceiver(id)))?;
        Ok(RtpSender {
            id,
            kind: info.kind,
            commands: self.commands.clone(),
        })
    }

    /// W3C `transceiver.direction = direction` (takes effect with the next exchange).
    pub async fn set_direction(
        &self,
        id: TransceiverId,
        direction: Direction,
    ) -> Result<(), DriverError> {
        request(&self.commands, |reply| Command::SetDirection {
            id,
            direction,
            reply,
        })
        .await
    }

    /// W3C `transceiver.stop()`.
    pub async fn stop_transceiver(&self, id: TransceiverId) -> Result<(), DriverError> {
        request(&self.commands, |reply| Command::StopTransceiver {
            id,
            reply,
        })
        .await
    }

    /// Asks the peer for a key frame of the video a transceiver receives (a PLI).
    pub async fn request_key_frame(&self, id: TransceiverId) -> Result<bool, DriverError> {
        request(&self.commands, |reply| Command::RequestKeyFrame {
            id,
            reply,
        })
        .await
    }

    /// W3C `restartIce`: the next offer restarts ICE with new credentials
    /// ([`Peer::restart_ice`](crate::Peer::restart_ice)).
    pub async fn restart_ice(&self) -> Result<(), DriverError> {
        request(&self.commands, Command::RestartIce).await
    }

    /// W3C `getConfiguration()`: the core's configuration
    /// ([`Peer::configuration`](crate::Peer::configuration)).
    pub async fn configuration(&self) -> Result<crate::Config, DriverError> {
        request(&self.commands, Command::Configuration).await
    }

    /// W3C `setConfiguration()`: new ICE servers and policy are gathered with at the next
    /// ICE restart; the certificate cannot change
    /// ([`Peer::set_configuration`](crate::Peer::set_configuration)).
    pub async fn set_configuration(&self, config: crate::Config) -> Result<(), DriverError> {
        let config = Box::new(config);
        request(&self.commands, |reply| Command::SetConfiguration {
            config,
            reply,
        })
        .await
    }

    /// The W3C stats report now (`getStats()`): see
    /// [`Peer::stats_report`](crate::Peer::stats_report).
    pub async fn stats(&self) -> Result<crate::StatsReport, DriverError> {
        request(&self.commands, Command::Stats).await
    }

    /// The connection's state, descriptions and counters now.
    pub async fn info(&self) -> Result<PeerConnectionInfo, DriverError> {
        request(&self.commands, Command::Info).await
    }

    /// W3C `close`: channels close, DTLS sends close_notify, the task ends once that is
    /// sent. Closing a closed connection does nothing. Messages already in a
    /// [`DataChannel`]'s queue can still be read; those the task held back for a full queue
    /// are discarded.
    pub async fn close(&self) -> Result<(), DriverError> {
        match request(&self.commands, Command::Close).await {
            Ok(()) | Err(DriverError::Closed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// On the driver thread: the sockets, the core told its host addresses, the task and the
/// caller's handles.
fn start(config: &DriverConfig) -> Result<(Task, (PeerConnection, Events)), DriverError> {
    let mut sockets = Sockets::bind(&config.bind_addresses()?, config.port_range.as_ref())?;
    let now = clock();
    let mut peer_config = config.peer.clone();
    if peer_config.wallclock.is_none() {
        peer_config.wallclock = Some(wallclock());
    }
    let mut peer = Peer::new(peer_config, now)?;
    let local_addresses: Arc<[SocketAddr]> = sockets.local_addresses().into();
    let mut publisher = config.publish_mdns.then(super::mdns::Publisher::new);
    for address in local_addresses.iter() {
        // Named before the address is gathered on: no candidate goes out with it.
        if let Some(publisher) = publisher.as_mut() {
            publisher.publish(&mut peer, address.ip());
        }
        peer.add_local_address(now, *address)?;
    }
    if config.ice_tcp {
        let listeners = sockets.listen_tcp(config.port_range.as_ref())?;
        sockets.add_tcp_stun_servers(&config.peer.ice_servers);
        for listener in listeners {
            peer.add_local_tcp_listener(now, listener)?;
        }
    }
    let (commands, command_rx) = mpsc::channel(config.command_queue.max(1));
    let (event_tx, receiver) = mpsc::channel(config.event_queue.max(1));
    // Woken by every handle that takes a message or an event: the task may hold some back.
    let space = Arc::new(Notify::new());
    let limits = ReceiveLimits {
        messages: config.receive_queue_messages,
        bytes: config.receive_queue_bytes,
    };
    let shared = Arc::new(SharedPeer::new(peer, limits, Arc::clone(&space)));
    let mut task = Task::new(
        Arc::clone(&shared),
        sockets,
        command_rx,
        &commands,
        event_tx,
        Arc::clone(&space),
        config,
    );
    if let Some(publisher) = publisher {
        task.publish_mdns(publisher);
    }
    let handle = PeerConnection {
        commands,
        shared,
        local_addresses,
    };
    Ok((task, (handle, Events { receiver, space })))
}

/// The wall-clock time since the Unix epoch, for RTCP sender reports: read once per
/// connection, here where the driver owns the clock.
#[allow(clippy::disallowed_methods)]
fn wallclock() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Sends a command made with a fresh reply sender and awaits the reply. A task that is
/// gone (or that dropped the reply at close) answers [`DriverError::Closed`].
pub(crate) async fn request<T>(
    commands: &mpsc::Sender<Command>,
    make: impl FnOnce(Reply<T>) -> Command,
) -> Result<T, DriverError> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(make(reply))
        .await
        .map_err(|_| DriverError::Closed)?;
    answer.await.map_err(|_| DriverError::Closed)?
}
