//! Ephemeral key material made before a handshake starts, so that its cost is not paid
//! on the way to a connection: an application makes it while it waits for signalling.

use ring::rand::SystemRandom;

use crate::config::Config;
use crate::crypto::key_share13::Ahead;
use crate::wire::code_points::NamedGroup;

/// The ephemeral keys of one DTLS 1.3 handshake, made ahead of it and used by one
/// connection only ([`Connection::client_prepared`](crate::Connection::client_prepared) or
/// [`Connection::server_prepared`](crate::Connection::server_prepared) takes them by
/// value): an X25519 key (a client's x25519 share, the X25519 half of its
/// X25519MLKEM768 share, or a server's share in either group) and, when the first key
/// share a client would send is X25519MLKEM768, an ML-KEM-768 key pair. A connection that
/// needs a key not made here makes it when it needs it; one that uses none of them drops
/// them unused. Nothing is made for a configuration without DTLS 1.3.
pub struct PreparedKeys {
    pub(crate) ahead: Ahead,
}

impl std::fmt::Debug for PreparedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedKeys")
            .field("x25519", &self.ahead.x25519.is_some())
            .field("mlkem768", &self.ahead.mlkem.is_some())
            .finish()
    }
}

impl PreparedKeys {
    /// No keys: the connection makes its own.
    pub fn none() -> Self {
        Self {
            ahead: Ahead::default(),
        }
    }

    /// The keys a connection with `config` would make first, in either role: an X25519
    /// key when its DTLS 1.3 groups include x25519 or X25519MLKEM768, and an ML-KEM-768 key
    /// pair when X25519MLKEM768 is among the groups a client sends shares for. A key that
    /// cannot be made (the OS generator failed) is left to the connection.
    pub fn generate(config: &Config) -> Self {
        let mut ahead = Ahead::default();
        if !config.versions.allows_dtls13() {
            return Self { ahead };
        }
        let rng = SystemRandom::new();
        let groups = &config.tls13_groups;
        if groups
            .iter()
            .any(|g| [NamedGroup::X25519MLKEM768, NamedGroup::X25519].contains(g))
        {
            ahead.make_x25519(&rng);
        }
        if groups
            .iter()
            .take(config.tls13_key_shares)
            .any(|g| *g == NamedGroup::X25519MLKEM768)
        {
            ahead.make_mlkem(&rng);
        }
        Self { ahead }
    }
}
