//! SNAP (draft-hancke-tsvwg-snap): the INIT parameters of both ends travel in the SDP
//! (`a=sctp-init`, the INIT chunk in base64), so the association starts established once
//! DTLS is up, without INIT, INIT ACK, COOKIE ECHO and COOKIE ACK (two round trips).
//!
//! Our INIT for SDP is the one the four-way handshake sends (the same tag, initial TSN,
//! window, streams and extensions), so an association that falls back to the handshake
//! (the peer's description had no `a=sctp-init`) says the same about itself.

use super::cookie::PeerInit;
use super::{Association, State};
use crate::wire::{Chunk, ChunkType, Param};

/// Type, flags and length (RFC 9260 §3.2).
const CHUNK_HEADER: usize = 4;

/// Why a peer's INIT from SDP cannot start the association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapError {
    /// Not an INIT chunk, or its length field and parameters do not hold together.
    #[error("the sctp-init value is not a well-formed INIT chunk")]
    Malformed,
    /// An INIT with a zero Initiate Tag or no streams (RFC 9260 §3.3.2).
    #[error("the sctp-init INIT has a zero tag or no streams")]
    Invalid,
    /// The association already started (a handshake or SNAP ran).
    #[error("the association has already started")]
    AlreadyStarted,
}

impl Association {
    /// Our INIT chunk (header and value) for `a=sctp-init`.
    pub(super) fn snap_init_chunk(&self) -> Vec<u8> {
        let params = [
            Param::ForwardTsnSupported,
            Param::SupportedExtensions(&Self::EXTENSIONS),
        ];
        let chunk = Chunk::Init(self.our_init(&params));
        // Our INIT is a few dozen bytes: its length always fits.
        let len = chunk.buffer_len().unwrap_or(CHUNK_HEADER);
        let mut bytes = vec![0u8; len];
        if len > CHUNK_HEADER {
            chunk.emit(&mut bytes);
        }
        bytes
    }

    /// Reads the peer's INIT chunk from its `a=sctp-init`.
    pub(super) fn peer_init_from_sdp(chunk: &[u8]) -> Result<PeerInit, SnapError> {
        if chunk.len() < CHUNK_HEADER || chunk[0] != ChunkType::INIT.0 {
            return Err(SnapError::Malformed);
        }
        let len = usize::from(u16::from_be_bytes([chunk[2], chunk[3]]));
        // The length covers header and value; padding after it, if sent, is ignored.
        if len < CHUNK_HEADER || len > chunk.len() {
            return Err(SnapError::Malformed);
        }
        let Ok(Chunk::Init(init)) =
            Chunk::parse(ChunkType::INIT, chunk[1], &chunk[CHUNK_HEADER..len])
        else {
            return Err(SnapError::Malformed);
        };
        // RFC 9260 §3.3.2: a zero Initiate Tag, or no streams, is a protocol violation.
        if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
            return Err(SnapError::Invalid);
        }
        Ok(PeerInit::from_init(&init))
    }

    /// Starts established from the peer's INIT (draft-hancke-tsvwg-snap §5): only from
    /// CLOSED.
    pub(super) fn start_from_peer_init(&mut self, peer: PeerInit) -> Result<(), SnapError> {
        if self.ended || self.state != State::Closed {
            return Err(SnapError::AlreadyStarted);
        }
        self.establish(peer);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::wire::Packet;
    use crate::{Config, Event, SendOptions};

    /// Chromium 156's `a=sctp-init` (with `--force-fieldtrials=WebRTC-Sctp-Snap/Enabled/`),
    /// base64-decoded: a 30-byte INIT whose last parameter is not padded.
    const CHROMIUM_INIT: [u8; 30] = [
        0x01, 0x00, 0x00, 0x1e, 0x00, 0x14, 0xd6, 0xcc, 0x00, 0x50, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xb6, 0x08, 0x7f, 0x90, 0xc0, 0x00, 0x00, 0x04, 0x80, 0x08, 0x00, 0x06, 0x82, 0xc0,
    ];

    #[allow(clippy::disallowed_methods)] // the epoch of simulated time
    fn epoch() -> Instant {
        Instant::now()
    }

    fn config(seed: u64) -> Config {
        Config {
            seed,
            heartbeat_interval: None,
            ..Config::default()
        }
    }

    #[test]
    fn chromiums_sctp_init_is_read() {
        let peer = Association::peer_init_from_sdp(&CHROMIUM_INIT).unwrap();
        assert_eq!(peer.tag, 0x0014_d6cc);
        assert_eq!(peer.a_rwnd, 0x0050_0000);
        assert_eq!(peer.initial_tsn, 0xb608_7f90);
        assert_eq!(
            (peer.outbound_streams, peer.inbound_streams),
            (65535, 65535)
        );
        assert!(peer.forward_tsn && peer.reconfig);
    }

    #[test]
    fn our_sctp_init_is_the_init_the_handshake_sends() {
        let now = epoch();
        let mut a = Association::new(config(7), now);
        let snap = a.snap_init();
        assert_eq!(snap, a.snap_init(), "the same every time");
        a.connect(now);
        let mut p = Vec::new();
        assert!(a.poll_transmit_into(&mut p));
        let packet = Packet::parse(&p).unwrap();
        let Some(Ok(Chunk::Init(sent))) = packet.chunks().next() else {
            panic!("INIT first");
        };
        let Ok(Chunk::Init(ours)) =
            Chunk::parse(ChunkType::INIT, snap[1], &snap[CHUNK_HEADER..snap.len()])
        else {
            panic!("our sctp-init is an INIT");
        };
        assert_eq!(ours, sent);
    }

    /// Two ends that exchanged INITs in SDP are established at once, without a packet,
    /// and messages flow both ways.
    #[test]
    fn both_ends_start_established_and_messages_flow() {
        let now = epoch();
        let mut a = Association::new(config(1), now);
        let mut b = Association::new(config(2), now);
        let (init_a, init_b) = (a.snap_init(), b.snap_init());
        a.connect_snap(now, &init_b).unwrap();
        b.connect_snap(now, &init_a).unwrap();
        assert!(a.is_established() && b.is_established());
        assert_eq!(a.poll_event(), Some(Event::Connected));
        assert_eq!(b.poll_event(), Some(Event::Connected));
        let mut p = Vec::new();
        assert!(!a.poll_transmit_into(&mut p), "no handshake packet");
        a.send(now, 1, 51, b"from a".to_vec(), SendOptions::default())
            .unwrap();
        b.send(now, 2, 51, b"from b".to_vec(), SendOptions::default())
            .unwrap();
        let mut t = now;
        let (mut at_a, mut at_b) = (Vec::new(), Vec::new());
        for _ in 0..10 {
            while a.poll_transmit_into(&mut p) {
                b.handle_datagram(t, &p);
            }
            while b.poll_transmit_into(&mut p) {
                a.handle_datagram(t, &p);
            }
            while let Some(e) = a.poll_event() {
                if let Event::Message(m) = e {
                    at_a.push(m.data);
                }
            }
            while let Some(e) = b.poll_event() {
                if let Event::Message(m) = e {
                    at_b.push(m.data);
                }
            }
            t += Duration::from_millis(50);
            a.handle_timeout(t);
            b.handle_timeout(t);
        }
        assert_eq!(at_b, [b"from a".to_vec()]);
        assert_eq!(at_a, [b"from b".to_vec()]);
        assert_eq!(a.metrics().dropped_malformed, 0);
    }

    #[test]
    fn bad_sctp_init_values_are_refused() {
        let mut wrong_type = CHROMIUM_INIT;
        wrong_type[0] = ChunkType::INIT_ACK.0;
        let mut long = CHROMIUM_INIT;
        long[3] = 40;
        let mut zero_tag = CHROMIUM_INIT;
        zero_tag[4..8].fill(0);
        let mut no_streams = CHROMIUM_INIT;
        no_streams[12..14].fill(0);
        for (bytes, error) in [
            (&[][..], SnapError::Malformed),
            (&CHROMIUM_INIT[..3], SnapError::Malformed),
            (&CHROMIUM_INIT[..20], SnapError::Malformed),
            (&wrong_type[..], SnapError::Malformed),
            (&long[..], SnapError::Malformed),
            (&zero_tag[..], SnapError::Invalid),
            (&no_streams[..], SnapError::Invalid),
        ] {
            let mut a = Association::new(config(3), epoch());
            assert_eq!(a.connect_snap(epoch(), bytes), Err(error), "{bytes:?}");
            assert_eq!(a.state(), State::Closed);
        }
        // Once a handshake started, SNAP cannot start it again.
        let mut a = Association::new(config(3), epoch());
        a.connect(epoch());
        assert_eq!(
            a.connect_snap(epoch(), &CHROMIUM_INIT),
            Err(SnapError::AlreadyStarted)
        );
    }
}
