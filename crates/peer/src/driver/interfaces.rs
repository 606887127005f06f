//! The machine's interface addresses, and which of them the driver gathers on by default.
//!
//! Browsers gather on every interface that is up, skip loopback, IPv6 link-local addresses
//! and the host-only adapters of virtual machines (libwebrtc's `BasicNetworkManager`:
//! `vmnet`, `vnic`, `vboxnet` are ignored, link-local IPv6 is ignored), and tell VPN
//! adapters (`tun`, `tap`, `utun`, `ipsec`, `ppp`) apart, still gathering on them (a VPN
//! may be the only way out). [`InterfacePolicy`] does the same, and lets the application
//! change each choice or add its own filter.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::sync::Arc;

/// Most addresses gathered on by default: the ICE agent's socket bound
/// (`rtcweb_ice::Config::max_sockets`).
const MAX_ADDRESSES: usize = 16;

/// Names of virtual machines' host-only adapters and of container bridges: no remote peer
/// reaches them. libwebrtc ignores the first three (`network.cc`, `IsIgnoredNetwork`); Docker
/// and libvirt bridges are the same kind of host-only network.
const VIRTUAL_PREFIXES: &[&str] = &["vmnet", "vnic", "vboxnet", "docker", "virbr", "br-"];

/// Names of VPN adapters (libwebrtc's `GetAdapterTypeFromName` calls these `ADAPTER_TYPE_VPN`),
/// and of the common overlay VPNs (WireGuard, Tailscale, ZeroTier).
const VPN_PREFIXES: &[&str] = &[
    "tun",
    "tap",
    "utun",
    "ipsec",
    "ppp",
    "wg",
    "tailscale",
    "zt",
];

/// What kind of interface an address is on, judged from its name and flags as browsers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InterfaceKind {
    /// The loopback interface (`127.0.0.0/8`, `::1`).
    Loopback,
    /// A VPN adapter: a point-to-point interface or a VPN-looking name (`tun`, `tap`, `wg`,
    /// `ppp`, `utun`, `ipsec`, `tailscale`, `zt`).
    Vpn,
    /// A host-only virtual adapter (`vmnet`, `vnic`, `vboxnet`, `docker`, `virbr`, `br-`).
    Virtual,
    /// Anything else: Ethernet, Wi-Fi, cellular, a veth of a container.
    Physical,
}

/// One address of one of the machine's interfaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InterfaceAddress {
    /// The interface's name (`eth0`, `wlan0`, `wg0`).
    pub name: String,
    /// The interface's index: the scope of an IPv6 link-local address.
    pub index: Option<u32>,
    /// The address.
    pub ip: IpAddr,
    /// Whether the interface is up and running.
    pub up: bool,
    /// What kind of interface it is.
    pub kind: InterfaceKind,
}

impl InterfaceAddress {
    /// An address of the interface `name`, its kind judged from the name, the address and
    /// whether the interface is point-to-point.
    pub fn new(name: &str, index: Option<u32>, ip: IpAddr, up: bool, point_to_point: bool) -> Self {
        let kind = if ip.is_loopback() {
            InterfaceKind::Loopback
        } else if VIRTUAL_PREFIXES.iter().any(|p| name.starts_with(p)) {
            InterfaceKind::Virtual
        } else if point_to_point || VPN_PREFIXES.iter().any(|p| name.starts_with(p)) {
            InterfaceKind::Vpn
        } else {
            InterfaceKind::Physical
        };
        Self {
            name: name.to_owned(),
            index,
            ip,
            up,
            kind,
        }
    }

    /// Whether this is an IPv6 link-local address (`fe80::/10`, RFC 4291 §2.5.6).
    pub fn is_link_local_ipv6(&self) -> bool {
        matches!(self.ip, IpAddr::V6(ip) if ip.is_unicast_link_local())
    }

    /// The address to bind a socket on: an IPv6 link-local address carries its
    /// interface's index as scope (RFC 4007 §11), port 0.
    pub(crate) fn bind_address(&self) -> SocketAddr {
        match self.ip {
            IpAddr::V6(ip) if self.is_link_local_ipv6() => {
                SocketAddr::V6(SocketAddrV6::new(ip, 0, 0, self.index.unwrap_or(0)))
            }
            ip => SocketAddr::new(ip, 0),
        }
    }
}

/// An application's own say on an interface address: `true` keeps it.
pub type InterfaceFilter = Arc<dyn Fn(&InterfaceAddress) -> bool + Send + Sync>;

/// Which of the machine's addresses the driver gathers on when
/// [`DriverConfig::interfaces`](super::DriverConfig::interfaces) is empty (the default).
/// The default is a browser's: every interface that is up, IPv4 and IPv6, VPN adapters
/// included, no loopback, no IPv6 link-local address, no host-only virtual adapter;
/// loopback only when nothing else is left.
#[derive(Clone)]
pub struct InterfacePolicy {
    /// Gather on IPv6 addresses. Default: yes.
    pub ipv6: bool,
    /// Gather on IPv6 link-local addresses (`fe80::/10`), bound with their interface as
    /// scope. Default: no (libwebrtc ignores them too).
    pub ipv6_link_local: bool,
    /// Gather on loopback even when other interfaces are up. Default: no (loopback is used
    /// only when nothing else is left).
    pub loopback: bool,
    /// Gather on VPN adapters ([`InterfaceKind::Vpn`]). Default: yes, as libwebrtc (a VPN
    /// may be the only route out); `false` keeps calls off the VPN.
    pub vpn: bool,
    /// Gather on host-only virtual adapters ([`InterfaceKind::Virtual`]). Default: no.
    pub virtual_adapters: bool,
    /// The application's filter, asked last about every address the rules above keep.
    pub filter: Option<InterfaceFilter>,
}

impl Default for InterfacePolicy {
    fn default() -> Self {
        Self {
            ipv6: true,
            ipv6_link_local: false,
            loopback: false,
            vpn: true,
            virtual_adapters: false,
            filter: None,
        }
    }
}

impl fmt::Debug for InterfacePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterfacePolicy")
            .field("ipv6", &self.ipv6)
            .field("ipv6_link_local", &self.ipv6_link_local)
            .field("loopback", &self.loopback)
            .field("vpn", &self.vpn)
            .field("virtual_adapters", &self.virtual_adapters)
            .field("filter", &self.filter.as_ref().map(|_| "Fn"))
            .finish()
    }
}

impl InterfacePolicy {
    /// The addresses of `all` to gather on, in their order, at most 16 (the ICE agent's
    /// bound on sockets). When the rules keep nothing, the loopback addresses that pass the
    /// IPv6 rule and the filter are kept instead.
    pub fn select(&self, all: &[InterfaceAddress]) -> Vec<InterfaceAddress> {
        let family = |a: &&InterfaceAddress| {
            !a.ip.is_unspecified()
                && a.up
                && (a.ip.is_ipv4() || self.ipv6)
                && (!a.is_link_local_ipv6() || self.ipv6_link_local)
                && self.filter.as_ref().is_none_or(|f| f(a))
        };
        let kind = |a: &&InterfaceAddress| match a.kind {
            InterfaceKind::Loopback => self.loopback,
            InterfaceKind::Vpn => self.vpn,
            InterfaceKind::Virtual => self.virtual_adapters,
            InterfaceKind::Physical => true,
        };
        let mut chosen: Vec<_> = all.iter().filter(family).filter(kind).cloned().collect();
        if chosen.is_empty() {
            chosen = all
                .iter()
                .filter(family)
                .filter(|a| a.kind == InterfaceKind::Loopback)
                .cloned()
                .collect();
        }
        chosen.truncate(MAX_ADDRESSES);
        chosen
    }
}

/// Every address of every interface of the machine now (getifaddrs(3) through `if-addrs`).
pub fn list_interfaces() -> io::Result<Vec<InterfaceAddress>> {
    Ok(if_addrs::get_if_addrs()?
        .into_iter()
        .map(|i| InterfaceAddress::new(&i.name, i.index, i.ip(), i.is_oper_up(), i.is_p2p()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str, ip: &str, p2p: bool) -> InterfaceAddress {
        InterfaceAddress::new(name, Some(2), ip.parse().unwrap(), true, p2p)
    }

    fn ips(v: &[InterfaceAddress]) -> Vec<String> {
        v.iter().map(|a| a.ip.to_string()).collect()
    }

    #[test]
    fn kinds_are_judged_from_names_and_flags() {
        assert_eq!(a("lo", "127.0.0.1", false).kind, InterfaceKind::Loopback);
        assert_eq!(a("eth0", "192.0.2.1", false).kind, InterfaceKind::Physical);
        assert_eq!(
            a("veth-a", "192.0.2.1", false).kind,
            InterfaceKind::Physical
        );
        assert_eq!(a("wg0", "10.8.0.2", false).kind, InterfaceKind::Vpn);
        assert_eq!(a("sit1", "10.8.0.2", true).kind, InterfaceKind::Vpn);
        assert_eq!(
            a("docker0", "172.17.0.1", false).kind,
            InterfaceKind::Virtual
        );
        assert_eq!(
            a("vboxnet0", "192.168.56.1", false).kind,
            InterfaceKind::Virtual
        );
    }

    #[test]
    fn the_default_is_a_browsers() {
        let all = vec![
            a("lo", "127.0.0.1", false),
            a("lo", "::1", false),
            a("eth0", "192.0.2.10", false),
            a("eth0", "2001:db8::10", false),
            a("eth0", "fe80::1", false),
            a("tun0", "10.8.0.2", true),
            a("docker0", "172.17.0.1", false),
            InterfaceAddress::new("eth1", None, "198.51.100.1".parse().unwrap(), false, false),
        ];
        let policy = InterfacePolicy::default();
        assert_eq!(
            ips(&policy.select(&all)),
            ["192.0.2.10", "2001:db8::10", "10.8.0.2"]
        );
        let no_vpn = InterfacePolicy {
            vpn: false,
            ..InterfacePolicy::default()
        };
        assert_eq!(ips(&no_vpn.select(&all)), ["192.0.2.10", "2001:db8::10"]);

        let everything = InterfacePolicy {
            ipv6_link_local: true,
            loopback: true,
            vpn: true,
            virtual_adapters: true,
            ..InterfacePolicy::default()
        };
        assert_eq!(
            ips(&everything.select(&all)),
            [
                "127.0.0.1",
                "::1",
                "192.0.2.10",
                "2001:db8::10",
                "fe80::1",
                "10.8.0.2",
                "172.17.0.1"
            ]
        );

        let v4_only = InterfacePolicy {
            ipv6: false,
            filter: Some(Arc::new(|a: &InterfaceAddress| a.name != "tun0")),
            ..InterfacePolicy::default()
        };
        assert_eq!(ips(&v4_only.select(&all)), ["192.0.2.10"]);
    }

    #[test]
    fn loopback_only_when_nothing_else_is_left() {
        let all = vec![
            a("lo", "127.0.0.1", false),
            a("lo", "::1", false),
            a("docker0", "172.17.0.1", false),
        ];
        assert_eq!(
            ips(&InterfacePolicy::default().select(&all)),
            ["127.0.0.1", "::1"]
        );
        assert!(InterfacePolicy::default().select(&[]).is_empty());
    }

    #[test]
    fn link_local_binds_with_its_scope_and_the_list_is_bounded() {
        let ll = a("eth0", "fe80::1", false);
        let SocketAddr::V6(bound) = ll.bind_address() else {
            panic!("an IPv6 address");
        };
        assert_eq!(bound.scope_id(), 2);
        let many: Vec<_> = (0..40u8)
            .map(|i| a("eth0", &format!("192.0.2.{i}"), false))
            .collect();
        assert_eq!(
            InterfacePolicy::default().select(&many).len(),
            MAX_ADDRESSES
        );
    }

    #[test]
    fn the_machine_has_a_loopback_address_to_fall_back_on() {
        // Any machine that runs the tests has `lo` up.
        let all = list_interfaces().unwrap();
        assert!(all.iter().any(|a| a.kind == InterfaceKind::Loopback));
        assert!(!InterfacePolicy::default().select(&all).is_empty());
    }
}
