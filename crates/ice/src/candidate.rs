//! ICE candidates and their SDP `a=candidate` grammar (RFC 8839 §5.1).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use crate::CandidateParseError;

/// Longest foundation the grammar allows (RFC 8839 §5.1: `1*32ice-char`).
pub const MAX_FOUNDATION_LEN: usize = 32;
/// Most extension attributes kept from one candidate line (a bound against abuse).
pub const MAX_EXTENSIONS: usize = 16;
/// Longest candidate line accepted.
pub const MAX_LINE_LEN: usize = 1024;

/// The candidate types of RFC 8445 §5.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    /// A local interface address (`typ host`).
    Host,
    /// Learned from a STUN server (`typ srflx`).
    ServerReflexive,
    /// Learned from a connectivity check (`typ prflx`).
    PeerReflexive,
    /// Allocated on a TURN server (`typ relay`).
    Relayed,
}

impl CandidateKind {
    /// The type preference of RFC 8445 §5.1.2.2 (recommended values).
    pub fn type_preference(self) -> u32 {
        match self {
            Self::Host => 126,
            Self::PeerReflexive => 110,
            Self::ServerReflexive => 100,
            Self::Relayed => 0,
        }
    }

    /// The `cand-type` token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relayed => "relay",
        }
    }
}

/// The transport of a candidate (RFC 8839 §5.1 `transport`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateTransport {
    /// `UDP` (any case).
    Udp,
    /// `TCP` (RFC 6544).
    Tcp,
    /// Any other `transport-extension` token, kept as written.
    Other(String),
}

/// The role of an RFC 6544 ICE-TCP candidate (`tcptype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// Opens connections (Chromium's `tcptype active`, port 9).
    Active,
    /// Accepts connections.
    Passive,
    /// Simultaneous open.
    SimultaneousOpen,
}

impl TcpType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::SimultaneousOpen => "so",
        }
    }
}

/// A candidate's connection address: an IP address, or a hostname such as the
/// `<uuid>.local` mDNS names browsers use to hide local addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConnectionAddress {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A name the owner must resolve (the agent never resolves names itself).
    Hostname(String),
}

impl ConnectionAddress {
    /// The IP address, if this is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Hostname(_) => None,
        }
    }

    /// Whether this is an mDNS name (ends in `.local`).
    pub fn is_mdns(&self) -> bool {
        matches!(self, Self::Hostname(h) if h.to_ascii_lowercase().ends_with(".local"))
    }
}

impl fmt::Display for ConnectionAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Hostname(h) => f.write_str(h),
        }
    }
}

/// One ICE candidate as signalled in SDP (`a=candidate:...`, RFC 8839 §5.1) or in a trickled
/// `RTCIceCandidate`.
///
/// Known extensions (`tcptype`, `generation`, `ufrag`, `network-id`, `network-cost`) are
/// typed; unknown ones are kept in order in [`extensions`](Self::extensions) so a candidate
/// round-trips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Foundation (RFC 8445 §5.1.1.3), 1 to 32 ice-chars.
    pub foundation: String,
    /// Component ID (1 = RTP; with rtcp-mux the only one).
    pub component: u16,
    /// Transport protocol.
    pub transport: CandidateTransport,
    /// Priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// Connection address.
    pub address: ConnectionAddress,
    /// Port.
    pub port: u16,
    /// Candidate type.
    pub kind: CandidateKind,
    /// `raddr` / `rport`: the related address (base or mapped address, RFC 8839 §5.1).
    pub related: Option<(ConnectionAddress, u16)>,
    /// `tcptype` (RFC 6544 §4.5).
    pub tcp_type: Option<TcpType>,
    /// `generation` (a Chromium extension; the ICE restart count).
    pub generation: Option<u32>,
    /// `ufrag`: the ICE username fragment the candidate belongs to (trickle, RFC 8838 §4.3).
    pub ufrag: Option<String>,
    /// `network-id` (Chromium extension).
    pub network_id: Option<u32>,
    /// `network-cost` (Chromium extension).
    pub network_cost: Option<u32>,
    /// Other extension attributes, name and value, in the order they came.
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// A candidate with no related address and no extensions.
    pub fn new(
        kind: CandidateKind,
        foundation: impl Into<String>,
        priority: u32,
        address: SocketAddr,
    ) -> Self {
        Self {
            foundation: foundation.into(),
            component: 1,
            transport: CandidateTransport::Udp,
            priority,
            address: ConnectionAddress::Ip(address.ip()),
            port: address.port(),
            kind,
            related: None,
            tcp_type: None,
            generation: None,
            ufrag: None,
            network_id: None,
            network_cost: None,
            extensions: Vec::new(),
        }
    }

    /// The transport address, when the connection address is an IP address.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.address.ip().map(|ip| SocketAddr::new(ip, self.port))
    }

    /// Parses a candidate attribute: `candidate:...`, with or without a leading `a=`, or the
    /// bare value after `candidate:` as some signalling channels carry it.
    pub fn parse(line: &str) -> Result<Self, CandidateParseError> {
        if line.len() > MAX_LINE_LEN {
            return Err(CandidateParseError::TooLong);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let line = line.strip_prefix("a=").unwrap_or(line);
        let line = line.strip_prefix("candidate:").unwrap_or(line);
        // RFC 8839 §5.1: fields are separated by exactly one SP; be lenient on runs of spaces.
        let mut it = line.split(' ').filter(|s| !s.is_empty());
        let mut next = |field: &'static str| it.next().ok_or(CandidateParseError::Missing(field));

        let foundation = next("foundation")?;
        if foundation.is_empty()
            || foundation.len() > MAX_FOUNDATION_LEN
            || !foundation.bytes().all(is_ice_char)
        {
            return Err(CandidateParseError::Invalid("foundation"));
        }
        let component = parse_digits::<u16>(next("component-id")?, 3, "component-id")?;
        if component == 0 {
            return Err(CandidateParseError::Invalid("component-id"));
        }
        let transport = match next("transport")? {
            t if t.eq_ignore_ascii_case("udp") => CandidateTransport::Udp,
            t if t.eq_ignore_ascii_case("tcp") => CandidateTransport::Tcp,
            t if is_token(t) => CandidateTransport::Other(t.to_owned()),
            _ => return Err(CandidateParseError::Invalid("transport")),
        };
        let priority = parse_digits::<u32>(next("priority")?, 10, "priority")?;
        let address = parse_address(next("connection-address")?)?;
        let port = parse_digits::<u16>(next("port")?, 5, "port")?;
        if next("typ")? != "typ" {
            return Err(CandidateParseError::Invalid("typ"));
        }
        let kind = match next("cand-type")? {
            "host" => CandidateKind::Host,
            "srflx" => CandidateKind::ServerReflexive,
            "prflx" => CandidateKind::PeerReflexive,
            "relay" => CandidateKind::Relayed,
            _ => return Err(CandidateParseError::Invalid("cand-type")),
        };
        let mut candidate = Self {
            foundation: foundation.to_owned(),
            component,
            transport,
            priority,
            address,
            port,
            kind,
            related: None,
            tcp_type: None,
            generation: None,
            ufrag: None,
            network_id: None,
            network_cost: None,
            extensions: Vec::new(),
        };
        let mut raddr = None;
        let mut rport = None;
        while let Some(name) = it.next() {
            let value = it
                .next()
                .ok_or(CandidateParseError::Missing("extension value"))?;
            match name {
                "raddr" => raddr = Some(parse_address(value)?),
                "rport" => rport = Some(parse_digits::<u16>(value, 5, "rport")?),
                "tcptype" => {
                    candidate.tcp_type = Some(match value {
                        "active" => TcpType::Active,
                        "passive" => TcpType::Passive,
                        "so" => TcpType::SimultaneousOpen,
                        _ => return Err(CandidateParseError::Invalid("tcptype")),
                    })
                }
                "generation" => candidate.generation = Some(parse_digits(value, 10, "generation")?),
                "ufrag" if value.bytes().all(is_ice_char) => {
                    candidate.ufrag = Some(value.to_owned())
                }
                "ufrag" => return Err(CandidateParseError::Invalid("ufrag")),
                "network-id" => candidate.network_id = Some(parse_digits(value, 10, "network-id")?),
                "network-cost" => {
                    candidate.network_cost = Some(parse_digits(value, 10, "network-cost")?)
                }
                _ => {
                    // RFC 8839 §5.1: extension-att-name = token, extension-att-value = *VCHAR.
                    if !is_token(name) || !value.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err(CandidateParseError::Invalid("extension"));
                    }
                    if candidate.extensions.len() >= MAX_EXTENSIONS {
                        return Err(CandidateParseError::TooManyExtensions);
                    }
                    candidate
                        .extensions
                        .push((name.to_owned(), value.to_owned()));
                }
            }
        }
        candidate.related = match (raddr, rport) {
            (Some(a), Some(p)) => Some((a, p)),
            (None, None) => None,
            // RFC 8839 §5.1: rel-addr and rel-port come together.
            _ => return Err(CandidateParseError::Invalid("raddr/rport")),
        };
        Ok(candidate)
    }
}

impl FromStr for Candidate {
    type Err = CandidateParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Formats the attribute value with its `candidate:` prefix, as `RTCIceCandidate.candidate`
/// and an SDP `a=` line carry it.
impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match &self.transport {
            CandidateTransport::Udp => "udp",
            CandidateTransport::Tcp => "tcp",
            CandidateTransport::Other(t) => t.as_str(),
        };
        write!(
            f,
            "candidate:{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            transport,
            self.priority,
            self.address,
            self.port,
            self.kind.as_str()
        )?;
        if let Some((addr, port)) = &self.related {
            write!(f, " raddr {addr} rport {port}")?;
        }
        if let Some(t) = self.tcp_type {
            write!(f, " tcptype {}", t.as_str())?;
        }
        if let Some(g) = self.generation {
            write!(f, " generation {g}")?;
        }
        if let Some(u) = &self.ufrag {
            write!(f, " ufrag {u}")?;
        }
        if let Some(n) = self.network_id {
            write!(f, " network-id {n}")?;
        }
        if let Some(c) = self.network_cost {
            write!(f, " network-cost {c}")?;
        }
        for (name, value) in &self.extensions {
            write!(f, " {name} {value}")?;
        }
        Ok(())
    }
}

/// `ice-char = ALPHA / DIGIT / "+" / "/"` (RFC 8839 §5.1).
pub(crate) fn is_ice_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// RFC 4566 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&b))
}

fn parse_digits<T: FromStr>(
    s: &str,
    max_digits: usize,
    field: &'static str,
) -> Result<T, CandidateParseError> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CandidateParseError::Invalid(field));
    }
    s.parse().map_err(|_| CandidateParseError::Invalid(field))
}

fn parse_address(s: &str) -> Result<ConnectionAddress, CandidateParseError> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(ConnectionAddress::Ip(ip));
    }
    // RFC 8839 §5.1 allows an FQDN; browsers send `<uuid>.local` (mDNS).
    let valid = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if valid {
        Ok(ConnectionAddress::Hostname(s.to_owned()))
    } else {
        Err(CandidateParseError::Invalid("connection-address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROMIUM_HOST: &str =
        "candidate:3508334426 1 udp 2122260223 127.0.0.1 52305 typ host generation 0 network-id 1";

    #[test]
    fn parses_and_formats_chromium_host() {
        let c = Candidate::parse(CHROMIUM_HOST).unwrap();
        assert_eq!(c.foundation, "3508334426");
        assert_eq!(c.component, 1);
        assert_eq!(c.transport, CandidateTransport::Udp);
        assert_eq!(c.priority, 2_122_260_223);
        assert_eq!(c.socket_addr(), Some("127.0.0.1:52305".parse().unwrap()));
        assert_eq!(c.kind, CandidateKind::Host);
        assert_eq!(c.generation, Some(0));
        assert_eq!(c.network_id, Some(1));
        assert_eq!(c.to_string(), CHROMIUM_HOST);
    }

    #[test]
    fn parses_tcp_active_on_port_9_and_srflx_with_related() {
        let tcp = Candidate::parse("a=candidate:1 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1\r\n").unwrap();
        assert_eq!(tcp.transport, CandidateTransport::Tcp);
        assert_eq!(tcp.tcp_type, Some(TcpType::Active));
        assert_eq!(tcp.port, 9);
        let srflx = Candidate::parse("candidate:842163049 1 UDP 1686052607 203.0.113.7 61000 typ srflx raddr 10.0.0.2 rport 50000 generation 0 ufrag EsAw network-id 1 network-cost 10").unwrap();
        assert_eq!(srflx.kind, CandidateKind::ServerReflexive);
        assert_eq!(
            srflx.related,
            Some((ConnectionAddress::Ip("10.0.0.2".parse().unwrap()), 50000))
        );
        assert_eq!(srflx.ufrag.as_deref(), Some("EsAw"));
        assert_eq!(srflx.network_cost, Some(10));
        // Re-formatting normalises the transport to lower case, as Chromium writes it.
        assert_eq!(Candidate::parse(&srflx.to_string()).unwrap(), srflx);
    }

    #[test]
    fn keeps_mdns_names_and_unknown_extensions() {
        let line = "candidate:1 1 udp 2122260223 0b3c6b8e-2c4a-4d3e-9f3b-8a4b1c2d3e4f.local 54400 typ host generation 0 x-custom 42 network-id 3";
        let c = Candidate::parse(line).unwrap();
        assert!(c.address.is_mdns());
        assert_eq!(c.socket_addr(), None);
        assert_eq!(c.extensions, vec![("x-custom".to_owned(), "42".to_owned())]);
        let again = Candidate::parse(&c.to_string()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn parses_ipv6_and_relay() {
        let c = Candidate::parse(
            "candidate:5 1 udp 41885439 2001:db8::5 3478 typ relay raddr 2001:db8::1 rport 5000",
        )
        .unwrap();
        assert_eq!(c.kind, CandidateKind::Relayed);
        assert_eq!(c.socket_addr(), Some("[2001:db8::5]:3478".parse().unwrap()));
    }

    #[test]
    fn rejects_malformed_lines() {
        for bad in [
            "",
            "candidate:",
            "candidate:1 1 udp",
            "candidate:1 0 udp 1 1.2.3.4 5 typ host",
            "candidate:1 1 udp 99999999999 1.2.3.4 5 typ host",
            "candidate:1 1 udp 1 1.2.3.4 70000 typ host",
            "candidate:1 1 udp 1 1.2.3.4 5 type host",
            "candidate:1 1 udp 1 1.2.3.4 5 typ nat",
            "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4",
            "candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
            "candidate:1 1 udp 1 bad_host! 5 typ host",
            "candidate:f@o 1 udp 1 1.2.3.4 5 typ host",
            "candidate:1 1 udp 1 1.2.3.4 5 typ host tcptype sideways",
        ] {
            assert!(Candidate::parse(bad).is_err(), "accepted {bad:?}");
        }
        assert_eq!(
            Candidate::parse(&"x".repeat(2000)),
            Err(CandidateParseError::TooLong)
        );
    }
}
