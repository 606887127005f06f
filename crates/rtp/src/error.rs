//! Wire errors.

use thiserror::Error;

/// Why RTP or RTCP bytes did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// Shorter than a header or a declared length.
    #[error("packet too short")]
    TooShort,
    /// Version field is not 2 (RFC 3550 §5.1).
    #[error("RTP/RTCP version is not 2")]
    BadVersion,
    /// A length field points past the end, or padding is inconsistent.
    #[error("length or padding does not fit the packet")]
    BadLength,
    /// A header-extension element is malformed (id 15 in the one-byte form, a length past
    /// the end).
    #[error("malformed header extension")]
    BadExtension,
    /// A value does not fit the field it is written to.
    #[error("value does not fit its field")]
    TooLarge,
    /// The caller's buffer is too small.
    #[error("buffer too small")]
    BufferTooSmall,
    /// rtp-rs refused the RTP header.
    #[error("RTP header does not parse")]
    BadRtpHeader,
}
