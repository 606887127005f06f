//! Counters of what the network did with packets, and its limits.

use std::time::Duration;

/// What happened to the packets sent so far. Every packet sent is either delivered (once or,
/// duplicated, more often), still in flight (or in a bottleneck queue), or counted by one of
/// the `lost` and `dropped_*` counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetStats {
    /// Datagrams hosts handed to [`Network::send`](crate::Network::send).
    pub sent: u64,
    /// Datagrams put into a host inbox (copies included).
    pub delivered: u64,
    /// Packets lost on an access link ([`LinkConfig::loss`](crate::LinkConfig::loss)).
    pub lost: u64,
    /// Extra copies made by an access link
    /// ([`LinkConfig::duplicate`](crate::LinkConfig::duplicate)).
    pub duplicated: u64,
    /// Inbound packets a NAT's filtering refused (RFC 4787 §5).
    pub dropped_by_nat_filter: u64,
    /// Inbound packets to a NAT port with no live mapping (never made, or timed out).
    pub dropped_no_nat_mapping: u64,
    /// Outbound packets a NAT had no port or table room for.
    pub dropped_nat_exhausted: u64,
    /// Packets to a NAT's own public address from behind it, with hairpinning off
    /// (RFC 4787 §6).
    pub dropped_hairpin: u64,
    /// Packets to an address that is no host, NAT or server (or a removed host), or across
    /// address families.
    pub dropped_no_route: u64,
    /// Sends from an address the sending host does not have, or from a removed host.
    pub dropped_bad_source: u64,
    /// Packets dropped at the tail of a full bottleneck queue
    /// ([`Network::set_bottleneck`](crate::Network::set_bottleneck)).
    pub dropped_bottleneck: u64,
    /// Packets that crossed a bottleneck (a packet crossing two counts twice).
    pub bottlenecked: u64,
    /// Sum of the time those packets waited in bottleneck queues before their serialization
    /// began.
    pub bottleneck_delay_total: Duration,
    /// The longest such wait.
    pub bottleneck_delay_max: Duration,
    /// Packets dropped because the in-flight queue was full.
    pub dropped_queue_full: u64,
    /// Deliveries dropped because the receiving host's inbox was full.
    pub dropped_inbox_full: u64,
    /// Packets dropped after too many server hops (a relay loop).
    pub dropped_hop_limit: u64,
    /// Datagrams a STUN or TURN server ignored (not for it, malformed beyond an answer, or
    /// refused: no allocation, no permission, unknown channel).
    pub dropped_by_server: u64,
    /// Datagrams a TURN server relayed (client to peer and peer to client).
    pub relayed: u64,
    /// Allocations a TURN server closed because a datagram they relayed could not be
    /// routed ([`TurnServerConfig::close_on_unroutable`](crate::TurnServerConfig::close_on_unroutable)).
    pub allocations_closed: u64,
}

/// Bounds on the network's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most packets in flight at once; beyond, new packets are dropped and counted.
    pub max_in_flight: usize,
    /// Most datagrams waiting in one host's inbox; beyond, new ones are dropped and counted.
    pub max_inbox: usize,
    /// Most mappings one NAT holds.
    pub max_nat_mappings: usize,
}

impl Default for Limits {
    /// 100 000 in flight, 10 000 per inbox, 10 000 mappings per NAT.
    fn default() -> Self {
        Self {
            max_in_flight: 100_000,
            max_inbox: 10_000,
            max_nat_mappings: 10_000,
        }
    }
}
