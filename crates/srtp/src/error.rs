//! Typed errors of the SRTP layer.
//!
//! Every error means the packet is dropped and the stream state (rollover counter, highest
//! index, replay window, SRTCP index) is exactly what it was before the call.

use thiserror::Error;

/// Why a packet could not be protected or unprotected.
///
/// `TooShort`, `MalformedHeader`, `AuthenticationFailed`, `Replayed` and `TooOld` are the
/// peer's (or an attacker's) doing; `BufferTooSmall` and `TooManyStreams` are ours to size;
/// `IndexExhausted` means the master key is used up and the session must be re-keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The packet is shorter than its fixed header plus the profile's trailer.
    #[error("packet too short ({len} bytes)")]
    TooShort {
        /// Length of the packet.
        len: usize,
    },
    /// The RTP or RTCP header is not version 2 or its CSRC list or header extension runs past
    /// the end of the packet.
    #[error("malformed RTP/RTCP header")]
    MalformedHeader,
    /// Protecting needs room after the packet for the tag (and for SRTCP the index).
    #[error("buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// Bytes the buffer must hold for the protected packet.
        needed: usize,
    },
    /// The authentication tag does not verify (RFC 3711 §3.3 step 5, RFC 7714 §7.2).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The packet index was already received (RFC 3711 §3.3.2).
    #[error("replayed packet (index {index})")]
    Replayed {
        /// The packet index (48-bit for SRTP, 31-bit for SRTCP).
        index: u64,
    },
    /// The packet index is older than the replay window reaches (RFC 3711 §3.3.2).
    #[error("packet index {index} is behind the replay window")]
    TooOld {
        /// The packet index (48-bit for SRTP, 31-bit for SRTCP).
        index: u64,
    },
    /// A packet authenticated for a new SSRC but the stream table is full.
    #[error("too many streams (at most {max})")]
    TooManyStreams {
        /// The configured maximum.
        max: usize,
    },
    /// The 48-bit SRTP index or the 31-bit SRTCP index is used up: re-key (RFC 3711 §9.2).
    #[error("packet index exhausted: the session must be re-keyed")]
    IndexExhausted,
}

/// Why SRTP keys could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyingError {
    /// A master key, master salt or keying material block has the wrong length for the profile.
    #[error("wrong length: {expected} bytes expected, {actual} given")]
    WrongLength {
        /// The length the profile needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },
}
