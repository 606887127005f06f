//! The DTLS 1.2 state machine of one association, both roles: record processing, flights and
//! their retransmission, events. The role-specific handshake steps are in `client.rs` and
//! `server.rs`.

mod client;
mod server;
#[cfg(test)]
pub(crate) mod test_util;
mod tls13;

use std::collections::VecDeque;
use std::ops::Range;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use ring::rand::SystemRandom;

use crate::certificate::{Fingerprint, check_peer_certificate};
use crate::config::{Config, Role};
use crate::crypto::key_schedule::{self, MasterSecret};
use crate::crypto::kx::EphemeralKey;
use crate::crypto::peer_key::PeerKey;
use crate::crypto::record_cipher::RecordCipher;
use crate::error::{ConfigError, Error};
use crate::event::{Connected, Event, SrtpKeying};
use crate::handshake::cookie::CookieKey;
use crate::handshake::flight::{FlightItem, pack};
use crate::handshake::reassembly::{Inserted, Message, Reassembler};
use crate::prepared_keys::PreparedKeys;
use crate::record_layer::{OpenError, RecordLayer};
use crate::stats::Stats;
use crate::wire::alert::{Alert, AlertDescription, AlertLevel};
use crate::wire::code_points::{
    AuthKind, BulkCipher, CipherSuite, NamedGroup, PrfHash, ProtocolVersion, SignatureScheme,
    SrtpProfile,
};
use crate::wire::handshake::{Fragment, HandshakeType, whole_message};
use crate::wire::record::{ContentType, MAX_PLAINTEXT, Record};

/// The exporter label of DTLS-SRTP (RFC 5764 §4.2).
pub const SRTP_EXPORTER_LABEL: &str = "EXTRACTOR-dtls_srtp";

/// Epoch-1 records kept while their keys are not derived yet, and early application data
/// kept until the handshake completes (reordering on the path).
const MAX_EARLY_RECORDS: usize = 16;

/// `now + d`, or a far but representable deadline when that overflows.
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(86_400 * 365)))
        .unwrap_or(now)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshaking,
    Connected,
    Closed,
    Failed,
}

/// Where the handshake is: the next message we expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    // Client.
    WaitServerHello,
    WaitServerCertificate,
    WaitServerKeyExchange,
    WaitCertificateRequestOrDone,
    WaitServerHelloDone,
    WaitServerFinished,
    // Server.
    Listen,
    WaitClientCertificate,
    WaitClientKeyExchange,
    WaitCertificateVerify,
    WaitClientFinished,
    // Both.
    Done,
}

/// The negotiated parameters and the data of the handshake in progress.
#[derive(Debug)]
struct Handshake {
    client_random: [u8; 32],
    server_random: [u8; 32],
    suite: CipherSuite,
    cipher: BulkCipher,
    hash: PrfHash,
    auth: AuthKind,
    group: NamedGroup,
    srtp: Option<SrtpProfile>,
    /// Every handshake message so far as if sent whole (RFC 6347 §4.2.6), minus the first
    /// ClientHello and the HelloVerifyRequest.
    transcript: Vec<u8>,
    kx: Option<EphemeralKey>,
    /// Client: the server's ephemeral public key, until ClientKeyExchange.
    peer_kx_public: Vec<u8>,
    peer_certificate: Option<Vec<u8>>,
    peer_key: Option<PeerKey>,
    peer_fingerprint: Option<Fingerprint>,
    master: Option<MasterSecret>,
    /// Client: the server asked for our certificate.
    certificate_requested: bool,
    /// Client: the cookie of the last HelloVerifyRequest.
    cookie: Vec<u8>,
    /// Client: HelloVerifyRequests received.
    hello_verify_requests: u8,
    /// Client offering DTLS 1.3: our key shares (RFC 8446 §4.2.8), kept until the
    /// ServerHello says which version won.
    key_shares13: Vec<crate::crypto::key_share13::ClientKeyShare>,
    /// Server offering DTLS 1.3: an X25519 key made with the connection, before any
    /// ClientHello, for the 1.3 share (X25519MLKEM768 or x25519) the client's asks for.
    server_x25519: Option<EphemeralKey>,
}

impl Handshake {
    fn new() -> Self {
        Self {
            client_random: [0; 32],
            server_random: [0; 32],
            suite: CipherSuite(0),
            cipher: BulkCipher::Aes128Gcm,
            hash: PrfHash::Sha256,
            auth: AuthKind::Ecdsa,
            group: NamedGroup(0),
            srtp: None,
            transcript: Vec::new(),
            kx: None,
            peer_kx_public: Vec::new(),
            peer_certificate: None,
            peer_key: None,
            peer_fingerprint: None,
            master: None,
            certificate_requested: false,
            cookie: Vec::new(),
            hello_verify_requests: 0,
            key_shares13: Vec::new(),
            server_x25519: None,
        }
    }

    fn add_to_transcript(&mut self, msg_type: HandshakeType, seq: u16, body: &[u8]) {
        self.transcript
            .extend_from_slice(&whole_message(msg_type, seq, body));
    }

    fn set_suite(&mut self, suite: CipherSuite) -> bool {
        let Some((cipher, hash, auth)) = suite.params() else {
            return false;
        };
        self.suite = suite;
        self.cipher = cipher;
        self.hash = hash;
        self.auth = auth;
        true
    }
}

/// The flight retransmission timer (RFC 6347 §4.2.4.1).
#[derive(Debug, Clone, Copy)]
struct Retransmit {
    at: Instant,
    timeout: Duration,
    count: u32,
}

/// A DTLS 1.2 association with one peer, client or server: a sans-IO state machine.
///
/// Feed it datagrams ([`handle_datagram`](Self::handle_datagram)) and timeouts
/// ([`handle_timeout`](Self::handle_timeout)); after each input drain
/// [`poll_transmit_into`](Self::poll_transmit_into) and [`poll_event`](Self::poll_event), and wait
/// until [`poll_timeout`](Self::poll_timeout). See the crate docs for the loop.
pub struct Connection {
    role: Role,
    config: Config,
    state: State,
    step: Step,
    rng: StdRng,
    sys_rng: SystemRandom,
    records: RecordLayer,
    /// Epoch our alerts and application data go out in.
    write_epoch: u16,
    reassembler: Reassembler,
    hs: Handshake,
    cookie_key: Option<CookieKey>,
    /// The last flight we sent, kept for retransmission.
    flight: Vec<FlightItem>,
    /// `message_seq` of our next handshake message.
    next_send_seq: u16,
    retransmit: Option<Retransmit>,
    /// `message_seq` and epoch of the last message of the peer's flight we answered: seeing
    /// it again, in the same epoch, means the peer lost our answer (RFC 6347 §4.2.4). After
    /// our last flight that message is the peer's Finished in epoch 1, so only an
    /// authenticated record can ask for the flight again.
    peer_flight_last: Option<(u16, u16)>,
    /// `message_seq` and epoch of the last handshake message the peer completed.
    last_peer_message: Option<(u16, u16)>,
    /// Retransmissions the peer may still provoke for the current flight: a bound on what
    /// replayed or forged epoch-0 fragments can make us send (RFC 6347 §4.2.4 does not want
    /// a retransmission per copy).
    peer_retransmit_budget: u32,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    early_records: Vec<Vec<u8>>,
    early_data: Vec<Vec<u8>>,
    stats: Stats,
    scratch: Vec<u8>,
    /// Once DTLS 1.3 is chosen, the 1.3 machine every call goes to.
    v13: Option<Box<tls13::Tls13>>,
    /// Client offering 1.3: datagram tails with 1.3 records (unified headers) that
    /// overtook the ServerHello, for the 1.3 machine once it exists.
    pending13: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("step", &self.step)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn new(role: Role, config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        // A server always has a cookie key: DTLS 1.3 HelloRetryRequest cookies carry state
        // even when `cookies` is off (RFC 8446 §4.2.2).
        let cookie_key = (role == Role::Server).then(|| {
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            CookieKey::new(&secret)
        });
        Ok(Self {
            role,
            state: State::Handshaking,
            step: match role {
                Role::Client => Step::WaitServerHello,
                Role::Server => Step::Listen,
            },
            rng,
            sys_rng: SystemRandom::new(),
            records: RecordLayer::default(),
            write_epoch: 0,
            reassembler: Reassembler::new(config.max_message_len, config.max_reassembly),
            hs: Handshake::new(),
            cookie_key,
            flight: Vec::new(),
            next_send_seq: 0,
            retransmit: None,
            peer_flight_last: None,
            last_peer_message: None,
            peer_retransmit_budget: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            early_records: Vec::new(),
            early_data: Vec::new(),
            stats: Stats::default(),
            scratch: Vec::new(),
            v13: None,
            pending13: Vec::new(),
            config,
        })
    }

    /// Moves what the 1.3 machine continues with out of this connection (which then only
    /// forwards to it). `epoch0_sequence` is the next epoch-0 record sequence number.
    fn hand_over(&mut self, epoch0_sequence: u64) -> tls13::Common {
        let max_message = self.config.max_message_len;
        let max_total = self.config.max_reassembly;
        self.retransmit = None;
        self.flight.clear();
        tls13::Common {
            config: self.config.clone(),
            rng: StdRng::from_rng(&mut self.rng),
            reassembler: std::mem::replace(
                &mut self.reassembler,
                Reassembler::new(max_message, max_total),
            ),
            transmits: std::mem::take(&mut self.transmits),
            events: std::mem::take(&mut self.events),
            stats: self.stats,
            next_send_seq: self.next_send_seq,
            epoch0_sequence,
            server_x25519: self.hs.server_x25519.take(),
        }
    }

    /// The negotiated DTLS version, once known: 1.3 as soon as the peer chose it, 1.2 once
    /// connected with 1.2.
    pub fn version(&self) -> Option<ProtocolVersion> {
        if self.v13.is_some() {
            Some(ProtocolVersion::DTLS_1_3)
        } else if self.state == State::Connected {
            Some(ProtocolVersion::DTLS_1_2)
        } else {
            None
        }
    }

    /// Sends a DTLS 1.3 KeyUpdate (RFC 8446 §4.6.3, RFC 9147 §8): once the peer
    /// acknowledges it, our records use the next epoch's keys. Does nothing under DTLS 1.2
    /// (which has no key update) or while an update is in flight.
    pub fn update_keys(&mut self, now: Instant) -> Result<(), Error> {
        match self.v13.as_mut() {
            Some(t) => t.update_keys(now),
            None if self.state == State::Connected => Ok(()),
            None => Err(Error::NotConnected),
        }
    }

    /// A client: sends its ClientHello at once (drain
    /// [`poll_transmit_into`](Self::poll_transmit_into)).
    pub fn client(now: Instant, config: Config) -> Result<Self, ConfigError> {
        Self::client_prepared(now, config, PreparedKeys::none())
    }

    /// A client whose ClientHello uses keys made ahead
    /// ([`PreparedKeys::generate`]) where they fit its key shares; the rest it makes now.
    pub fn client_prepared(
        now: Instant,
        config: Config,
        mut keys: PreparedKeys,
    ) -> Result<Self, ConfigError> {
        let mut c = Self::new(Role::Client, config)?;
        c.rng.fill_bytes(&mut c.hs.client_random);
        if c.config.versions.allows_dtls13() {
            let groups: Vec<NamedGroup> = c
                .config
                .tls13_groups
                .iter()
                .copied()
                .take(c.config.tls13_key_shares)
                .collect();
            let offer = crate::crypto::key_share13::ClientKeyShare::offer(
                &c.sys_rng,
                &groups,
                &mut keys.ahead,
            );
            match offer {
                Ok(shares) => c.hs.key_shares13 = shares,
                Err(e) => {
                    c.fail(e);
                    return Ok(c);
                }
            }
        }
        if let Err(e) = c.send_client_hello(now) {
            c.fail(e);
        }
        Ok(c)
    }

    /// A server: waits for a ClientHello. It keeps no state and sends nothing until a
    /// ClientHello with a valid cookie arrives, so `now` is not used yet; it is taken so that
    /// both roles are made alike.
    ///
    /// A server that allows DTLS 1.3 with an X25519-based group makes its X25519 key here,
    /// so that the work is done before the ClientHello comes (the owner can make the server
    /// while it waits for the peer) and not on the handshake's critical path.
    pub fn server(now: Instant, config: Config) -> Result<Self, ConfigError> {
        Self::server_prepared(now, config, PreparedKeys::none())
    }

    /// A server whose X25519 key was made ahead ([`PreparedKeys::generate`]); as
    /// [`server`](Self::server) otherwise.
    pub fn server_prepared(
        _now: Instant,
        config: Config,
        mut keys: PreparedKeys,
    ) -> Result<Self, ConfigError> {
        let mut s = Self::new(Role::Server, config)?;
        let x25519_groups = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        if s.config.versions.allows_dtls13()
            && s.config
                .tls13_groups
                .iter()
                .any(|g| x25519_groups.contains(g))
        {
            // A failure here is not fatal: the key is made when the ClientHello comes.
            s.hs.server_x25519 = match keys.ahead.x25519.take() {
                Some(key) => Some(key),
                None => EphemeralKey::generate(&s.sys_rng, NamedGroup::X25519).ok(),
            };
        }
        Ok(s)
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// True once the handshake completed, until closed or failed.
    pub fn is_connected(&self) -> bool {
        if let Some(t) = &self.v13 {
            return t.is_connected();
        }
        self.state == State::Connected
    }

    /// True after close, a close_notify from the peer, or a failure.
    pub fn is_closed(&self) -> bool {
        if let Some(t) = &self.v13 {
            return t.is_closed();
        }
        matches!(self.state, State::Closed | State::Failed)
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        if let Some(t) = &self.v13 {
            return t.stats();
        }
        self.stats
    }

    /// Writes the next datagram to send into `buf` (cleared first) and returns true, or
    /// returns false when there is nothing to send. The owner sends it on the path it chose
    /// (the ICE agent's selected pair in a peer connection).
    pub fn poll_transmit_into(&mut self, buf: &mut Vec<u8>) -> bool {
        if let Some(t) = &mut self.v13 {
            return t.poll_transmit_into(buf);
        }
        match self.transmits.pop_front() {
            Some(mut datagram) => {
                // The queued datagram becomes the caller's buffer: no copy.
                std::mem::swap(buf, &mut datagram);
                true
            }
            None => false,
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(t) = &mut self.v13 {
            return t.poll_event();
        }
        self.events.pop_front()
    }

    /// Whether more of the flight just handed out is still to come, due at once (see
    /// [`poll_timeout`](Self::poll_timeout)): a DTLS 1.3 server sends its ServerHello before
    /// it makes the rest of its flight. A transport that carries flights whole (SPED) waits
    /// for the rest.
    pub fn flight_continues(&self) -> bool {
        self.v13.as_ref().is_some_and(|t| t.flight_continues())
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next: the flight retransmission
    /// deadline during the handshake, `None` otherwise.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Some(t) = &self.v13 {
            return t.poll_timeout();
        }
        match self.state {
            State::Handshaking => self.retransmit.map(|r| r.at),
            _ => None,
        }
    }

    /// Retransmits the last flight if its timer expired (RFC 6347 §4.2.4.1), doubling the
    /// timeout up to the ceiling; fails after the configured number of retransmissions.
    /// Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(t) = &mut self.v13 {
            return t.handle_timeout(now);
        }
        if self.state != State::Handshaking {
            return;
        }
        let Some(r) = self.retransmit else { return };
        if now < r.at {
            return;
        }
        if r.count >= self.config.max_retransmissions {
            self.fail(Error::Timeout);
            return;
        }
        let timeout = r.timeout.saturating_mul(2).min(self.config.max_retransmit);
        self.retransmit = Some(Retransmit {
            at: later(now, timeout),
            timeout,
            count: r.count + 1,
        });
        tracing::debug!(role = ?self.role, step = ?self.step, "retransmitting flight on timeout");
        if let Err(e) = self.transmit_flight(true) {
            self.fail(e);
        }
    }

    /// The path to the peer has just been proved (ICE validated a pair): the flight in
    /// flight is retransmitted from the initial timeout again, with its retransmission
    /// count back at zero, as if it had just been sent. For a handshake that started
    /// before there was a path (SPED, draft-hancke-webrtc-sped): retransmissions while
    /// nothing could arrive neither slow the recovery from a loss on the new path nor count
    /// towards the limit (RFC 6347 §4.2.4.1 leaves the timer values to the
    /// implementation). Nothing happens once the handshake is over.
    pub fn restart_retransmit_timer(&mut self, now: Instant) {
        if let Some(t) = &mut self.v13 {
            return t.restart_retransmit_timer(now);
        }
        if self.state != State::Handshaking {
            return;
        }
        if let Some(r) = self.retransmit.as_mut() {
            r.timeout = self.config.initial_retransmit;
            r.at = later(now, r.timeout);
            r.count = 0;
        }
    }

    /// Handles one datagram from the peer: every record in it. Bad records are counted in
    /// [`stats`](Self::stats) and dropped; fatal errors end in [`Event::Failed`].
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        if let Some(t) = &mut self.v13 {
            return t.handle_datagram(now, datagram);
        }
        if self.is_closed() {
            return;
        }
        self.stats.datagrams_received += 1;
        let mut retransmit = false;
        let mut rest = datagram;
        while !rest.is_empty() {
            if self.keep_for_dtls13(rest) {
                break;
            }
            let (record, tail) = match Record::parse(rest) {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(error = %e, "dropping malformed record");
                    self.stats.records_malformed += 1;
                    break;
                }
            };
            let raw = &rest[..rest.len() - tail.len()];
            rest = tail;
            self.stats.records_received += 1;
            if let Err(e) = self.handle_record(now, &record, raw, &mut retransmit) {
                self.fail(e);
                return;
            }
            if let Some(t) = &mut self.v13 {
                // DTLS 1.3 was chosen by this record: the rest is the 1.3 machine's.
                t.handle_datagram_tail(now, rest);
                return;
            }
            if self.is_closed() {
                return;
            }
        }
        self.peer_retransmitted(retransmit);
    }

    /// A client that offered DTLS 1.3 keeps 1.3 records (unified header, RFC 9147 §4) that
    /// overtook the ServerHello, for the 1.3 machine; true when `rest` was kept or dropped.
    fn keep_for_dtls13(&mut self, rest: &[u8]) -> bool {
        let first = rest.first().copied().unwrap_or(0);
        if !crate::wire::unified_header::is_unified_header(first) {
            return false;
        }
        if self.role == Role::Client
            && self.step == Step::WaitServerHello
            && !self.hs.key_shares13.is_empty()
            && self.pending13.len() < MAX_EARLY_RECORDS
        {
            self.pending13.push(rest.to_vec());
        } else {
            self.stats.records_dropped += 1;
        }
        true
    }

    /// [`handle_datagram`](Self::handle_datagram) for owners that own the receive buffer:
    /// application data records of the established connection are decrypted where they lie
    /// in `datagram` and their plaintexts appended to `plaintexts` as ranges of it, in order,
    /// instead of being copied into [`Event::ApplicationData`]. No copy and no allocation per
    /// record (the receiving counterpart of [`send_into`](Self::send_into)).
    ///
    /// Everything else is as in `handle_datagram`: handshake records, alerts and
    /// close_notify, and data that arrived before the handshake completed, which is still
    /// reported as [`Event::ApplicationData`] after [`Event::Connected`]. Bytes of
    /// `datagram` outside the returned ranges are unspecified afterwards.
    pub fn handle_datagram_in_place(
        &mut self,
        now: Instant,
        datagram: &mut [u8],
        plaintexts: &mut Vec<Range<usize>>,
    ) {
        if let Some(t) = &mut self.v13 {
            return t.handle_datagram_in_place(now, datagram, plaintexts);
        }
        if self.is_closed() {
            return;
        }
        self.stats.datagrams_received += 1;
        let mut retransmit = false;
        let mut at = 0;
        while at < datagram.len() {
            if self.keep_for_dtls13(&datagram[at..]) {
                break;
            }
            let (record, tail) = match Record::parse(&datagram[at..]) {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(error = %e, "dropping malformed record");
                    self.stats.records_malformed += 1;
                    break;
                }
            };
            let end = datagram.len() - tail.len();
            self.stats.records_received += 1;
            if record.epoch == 1
                && record.content_type == ContentType::APPLICATION_DATA
                && self.state == State::Connected
            {
                let (seq, version) = (record.sequence, record.version);
                let start = end - record.fragment.len();
                let opened = self.records.open_in_place(
                    1,
                    seq,
                    ContentType::APPLICATION_DATA,
                    version,
                    &mut datagram[start..end],
                );
                match opened {
                    Ok(r) => {
                        self.stats.application_records_received += 1;
                        plaintexts.push(start + r.start..start + r.end);
                    }
                    Err(e) => self.count_unopened(e),
                }
            } else {
                if let Err(e) =
                    self.handle_record(now, &record, &datagram[at..end], &mut retransmit)
                {
                    self.fail(e);
                    return;
                }
                if let Some(t) = &mut self.v13 {
                    t.handle_datagram_tail(now, &datagram[end..]);
                    return;
                }
                if self.is_closed() {
                    return;
                }
            }
            at = end;
        }
        self.peer_retransmitted(retransmit);
    }

    /// The peer repeated the flight we answered: resend ours, once per datagram at most and
    /// a bounded number of times per flight (RFC 6347 §4.2.4).
    fn peer_retransmitted(&mut self, retransmit: bool) {
        if !retransmit || self.is_closed() {
            return;
        }
        if self.peer_retransmit_budget == 0 {
            tracing::debug!(role = ?self.role, "peer retransmission budget spent");
            return;
        }
        self.peer_retransmit_budget -= 1;
        self.stats.retransmissions += 1;
        if let Err(e) = self.transmit_flight(false) {
            self.fail(e);
        }
    }

    /// Counts a protected record that could not be opened (and is dropped).
    fn count_unopened(&mut self, error: OpenError) {
        match error {
            OpenError::NoKeys => self.stats.records_dropped += 1,
            OpenError::BadMac => self.stats.records_bad_mac += 1,
            OpenError::Replayed => self.stats.records_replayed += 1,
        }
    }

    /// Sends `data` as one application data record (after the handshake): queued as one
    /// datagram for [`poll_transmit_into`](Self::poll_transmit_into).
    pub fn send(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        if let Some(t) = &mut self.v13 {
            return t.send(now, data);
        }
        let mut out = Vec::with_capacity(data.len() + 48);
        self.send_into(now, data, &mut out)?;
        self.stats.datagrams_sent += 1;
        self.transmits.push_back(out);
        Ok(())
    }

    /// Appends one application data record carrying `data` to `out` instead of queueing a
    /// datagram: the allocation-free path for owners that manage their own buffers.
    /// The record layer does not use `now` (no timer runs once connected); it is taken as
    /// every command of the stack takes it.
    pub fn send_into(
        &mut self,
        _now: Instant,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if let Some(t) = &mut self.v13 {
            return t.send_into(_now, data, out);
        }
        match self.state {
            State::Connected => {}
            State::Handshaking => return Err(Error::NotConnected),
            State::Closed | State::Failed => return Err(Error::Closed),
        }
        if data.len() > MAX_PLAINTEXT {
            return Err(Error::DataTooLong { len: data.len() });
        }
        self.records
            .write(1, ContentType::APPLICATION_DATA, data, out)?;
        self.stats.application_records_sent += 1;
        Ok(())
    }

    /// Closes the connection: sends close_notify (RFC 5246 §7.2.1) and reports
    /// [`Event::Closed`]. Nothing is sent or received afterwards.
    pub fn close(&mut self, _now: Instant) {
        if let Some(t) = &mut self.v13 {
            return t.close();
        }
        if self.is_closed() {
            return;
        }
        self.send_alert(AlertLevel::Warning, AlertDescription::CLOSE_NOTIFY);
        self.state = State::Closed;
        self.retransmit = None;
        self.events.push_back(Event::Closed);
    }

    /// RFC 5705 keying material exporter: `len` bytes for `label` and an optional context
    /// (at most 65535 bytes). Available once connected.
    pub fn export_keying_material(
        &self,
        label: &str,
        context: Option<&[u8]>,
        len: usize,
    ) -> Result<Vec<u8>, Error> {
        if let Some(t) = &self.v13 {
            return t.export_keying_material(label, context, len);
        }
        if self.state != State::Connected {
            return Err(Error::NotConnected);
        }
        if context.is_some_and(|c| c.len() > usize::from(u16::MAX)) {
            return Err(Error::DataTooLong {
                len: context.map_or(0, <[u8]>::len),
            });
        }
        let master = self.hs.master.as_ref().ok_or(Error::NotConnected)?;
        Ok(key_schedule::export(
            self.hs.hash,
            master,
            label.as_bytes(),
            &self.hs.client_random,
            &self.hs.server_random,
            context,
            len,
        ))
    }

    // ---- records ----

    fn handle_record(
        &mut self,
        now: Instant,
        record: &Record<'_>,
        raw: &[u8],
        retransmit: &mut bool,
    ) -> Result<(), Error> {
        match record.epoch {
            0 => self.dispatch(
                now,
                record.content_type,
                0,
                record.sequence,
                record.fragment,
                retransmit,
            ),
            1 => {
                let mut buf = std::mem::take(&mut self.scratch);
                let opened = self.records.open(
                    1,
                    record.sequence,
                    record.content_type,
                    record.version,
                    record.fragment,
                    &mut buf,
                );
                let result = match opened {
                    Ok(()) => {
                        if record.content_type == ContentType::APPLICATION_DATA {
                            self.application_data(buf);
                            return Ok(());
                        }
                        self.dispatch(
                            now,
                            record.content_type,
                            1,
                            record.sequence,
                            &buf,
                            retransmit,
                        )
                    }
                    Err(OpenError::NoKeys) => {
                        // A listening server keeps nothing (no state before a cookie).
                        if self.state == State::Handshaking
                            && self.step != Step::Listen
                            && self.early_records.len() < MAX_EARLY_RECORDS
                        {
                            self.early_records.push(raw.to_vec());
                        } else {
                            self.stats.records_dropped += 1;
                        }
                        Ok(())
                    }
                    Err(e) => {
                        self.count_unopened(e);
                        Ok(())
                    }
                };
                self.scratch = buf;
                result
            }
            _ => {
                self.stats.records_dropped += 1;
                Ok(())
            }
        }
    }

    fn application_data(&mut self, data: Vec<u8>) {
        match self.state {
            State::Connected => {
                self.stats.application_records_received += 1;
                self.events.push_back(Event::ApplicationData(data));
            }
            // Data that overtook the peer's Finished (reordering): keep it a moment.
            State::Handshaking if self.early_data.len() < MAX_EARLY_RECORDS => {
                self.early_data.push(data);
            }
            _ => self.stats.records_dropped += 1,
        }
    }

    fn dispatch(
        &mut self,
        now: Instant,
        content_type: ContentType,
        epoch: u16,
        record_seq: u64,
        plaintext: &[u8],
        retransmit: &mut bool,
    ) -> Result<(), Error> {
        match content_type {
            ContentType::HANDSHAKE => {
                let mut rest = plaintext;
                while !rest.is_empty() {
                    let (fragment, tail) = match Fragment::parse(rest) {
                        Ok(f) => f,
                        Err(_) => {
                            self.stats.fragments_dropped += 1;
                            break;
                        }
                    };
                    rest = tail;
                    self.insert_fragment(epoch, record_seq, &fragment, retransmit);
                }
                self.process_messages(now)
            }
            ContentType::CHANGE_CIPHER_SPEC => {
                // RFC 5246 §7.1: one byte, 1. Keys switch with the epoch field, so nothing
                // else to do (a ChangeCipherSpec reordered after Finished is harmless).
                if plaintext != [1] {
                    self.stats.records_dropped += 1;
                }
                Ok(())
            }
            ContentType::ALERT => self.handle_alert(epoch, plaintext),
            _ => {
                // Application data in epoch 0, or an unknown content type.
                self.stats.records_dropped += 1;
                Ok(())
            }
        }
    }

    fn insert_fragment(
        &mut self,
        epoch: u16,
        record_seq: u64,
        fragment: &Fragment<'_>,
        retransmit: &mut bool,
    ) {
        if self.step == Step::Listen {
            // Stateless until a valid ClientHello: only ClientHello fragments in epoch 0,
            // reassembled from whatever message_seq the client uses.
            if fragment.msg_type != HandshakeType::CLIENT_HELLO || epoch != 0 {
                self.stats.fragments_dropped += 1;
                return;
            }
            let next = self.reassembler.next_seq();
            if fragment.message_seq != next
                && (self.reassembler.buffered() == 0 || fragment.message_seq > next)
            {
                self.reassembler.reset(fragment.message_seq);
            }
        }
        match self.reassembler.insert(epoch, record_seq, fragment) {
            Inserted::Buffered => {}
            Inserted::Old { seq } => {
                if self.peer_flight_last == Some((seq, epoch)) && !self.flight.is_empty() {
                    *retransmit = true;
                }
            }
            Inserted::Dropped(reason) => {
                tracing::debug!(?reason, "dropping handshake fragment");
                self.stats.fragments_dropped += 1;
            }
        }
    }

    fn process_messages(&mut self, now: Instant) -> Result<(), Error> {
        while let Some(msg) = self.reassembler.pop() {
            self.last_peer_message = Some((msg.seq, msg.epoch));
            if self.step == Step::Done {
                // RFC 5746 §4.2 / RFC 6347: we never renegotiate.
                if matches!(
                    msg.msg_type,
                    HandshakeType::HELLO_REQUEST | HandshakeType::CLIENT_HELLO
                ) {
                    self.send_alert(AlertLevel::Warning, AlertDescription::NO_RENEGOTIATION);
                }
                continue;
            }
            match self.role {
                Role::Client => self.client_message(now, msg)?,
                Role::Server => self.server_message(now, msg)?,
            }
            if self.state != State::Handshaking || self.v13.is_some() {
                break;
            }
        }
        Ok(())
    }

    fn handle_alert(&mut self, epoch: u16, body: &[u8]) -> Result<(), Error> {
        // Once connected, only authenticated alerts count: an epoch-0 alert could be forged.
        if self.state == State::Connected && epoch == 0 {
            self.stats.records_dropped += 1;
            return Ok(());
        }
        let Ok(alert) = Alert::parse(body) else {
            self.stats.records_malformed += 1;
            return Ok(());
        };
        if alert.description == AlertDescription::CLOSE_NOTIFY {
            // RFC 5246 §7.2.1: answer with our own close_notify.
            self.send_alert(AlertLevel::Warning, AlertDescription::CLOSE_NOTIFY);
            self.state = State::Closed;
            self.retransmit = None;
            self.events.push_back(Event::Closed);
            return Ok(());
        }
        match alert.level {
            AlertLevel::Fatal => Err(Error::AlertReceived(alert.description)),
            AlertLevel::Warning => {
                tracing::debug!(alert = %alert.description, "ignoring warning alert");
                Ok(())
            }
        }
    }

    fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        let alert = Alert { level, description }.to_bytes();
        let mut out = Vec::with_capacity(48);
        if self
            .records
            .write(self.write_epoch, ContentType::ALERT, &alert, &mut out)
            .is_ok()
        {
            self.stats.datagrams_sent += 1;
            self.transmits.push_back(out);
        }
    }

    /// Poisons the machine: sends the error's alert if it has one, reports it, stops.
    fn fail(&mut self, error: Error) {
        if self.is_closed() {
            return;
        }
        tracing::debug!(role = ?self.role, %error, "DTLS failed");
        if let Some(alert) = error.alert() {
            self.send_alert(AlertLevel::Fatal, alert);
        }
        self.state = State::Failed;
        self.retransmit = None;
        self.flight.clear();
        self.early_records.clear();
        self.early_data.clear();
        self.events.push_back(Event::Failed(error));
    }

    // ---- flights ----

    /// Appends a handshake message to a flight under construction and to the transcript.
    fn push_message(
        &mut self,
        items: &mut Vec<FlightItem>,
        epoch: u16,
        msg_type: HandshakeType,
        body: Vec<u8>,
    ) {
        let seq = self.next_send_seq;
        self.next_send_seq = self.next_send_seq.wrapping_add(1);
        self.hs.add_to_transcript(msg_type, seq, &body);
        items.push(FlightItem::Handshake {
            epoch,
            msg_type,
            seq,
            body,
        });
    }

    /// Sends a new flight; arms the retransmission timer unless it is our last flight.
    fn send_flight(
        &mut self,
        now: Instant,
        items: Vec<FlightItem>,
        expect_reply: bool,
    ) -> Result<(), Error> {
        if items
            .iter()
            .any(|i| matches!(i, FlightItem::ChangeCipherSpec))
        {
            self.write_epoch = 1;
        }
        self.flight = items;
        self.peer_flight_last = self.last_peer_message;
        self.peer_retransmit_budget = self.config.max_retransmissions;
        self.retransmit = expect_reply.then(|| Retransmit {
            at: later(now, self.config.initial_retransmit),
            timeout: self.config.initial_retransmit,
            count: 0,
        });
        self.transmit_flight(false)
    }

    fn transmit_flight(&mut self, on_timer: bool) -> Result<(), Error> {
        if on_timer {
            self.stats.retransmissions += 1;
        }
        let datagrams = pack(&self.flight, self.config.mtu, &mut self.records)?;
        self.stats.datagrams_sent += datagrams.len() as u64;
        self.transmits.extend(datagrams);
        Ok(())
    }

    // ---- shared handshake steps ----

    /// Checks the peer's Certificate message: a certificate is there, matches the SDP
    /// fingerprint (RFC 8122 §5), and has a key we can verify with.
    fn accept_peer_certificate(&mut self, msg: &Message) -> Result<(), Error> {
        use crate::wire::certificate::CertificateMsg;
        let cert = CertificateMsg::parse(&msg.body)
            .map_err(Error::malformed(HandshakeType::CERTIFICATE))?;
        let der = *cert.chain.first().ok_or(Error::NoCertificate)?;
        let (matched, key) = check_peer_certificate(&self.config.remote_fingerprints, der)?;
        self.hs.peer_fingerprint = Some(matched);
        self.hs.peer_certificate = Some(der.to_vec());
        self.hs.peer_key = Some(key);
        self.hs.add_to_transcript(msg.msg_type, msg.seq, &msg.body);
        Ok(())
    }

    /// Derives the master secret from the pre-master secret and the transcript so far
    /// (which ends with ClientKeyExchange), and installs the epoch-1 keys.
    fn derive_keys(&mut self, pre_master_secret: &[u8]) -> Result<(), Error> {
        let session_hash = key_schedule::transcript_hash(self.hs.hash, &self.hs.transcript);
        let master = key_schedule::extended_master_secret(
            self.hs.hash,
            pre_master_secret,
            session_hash.as_ref(),
        );
        let kb = key_schedule::key_block(
            self.hs.hash,
            self.hs.cipher,
            &master,
            &self.hs.client_random,
            &self.hs.server_random,
        );
        let client = RecordCipher::new(self.hs.cipher, &kb.client_key, &kb.client_iv)?;
        let server = RecordCipher::new(self.hs.cipher, &kb.server_key, &kb.server_iv)?;
        match self.role {
            Role::Client => self.records.install(client, server),
            Role::Server => self.records.install(server, client),
        }
        self.hs.master = Some(master);
        Ok(())
    }

    /// Our Finished over the transcript so far.
    fn finished(&self, client: bool) -> Result<[u8; 12], Error> {
        let master = self.hs.master.as_ref().ok_or(Error::Crypto)?;
        Ok(key_schedule::finished(
            self.hs.hash,
            master,
            client,
            &self.hs.transcript,
        ))
    }

    /// Checks the peer's Finished (RFC 5246 §7.4.9), which must come protected in epoch 1.
    fn verify_peer_finished(&mut self, msg: &Message) -> Result<(), Error> {
        use crate::wire::finished::Finished;
        if msg.epoch != 1 {
            return Err(Error::UnexpectedMessage(msg.msg_type));
        }
        let f = Finished::parse(&msg.body).map_err(Error::malformed(HandshakeType::FINISHED))?;
        let expected = self.finished(self.role == Role::Server)?;
        // Compared in constant time.
        let diff = expected
            .iter()
            .zip(f.verify_data)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Err(Error::BadFinished);
        }
        self.hs.add_to_transcript(msg.msg_type, msg.seq, &msg.body);
        Ok(())
    }

    /// Re-processes epoch-1 records that arrived before their keys.
    fn replay_early_records(&mut self, now: Instant) -> Result<(), Error> {
        let early = std::mem::take(&mut self.early_records);
        for raw in early {
            if let Ok((record, _)) = Record::parse(&raw) {
                let mut retransmit = false;
                self.handle_record(now, &record, &raw, &mut retransmit)?;
            }
        }
        Ok(())
    }

    /// The handshake is complete: report it (with the SRTP keys), then any early data.
    fn complete(&mut self) -> Result<(), Error> {
        let srtp = match self.hs.srtp {
            Some(profile) => {
                let len = profile.keying_material_len().ok_or(Error::Crypto)?;
                self.state = State::Connected;
                let keying_material =
                    self.export_keying_material(SRTP_EXPORTER_LABEL, None, len)?;
                Some(SrtpKeying {
                    profile,
                    keying_material,
                })
            }
            None => None,
        };
        self.state = State::Connected;
        self.step = Step::Done;
        self.hs.kx = None;
        // RFC 6347 §4.2.4: the server's Finished acknowledged the client's last flight, so
        // only the server (which sent the final flight) keeps its flight to resend.
        if self.role == Role::Client {
            self.flight.clear();
        }
        let connected = Connected {
            role: self.role,
            version: ProtocolVersion::DTLS_1_2,
            cipher_suite: self.hs.suite,
            group: self.hs.group,
            srtp,
            peer_certificate: self.hs.peer_certificate.clone().unwrap_or_default(),
            peer_fingerprint: self
                .hs
                .peer_fingerprint
                .clone()
                .ok_or(Error::NoCertificate)?,
        };
        tracing::debug!(role = ?self.role, suite = %connected.cipher_suite, "DTLS connected");
        self.events.push_back(Event::Connected(Box::new(connected)));
        for data in std::mem::take(&mut self.early_data) {
            self.stats.application_records_received += 1;
            self.events.push_back(Event::ApplicationData(data));
        }
        // The transcript is no longer needed; keep the master secret for the exporter.
        self.hs.transcript = Vec::new();
        Ok(())
    }

    fn random(&mut self) -> [u8; 32] {
        let mut r = [0u8; 32];
        self.rng.fill_bytes(&mut r);
        r
    }

    /// The signature schemes we accept from the peer.
    fn verified_schemes() -> &'static [SignatureScheme] {
        &SignatureScheme::VERIFIED
    }
}

#[cfg(test)]
mod tests {
    //! Rules of the state machine easier to pin down from inside than end to end: the
    //! retransmission timer's fields, the retransmission budget, what a listening server keeps.

    use super::test_util::{configs_with, drain, events, start};
    use super::*;

    /// Client and server configurations that accept each other, seeded; DTLS 1.2, whose
    /// machine these tests look into (tests/handshake13.rs has the 1.3 one).
    fn configs() -> (Config, Config) {
        configs_with(crate::Versions::Dtls12, Clone::clone)
    }

    /// Runs the handshake over a perfect, instant link.
    fn connected_pair() -> (Connection, Connection, Instant) {
        let now = start();
        let (c, s) = configs();
        let mut client = Connection::client(now, c).unwrap();
        let mut server = Connection::server(now, s).unwrap();
        for _ in 0..10 {
            for d in drain(&mut client) {
                server.handle_datagram(now, &d);
            }
            for d in drain(&mut server) {
                client.handle_datagram(now, &d);
            }
            if client.is_connected() && server.is_connected() {
                break;
            }
        }
        assert!(client.is_connected() && server.is_connected());
        assert!(matches!(events(&mut client)[..], [Event::Connected(_)]));
        assert!(matches!(events(&mut server)[..], [Event::Connected(_)]));
        (client, server, now)
    }

    #[test]
    fn retransmit_timer_starts_at_the_initial_timeout_doubles_to_the_ceiling_then_fails() {
        // RFC 6347 §4.2.4.1: initial timer, doubled on each retransmission up to a ceiling,
        // and the handshake given up after a bounded number of retransmissions.
        let now = start();
        let (mut c, _) = configs();
        c.initial_retransmit = Duration::from_millis(300);
        c.max_retransmit = Duration::from_millis(1000);
        c.max_retransmissions = 4;
        let mut client = Connection::client(now, c).unwrap();
        assert_eq!(drain(&mut client).len(), 1, "the ClientHello");
        let r = client.retransmit.unwrap();
        assert_eq!(
            (r.at, r.timeout, r.count),
            (
                now + Duration::from_millis(300),
                Duration::from_millis(300),
                0
            )
        );
        assert_eq!(client.poll_timeout(), Some(r.at));

        let mut t = r.at;
        let mut timeouts = Vec::new();
        for count in 1..=4 {
            client.handle_timeout(t);
            let r = client.retransmit.unwrap();
            assert_eq!(r.count, count);
            assert_eq!(
                r.at,
                t + r.timeout,
                "armed from the moment of the retransmission"
            );
            timeouts.push(r.timeout.as_millis());
            assert_eq!(drain(&mut client).len(), 1, "the flight again");
            t = r.at;
        }
        assert_eq!(timeouts, [600, 1000, 1000, 1000]);
        assert_eq!(client.stats().retransmissions, 4);
        assert!(events(&mut client).is_empty());

        // The fifth expiry is one too many.
        client.handle_timeout(t);
        assert_eq!(client.state, State::Failed);
        assert!(client.retransmit.is_none());
        assert_eq!(client.poll_timeout(), None);
        assert_eq!(events(&mut client), [Event::Failed(Error::Timeout)]);
        assert!(
            drain(&mut client).is_empty(),
            "a timeout has no alert to send"
        );
        assert_eq!(client.stats().retransmissions, 4);
    }

    #[test]
    fn restarting_the_timer_goes_back_to_the_initial_timeout_and_count() {
        let now = start();
        let (mut c, _) = configs();
        c.initial_retransmit = Duration::from_millis(100);
        let mut client = Connection::client(now, c).unwrap();
        drain(&mut client);
        let mut t = now;
        for _ in 0..3 {
            t = client.poll_timeout().unwrap();
            client.handle_timeout(t);
        }
        assert_eq!(client.retransmit.unwrap().count, 3);
        client.restart_retransmit_timer(t);
        let r = client.retransmit.unwrap();
        assert_eq!(
            (r.at, r.timeout, r.count),
            (
                t + Duration::from_millis(100),
                Duration::from_millis(100),
                0
            )
        );
        // Once connected there is no timer to restart.
        let (mut client, _, now) = connected_pair();
        client.restart_retransmit_timer(now);
        assert_eq!(client.poll_timeout(), None);
    }

    #[test]
    fn handle_timeout_before_the_deadline_does_nothing() {
        let now = start();
        let (c, _) = configs();
        let mut client = Connection::client(now, c).unwrap();
        drain(&mut client);
        let before = client.retransmit.unwrap();
        client.handle_timeout(before.at - Duration::from_millis(1));
        let after = client.retransmit.unwrap();
        assert_eq!((after.at, after.count), (before.at, before.count));
        assert!(drain(&mut client).is_empty());
    }

    #[test]
    fn poll_timeout_is_none_once_connected_and_only_the_server_keeps_its_last_flight() {
        let (mut client, mut server, now) = connected_pair();
        assert_eq!(client.poll_timeout(), None);
        assert_eq!(server.poll_timeout(), None);
        // RFC 6347 §4.2.4: the server's last flight is resent when the client repeats its
        // Finished; the client's last flight was acknowledged by the server's Finished.
        assert!(client.flight.is_empty());
        assert!(!server.flight.is_empty());
        // A timeout long after changes nothing.
        client.handle_timeout(now + Duration::from_secs(3600));
        server.handle_timeout(now + Duration::from_secs(3600));
        assert!(drain(&mut client).is_empty() && drain(&mut server).is_empty());
        assert!(client.is_connected() && server.is_connected());
    }

    #[test]
    fn a_repeated_peer_flight_is_answered_a_bounded_number_of_times() {
        // RFC 6347 §4.2.4: a peer that repeats the flight we answered lost our answer, so we
        // resend ours; replayed copies must not make us send without bound.
        let now = start();
        let (c, mut s) = configs();
        s.cookies = false;
        s.max_retransmissions = 3;
        let mut client = Connection::client(now, c).unwrap();
        let mut server = Connection::server(now, s).unwrap();
        let hello = drain(&mut client);
        assert_eq!(hello.len(), 1);
        server.handle_datagram(now, &hello[0]);
        let flight = drain(&mut server);
        assert!(!flight.is_empty(), "ServerHello .. ServerHelloDone");
        assert_eq!(server.peer_retransmit_budget, 3);

        // The same ClientHello twice in one datagram counts once.
        let twice = [hello[0].clone(), hello[0].clone()].concat();
        server.handle_datagram(now, &twice);
        assert_eq!(drain(&mut server).len(), flight.len());
        for _ in 0..5 {
            server.handle_datagram(now, &hello[0]);
        }
        assert_eq!(
            drain(&mut server).len(),
            2 * flight.len(),
            "the budget is 3 in all"
        );
        assert_eq!(server.peer_retransmit_budget, 0);
        assert_eq!(server.stats().retransmissions, 3);
        assert!(!server.is_closed());
    }

    #[test]
    fn application_data_is_refused_before_connect_and_after_close() {
        let now = start();
        let (c, _) = configs();
        let mut client = Connection::client(now, c).unwrap();
        drain(&mut client);
        let mut out = b"kept".to_vec();
        assert_eq!(
            client.send_into(now, b"early", &mut out),
            Err(Error::NotConnected)
        );
        assert_eq!(client.send(now, b"early"), Err(Error::NotConnected));
        assert_eq!(out, b"kept", "nothing written on refusal");
        assert!(drain(&mut client).is_empty());

        let (mut client, _, now) = connected_pair();
        client.close(now);
        assert_eq!(client.send(now, b"late"), Err(Error::Closed));
        assert_eq!(client.send_into(now, b"late", &mut out), Err(Error::Closed));
        assert_eq!(out, b"kept");
        assert_eq!(client.stats().application_records_sent, 0);
    }

    #[test]
    fn close_sends_one_close_notify_and_reports_closed_once() {
        // RFC 5246 §7.2.1: close_notify, answered by the peer's own close_notify.
        let (mut client, mut server, now) = connected_pair();
        client.close(now);
        client.close(now);
        let sent = drain(&mut client);
        assert_eq!(sent.len(), 1);
        let (record, rest) = Record::parse(&sent[0]).unwrap();
        assert!(rest.is_empty());
        assert_eq!(record.content_type, ContentType::ALERT);
        assert_eq!(record.epoch, 1, "protected with the connection's keys");
        assert_eq!(events(&mut client), [Event::Closed]);
        assert!(client.is_closed() && !client.is_connected());

        server.handle_datagram(now, &sent[0]);
        assert_eq!(events(&mut server), [Event::Closed]);
        let answer = drain(&mut server);
        assert_eq!(answer.len(), 1, "the server's own close_notify");
        assert_eq!(
            Record::parse(&answer[0]).unwrap().0.content_type,
            ContentType::ALERT
        );
        // Nothing is received once closed.
        let received = client.stats().datagrams_received;
        client.handle_datagram(now, &answer[0]);
        assert_eq!(client.stats().datagrams_received, received);
        assert!(events(&mut client).is_empty());
    }

    #[test]
    fn data_longer_than_a_record_is_refused() {
        // RFC 6347 §4.1 / RFC 5246 §6.2.1: at most 2^14 bytes of plaintext per record.
        let (mut client, mut server, now) = connected_pair();
        let too_long = vec![0u8; MAX_PLAINTEXT + 1];
        assert_eq!(
            client.send(now, &too_long),
            Err(Error::DataTooLong {
                len: MAX_PLAINTEXT + 1
            })
        );
        assert!(drain(&mut client).is_empty());
        assert!(
            client.is_connected(),
            "our mistake does not poison the connection"
        );
        client.send(now, &too_long[1..]).unwrap();
        let sent = drain(&mut client);
        assert_eq!(sent.len(), 1);
        server.handle_datagram(now, &sent[0]);
        assert_eq!(
            events(&mut server),
            [Event::ApplicationData(too_long[1..].to_vec())]
        );
    }

    #[test]
    fn poll_transmit_into_hands_over_one_queued_datagram_per_call() {
        let (mut client, _, _) = connected_pair();
        client.transmits.push_back(vec![1, 2, 3]);
        client.transmits.push_back(vec![4]);
        let queued = client.transmits[0].as_ptr();
        let mut buf = vec![9; 100];
        assert!(client.poll_transmit_into(&mut buf));
        assert_eq!(buf, [1, 2, 3], "the old contents are gone");
        assert_eq!(buf.as_ptr(), queued, "swapped in, not copied");
        assert!(client.poll_transmit_into(&mut buf));
        assert_eq!(buf, [4]);
        assert!(!client.poll_transmit_into(&mut buf));
        assert!(!client.poll_transmit_into(&mut buf));
    }

    #[test]
    fn a_server_keeps_no_state_for_a_client_hello_without_a_cookie() {
        // RFC 6347 §4.2.1: the HelloVerifyRequest is stateless; no timer, no flight, no
        // transcript, and the next ClientHello is reassembled from scratch.
        let now = start();
        let (c, s) = configs();
        let mut client = Connection::client(now, c).unwrap();
        let mut server = Connection::server(now, s).unwrap();
        assert_eq!(server.poll_timeout(), None);
        let hello = drain(&mut client);
        server.handle_datagram(now, &hello[0]);
        let answer = drain(&mut server);
        assert_eq!(answer.len(), 1, "one HelloVerifyRequest");
        assert_eq!(server.stats().hello_verify_requests_sent, 1);
        assert_eq!(server.step, Step::Listen);
        assert_eq!(server.state, State::Handshaking);
        assert!(server.retransmit.is_none());
        assert_eq!(server.poll_timeout(), None);
        assert!(server.flight.is_empty());
        assert!(server.hs.transcript.is_empty());
        assert_eq!(server.next_send_seq, 0);
        assert_eq!(server.reassembler.buffered(), 0);
        assert!(server.peer_flight_last.is_none());

        // An epoch-1 record is not kept either while listening.
        let mut forged = hello[0].clone();
        forged[3..5].copy_from_slice(&1u16.to_be_bytes());
        server.handle_datagram(now, &forged);
        assert!(server.early_records.is_empty());
        assert!(drain(&mut server).is_empty());

        // The client's second ClientHello (with the cookie) gets the flight and a state.
        client.handle_datagram(now, &answer[0]);
        let second = drain(&mut client);
        for d in &second {
            server.handle_datagram(now, d);
        }
        assert_ne!(server.step, Step::Listen);
        assert!(!drain(&mut server).is_empty());
        assert!(server.retransmit.is_some());
    }
}
