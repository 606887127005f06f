//! A small TURN server (RFC 8656 over UDP) for tests: one user, long-term credentials.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rtcweb_stun::stun_rs::attributes::StunAttribute;
use rtcweb_stun::{
    Class, DecodeError, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method, codes,
    parse_header,
};
use rtcweb_turn::{MAX_CHANNEL, MIN_CHANNEL};

use crate::stun_server::{Outgoing, answer_binding};
use crate::turn_allocation::{Allocation, BindError};

/// Default allocation lifetime (RFC 8656 §7.2: 10 minutes).
const DEFAULT_LIFETIME: u32 = 600;
/// Longest allocation lifetime granted (RFC 8656 §7.2: 3600 s recommended).
const MAX_LIFETIME: u32 = 3600;
/// Most allocations at once; beyond, 486 Allocation Quota Reached.
const MAX_ALLOCATIONS: usize = 256;
/// First relayed port; then upwards.
const FIRST_RELAY_PORT: u16 = 50000;

/// Configuration of a test TURN server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnServerConfig {
    /// Where clients send TURN messages (the server's public transport address).
    pub address: SocketAddr,
    /// The public IP relayed transport addresses are on (ports from 50000 up).
    pub relay_ip: IpAddr,
    /// REALM of the long-term credentials.
    pub realm: String,
    /// The one username accepted.
    pub username: String,
    /// Its password.
    pub password: String,
    /// Close an allocation when a datagram it relays cannot be routed (to an address that
    /// is not on the public internet, such as a peer's private host address), as coturn does
    /// when the relay socket's send fails (`udp send: Network is unreachable`, or an egress
    /// firewall's `EPERM`): the client is not told. Off by default (the datagram is dropped
    /// and the allocation lives on, as behind a server with a default route).
    pub close_on_unroutable: bool,
}

impl TurnServerConfig {
    /// A configuration relaying from the server's own IP.
    pub fn new(address: SocketAddr, realm: &str, username: &str, password: &str) -> Self {
        Self {
            address,
            relay_ip: address.ip(),
            realm: realm.to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            close_on_unroutable: false,
        }
    }
}

/// What the server did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A request answered (success or error).
    Answered,
    /// Data relayed between client and peer.
    Relayed,
    /// Ignored or refused silently.
    Dropped,
}

/// An answer to a request.
enum Reply {
    /// This message (a success, or an error with attributes of its own).
    Message(MessageWriter),
    /// An error response with this code.
    Error(u16, &'static str),
    /// Already answered (an Allocate success, cached for retransmissions).
    Sent,
}

/// The server state.
#[derive(Debug)]
pub(crate) struct TurnServer {
    pub(crate) config: TurnServerConfig,
    /// `None` when the configured credentials are refused by OpaqueString: nobody gets in.
    key: Option<IntegrityKey>,
    nonce: String,
    /// Client transport address → allocation (the 5-tuple, as the server address and UDP
    /// are fixed).
    pub(crate) allocations: BTreeMap<SocketAddr, Allocation>,
    /// Relayed transport address → client transport address.
    pub(crate) relays: BTreeMap<SocketAddr, SocketAddr>,
    next_port: u16,
    /// Data indications sent, for their transaction IDs.
    pub(crate) indications: u64,
}

impl TurnServer {
    pub(crate) fn new(config: TurnServerConfig, nonce_seed: u64) -> Self {
        let key = IntegrityKey::long_term(&config.username, &config.realm, &config.password).ok();
        Self {
            key,
            nonce: format!("netsim-{nonce_seed:016x}"),
            allocations: BTreeMap::new(),
            relays: BTreeMap::new(),
            next_port: FIRST_RELAY_PORT,
            indications: 0,
            config,
        }
    }

    /// Whether datagrams to `destination` are for this server: its own address, or a relayed
    /// address of an allocation.
    pub(crate) fn serves(&self, destination: SocketAddr) -> bool {
        destination == self.config.address || self.relays.contains_key(&destination)
    }

    /// Handles a datagram from `source` to `destination` (one this server
    /// [`serves`](Self::serves)); what it sends goes into `out`.
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        datagram: &[u8],
        out: &mut Vec<Outgoing>,
    ) -> Outcome {
        self.expire(now);
        if destination != self.config.address {
            return self.relay_from_peer(now, source, destination, datagram, out);
        }
        match datagram.first() {
            Some(0x40..=0x4F) => self.channel_data(now, source, datagram, out),
            Some(0..=3) => self.stun(now, source, datagram, out),
            _ => Outcome::Dropped,
        }
    }

    /// Deletes allocations past their lifetime (RFC 8656 §6).
    fn expire(&mut self, now: Instant) {
        let relays = &mut self.relays;
        self.allocations.retain(|_, a| {
            let live = a.is_live(now);
            if !live {
                relays.remove(&a.relayed);
            }
            live
        });
    }

    /// Closes the allocation whose relayed address is `relayed` (the client is not told),
    /// when the server is configured to on an unroutable send; whether it did.
    pub(crate) fn close_on_unroutable(&mut self, relayed: SocketAddr) -> bool {
        if !self.config.close_on_unroutable {
            return false;
        }
        let Some(client) = self.relays.remove(&relayed) else {
            return false;
        };
        self.allocations.remove(&client);
        true
    }

    pub(crate) fn send(&self, to: SocketAddr, contents: Vec<u8>, out: &mut Vec<Outgoing>) {
        out.push(Outgoing {
            from: self.config.address,
            to,
            contents,
        });
    }

    fn stun(
        &mut self,
        now: Instant,
        source: SocketAddr,
        datagram: &[u8],
        out: &mut Vec<Outgoing>,
    ) -> Outcome {
        let message = match Message::decode(datagram) {
            Ok(m) => m,
            Err(DecodeError::MalformedAttribute { .. } | DecodeError::Malformed) => {
                // Framing is right but an attribute is not: 400 to a request (RFC 8489
                // §6.3.1); anything else is discarded.
                return match parse_header(datagram) {
                    Ok(h) if h.class == Class::Request => {
                        let reply = error(Method(h.method), h.transaction_id, 400, "Bad Request")
                            .and_then(|w| w.to_vec(None, true).ok());
                        match reply {
                            Some(bytes) => {
                                self.send(source, bytes, out);
                                Outcome::Answered
                            }
                            None => Outcome::Dropped,
                        }
                    }
                    _ => Outcome::Dropped,
                };
            }
            // Bad framing or FINGERPRINT: silently discarded (RFC 8489 §6.3).
            Err(_) => return Outcome::Dropped,
        };
        match (message.class(), message.method()) {
            (Class::Request, Method::BINDING) => match answer_binding(&message, source) {
                Some(bytes) => {
                    self.send(source, bytes, out);
                    Outcome::Answered
                }
                None => Outcome::Dropped,
            },
            (Class::Indication, Method::SEND) => self.send_indication(now, source, &message, out),
            (
                Class::Request,
                Method::ALLOCATE
                | Method::REFRESH
                | Method::CREATE_PERMISSION
                | Method::CHANNEL_BIND,
            ) => self.request(now, source, datagram, &message, out),
            _ => Outcome::Dropped,
        }
    }

    /// An authenticated request (RFC 8489 §9.2.4), then its method.
    fn request(
        &mut self,
        now: Instant,
        source: SocketAddr,
        datagram: &[u8],
        message: &Message,
        out: &mut Vec<Outgoing>,
    ) -> Outcome {
        let method = message.method();
        let id = message.transaction_id();
        let challenge = |code: u16, reason: &'static str| {
            error(method, id, code, reason)
                .and_then(|w| w.realm(&self.config.realm).ok())
                .and_then(|w| w.nonce(&self.nonce).ok())
                .and_then(|w| w.to_vec(None, true).ok())
        };
        // RFC 8489 §9.2.4: no MESSAGE-INTEGRITY → 401 with REALM and NONCE.
        if !message.has_integrity() {
            return self.reply_raw(source, challenge(401, "Unauthenticated"), out);
        }
        let (Some(username), Some(realm), Some(nonce)) =
            (message.username(), message.realm(), message.nonce())
        else {
            let bytes =
                error(method, id, 400, "Bad Request").and_then(|w| w.to_vec(None, true).ok());
            return self.reply_raw(source, bytes, out);
        };
        if nonce != self.nonce {
            return self.reply_raw(source, challenge(codes::STALE_NONCE, "Stale Nonce"), out);
        }
        let key = match &self.key {
            Some(key) if username == self.config.username && realm == self.config.realm => {
                key.clone()
            }
            _ => return self.reply_raw(source, challenge(401, "Unauthenticated"), out),
        };
        let Ok(message) = Message::decode_authenticated(datagram, &key) else {
            return self.reply_raw(source, challenge(401, "Unauthenticated"), out);
        };
        let unknown = message.unknown_comprehension_required();
        let reply = if !unknown.is_empty() {
            // RFC 8489 §6.3.1.1: 420 with UNKNOWN-ATTRIBUTES.
            match error(method, id, codes::UNKNOWN_ATTRIBUTE, "Unknown Attribute") {
                Some(w) => Reply::Message(w.unknown_attributes(&unknown)),
                None => return Outcome::Dropped,
            }
        } else {
            match method {
                Method::ALLOCATE => self.allocate(now, source, &message, &key, out),
                Method::REFRESH => self.refresh(now, source, &message),
                Method::CREATE_PERMISSION => self.create_permission(now, source, &message),
                _ => self.channel_bind(now, source, &message),
            }
        };
        let writer = match reply {
            Reply::Sent => return Outcome::Answered,
            Reply::Message(w) => Some(w),
            Reply::Error(code, reason) => error(method, id, code, reason),
        };
        // Responses to authenticated requests carry MESSAGE-INTEGRITY (RFC 8489 §9.2.4).
        let bytes =
            writer.and_then(|w| w.to_vec(Some((&key, IntegrityAlgorithm::Sha1)), true).ok());
        self.reply_raw(source, bytes, out)
    }

    fn reply_raw(
        &self,
        to: SocketAddr,
        bytes: Option<Vec<u8>>,
        out: &mut Vec<Outgoing>,
    ) -> Outcome {
        match bytes {
            Some(bytes) => {
                self.send(to, bytes, out);
                Outcome::Answered
            }
            None => Outcome::Dropped,
        }
    }

    /// The lifetime granted for a requested one (RFC 8656 §7.2, §8): the request capped at
    /// the maximum, and never below the default.
    fn grant(requested: Option<u32>) -> u32 {
        requested.map_or(DEFAULT_LIFETIME, |r| {
            r.clamp(DEFAULT_LIFETIME, MAX_LIFETIME)
        })
    }

    fn allocate(
        &mut self,
        now: Instant,
        source: SocketAddr,
        message: &Message,
        key: &IntegrityKey,
        out: &mut Vec<Outgoing>,
    ) -> Reply {
        let id = message.transaction_id();
        if let Some(existing) = self.allocations.get(&source) {
            // RFC 8656 §7.2: the same transaction again gets the same answer; another
            // Allocate on this 5-tuple is 437.
            if existing.allocate_transaction == id {
                let bytes = existing.allocate_response.clone();
                self.send(source, bytes, out);
                return Reply::Sent;
            }
            return Reply::Error(codes::ALLOCATION_MISMATCH, "Allocation Mismatch");
        }
        let transport = message.inner().attributes().iter().find_map(|a| match a {
            StunAttribute::RequestedTrasport(t) => Some(t.protocol().as_u8()),
            _ => None,
        });
        match transport {
            None => return Reply::Error(codes::BAD_REQUEST, "Bad Request"),
            Some(17) => {}
            Some(_) => {
                return Reply::Error(codes::UNSUPPORTED_TRANSPORT, "Unsupported Transport");
            }
        }
        if self.allocations.len() >= MAX_ALLOCATIONS {
            return Reply::Error(codes::ALLOCATION_QUOTA_REACHED, "Allocation Quota Reached");
        }
        let Some(port) = self.relay_port() else {
            return Reply::Error(codes::INSUFFICIENT_CAPACITY, "Insufficient Capacity");
        };
        let relayed = SocketAddr::new(self.config.relay_ip, port);
        let lifetime = Self::grant(message.lifetime());
        let writer = MessageWriter::success(Method::ALLOCATE, id)
            .xor_relayed_address(relayed)
            .xor_mapped_address(source)
            .lifetime(lifetime);
        let Ok(bytes) = writer.to_vec(Some((key, IntegrityAlgorithm::Sha1)), true) else {
            return Reply::Error(codes::SERVER_ERROR, "Server Error");
        };
        let mut allocation =
            Allocation::new(relayed, now + Duration::from_secs(lifetime.into()), id);
        allocation.allocate_response = bytes.clone();
        self.allocations.insert(source, allocation);
        self.relays.insert(relayed, source);
        self.send(source, bytes, out);
        Reply::Sent
    }

    fn relay_port(&mut self) -> Option<u16> {
        for _ in 0..=u16::MAX {
            let port = self.next_port;
            self.next_port = self.next_port.checked_add(1).unwrap_or(FIRST_RELAY_PORT);
            if !self
                .relays
                .contains_key(&SocketAddr::new(self.config.relay_ip, port))
            {
                return Some(port);
            }
        }
        None
    }

    /// RFC 8656 §8: LIFETIME 0 deletes, anything else refreshes.
    fn refresh(&mut self, now: Instant, source: SocketAddr, message: &Message) -> Reply {
        let Some(allocation) = self.allocations.get_mut(&source) else {
            return Reply::Error(codes::ALLOCATION_MISMATCH, "Allocation Mismatch");
        };
        let lifetime = match message.lifetime() {
            Some(0) => {
                let relayed = allocation.relayed;
                self.allocations.remove(&source);
                self.relays.remove(&relayed);
                0
            }
            requested => {
                let lifetime = Self::grant(requested);
                allocation.expires = now + Duration::from_secs(lifetime.into());
                lifetime
            }
        };
        Reply::Message(
            MessageWriter::success(Method::REFRESH, message.transaction_id()).lifetime(lifetime),
        )
    }

    /// RFC 8656 §10.2: every XOR-PEER-ADDRESS gets a permission, or none does.
    fn create_permission(&mut self, now: Instant, source: SocketAddr, message: &Message) -> Reply {
        let Some(allocation) = self.allocations.get_mut(&source) else {
            return Reply::Error(codes::ALLOCATION_MISMATCH, "Allocation Mismatch");
        };
        let peers: Vec<IpAddr> = message
            .inner()
            .attributes()
            .iter()
            .filter_map(|a| match a {
                StunAttribute::XorPeerAddress(p) => Some(p.socket_address().ip()),
                _ => None,
            })
            .collect();
        if peers.is_empty() {
            return Reply::Error(codes::BAD_REQUEST, "Bad Request");
        }
        if peers
            .iter()
            .any(|ip| ip.is_ipv4() != allocation.relayed.is_ipv4())
        {
            return Reply::Error(
                codes::PEER_ADDRESS_FAMILY_MISMATCH,
                "Peer Address Family Mismatch",
            );
        }
        match allocation.permit(&peers, now) {
            Ok(()) => Reply::Message(MessageWriter::success(
                Method::CREATE_PERMISSION,
                message.transaction_id(),
            )),
            Err(_) => Reply::Error(codes::INSUFFICIENT_CAPACITY, "Insufficient Capacity"),
        }
    }

    /// RFC 8656 §12.2.
    fn channel_bind(&mut self, now: Instant, source: SocketAddr, message: &Message) -> Reply {
        let Some(allocation) = self.allocations.get_mut(&source) else {
            return Reply::Error(codes::ALLOCATION_MISMATCH, "Allocation Mismatch");
        };
        let (Some(channel), Some(peer)) = (message.channel_number(), message.xor_peer_address())
        else {
            return Reply::Error(codes::BAD_REQUEST, "Bad Request");
        };
        if !(MIN_CHANNEL..=MAX_CHANNEL).contains(&channel) {
            return Reply::Error(codes::BAD_REQUEST, "Bad Request");
        }
        if peer.is_ipv4() != allocation.relayed.is_ipv4() {
            return Reply::Error(
                codes::PEER_ADDRESS_FAMILY_MISMATCH,
                "Peer Address Family Mismatch",
            );
        }
        match allocation.bind(channel, peer, now) {
            Ok(()) => Reply::Message(MessageWriter::success(
                Method::CHANNEL_BIND,
                message.transaction_id(),
            )),
            Err(BindError::Conflict) => Reply::Error(codes::BAD_REQUEST, "Bad Request"),
            Err(BindError::Capacity) => {
                Reply::Error(codes::INSUFFICIENT_CAPACITY, "Insufficient Capacity")
            }
        }
    }
}

/// An error response writer, `None` if the code cannot be encoded.
fn error(method: Method, id: [u8; 12], code: u16, reason: &str) -> Option<MessageWriter> {
    MessageWriter::error(method, id, code, reason).ok()
}
