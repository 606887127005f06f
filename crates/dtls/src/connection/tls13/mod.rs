//! DTLS 1.3 (RFC 9147): the handshake and record processing once 1.3 is chosen.
//!
//! [`Connection`](super::Connection) starts every handshake: a client's ClientHello offers
//! 1.3 beside 1.2, a server reads the first ClientHello. When the version is 1.3 (a 1.3
//! ServerHello or HelloRetryRequest for a client, a ClientHello with a valid cookie for a
//! server), the connection hands over to a [`Tls13`] and forwards everything to it.
//!
//! ```text
//! ClientHello (key shares)     -->
//!                              <--  HelloRetryRequest (cookie)        [stateless server]
//! ClientHello (cookie)         -->
//!                              <--  ServerHello, {EncryptedExtensions, CertificateRequest,
//!                                   Certificate, CertificateVerify, Finished}
//! {Certificate, CertificateVerify, Finished}  -->
//!                              <--  [ACK]
//! ```
//!
//! `{}` is epoch 2 (handshake keys), `[]` epoch 3 (application keys, RFC 9147 §6.1). Flights
//! are retransmitted on a timer (RFC 9147 §5.8); the client's last flight, which nothing
//! answers, until the server ACKs it (§7).
//!
//! Two steps wait until the flight before them is out, so that the other side works
//! meanwhile: the server sends its ServerHello alone and makes the rest of its flight (its
//! ECDH, the handshake keys and its signature) right after; the client checks the server's
//! signature right after its own last flight (`deferred_verify.rs`). Each is due at once
//! ([`poll_timeout`](Tls13::poll_timeout)) and runs at the next timeout or datagram, before
//! anything else.

mod client;
mod deferred_verify;
mod server;
mod transcript;

use deferred_verify::{DeferredVerify, PeerSignature};
use transcript::Transcript;

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Instant;

use rand::RngCore;
use rand::rngs::StdRng;
use ring::rand::SystemRandom;

pub(crate) use client::{ClientHandover, client_hello_body};

use super::{Retransmit, State, later};
use crate::certificate::{Fingerprint, check_peer_certificate};
use crate::config::{Config, Role};
use crate::crypto::key_schedule13::{KeySchedule13, Secret};
use crate::crypto::peer_key::PeerKey;
use crate::crypto::record_cipher13::RecordProtection13;
use crate::error::Error;
use crate::event::{Connected, Event, SrtpKeying};
use crate::handshake::flight::Packer;
use crate::handshake::reassembly::{Inserted, Message, Reassembler};
use crate::record_layer13::{OpenError13, Read, RecordLayer13, RecordNumber};
use crate::stats::Stats;
use crate::wire::ack::{ack_body, parse_ack, parse_key_update};
use crate::wire::alert::{Alert, AlertDescription, AlertLevel};
use crate::wire::code_points::{
    BulkCipher, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme, SrtpProfile,
};
use crate::wire::handshake::{Fragment, HANDSHAKE_HEADER_LEN, HandshakeType};
use crate::wire::record::{ContentType, MAX_PLAINTEXT};

/// The random of a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256 of "HelloRetryRequest".
pub(crate) const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The last 8 bytes of a ServerHello random by which a 1.3-capable server says it chose
/// 1.2 (RFC 8446 §4.1.3).
pub(crate) const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];

/// Epoch of the handshake keys (RFC 9147 §6.1).
const EPOCH_HANDSHAKE: u64 = 2;
/// First epoch of the application keys.
const EPOCH_APPLICATION: u64 = 3;
/// Record numbers of the peer's flight we remember for our ACK, and of ours we remember
/// across retransmissions.
const MAX_RECORDS: usize = 64;
/// Application records kept while the handshake completes (reordering on the path).
const MAX_EARLY_DATA: usize = 16;

/// The signature schemes we accept in a DTLS 1.3 CertificateVerify: no PKCS#1 v1.5
/// (RFC 8446 §4.4.3) and ECDSA bound to its curve.
pub(crate) const VERIFIED13: [SignatureScheme; 6] = [
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
];

/// Where the 1.3 handshake is: the next message we expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    // Client.
    WaitServerHello,
    WaitEncryptedExtensions,
    WaitCertificateRequest,
    WaitServerCertificate,
    WaitServerCertificateVerify,
    WaitServerFinished,
    // Server.
    WaitClientCertificate,
    WaitClientCertificateVerify,
    WaitClientFinished,
    // Both.
    Done,
}

/// A handshake message of one of our flights, kept whole for retransmission.
#[derive(Debug, Clone)]
struct OutMessage {
    epoch: u64,
    msg_type: HandshakeType,
    seq: u16,
    body: Vec<u8>,
}

/// The negotiated parameters of a 1.3 handshake.
#[derive(Debug)]
struct Params {
    suite: CipherSuite,
    cipher: BulkCipher,
    group: NamedGroup,
    srtp: Option<SrtpProfile>,
}

/// A DTLS 1.3 connection after the version was chosen.
pub(crate) struct Tls13 {
    role: Role,
    config: Config,
    state: State,
    step: Step,
    rng: StdRng,
    sys_rng: SystemRandom,
    records: RecordLayer13,
    reassembler: Reassembler,
    params: Params,
    schedule: KeySchedule13,
    /// Every handshake message so far, and its running hash (`transcript.rs`).
    transcript: Transcript,
    client_hs: Option<Secret>,
    server_hs: Option<Secret>,
    client_ap: Option<Secret>,
    server_ap: Option<Secret>,
    exporter: Option<Secret>,
    peer_certificate: Option<Vec<u8>>,
    peer_key: Option<PeerKey>,
    peer_fingerprint: Option<Fingerprint>,
    /// Client: the server's CertificateRequest context, when it asked for our certificate.
    request_context: Option<Vec<u8>>,
    /// Client: what a second ClientHello needs after a HelloRetryRequest.
    client: Option<ClientHandover>,
    flight: Vec<OutMessage>,
    /// Record numbers of each transmission of the current flight.
    flight_records: Vec<Vec<RecordNumber>>,
    /// Record numbers the peer acknowledged for the current flight.
    acked: Vec<RecordNumber>,
    next_send_seq: u16,
    retransmit: Option<Retransmit>,
    peer_retransmit_budget: u32,
    /// `message_seq` of the last message of the peer flight our current flight answers.
    peer_flight_last: Option<u16>,
    last_peer_message: Option<u16>,
    /// Handshake records of the peer we have not acknowledged yet, and those of its last
    /// completed flight (to acknowledge again when it repeats them).
    received: Vec<RecordNumber>,
    /// Epoch our application data, alerts and ACKs go out in once keys exist.
    write_epoch: u64,
    /// A KeyUpdate of ours waits for its ACK before we move to the next write epoch.
    key_update_pending: Option<Vec<RecordNumber>>,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    early_data: Vec<Vec<u8>>,
    stats: Stats,
    scratch: Vec<u8>,
    /// Server: the X25519 key made with the connection, for the key share it answers with.
    server_x25519: Option<crate::crypto::kx::EphemeralKey>,
    /// Client: the server's CertificateVerify, checked once our last flight is out
    /// (`deferred_verify.rs`).
    deferred_verify: Option<DeferredVerify>,
    /// Server: what the rest of our flight needs once the ServerHello is out, and when
    /// it became due (`server.rs`, `finish_server_flight`).
    server_flight_rest: Option<(crate::crypto::key_share13::Answer, Instant)>,
}

impl std::fmt::Debug for Tls13 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls13")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

/// What a [`Connection`](super::Connection) hands over besides the role's own data.
pub(crate) struct Common {
    pub(crate) config: Config,
    pub(crate) rng: StdRng,
    pub(crate) reassembler: Reassembler,
    pub(crate) transmits: VecDeque<Vec<u8>>,
    pub(crate) events: VecDeque<Event>,
    pub(crate) stats: Stats,
    pub(crate) next_send_seq: u16,
    /// Next epoch-0 record sequence number to write.
    pub(crate) epoch0_sequence: u64,
    /// Server: the X25519 key made with the connection, if any.
    pub(crate) server_x25519: Option<crate::crypto::kx::EphemeralKey>,
}

/// A handshake message in the TLS form the transcript takes (RFC 9147 §5.2).
fn tls_message(msg_type: HandshakeType, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(4 + body.len());
    m.push(msg_type.0);
    let len = body.len() as u32;
    m.extend_from_slice(&len.to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// The content a CertificateVerify signs (RFC 8446 §4.4.3).
fn signed_content(server: bool, transcript_hash: &[u8]) -> Vec<u8> {
    let context: &[u8] = if server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut m = vec![0x20u8; 64];
    m.extend_from_slice(context);
    m.push(0);
    m.extend_from_slice(transcript_hash);
    m
}

impl Tls13 {
    fn new(
        role: Role,
        common: Common,
        params: Params,
        schedule: KeySchedule13,
        step: Step,
    ) -> Self {
        let mut records = RecordLayer13::new();
        records.set_epoch0_sequence(common.epoch0_sequence);
        Self {
            role,
            state: State::Handshaking,
            step,
            rng: common.rng,
            sys_rng: SystemRandom::new(),
            records,
            reassembler: common.reassembler,
            params,
            schedule,
            transcript: Transcript::default(),
            client_hs: None,
            server_hs: None,
            client_ap: None,
            server_ap: None,
            exporter: None,
            peer_certificate: None,
            peer_key: None,
            peer_fingerprint: None,
            request_context: None,
            client: None,
            flight: Vec::new(),
            flight_records: Vec::new(),
            acked: Vec::new(),
            next_send_seq: common.next_send_seq,
            retransmit: None,
            peer_retransmit_budget: 0,
            peer_flight_last: None,
            last_peer_message: None,
            received: Vec::new(),
            write_epoch: 0,
            key_update_pending: None,
            transmits: common.transmits,
            events: common.events,
            early_data: Vec::new(),
            stats: common.stats,
            scratch: Vec::new(),
            server_x25519: common.server_x25519,
            deferred_verify: None,
            server_flight_rest: None,
            config: common.config,
        }
    }

    // ---- the connection's API ----

    pub(crate) fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed | State::Failed)
    }

    pub(crate) fn stats(&self) -> Stats {
        self.stats
    }

    pub(crate) fn poll_transmit_into(&mut self, buf: &mut Vec<u8>) -> bool {
        match self.transmits.pop_front() {
            Some(mut datagram) => {
                std::mem::swap(buf, &mut datagram);
                true
            }
            None => false,
        }
    }

    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub(crate) fn flight_continues(&self) -> bool {
        self.server_flight_rest.is_some()
    }

    /// The retransmission deadline of a flight that waits for an answer or an ACK (also
    /// after the client completed: its last flight waits for the server's ACK).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Handshaking | State::Connected => {
                let deferred = self.deferred_verify.as_ref().map(|d| d.due);
                let rest = self.server_flight_rest.as_ref().map(|(_, due)| *due);
                [self.retransmit.map(|r| r.at), deferred, rest]
                    .into_iter()
                    .flatten()
                    .min()
            }
            _ => None,
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        self.run_deferred();
        if self.is_closed() {
            return;
        }
        let Some(r) = self.retransmit else { return };
        if now < r.at {
            return;
        }
        if r.count >= self.config.max_retransmissions {
            if self.state == State::Connected {
                // Our last flight (or a KeyUpdate) was never acknowledged, but we are
                // connected: the peer's data would have told us if it failed. Stop.
                self.retransmit = None;
                return;
            }
            self.fail(Error::Timeout);
            return;
        }
        let timeout = r.timeout.saturating_mul(2).min(self.config.max_retransmit);
        self.retransmit = Some(Retransmit {
            at: later(now, timeout),
            timeout,
            count: r.count + 1,
        });
        tracing::debug!(role = ?self.role, step = ?self.step, "DTLS 1.3: retransmitting flight");
        self.stats.retransmissions += 1;
        if let Err(e) = self.transmit_flight() {
            self.fail(e);
        }
    }

    pub(crate) fn restart_retransmit_timer(&mut self, now: Instant) {
        if self.state != State::Handshaking {
            return;
        }
        if let Some(r) = self.retransmit.as_mut() {
            r.timeout = self.config.initial_retransmit;
            r.at = later(now, r.timeout);
            r.count = 0;
        }
    }

    /// Handles the rest of a datagram (or a whole one).
    pub(crate) fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        // Work deferred until a flight was out comes before anything the peer sent after.
        self.run_deferred();
        if self.is_closed() {
            return;
        }
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.extend_from_slice(datagram);
        self.read_datagram(now, &mut buf, None);
        self.scratch = buf;
    }

    /// The records after the one that chose DTLS 1.3 in a datagram the 1.2 machine began
    /// (counted as part of that datagram).
    pub(crate) fn handle_datagram_tail(&mut self, now: Instant, tail: &[u8]) {
        if tail.is_empty() {
            return;
        }
        let before = self.stats.datagrams_received;
        self.handle_datagram(now, tail);
        self.stats.datagrams_received = before;
    }

    pub(crate) fn handle_datagram_in_place(
        &mut self,
        now: Instant,
        datagram: &mut [u8],
        plaintexts: &mut Vec<Range<usize>>,
    ) {
        self.run_deferred();
        if self.is_closed() {
            return;
        }
        self.read_datagram(now, datagram, Some(plaintexts));
    }

    pub(crate) fn send(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        let mut out = Vec::with_capacity(data.len() + 32);
        self.send_into(now, data, &mut out)?;
        self.stats.datagrams_sent += 1;
        self.transmits.push_back(out);
        Ok(())
    }

    pub(crate) fn send_into(
        &mut self,
        _now: Instant,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        match self.state {
            State::Connected => {}
            State::Handshaking => return Err(Error::NotConnected),
            State::Closed | State::Failed => return Err(Error::Closed),
        }
        if data.len() > MAX_PLAINTEXT {
            return Err(Error::DataTooLong { len: data.len() });
        }
        self.records
            .write(self.write_epoch, ContentType::APPLICATION_DATA, data, out)?;
        self.stats.application_records_sent += 1;
        Ok(())
    }

    pub(crate) fn close(&mut self) {
        if self.is_closed() {
            return;
        }
        self.send_alert(AlertLevel::Warning, AlertDescription::CLOSE_NOTIFY);
        self.state = State::Closed;
        self.retransmit = None;
        self.deferred_verify = None;
        self.server_flight_rest = None;
        self.events.push_back(Event::Closed);
    }

    /// RFC 8446 §7.5 exporter (the DTLS-SRTP keys, RFC 5764 §4.2).
    pub(crate) fn export_keying_material(
        &self,
        label: &str,
        context: Option<&[u8]>,
        len: usize,
    ) -> Result<Vec<u8>, Error> {
        if self.state != State::Connected {
            return Err(Error::NotConnected);
        }
        let exporter = self.exporter.as_ref().ok_or(Error::NotConnected)?;
        let mut out = vec![0u8; len];
        self.schedule.export(
            exporter,
            label.as_bytes(),
            context.unwrap_or_default(),
            &mut out,
        );
        Ok(out)
    }

    /// Sends a KeyUpdate (RFC 9147 §8): our next records use new keys once the peer
    /// acknowledged it.
    pub(crate) fn update_keys(&mut self, now: Instant) -> Result<(), Error> {
        match self.state {
            State::Connected => {}
            State::Handshaking => return Err(Error::NotConnected),
            State::Closed | State::Failed => return Err(Error::Closed),
        }
        if self.key_update_pending.is_some() || self.retransmit.is_some() {
            // One update at a time, and not while our last flight waits for its ACK.
            return Ok(());
        }
        let epoch = self.write_epoch;
        let mut items = Vec::with_capacity(1);
        self.push_message(&mut items, epoch, HandshakeType::KEY_UPDATE, vec![0], false);
        self.send_flight(now, items, true)?;
        self.key_update_pending = Some(Vec::new());
        Ok(())
    }

    // ---- records ----

    fn read_datagram(
        &mut self,
        now: Instant,
        datagram: &mut [u8],
        mut plaintexts: Option<&mut Vec<Range<usize>>>,
    ) {
        self.stats.datagrams_received += 1;
        let mut retransmit = false;
        let mut at = 0;
        loop {
            let read = self.records.read(datagram, at);
            let result = match read {
                Read::End => break,
                Read::Malformed => {
                    self.stats.records_malformed += 1;
                    break;
                }
                Read::Dropped { next, reason } => {
                    self.stats.records_received += 1;
                    match reason {
                        OpenError13::NoKeys => self.stats.records_dropped += 1,
                        OpenError13::BadRecord => self.stats.records_bad_mac += 1,
                        OpenError13::Replayed => self.stats.records_replayed += 1,
                        OpenError13::ConnectionId | OpenError13::NoContentType => {
                            self.stats.records_malformed += 1
                        }
                    }
                    at = next;
                    continue;
                }
                Read::Plaintext {
                    ty,
                    epoch,
                    sequence,
                    fragment,
                    next,
                } => {
                    at = next;
                    self.stats.records_received += 1;
                    // RFC 9147 §4: only epoch 0 goes in plaintext; a plaintext record that
                    // claims another epoch is forged or stale.
                    if epoch != 0 {
                        self.stats.records_dropped += 1;
                        continue;
                    }
                    let number = RecordNumber {
                        epoch: u64::from(epoch),
                        sequence,
                    };
                    let body = datagram[fragment].to_vec();
                    self.handle_record(now, ty, number, &body, &mut retransmit)
                }
                Read::Protected {
                    number,
                    ty,
                    plaintext,
                    next,
                } => {
                    at = next;
                    self.stats.records_received += 1;
                    if ty == ContentType::APPLICATION_DATA
                        && number.epoch >= EPOCH_APPLICATION
                        && self.state == State::Connected
                    {
                        self.peer_application_record();
                        self.stats.application_records_received += 1;
                        match plaintexts.as_deref_mut() {
                            Some(out) => out.push(plaintext),
                            None => self
                                .events
                                .push_back(Event::ApplicationData(datagram[plaintext].to_vec())),
                        }
                        continue;
                    }
                    let body = datagram[plaintext].to_vec();
                    self.handle_record(now, ty, number, &body, &mut retransmit)
                }
            };
            if let Err(e) = result {
                self.fail(e);
                return;
            }
            if self.is_closed() {
                return;
            }
        }
        if retransmit {
            self.peer_retransmitted();
        }
    }

    /// A record of the peer in epoch 3 or later proves it has our last flight: RFC 9147
    /// §7.1 lets that stand as an acknowledgement of the client's last flight.
    fn peer_application_record(&mut self) {
        if self.role == Role::Client
            && self.step == Step::Done
            && self.key_update_pending.is_none()
            && self.retransmit.is_some()
        {
            self.retransmit = None;
            self.flight.clear();
            self.flight_records.clear();
        }
    }

    fn handle_record(
        &mut self,
        now: Instant,
        ty: ContentType,
        number: RecordNumber,
        body: &[u8],
        retransmit: &mut bool,
    ) -> Result<(), Error> {
        match ty {
            ContentType::HANDSHAKE => {
                let mut rest = body;
                let mut any = false;
                while !rest.is_empty() {
                    let (fragment, tail) = match Fragment::parse(rest) {
                        Ok(f) => f,
                        Err(_) => {
                            self.stats.fragments_dropped += 1;
                            break;
                        }
                    };
                    rest = tail;
                    any = true;
                    self.insert_fragment(number, &fragment, retransmit);
                }
                if any && number.epoch > 0 && self.received.len() < MAX_RECORDS {
                    self.received.push(number);
                }
                self.process_messages(now)
            }
            ContentType::ALERT => self.handle_alert(number.epoch, body),
            ContentType::ACK if number.epoch > 0 => {
                self.handle_ack(now, body);
                Ok(())
            }
            ContentType::APPLICATION_DATA if number.epoch >= EPOCH_APPLICATION => {
                // Before our Connected: data that overtook the peer's Finished.
                if self.state == State::Handshaking && self.early_data.len() < MAX_EARLY_DATA {
                    self.early_data.push(body.to_vec());
                } else {
                    self.stats.records_dropped += 1;
                }
                Ok(())
            }
            _ => {
                // ChangeCipherSpec (RFC 9147 §5: not used), plaintext data, unknown types.
                self.stats.records_dropped += 1;
                Ok(())
            }
        }
    }

    fn insert_fragment(
        &mut self,
        number: RecordNumber,
        fragment: &Fragment<'_>,
        retransmit: &mut bool,
    ) {
        // Epochs beyond u16 never occur in a handshake; clamp for the reassembler.
        let epoch = u16::try_from(number.epoch).unwrap_or(u16::MAX);
        match self.reassembler.insert(epoch, number.sequence, fragment) {
            Inserted::Buffered => {}
            Inserted::Old { seq } => {
                // The peer repeats the flight we answered: it lost our answer (RFC 9147
                // §5.8.1), or, after its last flight, our ACK.
                if self.peer_flight_last == Some(seq) {
                    *retransmit = true;
                }
            }
            Inserted::Dropped(reason) => {
                tracing::debug!(?reason, "DTLS 1.3: dropping handshake fragment");
                self.stats.fragments_dropped += 1;
            }
        }
    }

    fn process_messages(&mut self, now: Instant) -> Result<(), Error> {
        while let Some(msg) = self.reassembler.pop() {
            self.last_peer_message = Some(msg.seq);
            if self.step == Step::Done {
                self.post_handshake_message(now, msg)?;
                continue;
            }
            match self.role {
                Role::Client => self.client_message(now, msg)?,
                Role::Server => self.server_message(now, msg)?,
            }
            if self.is_closed() {
                break;
            }
        }
        Ok(())
    }

    /// KeyUpdate and NewSessionTicket after the handshake (RFC 8446 §4.6).
    fn post_handshake_message(&mut self, now: Instant, msg: Message) -> Result<(), Error> {
        if u64::from(msg.epoch) < EPOCH_APPLICATION {
            return Err(Error::UnexpectedMessage(msg.msg_type));
        }
        match msg.msg_type {
            HandshakeType::KEY_UPDATE => {
                let update_requested = parse_key_update(&msg.body)
                    .map_err(Error::malformed(HandshakeType::KEY_UPDATE))?;
                // RFC 9147 §8: the peer's next records come in the next epoch, with the
                // next traffic secret; the old epoch stays readable for reordered records.
                let next_epoch = u64::from(msg.epoch) + 1;
                let peer_secret = match self.role {
                    Role::Client => self.server_ap.as_ref(),
                    Role::Server => self.client_ap.as_ref(),
                }
                .ok_or(Error::Crypto)?;
                let next = self.schedule.next_traffic_secret(peer_secret);
                let protection =
                    RecordProtection13::new(self.params.cipher, &self.schedule, &next)?;
                self.records.install_read(next_epoch, protection);
                match self.role {
                    Role::Client => self.server_ap = Some(next),
                    Role::Server => self.client_ap = Some(next),
                }
                self.send_ack();
                // The handshake is long over: what was acknowledged is not again.
                self.received.clear();
                if update_requested {
                    self.update_keys(now)?;
                }
                Ok(())
            }
            // No resumption: tickets are ignored (RFC 8446 §4.6.1 allows it).
            HandshakeType::NEW_SESSION_TICKET => {
                self.send_ack();
                self.received.clear();
                Ok(())
            }
            _ => Err(Error::UnexpectedMessage(msg.msg_type)),
        }
    }

    fn handle_ack(&mut self, now: Instant, body: &[u8]) {
        let Ok(numbers) = parse_ack(body) else {
            self.stats.records_malformed += 1;
            return;
        };
        for (epoch, sequence) in numbers {
            let n = RecordNumber { epoch, sequence };
            if !self.acked.contains(&n) && self.acked.len() < MAX_RECORDS * 4 {
                self.acked.push(n);
            }
        }
        // The flight is acknowledged when every record of one of its transmissions is.
        let complete = self
            .flight_records
            .iter()
            .any(|sent| !sent.is_empty() && sent.iter().all(|n| self.acked.contains(n)));
        if !complete {
            return;
        }
        self.retransmit = None;
        self.flight.clear();
        self.flight_records.clear();
        self.acked.clear();
        if self.key_update_pending.take().is_some() {
            // RFC 9147 §8: our KeyUpdate was acknowledged: move to the next write epoch.
            if let Err(e) = self.next_write_epoch(now) {
                self.fail(e);
            }
        }
    }

    fn next_write_epoch(&mut self, _now: Instant) -> Result<(), Error> {
        let ours = match self.role {
            Role::Client => self.client_ap.as_ref(),
            Role::Server => self.server_ap.as_ref(),
        }
        .ok_or(Error::Crypto)?;
        let next = self.schedule.next_traffic_secret(ours);
        let protection = RecordProtection13::new(self.params.cipher, &self.schedule, &next)?;
        self.write_epoch += 1;
        self.records.install_write(self.write_epoch, protection);
        match self.role {
            Role::Client => self.client_ap = Some(next),
            Role::Server => self.server_ap = Some(next),
        }
        Ok(())
    }

    /// Acknowledges the peer's handshake records received so far (RFC 9147 §7).
    fn send_ack(&mut self) {
        if self.received.is_empty() || self.write_epoch == 0 {
            return;
        }
        let numbers: Vec<(u64, u64)> = self
            .received
            .iter()
            .map(|n| (n.epoch, n.sequence))
            .collect();
        let Ok(body) = ack_body(&numbers) else { return };
        let mut out = Vec::with_capacity(body.len() + 32);
        if self
            .records
            .write(self.write_epoch, ContentType::ACK, &body, &mut out)
            .is_ok()
        {
            self.stats.datagrams_sent += 1;
            self.transmits.push_back(out);
        }
    }

    fn handle_alert(&mut self, epoch: u64, body: &[u8]) -> Result<(), Error> {
        // Once we have keys, only protected alerts count: a plaintext one could be forged.
        if epoch == 0 && self.write_epoch != 0 {
            self.stats.records_dropped += 1;
            return Ok(());
        }
        let Ok(alert) = Alert::parse(body) else {
            self.stats.records_malformed += 1;
            return Ok(());
        };
        if alert.description == AlertDescription::CLOSE_NOTIFY {
            self.send_alert(AlertLevel::Warning, AlertDescription::CLOSE_NOTIFY);
            self.state = State::Closed;
            self.retransmit = None;
            self.events.push_back(Event::Closed);
            return Ok(());
        }
        // RFC 8446 §6: every alert but close_notify and user_canceled is fatal in 1.3,
        // whatever its level says.
        if alert.description == AlertDescription::USER_CANCELED {
            return Ok(());
        }
        Err(Error::AlertReceived(alert.description))
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

    fn fail(&mut self, error: Error) {
        if self.is_closed() {
            return;
        }
        tracing::debug!(role = ?self.role, %error, "DTLS 1.3 failed");
        if let Some(alert) = error.alert() {
            self.send_alert(AlertLevel::Fatal, alert);
        }
        self.state = State::Failed;
        self.retransmit = None;
        self.deferred_verify = None;
        self.server_flight_rest = None;
        self.flight.clear();
        self.early_data.clear();
        self.events.push_back(Event::Failed(error));
    }

    // ---- flights ----

    /// Appends a handshake message to a flight under construction (and, for handshake
    /// messages, to the transcript).
    fn push_message(
        &mut self,
        items: &mut Vec<OutMessage>,
        epoch: u64,
        msg_type: HandshakeType,
        body: Vec<u8>,
        transcript: bool,
    ) {
        let seq = self.next_send_seq;
        self.next_send_seq = self.next_send_seq.wrapping_add(1);
        if transcript {
            self.transcript.push(msg_type, &body);
        }
        items.push(OutMessage {
            epoch,
            msg_type,
            seq,
            body,
        });
    }

    /// Sends a new flight; with `expect_reply`, arms the retransmission timer (a reply or
    /// an ACK stops it).
    fn send_flight(
        &mut self,
        now: Instant,
        items: Vec<OutMessage>,
        expect_reply: bool,
    ) -> Result<(), Error> {
        self.flight = items;
        self.flight_records.clear();
        self.acked.clear();
        self.peer_flight_last = self.last_peer_message;
        self.peer_retransmit_budget = self.config.max_retransmissions;
        self.retransmit = expect_reply.then(|| Retransmit {
            at: later(now, self.config.initial_retransmit),
            timeout: self.config.initial_retransmit,
            count: 0,
        });
        self.transmit_flight()
    }

    /// Work put off until the flight before it was out, done before any later input: the
    /// rest of a server's flight after its ServerHello, a client's check of the server's
    /// signature after its last flight.
    fn run_deferred(&mut self) {
        self.finish_server_flight();
        self.check_deferred_verify();
    }

    /// Cuts the flight into records and datagrams of at most the MTU, with fresh record
    /// numbers (RFC 9147 §5.8: a retransmission is new records).
    fn transmit_flight(&mut self) -> Result<(), Error> {
        self.transmit_messages(0, true)
    }

    /// Adds `items` to the flight under way and sends them, as part of its current
    /// transmission (their records are acknowledged and retransmitted with it).
    fn extend_flight(&mut self, items: Vec<OutMessage>) -> Result<(), Error> {
        let from = self.flight.len();
        self.flight.extend(items);
        self.transmit_messages(from, false)
    }

    /// Sends the flight's messages from `from` on; `new_transmission`: a transmission of
    /// its own (the first or a retransmission), else more of the current one.
    fn transmit_messages(&mut self, from: usize, new_transmission: bool) -> Result<(), Error> {
        let mtu = self.config.mtu;
        let mut datagrams = Vec::new();
        let mut numbers = Vec::new();
        let mut cur: Vec<u8> = Vec::with_capacity(mtu);
        let mut plain: Vec<u8> = Vec::with_capacity(mtu);
        for m in &self.flight[from..] {
            let per_record = self.records.overhead(m.epoch) + HANDSHAKE_HEADER_LEN;
            let mut packer = Packer {
                mtu,
                cur: &mut cur,
                datagrams: &mut datagrams,
                plain: &mut plain,
            };
            let records = &mut self.records;
            packer.message(m.msg_type, m.seq, &m.body, per_record, |plain, out| {
                let number = records.write(m.epoch, ContentType::HANDSHAKE, plain, out)?;
                if m.epoch > 0 {
                    numbers.push(number);
                }
                Ok(())
            })?;
        }
        if !cur.is_empty() {
            datagrams.push(cur);
        }
        match self.flight_records.last_mut() {
            Some(current) if !new_transmission => current.extend(numbers),
            _ => {
                if self.flight_records.len() > self.config.max_retransmissions as usize {
                    self.flight_records.remove(0);
                }
                self.flight_records.push(numbers);
            }
        }
        self.stats.datagrams_sent += datagrams.len() as u64;
        self.transmits.extend(datagrams);
        Ok(())
    }

    /// The peer repeated the flight we answered (or, after the handshake, its last flight):
    /// resend ours, or our ACK, a bounded number of times.
    fn peer_retransmitted(&mut self) {
        if self.is_closed() || self.peer_retransmit_budget == 0 {
            return;
        }
        self.peer_retransmit_budget -= 1;
        if self.flight.is_empty() {
            // Server after the handshake: the client lost our ACK.
            if self.role == Role::Server && self.step == Step::Done {
                self.send_ack();
            }
            return;
        }
        self.stats.retransmissions += 1;
        if let Err(e) = self.transmit_flight() {
            self.fail(e);
        }
    }

    // ---- shared handshake steps ----

    fn transcript_hash(&mut self) -> Vec<u8> {
        self.transcript.hash(self.schedule.digest_algorithm())
    }

    fn add_to_transcript(&mut self, msg: &Message) {
        self.transcript.push(msg.msg_type, &msg.body);
    }

    /// Checks a handshake message came protected with the handshake keys.
    fn expect_handshake_epoch(msg: &Message) -> Result<(), Error> {
        if u64::from(msg.epoch) != EPOCH_HANDSHAKE {
            return Err(Error::UnexpectedMessage(msg.msg_type));
        }
        Ok(())
    }

    /// Installs the handshake keys of both directions (epoch 2).
    fn install_handshake_keys(&mut self, shared_secret: &[u8]) -> Result<(), Error> {
        let hello_hash = self.transcript_hash();
        let (client, server) = self.schedule.handshake(shared_secret, &hello_hash);
        let c = RecordProtection13::new(self.params.cipher, &self.schedule, &client)?;
        let s = RecordProtection13::new(self.params.cipher, &self.schedule, &server)?;
        match self.role {
            Role::Client => {
                self.records.install_write(EPOCH_HANDSHAKE, c);
                self.records.install_read(EPOCH_HANDSHAKE, s);
            }
            Role::Server => {
                self.records.install_write(EPOCH_HANDSHAKE, s);
                self.records.install_read(EPOCH_HANDSHAKE, c);
            }
        }
        self.client_hs = Some(client);
        self.server_hs = Some(server);
        self.write_epoch = EPOCH_HANDSHAKE;
        Ok(())
    }

    /// Derives the application secrets over the transcript through the server's Finished
    /// and installs the read keys of epoch 3 (the write keys follow our last flight).
    fn derive_application_keys(&mut self) -> Result<(), Error> {
        let hash = self.transcript_hash();
        let (client, server, exporter) = self.schedule.application(&hash);
        let read = match self.role {
            Role::Client => &server,
            Role::Server => &client,
        };
        let protection = RecordProtection13::new(self.params.cipher, &self.schedule, read)?;
        self.records.install_read(EPOCH_APPLICATION, protection);
        self.client_ap = Some(client);
        self.server_ap = Some(server);
        self.exporter = Some(exporter);
        Ok(())
    }

    fn install_application_write_keys(&mut self) -> Result<(), Error> {
        let ours = match self.role {
            Role::Client => self.client_ap.as_ref(),
            Role::Server => self.server_ap.as_ref(),
        }
        .ok_or(Error::Crypto)?;
        let protection = RecordProtection13::new(self.params.cipher, &self.schedule, ours)?;
        self.records.install_write(EPOCH_APPLICATION, protection);
        self.write_epoch = EPOCH_APPLICATION;
        Ok(())
    }

    /// Checks the peer's Certificate: a certificate is there, matches the SDP fingerprint
    /// (RFC 8122 §5), and has a key we can verify with.
    fn accept_peer_certificate(&mut self, msg: &Message, context: &[u8]) -> Result<(), Error> {
        use crate::wire::certificate13::Certificate13;
        let cert = Certificate13::parse(&msg.body)
            .map_err(Error::malformed(HandshakeType::CERTIFICATE))?;
        if cert.context != context {
            return Err(Error::IllegalParameter(crate::Parameter::Cookie));
        }
        let der = *cert.chain.first().ok_or(Error::NoCertificate)?;
        let (matched, key) = check_peer_certificate(&self.config.remote_fingerprints, der)?;
        self.peer_fingerprint = Some(matched);
        self.peer_certificate = Some(der.to_vec());
        self.peer_key = Some(key);
        self.add_to_transcript(msg);
        Ok(())
    }

    /// Reads the peer's CertificateVerify with the content it must sign, over the
    /// transcript so far (RFC 8446 §4.4.3), and adds it to the transcript.
    fn read_peer_certificate_verify(&mut self, msg: &Message) -> Result<PeerSignature, Error> {
        use crate::wire::certificate_verify::CertificateVerify;
        let cv = CertificateVerify::parse(&msg.body)
            .map_err(Error::malformed(HandshakeType::CERTIFICATE_VERIFY))?;
        if self.peer_key.is_none() {
            return Err(Error::NoCertificate);
        }
        let content = signed_content(self.role == Role::Client, &self.transcript_hash());
        let signature = PeerSignature::new(cv.scheme, cv.signature, content);
        self.add_to_transcript(msg);
        Ok(signature)
    }

    /// Server: checks the client's CertificateVerify at once.
    fn verify_peer_certificate_verify(&mut self, msg: &Message) -> Result<(), Error> {
        self.read_peer_certificate_verify(msg)?
            .check(self.peer_key.as_ref())
    }

    /// Client: takes the server's CertificateVerify for [`check_deferred_verify`], which
    /// checks it once our last flight is out (`deferred_verify.rs`).
    ///
    /// [`check_deferred_verify`]: Self::check_deferred_verify
    fn defer_peer_certificate_verify(&mut self, now: Instant, msg: &Message) -> Result<(), Error> {
        let signature = self.read_peer_certificate_verify(msg)?;
        self.deferred_verify = Some(DeferredVerify {
            signature,
            due: now,
        });
        Ok(())
    }

    /// Checks the peer's Finished (RFC 8446 §4.4.4).
    fn verify_peer_finished(&mut self, msg: &Message) -> Result<(), Error> {
        let hash = self.transcript_hash();
        let base = match self.role {
            Role::Client => self.server_hs.as_ref(),
            Role::Server => self.client_hs.as_ref(),
        }
        .ok_or(Error::Crypto)?;
        if !self.schedule.verify_finished(base, &hash, &msg.body) {
            return Err(Error::BadFinished);
        }
        self.add_to_transcript(msg);
        Ok(())
    }

    /// Our Certificate and CertificateVerify, pushed onto a flight.
    fn push_certificate(
        &mut self,
        items: &mut Vec<OutMessage>,
        context: &[u8],
    ) -> Result<(), Error> {
        use crate::wire::certificate_verify::CertificateVerify;
        use crate::wire::certificate13::Certificate13;
        let der = self.config.certificate.der().to_vec();
        let mut body = Vec::with_capacity(der.len() + 16);
        Certificate13 {
            context,
            chain: vec![&der],
        }
        .emit(&mut body)
        .map_err(Error::malformed(HandshakeType::CERTIFICATE))?;
        self.push_message(
            items,
            EPOCH_HANDSHAKE,
            HandshakeType::CERTIFICATE,
            body,
            true,
        );
        let content = signed_content(self.role == Role::Server, &self.transcript_hash());
        let signature = self.config.certificate.sign(&self.sys_rng, &content)?;
        let mut body = Vec::with_capacity(signature.len() + 4);
        CertificateVerify {
            scheme: SignatureScheme::ECDSA_SECP256R1_SHA256,
            signature: &signature,
        }
        .emit(&mut body)
        .map_err(Error::malformed(HandshakeType::CERTIFICATE_VERIFY))?;
        self.push_message(
            items,
            EPOCH_HANDSHAKE,
            HandshakeType::CERTIFICATE_VERIFY,
            body,
            true,
        );
        Ok(())
    }

    /// Our Finished, pushed onto a flight.
    fn push_finished(&mut self, items: &mut Vec<OutMessage>) -> Result<(), Error> {
        let hash = self.transcript_hash();
        let base = match self.role {
            Role::Client => self.client_hs.as_ref(),
            Role::Server => self.server_hs.as_ref(),
        }
        .ok_or(Error::Crypto)?;
        let verify_data = self.schedule.finished_verify_data(base, &hash);
        let body = verify_data.as_bytes().to_vec();
        self.push_message(items, EPOCH_HANDSHAKE, HandshakeType::FINISHED, body, true);
        Ok(())
    }

    /// The handshake is complete: report it (with the SRTP keys), then any early data.
    fn complete(&mut self) -> Result<(), Error> {
        self.state = State::Connected;
        self.step = Step::Done;
        let srtp = match self.params.srtp {
            Some(profile) => {
                let len = profile.keying_material_len().ok_or(Error::Crypto)?;
                let keying_material =
                    self.export_keying_material(super::SRTP_EXPORTER_LABEL, None, len)?;
                Some(SrtpKeying {
                    profile,
                    keying_material,
                })
            }
            None => None,
        };
        let connected = Connected {
            role: self.role,
            version: ProtocolVersion::DTLS_1_3,
            cipher_suite: self.params.suite,
            group: self.params.group,
            srtp,
            peer_certificate: self.peer_certificate.clone().unwrap_or_default(),
            peer_fingerprint: self.peer_fingerprint.clone().ok_or(Error::NoCertificate)?,
        };
        tracing::debug!(role = ?self.role, suite = %connected.cipher_suite,
            group = %connected.group, "DTLS 1.3 connected");
        self.events.push_back(Event::Connected(Box::new(connected)));
        for data in std::mem::take(&mut self.early_data) {
            self.stats.application_records_received += 1;
            self.events.push_back(Event::ApplicationData(data));
        }
        self.transcript.clear();
        self.client = None;
        Ok(())
    }

    fn random(&mut self) -> [u8; 32] {
        let mut r = [0u8; 32];
        self.rng.fill_bytes(&mut r);
        r
    }
}
