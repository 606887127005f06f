//! One TURN allocation on the server side: relayed address, permissions and channels, each
//! with its expiry (RFC 8656 §6, §9, §12).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Permission lifetime (RFC 8656 §9: 300 s, not changeable).
pub(crate) const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// Channel binding lifetime (RFC 8656 §12: 10 minutes).
pub(crate) const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// Most permissions per allocation; beyond, 508 Insufficient Capacity.
pub(crate) const MAX_PERMISSIONS: usize = 64;
/// Most channels per allocation; beyond, 508 Insufficient Capacity.
pub(crate) const MAX_CHANNELS: usize = 64;

/// Why a ChannelBind is refused (RFC 8656 §12.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindError {
    /// The channel is bound to another peer, or the peer to another channel: 400.
    Conflict,
    /// The tables are full: 508.
    Capacity,
}

/// An allocation, keyed by its client's 5-tuple in the server.
#[derive(Debug)]
pub(crate) struct Allocation {
    pub(crate) relayed: SocketAddr,
    pub(crate) expires: Instant,
    /// The Allocate transaction that made it and the success sent, for retransmissions
    /// (RFC 8656 §7.2: a retransmitted Allocate gets the same answer, another one 437).
    pub(crate) allocate_transaction: [u8; 12],
    pub(crate) allocate_response: Vec<u8>,
    permissions: BTreeMap<IpAddr, Instant>,
    channels: BTreeMap<u16, (SocketAddr, Instant)>,
}

impl Allocation {
    pub(crate) fn new(
        relayed: SocketAddr,
        expires: Instant,
        allocate_transaction: [u8; 12],
    ) -> Self {
        Self {
            relayed,
            expires,
            allocate_transaction,
            allocate_response: Vec::new(),
            permissions: BTreeMap::new(),
            channels: BTreeMap::new(),
        }
    }

    pub(crate) fn is_live(&self, now: Instant) -> bool {
        now < self.expires
    }

    fn purge(&mut self, now: Instant) {
        self.permissions.retain(|_, expires| now < *expires);
        self.channels.retain(|_, (_, expires)| now < *expires);
    }

    /// Whether a live permission exists for this peer IP (RFC 8656 §9).
    pub(crate) fn permits(&self, ip: IpAddr, now: Instant) -> bool {
        self.permissions.get(&ip).is_some_and(|e| now < *e)
    }

    /// Installs or refreshes permissions for all `peers`, or none when the table would
    /// overflow (RFC 8656 §10.2: the request is handled atomically).
    pub(crate) fn permit(&mut self, peers: &[IpAddr], now: Instant) -> Result<(), BindError> {
        self.purge(now);
        let new = peers
            .iter()
            .filter(|ip| !self.permissions.contains_key(ip))
            .count();
        if self.permissions.len() + new > MAX_PERMISSIONS {
            return Err(BindError::Capacity);
        }
        for ip in peers {
            self.permissions.insert(*ip, now + PERMISSION_LIFETIME);
        }
        Ok(())
    }

    /// The peer a live channel is bound to.
    pub(crate) fn channel_peer(&self, channel: u16, now: Instant) -> Option<SocketAddr> {
        self.channels
            .get(&channel)
            .filter(|(_, expires)| now < *expires)
            .map(|(peer, _)| *peer)
    }

    /// The live channel bound to this peer.
    pub(crate) fn channel_of(&self, peer: SocketAddr, now: Instant) -> Option<u16> {
        self.channels
            .iter()
            .find(|(_, (p, expires))| *p == peer && now < *expires)
            .map(|(channel, _)| *channel)
    }

    /// Binds or refreshes `channel` to `peer`, and installs or refreshes the permission for
    /// the peer's IP (RFC 8656 §12.2).
    pub(crate) fn bind(
        &mut self,
        channel: u16,
        peer: SocketAddr,
        now: Instant,
    ) -> Result<(), BindError> {
        self.purge(now);
        let channel_ok = self.channel_peer(channel, now).is_none_or(|p| p == peer);
        let peer_ok = self.channel_of(peer, now).is_none_or(|c| c == channel);
        if !channel_ok || !peer_ok {
            return Err(BindError::Conflict);
        }
        if !self.channels.contains_key(&channel) && self.channels.len() >= MAX_CHANNELS {
            return Err(BindError::Capacity);
        }
        self.permit(&[peer.ip()], now)?;
        self.channels
            .insert(channel, (peer, now + CHANNEL_LIFETIME));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // the simulated epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn channels_conflict_expire_and_install_permissions() {
        let now = epoch();
        let mut a = Allocation::new("192.0.2.1:50000".parse().unwrap(), now, [0; 12]);
        let p1: SocketAddr = "203.0.113.1:1000".parse().unwrap();
        let p2: SocketAddr = "203.0.113.2:1000".parse().unwrap();
        assert_eq!(a.bind(0x4000, p1, now), Ok(()));
        assert!(a.permits(p1.ip(), now));
        assert_eq!(a.bind(0x4000, p1, now), Ok(()));
        assert_eq!(a.bind(0x4000, p2, now), Err(BindError::Conflict));
        assert_eq!(a.bind(0x4001, p1, now), Err(BindError::Conflict));
        assert_eq!(a.channel_of(p1, now), Some(0x4000));
        let later = now + CHANNEL_LIFETIME;
        assert_eq!(a.channel_peer(0x4000, later), None);
        assert!(!a.permits(p1.ip(), now + PERMISSION_LIFETIME));
        assert_eq!(a.bind(0x4000, p2, later), Ok(()));
    }

    #[test]
    fn permission_table_is_bounded() {
        let now = epoch();
        let mut a = Allocation::new("192.0.2.1:50000".parse().unwrap(), now, [0; 12]);
        let ips: Vec<IpAddr> = (0..=MAX_PERMISSIONS)
            .map(|i| IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]))
            .collect();
        assert_eq!(a.permit(&ips, now), Err(BindError::Capacity));
        assert_eq!(a.permit(&ips[..MAX_PERMISSIONS], now), Ok(()));
        assert_eq!(
            a.permit(&ips[MAX_PERMISSIONS..], now),
            Err(BindError::Capacity)
        );
    }
}
