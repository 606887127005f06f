//! Outgoing connectivity checks (RFC 8445 §7.2), paced by Ta, and nomination (§8.1).

use std::time::Instant;

use rand::RngCore;
use rtcweb_stun::{BindingRequest, IceRole};

use crate::agent::{Agent, CheckTag, Route};
use crate::{CandidateKind, Event, PairState};

impl Agent {
    /// Sends the next check if Ta allows (RFC 8445 §6.1.4.2): nomination first, then a
    /// triggered or ordinary check.
    pub(crate) fn schedule_checks(&mut self, now: Instant) {
        if self.config.lite || self.liveness.is_over() || now < self.next_check_at {
            return;
        }
        if let Some(due) = self.nomination_due_at()
            && now >= due
            && let Some(best) = self.best_valid()
        {
            self.send_check(now, best, true, false);
            return;
        }
        if let Some(pi) = self.next_check(now) {
            self.send_check(now, pi, false, false);
        }
    }

    /// The highest-priority valid pair.
    pub(crate) fn best_valid(&self) -> Option<usize> {
        (0..self.pairs.len())
            .filter(|&i| self.pairs[i].state == PairState::Succeeded)
            .max_by_key(|&i| self.pairs[i].priority)
    }

    /// When the controlling agent nominates (regular nomination, RFC 8445 §8.1.1): at once if
    /// no better pair is still being checked, else after [`nomination_delay`] from the first
    /// valid pair.
    ///
    /// [`nomination_delay`]: crate::Config::nomination_delay
    pub(crate) fn nomination_due_at(&self) -> Option<Instant> {
        if !self.session.is_controlling()
            || self.config.lite
            || self.nominating.is_some()
            || self.pairs.iter().any(|p| p.nominated)
        {
            return None;
        }
        let best = self.best_valid()?;
        let first = self.first_valid_at?;
        let priority = self.pairs[best].priority;
        let better_pending = self.pairs.iter().any(|p| {
            p.priority > priority
                && matches!(
                    p.state,
                    PairState::Waiting | PairState::Frozen | PairState::InProgress
                )
        });
        Some(if better_pending {
            first + self.config.nomination_delay
        } else {
            first
        })
    }

    /// Sends a Binding request on pair `pi` (RFC 8445 §7.2.2).
    pub(crate) fn send_check(
        &mut self,
        now: Instant,
        pi: usize,
        use_candidate: bool,
        consent: bool,
    ) {
        let (Some(remote_credentials), Some(key)) =
            (self.session.remote(), self.session.remote_key())
        else {
            return;
        };
        let pair = &self.pairs[pi];
        let local = self.gather.local(pair.local);
        let destination = self.remotes[pair.remote].address;
        // RFC 8445 §7.1.1: PRIORITY is what a peer-reflexive candidate from this base would
        // have: the type preference of prflx with the local candidate's other bits.
        let priority = (CandidateKind::PeerReflexive.type_preference() << 24)
            | (local.candidate.priority & 0x00ff_ffff);
        let username = format!(
            "{}:{}",
            remote_credentials.ufrag,
            self.session.local().ufrag
        );
        let mut transaction_id = [0u8; 12];
        self.rng.fill_bytes(&mut transaction_id);
        let role = if self.session.is_controlling() {
            IceRole::Controlling(self.session.tie_breaker())
        } else {
            IceRole::Controlled(self.session.tie_breaker())
        };
        let request = BindingRequest {
            transaction_id,
            username: Some(&username),
            priority: Some(priority),
            role: Some(role),
            use_candidate: use_candidate && self.session.is_controlling(),
            key: Some(key),
            software: self.config.software.as_deref(),
        };
        let mut buf = vec![0u8; 256];
        let Ok(n) = request.encode(&mut buf) else {
            return;
        };
        buf.truncate(n);
        let tag = CheckTag {
            pair: pair.id,
            use_candidate: use_candidate && self.session.is_controlling(),
            controlling: self.session.is_controlling(),
            consent,
            priority,
        };
        let base = local.base;
        if self
            .checks
            .start(
                now,
                transaction_id,
                buf,
                rtcweb_common::Transport::Udp,
                Some(base),
                destination,
                tag,
            )
            .is_err()
        {
            // The transaction table is full: try again after Ta.
            self.stats.checks_deferred += 1;
            self.next_check_at = now + self.config.ta;
            return;
        }
        self.liveness.sent(now);
        if consent {
            self.stats.consent_checks_sent += 1;
            return;
        }
        self.stats.checks_sent += 1;
        self.next_check_at = now + self.config.ta;
        let pair = &mut self.pairs[pi];
        pair.transaction = Some(transaction_id);
        if pair.state != PairState::Succeeded {
            pair.state = PairState::InProgress;
        }
        if tag.use_candidate {
            self.nominating = Some(pair.id);
        }
    }

    /// Transactions that got no response: their pairs fail (RFC 8445 §7.2.5.2.4... via RFC 8489
    /// §6.2.1 timeouts).
    pub(crate) fn process_timeouts(&mut self, _now: Instant) {
        while let Some(t) = self.checks.poll_timed_out() {
            if t.tag.consent {
                continue;
            }
            if let Some(pi) = self.pair_index(t.tag.pair)
                && self.pairs[pi].transaction == Some(t.transaction_id)
            {
                self.fail_pair(pi, t.tag.use_candidate);
            }
        }
    }

    /// Selects the highest-priority nominated valid pair (RFC 8445 §8.1.1, §8.2), announces it,
    /// and, as controlling agent, stops checking lower pairs (§8.1.2).
    pub(crate) fn select_best(&mut self, now: Instant) {
        let best = (0..self.pairs.len())
            .filter(|&i| self.pairs[i].nominated && self.pairs[i].state == PairState::Succeeded)
            .max_by_key(|&i| self.pairs[i].priority);
        let Some(pi) = best else {
            return;
        };
        let id = self.pairs[pi].id;
        if self.selected_pair_id() == Some(id) {
            return;
        }
        let (local, remote) = (self.pairs[pi].local, self.pairs[pi].remote);
        let route = Route {
            pair: Some(id),
            local,
            remote: self.remotes[remote].address,
            remote_candidate: self.remotes[remote].candidate.clone(),
        };
        self.events
            .push_back(Event::SelectedPair(self.selected_of(&route)));
        self.route = Some(route);
        let delay = self.consent_delay();
        self.liveness.selected(now, delay);
        if self.session.is_controlling() {
            let priority = self.pairs[pi].priority;
            let removed: Vec<u32> = self
                .pairs
                .iter()
                .filter(|p| {
                    p.priority < priority
                        && matches!(p.state, PairState::Waiting | PairState::Frozen)
                })
                .map(|p| p.id)
                .collect();
            self.pairs.retain(|p| !removed.contains(&p.id));
            self.triggered.retain(|t| !removed.contains(t));
        }
        // A relayed selected pair gets a channel: 4 bytes of overhead instead of 36
        // (RFC 8656 §12).
        if let crate::gather::Path::Relay(r) = self.gather.local(local).path {
            let peer = self.remotes[remote].address;
            self.gather.bind_channel(now, r, peer);
        }
    }
}
