//! # rtcweb-sdp
#![forbid(unsafe_code)]

mod answer;
mod apply;
mod attribute;
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
