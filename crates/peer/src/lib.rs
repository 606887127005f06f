//! # rtcweb-peer: a WebRTC peer connection
//!
//! A peer connection with the semantics of the W3C `RTCPeerConnection`, as a **sans-IO
//! core**: [`Peer`] owns every protocol layer of rtcweb and routes between them; it opens no
//! socket, starts no task and reads no clock. The [`driver`] module (feature `driver`, on
//! by default) wraps it for tokio: UDP sockets, one timer and one task per connection,
//! and async handles ([`driver::PeerConnection`], [`driver::DataChannel`]) with events as
//! a stream.
//!
//! ## What the core owns and routes
//! - **JSEP** ([`rtcweb_sdp::Negotiator`]): [`Peer::create_offer`], [`Peer::create_answer`],
//!   [`Peer::set_local_description`], [`Peer::set_remote_description`] (parsed and checked
//!   first: a malformed or contradictory description is refused and changes nothing),
//!   [`Peer::add_ice_candidate`]. BUNDLE and rtcp-mux only, as browsers negotiate.
//! - **ICE** ([`rtcweb_ice::Agent`]): made with our role when the first offer is applied
//!   (the offerer controls, RFC 8445 §6.1.1), fed our host addresses
//!   ([`Peer::add_local_address`]) and the negotiated credentials and candidates; its
//!   local candidates come out as [`Event::LocalCandidate`] for trickling (RFC 8838).
//! - **Demultiplexing** (RFC 7983 §7, [`rtcweb_common::PacketKind`]): every datagram goes
//!   to the agent (STUN, TURN); what it returns from the validated pair is DTLS (20..=63)
//!   or SRTP/SRTCP (128..=191).
//! - **DTLS** ([`rtcweb_dtls::Connection`]): the role from `a=setup` (an `actpass` offerer
//!   answered by `active` is the server; RFC 8842 §5), the peer's certificate checked
//!   against its `a=fingerprint` (RFC 8122 §5): a mismatch fails the connection with
//!   [`FailureReason::Dtls`]`(`[`rtcweb_dtls::Error::FingerprintMismatch`]`)`. The server
//!   is made when the exchange completes, the client once ICE selects a pair.
//! - **SRTP** ([`rtcweb_srtp::Session`]): keyed from the DTLS exporter (RFC 5764 §4.2) when
//!   DTLS connects; incoming SRTP and SRTCP are authenticated and counted in [`Stats`].
//! - **Data channels** ([`rtcweb_datachannel::DataChannels`], DCEP on rtcweb-sctp): SCTP packets
//!   travel as DTLS application data (RFC 8261 §5); the association starts when DTLS is up.
//!   [`Peer::create_data_channel`] returns a [`DataChannelId`] at once; the channel opens
//!   with the association.
//! - **Audio** (Opus through [`rtcweb_media`], RTP through [`rtcweb_rtp`]):
//!   [`Peer::add_audio_track`] adds a `sendrecv` transceiver; each
//!   [`Peer::send_audio`] frame (20 ms of 48 kHz PCM) becomes one SRTP packet. The peer's
//!   audio comes as [`Event::Track`] and then one [`Event::AudioFrame`] per 20 ms from the
//!   jitter buffer, at playout ticks that are part of [`Peer::poll_timeout`]. RTCP sender
//!   and receiver reports go both ways ([`Peer::track_stats`]: loss, jitter, round trip).
//! - **Video, receiving** (rtcweb-media's frame buffer): a remote VP8 or H.264 track comes
//!   as [`Event::Track`] and then whole frames in decoding order ([`Event::VideoFrame`]),
//!   RTX retransmissions unwrapped (RFC 4588); missing packets are asked for with NACKs
//!   and a stuck stream with a PLI (RFC 4585). [`Peer::add_transceiver`] with
//!   [`Direction::RecvOnly`] asks the peer for its video in our offer.
//!
//! - **Statistics**: [`Peer::stats_report`] is the W3C `getStats()` report as JSON, with
//!   the webrtc-stats names; [`Peer::stats`] the core's own counters.
//! - **ICE restart**: [`Peer::restart_ice`] (W3C `restartIce`); the selected pair keeps
//!   carrying data until the restarted agent selects a new one.
//!
//! ## The drive loop
//! After every input (a datagram, a timeout, a command) the owner sends what
//! [`Peer::poll_transmit`] gives, handles what [`Peer::poll_event`] gives, and sleeps until
//! [`Peer::poll_timeout`]. Here two peers in one process connect, with datagrams handed
//! across directly where a socket would send them:
//!
//! ```
//! use std::time::Instant;
//! use rtcweb_common::{Datagram, Transport};
//! use rtcweb_datachannel::{ChannelOptions, Message};
//! use rtcweb_peer::{Config, Event, Peer};
//!
//! # #[allow(clippy::disallowed_methods)] // the owner's clock
//! let mut now = Instant::now();
//! let config = |seed| Config { seed: Some(seed), ..Config::default() };
//! let mut peers = [Peer::new(config(1), now)?, Peer::new(config(2), now)?];
//! let [alice, bob] = &mut peers;
//! alice.add_local_address(now, "192.0.2.1:5000".parse()?)?;
//! bob.add_local_address(now, "192.0.2.2:5000".parse()?)?;
//!
//! // Signalling: the offer and the answer as SDP text.
//! let chat = alice.create_data_channel(now, "chat", ChannelOptions::new("chat"))?;
//! let offer = alice.create_offer()?;
//! alice.set_local_description(now, &offer)?;
//! bob.set_remote_description(now, &offer)?;
//! let answer = bob.create_answer()?;
//! bob.set_local_description(now, &answer)?;
//! alice.set_remote_description(now, &answer)?;
//!
//! let mut got = None;
//! while got.is_none() {
//!     let mut moved = false;
//!     for i in 0..2 {
//!         let [alice, bob] = &mut peers;
//!         let (from, to) = if i == 0 { (alice, bob) } else { (bob, alice) };
//!         // Events: trickle candidates to the other side, send once the channel is open.
//!         while let Some(event) = from.poll_event() {
//!             match event {
//!                 Event::LocalCandidate(c) => to.add_ice_candidate(now, Some(&c.mid), &c.candidate)?,
//!                 Event::DataChannelOpen { channel } if channel == chat => {
//!                     from.send(now, chat, Message::text("hello"))?
//!                 }
//!                 Event::Message { message, .. } => got = Some(message),
//!                 _ => {}
//!             }
//!         }
//!         // Transmits: what a UDP socket would send.
//!         while let Some(t) = from.poll_transmit() {
//!             moved = true;
//!             let datagram = Datagram {
//!                 transport: Transport::Udp,
//!                 local: t.destination,
//!                 remote: t.source.expect("the core names the socket"),
//!                 contents: &t.contents,
//!             };
//!             to.handle_datagram(now, datagram);
//!         }
//!     }
//!     // Timers: sleep until the earliest deadline when nothing else moved.
//!     if !moved {
//!         let deadline = peers.iter().filter_map(Peer::poll_timeout).min();
//!         now = deadline.map_or(now, |d| now.max(d));
//!         peers.iter_mut().for_each(|p| p.handle_timeout(now));
//!     }
//! }
//! assert_eq!(got, Some(Message::text("hello")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Time and randomness
//! Time is the `now` argument of every method; nothing reads a clock. ICE credentials and
//! tie-breaker, SDP ids and DTLS randoms come from generators seeded from [`Config::seed`]
//! (or the OS); certificates and DTLS ephemeral keys use the OS generator.
//!
//! ## Tested against
//! The simulator (`tests/two_peers_data_channel.rs`), two driver-backed peers over real
//! UDP on `127.0.0.1` and `::1` (`tests/loopback_udp.rs`), and headless Chromium
//! (`tests/chromium_data_channel.rs`, each side offering, in a network namespace holding
//! only `lo`): 1,000 data-channel messages up to 256 KiB echoed byte-exact, a second
//! channel from each side, closes seen both ways, and the same with our peer relayed
//! through coturn (ICE transport policy `relay`); and Opus both
//! ways (`tests/chromium_audio.rs`): Chromium's fake microphone decodes here to its 400 Hz
//! beep, our tone plays in Chromium (`totalAudioEnergy` > 0); Chromium's fake camera
//! arrives as whole VP8 frames, key frames included (`tests/chromium_video.rs`). Against
//! aiortc (`tests/aiortc_interop.rs`, PyPI in a virtualenv): data channel and Opus both
//! ways, each side offering. In the simulator
//! (`tests/two_peers_audio.rs`) a tone each way keeps its frequency and level with 3 % loss.
//!
//! ## Limits
//! Queued transmits and events, DTLS datagrams held until ICE selects a pair, and data
//! channels are bounded ([`Config`]); the layers bound their own state.
//!
//! ## Not implemented yet
//! sending video, audio codecs other than Opus, renegotiation that
//! changes the DTLS parameters (the first exchange's role and fingerprints stay), modified
//! local descriptions (the negotiator applies only what it created).
#![forbid(unsafe_code)]

mod channels;
mod config;
mod data;
#[cfg(feature = "driver")]
pub mod driver;
mod error;
mod event;
mod frame;
mod media;
mod media_stats;
mod peer;
mod routing;
mod signaling;
mod stats;
mod stats_report;
mod transceiver;
mod transceivers;

pub use channels::DataChannelInfo;
pub use config::Config;
pub use error::{Error, FailureReason};
pub use event::{
    DataChannelId, Description, DtlsState, Event, IceConnectionState, LocalCandidate,
    PeerConnectionState,
};
pub use frame::{CodecInfo, KeyFrameRequest, OutgoingFrame, ReceivedFrame};
pub use media::MediaError;
pub use media_stats::{InboundStats, OutboundStats, SenderCounters, TransceiverStats};
pub use peer::Peer;
pub use stats::Stats;
pub use transceiver::{
    MediaTrack, ReceiverInfo, RemoteTrack, SendEncoding, SendParameters, SenderInfo, TrackOrKind,
    TransceiverId, TransceiverInfo, TransceiverInit,
};

pub use rtcweb_common::Transport;
/// The layers' types that appear in this crate's API.
pub use rtcweb_datachannel::{
    ChannelOptions, ChannelState, ChannelType, Message, MessageKind, Reliability,
};
pub use rtcweb_ice::{CandidateKind, GatheringState, IceServer, SelectedPair, TransportPolicy};
pub use rtcweb_sdp::{Direction, MediaKind, SdpType, SignalingState};
