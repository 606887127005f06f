//! Typed errors of the STUN layer.

use thiserror::Error;

/// Why a datagram is not a well-formed STUN message (RFC 8489 §5, §6.3).
///
/// Returned by the cheap [`classify`](crate::classify()) functions before any full decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClassifyError {
    /// Shorter than the 20-byte STUN header.
    #[error("shorter than a STUN header ({len} bytes)")]
    TooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The first byte is not 0..=3: the two most significant bits are not zero (RFC 8489 §5),
    /// or the method is beyond what RFC 7983 §7 demultiplexes as STUN.
    #[error("first two bits are not zero")]
    NotStun,
    /// The magic cookie 0x2112A442 is missing (RFC 8489 §5).
    #[error("magic cookie missing")]
    NoMagicCookie,
    /// The message length is not a multiple of 4 (RFC 8489 §5).
    #[error("message length {0} is not a multiple of 4")]
    UnalignedLength(u16),
    /// The length field does not match the bytes that came (RFC 8489 §6.3).
    #[error("length field says {declared} bytes of attributes, {actual} came")]
    LengthMismatch {
        /// Attribute bytes the header declares.
        declared: usize,
        /// Attribute bytes actually present.
        actual: usize,
    },
    /// An attribute's length runs past the end of the message.
    #[error("attribute 0x{attr_type:04x} runs past the end of the message")]
    AttributeOverrun {
        /// Type of the attribute that overruns.
        attr_type: u16,
    },
    /// FINGERPRINT is present but its CRC-32 does not match (RFC 8489 §14.7).
    #[error("FINGERPRINT does not match")]
    BadFingerprint,
    /// FINGERPRINT is present but is not the last attribute (RFC 8489 §14.7).
    #[error("FINGERPRINT is not the last attribute")]
    FingerprintNotLast,
}

/// Why a STUN message could not be decoded or authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The framing checks failed.
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    /// An attribute's value is malformed for its type.
    #[error("attribute 0x{attr_type:04x} is malformed")]
    MalformedAttribute {
        /// The attribute's type.
        attr_type: u16,
    },
    /// The message could not be decoded for a reason stun-rs did not attach to an attribute.
    #[error("malformed message")]
    Malformed,
    /// Authentication was required and the message has no MESSAGE-INTEGRITY nor
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.1.3, §9.2.4).
    #[error("message integrity is missing")]
    MissingIntegrity,
    /// MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 does not validate with the key.
    #[error("message integrity does not validate")]
    BadIntegrity,
}

/// Why a STUN message could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The caller's buffer is too small for the message.
    #[error("buffer too small for the message")]
    BufferTooSmall,
    /// An attribute value is out of its allowed range (too long a string, a bad error code,
    /// a string the PRECIS profile refuses).
    #[error("attribute 0x{attr_type:04x} value is invalid")]
    InvalidAttribute {
        /// The attribute's type.
        attr_type: u16,
    },
    /// The message could not be encoded for another reason.
    #[error("message could not be encoded")]
    Invalid,
}

/// Why credentials could not be turned into a MESSAGE-INTEGRITY key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The password, username or realm is refused by the OpaqueString profile
    /// (RFC 8265 §4.2, required by RFC 8489 §9.2.2).
    #[error("credential string refused by the OpaqueString profile")]
    Precis,
}
