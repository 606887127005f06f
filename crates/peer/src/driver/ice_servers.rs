//! ICE servers as W3C `RTCIceServer` URLs (RFC 7064, RFC 7065), checked and resolved by
//! the driver into the core's [`IceServer`]s.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rtcweb_common::Transport;
use rtcweb_ice::{IceServer, IceUrl, UrlError, UrlHost};
use rtcweb_turn::{ServerVerification, TlsConfig};
use rustls::RootCertStore;
use thiserror::Error;
use tokio::task::JoinSet;

/// Most servers (resolved addresses of every URL together) handed to the ICE agent; the
/// rest are dropped with a warning. Each costs a STUN or TURN transaction per socket.
pub(crate) const MAX_ICE_SERVERS: usize = 32;

/// One STUN or TURN server as the application gives it (W3C `RTCIceServer`): its URLs
/// (`stun:`, `stuns:`, `turn:`, `turns:`, RFC 7064 and RFC 7065; a `stuns:` server is asked
/// over UDP, at 3478 unless the URL names a port, as libwebrtc does), and for TURN the
/// long-term credential. Host names are resolved by the driver (A and AAAA records), and
/// every address is tried.
#[derive(Debug, Clone, Default)]
pub struct IceServerConfig {
    /// The server's URLs, e.g. `stun:stun.example.org` or
    /// `turn:turn.example.org:3478?transport=tcp`.
    pub urls: Vec<String>,
    /// The TURN user name (W3C `username`); required for `turn:` and `turns:`.
    pub username: String,
    /// The TURN password (W3C `credential`); required for `turn:` and `turns:`.
    pub credential: String,
    /// How a `turns:` server's certificate is checked (the server name is the URL's
    /// host). `None`, as a W3C `RTCIceServer` has it: against the system's root
    /// certificates (Debian's `/etc/ssl/certs`, or the files `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` name), as a browser checks it.
    pub tls: Option<ServerVerification>,
}

impl IceServerConfig {
    /// A server at `url` that needs no credential (a STUN server).
    pub fn url(url: &str) -> Self {
        Self {
            urls: vec![url.to_owned()],
            ..Self::default()
        }
    }
}

/// Why an [`IceServerConfig`] was refused (W3C `setConfiguration` throws `SyntaxError` or
/// `InvalidAccessError` for these).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IceServerError {
    /// The URL is not a STUN or TURN URL.
    #[error("ICE server URL {url:?}: {error}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        error: UrlError,
    },
    /// A `turn:` or `turns:` URL without a user name or credential (W3C
    /// `InvalidAccessError`).
    #[error("ICE server URL {0:?}: TURN needs a username and a credential")]
    Credentials(String),
    /// A `turns:` URL without [`IceServerConfig::tls`] on a system without root
    /// certificates.
    #[error(
        "ICE server URL {0:?}: no system root certificates to check the server with; \
         give `tls` (how to verify the server)"
    )]
    NoTlsVerification(String),
    /// The TLS settings of a `turns:` server could not be made.
    #[error("ICE server URL {url:?}: {error}")]
    Tls {
        /// The URL as given.
        url: String,
        /// Why.
        error: rtcweb_turn::TurnError,
    },
}

/// A checked URL with what its servers need.
#[derive(Debug)]
struct Checked {
    text: String,
    url: IceUrl,
    username: String,
    credential: String,
    tls: Option<ServerVerification>,
}

/// Parses and checks every URL of every server, before anything is bound.
fn check(servers: &[IceServerConfig]) -> Result<Vec<Checked>, IceServerError> {
    let mut checked = Vec::new();
    for server in servers {
        for text in &server.urls {
            let parse = |text: &str| {
                text.parse::<IceUrl>().map_err(|error| IceServerError::Url {
                    url: text.to_owned(),
                    error,
                })
            };
            let mut url = parse(text)?;
            if url.scheme == rtcweb_ice::UrlScheme::Stuns {
                // As libwebrtc does (its ParseIceServerUrl puts `stun:` and `stuns:` in
                // one list): a `stuns:` server is asked over UDP, at port 3478 unless the
                // URL gives one. A mapped address learnt over TLS would be a TCP
                // connection's, which no UDP candidate can use.
                let rest = text.get("stuns:".len()..).unwrap_or_default();
                url = parse(&format!("stun:{rest}"))?;
            }
            if url.scheme.is_turn() && (server.username.is_empty() || server.credential.is_empty())
            {
                return Err(IceServerError::Credentials(text.clone()));
            }
            let tls = match (&server.tls, url.transport) {
                (Some(tls), _) => Some(tls.clone()),
                (None, Transport::Tls) => Some(ServerVerification::Roots(
                    system_roots()
                        .ok_or_else(|| IceServerError::NoTlsVerification(text.clone()))?,
                )),
                (None, _) => None,
            };
            checked.push(Checked {
                text: text.clone(),
                url,
                username: server.username.clone(),
                credential: server.credential.clone(),
                tls,
            });
        }
    }
    Ok(checked)
}

/// The system's root certificates, loaded once per process (`rustls-native-certs`);
/// `None` when there are none. Certificates that do not parse are left out.
fn system_roots() -> Option<Arc<RootCertStore>> {
    static ROOTS: OnceLock<Option<Arc<RootCertStore>>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::debug!(error = %e, "a system root certificate could not be read");
            }
            let mut store = RootCertStore::empty();
            let (added, ignored) = store.add_parsable_certificates(found.certs);
            tracing::debug!(added, ignored, "system root certificates");
            (added > 0).then(|| Arc::new(store))
        })
        .clone()
}

/// A URL whose host name did not resolve (W3C `icecandidateerror` with code 701).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    pub(crate) url: String,
    pub(crate) error: String,
}

/// The core's servers for `servers`: URLs checked, host names resolved with the system
/// resolver (`getaddrinfo` on a blocking thread of tokio's, all names at once, each within
/// `limit`), one server per address. A name that does not resolve is reported, not an
/// error: the other servers still work.
pub(crate) async fn resolve(
    servers: &[IceServerConfig],
    limit: Duration,
) -> Result<(Vec<IceServer>, Vec<Unresolved>), IceServerError> {
    let checked = check(servers)?;
    let mut lookups = JoinSet::new();
    for (i, c) in checked.iter().enumerate() {
        if let UrlHost::Name(name) = &c.url.host {
            let target = (name.clone(), c.url.port);
            lookups.spawn(async move {
                let found = tokio::time::timeout(limit, tokio::net::lookup_host(target)).await;
                let found = match found {
                    Ok(Ok(addresses)) => Ok(addresses.collect::<Vec<_>>()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer within {limit:?}")),
                };
                (i, found)
            });
        }
    }
    let mut addresses: Vec<Vec<SocketAddr>> = checked
        .iter()
        .map(|c| match c.url.host {
            UrlHost::Ip(ip) => vec![SocketAddr::new(ip, c.url.port)],
            UrlHost::Name(_) => Vec::new(),
        })
        .collect();
    let mut unresolved = Vec::new();
    while let Some(joined) = lookups.join_next().await {
        let Ok((i, found)) = joined else { continue };
        match found {
            Ok(mut found) if !found.is_empty() => {
                // Each address once, in the resolver's order (RFC 6724 ordering).
                let mut seen = Vec::with_capacity(found.len());
                found.retain(|a| {
                    let new = !seen.contains(a);
                    seen.push(*a);
                    new
                });
                addresses[i] = found;
            }
            Ok(_) => unresolved.push(Unresolved {
                url: checked[i].text.clone(),
                error: "no address".to_owned(),
            }),
            Err(error) => unresolved.push(Unresolved {
                url: checked[i].text.clone(),
                error,
            }),
        }
    }
    let mut out = Vec::new();
    for (c, addresses) in checked.iter().zip(&addresses) {
        for &address in addresses {
            if out.len() == MAX_ICE_SERVERS {
                tracing::warn!(url = %c.text, %address, "more than {MAX_ICE_SERVERS} ICE servers: dropped");
                continue;
            }
            out.push(server(c, address)?);
        }
    }
    Ok((out, unresolved))
}

/// The core's server for one address of a checked URL.
fn server(c: &Checked, address: SocketAddr) -> Result<IceServer, IceServerError> {
    if !c.url.scheme.is_turn() {
        return Ok(IceServer::Stun { address });
    }
    let tls = match (&c.tls, c.url.transport) {
        (Some(verification), Transport::Tls) => {
            let name = match &c.url.host {
                UrlHost::Name(n) => rustls_pki_types::ServerName::try_from(n.clone()),
                UrlHost::Ip(ip) => Ok(rustls_pki_types::ServerName::IpAddress((*ip).into())),
            }
            .map_err(|_| IceServerError::Url {
                url: c.text.clone(),
                error: UrlError::Host,
            })?;
            let config = TlsConfig::new(
                name,
                verification.clone(),
                Arc::new(rustls::time_provider::DefaultTimeProvider),
            )
            .map_err(|error| IceServerError::Tls {
                url: c.text.clone(),
                error,
            })?;
            Some(config)
        }
        _ => None,
    };
    Ok(IceServer::Turn {
        address,
        transport: c.url.transport,
        username: c.username.clone(),
        password: c.credential.clone(),
        tls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(url: &str) -> IceServerConfig {
        IceServerConfig {
            urls: vec![url.to_owned()],
            username: "user".to_owned(),
            credential: "secret".to_owned(),
            tls: None,
        }
    }

    #[test]
    fn bad_configurations_are_refused_with_their_url() {
        let bad = |s: IceServerConfig| check(&[s]).unwrap_err();
        assert!(matches!(
            bad(IceServerConfig::url("stun:exa mple.org")),
            IceServerError::Url {
                error: UrlError::Host,
                ..
            }
        ));
        assert!(matches!(
            bad(IceServerConfig::url("turn:turn.example.org")),
            IceServerError::Credentials(u) if u == "turn:turn.example.org"
        ));
        // stuns: is asked as stun: over UDP (libwebrtc's reading), 3478 by default.
        let stuns = check(&[
            IceServerConfig::url("stuns:example.org"),
            IceServerConfig::url("STUNS:192.0.2.1:5349"),
        ])
        .unwrap();
        let read: Vec<(Transport, u16)> = stuns
            .iter()
            .map(|c| (c.url.transport, c.url.port))
            .collect();
        assert_eq!(read, [(Transport::Udp, 3478), (Transport::Udp, 5349)]);
        assert!(matches!(
            bad(IceServerConfig::url("stuns:example.org?transport=tcp")),
            IceServerError::Url {
                error: UrlError::Query,
                ..
            }
        ));
        // A turns: URL without TLS settings is checked against the system's roots.
        let roots = check(&[turn("turns:turn.example.org")]);
        match system_roots() {
            Some(_) => assert!(matches!(
                roots.unwrap()[0].tls,
                Some(ServerVerification::Roots(_))
            )),
            None => assert!(matches!(
                roots.unwrap_err(),
                IceServerError::NoTlsVerification(_)
            )),
        }
        let error = bad(IceServerConfig::url("http://example.org")).to_string();
        assert!(error.contains("http://example.org"), "{error}");
    }

    #[tokio::test]
    async fn addresses_need_no_resolver_and_each_url_is_a_server() {
        let servers = [
            IceServerConfig::url("stun:192.0.2.1"),
            IceServerConfig {
                urls: vec![
                    "turn:[2001:db8::1]:3479?transport=tcp".to_owned(),
                    "turn:192.0.2.2".to_owned(),
                ],
                ..turn("")
            },
        ];
        let (got, unresolved) = resolve(&servers, Duration::from_secs(1)).await.unwrap();
        assert!(unresolved.is_empty());
        let described: Vec<String> = got
            .iter()
            .map(|s| match s {
                IceServer::Stun { address } => format!("stun {address}"),
                IceServer::Turn {
                    address,
                    transport,
                    username,
                    ..
                } => format!("turn {address} {transport:?} {username}"),
            })
            .collect();
        assert_eq!(
            described,
            [
                "stun 192.0.2.1:3478",
                "turn [2001:db8::1]:3479 Tcp user",
                "turn 192.0.2.2:3478 Udp user"
            ]
        );
    }

    #[tokio::test]
    async fn localhost_resolves_and_an_unknown_name_is_reported() {
        // `localhost` is in every /etc/hosts; `.invalid` never resolves (RFC 6761 §6.4).
        let servers = [
            IceServerConfig::url("stun:localhost:3478"),
            IceServerConfig::url("stun:nothing.invalid"),
        ];
        let (got, unresolved) = resolve(&servers, Duration::from_secs(5)).await.unwrap();
        assert!(!got.is_empty());
        assert!(got.iter().all(|s| matches!(
            s,
            IceServer::Stun { address } if address.ip().is_loopback() && address.port() == 3478
        )));
        assert_eq!(unresolved.len(), 1);
        assert_eq!(unresolved[0].url, "stun:nothing.invalid");
    }

    #[tokio::test]
    async fn the_number_of_servers_is_bounded() {
        let many = IceServerConfig {
            urls: (1..=40).map(|i| format!("stun:192.0.2.{i}")).collect(),
            ..IceServerConfig::default()
        };
        let (got, _) = resolve(&[many], Duration::from_secs(1)).await.unwrap();
        assert_eq!(got.len(), MAX_ICE_SERVERS);
    }
}
