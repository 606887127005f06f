//! The channel table (RFC 8656 §12): channel numbers bound to peer transport addresses.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::channel_data::{MAX_CHANNEL, MIN_CHANNEL};

/// A channel binding lasts 10 minutes (RFC 8656 §12).
pub(crate) const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// Refreshed one minute before it expires.
pub(crate) const CHANNEL_REFRESH: Duration = Duration::from_secs(540);
/// Wait before retrying a refresh that failed.
const REFRESH_RETRY: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Binding {
    channel: u16,
    peer: SocketAddr,
    bound_until: Option<Instant>,
    refresh_at: Option<Instant>,
    refreshing: bool,
}

/// The channels of one allocation, bounded.
#[derive(Debug)]
pub(crate) struct Channels {
    bindings: Vec<Binding>,
    limit: usize,
    next: u16,
}

impl Channels {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            bindings: Vec::new(),
            limit: limit.min(usize::from(MAX_CHANNEL - MIN_CHANNEL) + 1),
            next: MIN_CHANNEL,
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Reserves a channel number for `peer`; `None` if the table is full.
    pub(crate) fn reserve(&mut self, peer: SocketAddr) -> Option<u16> {
        if self.bindings.len() >= self.limit {
            return None;
        }
        // Numbers are handed out in turn so a number is not reused soon after it was freed
        // (RFC 8656 §12: a channel stays bound server-side until it expires).
        loop {
            let n = self.next;
            self.next = if n == MAX_CHANNEL { MIN_CHANNEL } else { n + 1 };
            if !self.bindings.iter().any(|b| b.channel == n) {
                self.bindings.push(Binding {
                    channel: n,
                    peer,
                    bound_until: None,
                    refresh_at: None,
                    refreshing: false,
                });
                return Some(n);
            }
        }
    }

    pub(crate) fn has_peer(&self, peer: SocketAddr) -> bool {
        self.bindings.iter().any(|b| b.peer == peer)
    }

    /// Marks a channel bound from `now`; returns whether it is new (not a refresh).
    pub(crate) fn bound(&mut self, channel: u16, now: Instant) -> bool {
        match self.bindings.iter_mut().find(|b| b.channel == channel) {
            Some(b) => {
                let new = b.bound_until.is_none();
                b.bound_until = Some(now + CHANNEL_LIFETIME);
                b.refresh_at = Some(now + CHANNEL_REFRESH);
                b.refreshing = false;
                new
            }
            None => false,
        }
    }

    /// A ChannelBind failed: an unbound reservation is freed, a bound one kept until expiry.
    pub(crate) fn failed(&mut self, channel: u16, now: Instant) {
        self.bindings
            .retain(|b| !(b.channel == channel && b.bound_until.is_none()));
        if let Some(b) = self.bindings.iter_mut().find(|b| b.channel == channel) {
            b.refreshing = false;
            // Retry later, not at once: a refresh that failed must not loop.
            b.refresh_at = Some(now + REFRESH_RETRY);
        }
    }

    /// The bound channel of `peer`, usable now.
    pub(crate) fn channel_of(&self, peer: SocketAddr, now: Instant) -> Option<u16> {
        self.bindings
            .iter()
            .find(|b| b.peer == peer && b.bound_until.is_some_and(|t| now < t))
            .map(|b| b.channel)
    }

    /// The peer of a bound channel.
    pub(crate) fn peer_of(&self, channel: u16, now: Instant) -> Option<SocketAddr> {
        self.bindings
            .iter()
            .find(|b| b.channel == channel && b.bound_until.is_some_and(|t| now < t))
            .map(|b| b.peer)
    }

    /// Channels whose refresh is due; expired ones are dropped.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<(u16, SocketAddr)> {
        self.bindings
            .retain(|b| b.bound_until.is_none_or(|t| now < t));
        let mut due = Vec::new();
        for b in &mut self.bindings {
            if !b.refreshing && b.refresh_at.is_some_and(|t| now >= t) {
                b.refreshing = true;
                due.push((b.channel, b.peer));
            }
        }
        due
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.bindings
            .iter()
            .filter_map(|b| {
                if b.refreshing {
                    b.bound_until
                } else {
                    b.refresh_at
                }
            })
            .min()
    }

    pub(crate) fn clear(&mut self) {
        self.bindings.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // the simulated epoch
    fn reserve_bind_refresh_expire() {
        let t0 = Instant::now();
        let peer: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        let mut c = Channels::new(2);
        let n = c.reserve(peer).unwrap();
        assert_eq!(n, MIN_CHANNEL);
        assert_eq!(c.channel_of(peer, t0), None, "not bound yet");
        assert!(c.bound(n, t0));
        assert_eq!(c.channel_of(peer, t0), Some(n));
        assert_eq!(c.peer_of(n, t0), Some(peer));
        assert_eq!(c.take_due(t0 + CHANNEL_REFRESH), vec![(n, peer)]);
        assert!(!c.bound(n, t0 + CHANNEL_REFRESH));
        c.reserve("192.0.2.2:1".parse().unwrap()).unwrap();
        assert!(
            c.reserve("192.0.2.3:1".parse().unwrap()).is_none(),
            "bounded"
        );
        c.failed(MIN_CHANNEL + 1, t0);
        assert_eq!(c.take_due(t0 + CHANNEL_REFRESH + CHANNEL_LIFETIME), vec![]);
        assert_eq!(c.peer_of(n, t0 + CHANNEL_REFRESH + CHANNEL_LIFETIME), None);
    }
}
