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
//! - **Media** (the W3C model, RTP through [`rtcweb_rtp`]): transceivers
//!   ([`Peer::add_transceiver`], [`Peer::add_track`], [`Peer::remove_track`],
//!   [`Peer::replace_track`], [`Peer::set_direction`], [`Peer::stop_transceiver`],
//!   [`Peer::transceivers`]) each with a sender and a receiver. The core moves **encoded
//!   frames** and runs no codec: [`Peer::write_frame`] packetizes an [`OutgoingFrame`]
//!   (Opus, G.711, VP8, H.264), assigns sequence numbers and SSRCs, keeps the NACK history
//!   and answers NACKs (with RTX when negotiated, RFC 4588); each received frame comes as
//!   [`Event::Frame`] with its payload type, RTP timestamp, marker, audio level (RFC 6464)
//!   and, once a sender report mapped it, the sender's capture time (RFC 3550 §6.4.1).
//!   RTCP: sender and receiver reports, BYE when a sender stops or the connection closes,
//!   an incoming PLI or FIR as [`Event::KeyFrameRequest`], [`Peer::request_key_frame`]
//!   sending one; DTMF both ways ([`Peer::insert_dtmf`], RFC 4733). Codecs live above the
//!   core: rtcweb-media's Opus encoder and playout (feature `opus`, on by default) are run
//!   by the [`driver`] beside the core; with default features off nothing needs libopus or
//!   cmake.
//! - **Hang-up**: a DTLS close_notify or an SCTP ABORT or SHUTDOWN from the peer closes the
//!   connection at once ([`Event::ClosedByPeer`]), not after consent expires.
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
//! use rtcweb_datachannel::Message;
//! use rtcweb_peer::{Config, DataChannelInit, Event, Peer};
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
//! let chat = alice.create_data_channel(now, "chat", DataChannelInit::default())?;
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
//! The simulator (`tests/two_peers_data_channel.rs`; media in `tests/two_peers_media.rs`:
//! VP8 over 5 % loss with NACK and RTX, sender-report mapping, PLI, BYE, DTMF; W3C perfect
//! negotiation in `tests/perfect_negotiation.rs`), two driver-backed peers over real UDP on
//! `127.0.0.1` and `::1` (`tests/loopback_udp.rs`), headless Chromium
//! (`tests/chromium_data_channel.rs`, each side offering, in a network namespace holding
//! only `lo`): 1,000 data-channel messages up to 256 KiB echoed byte-exact, a second
//! channel from each side, closes seen both ways, and the same with our peer relayed
//! through coturn (ICE transport policy `relay`); Opus both ways
//! (`tests/chromium_audio.rs`): Chromium's fake microphone decodes here to its 400 Hz
//! beep, our tone plays in Chromium (`totalAudioEnergy` > 0); Chromium's fake camera
//! arrives as whole VP8 frames, key frames included (`tests/chromium_video.rs`); video
//! both ways in VP8, VP9 and H.264, each side offering, with 5 % loss too
//! (`tests/chromium_video_codecs.rs`, and VP8 and VP9 with Firefox in
//! `tests/firefox_video.rs`, VP8 with aiortc in `tests/aiortc_video.rs`): the driver
//! encodes the moving test pattern, which the browser decodes at its size and rate without
//! a freeze, and decodes the browser's camera.
//! Firefox ESR over WebDriver BiDi (`tests/firefox_interop.rs`, each side offering, with
//! and without mDNS host names): data channels of every kind, closes, Opus both ways,
//! ciphers. Live renegotiation, glare and DTMF with both browsers
//! (`tests/browser_negotiation.rs`). Against aiortc (`tests/aiortc_interop.rs`, PyPI in a
//! virtualenv): data channel and Opus both ways, each side offering. In the simulator
//! (`tests/two_peers_audio.rs`) a tone each way keeps its frequency and level with 3 % loss.
//!
//! ## Limits
//! Queued transmits and events, DTLS datagrams held until ICE selects a pair, and data
//! channels are bounded ([`Config`]); the layers bound their own state.
//!
//! ## Not implemented yet
//! Simulcast and SVC (one layer is sent), congestion control (no `transport-cc` or `goog-remb` is offered), renegotiation that
//! changes the DTLS parameters (the first exchange's role and fingerprints stay), modified
//! local descriptions (the negotiator applies only what it created).
#![forbid(unsafe_code)]

mod channels;
mod config;
mod data;
mod data_channel_init;
#[cfg(feature = "driver")]
pub mod driver;
mod error;
mod event;
mod frame;
#[cfg(feature = "mdns")]
pub mod mdns;
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
pub use data_channel_init::DataChannelInit;
pub use error::{Error, FailureReason};
pub use event::{
    DataChannelId, Description, DtlsState, Event, IceConnectionState, LocalCandidate,
    PeerConnectionState,
};
pub use frame::{CodecInfo, KeyFrameRequest, OutgoingFrame, ReceivedFrame};
pub use media::MediaError;
pub use media_stats::{
    CongestionControlStats, InboundStats, OutboundStats, SenderCounters, TransceiverStats,
};
pub use peer::Peer;
pub use stats::Stats;
pub use stats_report::{
    CandidatePairStats, CandidateStats, CertificateStats, CodecStats, DataChannelStats,
    InboundRtpStats, MediaSourceStats, OutboundRtpStats, PeerConnectionStats,
    RemoteInboundRtpStats, RtcStats, SctpTransportStats, StatsKind, StatsReport, TransportStats,
};
pub use transceiver::{
    MediaTrack, ReceiverInfo, RemoteTrack, SendEncoding, SendParameters, SenderInfo, TrackOrKind,
    TransceiverId, TransceiverInfo, TransceiverInit,
};

pub use rtcweb_cc::{Bitrate, CcConfig};
pub use rtcweb_common::Transport;
/// The layers' types that appear in this crate's API.
pub use rtcweb_datachannel::{ChannelState, ChannelType, Message, MessageKind, Reliability};
pub use rtcweb_ice::{CandidateKind, GatheringState, IceServer, SelectedPair, TransportPolicy};
pub use rtcweb_sdp::{CodecCapability, Direction, MediaKind, SdpType, SignalingState};
