//! Hosts: the endpoints tests drive, each with interfaces, an access link and an inbox.

use std::collections::VecDeque;
use std::fmt;
use std::net::IpAddr;

use crate::{Delivery, LinkConfig, NatId};

/// A host in a [`Network`](crate::Network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(pub(crate) usize);

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host{}", self.0)
    }
}

/// The addressing realm an interface is in: the public internet, or the private side of a
/// NAT. Private addresses may repeat in different realms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Realm {
    Public,
    Private(NatId),
}

impl Realm {
    pub(crate) fn of(behind: Option<NatId>) -> Self {
        behind.map_or(Self::Public, Self::Private)
    }
}

/// One host: its interfaces, its access link and the datagrams delivered to it.
#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) interfaces: Vec<(IpAddr, Realm)>,
    pub(crate) link: LinkConfig,
    pub(crate) inbox: VecDeque<Delivery>,
    pub(crate) removed: bool,
}

impl Host {
    pub(crate) fn new(ip: IpAddr, realm: Realm) -> Self {
        Self {
            interfaces: vec![(ip, realm)],
            link: LinkConfig::default(),
            inbox: VecDeque::new(),
            removed: false,
        }
    }

    /// The realm of the interface with this IP, if the host has one.
    pub(crate) fn realm_of(&self, ip: IpAddr) -> Option<Realm> {
        self.interfaces
            .iter()
            .find(|(i, _)| *i == ip)
            .map(|(_, realm)| *realm)
    }
}
