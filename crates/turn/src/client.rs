//! The TURN client state machine (RFC 8656 §6 - §12): its state and its public API.
//!
//! The topics live in submodules, each behind a narrow interface: [`auth`] (long-term
//! credentials, 401 and 438, MESSAGE-INTEGRITY of responses), [`requests`] (building requests
//! and acting on their answers), [`data`] (Send/Data indications, ChannelData, the stream
//! and TLS under it) and [`timers`] (the allocation's lifetime and the refresh schedule).

mod auth;
mod data;
mod requests;
mod timers;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rtcweb_common::{Datagram, Transmit, Transport};
use rtcweb_stun::{ClientTransactions, PasswordAlgorithm};

use self::auth::Auth;
use self::data::Wire;
use self::requests::Request;
use self::timers::{Lifetime, lifetime_secs};
use crate::channel::Channels;
use crate::permission::Permissions;
use crate::{Config, Event, TurnError};

/// Most outstanding requests.
const MAX_TRANSACTIONS: usize = 32;
/// Largest STUN message written.
const MAX_STUN: usize = 1500;

/// Counters of what the client dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Data from a peer without a permission (RFC 8656 §10.2).
    pub dropped_no_permission: u64,
    /// ChannelData on a channel that is not bound.
    pub dropped_unknown_channel: u64,
    /// Messages that failed to parse.
    pub dropped_malformed: u64,
    /// Responses to no outstanding request.
    pub dropped_stray: u64,
    /// Responses whose MESSAGE-INTEGRITY is missing or wrong (RFC 8489 §9.2.5).
    pub dropped_unauthenticated: u64,
    /// Datagrams from an address other than the server.
    pub dropped_not_from_server: u64,
    /// Responses whose NONCE cookie announces password algorithms without a usable
    /// PASSWORD-ALGORITHMS (missing, or over the client's length limits), ignored as if never
    /// received (RFC 8489 §9.2.5).
    pub dropped_bad_challenge: u64,
}

/// What a datagram, or a message in the stream, from the server was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// Data relayed from a peer, borrowed from the datagram (or the client's stream buffer).
    Relayed {
        /// The peer that sent it.
        peer: SocketAddr,
        /// The data.
        data: &'a [u8],
    },
    /// A TURN control message, consumed (or dropped and counted).
    Consumed,
    /// Not from the TURN server: the owner routes it elsewhere.
    NotForUs,
}

/// What the messages completed by [`Client::handle_stream`] were, in stream order: one
/// [`Input`] per message, [`Input::Relayed`] data borrowed from the client's stream buffer.
#[derive(Debug, Clone)]
#[must_use = "data relayed over the stream comes out of this iterator"]
pub struct StreamInputs<'a> {
    buffer: &'a [u8],
    inputs: std::slice::Iter<'a, Option<(SocketAddr, Range<usize>)>>,
}

impl<'a> Iterator for StreamInputs<'a> {
    type Item = Input<'a>;

    fn next(&mut self) -> Option<Input<'a>> {
        Some(match self.inputs.next()? {
            Some((peer, range)) => Input::Relayed {
                peer: *peer,
                data: &self.buffer[range.clone()],
            },
            None => Input::Consumed,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inputs.size_hint()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Allocating,
    Allocated,
    Deallocating,
    Closed,
    Failed,
}

/// The allocation the server granted.
#[derive(Debug, Clone, Copy)]
struct Allocation {
    relayed: SocketAddr,
    mapped: Option<SocketAddr>,
    lifetime: Lifetime,
}

/// A sans-IO TURN client for one allocation on one server.
///
/// Drive it like every rtcweb state machine: feed what the server sends with
/// [`handle_datagram`](Self::handle_datagram) (UDP) or [`handle_stream`](Self::handle_stream)
/// (TCP, TLS), call [`handle_timeout`](Self::handle_timeout) at
/// [`poll_timeout`](Self::poll_timeout), and after each call drain
/// [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event).
#[derive(Debug)]
pub struct Client {
    config: Config,
    server: SocketAddr,
    redirected: bool,
    state: State,
    auth: Auth,
    transactions: ClientTransactions<Request>,
    allocation: Option<Allocation>,
    permissions: Permissions,
    channels: Channels,
    events: VecDeque<Event>,
    wire: Wire,
    rng: StdRng,
    stats: Stats,
}

impl Client {
    /// A client for `config`; nothing is sent until [`allocate`](Self::allocate).
    pub fn new(config: Config) -> Result<Self, TurnError> {
        let auth = Auth::new(&config.username, &config.password)?;
        let wire = Wire::new(&config)?;
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Ok(Self {
            server: config.server,
            redirected: false,
            state: State::Idle,
            auth,
            transactions: ClientTransactions::new(config.retransmit, MAX_TRANSACTIONS),
            allocation: None,
            permissions: Permissions::new(config.max_permissions),
            channels: Channels::new(config.max_channels),
            events: VecDeque::new(),
            wire,
            rng,
            stats: Stats::default(),
            config,
        })
    }

    /// The server currently used (changes after a redirect).
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The transport to the server.
    pub fn transport(&self) -> Transport {
        self.config.transport
    }

    /// The relayed address, once allocated.
    pub fn relayed_address(&self) -> Option<SocketAddr> {
        self.allocation.map(|a| a.relayed)
    }

    /// Our server-reflexive address as the server saw it, once allocated.
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.allocation.and_then(|a| a.mapped)
    }

    /// Whether the allocation is made and alive.
    pub fn is_allocated(&self) -> bool {
        self.state == State::Allocated
    }

    /// Whether data may be exchanged with `ip` now.
    pub fn has_permission(&self, now: Instant, ip: IpAddr) -> bool {
        self.state == State::Allocated && self.permissions.is_installed(ip, now)
    }

    /// The channel bound to `peer`, if any.
    pub fn channel(&self, now: Instant, peer: SocketAddr) -> Option<u16> {
        self.channels.channel_of(peer, now)
    }

    /// What was dropped so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The password algorithm of the long-term key, once the server challenged: SHA-256 when
    /// its nonce cookie and PASSWORD-ALGORITHMS offered it (RFC 8489 §9.2.5), MD5 otherwise
    /// (every deployed server). Requests carry MESSAGE-INTEGRITY-SHA256 with a SHA-256 key,
    /// MESSAGE-INTEGRITY with an MD5 one.
    pub fn password_algorithm(&self) -> Option<PasswordAlgorithm> {
        self.auth.password_algorithm()
    }

    /// Whether the TLS handshake is still going on (always `false` without TLS).
    pub fn is_handshaking(&self) -> bool {
        self.wire.is_handshaking()
    }

    /// Starts the allocation (RFC 8656 §7.1): an Allocate request, first without
    /// credentials; the server's 401 tells the realm and nonce to authenticate with.
    pub fn allocate(&mut self, now: Instant) -> Result<(), TurnError> {
        match self.state {
            State::Idle => {
                self.state = State::Allocating;
                self.send_request(now, Request::Allocate)
            }
            State::Allocating | State::Allocated => Ok(()),
            State::Deallocating | State::Closed | State::Failed => Err(TurnError::Closed),
        }
    }

    /// Refreshes the allocation now instead of waiting for its schedule (RFC 8656 §8).
    pub fn refresh(&mut self, now: Instant) -> Result<(), TurnError> {
        let Some(a) = self
            .allocation
            .as_mut()
            .filter(|_| self.state == State::Allocated)
        else {
            return Err(TurnError::NotAllocated);
        };
        if !a.lifetime.start_refresh() {
            return Ok(());
        }
        let lifetime = lifetime_secs(self.config.lifetime);
        self.send_request(now, Request::Refresh { lifetime })
    }

    /// Installs a permission for `peer` (RFC 8656 §9), kept refreshed until
    /// [`remove_permission`](Self::remove_permission) or close. Data to or from a peer
    /// flows only once [`Event::PermissionCreated`] is out.
    pub fn create_permission(&mut self, now: Instant, peer: IpAddr) -> Result<(), TurnError> {
        if self.state != State::Allocated {
            return Err(TurnError::NotAllocated);
        }
        if self.permissions.contains(peer) {
            return Ok(());
        }
        if !self.permissions.add_pending(peer) {
            return Err(TurnError::TooManyPermissions(self.config.max_permissions));
        }
        self.send_request(now, Request::CreatePermission { peers: vec![peer] })
    }

    /// Stops refreshing the permission of `peer`; it lapses on the server.
    pub fn remove_permission(&mut self, peer: IpAddr) {
        self.permissions.remove(peer);
    }

    /// Binds a channel to `peer` (RFC 8656 §11), which also installs a permission for its IP.
    /// Once [`Event::ChannelBound`] is out, data to and from `peer` uses 4-byte ChannelData
    /// headers instead of Send and Data indications.
    pub fn bind_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<(), TurnError> {
        if self.state != State::Allocated {
            return Err(TurnError::NotAllocated);
        }
        if self.channels.has_peer(peer) {
            return Err(TurnError::AlreadyBound(peer));
        }
        let Some(channel) = self.channels.reserve(peer) else {
            return Err(TurnError::TooManyChannels(self.channels.limit()));
        };
        self.send_request(now, Request::ChannelBind { channel, peer })
    }

    /// Deletes the allocation: a Refresh with LIFETIME 0 (RFC 8656 §8); [`Event::Closed`]
    /// follows its answer or timeout.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            State::Allocated => {
                self.state = State::Deallocating;
                self.transactions.cancel_where(|_| true);
                if self
                    .send_request(now, Request::Refresh { lifetime: 0 })
                    .is_err()
                {
                    self.finish_close();
                }
            }
            State::Idle | State::Allocating => {
                self.transactions.cancel_where(|_| true);
                self.finish_close();
            }
            State::Deallocating | State::Closed | State::Failed => {}
        }
    }

    /// Sends application data to `peer` through the relay, framed into `out` (the caller's
    /// buffer, reused across calls): ChannelData when a channel is bound, else a Send
    /// indication (RFC 8656 §10.1). Refused without a permission for the peer's IP: nothing
    /// is sent to a peer the server has not been told about.
    pub fn send_to<'o>(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        data: &[u8],
        out: &'o mut Vec<u8>,
    ) -> Result<Transmit<&'o [u8]>, TurnError> {
        if self.state != State::Allocated {
            return Err(TurnError::NotAllocated);
        }
        self.frame_send(now, peer, data, out)
    }

    /// Feeds one UDP datagram that arrived. Relayed data comes back borrowed from the
    /// datagram, without a copy. A datagram not from the server is [`Input::NotForUs`].
    pub fn handle_datagram<'a>(&mut self, now: Instant, datagram: Datagram<'a>) -> Input<'a> {
        if datagram.remote != self.server {
            self.stats.dropped_not_from_server += 1;
            return Input::NotForUs;
        }
        self.read_datagram(now, datagram.contents)
    }

    /// Feeds bytes received on the TCP or TLS connection to the server. Every message the
    /// bytes complete is handled at once; what each was comes back as the same [`Input`]
    /// values as from [`handle_datagram`](Self::handle_datagram), in stream order, relayed
    /// data borrowed from the client's stream buffer (valid until the next call). Dropping the
    /// iterator early only skips data. A broken stream fails the client.
    pub fn handle_stream(&mut self, now: Instant, bytes: &[u8]) -> StreamInputs<'_> {
        self.read_stream(now, bytes);
        self.wire.stream_inputs()
    }

    /// Sends what is due: allocation, permission and channel refreshes; retransmissions;
    /// timeouts. Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.run_timers(now);
    }

    /// The next deadline: a retransmission, a timeout or a refresh; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer()
    }

    /// The next bytes to send to the server. Over TLS these are TLS records, the handshake
    /// included.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.wire.poll_transmit(&mut self.transactions, self.server)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn finish_close(&mut self) {
        self.state = State::Closed;
        self.allocation = None;
        self.permissions.clear();
        self.channels.clear();
        self.wire.close();
        self.events.push_back(Event::Closed);
    }

    fn fail(&mut self, error: TurnError) {
        if matches!(self.state, State::Failed | State::Closed) {
            return;
        }
        self.state = State::Failed;
        self.allocation = None;
        self.permissions.clear();
        self.channels.clear();
        self.transactions.cancel_where(|_| true);
        self.events.push_back(Event::Failed(error));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rtcweb_stun::{Class, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method};

    use super::*;
    use crate::ChannelData;

    const REALM: &str = "example.org";

    fn server() -> SocketAddr {
        "192.0.2.10:3478".parse().unwrap()
    }

    fn key() -> IntegrityKey {
        IntegrityKey::long_term("user", REALM, "pass").unwrap()
    }

    #[allow(clippy::disallowed_methods)] // the simulated epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    fn client(transport: Transport) -> Client {
        let mut config = Config::new(server(), transport, "user", "pass");
        config.seed = Some(7);
        Client::new(config).unwrap()
    }

    fn udp(remote: SocketAddr, contents: &[u8]) -> Datagram<'_> {
        Datagram {
            transport: Transport::Udp,
            local: "198.51.100.1:5000".parse().unwrap(),
            remote,
            contents,
        }
    }

    /// The next request sent, decoded, with its destination.
    fn request(c: &mut Client) -> (SocketAddr, Message, Vec<u8>) {
        let t = c.poll_transmit().expect("a request");
        let msg = Message::decode(&t.contents).unwrap();
        assert_eq!(msg.class(), Class::Request);
        (t.destination, msg, t.contents)
    }

    fn events(c: &mut Client) -> Vec<Event> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    fn error(req: &Message, code: u16, nonce: Option<&str>) -> Vec<u8> {
        let mut w = MessageWriter::error(req.method(), req.transaction_id(), code, "x").unwrap();
        if let Some(nonce) = nonce {
            w = w.realm(REALM).unwrap().nonce(nonce).unwrap();
        }
        w.to_vec(None, true).unwrap()
    }

    fn allocate_success(req: &Message, lifetime: u32) -> Vec<u8> {
        MessageWriter::success(Method::ALLOCATE, req.transaction_id())
            .xor_relayed_address("192.0.2.10:50000".parse().unwrap())
            .lifetime(lifetime)
            .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
            .unwrap()
    }

    /// A client whose Allocate was challenged once and granted `lifetime` seconds.
    fn allocated(now: Instant, transport: Transport, lifetime: u32) -> Client {
        let mut c = client(transport);
        c.allocate(now).unwrap();
        let (_, req, _) = request(&mut c);
        feed(&mut c, now, &error(&req, 401, Some("n1")));
        let (_, req, _) = request(&mut c);
        feed(&mut c, now, &allocate_success(&req, lifetime));
        assert!(c.is_allocated());
        events(&mut c);
        c
    }

    /// Feeds a server message over the client's transport.
    fn feed(c: &mut Client, now: Instant, bytes: &[u8]) {
        if c.transport().is_stream() {
            assert!(c.handle_stream(now, bytes).all(|i| i == Input::Consumed));
        } else {
            assert_eq!(
                c.handle_datagram(now, udp(server(), bytes)),
                Input::Consumed
            );
        }
    }

    #[test]
    fn challenge_then_authenticated_retry() {
        let now = epoch();
        let mut c = client(Transport::Udp);
        c.allocate(now).unwrap();
        let (_, first, raw) = request(&mut c);
        assert!(first.username().is_none() && !first.has_integrity());
        assert!(Message::decode_authenticated(&raw, &key()).is_err());
        assert!(!c.auth.is_authenticated());
        // RFC 8489 §9.2.4: the 401 names REALM and NONCE; the retry carries USERNAME, REALM,
        // NONCE and MESSAGE-INTEGRITY with the long-term key.
        feed(&mut c, now, &error(&first, 401, Some("n1")));
        let (_, retry, raw) = request(&mut c);
        assert_ne!(retry.transaction_id(), first.transaction_id());
        assert_eq!(retry.username(), Some("user"));
        assert_eq!(retry.realm(), Some(REALM));
        assert_eq!(retry.nonce(), Some("n1"));
        assert!(Message::decode_authenticated(&raw, &key()).is_ok());
        // A second 401, now authenticated, is a refusal, not another challenge.
        feed(&mut c, now, &error(&retry, 401, Some("n2")));
        assert_eq!(
            events(&mut c),
            vec![Event::Failed(TurnError::Unauthenticated)]
        );
        assert!(c.poll_transmit().is_none());
    }

    #[test]
    fn stale_nonce_retried_at_most_three_times() {
        let now = epoch();
        let mut c = client(Transport::Udp);
        c.allocate(now).unwrap();
        let (_, req, _) = request(&mut c);
        feed(&mut c, now, &error(&req, 401, Some("n0")));
        let (_, mut req, _) = request(&mut c);
        for i in 1..=auth::MAX_STALE_NONCE_RETRIES {
            let nonce = format!("n{i}");
            feed(&mut c, now, &error(&req, 438, Some(&nonce)));
            let (_, retry, _) = request(&mut c);
            assert_eq!(retry.nonce(), Some(nonce.as_str()), "retry {i}");
            req = retry;
        }
        feed(&mut c, now, &error(&req, 438, Some("n4")));
        assert_eq!(
            events(&mut c),
            vec![Event::Failed(TurnError::StaleNonceLoop)]
        );
        assert!(c.poll_transmit().is_none());
    }

    #[test]
    fn unauthenticated_response_after_challenge_is_dropped() {
        let now = epoch();
        let mut c = client(Transport::Udp);
        c.allocate(now).unwrap();
        let (_, req, _) = request(&mut c);
        feed(&mut c, now, &error(&req, 401, Some("n1")));
        let (_, req, _) = request(&mut c);
        // RFC 8489 §9.2.5: a success without MESSAGE-INTEGRITY, or with a wrong one, is
        // discarded as if never received; the transaction goes on.
        let bare = MessageWriter::success(Method::ALLOCATE, req.transaction_id())
            .xor_relayed_address("192.0.2.10:50000".parse().unwrap())
            .to_vec(None, true)
            .unwrap();
        let wrong = IntegrityKey::long_term("user", REALM, "guess").unwrap();
        let forged = MessageWriter::success(Method::ALLOCATE, req.transaction_id())
            .xor_relayed_address("192.0.2.10:50000".parse().unwrap())
            .to_vec(Some((&wrong, IntegrityAlgorithm::Sha1)), true)
            .unwrap();
        feed(&mut c, now, &bare);
        feed(&mut c, now, &forged);
        assert_eq!(c.stats().dropped_unauthenticated, 2);
        assert!(events(&mut c).is_empty() && !c.is_allocated());
        feed(&mut c, now, &allocate_success(&req, 600));
        assert!(c.is_allocated());
    }

    #[test]
    fn allocation_refreshed_a_minute_before_expiry() {
        let now = epoch();
        let mut c = allocated(now, Transport::Udp, 600);
        assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(540)));
        c.handle_timeout(now + Duration::from_secs(539));
        assert!(c.poll_transmit().is_none());
        let t = now + Duration::from_secs(540);
        c.handle_timeout(t);
        let (_, req, _) = request(&mut c);
        assert_eq!(req.method(), Method::REFRESH);
        // While the refresh is outstanding the deadline is its retransmission, never past the
        // expiry; its answer schedules the next refresh a minute before the new expiry.
        assert!(c.poll_timeout().unwrap() <= now + Duration::from_secs(600));
        let ok = MessageWriter::success(Method::REFRESH, req.transaction_id())
            .lifetime(300)
            .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
            .unwrap();
        feed(&mut c, t, &ok);
        assert_eq!(
            events(&mut c),
            vec![Event::Refreshed {
                lifetime: Duration::from_secs(300)
            }]
        );
        assert_eq!(c.poll_timeout(), Some(t + Duration::from_secs(240)));
        // A short lifetime is refreshed at half-life instead.
        assert_eq!(
            timers::refresh_delay(Duration::from_secs(100)),
            Duration::from_secs(50)
        );
    }

    #[test]
    fn permission_refreshed_at_240_seconds() {
        let now = epoch();
        let mut c = allocated(now, Transport::Udp, 3600);
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        c.create_permission(now, peer).unwrap();
        let (_, req, _) = request(&mut c);
        assert_eq!(req.method(), Method::CREATE_PERMISSION);
        let ok = MessageWriter::success(Method::CREATE_PERMISSION, req.transaction_id())
            .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
            .unwrap();
        feed(&mut c, now, &ok);
        assert_eq!(events(&mut c), vec![Event::PermissionCreated { peer }]);
        // RFC 8656 §9: a permission lasts 300 s; it is refreshed a minute early.
        assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(240)));
        c.handle_timeout(now + Duration::from_secs(240));
        let (_, refresh, _) = request(&mut c);
        assert_eq!(refresh.method(), Method::CREATE_PERMISSION);
        assert_eq!(refresh.xor_peer_address().map(|a| a.ip()), Some(peer));
    }

    #[test]
    fn try_alternate_followed_once() {
        let now = epoch();
        let alternate: SocketAddr = "192.0.2.20:3478".parse().unwrap();
        let redirect = |req: &Message, to: SocketAddr| {
            MessageWriter::error(Method::ALLOCATE, req.transaction_id(), 300, "Try Alternate")
                .unwrap()
                .alternate_server(to)
                .to_vec(None, true)
                .unwrap()
        };
        let mut c = client(Transport::Udp);
        c.allocate(now).unwrap();
        let (_, req, _) = request(&mut c);
        feed(&mut c, now, &redirect(&req, alternate));
        assert_eq!(
            events(&mut c),
            vec![Event::Redirected { server: alternate }]
        );
        let (to, req, _) = request(&mut c);
        assert_eq!((to, req.method()), (alternate, Method::ALLOCATE));
        let back = redirect(&req, server());
        assert_eq!(
            c.handle_datagram(now, udp(alternate, &back)),
            Input::Consumed
        );
        assert_eq!(events(&mut c), vec![Event::Failed(TurnError::BadRedirect)]);
        assert_eq!(c.server(), alternate);
    }

    #[test]
    fn stream_messages_come_out_as_inputs_in_order() {
        let now = epoch();
        let mut c = allocated(now, Transport::Tcp, 600);
        let peer: SocketAddr = "203.0.113.5:7000".parse().unwrap();
        c.bind_channel(now, peer).unwrap();
        let (_, req, _) = request(&mut c);
        let bound = MessageWriter::success(Method::CHANNEL_BIND, req.transaction_id())
            .to_vec(Some((&key(), IntegrityAlgorithm::Sha1)), true)
            .unwrap();
        feed(&mut c, now, &bound);
        let indication = MessageWriter::indication(Method::DATA, [9; 12])
            .xor_peer_address(peer)
            .data(b"by indication")
            .to_vec(None, true)
            .unwrap();
        let mut framed = [0u8; 32];
        let n = ChannelData {
            channel: 0x4000,
            data: b"by channel",
        }
        .emit(true, &mut framed)
        .unwrap();
        let stray = MessageWriter::success(Method::REFRESH, [3; 12])
            .to_vec(None, true)
            .unwrap();
        let mut stream = indication;
        stream.extend_from_slice(&framed[..n]);
        stream.extend_from_slice(&stray);
        // Cut anywhere, the same inputs come out, each message once it is complete.
        for cut in [1, 20, stream.len() - 3] {
            let mut got: Vec<(Option<SocketAddr>, Vec<u8>)> = vec![];
            for part in [&stream[..cut], &stream[cut..]] {
                for input in c.handle_stream(now, part) {
                    got.push(match input {
                        Input::Relayed { peer, data } => (Some(peer), data.to_vec()),
                        other => (None, format!("{other:?}").into_bytes()),
                    });
                }
            }
            assert_eq!(
                got,
                vec![
                    (Some(peer), b"by indication".to_vec()),
                    (Some(peer), b"by channel".to_vec()),
                    (None, b"Consumed".to_vec()),
                ],
                "cut at {cut}"
            );
        }
    }
}
