//! NATs with the mapping and filtering behaviours of RFC 4787.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// A NAT in a [`Network`](crate::Network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NatId(pub(crate) usize);

impl fmt::Display for NatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nat{}", self.0)
    }
}

/// How a NAT's mapping or filtering depends on the remote endpoint (RFC 4787 §4.1, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NatBehavior {
    /// Mapping: one external port per internal endpoint, whatever the destination.
    /// Filtering: any remote endpoint may send to the mapping.
    EndpointIndependent,
    /// Mapping: one external port per internal endpoint and destination IP.
    /// Filtering: only IPs the internal endpoint sent to through the mapping.
    AddressDependent,
    /// Mapping: one external port per internal endpoint and destination IP and port
    /// ("symmetric"). Filtering: only the exact IP and port sent to.
    AddressAndPortDependent,
}

/// A NAT between a private realm and the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatConfig {
    /// The NAT's public (external) IP.
    pub public_ip: IpAddr,
    /// Mapping behaviour (RFC 4787 §4.1).
    pub mapping: NatBehavior,
    /// Filtering behaviour (RFC 4787 §5).
    pub filtering: NatBehavior,
    /// Whether a packet from the private realm to the NAT's own public address is translated
    /// and looped back in (RFC 4787 §6, REQ-9), instead of dropped. The looped-back packet
    /// comes from the sender's external address and passes the target mapping's filtering
    /// like any inbound packet.
    pub hairpinning: bool,
    /// How long a mapping lives after its last outbound packet (RFC 4787 §4.3: REQ-5 asks
    /// for at least 2 minutes; only outbound packets refresh it here, REQ-6).
    pub mapping_timeout: Duration,
}

impl NatConfig {
    /// A NAT with these behaviours, no hairpinning and a 120 s mapping timeout.
    pub fn new(public_ip: IpAddr, mapping: NatBehavior, filtering: NatBehavior) -> Self {
        Self {
            public_ip,
            mapping,
            filtering,
            hairpinning: false,
            mapping_timeout: Duration::from_secs(120),
        }
    }

    /// "Full cone": endpoint-independent mapping and filtering.
    pub fn full_cone(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            NatBehavior::EndpointIndependent,
            NatBehavior::EndpointIndependent,
        )
    }

    /// "Restricted cone": endpoint-independent mapping, address-dependent filtering.
    pub fn restricted_cone(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            NatBehavior::EndpointIndependent,
            NatBehavior::AddressDependent,
        )
    }

    /// "Port-restricted cone": endpoint-independent mapping (RFC 4787 REQ-1),
    /// address-and-port-dependent filtering; common in home routers.
    pub fn port_restricted_cone(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            NatBehavior::EndpointIndependent,
            NatBehavior::AddressAndPortDependent,
        )
    }

    /// "Symmetric": address-and-port-dependent mapping and filtering.
    pub fn symmetric(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            NatBehavior::AddressAndPortDependent,
            NatBehavior::AddressAndPortDependent,
        )
    }
}

/// First external port a NAT hands out; then upwards, wrapping to [`LOWEST_PORT`].
pub(crate) const FIRST_PORT: u16 = 40000;
const LOWEST_PORT: u16 = 1024;

/// Which destinations share one mapping (RFC 4787 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    Any,
    Ip(IpAddr),
    Endpoint(SocketAddr),
}

#[derive(Debug, Clone)]
struct Mapping {
    internal: SocketAddr,
    scope: Scope,
    last_outbound: Instant,
    /// Destinations sent to through this mapping, for filtering (RFC 4787 §5).
    sent_to: BTreeSet<SocketAddr>,
}

/// Why a NAT dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NatDrop {
    /// Inbound to an external port with no live mapping.
    NoMapping,
    /// Inbound refused by the filtering behaviour.
    Filtered,
    /// No external port left, or the mapping table is full.
    Exhausted,
}

/// The state of one NAT.
#[derive(Debug)]
pub(crate) struct Nat {
    pub(crate) config: NatConfig,
    /// External port → mapping.
    mappings: BTreeMap<u16, Mapping>,
    /// (internal endpoint, scope) → external port.
    index: BTreeMap<(SocketAddr, Scope), u16>,
    next_port: u16,
    max_mappings: usize,
}

impl Nat {
    pub(crate) fn new(config: NatConfig, max_mappings: usize) -> Self {
        Self {
            config,
            mappings: BTreeMap::new(),
            index: BTreeMap::new(),
            next_port: FIRST_PORT,
            max_mappings,
        }
    }

    pub(crate) fn set_max_mappings(&mut self, max: usize) {
        self.max_mappings = max;
    }

    fn scope(&self, destination: SocketAddr) -> Scope {
        match self.config.mapping {
            NatBehavior::EndpointIndependent => Scope::Any,
            NatBehavior::AddressDependent => Scope::Ip(destination.ip()),
            NatBehavior::AddressAndPortDependent => Scope::Endpoint(destination),
        }
    }

    fn is_live(&self, mapping: &Mapping, now: Instant) -> bool {
        match mapping
            .last_outbound
            .checked_add(self.config.mapping_timeout)
        {
            Some(end) => now < end,
            // A timeout beyond what `Instant` can hold: never expires.
            None => true,
        }
    }

    fn remove(&mut self, port: u16) {
        if let Some(m) = self.mappings.remove(&port) {
            self.index.remove(&(m.internal, m.scope));
        }
    }

    fn purge_expired(&mut self, now: Instant) {
        let dead: Vec<u16> = self
            .mappings
            .iter()
            .filter(|(_, m)| !self.is_live(m, now))
            .map(|(p, _)| *p)
            .collect();
        for port in dead {
            self.remove(port);
        }
    }

    fn allocate_port(&mut self, now: Instant) -> Option<u16> {
        if self.mappings.len() >= self.max_mappings {
            self.purge_expired(now);
            if self.mappings.len() >= self.max_mappings {
                return None;
            }
        }
        let span = usize::from(u16::MAX - LOWEST_PORT) + 1;
        for _ in 0..span {
            let port = self.next_port;
            self.next_port = if port == u16::MAX {
                LOWEST_PORT
            } else {
                port + 1
            };
            match self.mappings.get(&port) {
                None => return Some(port),
                Some(m) if !self.is_live(m, now) => {
                    self.remove(port);
                    return Some(port);
                }
                Some(_) => {}
            }
        }
        None
    }

    /// Translates an outbound packet from `internal` to `destination`: finds or makes the
    /// mapping (RFC 4787 §4.1), refreshes it (REQ-6) and records the destination for
    /// filtering. Returns the external source address.
    pub(crate) fn outbound(
        &mut self,
        internal: SocketAddr,
        destination: SocketAddr,
        now: Instant,
    ) -> Result<SocketAddr, NatDrop> {
        let key = (internal, self.scope(destination));
        let existing = self.index.get(&key).copied();
        let port = match existing {
            Some(port)
                if self
                    .mappings
                    .get(&port)
                    .is_some_and(|m| self.is_live(m, now)) =>
            {
                port
            }
            _ => {
                if let Some(port) = existing {
                    // Expired (RFC 4787 §4.3): a new mapping, most likely on a new port.
                    self.remove(port);
                }
                let port = self.allocate_port(now).ok_or(NatDrop::Exhausted)?;
                self.mappings.insert(
                    port,
                    Mapping {
                        internal,
                        scope: key.1,
                        last_outbound: now,
                        sent_to: BTreeSet::new(),
                    },
                );
                self.index.insert(key, port);
                port
            }
        };
        // The mapping exists: it was found or just inserted.
        if let Some(m) = self.mappings.get_mut(&port) {
            m.last_outbound = now;
            if m.sent_to.len() < MAX_FILTER_ENTRIES || m.sent_to.contains(&destination) {
                m.sent_to.insert(destination);
            }
        }
        Ok(SocketAddr::new(self.config.public_ip, port))
    }

    /// Translates an inbound packet from `source` to the external `port`: the internal
    /// endpoint, if a live mapping exists and the filtering behaviour lets it in
    /// (RFC 4787 §5). Inbound packets do not refresh the mapping (REQ-6).
    pub(crate) fn inbound(
        &mut self,
        source: SocketAddr,
        port: u16,
        now: Instant,
    ) -> Result<SocketAddr, NatDrop> {
        let Some(mapping) = self.mappings.get(&port) else {
            return Err(NatDrop::NoMapping);
        };
        if !self.is_live(mapping, now) {
            self.remove(port);
            return Err(NatDrop::NoMapping);
        }
        let allowed = match self.config.filtering {
            NatBehavior::EndpointIndependent => true,
            NatBehavior::AddressDependent => mapping.sent_to.iter().any(|d| d.ip() == source.ip()),
            NatBehavior::AddressAndPortDependent => mapping.sent_to.contains(&source),
        };
        if allowed {
            Ok(mapping.internal)
        } else {
            Err(NatDrop::Filtered)
        }
    }

    /// Number of live mappings.
    pub(crate) fn live_mappings(&self, now: Instant) -> usize {
        self.mappings
            .values()
            .filter(|m| self.is_live(m, now))
            .count()
    }
}

/// Most destinations remembered per mapping for filtering; beyond, new destinations are not
/// let back in (a bounded table, like a real NAT's).
const MAX_FILTER_ENTRIES: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[allow(clippy::disallowed_methods)] // the simulated epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn ports_count_up_and_wrap() {
        let now = epoch();
        let mut nat = Nat::new(
            NatConfig::symmetric("203.0.113.1".parse().unwrap()),
            usize::MAX,
        );
        nat.next_port = u16::MAX;
        let a = nat
            .outbound(addr("10.0.0.1:1"), addr("1.1.1.1:1"), now)
            .unwrap();
        let b = nat
            .outbound(addr("10.0.0.1:1"), addr("1.1.1.1:2"), now)
            .unwrap();
        assert_eq!((a.port(), b.port()), (u16::MAX, LOWEST_PORT));
    }

    #[test]
    fn table_limit_drops_new_mappings() {
        let now = epoch();
        let mut nat = Nat::new(NatConfig::symmetric("203.0.113.1".parse().unwrap()), 2);
        let from = addr("10.0.0.1:1");
        assert!(nat.outbound(from, addr("1.1.1.1:1"), now).is_ok());
        assert!(nat.outbound(from, addr("1.1.1.1:2"), now).is_ok());
        assert_eq!(
            nat.outbound(from, addr("1.1.1.1:3"), now),
            Err(NatDrop::Exhausted)
        );
        // Once the old ones expire there is room again.
        let later = now + Duration::from_secs(121);
        assert!(nat.outbound(from, addr("1.1.1.1:3"), later).is_ok());
        assert_eq!(nat.live_mappings(later), 1);
    }
}
