//! The transport protocol a datagram or stream travels on.

use std::fmt;

/// The transport under a protocol message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// UDP: one message per datagram.
    Udp,
    /// TCP: messages framed in a byte stream (STUN's own framing to a TURN server,
    /// RFC 8489 §6.2.2; RFC 4571 between ICE-TCP candidates, RFC 6544 §3).
    Tcp,
    /// TLS over TCP (`turns:` / `stuns:` URIs, RFC 8489 §6.2.3).
    Tls,
}

impl Transport {
    /// Whether this transport is a byte stream (TCP or TLS), so that messages on it need
    /// framing and are never retransmitted by the protocol layer (RFC 8489 §6.2.2).
    pub fn is_stream(self) -> bool {
        matches!(self, Self::Tcp | Self::Tls)
    }

    /// The lower-case name used in URIs and SDP (`udp`, `tcp`, `tls`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_transports() {
        assert!(!Transport::Udp.is_stream());
        assert!(Transport::Tcp.is_stream());
        assert!(Transport::Tls.is_stream());
        assert_eq!(Transport::Tls.to_string(), "tls");
    }
}
