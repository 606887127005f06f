//! The lab's network: a "wan" namespace holding a bridge (and the servers), two NAT routers
//! on it, one host behind each router, and one host on the wan itself with a public
//! address and no NAT in front of it. Every address is from the documentation ranges of
//! RFC 5737 and exists only inside the lab's namespaces; nothing is routed to the host's
//! own interfaces.
//!
//! ```text
//!   host A 198.51.100.2 ── lan [router A] wan 203.0.113.11 ─┐
//!                                                            ├─ br0 203.0.113.1 (wan: coturn)
//!   host B 192.0.2.2    ── lan [router B] wan 203.0.113.12 ─┤
//!                                    wan host 203.0.113.20 ─┤
//!                            "the rest of the internet" 203.0.113.254 (default route)
//! ```

use std::net::Ipv4Addr;

use crate::LabError;
use crate::netns::Namespace;

/// The server's address on the wan bridge (RFC 5737 TEST-NET-3).
pub const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);

/// The wan host's address ([`NatLab::wan_host`]): public, no NAT in front of it (RFC 5737
/// TEST-NET-3).
pub const WAN_HOST: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 20);

/// How a NAT router maps and filters (RFC 4787 terms), as Linux iptables does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nat {
    /// `MASQUERADE`: the source port is kept where free, so one internal address and port
    /// maps to one external port whatever the destination (endpoint-independent mapping),
    /// with conntrack's address-and-port-dependent filtering.
    PortKeeping,
    /// `MASQUERADE --random-fully`: a new random external port for each new destination
    /// (address-and-port-dependent mapping): a "symmetric" NAT, which hole punching cannot
    /// pass.
    Symmetric,
    /// One public address for the one host behind (a cloud VM's public IP, a router's
    /// port forward of everything): `DNAT` of every packet to the router's wan address to
    /// the host, `SNAT` of the host's packets to that address, ports kept, and every
    /// inbound flow let in (endpoint-independent mapping and filtering). Only a peer that
    /// learns the public address (STUN) can tell anyone where it is.
    OneToOne,
}

/// One side of the lab: a NAT router and the host behind it.
#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// The router's NAT behaviour.
    pub nat: Nat,
    /// Share of packets dropped at random on the router's wan link, each way (iptables
    /// `statistic`); 0 for none.
    pub wan_loss: f64,
    /// The router drops every UDP packet from its LAN to the wan (a network that allows
    /// only TCP out).
    pub block_udp: bool,
}

impl Site {
    /// A router of this kind, lossless, letting UDP out.
    pub const fn new(nat: Nat) -> Self {
        Self {
            nat,
            wan_loss: 0.0,
            block_udp: false,
        }
    }

    /// The same with random loss on the wan link.
    pub const fn with_loss(mut self, loss: f64) -> Self {
        self.wan_loss = loss;
        self
    }

    /// The same with UDP blocked towards the wan.
    pub const fn with_udp_blocked(mut self) -> Self {
        self.block_udp = true;
        self
    }

    /// A short description for reports ("symmetric, 10 % loss").
    pub fn describe(&self) -> String {
        let mut s = match self.nat {
            Nat::PortKeeping => "port-keeping".to_owned(),
            Nat::Symmetric => "symmetric".to_owned(),
            Nat::OneToOne => "1:1".to_owned(),
        };
        if self.wan_loss > 0.0 {
            s.push_str(&format!(", {:.0} % loss", self.wan_loss * 100.0));
        }
        if self.block_udp {
            s.push_str(", UDP blocked");
        }
        s
    }
}

/// What lies beyond the wan, for the servers on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wan {
    /// A default route to "the rest of the internet", which swallows what nobody owns: a
    /// TURN server's send to a peer's private host address leaves its socket and is lost,
    /// as on the real internet.
    #[default]
    Internet,
    /// No route beyond the wan: a send to an address outside it fails at the sender's
    /// socket (`Network is unreachable`), as behind an egress firewall that rejects. coturn
    /// then closes the allocation that sent it, without telling its client.
    Unrouted,
}

/// The address of "the rest of the internet" on the wan.
const INTERNET: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 254);

/// The lab's namespaces. Dropping it removes them all (and ends every process inside).
#[derive(Debug)]
pub struct NatLab {
    hosts: [Namespace; 2],
    routers: [Namespace; 2],
    wan: Namespace,
    /// A host on the wan segment itself ([`WAN_HOST`]).
    wan_host: Namespace,
    /// The rest of the internet ([`Wan::Internet`]), kept for its lifetime.
    _internet: Option<Namespace>,
    sites: [Site; 2],
}

/// The LAN behind router `i`: its prefix (router at .1, host at .2).
const LANS: [[u8; 3]; 2] = [[198, 51, 100], [192, 0, 2]];

impl NatLab {
    /// Builds the wan with its bridge, the two routers with their NAT rules, and the two
    /// hosts. Needs root (see [`crate::lab_unavailable`]).
    pub fn new(a: Site, b: Site) -> Result<Self, LabError> {
        Self::with_wan(a, b, Wan::Internet)
    }

    /// [`new`](Self::new) with the wan's surroundings chosen.
    pub fn with_wan(a: Site, b: Site, wan_kind: Wan) -> Result<Self, LabError> {
        let wan = Namespace::new("wan")?;
        wan.ip(&["link", "add", "br0", "type", "bridge"])?;
        wan.ip(&["addr", "add", &format!("{SERVER}/24"), "dev", "br0"])?;
        wan.ip(&["link", "set", "br0", "up"])?;
        let internet = match wan_kind {
            Wan::Internet => {
                // The rest of the internet: a namespace that takes whatever is routed to it
                // and forwards nothing, so a send to an address nobody owns (a peer's
                // private host address) leaves the sender's socket and is lost on the way,
                // as on the real internet.
                let internet = Namespace::new("inet")?;
                internet.ip(&[
                    "link",
                    "add",
                    "up0",
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "inet",
                    "netns",
                    wan.name(),
                ])?;
                wan.ip(&["link", "set", "inet", "master", "br0", "up"])?;
                internet.ip(&["addr", "add", &format!("{INTERNET}/24"), "dev", "up0"])?;
                internet.ip(&["link", "set", "up0", "up"])?;
                internet.sh("sysctl -q -w net.ipv4.ip_forward=0")?;
                wan.ip(&["route", "add", "default", "via", &INTERNET.to_string()])?;
                Some(internet)
            }
            Wan::Unrouted => None,
        };
        let sites = [a, b];
        let mut routers = Vec::new();
        let mut hosts = Vec::new();
        for (i, site) in sites.iter().enumerate() {
            let router = Namespace::new(if i == 0 { "ra" } else { "rb" })?;
            let host = Namespace::new(if i == 0 { "ha" } else { "hb" })?;
            // The router's wan side, its other end on the bridge.
            let port = format!("port{i}");
            router.ip(&[
                "link",
                "add",
                "wan",
                "type",
                "veth",
                "peer",
                "name",
                &port,
                "netns",
                wan.name(),
            ])?;
            wan.ip(&["link", "set", &port, "master", "br0", "up"])?;
            let wan_ip = Self::router_wan_ip(i);
            router.ip(&["addr", "add", &format!("{wan_ip}/24"), "dev", "wan"])?;
            router.ip(&["link", "set", "wan", "up"])?;
            // The LAN: the router's `lan`, the host's `eth0`.
            router.ip(&[
                "link",
                "add",
                "lan",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                host.name(),
            ])?;
            let [x, y, z] = LANS[i];
            router.ip(&["addr", "add", &format!("{x}.{y}.{z}.1/24"), "dev", "lan"])?;
            router.ip(&["link", "set", "lan", "up"])?;
            host.ip(&["addr", "add", &format!("{x}.{y}.{z}.2/24"), "dev", "eth0"])?;
            host.ip(&["link", "set", "eth0", "up"])?;
            host.ip(&["route", "add", "default", "via", &format!("{x}.{y}.{z}.1")])?;
            router.sh(&router_rules(site, i))?;
            routers.push(router);
            hosts.push(host);
        }
        let wan_host = Namespace::new("hw")?;
        wan_host.ip(&[
            "link",
            "add",
            "eth0",
            "type",
            "veth",
            "peer",
            "name",
            "porth",
            "netns",
            wan.name(),
        ])?;
        wan.ip(&["link", "set", "porth", "master", "br0", "up"])?;
        wan_host.ip(&["addr", "add", &format!("{WAN_HOST}/24"), "dev", "eth0"])?;
        wan_host.ip(&["link", "set", "eth0", "up"])?;
        if internet.is_some() {
            // Browsers gather only on an interface with a route out.
            wan_host.ip(&["route", "add", "default", "via", &INTERNET.to_string()])?;
        }
        let [ra, rb]: [Namespace; 2] = routers.try_into().expect("two routers");
        let [ha, hb]: [Namespace; 2] = hosts.try_into().expect("two hosts");
        Ok(Self {
            hosts: [ha, hb],
            routers: [ra, rb],
            wan,
            wan_host,
            _internet: internet,
            sites,
        })
    }

    /// The wan namespace (where the servers run).
    pub fn wan(&self) -> &Namespace {
        &self.wan
    }

    /// The host on the wan segment, at [`WAN_HOST`]: what it listens on is reachable from
    /// behind both routers, as a server or a peer with a public address is.
    pub fn wan_host(&self) -> &Namespace {
        &self.wan_host
    }

    /// Host `i` (0 or 1), behind router `i`.
    pub fn host(&self, i: usize) -> &Namespace {
        &self.hosts[i]
    }

    /// Router `i`.
    pub fn router(&self, i: usize) -> &Namespace {
        &self.routers[i]
    }

    /// Site `i` as built.
    pub fn site(&self, i: usize) -> Site {
        self.sites[i]
    }

    /// Host `i`'s address on its LAN.
    pub fn host_ip(i: usize) -> Ipv4Addr {
        let [x, y, z] = LANS[i];
        Ipv4Addr::new(x, y, z, 2)
    }

    /// Router `i`'s public address on the wan (what its NAT maps to).
    pub fn router_wan_ip(i: usize) -> Ipv4Addr {
        Ipv4Addr::new(203, 0, 113, 11 + i as u8)
    }

    /// Router `i`'s NAT table (`conntrack -L` when installed, else the iptables counters),
    /// for a report when a case fails.
    pub fn router_state(&self, i: usize) -> String {
        self.routers[i]
            .sh("iptables -L -v -n; iptables -t nat -L -v -n; conntrack -L 2>/dev/null || true")
            .unwrap_or_else(|e| e.to_string())
    }
}

/// The forwarding, NAT and filter rules of router `i`.
fn router_rules(site: &Site, i: usize) -> String {
    let mut s = String::from("set -e\nsysctl -q -w net.ipv4.ip_forward=1\n");
    let masquerade = match site.nat {
        Nat::PortKeeping => "MASQUERADE",
        Nat::Symmetric => "MASQUERADE --random-fully",
        Nat::OneToOne => {
            let (public, host) = (NatLab::router_wan_ip(i), NatLab::host_ip(i));
            // Everything to the public address goes to the host, everything from the host
            // leaves from it, ports kept (SNAT keeps a port that is free; the host is the
            // only one behind).
            s.push_str(&format!(
                "iptables -t nat -A PREROUTING -i wan -d {public} -j DNAT --to-destination {host}\n"
            ));
            "SNAT --to-source"
        }
    };
    let to = match site.nat {
        Nat::OneToOne => format!(" {}", NatLab::router_wan_ip(i)),
        _ => String::new(),
    };
    s.push_str(&format!(
        "iptables -t nat -A POSTROUTING -o wan -j {masquerade}{to}\n"
    ));
    if site.wan_loss > 0.0 {
        let p = site.wan_loss;
        s.push_str(&format!(
            "iptables -A FORWARD -i wan -m statistic --mode random --probability {p} -j DROP\n\
             iptables -A FORWARD -o wan -m statistic --mode random --probability {p} -j DROP\n"
        ));
    }
    if site.block_udp {
        s.push_str("iptables -A FORWARD -i lan -o wan -p udp -j DROP\n");
    }
    // Out: anything. In: only what belongs to a flow from inside (conntrack). Unsolicited
    // packets to the router itself are dropped too: an unconfirmed conntrack entry is then
    // never kept, so it cannot take the external port a later outgoing flow would keep
    // (which would turn a port-keeping NAT symmetric for that flow), and no ICMP error
    // goes back.
    if site.nat == Nat::OneToOne {
        // In: every new flow to the host too (after the loss and UDP rules).
        s.push_str(&format!(
            "iptables -A FORWARD -i wan -o lan -d {} -j ACCEPT\n",
            NatLab::host_ip(i)
        ));
    }
    s.push_str(
        "iptables -A FORWARD -i lan -o wan -j ACCEPT\n\
         iptables -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
         iptables -A FORWARD -j DROP\n\
         iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
         iptables -A INPUT -i wan -j DROP\n",
    );
    s
}
