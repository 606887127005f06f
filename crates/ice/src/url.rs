//! STUN and TURN server URLs as applications copy them from their provider (W3C
//! `RTCIceServer.urls`): RFC 7064 `stun:` / `stuns:` and RFC 7065 `turn:` / `turns:` with
//! `?transport=udp|tcp`.
//!
//! ```
//! use rtcweb_ice::{IceUrl, UrlHost, UrlScheme};
//! use rtcweb_common::Transport;
//!
//! let url: IceUrl = "turn:turn.example.org?transport=tcp".parse().unwrap();
//! assert_eq!(url.scheme, UrlScheme::Turn);
//! assert_eq!(url.host, UrlHost::Name("turn.example.org".to_owned()));
//! assert_eq!((url.port, url.transport), (3478, Transport::Tcp));
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use rtcweb_common::Transport;
use thiserror::Error;

/// Longest URL accepted: a host name is at most 253 characters (RFC 1035 §2.3.4), and the
/// rest is a scheme, a port and one query parameter.
pub const MAX_URL_LEN: usize = 512;

/// The scheme of a STUN or TURN URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlScheme {
    /// `stun:` (RFC 7064 §3.1): STUN over UDP.
    Stun,
    /// `stuns:` (RFC 7064 §3.1): STUN over TLS.
    Stuns,
    /// `turn:` (RFC 7065 §3.1): TURN over UDP or TCP.
    Turn,
    /// `turns:` (RFC 7065 §3.1): TURN over TLS.
    Turns,
}

impl UrlScheme {
    /// Whether this is a TURN scheme (a relay, with credentials).
    pub fn is_turn(self) -> bool {
        matches!(self, Self::Turn | Self::Turns)
    }

    /// Whether the scheme runs over TLS.
    pub fn is_secure(self) -> bool {
        matches!(self, Self::Stuns | Self::Turns)
    }

    /// The port when the URL names none: 3478, or 5349 over TLS (RFC 7064 §3.2,
    /// RFC 7065 §3.2, RFC 8489 §9).
    pub fn default_port(self) -> u16 {
        if self.is_secure() { 5349 } else { 3478 }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Stun => "stun",
            Self::Stuns => "stuns",
            Self::Turn => "turn",
            Self::Turns => "turns",
        }
    }
}

/// The host part of a URL: an address, or a name to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UrlHost {
    /// An IPv4 address, or an IPv6 address (written in brackets in the URL).
    Ip(IpAddr),
    /// A host name (RFC 3986 `reg-name`), lower-cased.
    Name(String),
}

/// A parsed STUN or TURN server URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IceUrl {
    /// `stun`, `stuns`, `turn` or `turns`.
    pub scheme: UrlScheme,
    /// The server.
    pub host: UrlHost,
    /// The port, or the scheme's default.
    pub port: u16,
    /// How to reach the server: UDP for `stun:` and by default for `turn:`, TCP when
    /// `turn:` asks `?transport=tcp`, TLS for `stuns:` and `turns:`.
    pub transport: Transport,
}

/// Why a STUN or TURN URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Longer than [`MAX_URL_LEN`].
    #[error("longer than {MAX_URL_LEN} bytes")]
    TooLong,
    /// Not `stun:`, `stuns:`, `turn:` or `turns:`.
    #[error("the scheme is not stun, stuns, turn or turns")]
    Scheme,
    /// A `//` authority, a path or a user part: RFC 7064 and RFC 7065 URLs are
    /// `scheme:host[:port]`.
    #[error("not scheme:host[:port] (no //, path or user part)")]
    Form,
    /// No host, or one with characters a host cannot have.
    #[error("bad host")]
    Host,
    /// A port that is not a number from 1 to 65535.
    #[error("bad port")]
    Port,
    /// A query on a STUN URL (RFC 7064 has none), or a query that is not
    /// `transport=udp` or `transport=tcp` (RFC 7065 §3.1).
    #[error("bad query: only turn URLs take ?transport=udp|tcp")]
    Query,
    /// `turns:...?transport=udp`: TURN over DTLS, which this stack does not speak.
    #[error("turns with transport=udp (DTLS) is not supported")]
    Dtls,
}

impl FromStr for IceUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, UrlError> {
        if s.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        let (scheme, rest) = s.split_once(':').ok_or(UrlError::Scheme)?;
        // Schemes are case-insensitive (RFC 3986 §3.1).
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "stun" => UrlScheme::Stun,
            "stuns" => UrlScheme::Stuns,
            "turn" => UrlScheme::Turn,
            "turns" => UrlScheme::Turns,
            _ => return Err(UrlError::Scheme),
        };
        let (authority, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        if authority.starts_with("//") || authority.contains(['/', '@', '#']) {
            return Err(UrlError::Form);
        }
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            None => scheme.default_port(),
            Some(p) => parse_port(p)?,
        };
        let transport = transport(scheme, query)?;
        Ok(Self {
            scheme,
            host,
            port,
            transport,
        })
    }
}

impl fmt::Display for IceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.scheme.name())?;
        match &self.host {
            UrlHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
            UrlHost::Ip(ip) => write!(f, "{ip}")?,
            UrlHost::Name(name) => f.write_str(name)?,
        }
        write!(f, ":{}", self.port)?;
        if self.scheme == UrlScheme::Turn && self.transport == Transport::Tcp {
            f.write_str("?transport=tcp")?;
        }
        Ok(())
    }
}

/// `host [":" port]`, the host an IP-literal in brackets, an IPv4 address or a reg-name
/// (RFC 7064 §3.1 and RFC 7065 §3.1 take `host` from RFC 3986 §3.2.2).
fn split_host_port(authority: &str) -> Result<(UrlHost, Option<&str>), UrlError> {
    if let Some(literal) = authority.strip_prefix('[') {
        let (inside, after) = literal.split_once(']').ok_or(UrlError::Host)?;
        let ip = Ipv6Addr::from_str(inside).map_err(|_| UrlError::Host)?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(UrlError::Form)?),
        };
        return Ok((UrlHost::Ip(IpAddr::V6(ip)), port));
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if let Ok(ip) = Ipv4Addr::from_str(host) {
        return Ok((UrlHost::Ip(IpAddr::V4(ip)), port));
    }
    Ok((UrlHost::Name(host_name(host)?), port))
}

/// A DNS host name: labels of letters, digits and hyphens, 1 to 63 characters each, at
/// most 253 in all (RFC 1123 §2.1, RFC 1035 §2.3.4); a trailing dot is allowed. Stricter
/// than RFC 3986's reg-name, which also allows what no resolver looks up.
fn host_name(host: &str) -> Result<String, UrlError> {
    let name = host.strip_suffix('.').unwrap_or(host);
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(UrlError::Host);
    }
    // A name of digits and dots only would be an IPv4 address, and it was not one.
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(UrlError::Host);
    }
    Ok(name.to_ascii_lowercase())
}

fn parse_port(p: &str) -> Result<u16, UrlError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::Port);
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(UrlError::Port),
        Ok(port) => Ok(port),
    }
}

/// The transport: RFC 7065 §3.1 `transport=udp|tcp` on TURN URLs; `turns:` is TLS over
/// TCP, and `turns:?transport=udp` would be DTLS (RFC 7350), not spoken here.
fn transport(scheme: UrlScheme, query: Option<&str>) -> Result<Transport, UrlError> {
    let asked = match query {
        None => None,
        Some(_) if !scheme.is_turn() => return Err(UrlError::Query),
        Some(q) => {
            let (key, value) = q.split_once('=').ok_or(UrlError::Query)?;
            if !key.eq_ignore_ascii_case("transport") {
                return Err(UrlError::Query);
            }
            match value.to_ascii_lowercase().as_str() {
                "udp" => Some(Transport::Udp),
                "tcp" => Some(Transport::Tcp),
                _ => return Err(UrlError::Query),
            }
        }
    };
    Ok(match (scheme, asked) {
        (UrlScheme::Stun, _) => Transport::Udp,
        (UrlScheme::Stuns, _) => Transport::Tls,
        (UrlScheme::Turn, asked) => asked.unwrap_or(Transport::Udp),
        (UrlScheme::Turns, Some(Transport::Udp)) => return Err(UrlError::Dtls),
        (UrlScheme::Turns, _) => Transport::Tls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> IceUrl {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn name(n: &str) -> UrlHost {
        UrlHost::Name(n.to_owned())
    }

    #[test]
    fn the_forms_of_rfc_7064_and_7065() {
        let u = url("stun:stun.l.google.com:19302");
        assert_eq!(
            (u.scheme, u.host, u.port, u.transport),
            (
                UrlScheme::Stun,
                name("stun.l.google.com"),
                19302,
                Transport::Udp
            )
        );
        let u = url("stuns:example.org");
        assert_eq!((u.port, u.transport), (5349, Transport::Tls));
        let u = url("turn:198.51.100.3");
        assert_eq!(
            (u.host, u.port, u.transport),
            (
                UrlHost::Ip("198.51.100.3".parse().unwrap()),
                3478,
                Transport::Udp
            )
        );
        let u = url("turn:[2001:db8::3]:3479?transport=tcp");
        assert_eq!(
            (u.host, u.port, u.transport),
            (
                UrlHost::Ip("2001:db8::3".parse().unwrap()),
                3479,
                Transport::Tcp
            )
        );
        let u = url("turns:turn.example.org:443?transport=tcp");
        assert_eq!((u.port, u.transport), (443, Transport::Tls));
        // Schemes, query keys and values and names are case-insensitive; a trailing dot
        // is a fully qualified name.
        let u = url("TURN:Turn.Example.ORG.?Transport=UDP");
        assert_eq!(
            (u.scheme, u.host, u.transport),
            (UrlScheme::Turn, name("turn.example.org"), Transport::Udp)
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let cases = [
            ("http://example.org", UrlError::Scheme),
            ("example.org", UrlError::Scheme),
            ("", UrlError::Scheme),
            ("stun://example.org", UrlError::Form),
            ("turn:user@example.org", UrlError::Form),
            ("stun:example.org/path", UrlError::Form),
            ("stun:", UrlError::Host),
            ("stun::3478", UrlError::Host),
            ("stun:exa_mple.org", UrlError::Host),
            ("stun:-a.org", UrlError::Host),
            ("stun:a..org", UrlError::Host),
            ("stun:999.1.1.1", UrlError::Host),
            ("stun:[2001:db8::1", UrlError::Host),
            ("stun:[not-v6]", UrlError::Host),
            ("stun:[2001:db8::1]3478", UrlError::Form),
            ("stun:example.org:0", UrlError::Port),
            ("stun:example.org:65536", UrlError::Port),
            ("stun:example.org:", UrlError::Port),
            ("stun:example.org:+1", UrlError::Port),
            ("stun:example.org?transport=udp", UrlError::Query),
            ("turn:example.org?transport=sctp", UrlError::Query),
            ("turn:example.org?proto=udp", UrlError::Query),
            ("turn:example.org?transport", UrlError::Query),
            ("turns:example.org?transport=udp", UrlError::Dtls),
        ];
        for (input, error) in cases {
            assert_eq!(input.parse::<IceUrl>(), Err(error), "{input}");
        }
        let long = format!("stun:{}.org", "a".repeat(MAX_URL_LEN));
        assert_eq!(long.parse::<IceUrl>(), Err(UrlError::TooLong));
        let label = format!("stun:{}.org", "a".repeat(64));
        assert_eq!(label.parse::<IceUrl>(), Err(UrlError::Host));
    }

    #[test]
    fn display_parses_back_to_the_same_url() {
        for s in [
            "stun:example.org",
            "stuns:192.0.2.1:443",
            "turn:[2001:db8::1]?transport=tcp",
            "turns:turn.example.org",
            "turn:a-b.example:1",
        ] {
            let u = url(s);
            assert_eq!(url(&u.to_string()), u, "{s} -> {u}");
        }
        assert_eq!(
            url("turn:[2001:db8::1]?transport=tcp").to_string(),
            "turn:[2001:db8::1]:3478?transport=tcp"
        );
    }
}
