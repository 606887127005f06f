//! Candidate pairs and the checklist (RFC 8445 §6.1.2): forming, ordering, pruning, freezing,
//! and choosing the next check.
//!
//! A [`Checklist`] owns the remote candidates (with those waiting for mDNS), the pairs and
//! the triggered-check queue. It reads local candidates from the [`Gatherer`] it is given
//! and is told the role; the agent acts on what it answers (a new relayed pair needs a TURN
//! permission, ...).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rtcweb_common::Transport;

use crate::gather::Gatherer;
use crate::priority::pair_priority;
use crate::{Candidate, CandidateKind, CandidateTransport, Config, Stats, TcpType};

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
    /// Index into the gatherer's local candidates (host or relayed).
    pub(crate) local: usize,
    /// Index into the checklist's remote candidates.
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
    /// The local candidate of the valid pair when it is not `local` (RFC 8445
    /// §7.2.5.3.1: the local candidate whose address is the mapped address of the
    /// response): the server-reflexive passive ICE-TCP candidate on `local`'s base that the
    /// peer reached us at. Same base, so datagrams leave the same way.
    pub(crate) valid_local: Option<usize>,
}

impl PairState {
    pub(crate) fn is_done(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// A remote candidate with a known address.
#[derive(Debug, Clone)]
pub(crate) struct RemoteCandidate {
    pub(crate) candidate: Candidate,
    pub(crate) address: SocketAddr,
    /// UDP, or TCP for an ICE-TCP candidate (RFC 6544).
    pub(crate) transport: Transport,
}

/// The transport of a candidate the agent uses: UDP or TCP (others are refused before).
pub(crate) fn transport_of(candidate: &Candidate) -> Transport {
    match candidate.transport {
        CandidateTransport::Tcp => Transport::Tcp,
        CandidateTransport::Udp | CandidateTransport::Other(_) => Transport::Udp,
    }
}

/// A pair added to the checklist, or one that was there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Added {
    New(usize),
    Existing(usize),
}

impl Added {
    pub(crate) fn index(self) -> usize {
        match self {
            Self::New(i) | Self::Existing(i) => i,
        }
    }
}

/// The remote candidates, the pairs and the triggered-check queue.
#[derive(Debug)]
pub(crate) struct Checklist {
    remotes: Vec<RemoteCandidate>,
    /// Remote candidates with an mDNS name, until the owner resolves it.
    pending_mdns: Vec<Candidate>,
    /// The peer signalled end-of-candidates (RFC 8838 §13).
    end_of_candidates: bool,
    pairs: Vec<Pair>,
    next_pair_id: u32,
    triggered: VecDeque<u32>,
    max_pairs: usize,
    max_remotes: usize,
}

/// RFC 6544 §6.2: an active local candidate pairs with a passive remote one (we connect to
/// it), a passive local one with an active remote one, simultaneous-open with its like
/// (which we do not gather). A passive local candidate cannot start a connection, so its
/// pairs with signalled active candidates (port 9: nothing listens there) are pruned, as
/// §6.2 asks; what it pairs with is the peer-reflexive candidate a connection from the
/// peer's active candidate shows (§7.2), checked on that connection.
pub(crate) fn tcp_roles_pair(local: &Candidate, remote: &Candidate) -> bool {
    match (local.tcp_type, remote.tcp_type) {
        (Some(TcpType::Active), Some(TcpType::Passive)) => true,
        (Some(TcpType::Passive), Some(TcpType::Active)) => {
            remote.kind == CandidateKind::PeerReflexive
        }
        _ => false,
    }
}

/// Whether pair `p` runs on the ICE-TCP connection between the local base `base` and
/// `remote`.
fn on_connection(
    gather: &Gatherer,
    remotes: &[RemoteCandidate],
    p: &Pair,
    base: SocketAddr,
    remote: SocketAddr,
) -> bool {
    let l = gather.local(p.local);
    let r = &remotes[p.remote];
    l.path.transport() == Transport::Tcp
        && l.base == base
        && r.transport == Transport::Tcp
        && r.address == remote
}

impl Checklist {
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            remotes: Vec::new(),
            pending_mdns: Vec::new(),
            end_of_candidates: false,
            pairs: Vec::new(),
            next_pair_id: 0,
            triggered: VecDeque::new(),
            max_pairs: config.max_pairs,
            max_remotes: config.max_remote_candidates,
        }
    }

    pub(crate) fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    pub(crate) fn pair(&self, index: usize) -> &Pair {
        &self.pairs[index]
    }

    pub(crate) fn remotes(&self) -> &[RemoteCandidate] {
        &self.remotes
    }

    pub(crate) fn remote(&self, index: usize) -> &RemoteCandidate {
        &self.remotes[index]
    }

    /// The remote candidate with address `address` over `transport`.
    pub(crate) fn remote_at(&self, transport: Transport, address: SocketAddr) -> Option<usize> {
        self.remotes
            .iter()
            .position(|r| r.address == address && r.transport == transport)
    }

    /// Whether no more remote candidates fit (those waiting for mDNS count).
    pub(crate) fn is_full(&self) -> bool {
        self.remotes.len() + self.pending_mdns.len() >= self.max_remotes
    }

    pub(crate) fn has_pending_mdns(&self) -> bool {
        !self.pending_mdns.is_empty()
    }

    /// Holds a candidate with an mDNS name; returns the name when the owner must be asked
    /// to resolve it (the first candidate with that name).
    pub(crate) fn hold_mdns(&mut self, candidate: Candidate) -> Option<String> {
        let ask = !self
            .pending_mdns
            .iter()
            .any(|c| c.address == candidate.address);
        let name = ask.then(|| candidate.address.to_string());
        self.pending_mdns.push(candidate);
        name
    }

    /// A held candidate with the mDNS name `name`, if any left.
    pub(crate) fn take_mdns(&mut self, name: &str) -> Option<Candidate> {
        let i = self
            .pending_mdns
            .iter()
            .position(|c| c.address.to_string().eq_ignore_ascii_case(name))?;
        Some(self.pending_mdns.swap_remove(i))
    }

    pub(crate) fn end_of_candidates(&self) -> bool {
        self.end_of_candidates
    }

    pub(crate) fn set_end_of_candidates(&mut self) {
        self.end_of_candidates = true;
    }

    /// ICE restart (RFC 8445 §9): the peer's candidates and every pair are gone.
    pub(crate) fn clear(&mut self) {
        self.end_of_candidates = false;
        self.pairs.clear();
        self.triggered.clear();
        self.remotes.clear();
        self.pending_mdns.clear();
    }

    /// Adds a remote candidate; returns its index when it is new (for the agent to pair).
    /// RFC 8445 §5.1.3-like elimination on the remote side: one entry per address, the
    /// highest priority wins (a peer-reflexive one is replaced by the signalled one,
    /// §7.3.1.3).
    pub(crate) fn insert_remote(
        &mut self,
        gather: &Gatherer,
        candidate: Candidate,
        address: SocketAddr,
        controlling: bool,
    ) -> Option<usize> {
        if let Some(i) = self.remote_at(transport_of(&candidate), address) {
            let existing = &mut self.remotes[i];
            if existing.candidate.kind == CandidateKind::PeerReflexive
                || candidate.priority > existing.candidate.priority
            {
                existing.candidate = candidate;
                self.reprioritise(gather, controlling);
            }
            return None;
        }
        let natted_base = match (&candidate.kind, &candidate.related) {
            (CandidateKind::ServerReflexive, Some((crate::ConnectionAddress::Ip(base), _)))
                if *base != address.ip() =>
            {
                Some(*base)
            }
            _ => None,
        };
        let index = self.push_remote(candidate, address);
        if let Some(base) = natted_base {
            self.prune_relayed_to_natted_host(gather, base);
        }
        Some(index)
    }

    /// Adds a remote candidate without looking for one at the same address.
    pub(crate) fn push_remote(&mut self, candidate: Candidate, address: SocketAddr) -> usize {
        let transport = transport_of(&candidate);
        self.remotes.push(RemoteCandidate {
            candidate,
            address,
            transport,
        });
        self.remotes.len() - 1
    }

    pub(crate) fn index_of(&self, id: u32) -> Option<usize> {
        self.pairs.iter().position(|p| p.id == id)
    }

    fn find_pair(&self, local: usize, remote: usize) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.local == local && p.remote == remote)
    }

    /// Pair priority with G the controlling side's candidate (RFC 8445 §6.1.2.3).
    fn priority_of(
        &self,
        gather: &Gatherer,
        local: usize,
        remote: usize,
        controlling: bool,
    ) -> u64 {
        let l = gather.local(local).candidate.priority;
        let r = self.remotes[remote].candidate.priority;
        if controlling {
            pair_priority(l, r)
        } else {
            pair_priority(r, l)
        }
    }

    /// Whether a local and a remote candidate can form a pair: same address family, same
    /// transport (RFC 6544 §6.2: never TCP with UDP) with the TCP roles matching, and the
    /// local one is a base (host or relayed: RFC 8445 §6.1.2.4 replaces server-reflexive
    /// candidates by their base).
    fn can_pair(&self, gather: &Gatherer, local: usize, remote: usize) -> bool {
        let l = gather.local(local);
        let r = &self.remotes[remote];
        l.path.transport() == r.transport
            && (r.transport == Transport::Udp || tcp_roles_pair(&l.candidate, &r.candidate))
            && l.alive
            && matches!(
                l.candidate.kind,
                CandidateKind::Host | CandidateKind::Relayed
            )
            && l.base.is_ipv4() == r.address.is_ipv4()
            && gather.allows(l.candidate.kind)
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
    fn behind_remote_nat(&self, ip: IpAddr) -> bool {
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
    fn prune_relayed_to_natted_host(&mut self, gather: &Gatherer, ip: IpAddr) {
        let doomed: Vec<u32> = self
            .pairs
            .iter()
            .filter(|p| {
                matches!(p.state, PairState::Frozen | PairState::Waiting)
                    && gather.local(p.local).candidate.kind == CandidateKind::Relayed
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

    /// Adds the pair unless it exists or the checklist is full (then the lowest-priority
    /// unchecked pair other than `selected` may make room, RFC 8445 §6.1.2.5).
    pub(crate) fn add_pair(
        &mut self,
        gather: &Gatherer,
        local: usize,
        remote: usize,
        controlling: bool,
        selected: Option<u32>,
        stats: &mut Stats,
    ) -> Option<Added> {
        if let Some(i) = self.find_pair(local, remote) {
            return Some(Added::Existing(i));
        }
        if !self.can_pair(gather, local, remote) {
            return None;
        }
        let priority = self.priority_of(gather, local, remote, controlling);
        if self.pairs.len() >= self.max_pairs {
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
                    ) && Some(p.id) != selected
                })
                .min_by_key(|(_, p)| p.priority)
                .map(|(i, p)| (i, p.priority));
            match victim {
                Some((i, lowest)) if lowest < priority => {
                    let id = self.pairs[i].id;
                    self.pairs.swap_remove(i);
                    self.triggered.retain(|t| *t != id);
                    stats.pairs_pruned += 1;
                }
                _ => {
                    stats.pairs_pruned += 1;
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
            .any(|p| self.same_foundation(gather, p, local, remote));
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
            valid_local: None,
        });
        Some(Added::New(self.pairs.len() - 1))
    }

    fn same_foundation(&self, gather: &Gatherer, p: &Pair, local: usize, remote: usize) -> bool {
        gather.local(p.local).candidate.foundation == gather.local(local).candidate.foundation
            && self.remotes[p.remote].candidate.foundation
                == self.remotes[remote].candidate.foundation
    }

    /// RFC 8445 §7.2.5.3.3: a success unfreezes the frozen pairs of the same foundation.
    fn unfreeze_foundation(&mut self, gather: &Gatherer, index: usize) {
        let (local, remote) = (self.pairs[index].local, self.pairs[index].remote);
        for i in 0..self.pairs.len() {
            if self.pairs[i].state == PairState::Frozen
                && self.same_foundation(gather, &self.pairs[i], local, remote)
            {
                self.pairs[i].state = PairState::Waiting;
            }
        }
    }

    /// Recomputes pair priorities after a role change (RFC 8445 §7.2.5.1).
    pub(crate) fn reprioritise(&mut self, gather: &Gatherer, controlling: bool) {
        for i in 0..self.pairs.len() {
            self.pairs[i].priority = self.priority_of(
                gather,
                self.pairs[i].local,
                self.pairs[i].remote,
                controlling,
            );
        }
    }

    /// Whether a check could go on this pair now: remote credentials known (`keyed`), and
    /// for a relayed local candidate the TURN permission installed.
    fn checkable(&self, gather: &Gatherer, index: usize, now: Instant, keyed: bool) -> bool {
        let p = &self.pairs[index];
        keyed
            && gather.path_ready(
                now,
                gather.local(p.local).path,
                self.remotes[p.remote].address.ip(),
            )
    }

    /// The next pair to check (RFC 8445 §6.1.4.2): a triggered one first, else the
    /// highest-priority waiting pair, else the highest-priority frozen one.
    pub(crate) fn next_check(
        &mut self,
        gather: &Gatherer,
        now: Instant,
        keyed: bool,
    ) -> Option<usize> {
        while let Some(id) = self.triggered.pop_front() {
            if let Some(i) = self.index_of(id)
                && self.pairs[i].state != PairState::InProgress
                && self.checkable(gather, i, now, keyed)
            {
                return Some(i);
            }
        }
        for wanted in [PairState::Waiting, PairState::Frozen] {
            let best = (0..self.pairs.len())
                .filter(|&i| self.pairs[i].state == wanted && self.checkable(gather, i, now, keyed))
                .max_by_key(|&i| self.pairs[i].priority);
            if best.is_some() {
                return best;
            }
        }
        None
    }

    /// Whether anything is left for the scheduler to do.
    pub(crate) fn has_check_work(&self, gather: &Gatherer, now: Instant, keyed: bool) -> bool {
        !self.triggered.is_empty()
            || (0..self.pairs.len()).any(|i| {
                matches!(self.pairs[i].state, PairState::Waiting | PairState::Frozen)
                    && self.checkable(gather, i, now, keyed)
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
        if self.triggered.len() < self.max_pairs {
            self.triggered.push_back(id);
        }
    }

    /// Every check done: nothing triggered, every pair succeeded or failed.
    pub(crate) fn checks_done(&self) -> bool {
        self.triggered.is_empty() && self.pairs.iter().all(|p| p.state.is_done())
    }

    pub(crate) fn any_succeeded(&self) -> bool {
        self.pairs.iter().any(|p| p.state == PairState::Succeeded)
    }

    pub(crate) fn any_nominated(&self) -> bool {
        self.pairs.iter().any(|p| p.nominated)
    }

    /// The highest-priority valid pair.
    pub(crate) fn best_valid(&self) -> Option<usize> {
        (0..self.pairs.len())
            .filter(|&i| self.pairs[i].state == PairState::Succeeded)
            .max_by_key(|&i| self.pairs[i].priority)
    }

    /// The highest-priority nominated valid pair (RFC 8445 §8.1.1, §8.2).
    pub(crate) fn best_nominated(&self) -> Option<usize> {
        (0..self.pairs.len())
            .filter(|&i| self.pairs[i].nominated && self.pairs[i].state == PairState::Succeeded)
            .max_by_key(|&i| self.pairs[i].priority)
    }

    /// Whether a pair above `priority` may still succeed.
    pub(crate) fn better_pending(&self, priority: u64) -> bool {
        self.pairs.iter().any(|p| {
            p.priority > priority
                && matches!(
                    p.state,
                    PairState::Waiting | PairState::Frozen | PairState::InProgress
                )
        })
    }

    /// The controlling agent selected a pair of `priority`: lower pairs not checked yet go
    /// (RFC 8445 §8.1.2).
    pub(crate) fn prune_below(&mut self, priority: u64) {
        let removed: Vec<u32> = self
            .pairs
            .iter()
            .filter(|p| {
                p.priority < priority && matches!(p.state, PairState::Waiting | PairState::Frozen)
            })
            .map(|p| p.id)
            .collect();
        self.pairs.retain(|p| !removed.contains(&p.id));
        self.triggered.retain(|t| !removed.contains(t));
    }

    /// Pairs whose local candidate `lost` says is gone fail.
    pub(crate) fn fail_where(&mut self, lost: impl Fn(usize) -> bool) {
        for p in &mut self.pairs {
            if lost(p.local) {
                p.state = PairState::Failed;
            }
        }
    }

    /// The pairs on the ICE-TCP connection between the local base `base` and `remote`
    /// fail (RFC 6544 §7.1: a connection that could not be made, or closed); their ids.
    pub(crate) fn fail_connection(
        &mut self,
        gather: &Gatherer,
        base: SocketAddr,
        remote: SocketAddr,
    ) -> Vec<u32> {
        let mut failed = Vec::new();
        for p in &mut self.pairs {
            if on_connection(gather, &self.remotes, p, base, remote) {
                p.state = PairState::Failed;
                p.transaction = None;
                failed.push(p.id);
            }
        }
        self.triggered.retain(|t| !failed.contains(t));
        failed
    }

    /// Whether a pair on the ICE-TCP connection between the local base `base` and
    /// `remote` had an authenticated check from the peer, or an authenticated answer to
    /// ours (it succeeded).
    pub(crate) fn connection_checked(
        &self,
        gather: &Gatherer,
        base: SocketAddr,
        remote: SocketAddr,
    ) -> bool {
        self.pairs.iter().any(|p| {
            on_connection(gather, &self.remotes, p, base, remote)
                && (p.requested || p.state == PairState::Succeeded)
        })
    }

    /// A check went out on pair `index` in transaction `transaction`.
    pub(crate) fn check_sent(&mut self, index: usize, transaction: [u8; 12]) {
        let pair = &mut self.pairs[index];
        pair.transaction = Some(transaction);
        if pair.state != PairState::Succeeded {
            pair.state = PairState::InProgress;
        }
    }

    /// The outstanding check of pair `index` ended (answered).
    pub(crate) fn check_answered(&mut self, index: usize) {
        self.pairs[index].transaction = None;
    }

    /// Checks failed on pair `index`.
    pub(crate) fn fail(&mut self, index: usize) {
        self.pairs[index].state = PairState::Failed;
        self.pairs[index].transaction = None;
    }

    /// A role conflict answered the check on pair `index`: it is checked again
    /// (RFC 8445 §7.2.5.1).
    pub(crate) fn retry(&mut self, index: usize) {
        if self.pairs[index].state != PairState::Succeeded {
            self.pairs[index].state = PairState::Waiting;
        }
        self.trigger(index);
    }

    /// Pair `index` is valid (RFC 8445 §7.2.5.3.2-3): its foundation unfreezes.
    pub(crate) fn succeeded(&mut self, gather: &Gatherer, index: usize) {
        self.pairs[index].state = PairState::Succeeded;
        self.unfreeze_foundation(gather, index);
    }

    /// The peer sent an authenticated check on pair `index`; a lite agent takes the pair as
    /// valid then (RFC 8445 §7.3.1.5).
    pub(crate) fn requested(&mut self, index: usize, lite: bool) {
        self.pairs[index].requested = true;
        if lite {
            self.pairs[index].state = PairState::Succeeded;
        }
    }

    /// The valid pair of pair `index` has `local` as its local candidate (RFC 8445
    /// §7.2.5.3.1).
    pub(crate) fn set_valid_local(&mut self, index: usize, local: usize) {
        self.pairs[index].valid_local = Some(local);
    }

    pub(crate) fn nominate(&mut self, index: usize) {
        self.pairs[index].nominated = true;
    }

    /// Controlled side: USE-CANDIDATE arrived before our own check on pair `index`
    /// succeeded (RFC 8445 §7.3.1.5).
    pub(crate) fn nominate_on_success(&mut self, index: usize) {
        self.pairs[index].nominate_on_success = true;
    }
}
