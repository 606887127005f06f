//! Typed errors: malformed SDP, descriptions that contradict themselves, and negotiation
//! refusals.

use rtcweb_ice::CandidateParseError;
use thiserror::Error;

use crate::state::{Operation, SignalingState};

/// Why a text is not an SDP session description (RFC 8866 §9 grammar, or the grammar of an
/// attribute we model). Always the sender's fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is larger than [`MAX_SDP_LEN`](crate::MAX_SDP_LEN).
    #[error("session description longer than {0} bytes")]
    TooLong(usize),
    /// More media sections than [`MAX_MEDIA_SECTIONS`](crate::MAX_MEDIA_SECTIONS).
    #[error("more than {0} media sections")]
    TooManyMediaSections(usize),
    /// A line breaks the SDP line grammar (RFC 8866 §5, §9), as `sdp-types` reports it.
    #[error("line {line}: {reason}")]
    Syntax {
        /// 1-based line number (0 when the line is not known).
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// An attribute we model does not follow its grammar.
    #[error("a={attribute} does not follow its grammar ({location})")]
    InvalidAttribute {
        /// The attribute name.
        attribute: &'static str,
        /// Where it is.
        location: Location,
    },
    /// An `a=candidate` line that `rtcweb_ice::Candidate` refuses (RFC 8839 §5.1).
    #[error("a=candidate ({location}): {error}")]
    InvalidCandidate {
        /// Where it is.
        location: Location,
        /// The candidate grammar error.
        error: CandidateParseError,
    },
    /// An `m=` line whose port or format list is not usable.
    #[error("media section {0}: invalid m= line")]
    InvalidMediaLine(usize),
}

/// Where in a description an attribute is: the session level or a media section (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Session-level attribute.
    Session,
    /// Attribute of the media section with this index.
    Media(usize),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Session => f.write_str("session level"),
            Self::Media(i) => write!(f, "media section {i}"),
        }
    }
}

/// A description that parses but contradicts itself or lacks what JSEP requires
/// (RFC 8829 §5.8.3). Found by [`SessionDescription::validate`](crate::SessionDescription::validate).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DescriptionError {
    /// A media section without `a=mid` (RFC 8829 §5.2.1 requires one in every section).
    #[error("media section {0} has no a=mid")]
    MissingMid(usize),
    /// Two media sections with one mid (RFC 5888 §4).
    #[error("mid {0:?} names two media sections")]
    DuplicateMid(String),
    /// A BUNDLE group names a mid no media section has (RFC 8843 §7.2).
    #[error("BUNDLE group names mid {0:?}, which no media section has")]
    BundleMidMissing(String),
    /// A mid in two BUNDLE groups (RFC 8843 §7.2).
    #[error("mid {0:?} is in two BUNDLE groups")]
    MidInTwoBundles(String),
    /// An active media section without a DTLS fingerprint, at media or session level
    /// (RFC 8122 §5, RFC 8829 §5.8.3).
    #[error("media section {0:?} has no a=fingerprint")]
    MissingFingerprint(String),
    /// An active media section without `a=ice-ufrag` and `a=ice-pwd` (RFC 8839 §5.4).
    #[error("media section {0:?} has no ICE credentials")]
    MissingIceCredentials(String),
    /// ICE credentials that are empty or not ice-chars (RFC 8839 §5.4).
    #[error("media section {0:?} has malformed ICE credentials")]
    InvalidIceCredentials(String),
    /// Two `a=rtpmap` lines with one payload type (RFC 8866 §6.6).
    #[error("media section {mid:?} maps payload type {payload_type} twice")]
    DuplicatePayloadType {
        /// The media section.
        mid: String,
        /// The payload type.
        payload_type: u8,
    },
    /// Two `a=extmap` lines with one id in a media section (RFC 8285 §5).
    #[error("media section {mid:?} maps extension id {id} twice")]
    DuplicateExtensionId {
        /// The media section.
        mid: String,
        /// The extension id.
        id: u16,
    },
    /// An active RTP section without `a=rtcp-mux` (RFC 8829 §5.1.3: we require multiplexing).
    #[error("media section {0:?} lacks a=rtcp-mux")]
    MissingRtcpMux(String),
    /// Two values of an attribute that may appear once (mid, direction, setup, ...).
    #[error("media section {mid:?} has a={attribute} twice")]
    DuplicateAttribute {
        /// The media section (empty at session level).
        mid: String,
        /// The attribute name.
        attribute: &'static str,
    },
}

/// Who is to blame for an [`enum@Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The remote description (the peer, or the signalling channel) is at fault.
    Remote,
    /// The caller used the API wrongly (wrong state, unknown transceiver, bad config).
    Local,
}

/// Why the [`Negotiator`](crate::Negotiator) refused a call. The negotiator's state is
/// unchanged after every error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The SDP text does not parse.
    #[error("malformed SDP: {0}")]
    Parse(#[from] ParseError),
    /// The description contradicts itself.
    #[error("invalid description: {0}")]
    Invalid(#[from] DescriptionError),
    /// The operation is not allowed in this signaling state (RFC 8829 §3.2, W3C
    /// `InvalidStateError`).
    #[error("{operation} is not allowed in signaling state {state}")]
    WrongState {
        /// What was asked.
        operation: Operation,
        /// The state the negotiator is in.
        state: SignalingState,
    },
    /// A remote answer whose media sections do not match our offer (RFC 3264 §6: same
    /// number, order and kinds; RFC 8829 §5.8.3: same mids).
    #[error("answer media section {0} does not match the offer")]
    AnswerMismatch(usize),
    /// A remote offer that drops, reorders or changes the kind of a media section that was
    /// negotiated before (RFC 3264 §8, RFC 8829 §5.8.3).
    #[error("remote offer changes negotiated media section {0}")]
    RemoteOfferMismatch(usize),
    /// An `a=setup` value the role rules forbid: an answer with `actpass` or `holdconn`, or
    /// an offer without `actpass` where the answerer cannot take the other role
    /// (RFC 8842 §5.2, §5.3).
    #[error("a=setup:{0} is not allowed here")]
    InvalidSetup(&'static str),
    /// A local description that is not the last one [`create_offer`] or [`create_answer`]
    /// returned (RFC 8829 §5.4: we do not apply modified descriptions).
    ///
    /// [`create_offer`]: crate::Negotiator::create_offer
    /// [`create_answer`]: crate::Negotiator::create_answer
    #[error("local description is not the one last created")]
    NotCreatedHere,
    /// No transceiver with this id.
    #[error("no transceiver with id {0}")]
    UnknownTransceiver(u32),
    /// A transceiver must be audio or video.
    #[error("transceivers carry audio or video")]
    InvalidTransceiverKind,
    /// A candidate for a mid no media section of the remote description has, or from an
    /// ICE generation (ufrag) that is not the current one (RFC 8838 §4.3).
    #[error("candidate does not belong to the remote description")]
    CandidateMismatch,
    /// The remote description is larger than the negotiator's limits.
    #[error("more than {0} media sections")]
    TooManyMediaSections(usize),
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}

impl Error {
    /// Whose fault the error is.
    pub fn fault(&self) -> Fault {
        match self {
            Self::Parse(_)
            | Self::Invalid(_)
            | Self::AnswerMismatch(_)
            | Self::RemoteOfferMismatch(_)
            | Self::InvalidSetup(_)
            | Self::CandidateMismatch
            | Self::TooManyMediaSections(_) => Fault::Remote,
            Self::WrongState { .. }
            | Self::NotCreatedHere
            | Self::UnknownTransceiver(_)
            | Self::InvalidTransceiverKind
            | Self::InvalidConfig(_) => Fault::Local,
        }
    }
}

/// Maps `sdp-types`' parser error onto [`ParseError::Syntax`].
pub(crate) fn syntax_error(e: &sdp_types::ParserError) -> ParseError {
    use sdp_types::ParserError as P;
    #[allow(deprecated)]
    let (line, reason) = match e {
        P::UnexpectedLine(n, _) => (*n, "unexpected line"),
        P::InvalidLineFormat(n, s) => (*n, *s),
        P::InvalidFieldEncoding(n, _) => (*n, "field is not UTF-8"),
        P::InvalidFieldFormat(n, s) | P::MissingField(n, s) | P::FieldTrailingData(n, s) => {
            (*n, *s)
        }
        P::InvalidVersion(n, _) => (*n, "version is not 0"),
        P::MultipleVersions(n) => (*n, "second v= line"),
        P::NoVersion => (1, "no v= line first"),
        P::MultipleOrigins(n) => (*n, "second o= line"),
        P::NoOrigin => (0, "no o= line"),
        P::MultipleSessionNames(n) => (*n, "second s= line"),
        P::NoSessionName => (0, "no s= line"),
        P::MultipleSessionDescription(n) => (*n, "second i= line"),
        P::MultipleUris(n) => (*n, "second u= line"),
        P::MultipleConnections(n) => (*n, "second c= line"),
        P::MultipleTimeZones(n) => (*n, "second z= line"),
        P::MultipleMediaTitles(n) => (*n, "second media i= line"),
        P::MultipleKeys(n) => (*n, "second k= line"),
        P::RepeatWithoutTime(n) => (*n, "r= line without t= line"),
    };
    ParseError::Syntax { line, reason }
}
