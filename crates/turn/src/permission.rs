//! The permission table (RFC 8656 §9): which peer IPs may exchange data with us.

use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A permission lasts 300 s on the server (RFC 8656 §9).
pub(crate) const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// Refreshed one minute before it expires.
pub(crate) const PERMISSION_REFRESH: Duration = Duration::from_secs(240);
/// Wait before retrying a refresh that failed.
const REFRESH_RETRY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PermissionState {
    /// CreatePermission sent, no answer yet: data is neither sent nor accepted.
    Pending,
    /// Installed on the server until `expires`.
    Installed { expires: Instant },
}

#[derive(Debug)]
struct Entry {
    ip: IpAddr,
    state: PermissionState,
    refresh_at: Option<Instant>,
    refreshing: bool,
}

/// The permissions of one allocation, bounded.
#[derive(Debug)]
pub(crate) struct Permissions {
    entries: Vec<Entry>,
    limit: usize,
}

impl Permissions {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            entries: Vec::new(),
            limit,
        }
    }

    /// Whether data may flow to and from `ip` now.
    pub(crate) fn is_installed(&self, ip: IpAddr, now: Instant) -> bool {
        self.entries.iter().any(|e| {
            e.ip == ip && matches!(e.state, PermissionState::Installed { expires } if now < expires)
        })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.entries.iter().any(|e| e.ip == ip)
    }

    /// Adds a pending permission; `false` if the table is full.
    pub(crate) fn add_pending(&mut self, ip: IpAddr) -> bool {
        if self.contains(ip) {
            return true;
        }
        if self.entries.len() >= self.limit {
            return false;
        }
        self.entries.push(Entry {
            ip,
            state: PermissionState::Pending,
            refresh_at: None,
            refreshing: false,
        });
        true
    }

    /// Marks `ip` installed from `now`; returns whether it is new (not a refresh). A
    /// permission the table has no room for is not recorded (the server still has it).
    pub(crate) fn installed(&mut self, ip: IpAddr, now: Instant) -> bool {
        if !self.add_pending(ip) {
            return false;
        }
        let Some(entry) = self.entries.iter_mut().find(|e| e.ip == ip) else {
            return false;
        };
        let new = entry.state == PermissionState::Pending;
        entry.state = PermissionState::Installed {
            expires: now + PERMISSION_LIFETIME,
        };
        entry.refresh_at = Some(now + PERMISSION_REFRESH);
        entry.refreshing = false;
        new
    }

    /// A CreatePermission for `ip` failed: a pending one is dropped, an installed one is
    /// kept until it expires.
    pub(crate) fn failed(&mut self, ip: IpAddr, now: Instant) {
        self.entries
            .retain(|e| !(e.ip == ip && e.state == PermissionState::Pending));
        if let Some(e) = self.entries.iter_mut().find(|e| e.ip == ip) {
            e.refreshing = false;
            // Retry later, not at once: a refresh that failed must not loop.
            e.refresh_at = Some(now + REFRESH_RETRY);
        }
    }

    pub(crate) fn remove(&mut self, ip: IpAddr) {
        self.entries.retain(|e| e.ip != ip);
    }

    /// IPs whose refresh is due now; they are marked as being refreshed. Expired entries are
    /// dropped.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<IpAddr> {
        self.entries.retain(
            |e| !matches!(e.state, PermissionState::Installed { expires } if now >= expires),
        );
        let mut due = Vec::new();
        for e in &mut self.entries {
            if !e.refreshing && e.refresh_at.is_some_and(|t| now >= t) {
                e.refreshing = true;
                due.push(e.ip);
            }
        }
        due
    }

    /// The next refresh or expiry.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.entries
            .iter()
            .filter_map(|e| match e.state {
                PermissionState::Installed { expires } if e.refreshing => Some(expires),
                PermissionState::Installed { .. } => e.refresh_at,
                PermissionState::Pending => None,
            })
            .min()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // the simulated epoch
    fn lifecycle() {
        let t0 = Instant::now();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let mut p = Permissions::new(1);
        assert!(p.add_pending(ip));
        assert!(!p.add_pending("192.0.2.2".parse().unwrap()), "bounded");
        assert!(!p.is_installed(ip, t0), "pending is not installed");
        assert!(p.installed(ip, t0));
        assert!(p.is_installed(ip, t0));
        assert_eq!(p.next_deadline(), Some(t0 + PERMISSION_REFRESH));
        assert_eq!(p.take_due(t0 + PERMISSION_REFRESH), vec![ip]);
        assert!(p.take_due(t0 + PERMISSION_REFRESH).is_empty(), "once");
        assert!(
            !p.installed(ip, t0 + PERMISSION_REFRESH),
            "a refresh is not new"
        );
        assert!(!p.is_installed(ip, t0 + PERMISSION_REFRESH + PERMISSION_LIFETIME));
        p.take_due(t0 + PERMISSION_REFRESH + PERMISSION_LIFETIME);
        assert!(!p.contains(ip), "expired entries are dropped");
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the simulated epoch
    fn a_failed_refresh_is_retried_after_a_pause_not_at_once() {
        let t0 = Instant::now();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let mut p = Permissions::new(4);
        p.add_pending(ip);
        p.installed(ip, t0);
        let t1 = t0 + PERMISSION_REFRESH;
        assert_eq!(p.take_due(t1), vec![ip]);
        p.failed(ip, t1);
        assert!(p.is_installed(ip, t1), "kept until it expires");
        assert!(p.take_due(t1).is_empty(), "no retry loop");
        assert_eq!(p.next_deadline(), Some(t1 + REFRESH_RETRY));
        assert_eq!(p.take_due(t1 + REFRESH_RETRY), vec![ip]);
    }
}
