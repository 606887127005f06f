//! `a=setup` (RFC 4145 §4, RFC 8842 §5) and the DTLS role it decides.

use std::fmt;

/// Which side opens the DTLS association (`a=setup`, RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// Either role; what an offer carries (RFC 8842 §5.2).
    ActPass,
    /// Opens the association: the DTLS client.
    Active,
    /// Waits for the association: the DTLS server.
    Passive,
    /// No association for now (not used by WebRTC).
    HoldConn,
}

impl Setup {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActPass => "actpass",
            Self::Active => "active",
            Self::Passive => "passive",
            Self::HoldConn => "holdconn",
        }
    }

    /// Parses the value (case-insensitive, as RFC 4145 tokens are compared).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::ActPass, Self::Active, Self::Passive, Self::HoldConn]
            .into_iter()
            .find(|v| s.eq_ignore_ascii_case(v.as_str()))
    }

    /// The DTLS role of the side that wrote this value in an answer: `active` is the client,
    /// `passive` the server (RFC 8842 §5.3). `None` for the values an answer may not carry.
    pub fn answer_role(self) -> Option<DtlsRole> {
        match self {
            Self::Active => Some(DtlsRole::Client),
            Self::Passive => Some(DtlsRole::Server),
            Self::ActPass | Self::HoldConn => None,
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Our side of the DTLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// We send the ClientHello (`a=setup:active`).
    Client,
    /// We answer the ClientHello (`a=setup:passive`).
    Server,
}

impl DtlsRole {
    /// The other side's role.
    pub fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }

    /// The `a=setup` value an answerer with this role writes.
    pub fn setup(self) -> Setup {
        match self {
            Self::Client => Setup::Active,
            Self::Server => Setup::Passive,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_roles_follow_rfc8842_5_3() {
        assert_eq!(Setup::Active.answer_role(), Some(DtlsRole::Client));
        assert_eq!(Setup::Passive.answer_role(), Some(DtlsRole::Server));
        assert_eq!(Setup::ActPass.answer_role(), None);
        assert_eq!(Setup::parse("ACTPASS"), Some(Setup::ActPass));
        assert_eq!(Setup::parse("both"), None);
        assert_eq!(DtlsRole::Client.setup(), Setup::Active);
        assert_eq!(DtlsRole::Client.peer(), DtlsRole::Server);
    }
}
