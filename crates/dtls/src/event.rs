//! What a connection reports to its owner.

use crate::certificate::Fingerprint;
use crate::config::Role;
use crate::error::Error;
use crate::wire::code_points::{CipherSuite, NamedGroup, ProtocolVersion, SrtpProfile};

/// An event, drained with [`Connection::poll_event`](crate::Connection::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed: the peer's certificate matched its fingerprint and both
    /// Finished messages verified.
    Connected(Box<Connected>),
    /// Application data from the peer (one record's plaintext: one SCTP packet for data
    /// channels, RFC 8261 §5).
    ApplicationData(Vec<u8>),
    /// The connection is closed: the peer sent close_notify, or we called `close`.
    Closed,
    /// The connection failed; it does nothing more.
    Failed(Error),
}

/// What the handshake established.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connected {
    /// Our role.
    pub role: Role,
    /// The negotiated version: [`ProtocolVersion::DTLS_1_2`] or [`ProtocolVersion::DTLS_1_3`]
    /// (webrtc-stats `tlsVersion` is its hex form, "FEFD" or "FEFC").
    pub version: ProtocolVersion,
    /// The negotiated cipher suite.
    pub cipher_suite: CipherSuite,
    /// The ECDHE group.
    pub group: NamedGroup,
    /// The SRTP profile and its keys, when `use_srtp` was negotiated.
    pub srtp: Option<SrtpKeying>,
    /// The peer's DER certificate (the first of its chain).
    pub peer_certificate: Vec<u8>,
    /// The peer certificate's fingerprint that matched the SDP.
    pub peer_fingerprint: Fingerprint,
}

/// DTLS-SRTP keying (RFC 5764 §4.2): the negotiated profile and the exporter output with
/// label `EXTRACTOR-dtls_srtp`, no context, as many bytes as the profile needs (client key,
/// server key, client salt, server salt).
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeying {
    /// The protection profile.
    pub profile: SrtpProfile,
    /// The keying material.
    pub keying_material: Vec<u8>,
}

impl std::fmt::Debug for SrtpKeying {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        f.debug_struct("SrtpKeying")
            .field("profile", &self.profile)
            .field("keying_material_len", &self.keying_material.len())
            .finish()
    }
}
