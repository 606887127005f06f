//! Candidate pairs and the checklist (RFC 8445 §6.1.2): forming, ordering, pruning, freezing,
//! and choosing the next check.

use crate::agent::Agent;
use crate::gather::Path;
use crate::priority::pair_priority;
use crate::{Candidate, CandidateKind};

/// State of a candidate pair (RFC 8445 §6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairState {
    /// Waits for a pair of the same foundation to succeed.
    Frozen,
    /// May be checked.
    Waiting,
    /// A check is outstanding.
    InProgress,
    /// A check succeeded: the pair is valid.
    Succeeded,
    /// Checks failed.
    Failed,
}

/// A read-only view of a candidate pair, for statistics (webrtc-stats `candidate-pair`).
#[derive(Debug, Clone, Copy)]
pub struct PairInfo<'a> {
    /// The local candidate.
    pub local: &'a Candidate,
    /// The remote candidate.
    pub remote: &'a Candidate,
    /// Check state.
    pub state: PairState,
    /// Whether the pair was nominated.
    pub nominated: bool,
    /// Pair priority (RFC 8445 §6.1.2.3).
    pub priority: u64,
    /// Whether this is the selected pair.
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub(crate) id: u32,
    /// Index into the agent's local candidates (host or relayed).
    pub(crate) local: usize,
    /// Index into the agent's remote candidates.
    pub(crate) remote: usize,
    pub(crate) priority: u64,
    pub(crate) state: PairState,
    pub(crate) nominated: bool,
    /// Controlled side: USE-CANDIDATE arrived before our own check succeeded
    /// (RFC 8445 §7.3.1.5).
    pub(crate) nominate_on_success: bool,
    /// The transaction of the outstanding check.
    pub(crate) transaction: Option<[u8; 12]>,
    /// The peer sent an authenticated check on this pair.
    pub(crate) requested: bool,
}

impl Agent {
    pub(crate) fn pair_index(&self, id: u32) -> Option<usize> {
        self.pairs.iter().position(|p| p.id == id)
    }

    pub(crate) fn find_pair(&self, local: usize, remote: usize) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.local == local && p.remote == remote)
    }

    /// Pair priority with G the controlling side's candidate (RFC 8445 §6.1.2.3).
    pub(crate) fn priority_of(&self, local: usize, remote: usize) -> u64 {
        let l = self.gather.local(local).candidate.priority;
        let r = self.remotes[remote].candidate.priority;
        if self.session.is_controlling() {
            pair_priority(l, r)
        } else {
            pair_priority(r, l)
        }
    }

    /// Whether a local and a remote candidate can form a pair: same address family, UDP,
    /// and the local one is a base (host or relayed: RFC 8445 §6.1.2.4 replaces
    /// server-reflexive candidates by their base).
    pub(crate) fn can_pair(&self, local: usize, remote: usize) -> bool {
        let l = self.gather.local(local);
        let r = &self.remotes[remote];
        l.alive
            && matches!(
                l.candidate.kind,
                CandidateKind::Host | CandidateKind::Relayed
            )
            && l.base.is_ipv4() == r.address.is_ipv4()
            && self.gather.allows(l.candidate.kind)
            && !(l.candidate.kind == CandidateKind::Relayed
                && r.candidate.kind == CandidateKind::Host
                && self.behind_remote_nat(r.address.ip()))
    }

    /// Whether the peer's own candidates show that its host address `ip` is behind a NAT:
    /// it signalled a server-reflexive candidate with `ip` as its base (RFC 8839 §5.1
    /// `raddr`) and another address. A relay, which sits outside that NAT, cannot reach
    /// such an address, and sending to it is worse than useless: a TURN server whose relayed
    /// send fails at its socket (no route, an egress firewall) closes the allocation
    /// without telling the client (coturn), which ends every relayed pair at once. The pair
    /// is not needed either: the peer's own check from that host to our relayed address
    /// teaches us its NAT's mapping as a peer-reflexive candidate (RFC 8445 §7.3.1.3).
    pub(crate) fn behind_remote_nat(&self, ip: std::net::IpAddr) -> bool {
        self.remotes.iter().any(|r| {
            r.candidate.kind == CandidateKind::ServerReflexive
                && r.address.ip() != ip
                && matches!(
                    r.candidate.related,
                    Some((crate::ConnectionAddress::Ip(base), _)) if base == ip
                )
        })
    }

    /// A remote server-reflexive candidate just showed that the peer's host address `ip`
    /// is behind a NAT: relayed pairs to its host candidates that were not checked yet go
    /// (see [`behind_remote_nat`](Self::behind_remote_nat)).
    pub(crate) fn prune_relayed_to_natted_host(&mut self, ip: std::net::IpAddr) {
        let doomed: Vec<u32> = self
            .pairs
            .iter()
            .filter(|p| {
                matches!(p.state, PairState::Frozen | PairState::Waiting)
                    && self.gather.local(p.local).candidate.kind == CandidateKind::Relayed
                    && self.remotes[p.remote].candidate.kind == CandidateKind::Host
                    && self.remotes[p.remote].address.ip() == ip
            })
            .map(|p| p.id)
            .collect();
        if doomed.is_empty() {
            return;
        }
        self.pairs.retain(|p| !doomed.contains(&p.id));
        self.triggered.retain(|t| !doomed.contains(t));
    }

    /// Adds the pair unless it exists or the checklist is full; returns its index.
    pub(crate) fn add_pair(&mut self, local: usize, remote: usize) -> Option<usize> {
        if let Some(i) = self.find_pair(local, remote) {
            return Some(i);
        }
        if !self.can_pair(local, remote) {
            return None;
        }
        let priority = self.priority_of(local, remote);
        if self.pairs.len() >= self.config.max_pairs {
            // RFC 8445 §6.1.2.5: keep the checklist bounded, dropping the lowest-priority
            // pair that has not been checked.
            let victim = self
                .pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    matches!(
                        p.state,
                        PairState::Frozen | PairState::Waiting | PairState::Failed
                    ) && Some(p.id) != self.selected_pair_id()
                })
                .min_by_key(|(_, p)| p.priority)
                .map(|(i, p)| (i, p.priority));
            match victim {
                Some((i, lowest)) if lowest < priority => {
                    let id = self.pairs[i].id;
                    self.pairs.swap_remove(i);
                    self.triggered.retain(|t| *t != id);
                    self.stats.pairs_pruned += 1;
                }
                _ => {
                    self.stats.pairs_pruned += 1;
                    return None;
                }
            }
        }
        let id = self.next_pair_id;
        self.next_pair_id = self.next_pair_id.wrapping_add(1);
        // RFC 8445 §6.1.2.6: the first pair of each foundation waits, the others freeze.
        let foundation_active = self
            .pairs
            .iter()
            .any(|p| self.same_foundation(p, local, remote));
        let state = if foundation_active {
            PairState::Frozen
        } else {
            PairState::Waiting
        };
        self.pairs.push(Pair {
            id,
            local,
            remote,
            priority,
            state,
            nominated: false,
            nominate_on_success: false,
            transaction: None,
            requested: false,
        });
        if let Path::Relay(relay) = self.gather.local(local).path {
            let ip = self.remotes[remote].address.ip();
            self.gather
                .request_permission(relay, ip, self.config.max_remote_candidates);
        }
        Some(self.pairs.len() - 1)
    }

    fn same_foundation(&self, p: &Pair, local: usize, remote: usize) -> bool {
        self.gather.local(p.local).candidate.foundation
            == self.gather.local(local).candidate.foundation
            && self.remotes[p.remote].candidate.foundation
                == self.remotes[remote].candidate.foundation
    }

    /// Pairs a new remote candidate with every local base, and a new local base with every
    /// remote candidate.
    pub(crate) fn pair_remote(&mut self, remote: usize) {
        for local in 0..self.gather.locals().len() {
            self.add_pair(local, remote);
        }
    }

    pub(crate) fn pair_local(&mut self, local: usize) {
        for remote in 0..self.remotes.len() {
            self.add_pair(local, remote);
        }
    }

    /// RFC 8445 §7.2.5.3.3: a success unfreezes the frozen pairs of the same foundation.
    pub(crate) fn unfreeze_foundation(&mut self, index: usize) {
        let (local, remote) = (self.pairs[index].local, self.pairs[index].remote);
        for i in 0..self.pairs.len() {
            if self.pairs[i].state == PairState::Frozen
                && self.same_foundation(&self.pairs[i], local, remote)
            {
                self.pairs[i].state = PairState::Waiting;
            }
        }
    }

    /// Recomputes pair priorities after a role change (RFC 8445 §7.2.5.1).
    pub(crate) fn reprioritise(&mut self) {
        for i in 0..self.pairs.len() {
            self.pairs[i].priority = self.priority_of(self.pairs[i].local, self.pairs[i].remote);
        }
    }

    /// Whether a check could go on this pair now: remote credentials known, and for a
    /// relayed local candidate the TURN permission installed.
    pub(crate) fn checkable(&self, index: usize, now: std::time::Instant) -> bool {
        let p = &self.pairs[index];
        if self.session.remote_key().is_none() {
            return false;
        }
        self.gather.path_ready(
            now,
            self.gather.local(p.local).path,
            self.remotes[p.remote].address.ip(),
        )
    }

    /// The next pair to check (RFC 8445 §6.1.4.2): a triggered one first, else the
    /// highest-priority waiting pair, else the highest-priority frozen one.
    pub(crate) fn next_check(&mut self, now: std::time::Instant) -> Option<usize> {
        while let Some(id) = self.triggered.pop_front() {
            if let Some(i) = self.pair_index(id)
                && self.pairs[i].state != PairState::InProgress
                && self.checkable(i, now)
            {
                return Some(i);
            }
        }
        for wanted in [PairState::Waiting, PairState::Frozen] {
            let best = (0..self.pairs.len())
                .filter(|&i| self.pairs[i].state == wanted && self.checkable(i, now))
                .max_by_key(|&i| self.pairs[i].priority);
            if best.is_some() {
                return best;
            }
        }
        None
    }

    /// Whether anything is left for the scheduler to do.
    pub(crate) fn has_check_work(&self, now: std::time::Instant) -> bool {
        !self.triggered.is_empty()
            || (0..self.pairs.len()).any(|i| {
                matches!(self.pairs[i].state, PairState::Waiting | PairState::Frozen)
                    && self.checkable(i, now)
            })
    }

    /// Queues a triggered check (RFC 8445 §7.3.1.4), bounded by the checklist size.
    pub(crate) fn trigger(&mut self, index: usize) {
        let id = self.pairs[index].id;
        if self.pairs[index].state == PairState::InProgress || self.triggered.contains(&id) {
            return;
        }
        if self.pairs[index].state != PairState::Succeeded {
            self.pairs[index].state = PairState::Waiting;
        }
        if self.triggered.len() < self.config.max_pairs {
            self.triggered.push_back(id);
        }
    }
}
