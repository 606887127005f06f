//! The TURN client state machine (RFC 8656 §6 - §12).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rtcweb_common::{Datagram, Transmit, Transport};
use rtcweb_stun::{
    Class, ClientTransactions, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method,
    classify, codes,
};

use crate::channel::Channels;
use crate::channel_data::ChannelData;
use crate::framing::{Frame, StreamFramer};
use crate::permission::Permissions;
use crate::tls::TlsSession;
use crate::{Config, Event, TurnError};

/// How many 438 Stale Nonce answers in a row are followed before giving up.
const MAX_STALE_NONCE_RETRIES: u32 = 3;
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
}

/// What a datagram, or a message in the stream, from the server was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// Data relayed from a peer, borrowed from the datagram.
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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Request {
    Allocate,
    Refresh { lifetime: u32 },
    CreatePermission { peers: Vec<IpAddr> },
    ChannelBind { channel: u16, peer: SocketAddr },
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

#[derive(Debug)]
struct Auth {
    realm: String,
    nonce: String,
    key: IntegrityKey,
}

#[derive(Debug, Clone, Copy)]
struct Allocation {
    relayed: SocketAddr,
    mapped: Option<SocketAddr>,
    expires: Instant,
    refresh_at: Instant,
    refreshing: bool,
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
    auth: Option<Auth>,
    stale_nonces: u32,
    transactions: ClientTransactions<Request>,
    allocation: Option<Allocation>,
    permissions: Permissions,
    channels: Channels,
    events: VecDeque<Event>,
    framer: StreamFramer,
    /// What each message of the last [`Client::handle_stream`] call was: relayed data (its
    /// peer and where it lies in the framer's buffer) or consumed. Reused across calls.
    stream_inputs: Vec<Option<(SocketAddr, Range<usize>)>>,
    tls: Option<TlsSession>,
    plaintext: Vec<u8>,
    scratch: Vec<u8>,
    rng: StdRng,
    stats: Stats,
}

impl Client {
    /// A client for `config`; nothing is sent until [`allocate`](Self::allocate).
    pub fn new(config: Config) -> Result<Self, TurnError> {
        // Long-term keys need the realm, which the server tells; check the strings now.
        IntegrityKey::long_term(&config.username, "realm", &config.password)
            .map_err(|_| TurnError::Credentials)?;
        let tls = match config.transport {
            Transport::Tls => Some(TlsSession::new(
                config.tls.as_ref().ok_or(TurnError::TlsConfig)?,
            )?),
            _ => None,
        };
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Ok(Self {
            server: config.server,
            redirected: false,
            state: State::Idle,
            auth: None,
            stale_nonces: 0,
            transactions: ClientTransactions::new(config.retransmit, MAX_TRANSACTIONS),
            allocation: None,
            permissions: Permissions::new(config.max_permissions),
            channels: Channels::new(config.max_channels),
            events: VecDeque::new(),
            framer: StreamFramer::new(config.max_stream_buffer),
            stream_inputs: Vec::new(),
            tls,
            plaintext: Vec::new(),
            scratch: Vec::new(),
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
        if a.refreshing {
            return Ok(());
        }
        a.refreshing = true;
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

    fn finish_close(&mut self) {
        self.state = State::Closed;
        self.allocation = None;
        self.permissions.clear();
        self.channels.clear();
        if let Some(tls) = &mut self.tls {
            tls.close();
        }
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
        let stream = self.config.transport.is_stream();
        let target: &mut Vec<u8> = if self.tls.is_some() {
            &mut self.scratch
        } else {
            &mut *out
        };
        target.clear();
        if let Some(channel) = self.channels.channel_of(peer, now) {
            let msg = ChannelData { channel, data };
            target.resize(msg.buffer_len(stream), 0);
            msg.emit(stream, target)?;
        } else if self.permissions.is_installed(peer.ip(), now) {
            let mut id = [0u8; 12];
            self.rng.fill_bytes(&mut id);
            target.resize(data.len() + 64, 0);
            let n = MessageWriter::indication(Method::SEND, id)
                .xor_peer_address(peer)
                .data(data)
                .encode(None, false, target)?;
            target.truncate(n);
        } else {
            return Err(TurnError::NoPermission(peer.ip()));
        }
        if let Some(tls) = &mut self.tls {
            tls.write_plaintext(&self.scratch)?;
            out.clear();
            tls.drain_tls(out);
        }
        Ok(Transmit {
            transport: self.config.transport,
            source: None,
            destination: self.server,
            contents: out.as_slice(),
        })
    }

    /// Feeds one UDP datagram that arrived. Relayed data comes back borrowed from the
    /// datagram, without a copy. A datagram not from the server is [`Input::NotForUs`].
    pub fn handle_datagram<'a>(&mut self, now: Instant, datagram: Datagram<'a>) -> Input<'a> {
        if datagram.remote != self.server {
            self.stats.dropped_not_from_server += 1;
            return Input::NotForUs;
        }
        let datagram = datagram.contents;
        match datagram.first() {
            Some(0x40..=0x4F) => match ChannelData::parse(datagram) {
                Ok(msg) => match self.channel_peer(msg.channel, now) {
                    Some(peer) => Input::Relayed {
                        peer,
                        data: msg.data,
                    },
                    None => Input::Consumed,
                },
                Err(_) => {
                    self.stats.dropped_malformed += 1;
                    Input::Consumed
                }
            },
            Some(0..=3) => match self.handle_stun(now, datagram) {
                Some((peer, range)) => Input::Relayed {
                    peer,
                    data: &datagram[range],
                },
                None => Input::Consumed,
            },
            _ => {
                self.stats.dropped_malformed += 1;
                Input::NotForUs
            }
        }
    }

    /// Feeds bytes received on the TCP or TLS connection to the server. Every message the
    /// bytes complete is handled at once; what each was comes back as the same [`Input`]
    /// values as from [`handle_datagram`](Self::handle_datagram), in stream order, relayed
    /// data borrowed from the client's stream buffer (valid until the next call). Dropping the
    /// iterator early only skips data. A broken stream fails the client.
    pub fn handle_stream(&mut self, now: Instant, bytes: &[u8]) -> StreamInputs<'_> {
        self.stream_inputs.clear();
        if self.config.transport.is_stream() && !matches!(self.state, State::Failed | State::Closed)
        {
            self.read_stream(now, bytes);
        }
        StreamInputs {
            buffer: self.framer.buffered(),
            inputs: self.stream_inputs.iter(),
        }
    }

    /// Pushes stream bytes (decrypted first over TLS) into the framer and handles every
    /// complete message, noting in `stream_inputs` where relayed data lies.
    fn read_stream(&mut self, now: Instant, bytes: &[u8]) {
        let pushed = match &mut self.tls {
            Some(tls) => {
                self.plaintext.clear();
                match tls.read_tls(bytes, &mut self.plaintext) {
                    Ok(()) => self.framer.push(&self.plaintext).map_err(TurnError::from),
                    Err(e) => Err(e),
                }
            }
            None => self.framer.push(bytes).map_err(TurnError::from),
        };
        if let Err(e) = pushed {
            self.fail(e);
            return;
        }
        let mut framer = std::mem::replace(&mut self.framer, StreamFramer::new(0));
        loop {
            let input = match framer.next_frame_at() {
                Ok(Some((at, Frame::Stun(msg)))) => self
                    .handle_stun(now, msg)
                    .map(|(peer, range)| (peer, at + range.start..at + range.end)),
                Ok(Some((at, Frame::ChannelData(msg)))) => {
                    self.channel_peer(msg.channel, now).map(|peer| {
                        let start = at + crate::channel_data::HEADER_LEN;
                        (peer, start..start + msg.data.len())
                    })
                }
                Ok(None) => break,
                Err(e) => {
                    self.fail(e.into());
                    break;
                }
            };
            self.stream_inputs.push(input);
        }
        self.framer = framer;
    }

    fn channel_peer(&mut self, channel: u16, now: Instant) -> Option<SocketAddr> {
        if self.state != State::Allocated {
            return None;
        }
        let peer = self.channels.peer_of(channel, now);
        if peer.is_none() {
            self.stats.dropped_unknown_channel += 1;
        }
        peer
    }

    /// Handles one STUN message; for a Data indication from a permitted peer, returns the peer
    /// and where its data lies in `bytes`.
    fn handle_stun(
        &mut self,
        now: Instant,
        bytes: &[u8],
    ) -> Option<(SocketAddr, std::ops::Range<usize>)> {
        let Ok(header) = classify(bytes) else {
            self.stats.dropped_malformed += 1;
            return None;
        };
        match header.class {
            Class::Indication if header.method == Method::DATA.0 => {
                self.handle_data_indication(now, bytes)
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                self.handle_response(now, bytes, header.transaction_id);
                None
            }
            // Requests and other indications have no meaning for a client.
            _ => {
                self.stats.dropped_malformed += 1;
                None
            }
        }
    }

    fn handle_data_indication(
        &mut self,
        now: Instant,
        bytes: &[u8],
    ) -> Option<(SocketAddr, std::ops::Range<usize>)> {
        if self.state != State::Allocated {
            return None;
        }
        let Ok(msg) = Message::decode(bytes) else {
            self.stats.dropped_malformed += 1;
            return None;
        };
        let (Some(peer), Some(range)) = (msg.xor_peer_address(), data_range(bytes)) else {
            self.stats.dropped_malformed += 1;
            return None;
        };
        // RFC 8656 §10.4: data from a peer without a permission is not delivered.
        if !self.permissions.is_installed(peer.ip(), now) {
            self.stats.dropped_no_permission += 1;
            return None;
        }
        Some((peer, range))
    }

    fn handle_response(&mut self, now: Instant, bytes: &[u8], id: [u8; 12]) {
        let Some(request) = self.transactions.tag(&id).cloned() else {
            self.stats.dropped_stray += 1;
            return;
        };
        let Ok(msg) = Message::decode(bytes) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        // RFC 8489 §9.2.5: once authenticated, a response other than 400/401/438 must carry a
        // valid MESSAGE-INTEGRITY, or it is discarded as if never received.
        let code = msg.error_code().map(|e| e.code);
        let exempt = matches!(
            code,
            Some(codes::BAD_REQUEST | codes::UNAUTHENTICATED | codes::STALE_NONCE)
        );
        if let Some(auth) = &self.auth {
            if !exempt
                && (msg.class() == Class::SuccessResponse || msg.has_integrity())
                && Message::decode_authenticated(bytes, &auth.key).is_err()
            {
                self.stats.dropped_unauthenticated += 1;
                return;
            }
        }
        if !msg.unknown_comprehension_required().is_empty() {
            // RFC 8489 §6.3.3: unknown comprehension-required attributes in a response
            // fail the transaction; treated as a malformed answer.
            self.stats.dropped_malformed += 1;
            return;
        }
        if self.transactions.complete(now, &id).is_none() {
            return;
        }
        match msg.class() {
            Class::SuccessResponse => {
                self.stale_nonces = 0;
                self.on_success(now, request, &msg);
            }
            _ => {
                let e = msg.error_code().unwrap_or(rtcweb_stun::ErrorCode {
                    code: codes::SERVER_ERROR,
                    reason: String::new(),
                });
                self.on_error(now, request, e.code, &e.reason, &msg);
            }
        }
    }

    fn on_success(&mut self, now: Instant, request: Request, msg: &Message) {
        match request {
            Request::Allocate => {
                if self.state != State::Allocating {
                    return;
                }
                let Some(relayed) = msg.xor_relayed_address() else {
                    self.fail(TurnError::MalformedResponse);
                    return;
                };
                let lifetime = msg
                    .lifetime()
                    .map(|s| Duration::from_secs(u64::from(s)))
                    .unwrap_or(self.config.lifetime);
                let mapped = msg.xor_mapped_address();
                self.allocation = Some(Allocation {
                    relayed,
                    mapped,
                    expires: now + lifetime,
                    refresh_at: now + refresh_delay(lifetime),
                    refreshing: false,
                });
                self.state = State::Allocated;
                self.events.push_back(Event::Allocated {
                    relayed,
                    mapped,
                    lifetime,
                });
            }
            Request::Refresh { lifetime: 0 } => self.finish_close(),
            Request::Refresh { .. } => {
                let lifetime = msg
                    .lifetime()
                    .map(|s| Duration::from_secs(u64::from(s)))
                    .unwrap_or(self.config.lifetime);
                if let Some(a) = &mut self.allocation {
                    a.expires = now + lifetime;
                    a.refresh_at = now + refresh_delay(lifetime);
                    a.refreshing = false;
                    self.events.push_back(Event::Refreshed { lifetime });
                }
            }
            Request::CreatePermission { peers } => {
                for peer in peers {
                    if self.permissions.installed(peer, now) {
                        self.events.push_back(Event::PermissionCreated { peer });
                    }
                }
            }
            Request::ChannelBind { channel, peer } => {
                // RFC 8656 §12.1: a ChannelBind also installs or refreshes the permission.
                self.permissions.installed(peer.ip(), now);
                if self.channels.bound(channel, now) {
                    self.events.push_back(Event::ChannelBound { peer, channel });
                }
            }
        }
    }

    fn on_error(&mut self, now: Instant, request: Request, code: u16, reason: &str, msg: &Message) {
        match code {
            codes::UNAUTHENTICATED if self.auth.is_none() => {
                // RFC 8489 §9.2.4: the challenge carries REALM and NONCE.
                let (Some(realm), Some(nonce)) = (msg.realm(), msg.nonce()) else {
                    return self.request_failed(now, request, TurnError::MalformedResponse);
                };
                match IntegrityKey::long_term(&self.config.username, realm, &self.config.password) {
                    Ok(key) => {
                        self.auth = Some(Auth {
                            realm: realm.to_owned(),
                            nonce: nonce.to_owned(),
                            key,
                        });
                        self.resend(now, request);
                    }
                    Err(_) => self.request_failed(now, request, TurnError::Credentials),
                }
            }
            codes::STALE_NONCE => {
                // RFC 8489 §9.2.5: retry with the new NONCE (and REALM, if it changed).
                self.stale_nonces += 1;
                let (Some(nonce), Some(auth)) = (msg.nonce(), self.auth.as_mut()) else {
                    return self.request_failed(now, request, TurnError::MalformedResponse);
                };
                if self.stale_nonces > MAX_STALE_NONCE_RETRIES {
                    return self.request_failed(now, request, TurnError::StaleNonceLoop);
                }
                auth.nonce = nonce.to_owned();
                if let Some(realm) = msg.realm().filter(|r| *r != auth.realm) {
                    match IntegrityKey::long_term(
                        &self.config.username,
                        realm,
                        &self.config.password,
                    ) {
                        Ok(key) => {
                            auth.realm = realm.to_owned();
                            auth.key = key;
                        }
                        Err(_) => return self.request_failed(now, request, TurnError::Credentials),
                    }
                }
                self.resend(now, request);
            }
            codes::TRY_ALTERNATE if request == Request::Allocate => {
                // RFC 8489 §10: follow ALTERNATE-SERVER, once.
                match msg.alternate_server().filter(|_| !self.redirected) {
                    Some(server) => {
                        self.redirected = true;
                        self.server = server;
                        self.auth = None;
                        self.framer.clear();
                        if let Some(tls_config) = &self.config.tls {
                            if self.tls.is_some() {
                                match TlsSession::new(tls_config) {
                                    Ok(s) => self.tls = Some(s),
                                    Err(e) => return self.fail(e),
                                }
                            }
                        }
                        self.events.push_back(Event::Redirected { server });
                        self.resend(now, Request::Allocate);
                    }
                    None => self.fail(TurnError::BadRedirect),
                }
            }
            // RFC 8656 §7.3: after the allocation exists, 437 on a Refresh, CreatePermission or
            // ChannelBind means the server has no allocation for our 5-tuple any more (e.g. our
            // NAT mapping changed): the allocation is lost.
            codes::ALLOCATION_MISMATCH if request != Request::Allocate => {
                self.fail(TurnError::AllocationMismatch)
            }
            _ => self.request_failed(now, request, TurnError::from_code(code, reason)),
        }
    }

    fn resend(&mut self, now: Instant, request: Request) {
        if let Err(e) = self.send_request(now, request.clone()) {
            self.request_failed(now, request, e);
        }
    }

    fn request_failed(&mut self, now: Instant, request: Request, error: TurnError) {
        match request {
            Request::Allocate => self.fail(error),
            Request::Refresh { lifetime: 0 } => self.finish_close(),
            Request::Refresh { .. } => self.fail(error),
            Request::CreatePermission { peers } => {
                for peer in peers {
                    self.permissions.failed(peer, now);
                    self.events.push_back(Event::PermissionFailed {
                        peer,
                        error: error.clone(),
                    });
                }
            }
            Request::ChannelBind { channel, peer } => {
                self.channels.failed(channel, now);
                self.events
                    .push_back(Event::ChannelBindFailed { peer, error });
            }
        }
    }

    fn send_request(&mut self, now: Instant, request: Request) -> Result<(), TurnError> {
        let mut id = [0u8; 12];
        self.rng.fill_bytes(&mut id);
        let method = match request {
            Request::Allocate => Method::ALLOCATE,
            Request::Refresh { .. } => Method::REFRESH,
            Request::CreatePermission { .. } => Method::CREATE_PERMISSION,
            Request::ChannelBind { .. } => Method::CHANNEL_BIND,
        };
        let mut w = MessageWriter::request(method, id);
        if let Some(software) = &self.config.software {
            w = w.software(software)?;
        }
        match &request {
            Request::Allocate => {
                w = w
                    .requested_transport_udp()
                    .lifetime(lifetime_secs(self.config.lifetime));
            }
            Request::Refresh { lifetime } => w = w.lifetime(*lifetime),
            Request::CreatePermission { peers } => {
                for ip in peers {
                    // RFC 8656 §9: only the IP of XOR-PEER-ADDRESS matters.
                    w = w.xor_peer_address(SocketAddr::new(*ip, 0));
                }
            }
            Request::ChannelBind { channel, peer } => {
                w = w.channel_number(*channel).xor_peer_address(*peer);
            }
        }
        let bytes = match &self.auth {
            Some(auth) => w
                .username(&self.config.username)?
                .realm(&auth.realm)?
                .nonce(&auth.nonce)?
                .to_vec(Some((&auth.key, IntegrityAlgorithm::Sha1)), true)?,
            None => w.to_vec(None, true)?,
        };
        debug_assert!(bytes.len() <= MAX_STUN);
        self.transactions
            .start(
                now,
                id,
                bytes,
                self.config.transport,
                None,
                self.server,
                request,
            )
            .map_err(|_| TurnError::TooManyRequests)
    }

    /// Sends what is due: allocation, permission and channel refreshes; retransmissions;
    /// timeouts. Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
        while let Some(t) = self.transactions.poll_timed_out() {
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
        if now >= a.expires {
            return self.fail(TurnError::Timeout {
                server: self.server,
            });
        }
        if !a.refreshing && now >= a.refresh_at {
            let _ = self.refresh(now);
        }
        let due = self.permissions.take_due(now);
        if !due.is_empty() {
            if let Err(e) = self.send_request(now, Request::CreatePermission { peers: due.clone() })
            {
                self.request_failed(now, Request::CreatePermission { peers: due }, e);
            }
        }
        for (channel, peer) in self.channels.take_due(now) {
            if let Err(e) = self.send_request(now, Request::ChannelBind { channel, peer }) {
                self.request_failed(now, Request::ChannelBind { channel, peer }, e);
            }
        }
    }

    /// The next deadline: a retransmission, a timeout or a refresh; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.transactions.poll_timeout();
        if self.state == State::Allocated {
            let refresh = self.allocation.map(|a| {
                if a.refreshing {
                    a.expires
                } else {
                    a.refresh_at
                }
            });
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

    /// The next bytes to send to the server. Over TLS these are TLS records, the handshake
    /// included.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        match &mut self.tls {
            None => self.transactions.poll_transmit(),
            Some(tls) => {
                while let Some(t) = self.transactions.poll_transmit() {
                    if tls.write_plaintext(&t.contents).is_err() {
                        break;
                    }
                }
                let mut out = Vec::new();
                tls.drain_tls(&mut out);
                (!out.is_empty()).then_some(Transmit {
                    transport: Transport::Tls,
                    source: None,
                    destination: self.server,
                    contents: out,
                })
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether the TLS handshake is still going on (always `false` without TLS).
    pub fn is_handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.is_handshaking())
    }
}

fn lifetime_secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// When to refresh something that lives `lifetime`: a minute early, or at half-life if it is
/// short.
fn refresh_delay(lifetime: Duration) -> Duration {
    if lifetime > Duration::from_secs(120) {
        lifetime - Duration::from_secs(60)
    } else {
        lifetime / 2
    }
}

/// Where the value of the DATA attribute (0x0013) lies in a STUN message that passed
/// [`classify`].
fn data_range(msg: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut offset = rtcweb_stun::HEADER_LEN;
    while offset + 4 <= msg.len() {
        let attr_type = u16::from_be_bytes([msg[offset], msg[offset + 1]]);
        let len = usize::from(u16::from_be_bytes([msg[offset + 2], msg[offset + 3]]));
        let start = offset + 4;
        if start + len > msg.len() {
            return None;
        }
        if attr_type == 0x0013 {
            return Some(start..start + len);
        }
        offset = start + ((len + 3) & !3);
    }
    None
}
