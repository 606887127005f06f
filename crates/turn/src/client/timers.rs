//! Timers: the allocation's expiry and refresh schedule (RFC 8656 §8), with the permission and
//! channel refreshes and the transactions' retransmissions gathered into one deadline.

use std::time::{Duration, Instant};

use super::requests::Request;
use super::{Client, State};
use crate::TurnError;

/// Refreshed this long before expiry (when the lifetime is longer than twice this).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// When the allocation expires and when to refresh it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lifetime {
    expires: Instant,
    refresh_at: Instant,
    refreshing: bool,
}

impl Lifetime {
    /// An allocation granted `lifetime` at `now`.
    pub(super) fn new(now: Instant, lifetime: Duration) -> Self {
        Self {
            expires: now + lifetime,
            refresh_at: now + refresh_delay(lifetime),
            refreshing: false,
        }
    }

    /// A refresh granted `lifetime` at `now`.
    pub(super) fn refreshed(&mut self, now: Instant, lifetime: Duration) {
        *self = Self::new(now, lifetime);
    }

    /// Marks a refresh as sent; `false` if one is already outstanding.
    pub(super) fn start_refresh(&mut self) -> bool {
        !std::mem::replace(&mut self.refreshing, true)
    }

    fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires
    }

    fn refresh_due(&self, now: Instant) -> bool {
        !self.refreshing && now >= self.refresh_at
    }

    /// The next deadline: the refresh, or the expiry while a refresh is outstanding.
    fn deadline(&self) -> Instant {
        if self.refreshing {
            self.expires
        } else {
            self.refresh_at
        }
    }
}

/// A duration in whole seconds for LIFETIME, saturated.
pub(super) fn lifetime_secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// When to refresh something that lives `lifetime`: a minute early, or at half-life if it is
/// short.
pub(super) fn refresh_delay(lifetime: Duration) -> Duration {
    if lifetime > 2 * REFRESH_MARGIN {
        lifetime - REFRESH_MARGIN
    } else {
        lifetime / 2
    }
}

impl Client {
    /// Retransmissions and timeouts of requests; then, while allocated, the expiry and the
    /// refreshes of the allocation, permissions and channels that are due.
    pub(super) fn run_timers(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
        while let Some(t) = self.transactions.poll_event() {
            self.request_failed(
                now,
                t.tag,
                TurnError::Timeout {
                    server: t.destination,
                },
            );
        }
        if self.state != State::Allocated {
            return;
        }
        let Some(a) = self.allocation else { return };
        if a.lifetime.is_expired(now) {
            return self.fail(TurnError::Timeout {
                server: self.server,
            });
        }
        if a.lifetime.refresh_due(now) {
            let _ = self.refresh(now);
        }
        let due = self.permissions.take_due(now);
        if !due.is_empty() {
            let request = Request::CreatePermission { peers: due };
            if let Err(e) = self.send_request(now, request.clone()) {
                self.request_failed(now, request, e);
            }
        }
        for (channel, peer) in self.channels.take_due(now) {
            let request = Request::ChannelBind { channel, peer };
            if let Err(e) = self.send_request(now, request.clone()) {
                self.request_failed(now, request, e);
            }
        }
    }

    /// The earliest of the timers above; `None` when nothing is due.
    pub(super) fn next_timer(&self) -> Option<Instant> {
        let mut next = self.transactions.poll_timeout();
        if self.state == State::Allocated {
            let refresh = self.allocation.map(|a| a.lifetime.deadline());
            for t in [
                refresh,
                self.permissions.next_deadline(),
                self.channels.next_deadline(),
            ]
            .into_iter()
            .flatten()
            {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        next
    }
}
