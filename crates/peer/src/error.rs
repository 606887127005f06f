//! Why a call was refused, and why a connection failed.

use thiserror::Error;

use crate::{DataChannelId, MediaError, TransceiverId};

/// Why a [`Peer`](crate::Peer) refused a call. A refused call leaves the peer as it was
/// (the JSEP negotiator commits nothing on error), so it stays usable.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The session description does not parse, contradicts itself, does not fit the
    /// signaling state, or is not the one last created (RFC 8829).
    #[error("session description: {0}")]
    Sdp(#[from] rtcweb_sdp::Error),
    /// The remote description has no `a=fingerprint` with a hash function DTLS can check
    /// (sha-256, sha-384 or sha-512; RFC 8827 §6.5).
    #[error("remote description has no sha-256, sha-384 or sha-512 fingerprint")]
    UnsupportedFingerprint,
    /// A trickled candidate does not follow the RFC 8839 §5.1 grammar.
    #[error("ICE candidate: {0}")]
    Candidate(#[from] rtcweb_ice::CandidateParseError),
    /// The ICE agent refused a candidate or a local address.
    #[error("ICE: {0}")]
    Ice(#[from] rtcweb_ice::IceError),
    /// `add_ice_candidate` before a remote description was applied (W3C
    /// `InvalidStateError`).
    #[error("no remote description yet")]
    NoRemoteDescription,
    /// The data-channel layer refused to open a channel.
    #[error("data channel: {0}")]
    Open(#[from] rtcweb_datachannel::OpenError),
    /// The data-channel layer refused to send a message.
    #[error("data channel: {0}")]
    Send(#[from] rtcweb_datachannel::SendError),
    /// No data channel with this handle (never created, or closed).
    #[error("no data channel {0}")]
    UnknownChannel(DataChannelId),
    /// The channel exists but is not open yet (its SCTP association is not up).
    #[error("data channel {0} is not open")]
    ChannelNotOpen(DataChannelId),
    /// More data channels than [`Config::max_data_channels`](crate::Config).
    #[error("too many data channels (limit {0})")]
    TooManyChannels(usize),
    /// No transceiver with this handle.
    #[error("no transceiver {0}")]
    UnknownTransceiver(TransceiverId),
    /// The transceiver's sender has no track (W3C: it sends nothing).
    #[error("transceiver {0} has no track to send")]
    NoTrack(TransceiverId),
    /// The transceiver does not send (yet): not negotiated, or negotiated without sending.
    #[error("transceiver {0} is not sending")]
    NotSending(TransceiverId),
    /// The transceiver was stopped (W3C `InvalidStateError`).
    #[error("transceiver {0} is stopped")]
    TransceiverStopped(TransceiverId),
    /// A track of another kind than the transceiver's (W3C `TypeError`).
    #[error("the track's kind is not transceiver {0}'s")]
    KindMismatch(TransceiverId),
    /// The track is already on a sender of this connection (W3C `InvalidAccessError`).
    #[error("track {0} was already added")]
    TrackAlreadyAdded(String),
    /// A configuration change that is not allowed (W3C `InvalidModificationError`).
    #[error("not allowed: {0}")]
    InvalidModification(&'static str),
    /// Sender parameters that change what cannot change (the number of encodings).
    #[error("invalid parameters for transceiver {0}")]
    InvalidParameters(TransceiverId),
    /// Media could not be packetized or sent.
    #[error("media: {0}")]
    Media(#[from] MediaError),
    /// Our certificate could not be made.
    #[error("certificate: {0}")]
    Certificate(#[from] rtcweb_dtls::ConfigError),
    /// The peer connection is closed.
    #[error("peer connection closed")]
    Closed,
}

impl Error {
    /// True when the remote side (its description or candidate) is at fault rather than
    /// the caller.
    pub fn is_remote_fault(&self) -> bool {
        match self {
            Self::Sdp(e) => e.fault() == rtcweb_sdp::Fault::Remote,
            Self::UnsupportedFingerprint | Self::Candidate(_) => true,
            Self::Ice(e) => matches!(
                e,
                rtcweb_ice::IceError::InvalidCredentials
                    | rtcweb_ice::IceError::UnsupportedComponent(_)
                    | rtcweb_ice::IceError::UnsupportedTransport
                    | rtcweb_ice::IceError::StaleCandidate
            ),
            _ => false,
        }
    }
}

/// Why the connection failed (W3C `connectionState` `failed`), reported once with
/// [`Event::Failed`](crate::Event::Failed) and kept in
/// [`Peer::failure`](crate::Peer::failure).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum FailureReason {
    /// ICE found no working candidate pair, or consent was lost (RFC 7675 §5.1). When
    /// STUN or TURN servers refused or did not answer, what they said is here (a relay that
    /// could not be had is often why nothing worked behind a symmetric NAT).
    #[error("ICE failed{}", server_errors(.0))]
    Ice(Vec<rtcweb_ice::CandidateError>),
    /// The peer's ICE credentials were refused by the agent.
    #[error("remote ICE parameters refused: {0}")]
    IceParameters(rtcweb_ice::IceError),
    /// The DTLS handshake or connection failed; a certificate that does not match the
    /// SDP fingerprint is [`rtcweb_dtls::Error::FingerprintMismatch`] (RFC 8122 §5).
    #[error("DTLS: {0}")]
    Dtls(rtcweb_dtls::Error),
    /// The DTLS configuration was refused (no usable remote fingerprint, ...).
    #[error("DTLS configuration: {0}")]
    DtlsConfig(rtcweb_dtls::ConfigError),
    /// DTLS negotiated an SRTP profile whose keys could not be used (RFC 5764 §4.2).
    #[error("SRTP keying: {0}")]
    SrtpKeying(rtcweb_srtp::KeyingError),
    /// DTLS negotiated an SRTP protection profile the SRTP layer does not implement.
    #[error("SRTP profile 0x{0:04x} not supported")]
    UnsupportedSrtpProfile(u16),
}

/// ": no relay: turn:...: 401 ..." for the ICE failure, when servers said something.
fn server_errors(errors: &[rtcweb_ice::CandidateError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!(" (servers: {})", list.join("; "))
}
