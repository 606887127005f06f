//! Agent configuration.

use std::net::SocketAddr;
use std::time::Duration;

use rtcweb_common::Transport;
use rtcweb_turn::TlsConfig;

use crate::Credentials;

/// A STUN or TURN server to gather candidates from (`RTCIceServer`). Addresses are
/// resolved by the owner.
#[derive(Debug, Clone)]
pub enum IceServer {
    /// A STUN server: server-reflexive candidates (RFC 8445 §5.1.1.2).
    Stun {
        /// Server address.
        address: SocketAddr,
    },
    /// A TURN server: relayed candidates (RFC 8445 §5.1.1.2, RFC 8656), over UDP, TCP or TLS.
    Turn {
        /// Server address.
        address: SocketAddr,
        /// Transport to the server.
        transport: Transport,
        /// Long-term credential user name.
        username: String,
        /// Long-term credential password.
        password: String,
        /// TLS settings (needed for [`Transport::Tls`]).
        tls: Option<TlsConfig>,
    },
}

/// Which candidates may be used (`RTCIceTransportPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportPolicy {
    /// All candidates.
    #[default]
    All,
    /// Relayed candidates only: no host or server-reflexive candidate is announced or used.
    Relay,
}

/// Settings of an [`Agent`](crate::Agent). `Config::default()` is what a browser does.
#[derive(Debug, Clone)]
pub struct Config {
    /// Start as the controlling agent (the offerer is controlling, RFC 8445 §6.1.1).
    pub controlling: bool,
    /// ICE-lite (RFC 8445 §2.5): host candidates only, no checks sent, always controlled
    /// against a full agent. For hosts with a public address.
    pub lite: bool,
    /// STUN and TURN servers.
    pub servers: Vec<IceServer>,
    /// Candidate policy.
    pub policy: TransportPolicy,
    /// Local credentials; random ones when `None`.
    pub credentials: Option<Credentials>,
    /// Ta: pacing between two checks (RFC 8445 §14.2; 50 ms as browsers use).
    pub ta: Duration,
    /// First retransmission timeout of a check (RFC 8445 §14.3: at least 500 ms).
    pub check_rto: Duration,
    /// Upper bound of the doubled retransmission timeout.
    pub check_max_rto: Duration,
    /// Requests sent per check before the pair fails (RFC 8489 Rc).
    pub check_max_requests: u32,
    /// How long the controlling agent waits for a better pair once one is valid before it
    /// nominates (RFC 8445 §8.1.1 leaves the choice to the agent).
    pub nomination_delay: Duration,
    /// Consent check interval, randomised by ±20 % (RFC 7675 §5.1: 5 s).
    pub consent_interval: Duration,
    /// Time without proof of life on the selected pair before the state turns
    /// `disconnected`.
    pub disconnected_timeout: Duration,
    /// Time without proof of life before consent is lost and the agent fails (RFC 7675 §5.1:
    /// 30 s).
    pub consent_timeout: Duration,
    /// Keepalive (Binding indication) when nothing was sent on the selected pair for this long
    /// (RFC 8445 §11: 15 s).
    pub keepalive_interval: Duration,
    /// Most remote candidates held (incl. unresolved mDNS and peer-reflexive ones).
    pub max_remote_candidates: usize,
    /// Most candidate pairs in the checklist (RFC 8445 §6.1.2.5 suggests 100).
    pub max_pairs: usize,
    /// Most local sockets.
    pub max_sockets: usize,
    /// Most outstanding STUN transactions of connectivity and consent checks.
    pub max_transactions: usize,
    /// SOFTWARE attribute on requests (none by default, as browsers do).
    pub software: Option<String>,
    /// Seed of the agent's random generator (tie-breaker, transaction IDs, credentials);
    /// from the OS when `None`. Set it for deterministic tests.
    pub seed: Option<u64>,
    /// SPED (draft-hancke-webrtc-sped): attach the DTLS handshake the owner hands over
    /// ([`Agent::sped_flight`](crate::Agent::sped_flight)) to checks and responses, and
    /// hand up what the peer attaches ([`Event::PiggybackedDtls`](crate::Event)). Off
    /// when `false`; turns itself off when the peer shows it does not do it.
    pub sped: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            controlling: true,
            lite: false,
            servers: Vec::new(),
            policy: TransportPolicy::All,
            credentials: None,
            ta: Duration::from_millis(50),
            check_rto: Duration::from_millis(500),
            check_max_rto: Duration::from_millis(1600),
            check_max_requests: 7,
            nomination_delay: Duration::from_millis(200),
            consent_interval: Duration::from_secs(5),
            disconnected_timeout: Duration::from_secs(6),
            consent_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(15),
            max_remote_candidates: 64,
            max_pairs: 100,
            max_sockets: 16,
            max_transactions: 128,
            software: None,
            seed: None,
            sped: false,
        }
    }
}
