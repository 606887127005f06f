//! The four-way handshake (RFC 9260 §5.1) and its collisions (§5.2): WebRTC peers both
//! send INIT at once (RFC 8841 §6), so each also answers the other's INIT and the first
//! valid COOKIE ECHO or COOKIE ACK establishes the association.

use std::time::Instant;

use super::congestion::Congestion;
use super::cookie::{Cookies, PeerInit};
use super::received::ReceivedTsns;
use super::{Association, State, TSN_BASE};
use crate::timer::Timer;
use crate::wire::{
    Abort, CauseCode, Chunk, CommonHeader, ErrorCause, ErrorChunk, Init, PacketWriter, Param,
    TlvList, UnknownChunk,
};
use crate::{CloseReason, Event};

/// Largest control packet we build (an INIT ACK with its cookie, an ERROR echoing a chunk).
const CONTROL_MAX: usize = 1200;

/// The handshake's own state: the cookies we issued, the one we echo, and T1. Only this
/// module reads or changes it; the association sees its timer's deadline.
#[derive(Debug, Default)]
pub(super) struct Handshake {
    cookies: Cookies,
    /// The cookie we echo (T1-cookie retransmits it).
    cookie_echo: Option<Vec<u8>>,
    /// T1-init / T1-cookie.
    t1: Timer,
}

impl Handshake {
    /// When T1 expires.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.t1.deadline()
    }

    /// Whether T1 expired at `now` (it stops and counts the expiration).
    pub(super) fn expired(&mut self, now: Instant) -> bool {
        self.t1.expired(now)
    }

    /// The association ended: T1 stops.
    pub(super) fn stop(&mut self) {
        self.t1.stop();
    }
}

impl Association {
    /// Sends INIT from CLOSED (RFC 9260 §5.1 A) and enters COOKIE-WAIT.
    pub(super) fn start_handshake(&mut self) {
        self.send_init();
        self.state = State::CookieWait;
        self.handshake
            .t1
            .start_fresh(self.now, self.config.rto_initial);
    }

    /// Writes a whole control packet with one chunk and queues it.
    pub(super) fn queue_control(&mut self, verification_tag: u32, chunk: &Chunk<'_>) {
        let header = CommonHeader {
            source_port: self.config.local_port,
            destination_port: self.config.remote_port,
            verification_tag,
        };
        let mut packet = Vec::new();
        let Ok(mut w) = PacketWriter::new_in_vec(&mut packet, header, CONTROL_MAX) else {
            return;
        };
        if w.push(chunk).is_ok() {
            w.finish();
            self.control.push_back(packet);
        }
    }

    /// Our INIT or INIT ACK: the same tag, window, streams and initial TSN every time, and
    /// the extensions WebRTC uses (FORWARD TSN, RE-CONFIG), as Chromium's INIT lists them.
    pub(super) fn our_init<'p>(&self, params: &'p [Param<'p>]) -> Init<'p> {
        Init {
            initiate_tag: self.local_tag,
            a_rwnd: self.config.max_receive_buffer.min(u32::MAX as usize) as u32,
            outbound_streams: u16::MAX,
            inbound_streams: u16::MAX,
            initial_tsn: self.local_initial_tsn,
            params: TlvList::new(params),
        }
    }

    fn send_init(&mut self) {
        let params = [
            Param::ForwardTsnSupported,
            Param::SupportedExtensions(&Self::EXTENSIONS),
        ];
        let init = self.our_init(&params);
        // §8.5.1: INIT goes with verification tag 0.
        self.queue_control(0, &Chunk::Init(init));
    }

    /// INIT (§5.1 B, §5.2.1, §5.2.2): answered with INIT ACK and a cookie in any state but
    /// the last steps of a shutdown. Our tag and initial TSN never change, so every INIT
    /// ACK of this association carries the same ones.
    pub(super) fn handle_init(&mut self, init: &Init<'_>) {
        // §3.3.2: a zero Initiate Tag, or no streams, is a protocol violation.
        if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
            self.metrics.dropped_malformed += 1;
            return;
        }
        if self.state == State::ShutdownAckSent {
            // §9.2: a SHUTDOWN ACK answers, and the peer will start over.
            self.queue_control(init.initiate_tag, &Chunk::ShutdownAck);
            return;
        }
        let peer = PeerInit::from_init(init);
        let cookie = self.handshake.cookies.issue(&mut self.rng, self.now, peer);
        let params = [
            Param::StateCookie(&cookie),
            Param::ForwardTsnSupported,
            Param::SupportedExtensions(&Self::EXTENSIONS),
        ];
        let ack = self.our_init(&params);
        // §8.5: INIT ACK carries the peer's Initiate Tag.
        self.queue_control(init.initiate_tag, &Chunk::InitAck(ack));
    }

    /// INIT ACK (§5.1 C): only in COOKIE-WAIT; echo its cookie.
    pub(super) fn handle_init_ack(&mut self, ack: &Init<'_>) {
        if self.state != State::CookieWait {
            return;
        }
        let Some(cookie) = ack.state_cookie() else {
            // §5.1: an INIT ACK without a cookie is a protocol violation.
            self.metrics.dropped_malformed += 1;
            return;
        };
        if ack.initiate_tag == 0 || ack.outbound_streams == 0 || ack.inbound_streams == 0 {
            self.metrics.dropped_malformed += 1;
            return;
        }
        let peer = PeerInit::from_init(ack);
        self.peer = Some(peer);
        self.handshake.cookie_echo = Some(cookie.to_vec());
        self.queue_control(peer.tag, &Chunk::CookieEcho(cookie));
        self.state = State::CookieEchoed;
        self.handshake
            .t1
            .start_fresh(self.now, self.config.rto_initial);
    }

    /// COOKIE ECHO (§5.1 D, §5.2.4).
    pub(super) fn handle_cookie_echo(&mut self, echoed: &[u8]) {
        let Some(peer) = self.handshake.cookies.validate(self.now, echoed) else {
            self.metrics.dropped_bad_cookie += 1;
            return;
        };
        match self.state {
            // §5.1 D, and §5.2.4 case B (our COOKIE ECHO crossed theirs).
            State::Closed | State::CookieWait | State::CookieEchoed => self.establish(peer),
            // §5.2.4 case D: the peer did not get our COOKIE ACK.
            _ if self.peer.is_some_and(|p| p.tag == peer.tag) => {}
            // A restarted peer (§5.2.4 case A) is not supported: WebRTC starts a new DTLS
            // connection instead.
            _ => {
                self.metrics.dropped_bad_cookie += 1;
                return;
            }
        }
        self.queue_control(peer.tag, &Chunk::CookieAck);
    }

    /// COOKIE ACK (§5.1 E).
    pub(super) fn handle_cookie_ack(&mut self) {
        if self.state == State::CookieEchoed
            && let Some(peer) = self.peer
        {
            self.establish(peer);
        }
    }

    pub(super) fn establish(&mut self, peer: PeerInit) {
        self.peer = Some(peer);
        self.state = State::Established;
        self.handshake.cookie_echo = None;
        self.handshake.t1.stop();
        self.errors = 0;
        self.received = ReceivedTsns::new(TSN_BASE + u64::from(peer.initial_tsn));
        self.congestion = Congestion::new(self.config.mtu, peer.a_rwnd as usize);
        self.schedule_heartbeat();
        self.events.push_back(Event::Connected);
    }

    /// T1-init or T1-cookie expired (§5.1 C, E): send again, backed off, up to the limit.
    pub(super) fn handshake_timeout(&mut self) {
        if let Some(max) = self.config.max_init_retransmits
            && self.handshake.t1.expirations > max
        {
            self.terminate(CloseReason::HandshakeTimeout, false);
            return;
        }
        match self.state {
            State::CookieWait => self.send_init(),
            State::CookieEchoed => {
                if let (Some(cookie), Some(peer)) = (self.handshake.cookie_echo.take(), self.peer) {
                    self.queue_control(peer.tag, &Chunk::CookieEcho(&cookie));
                    self.handshake.cookie_echo = Some(cookie);
                }
            }
            _ => return,
        }
        self.handshake.t1.start(
            self.now,
            self.config.rto_initial,
            self.config.max_timer_backoff,
        );
    }

    /// Queues an ABORT (§9.1) with a User-Initiated Abort cause when a reason is given.
    pub(super) fn queue_abort(&mut self, reason: Option<&str>) {
        let Some(peer) = self.peer else {
            return;
        };
        let causes = reason.map(|r| ErrorCause {
            code: CauseCode::USER_INITIATED_ABORT,
            value: r.as_bytes(),
        });
        let list: Vec<ErrorCause<'_>> = causes.into_iter().collect();
        let abort = Abort {
            reflected_tag: false,
            causes: TlvList::new(&list),
        };
        self.queue_control(peer.tag, &Chunk::Abort(abort));
    }

    /// An ERROR with an Unrecognized Chunk Type cause (§3.3.10.6) that echoes the chunk.
    pub(super) fn queue_error_unrecognized(&mut self, u: &UnknownChunk<'_>) {
        let Some(peer) = self.peer else {
            return;
        };
        let mut echoed = Vec::with_capacity(4 + u.value.len());
        echoed.push(u.kind.0);
        echoed.push(u.flags);
        echoed.extend_from_slice(&((4 + u.value.len()) as u16).to_be_bytes());
        echoed.extend_from_slice(u.value);
        let cause = [ErrorCause {
            code: CauseCode::UNRECOGNIZED_CHUNK_TYPE,
            value: &echoed,
        }];
        let error = ErrorChunk {
            causes: TlvList::new(&cause),
        };
        self.queue_control(peer.tag, &Chunk::Error(error));
    }
}
