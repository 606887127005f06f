//! The tokio driver (feature `driver`, on by default): sockets, timer and task around the
//! sans-IO [`Peer`](crate::Peer).
//!
//! [`PeerConnection::new`] binds one UDP socket on each of the machine's addresses that
//! [`DriverConfig::interface_policy`] keeps (every interface that is up, IPv4 and IPv6,
//! without loopback, IPv6 link-local, virtual or VPN adapters, as a browser; loopback when
//! nothing else is left), or on each address of [`DriverConfig::interfaces`] when the
//! application names them, in [`DriverConfig::port_range`], tells
//! the core its host addresses, and spawns **one task per connection**. That task owns the
//! core and the sockets and `select!`s over three things: a datagram on any socket (fed to
//! [`Peer::handle_datagram`](crate::Peer::handle_datagram), with up to 64 more read without
//! waiting), the **one timer**, armed from [`Peer::poll_timeout`](crate::Peer::poll_timeout)
//! only when the deadline changes, and the handles' commands. After each it sends what
//! [`Peer::poll_transmit`](crate::Peer::poll_transmit) gives from the socket the transmit
//! names, and routes [`Peer::poll_event`](crate::Peer::poll_event).
//!
//! Each connection's task runs on the tokio runtime [`PeerConnection::new`] is called from:
//! the application chooses the threads (a current-thread runtime works), and tokio's tools
//! (tracing, tokio-console, runtime metrics) see the tasks. Outside a tokio runtime `new`
//! fails with [`DriverError::NoRuntime`]. The handles are `Send`.
//!
//! The user holds handles with async methods: [`PeerConnection`] (the W3C
//! `RTCPeerConnection` methods) and [`DataChannel`] (async send and receive of text and
//! binary messages). Events come as a [`Stream`](futures_core::Stream) ([`Events`], over a
//! bounded tokio mpsc receiver; `StreamExt` from futures-util or tokio-stream applies).
//! The core sits behind the connection's one mutex, never held across an `.await`. The
//! signalling methods (`create_offer`, `create_answer`, `set_local_description`,
//! `set_remote_description`, `add_ice_candidate`) and `create_data_channel` run on it on
//! the caller's thread and wake the task, which sends what they queued: no thread hop on
//! the way to a connection. Every other method talks to the task through a bounded command
//! queue with one-shot replies. No callback. Sending waits while more than
//! [`DriverConfig::send_high_water`] bytes are queued on the channel.
//!
//! Receiving is bounded too, and loses nothing. Each channel's handle queues at most
//! [`DriverConfig::receive_queue_messages`] messages and
//! [`DriverConfig::receive_queue_bytes`] bytes. The core hands a message out as soon as
//! SCTP has it, so the back-pressure is the task's: when a message does not fit, the task
//! holds it (and the channel's later ones, in order) and **stops reading the sockets**
//! until the application reads; only the last datagram's release is ever held, and timers
//! and commands still run. The peer's SCTP, unacknowledged, stops at its window and
//! retransmits, and the OS socket buffer drops the excess as a congested path would. The
//! pause is for the whole connection (every channel shares the association), and one of
//! more than about 25 s costs it (the peer's SCTP gives up after 10 retransmissions,
//! RFC 9260 §8.1, and ICE consent after 30 s, RFC 7675 §5.1). Connection events past
//! [`DriverConfig::event_queue`] are held the same way, except state changes, which are
//! coalesced to the latest of each kind and never pause reading.
//!
//! ```no_run
//! use rtcweb_peer::driver::{DriverConfig, PeerConnection, PeerConnectionEvent};
//! use rtcweb_peer::DataChannelInit;
//!
//! # async fn run(remote_answer: impl AsyncFnOnce(String) -> String) -> Result<(), Box<dyn std::error::Error>> {
//! let (pc, mut events) = PeerConnection::new(DriverConfig::default()).await?;
//! let mut chat = pc.create_data_channel("chat", DataChannelInit::default()).await?;
//! let offer = pc.create_offer().await?;
//! pc.set_local_description(&offer).await?;
//! // Signal the offer (candidates trickle as events), apply the answer.
//! let answer = remote_answer(offer.sdp).await;
//! pc.set_remote_description(&rtcweb_peer::Description {
//!     kind: rtcweb_peer::SdpType::Answer,
//!     sdp: answer,
//! }).await?;
//! tokio::spawn(async move {
//!     while let Some(event) = events.recv().await {
//!         if let PeerConnectionEvent::LocalCandidate(c) = event {
//!             println!("trickle {} {}", c.mid, c.candidate);
//!         }
//!     }
//! });
//! chat.send_text("hello").await?;
//! let reply = chat.recv().await;
//! # Ok(()) }
//! ```
//!
//! When the policy chose the addresses, the task lists the interfaces again every
//! [`DriverConfig::watch_interfaces`]: a new address gets a socket and a trickled host
//! candidate, one that went away loses its socket, candidates and pairs, and the
//! connection restarts ICE ([`PeerConnectionEvent::InterfacesChanged`], then
//! `NegotiationNeeded`: make an offer), as browsers do on a network switch.
//!
//! ICE servers come as the URLs of W3C `RTCIceServer` ([`DriverConfig::ice_servers`]:
//! `stun:`, `turn:` and `turns:`, RFC 7064 and RFC 7065, with `?transport=udp|tcp`): a
//! bad URL fails [`PeerConnection::new`] with [`DriverError::IceServer`]; host names are
//! resolved there with the system resolver on tokio's blocking threads (A and AAAA, all
//! names at once, at most [`DriverConfig::resolve_timeout`]), and every address becomes
//! a server.
//!
//! ICE-TCP (RFC 6544, [`DriverConfig::ice_tcp`], on by default): beside each UDP socket a
//! TCP listener whose address is our passive candidate; the ICE agent's active candidate
//! (port 9) has the task open a connection to a peer's passive one when it first sends
//! there (at most 16 connections, 5 s to connect, beside the task's other work). An
//! accepted connection that carries no authenticated ICE check within 5 s is closed, and
//! the oldest such one makes room when a new one comes with the table full, so idle
//! connections cannot hold the listener (`IoStats::tcp_connections_evicted`). Every
//! datagram on them rides in an RFC 4571 frame (`ice_tcp.rs`), and once a TCP pair is
//! selected, DTLS, SRTP and SCTP go over it as over UDP. Writes the socket does not take at
//! once wait in a bounded queue per connection; a datagram that does not fit is dropped
//! whole, as a full UDP buffer drops it (`tests/ice_tcp.rs`: with UDP blocked, rtcweb,
//! Chromium and Firefox connect over TCP). Listeners set `SO_REUSEPORT`, so that the
//! agent's Binding request to each `stun:` server goes on a connection from the listener's
//! own port (its server-reflexive passive candidate, RFC 6544 §4.1), closed once answered
//! or after Ti (39.5 s).
//!
//! TURN servers over TCP or TLS get a TCP connection each, opened when the ICE agent first
//! writes to one; the agent's TURN client frames the stream (and runs TLS on it), the
//! driver carries the bytes (`tests/loopback_turn.rs` relays through coturn both ways).
//!
//! The peer's `.local` host candidates (browsers hide their addresses behind mDNS names)
//! are resolved with a one-shot multicast DNS query (A and AAAA) on the IPv4 and IPv6
//! interfaces (RFC 6762 §5.1, [`DriverConfig::resolve_mdns`]), which the browser's own
//! responder answers (`tests/chromium_mdns.rs`). With [`DriverConfig::publish_mdns`] our
//! own host candidates go out as random `<uuid>.local` names, and the connection answers
//! the queries for them on each name's interface while it lives
//! (draft-ietf-mmusic-mdns-ice-candidates; `tests/mdns_publish.rs`); the messages are
//! built and read by the sans-IO [`crate::mdns`].
//!
//! System calls are batched with quinn-udp: a run of equal-sized datagrams to one
//! destination leaves in one `sendmsg` with UDP GSO, and datagrams that arrive together come
//! out of one `recvmsg` with GRO, where the kernel offers them (`sockets.rs`).

use std::time::Instant;

mod audio_processing;
mod channel;
mod command;
mod config;
mod connection;
mod error;
mod event;
mod event_queue;
mod gso_batch;
mod ice_servers;
mod ice_tcp;
mod interfaces;
mod lip_sync;
mod mdns;
mod media;
mod shared;
mod sockets;
mod streams;
mod task;
mod tracks;
mod video;

pub use audio_processing::{AudioProcessing, AudioProcessingStats};
pub use channel::{DataChannel, DataChannelSender};
pub use config::DriverConfig;
pub use connection::PeerConnection;
pub use error::DriverError;
pub use event::{Events, IoStats, PeerConnectionEvent, PeerConnectionInfo};
pub use ice_servers::{IceServerConfig, IceServerError};
pub use interfaces::{
    InterfaceAddress, InterfaceFilter, InterfaceKind, InterfacePolicy, list_interfaces,
};
pub use tracks::{EncodedFrame, RemoteAudioTrack, RemoteTrack, RtpSender};
pub use video::{RemoteVideoTrack, VideoSendSettings, VideoSender};

pub(crate) use connection::request;

/// The driver owns the clock: the one place the crate reads it (HOUSE_STYLE.md §1).
#[allow(clippy::disallowed_methods)]
pub(crate) fn clock() -> Instant {
    Instant::now()
}
