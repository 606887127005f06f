//! Configuration of a DTLS connection.

use std::time::Duration;

use crate::certificate::{Certificate, Fingerprint};
use crate::error::ConfigError;
use crate::wire::code_points::{CipherSuite, NamedGroup, SrtpProfile};

/// Smallest MTU accepted: room for the headers and a useful fragment.
pub const MIN_MTU: usize = 256;

/// Our role in the handshake (WebRTC picks it with `a=setup`, RFC 8842 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We send the ClientHello (`a=setup:active`).
    Client,
    /// We answer it (`a=setup:passive`).
    Server,
}

/// The DTLS versions a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Versions {
    /// DTLS 1.2 only (RFC 6347): a ClientHello offers nothing of 1.3, a server answers a
    /// 1.3-capable ClientHello with 1.2.
    Dtls12,
    /// DTLS 1.3 only (RFC 9147): a server refuses a client without 1.3 (protocol_version),
    /// a client refuses a 1.2 ServerHello.
    Dtls13,
    /// Both, 1.3 preferred: a client offers 1.3 and accepts 1.2; a server picks 1.3 when
    /// the client offers it.
    #[default]
    Both,
}

impl Versions {
    /// Whether DTLS 1.2 is allowed.
    pub fn allows_dtls12(self) -> bool {
        self != Self::Dtls13
    }

    /// Whether DTLS 1.3 is allowed.
    pub fn allows_dtls13(self) -> bool {
        self != Self::Dtls12
    }
}

/// How a [`Connection`](crate::Connection) behaves. Built with [`Config::new`]; every field
/// may then be changed.
#[derive(Debug, Clone)]
pub struct Config {
    /// Our certificate, sent in both roles (RFC 8827 §6.5: mutual authentication).
    pub certificate: Certificate,
    /// The peer's certificate fingerprints from its SDP (`a=fingerprint`). The certificate
    /// must match one of those with the strongest hash function listed (RFC 8122 §5).
    pub remote_fingerprints: Vec<Fingerprint>,
    /// Cipher suites, in our order of preference (a server picks its first the client
    /// offers and its certificate can serve).
    pub cipher_suites: Vec<CipherSuite>,
    /// Key exchange groups we offer (client) or accept (server: the first in the *client's*
    /// order that we support).
    pub groups: Vec<NamedGroup>,
    /// The DTLS versions we speak (default: both, 1.3 preferred).
    pub versions: Versions,
    /// DTLS 1.3 cipher suites, in our order of preference (RFC 8446 §B.4).
    pub tls13_cipher_suites: Vec<CipherSuite>,
    /// DTLS 1.3 key exchange groups, in our order of preference: a client sends key shares
    /// for the first [`Config::tls13_key_shares`] of them and lists all in
    /// `supported_groups`; a server takes the first of these the client sent a share for,
    /// or asks for one with a HelloRetryRequest (RFC 8446 §4.1.4).
    pub tls13_groups: Vec<NamedGroup>,
    /// How many key shares a DTLS 1.3 ClientHello carries (default 2: X25519MLKEM768 and
    /// x25519, so that a server without ML-KEM needs no HelloRetryRequest).
    pub tls13_key_shares: usize,
    /// SRTP protection profiles for `use_srtp`, in our order of preference; empty for a
    /// connection without SRTP (data channels only).
    pub srtp_profiles: Vec<SrtpProfile>,
    /// Largest datagram we send during the handshake (default 1200).
    pub mtu: usize,
    /// As server, answer a ClientHello without a valid cookie with a HelloVerifyRequest
    /// (RFC 6347 §4.2.1). On by default.
    pub cookies: bool,
    /// First retransmission timeout of a flight (RFC 6347 §4.2.4.1; default 1 s).
    pub initial_retransmit: Duration,
    /// Ceiling of the doubling retransmission timeout (default 60 s).
    pub max_retransmit: Duration,
    /// Retransmissions of one flight before the handshake fails (default 7).
    pub max_retransmissions: u32,
    /// Largest handshake message accepted (default 32 KiB).
    pub max_message_len: usize,
    /// Most bytes held for partial handshake messages together (default 64 KiB).
    pub max_reassembly: usize,
    /// Seed of the random generator (randoms, cookie secret) for reproducible tests;
    /// `None` seeds it from the OS. Ephemeral keys and signatures always use ring's OS
    /// generator, once per handshake.
    pub seed: Option<u64>,
}

impl Config {
    /// A configuration with our certificate, the peer's fingerprints and the defaults: every
    /// implemented suite, x25519 then secp256r1, the four SRTP profiles (GCM first),
    /// MTU 1200, cookies on, retransmissions from 1 s doubling to 60 s, 7 times.
    pub fn new(certificate: Certificate, remote_fingerprints: Vec<Fingerprint>) -> Self {
        Self {
            certificate,
            remote_fingerprints,
            cipher_suites: CipherSuite::SUPPORTED.to_vec(),
            groups: NamedGroup::SUPPORTED.to_vec(),
            versions: Versions::Both,
            tls13_cipher_suites: CipherSuite::SUPPORTED_TLS13.to_vec(),
            tls13_groups: NamedGroup::SUPPORTED_TLS13.to_vec(),
            tls13_key_shares: 2,
            srtp_profiles: SrtpProfile::SUPPORTED.to_vec(),
            mtu: 1200,
            cookies: true,
            initial_retransmit: Duration::from_secs(1),
            max_retransmit: Duration::from_secs(60),
            max_retransmissions: 7,
            max_message_len: 32 * 1024,
            max_reassembly: 64 * 1024,
            seed: None,
        }
    }

    /// A server's SRTP profile (RFC 5764 §4.1.1): the first of ours the client offers; none
    /// when either side has no `use_srtp` (data channels only).
    pub(crate) fn choose_srtp(
        &self,
        offer: Option<&crate::wire::extension::UseSrtp<'_>>,
    ) -> Result<Option<SrtpProfile>, crate::Error> {
        match offer {
            Some(offer) if !self.srtp_profiles.is_empty() => self
                .srtp_profiles
                .iter()
                .copied()
                .find(|p| offer.profiles.contains(p))
                .map(Some)
                .ok_or(crate::Error::NoCommonSrtpProfile),
            _ => Ok(None),
        }
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.remote_fingerprints.is_empty() {
            return Err(ConfigError::NoRemoteFingerprint);
        }
        if self.mtu < MIN_MTU {
            return Err(ConfigError::MtuTooSmall(self.mtu));
        }
        if self.cipher_suites.is_empty() {
            return Err(ConfigError::NoCipherSuite);
        }
        if let Some(s) = self.cipher_suites.iter().find(|s| s.params().is_none()) {
            return Err(ConfigError::Unsupported(s.0));
        }
        if self.groups.is_empty() {
            return Err(ConfigError::Unsupported(0));
        }
        if let Some(g) = self
            .groups
            .iter()
            .find(|g| !NamedGroup::SUPPORTED.contains(g))
        {
            return Err(ConfigError::Unsupported(g.0));
        }
        if self.versions.allows_dtls13() {
            if self.tls13_cipher_suites.is_empty() {
                return Err(ConfigError::NoCipherSuite);
            }
            if let Some(s) = self
                .tls13_cipher_suites
                .iter()
                .find(|s| s.params13().is_none())
            {
                return Err(ConfigError::Unsupported(s.0));
            }
            if let Some(g) = self
                .tls13_groups
                .iter()
                .find(|g| !NamedGroup::SUPPORTED_TLS13.contains(g))
            {
                return Err(ConfigError::Unsupported(g.0));
            }
            if self.tls13_groups.is_empty() || self.tls13_key_shares == 0 {
                return Err(ConfigError::Unsupported(0));
            }
        }
        if let Some(p) = self
            .srtp_profiles
            .iter()
            .find(|p| p.keying_material_len().is_none())
        {
            return Err(ConfigError::Unsupported(p.0));
        }
        Ok(())
    }
}
