//! Typed errors: wire-format errors (small, `Copy`), protocol errors (whose fault, and the
//! alert they send), configuration errors.

use thiserror::Error;

use crate::certificate::Fingerprint;
use crate::wire::alert::AlertDescription;
use crate::wire::handshake::HandshakeType;

/// Bytes that are not a valid DTLS record or handshake message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer bytes than the format or a length field says.
    #[error("truncated")]
    Truncated,
    /// Bytes left over after a complete message.
    #[error("trailing bytes after the message")]
    TrailingBytes,
    /// A value too long for its length field or for the record size limit.
    #[error("too long")]
    TooLong,
    /// A length outside what the format allows (empty where at least one is required, odd
    /// for a list of 16-bit values, a session ID over 32 bytes...).
    #[error("length out of range")]
    BadLength,
    /// A record version that is not DTLS (its first byte is not 0xfe).
    #[error("not a DTLS record version: 0x{0:04x}")]
    BadVersion(u16),
    /// A DTLS 1.3 unified header (RFC 9147 §4): not implemented.
    #[error("DTLS 1.3 unified record header")]
    UnsupportedHeader,
    /// A handshake fragment that extends past its message (RFC 6347 §4.2.3).
    #[error("handshake fragment outside its message")]
    BadFragment,
    /// An extension whose body does not parse.
    #[error("malformed extension")]
    BadExtension,
    /// The same extension twice (RFC 5246 §7.4.1.4).
    #[error("duplicate extension {0}")]
    DuplicateExtension(u16),
    /// A ServerKeyExchange whose curve type is not `named_curve` (RFC 8422 §5.4).
    #[error("unsupported ECCurveType")]
    UnsupportedCurveType,
    /// An alert level other than warning (1) or fatal (2).
    #[error("alert level {0}")]
    BadAlertLevel(u8),
}

/// A parameter of the peer that is not what was offered or is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Parameter {
    /// A cipher suite we did not offer.
    CipherSuite,
    /// A group we did not offer.
    Group,
    /// An SRTP profile we did not offer, or an MKI.
    SrtpProfile,
    /// A compression method other than null.
    Compression,
    /// A non-empty `renegotiation_info` on a first handshake (RFC 5746 §3.4).
    Renegotiation,
    /// An ephemeral public key that is not a valid point of its group.
    PublicKey,
    /// A signature scheme we did not offer, or that does not fit the certificate's key.
    SignatureScheme,
    /// `ec_point_formats` without the uncompressed format (RFC 8422 §5.1.2).
    PointFormat,
    /// A cookie longer than DTLS allows, or an empty one in a HelloVerifyRequest.
    Cookie,
    /// A DTLS 1.2 ServerHello carrying the RFC 8446 §4.1.3 downgrade sentinel to a client
    /// that offered 1.3.
    Downgrade,
    /// A DTLS 1.3 `key_share` for a group that was not offered, listed twice, or of the
    /// wrong length.
    KeyShare,
    /// A HelloRetryRequest that would not change the ClientHello, or a second one
    /// (RFC 8446 §4.1.4).
    HelloRetryRequest,
}

/// Why the DTLS machine failed, or refused a call.
///
/// Variants say whose fault it is. The peer's: everything down to [`Error::Timeout`]; ours to
/// size or call differently: [`Error::NotConnected`], [`Error::Closed`],
/// [`Error::DataTooLong`]. Every fatal error poisons the machine: it sends the alert of
/// [`Error::alert`] (if any), reports [`Event::Failed`](crate::Event::Failed), and does
/// nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A handshake message or alert does not parse.
    #[error("malformed {message:?}: {error}")]
    Malformed {
        /// The message type (for alerts, `HandshakeType(255)`).
        message: HandshakeType,
        /// What is wrong with it.
        error: WireError,
    },
    /// A handshake message arrived that the state does not expect.
    #[error("unexpected handshake message {0:?}")]
    UnexpectedMessage(HandshakeType),
    /// The peer offers no DTLS version we accept (RFC 6347 §4.2.1, RFC 9147 §5.3).
    #[error("peer offers no DTLS version we accept (version 0x{0:04x})")]
    ProtocolVersion(u16),
    /// No cipher suite in common (a server needs an ECDHE_ECDSA suite for our certificate).
    #[error("no cipher suite in common")]
    NoCommonCipherSuite,
    /// No key exchange group in common (we have x25519 and secp256r1).
    #[error("no key exchange group in common")]
    NoCommonGroup,
    /// No SRTP protection profile in common, or the server ignored `use_srtp`.
    #[error("no SRTP protection profile in common")]
    NoCommonSrtpProfile,
    /// The peer does not do the extended master secret (RFC 7627), which we require.
    #[error("peer does not support the extended master secret (RFC 7627)")]
    ExtendedMasterSecretRequired,
    /// The peer chose or sent a parameter that was not offered or is not allowed.
    #[error("illegal parameter: {0:?}")]
    IllegalParameter(Parameter),
    /// The peer sent no certificate (WebRTC needs mutual authentication, RFC 8827 §6.5).
    #[error("peer sent no certificate")]
    NoCertificate,
    /// The server does not accept an ECDSA client certificate signed with
    /// ecdsa_secp256r1_sha256.
    #[error("server accepts no signature scheme we can sign with")]
    NoCommonSignatureScheme,
    /// The peer's certificate does not parse as X.509.
    #[error("peer certificate does not parse")]
    BadCertificate,
    /// The peer's certificate key is of a type we cannot verify.
    #[error("peer certificate key type not supported")]
    UnsupportedCertificate,
    /// The peer's certificate does not match any fingerprint from the SDP (RFC 8122 §5):
    /// the handshake fails before any keying material or data is released.
    #[error("peer certificate fingerprint {actual} matches none of the expected fingerprints")]
    FingerprintMismatch {
        /// The peer's certificate fingerprint, in the hash of the expected ones.
        actual: Fingerprint,
    },
    /// A ServerKeyExchange or CertificateVerify signature does not verify.
    #[error("bad signature in {0:?}")]
    BadSignature(HandshakeType),
    /// The peer's Finished does not verify (RFC 5246 §7.4.9).
    #[error("peer Finished does not verify")]
    BadFinished,
    /// A handshake message longer than the reassembly limit.
    #[error("handshake message of {length} bytes exceeds the limit")]
    MessageTooLarge {
        /// The announced length.
        length: u32,
    },
    /// The peer sent a fatal alert.
    #[error("peer sent fatal alert {0}")]
    AlertReceived(AlertDescription),
    /// The handshake did not complete after every retransmission (RFC 6347 §4.2.4).
    #[error("handshake timed out")]
    Timeout,
    /// A cryptographic operation failed that should not (a bug or an exhausted OS RNG).
    #[error("internal cryptographic failure")]
    Crypto,
    /// `send` before the handshake completed.
    #[error("not connected")]
    NotConnected,
    /// The connection is closed or failed.
    #[error("connection closed")]
    Closed,
    /// Application data larger than a record can carry (2^14 bytes).
    #[error("{len} bytes of application data exceed one record (16384)")]
    DataTooLong {
        /// The length given.
        len: usize,
    },
}

impl Error {
    /// The alert this error sends to the peer, if any (RFC 5246 §7.2.2).
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Self::Malformed { .. } => A::DECODE_ERROR,
            Self::UnexpectedMessage(_) => A::UNEXPECTED_MESSAGE,
            Self::ProtocolVersion(_) => A::PROTOCOL_VERSION,
            Self::NoCommonCipherSuite
            | Self::NoCommonGroup
            | Self::NoCommonSrtpProfile
            | Self::ExtendedMasterSecretRequired
            | Self::NoCertificate
            | Self::NoCommonSignatureScheme
            | Self::MessageTooLarge { .. } => A::HANDSHAKE_FAILURE,
            Self::IllegalParameter(_) => A::ILLEGAL_PARAMETER,
            Self::BadCertificate | Self::FingerprintMismatch { .. } => A::BAD_CERTIFICATE,
            Self::UnsupportedCertificate => A::UNSUPPORTED_CERTIFICATE,
            Self::BadSignature(_) | Self::BadFinished => A::DECRYPT_ERROR,
            Self::Crypto => A::INTERNAL_ERROR,
            Self::AlertReceived(_)
            | Self::Timeout
            | Self::NotConnected
            | Self::Closed
            | Self::DataTooLong { .. } => return None,
        })
    }

    /// True for errors that are the peer's doing (as opposed to API misuse or our limits).
    pub fn is_peer_fault(&self) -> bool {
        !matches!(
            self,
            Self::Crypto | Self::NotConnected | Self::Closed | Self::DataTooLong { .. }
        )
    }

    pub(crate) fn malformed(message: HandshakeType) -> impl Fn(WireError) -> Self {
        move |error| Self::Malformed { message, error }
    }
}

/// Why a [`Config`](crate::Config) or [`Certificate`](crate::Certificate) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No remote fingerprint: the peer's certificate could not be checked (RFC 8122 §5).
    #[error("no remote certificate fingerprint configured")]
    NoRemoteFingerprint,
    /// The MTU leaves no room for a handshake fragment.
    #[error("MTU {0} too small (at least 256)")]
    MtuTooSmall(usize),
    /// No cipher suite we implement is enabled.
    #[error("no supported cipher suite enabled")]
    NoCipherSuite,
    /// A cipher suite, group or SRTP profile in the configuration is not implemented.
    #[error("unsupported value in configuration: 0x{0:04x}")]
    Unsupported(u16),
    /// The certificate could not be generated.
    #[error("certificate generation failed")]
    CertificateGeneration,
    /// The private key is not a PKCS#8 ECDSA P-256 key matching the certificate.
    #[error("private key is not a PKCS#8 ECDSA P-256 key")]
    BadPrivateKey,
    /// A fingerprint string is not `<hash> XX:XX:...` with a supported hash (RFC 8122 §5).
    #[error("malformed fingerprint")]
    BadFingerprint,
}
