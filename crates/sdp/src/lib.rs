//! # rtcweb-sdp: session descriptions and JSEP offer/answer
//!
//! Negotiation as browsers do it: typed SDP session descriptions (RFC 8866) over the
//! `sdp-types` parser and writer, and a sans-IO JSEP negotiator (RFC 8829) that creates and
//! applies offers and answers and reports, in one value, what the transport and media layers
//! need.
//!
//! ## Session descriptions
//! [`SessionDescription`] holds the session lines, the session-level attributes and the
//! [`MediaSection`]s, each attribute typed as an [`Attribute`]: `mid`, directions, BUNDLE
//! [`Group`]s, `rtcp-mux`, `rtcp-rsize`, `ice-ufrag` / `ice-pwd` / [`IceOptions`] (`trickle`,
//! `ice2`), `ice-lite`, `a=candidate` through the ICE crate's [`Candidate`],
//! `end-of-candidates`, [`Fingerprint`]s (any hash function), [`Setup`], [`RtpMap`] /
//! [`Fmtp`] / [`RtcpFeedback`] (joined per payload type by [`MediaSection::codecs`]),
//! [`ExtMap`] and `extmap-allow-mixed`, [`Ssrc`] and [`SsrcGroup`] (FID, SIM), [`Msid`],
//! [`Rid`] and [`Simulcast`], `sctp-port` and `max-message-size`. Any other attribute is kept
//! as [`Attribute::Other`]. A parsed description that is not changed writes back byte for
//! byte; a changed attribute is written in canonical form.
//! [`SessionDescription::validate`] finds descriptions that contradict themselves
//! (RFC 8829 §5.8.3): no fingerprint, BUNDLE naming a missing mid, two codecs on one payload
//! type, and so on.
//!
//! Inputs are bounded: [`MAX_SDP_LEN`] bytes and [`MAX_MEDIA_SECTIONS`] sections per text,
//! [`Config::max_media_sections`] per remote description, and the negotiator bounds its
//! transceivers, candidates and queued events.
//!
//! ## The negotiator and its drive loop
//! [`Negotiator`] follows the signaling state machine (stable, have-local-offer,
//! have-remote-offer, have-local-pranswer, have-remote-pranswer, closed) and refuses every
//! transition JSEP forbids. It owns no socket and reads no clock; signalling is the owner's.
//! Commands are methods (`add_transceiver`, `add_data_channel`, `restart_ice`,
//! `create_offer`, `set_remote_description`, `rollback`, ...); after each one the owner drains
//! [`Negotiator::poll_event`]: [`Event::NegotiationNeeded`] asks for an offer,
//! [`Event::Negotiated`] carries the [`Negotiation`] to hand to ICE, DTLS, SCTP and RTP.
//! A refused call returns a typed [`enum@Error`] and leaves the negotiator exactly as it was.
//!
//! ```
//! use rtcweb_sdp::{
//!     Config, Direction, Event, Fingerprint, HashAlgorithm, LocalTrack, MediaKind, Negotiator,
//!     SdpType,
//! };
//!
//! // The fingerprint comes from our DTLS certificate.
//! let config = |byte| Config::new(Fingerprint::new(HashAlgorithm::Sha256, vec![byte; 32]));
//! let mut offerer = Negotiator::new(config(1)).unwrap();
//! let mut answerer = Negotiator::new(config(2)).unwrap();
//!
//! let track = LocalTrack { stream_id: "s".into(), track_id: "mic".into() };
//! offerer.add_transceiver(MediaKind::Audio, Direction::SendRecv, Some(track)).unwrap();
//! offerer.add_data_channel().unwrap();
//! assert_eq!(offerer.poll_event(), Some(Event::NegotiationNeeded));
//!
//! // Offerer: create the offer, apply it, send its text through signalling.
//! let offer = offerer.create_offer().unwrap();
//! offerer.set_local_description(SdpType::Offer, &offer).unwrap();
//! let offer_text = offer.to_string();
//!
//! // Answerer: apply the offer text, answer, apply the answer, send it back.
//! answerer.set_remote_sdp(SdpType::Offer, &offer_text).unwrap();
//! let answer = answerer.create_answer().unwrap();
//! answerer.set_local_description(SdpType::Answer, &answer).unwrap();
//! offerer.set_remote_sdp(SdpType::Answer, &answer.to_string()).unwrap();
//!
//! // Both sides drain their events and route what was negotiated.
//! for n in [&mut offerer, &mut answerer] {
//!     while let Some(event) = n.poll_event() {
//!         if let Event::Negotiated(result) = event {
//!             let transport = result.transport.as_ref().unwrap();
//!             // ICE: credentials, candidates, role; DTLS: role and fingerprints.
//!             let _ = (&transport.ice.remote, transport.ice.controlling, transport.dtls.role);
//!             // SCTP: ports and message sizes; RTP: per-mid codecs, extensions, SSRCs.
//!             assert_eq!(result.sctp.as_ref().unwrap().remote_port, 5000);
//!             assert_eq!(result.media("0").unwrap().codecs[0].name, "opus");
//!         }
//!     }
//! }
//! ```
//!
//! Trickled candidates go through [`Negotiator::add_local_candidate`] and
//! [`Negotiator::add_remote_candidate`]; the owner hands the peer's to the ICE agent too.
//! There is no time in negotiation, so no timeouts: the randomness it needs (credentials,
//! SSRCs, CNAME, session id) comes from a generator seeded once ([`Config::seed`] for
//! deterministic tests).
//!
//! ## What the negotiator does
//! - **Offers** (RFC 8829 §5.2): one section per transceiver and the data channel, all in one
//!   BUNDLE group, `a=setup:actpass`; on renegotiation mids, payload types and extension ids
//!   stay, stopped transceivers' sections are rejected and rejected sections are recycled;
//!   a new section takes the payload types and extension ids already negotiated for its
//!   codecs and extensions, never one that means something else in the BUNDLE group.
//! - **Answers** (RFC 8829 §5.3): codecs intersected by name, clock rate, channels and the
//!   fmtp parameters that select a bitstream (H.264 profile and packetization-mode, VP9 and
//!   AV1 profiles; Opus and VP8 parameters are receiver preferences), in the offer's order
//!   with the offerer's payload types and RTX bound to its primary; header extensions by URI
//!   with the offerer's ids; directions mirrored (RFC 3264 §6.1); unsupported or codec-less
//!   sections rejected with port 0; everything on one BUNDLE transport; `a=setup:active` by
//!   default ([`Config::answerer_role`]), `passive` against an `active` offer.
//! - **ICE restart** (RFC 8445 §9), **rollback** (RFC 8829 §4.1.10.2), provisional answers.
//!
//! ## Not implemented
//! Sending simulcast (received simulcast is answered and reported), several transports
//! (without BUNDLE only the first usable section is accepted), `a=setup:holdconn`, RTCP on a
//! separate port (`rtcp-mux` is required), SDES keying (`a=crypto`), modified local
//! descriptions (only what `create_offer` / `create_answer` returned is applied), and codecs
//! beyond those configured in [`Config`].
#![forbid(unsafe_code)]

mod answer;
mod apply;
mod attribute;
mod bundle_ids;
mod codec;
mod codec_match;
mod config;
mod description;
mod direction;
mod error;
pub mod extmap;
mod fingerprint;
mod fmtp;
mod grammar;
mod group;
mod h264;
mod ice;
mod local_section;
mod media;
mod msid;
mod negotiator;
mod offer;
mod result;
mod rid;
mod rtcp_fb;
mod rtpmap;
mod setup;
mod simulcast;
mod ssrc;
mod state;
mod transceiver;
mod validate;

pub use attribute::Attribute;
pub use codec::{Codec, CodecCapability, ExtensionCapability};
pub use codec_match::NegotiatedCodec;
pub use config::Config;
pub use description::{MAX_MEDIA_SECTIONS, MAX_SDP_LEN, SessionDescription};
pub use direction::Direction;
pub use error::{DescriptionError, Error, Fault, Location, ParseError};
pub use extmap::ExtMap;
pub use fingerprint::{Fingerprint, HashAlgorithm, MAX_FINGERPRINT_LEN};
pub use fmtp::{Fmtp, FormatParameters};
pub use group::Group;
pub use ice::{IceOption, IceOptions};
pub use media::{FORMAT_DATACHANNEL, MediaKind, MediaSection, PROTO_RTP, PROTO_SCTP};
pub use msid::Msid;
pub use negotiator::{Event, Negotiator};
pub use result::{
    DtlsParameters, IceParameters, LocalStream, MediaParameters, Negotiation, RemoteStream,
    SctpParameters, Transport,
};
pub use rid::{Rid, RidDirection};
pub use rtcp_fb::{Feedback, RtcpFeedback};
pub use rtpmap::RtpMap;
pub use setup::{DtlsRole, Setup};
pub use simulcast::{Simulcast, SimulcastStream};
pub use ssrc::{Ssrc, SsrcGroup};
pub use state::{Operation, SdpType, SignalingState};
pub use transceiver::{LocalTrack, Transceiver, TransceiverId};

/// The ICE crate's candidate and credentials, which descriptions and negotiations carry.
pub use rtcweb_ice::{Candidate, Credentials};
/// `sdp-types`, whose `Origin`, `Connection`, `Bandwidth` and `Time` appear in
/// [`SessionDescription`].
pub use sdp_types;
