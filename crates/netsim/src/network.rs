//! The network: hosts, NATs and servers, packets in flight, simulated time.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bottleneck::{BottleneckQueue, Completed, Offer};
use crate::host::{Host, Realm};
use crate::link::Transit;
use crate::nat::{Nat, NatDrop};
use crate::stun_server::{Outgoing, StunServer};
use crate::turn_server::{Outcome, TurnServer};
use crate::{
    Bottleneck, BottleneckStats, Delivery, Direction, HostId, Limits, LinkConfig, NatConfig, NatId,
    NetStats, TurnServerConfig,
};

/// Most server hops one packet may take (a STUN answer, a TURN relay, ...): a bound on relay
/// loops between servers.
const MAX_HOPS: u8 = 8;

/// A datagram on its way.
#[derive(Debug, Clone)]
struct Packet {
    src: SocketAddr,
    dst: SocketAddr,
    contents: Vec<u8>,
    /// Server hops left.
    hops: u8,
}

/// Where a packet in flight is when its time comes.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Crossed the sender's access link; now at the router of this realm.
    Egress(Realm),
    /// Crossed the receiver's access link; now at this host.
    Ingress(HostId),
}

#[derive(Debug)]
struct InFlight {
    packet: Packet,
    stage: Stage,
}

/// Something a bottleneck must do at a set time.
#[derive(Debug, Clone, Copy)]
enum Timer {
    /// The packet at the head of this bottleneck is serialized (if the generation is
    /// current; a rate change makes older timers stale).
    Serialized(HostId, Direction, u64),
    /// A scheduled rate change.
    Rate(HostId, Direction, u64),
}

/// A simulated UDP network: hosts on the public internet or behind NATs, access links with
/// delay, jitter, loss, duplication and reordering, STUN and TURN servers. Deterministic:
/// simulated time, and all randomness from one generator seeded at [`Network::new`].
///
/// Time moves only with [`advance_to`](Self::advance_to); [`send`](Self::send) sends at the
/// current time ([`now`](Self::now)).
#[derive(Debug)]
pub struct Network {
    now: Instant,
    rng: StdRng,
    limits: Limits,
    hosts: Vec<Host>,
    by_address: BTreeMap<(Realm, IpAddr), HostId>,
    nats: Vec<Nat>,
    nat_by_ip: BTreeMap<IpAddr, NatId>,
    stun_servers: BTreeMap<SocketAddr, StunServer>,
    turn_servers: Vec<TurnServer>,
    /// Packets in flight by (arrival time, sequence): delivery order is arrival order, ties
    /// broken by the order they were scheduled in.
    queue: BTreeMap<(Instant, u64), InFlight>,
    /// Bottlenecks on access links, and the packets waiting in them.
    bottlenecks: BTreeMap<(HostId, Direction), BottleneckQueue<InFlight>>,
    /// Packets waiting in bottlenecks.
    held: usize,
    /// Bottleneck events, ordered with `queue` by (time, sequence).
    timers: BTreeMap<(Instant, u64), Timer>,
    seq: u64,
    stats: NetStats,
}

impl Network {
    /// An empty network whose clock starts at `start`, with all randomness drawn from `seed`.
    pub fn new(seed: u64, start: Instant) -> Self {
        Self {
            now: start,
            rng: StdRng::seed_from_u64(seed),
            limits: Limits::default(),
            hosts: Vec::new(),
            by_address: BTreeMap::new(),
            nats: Vec::new(),
            nat_by_ip: BTreeMap::new(),
            stun_servers: BTreeMap::new(),
            turn_servers: Vec::new(),
            queue: BTreeMap::new(),
            bottlenecks: BTreeMap::new(),
            held: 0,
            timers: BTreeMap::new(),
            seq: 0,
            stats: NetStats::default(),
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The memory bounds in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Sets the memory bounds (applies to what comes next; nothing queued is dropped).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        for nat in &mut self.nats {
            nat.set_max_mappings(limits.max_nat_mappings);
        }
    }

    /// Adds a NAT with this public IP, on the public internet (RFC 4787 behaviours).
    ///
    /// # Panics
    /// If a NAT or a public host already has that IP (a test set-up error).
    pub fn add_nat(&mut self, config: NatConfig) -> NatId {
        let ip = config.public_ip;
        assert!(
            !self.nat_by_ip.contains_key(&ip)
                && !self.by_address.contains_key(&(Realm::Public, ip)),
            "address {ip} is already in use on the public internet"
        );
        let id = NatId(self.nats.len());
        self.nats
            .push(Nat::new(config, self.limits.max_nat_mappings));
        self.nat_by_ip.insert(ip, id);
        id
    }

    /// Adds a host with one interface at `ip`, on the public internet (`behind = None`) or in
    /// the private realm behind `behind`. Private addresses may repeat in different realms;
    /// hosts in one realm reach each other directly (a LAN). The access link is
    /// [`LinkConfig::default`] until [`set_link`](Self::set_link).
    ///
    /// # Panics
    /// If the address is taken in that realm (or by a NAT, on the public internet), or the
    /// NAT is unknown (a test set-up error).
    pub fn add_host(&mut self, ip: IpAddr, behind: Option<NatId>) -> HostId {
        let realm = self.check_free(ip, behind);
        let id = HostId(self.hosts.len());
        self.hosts.push(Host::new(ip, realm));
        self.by_address.insert((realm, ip), id);
        id
    }

    /// Adds another interface to a host (a multi-homed host: IPv4 and IPv6, or a LAN and a
    /// public address). Datagrams to any of its interfaces land in its one inbox;
    /// [`Delivery::local`] tells which.
    ///
    /// # Panics
    /// As [`add_host`](Self::add_host), and if the host is unknown.
    pub fn add_interface(&mut self, host: HostId, ip: IpAddr, behind: Option<NatId>) {
        assert!(host.0 < self.hosts.len(), "unknown host {host}");
        let realm = self.check_free(ip, behind);
        self.hosts[host.0].interfaces.push((ip, realm));
        self.by_address.insert((realm, ip), host);
    }

    fn check_free(&self, ip: IpAddr, behind: Option<NatId>) -> Realm {
        if let Some(nat) = behind {
            assert!(nat.0 < self.nats.len(), "unknown NAT {nat}");
        }
        let realm = Realm::of(behind);
        assert!(
            !(self.by_address.contains_key(&(realm, ip))
                || (realm == Realm::Public && self.nat_by_ip.contains_key(&ip))),
            "address {ip} is already in use in its realm"
        );
        realm
    }

    /// Sets the host's access link, applied to packets leaving and entering it. Unknown hosts
    /// are ignored.
    pub fn set_link(&mut self, host: HostId, link: LinkConfig) {
        if let Some(h) = self.hosts.get_mut(host.0) {
            h.link = link;
        }
    }

    /// Adds a STUN server at a public address: it answers Binding requests with
    /// XOR-MAPPED-ADDRESS (the source it saw) and FINGERPRINT, and ignores everything else.
    /// Servers have ideal links and take precedence over hosts and NATs for their exact
    /// socket address.
    pub fn add_stun_server(&mut self, address: SocketAddr) {
        self.stun_servers.insert(address, StunServer { address });
    }

    /// Adds a small TURN server (RFC 8656 over UDP) at `config.address`, relaying from
    /// `config.relay_ip`. It also answers Binding requests, as TURN servers do.
    pub fn add_turn_server(&mut self, config: TurnServerConfig) {
        let nonce_seed = self.rng.random();
        self.turn_servers.push(TurnServer::new(config, nonce_seed));
    }

    /// Sends a UDP datagram from the host's socket `from` (its IP must be one of the host's
    /// interfaces) to `to`, at the current time. What happens to it is counted in
    /// [`stats`](Self::stats).
    pub fn send(&mut self, from_host: HostId, from: SocketAddr, to: SocketAddr, contents: Vec<u8>) {
        self.stats.sent += 1;
        let Some(host) = self.hosts.get(from_host.0).filter(|h| !h.removed) else {
            self.stats.dropped_bad_source += 1;
            return;
        };
        let Some(realm) = host.realm_of(from.ip()) else {
            self.stats.dropped_bad_source += 1;
            return;
        };
        let packet = Packet {
            src: from,
            dst: to,
            contents,
            hops: MAX_HOPS,
        };
        let stage = Stage::Egress(realm);
        self.enter_link(
            self.now,
            from_host,
            Direction::Up,
            InFlight { packet, stage },
        );
    }

    /// Puts a bottleneck on one direction of a host's access link (`None` removes it; the
    /// packets in its queue then go on at once). Replacing one keeps its queue and counters;
    /// its rate changes as with [`set_bottleneck_rate`](Self::set_bottleneck_rate). Unknown
    /// hosts are ignored.
    pub fn set_bottleneck(&mut self, host: HostId, dir: Direction, bottleneck: Option<Bottleneck>) {
        if host.0 >= self.hosts.len() {
            return;
        }
        let now = self.now;
        match (bottleneck, self.bottlenecks.get_mut(&(host, dir))) {
            (Some(config), Some(q)) => {
                let next = q.set_config(now, config);
                self.set_timer(next, host, dir);
            }
            (Some(config), None) => {
                self.bottlenecks
                    .insert((host, dir), BottleneckQueue::new(config));
            }
            (None, Some(_)) => {
                if let Some(mut q) = self.bottlenecks.remove(&(host, dir)) {
                    let waiting: Vec<InFlight> = q.drain().collect();
                    self.held -= waiting.len();
                    for flight in waiting {
                        self.cross_link(now, host, flight);
                    }
                }
            }
            (None, None) => {}
        }
    }

    /// Changes a bottleneck's rate now: the packet being serialized sends its remaining bits
    /// at the new rate. Ignored where there is no bottleneck.
    pub fn set_bottleneck_rate(&mut self, host: HostId, dir: Direction, rate_bps: u64) {
        let now = self.now;
        if let Some(q) = self.bottlenecks.get_mut(&(host, dir)) {
            let next = q.set_rate(now, rate_bps);
            self.set_timer(next, host, dir);
        }
    }

    /// Changes a bottleneck's rate at simulated time `at` (now, if `at` has passed), as
    /// [`set_bottleneck_rate`](Self::set_bottleneck_rate) would then. Changes due at the
    /// same time apply in the order they were scheduled; a change for a link with no
    /// bottleneck by then is ignored. One entry per call: the schedule is the test's own.
    pub fn schedule_bottleneck_rate(
        &mut self,
        host: HostId,
        dir: Direction,
        at: Instant,
        rate_bps: u64,
    ) {
        self.seq += 1;
        self.timers.insert(
            (at.max(self.now), self.seq),
            Timer::Rate(host, dir, rate_bps),
        );
    }

    /// The bottleneck on one direction of a host's link, as configured now.
    pub fn bottleneck(&self, host: HostId, dir: Direction) -> Option<Bottleneck> {
        self.bottlenecks.get(&(host, dir)).map(|q| q.config())
    }

    /// What a bottleneck did so far and holds now.
    pub fn bottleneck_stats(&self, host: HostId, dir: Direction) -> Option<BottleneckStats> {
        self.bottlenecks.get(&(host, dir)).map(|q| q.stats())
    }

    /// The earliest time a packet in flight arrives somewhere, `None` when nothing is in
    /// flight. (Expiry of NAT mappings and TURN state needs no timer: it is checked when a
    /// packet arrives, the only time it can be seen.)
    pub fn poll_timeout(&self) -> Option<Instant> {
        let packet = self.queue.keys().next().map(|(at, _)| *at);
        let timer = self.timers.keys().next().map(|(at, _)| *at);
        packet.into_iter().chain(timer).min()
    }

    /// Moves time forward to `now` (an earlier time is ignored): everything due by then
    /// travels on, servers answer, and datagrams land in host inboxes.
    pub fn advance_to(&mut self, now: Instant) {
        loop {
            let packet = self.queue.keys().next().copied();
            let timer = self.timers.keys().next().copied();
            // The earlier of the next packet and the next timer; ties in scheduling order.
            let take_timer = match (packet, timer) {
                (Some(p), Some(t)) => t < p,
                (None, Some(_)) => true,
                (_, None) => false,
            };
            if take_timer {
                let Some(entry) = self.timers.first_entry().filter(|e| e.key().0 <= now) else {
                    break;
                };
                let at = entry.key().0;
                let timer = entry.remove();
                self.now = self.now.max(at);
                self.fire(at, timer);
            } else {
                let Some(entry) = self.queue.first_entry().filter(|e| e.key().0 <= now) else {
                    break;
                };
                let at = entry.key().0;
                let InFlight { packet, stage } = entry.remove();
                self.now = self.now.max(at);
                match stage {
                    Stage::Egress(realm) => self.route(realm, at, packet),
                    Stage::Ingress(host) => self.land(host, at, packet),
                }
            }
        }
        self.now = self.now.max(now);
    }

    /// A bottleneck timer is due at `at`.
    fn fire(&mut self, at: Instant, timer: Timer) {
        match timer {
            Timer::Serialized(host, dir, generation) => {
                let Some(q) = self.bottlenecks.get_mut(&(host, dir)) else {
                    return;
                };
                let Some(Completed { item, waited, next }) = q.complete(at, generation) else {
                    return;
                };
                self.held -= 1;
                self.stats.bottlenecked += 1;
                self.stats.bottleneck_delay_total =
                    self.stats.bottleneck_delay_total.saturating_add(waited);
                self.stats.bottleneck_delay_max = self.stats.bottleneck_delay_max.max(waited);
                self.set_timer(next, host, dir);
                self.cross_link(at, host, item);
            }
            Timer::Rate(host, dir, rate_bps) => {
                if let Some(q) = self.bottlenecks.get_mut(&(host, dir)) {
                    let next = q.set_rate(at, rate_bps);
                    self.set_timer(next, host, dir);
                }
            }
        }
    }

    fn set_timer(&mut self, next: Option<(Instant, u64)>, host: HostId, dir: Direction) {
        if let Some((at, generation)) = next {
            self.seq += 1;
            self.timers
                .insert((at, self.seq), Timer::Serialized(host, dir, generation));
        }
    }

    /// A packet enters one direction of a host's access link at `at`: its bottleneck's
    /// queue, if it has one, else straight across.
    fn enter_link(&mut self, at: Instant, host: HostId, dir: Direction, flight: InFlight) {
        let in_flight = self.in_flight();
        let Some(q) = self.bottlenecks.get_mut(&(host, dir)) else {
            self.cross_link(at, host, flight);
            return;
        };
        if in_flight >= self.limits.max_in_flight {
            self.stats.dropped_queue_full += 1;
            return;
        }
        let len = flight.packet.contents.len();
        match q.offer(at, len, flight) {
            Offer::Queued(next) => {
                self.held += 1;
                self.set_timer(next, host, dir);
            }
            Offer::Dropped(_) => self.stats.dropped_bottleneck += 1,
        }
    }

    /// A packet crosses a host's access link from `at` (after any bottleneck): loss, delay,
    /// jitter, reordering and duplication.
    fn cross_link(&mut self, at: Instant, host: HostId, flight: InFlight) {
        let Some(h) = self.hosts.get(host.0) else {
            self.stats.dropped_no_route += 1;
            return;
        };
        let transit = h.link.transit(&mut self.rng);
        self.schedule(at, transit, flight.packet, flight.stage);
    }

    /// Takes the next datagram delivered to `host`, in arrival order.
    pub fn poll_delivery(&mut self, host: HostId) -> Option<Delivery> {
        self.hosts.get_mut(host.0)?.inbox.pop_front()
    }

    /// Counters of what happened to the packets so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }

    /// Number of packets in flight (those waiting in bottleneck queues included).
    pub fn in_flight(&self) -> usize {
        self.queue.len() + self.held
    }

    /// Number of live mappings in a NAT (0 for an unknown NAT).
    pub fn nat_mappings(&self, nat: NatId) -> usize {
        self.nats
            .get(nat.0)
            .map_or(0, |n| n.live_mappings(self.now))
    }

    /// Removes a host (a peer that vanishes): its inbox is emptied, everything to it is
    /// dropped from now on, and its sends are refused. Its addresses stay unused.
    pub fn remove_host(&mut self, host: HostId) {
        let Some(h) = self.hosts.get_mut(host.0) else {
            return;
        };
        h.removed = true;
        h.inbox.clear();
        for (ip, realm) in h.interfaces.clone() {
            if self.by_address.get(&(realm, ip)) == Some(&host) {
                self.by_address.remove(&(realm, ip));
            }
        }
    }

    /// Schedules the copies a link let through, `base` plus each copy's delay.
    fn schedule(&mut self, base: Instant, transit: Transit, packet: Packet, stage: Stage) {
        if transit.lost {
            self.stats.lost += 1;
            return;
        }
        if transit.duplicated {
            self.stats.duplicated += 1;
        }
        match transit.copies {
            [Some(first), Some(second)] => {
                self.enqueue(base, first, packet.clone(), stage);
                self.enqueue(base, second, packet, stage);
            }
            [Some(only), None] | [None, Some(only)] => self.enqueue(base, only, packet, stage),
            [None, None] => {}
        }
    }

    fn enqueue(&mut self, base: Instant, delay: Duration, packet: Packet, stage: Stage) {
        if self.in_flight() >= self.limits.max_in_flight {
            self.stats.dropped_queue_full += 1;
            return;
        }
        // A delay past what `Instant` holds: the packet never arrives.
        let Some(at) = base.checked_add(delay) else {
            self.stats.lost += 1;
            return;
        };
        self.seq += 1;
        self.queue
            .insert((at, self.seq), InFlight { packet, stage });
    }

    /// A packet reached the router of `realm` at `at`.
    fn route(&mut self, realm: Realm, at: Instant, mut packet: Packet) {
        if packet.src.is_ipv4() != packet.dst.is_ipv4() {
            self.stats.dropped_no_route += 1;
            return;
        }
        let Realm::Private(nat_id) = realm else {
            self.route_public(at, packet);
            return;
        };
        // Same realm: straight across the LAN, no NAT.
        if let Some(&host) = self.by_address.get(&(realm, packet.dst.ip())) {
            self.cross_to_host(host, at, packet);
            return;
        }
        // Realms name only NATs this network made (checked in `check_free`); NATs are never
        // removed, so the index is in bounds.
        let nat = &mut self.nats[nat_id.0];
        let public_ip = nat.config.public_ip;
        if public_ip.is_ipv4() != packet.dst.is_ipv4() {
            self.stats.dropped_no_route += 1;
            return;
        }
        let hairpin = packet.dst.ip() == public_ip;
        if hairpin && !nat.config.hairpinning {
            // RFC 4787 §6: a NAT without hairpinning drops it.
            self.stats.dropped_hairpin += 1;
            return;
        }
        match nat.outbound(packet.src, packet.dst, at) {
            Ok(external) => packet.src = external,
            Err(_) => {
                self.stats.dropped_nat_exhausted += 1;
                return;
            }
        }
        if hairpin {
            // RFC 4787 §6 REQ-9: looped back in, seen from the sender's external address;
            // the filtering of the target mapping applies as to any inbound packet.
            self.enter_nat(nat_id, at, packet);
        } else {
            self.route_public(at, packet);
        }
    }

    /// A packet on the public internet at `at`, headed for `packet.dst`.
    fn route_public(&mut self, at: Instant, packet: Packet) {
        if packet.src.is_ipv4() != packet.dst.is_ipv4() {
            self.stats.dropped_no_route += 1;
            return;
        }
        if let Some(server) = self.stun_servers.get(&packet.dst) {
            let mut out = Vec::new();
            if server.handle(packet.src, &packet.contents, &mut out) {
                self.send_from_server(at, packet.hops, out);
            } else {
                self.stats.dropped_by_server += 1;
            }
            return;
        }
        if let Some(turn) = self.turn_servers.iter_mut().find(|t| t.serves(packet.dst)) {
            let mut out = Vec::new();
            match turn.handle(at, packet.src, packet.dst, &packet.contents, &mut out) {
                Outcome::Answered => {}
                Outcome::Relayed => self.stats.relayed += 1,
                Outcome::Dropped => self.stats.dropped_by_server += 1,
            }
            self.send_from_server(at, packet.hops, out);
            return;
        }
        if let Some(&nat) = self.nat_by_ip.get(&packet.dst.ip()) {
            self.enter_nat(nat, at, packet);
            return;
        }
        match self.by_address.get(&(Realm::Public, packet.dst.ip())) {
            Some(&host) => self.cross_to_host(host, at, packet),
            None => self.stats.dropped_no_route += 1,
        }
    }

    /// Whether a packet to `dst` on the public internet goes anywhere: a server, a NAT's
    /// public address, or a public host.
    fn routable_public(&self, dst: SocketAddr) -> bool {
        self.stun_servers.contains_key(&dst)
            || self.turn_servers.iter().any(|t| t.serves(dst))
            || self.nat_by_ip.contains_key(&dst.ip())
            || self.by_address.contains_key(&(Realm::Public, dst.ip()))
    }

    /// Sends what a server answered, on its ideal link: straight on from `at`.
    fn send_from_server(&mut self, at: Instant, hops: u8, out: Vec<Outgoing>) {
        for o in out {
            if hops == 0 {
                self.stats.dropped_hop_limit += 1;
                continue;
            }
            if !self.routable_public(o.to) {
                // A relay's send that fails at its socket may take the allocation with it.
                let from = o.from;
                if let Some(turn) = self.turn_servers.iter_mut().find(|t| t.serves(from))
                    && turn.close_on_unroutable(from)
                {
                    self.stats.allocations_closed += 1;
                }
                self.stats.dropped_no_route += 1;
                continue;
            }
            let packet = Packet {
                src: o.from,
                dst: o.to,
                contents: o.contents,
                hops: hops - 1,
            };
            self.route_public(at, packet);
        }
    }

    /// A packet reached a NAT's public side: filtered and translated (RFC 4787 §5).
    fn enter_nat(&mut self, nat: NatId, at: Instant, mut packet: Packet) {
        // `nat` comes from a realm or `nat_by_ip`: a NAT of this network, never removed.
        match self.nats[nat.0].inbound(packet.src, packet.dst.port(), at) {
            Ok(internal) => {
                packet.dst = internal;
                match self.by_address.get(&(Realm::Private(nat), internal.ip())) {
                    Some(&host) => self.cross_to_host(host, at, packet),
                    None => self.stats.dropped_no_route += 1,
                }
            }
            Err(NatDrop::Filtered) => self.stats.dropped_by_nat_filter += 1,
            Err(NatDrop::NoMapping) => self.stats.dropped_no_nat_mapping += 1,
            Err(NatDrop::Exhausted) => self.stats.dropped_nat_exhausted += 1,
        }
    }

    /// A packet starts across the receiving host's access link.
    fn cross_to_host(&mut self, host: HostId, at: Instant, packet: Packet) {
        if self.hosts.get(host.0).is_none_or(|h| h.removed) {
            self.stats.dropped_no_route += 1;
            return;
        }
        let stage = Stage::Ingress(host);
        self.enter_link(at, host, Direction::Down, InFlight { packet, stage });
    }

    /// A packet crossed the receiver's link: into its inbox.
    fn land(&mut self, host: HostId, at: Instant, packet: Packet) {
        let max_inbox = self.limits.max_inbox;
        let Some(h) = self.hosts.get_mut(host.0).filter(|h| !h.removed) else {
            self.stats.dropped_no_route += 1;
            return;
        };
        if h.inbox.len() >= max_inbox {
            self.stats.dropped_inbox_full += 1;
            return;
        }
        h.inbox.push_back(Delivery {
            local: packet.dst,
            remote: packet.src,
            contents: packet.contents,
            at,
        });
        self.stats.delivered += 1;
    }
}
