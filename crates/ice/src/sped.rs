//! SPED (draft-hancke-webrtc-sped): the DTLS handshake carried in the connectivity checks.
//!
//! Each Binding request and success response may carry one DTLS datagram in
//! DTLS-IN-STUN (0xC070) and, in DTLS-IN-STUN-ACK (0xC071), the CRC-32s (4 bytes each) of
//! the last DTLS datagrams received, so the sender stops repeating what arrived. Nothing is
//! signalled in SDP: an agent that does SPED puts at least the ACK attribute (maybe empty)
//! in every check and response while the handshake runs, so the first authenticated
//! message from the peer without either attribute shows that it does not, and both ends go
//! on with ordinary DTLS datagrams. The states are those of libwebrtc's controller, which
//! Chromium runs behind its `WebRTC-IceHandshakeDtls` field trial: tentative (nothing
//! heard yet), confirmed (the peer does it), pending (our DTLS handshake is done; acks go
//! on until the peer has everything), complete, off.
//!
//! A DTLS datagram may come several times: attached to each message until acknowledged,
//! and on its own once the peer has a pair. A plaintext one (a ClientHello, a DTLS 1.2
//! flight before ChangeCipherSpec) that comes again, the same bytes, is handed to DTLS once:
//! to a DTLS server a copy of the ClientHello looks like a retransmission, which it answers
//! with its whole flight again. Protected records are always handed up, since DTLS drops
//! those that come before their keys.
//!
//! [`Sped`] is the controller; the agent asks it what to attach to each message it sends
//! and tells it what each authenticated message carried.

/// DTLS-IN-STUN: one DTLS datagram (draft-hancke-webrtc-sped §4; libwebrtc's
/// `STUN_ATTR_META_DTLS_IN_STUN`).
pub const DTLS_IN_STUN: u16 = 0xC070;
/// DTLS-IN-STUN-ACK: CRC-32s of DTLS datagrams received, 4 bytes each, network order
/// (libwebrtc's `STUN_ATTR_META_DTLS_IN_STUN_ACK`).
pub const DTLS_IN_STUN_ACK: u16 = 0xC071;
/// Most CRC-32s in one ACK attribute: the newest, as libwebrtc's `kMaxAckSize`.
pub const MAX_ACKS: usize = 4;
/// Most DTLS datagrams of one flight held for piggybacking; more are dropped and counted
/// (they still go as ordinary datagrams once ICE has a pair).
pub const MAX_FLIGHT_PACKETS: usize = 16;
/// Most CRC-32s of received plaintext DTLS datagrams remembered to tell copies from new
/// ones (two flights' worth); the oldest is forgotten first.
const MAX_SEEN: usize = 2 * MAX_FLIGHT_PACKETS;

/// Where the piggybacking of the DTLS handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpedState {
    /// Attributes go out; the peer has said nothing yet.
    Tentative,
    /// The peer sent a SPED attribute: it does SPED.
    Confirmed,
    /// Our DTLS handshake is done; acks go on until the peer has everything we sent.
    Pending,
    /// Done: nothing more is attached.
    Complete,
    /// Not used: turned off, the peer showed no support, or DTLS failed. DTLS goes as
    /// ordinary datagrams.
    Off,
}

impl SpedState {
    /// Whether attributes are still attached and read.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Tentative | Self::Confirmed | Self::Pending)
    }
}

/// Counters of the SPED attributes sent and received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpedStats {
    /// Binding requests and responses sent with a DTLS datagram (0xC070).
    pub data_sent: u64,
    /// Binding requests and responses sent with an ACK attribute (0xC071).
    pub acks_sent: u64,
    /// Authenticated Binding messages received with a DTLS datagram (0xC070).
    pub data_received: u64,
    /// Authenticated Binding messages received with an ACK attribute (0xC071).
    pub acks_received: u64,
    /// Attributes that were malformed (an ACK list not made of 4-byte entries, data that
    /// is not DTLS): ignored.
    pub malformed: u64,
    /// DTLS datagrams of a flight beyond [`MAX_FLIGHT_PACKETS`]: not piggybacked.
    pub flight_packets_dropped: u64,
    /// Plaintext DTLS datagrams (a ClientHello, a DTLS 1.2 flight before ChangeCipherSpec)
    /// that arrived again, the same bytes, in a check or response or on their own (the
    /// peer attaches a datagram until it is acknowledged, and may send it on its own too):
    /// not handed to DTLS a second time.
    pub copies_dropped: u64,
}

/// What one received message carried, before the controller judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piggybacked<'a> {
    /// The DTLS-IN-STUN value, if present.
    pub data: Option<&'a [u8]>,
    /// The DTLS-IN-STUN-ACK value, if present (raw: 4 bytes per CRC-32).
    pub acks: Option<&'a [u8]>,
}

impl<'a> Piggybacked<'a> {
    /// Reads both attributes of an authenticated STUN message, in place.
    pub fn read(message: &'a [u8]) -> Self {
        Self {
            data: rtcweb_stun::raw_attribute(message, DTLS_IN_STUN),
            acks: rtcweb_stun::raw_attribute(message, DTLS_IN_STUN_ACK),
        }
    }
}

/// The CRC-32 a DTLS datagram is acknowledged by (libwebrtc's `ComputeDtlsPacketHash`).
pub fn packet_hash(datagram: &[u8]) -> u32 {
    crc32fast::hash(datagram)
}

/// Whether the bytes look like a DTLS record: content type 20..=63 (RFC 7983 §7) and a
/// full record header.
fn is_dtls(datagram: &[u8]) -> bool {
    datagram.len() >= 13 && (20..=63).contains(&datagram[0])
}

/// Whether a datagram holds DTLSPlaintext records of epoch 0 only (RFC 6347 §4.1, RFC 9147
/// §4: a ClientHello, a DTLS 1.2 flight before ChangeCipherSpec): records DTLS reads without
/// keys. A DTLS 1.3 record with the unified header (first byte 0b001xxxxx) is protected.
fn plaintext_only(datagram: &[u8]) -> bool {
    let mut rest = datagram;
    while !rest.is_empty() {
        // type (1), version (2), epoch (2), sequence number (6), length (2).
        if rest.len() < 13 || !(20..=26).contains(&rest[0]) || rest[3..5] != [0, 0] {
            return false;
        }
        let len = usize::from(u16::from_be_bytes([rest[11], rest[12]]));
        match rest.get(13 + len..) {
            Some(next) => rest = next,
            None => return false,
        }
    }
    !datagram.is_empty()
}

/// The SPED controller of one agent.
#[derive(Debug)]
pub(crate) struct Sped {
    state: SpedState,
    /// The current flight, with each datagram's CRC-32, sent one per message in turn.
    pending: Vec<(u32, Vec<u8>)>,
    next: usize,
    /// Datagrams of the current flight attached since it began (each goes once before
    /// any goes twice).
    attached: usize,
    /// CRC-32s of the last datagrams received (piggybacked or not), oldest first.
    received: Vec<u32>,
    /// CRC-32s of the plaintext DTLS datagrams received while SPED runs, piggybacked or not,
    /// oldest first (at most [`MAX_SEEN`]): one seen before is a copy.
    seen: Vec<u32>,
    stats: SpedStats,
}

/// What the controller wants attached to the next message.
#[derive(Debug, Default)]
pub(crate) struct Attach {
    pub(crate) data: Option<Vec<u8>>,
    pub(crate) acks: Option<[u8; 4 * MAX_ACKS]>,
    pub(crate) acks_len: usize,
}

impl Attach {
    /// As `(type, value)` pairs for the STUN writer.
    pub(crate) fn raw(&self) -> ([(u16, &[u8]); 2], usize) {
        let mut out: [(u16, &[u8]); 2] = [(0, &[]); 2];
        let mut n = 0;
        if let Some(d) = &self.data {
            out[n] = (DTLS_IN_STUN, d);
            n += 1;
        }
        if let Some(a) = &self.acks {
            out[n] = (DTLS_IN_STUN_ACK, &a[..self.acks_len]);
            n += 1;
        }
        (out, n)
    }
}

impl Sped {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            state: if enabled {
                SpedState::Tentative
            } else {
                SpedState::Off
            },
            pending: Vec::new(),
            next: 0,
            attached: 0,
            received: Vec::new(),
            seen: Vec::new(),
            stats: SpedStats::default(),
        }
    }

    pub(crate) fn state(&self) -> SpedState {
        self.state
    }

    pub(crate) fn stats(&self) -> SpedStats {
        self.stats
    }

    /// A new DTLS flight replaces the one held (a retransmitted flight is the same one).
    pub(crate) fn flight<'p>(&mut self, packets: impl IntoIterator<Item = &'p [u8]>) {
        if !self.state.is_active() {
            return;
        }
        self.pending.clear();
        self.next = 0;
        self.attached = 0;
        for p in packets {
            if !is_dtls(p) {
                continue;
            }
            if self.pending.len() == MAX_FLIGHT_PACKETS {
                self.stats.flight_packets_dropped += 1;
                continue;
            }
            self.pending.push((packet_hash(p), p.to_vec()));
        }
    }

    /// Our DTLS handshake is done. When the peer's last flight answered ours (a DTLS 1.2
    /// client: the server's Finished; a DTLS 1.3 server: the client's Finished) nothing is
    /// left to send; the side that sent the last flight (a 1.2 server, a 1.3 client) keeps
    /// it until the peer acknowledges it.
    pub(crate) fn handshake_complete(&mut self, our_flight_answered: bool) {
        if !self.state.is_active() {
            return;
        }
        if our_flight_answered {
            self.pending.clear();
        }
        // Acks go on until the peer has acknowledged what is left, or stops attaching.
        self.state = SpedState::Pending;
    }

    /// Datagrams of the current flight not attached to any message yet.
    pub(crate) fn unsent(&self) -> usize {
        if !self.state.is_active() {
            return 0;
        }
        self.pending.len().saturating_sub(self.attached)
    }

    /// Notes a received DTLS datagram; true when it is a copy of a plaintext one received
    /// before (piggybacked or not). The same bytes are the same records: a retransmission
    /// is new records with new sequence numbers (RFC 9147 §4.2.1, RFC 6347 §4.1.2.1). DTLS
    /// has used a plaintext copy (it needs no keys), so another would only look like a
    /// retransmission to it, which a DTLS server answers by retransmitting its whole flight
    /// (RFC 9147 §5.8.1). Protected records are always handed up: DTLS drops those that
    /// come before their keys, and the copy may be the one it can read.
    fn seen_before(&mut self, datagram: &[u8]) -> bool {
        if !plaintext_only(datagram) {
            return false;
        }
        let hash = packet_hash(datagram);
        if self.seen.contains(&hash) {
            self.stats.copies_dropped += 1;
            return true;
        }
        if self.seen.len() == MAX_SEEN {
            self.seen.remove(0);
        }
        self.seen.push(hash);
        false
    }

    /// DTLS failed or SPED is turned off: nothing more is attached.
    pub(crate) fn turn_off(&mut self) {
        self.state = SpedState::Off;
        self.pending = Vec::new();
        self.received = Vec::new();
        self.seen = Vec::new();
    }

    /// A DTLS datagram that arrived as an ordinary datagram: acknowledged too, so the peer
    /// stops piggybacking it. True when it is a copy of a plaintext one received before
    /// (piggybacked or not), not to be handed to DTLS again.
    pub(crate) fn plain_dtls_received(&mut self, datagram: &[u8]) -> bool {
        if !self.state.is_active() || !is_dtls(datagram) {
            return false;
        }
        self.remember(packet_hash(datagram));
        self.seen_before(datagram)
    }

    fn remember(&mut self, hash: u32) {
        if self.received.contains(&hash) {
            return;
        }
        if self.received.len() == MAX_ACKS {
            self.received.remove(0);
        }
        self.received.push(hash);
    }

    /// What to attach to the next Binding request or success response.
    pub(crate) fn attach(&mut self) -> Attach {
        if !self.state.is_active() {
            return Attach::default();
        }
        let data = if self.pending.is_empty() {
            None
        } else {
            let i = self.next % self.pending.len();
            self.next = i + 1;
            self.stats.data_sent += 1;
            self.attached += 1;
            Some(self.pending[i].1.clone())
        };
        let mut acks = [0u8; 4 * MAX_ACKS];
        for (slot, hash) in acks.chunks_exact_mut(4).zip(&self.received) {
            slot.copy_from_slice(&hash.to_be_bytes());
        }
        self.stats.acks_sent += 1;
        Attach {
            data,
            acks: Some(acks),
            acks_len: 4 * self.received.len(),
        }
    }

    /// What an authenticated Binding request or success response carried. Returns the
    /// DTLS datagram to hand to DTLS as if it had arrived on its own.
    pub(crate) fn received<'a>(&mut self, p: Piggybacked<'a>) -> Option<&'a [u8]> {
        if !self.state.is_active() {
            return None;
        }
        if p.data.is_some() {
            self.stats.data_received += 1;
        }
        if p.acks.is_some() {
            self.stats.acks_received += 1;
        }
        if p.data.is_none() && p.acks.is_none() {
            match self.state {
                // The peer answered or checked without SPED: it does not do it.
                SpedState::Tentative => self.turn_off(),
                // The peer finished and stopped attaching: so do we.
                SpedState::Pending => self.complete(),
                _ => {}
            }
            return None;
        }
        if self.state == SpedState::Tentative {
            self.state = SpedState::Confirmed;
        }
        if let Some(acks) = p.acks {
            if acks.len() % 4 != 0 {
                self.stats.malformed += 1;
            } else if !self.pending.is_empty() {
                let acked: Vec<u32> = acks
                    .chunks_exact(4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                self.pending.retain(|(h, _)| !acked.contains(h));
            }
        }
        let mut deliver = None;
        match p.data {
            Some(d) if !d.is_empty() && is_dtls(d) => {
                // Acknowledged again (the peer may have missed our ack), handed up once.
                self.remember(packet_hash(d));
                if !self.seen_before(d) {
                    deliver = Some(d);
                }
            }
            Some(d) if !d.is_empty() => self.stats.malformed += 1,
            _ => {}
        }
        if self.state == SpedState::Pending && self.pending.is_empty() {
            self.complete();
        }
        deliver
    }

    fn complete(&mut self) {
        self.state = SpedState::Complete;
        self.pending = Vec::new();
        self.received = Vec::new();
        self.seen = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake DTLS record of `n` bytes whose last byte is `tag`.
    fn record(tag: u8) -> Vec<u8> {
        let mut r = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        r.push(tag);
        r
    }

    /// Sends what `from` attaches to `to`, as one message.
    fn carry(from: &mut Sped, to: &mut Sped) -> Option<Vec<u8>> {
        let a = from.attach();
        let acks = a.acks.map(|x| x[..a.acks_len].to_vec());
        to.received(Piggybacked {
            data: a.data.as_deref(),
            acks: acks.as_deref(),
        })
        .map(<[u8]>::to_vec)
    }

    #[test]
    fn dtls_1_2_handshake_over_four_messages_then_complete() {
        let (mut client, mut server) = (Sped::new(true), Sped::new(true));
        let f1 = record(1);
        client.flight([&f1[..]]);
        // Request client -> server with the ClientHello.
        assert_eq!(carry(&mut client, &mut server), Some(f1.clone()));
        assert_eq!(server.state(), SpedState::Confirmed);
        // Response with flight 2 and the ack of flight 1.
        let f2 = [record(2), record(3)];
        server.flight(f2.iter().map(Vec::as_slice));
        assert_eq!(carry(&mut server, &mut client), Some(f2[0].clone()));
        assert_eq!(client.state(), SpedState::Confirmed);
        assert!(client.pending.is_empty(), "flight 1 was acked");
        // The next message carries the rest of flight 2.
        assert_eq!(carry(&mut server, &mut client), Some(f2[1].clone()));
        // Flight 3; the server finishes with flight 4.
        let f3 = record(4);
        client.flight([&f3[..]]);
        assert_eq!(carry(&mut client, &mut server), Some(f3.clone()));
        let f4 = record(5);
        server.flight([&f4[..]]);
        server.handshake_complete(false);
        assert_eq!(server.state(), SpedState::Pending);
        assert_eq!(carry(&mut server, &mut client), Some(f4));
        client.handshake_complete(true);
        assert_eq!(client.state(), SpedState::Pending);
        // The client's ack of flight 4 completes the server; its empty flight completes it.
        assert_eq!(carry(&mut client, &mut server), None);
        assert_eq!(server.state(), SpedState::Complete);
        assert_eq!(carry(&mut server, &mut client), None);
        assert_eq!(client.state(), SpedState::Complete);
        assert_eq!(client.attach().acks, None, "nothing attached once complete");
        assert!(server.stats().data_sent >= 3);
    }

    #[test]
    fn a_peer_without_sped_turns_it_off() {
        let mut s = Sped::new(true);
        s.flight([&record(1)[..]]);
        assert!(s.attach().data.is_some());
        assert_eq!(
            s.received(Piggybacked {
                data: None,
                acks: None
            }),
            None
        );
        assert_eq!(s.state(), SpedState::Off);
        let a = s.attach();
        assert!(a.data.is_none() && a.acks.is_none());
        // Late attributes change nothing.
        s.received(Piggybacked {
            data: Some(&record(9)),
            acks: Some(&[]),
        });
        assert_eq!(s.state(), SpedState::Off);
    }

    #[test]
    fn an_empty_ack_confirms_and_acks_are_bounded() {
        let mut s = Sped::new(true);
        s.received(Piggybacked {
            data: None,
            acks: Some(&[]),
        });
        assert_eq!(s.state(), SpedState::Confirmed);
        for tag in 0..10 {
            s.plain_dtls_received(&record(tag));
        }
        let a = s.attach();
        assert_eq!(a.acks_len, 4 * MAX_ACKS);
        let newest = packet_hash(&record(9)).to_be_bytes();
        assert_eq!(&a.acks.unwrap()[12..16], &newest);
    }

    #[test]
    fn malformed_attributes_are_counted_and_ignored() {
        let mut s = Sped::new(true);
        s.flight([&record(1)[..]]);
        assert_eq!(
            s.received(Piggybacked {
                data: Some(b"not dtls at all"),
                acks: Some(&[1, 2, 3]),
            }),
            None
        );
        assert_eq!(s.stats().malformed, 2);
        assert_eq!(s.state(), SpedState::Confirmed);
        assert_eq!(s.pending.len(), 1, "a malformed ack acks nothing");
    }

    /// A plaintext datagram (a ClientHello) that comes again, in a check or on its own,
    /// is a copy and not handed up twice; a protected one (DTLS 1.3's unified header) is
    /// always handed up, as DTLS may have dropped the first for want of its keys.
    #[test]
    fn plaintext_copies_are_dropped_protected_ones_handed_up() {
        fn piggybacked(d: &[u8]) -> Piggybacked<'_> {
            Piggybacked {
                data: Some(d),
                acks: Some(&[]),
            }
        }
        let mut s = Sped::new(true);
        let hello = record(1);
        assert_eq!(s.received(piggybacked(&hello)), Some(&hello[..]));
        assert!(s.plain_dtls_received(&hello), "the same bytes on their own");
        assert_eq!(s.received(piggybacked(&hello)), None, "attached again");
        assert!(!s.plain_dtls_received(&record(2)), "a new datagram");
        // Two plaintext records in one datagram, then one whose second record is cut.
        let mut two = record(3);
        two.extend_from_slice(&record(4));
        assert!(!s.plain_dtls_received(&two));
        assert!(s.plain_dtls_received(&two));
        let cut = &two[..two.len() - 1];
        assert!(!s.plain_dtls_received(cut) && !s.plain_dtls_received(cut));
        // A DTLS 1.3 ciphertext record (unified header 0b001CSLEE) and a record of epoch 1.
        let protected = [0x2c, 0, 1, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];
        let mut epoch1 = record(5);
        epoch1[4] = 1;
        for d in [&protected[..], &epoch1] {
            assert_eq!(s.received(piggybacked(d)), Some(d));
            assert_eq!(s.received(piggybacked(d)), Some(d));
        }
        assert_eq!(s.stats().copies_dropped, 3);
        // Once SPED is over, nothing is judged.
        s.turn_off();
        assert!(!s.plain_dtls_received(&hello));
    }

    #[test]
    fn flights_are_bounded_and_disabled_controller_attaches_nothing() {
        let mut s = Sped::new(true);
        let packets: Vec<Vec<u8>> = (0..20).map(record).collect();
        s.flight(packets.iter().map(Vec::as_slice));
        assert_eq!(s.pending.len(), MAX_FLIGHT_PACKETS);
        assert_eq!(s.stats().flight_packets_dropped, 4);
        let mut off = Sped::new(false);
        off.flight([&record(1)[..]]);
        let a = off.attach();
        assert!(a.data.is_none() && a.acks.is_none());
        assert_eq!(off.state(), SpedState::Off);
    }
}
