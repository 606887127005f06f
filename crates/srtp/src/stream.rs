//! Per-SSRC stream state, created on demand in a table of bounded size.
//!
//! A stream is created only after a packet for it authenticated (or when we protect for it),
//! so unauthenticated packets with made-up SSRCs cost no memory.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::Error;
use crate::replay::ReplayWindow;

/// The state of one SSRC in one direction.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    /// Highest SRTP index we protected: ROC in the high 32 bits, SEQ in the low 16.
    pub(crate) rtp_sent: Option<u64>,
    /// Received SRTP indices; its highest is ROC || s_l of RFC 3711 §3.3.1.
    pub(crate) rtp_received: ReplayWindow,
    /// Next SRTCP index to send (RFC 3711 §3.3.2: starts at zero).
    pub(crate) rtcp_next: u32,
    /// Received SRTCP indices.
    pub(crate) rtcp_received: ReplayWindow,
}

impl Stream {
    fn new(window: usize) -> Self {
        Self {
            rtp_sent: None,
            rtp_received: ReplayWindow::new(window),
            rtcp_next: 0,
            rtcp_received: ReplayWindow::new(window),
        }
    }
}

/// A multiplicative hash for SSRCs: they are random 32-bit values already, and the table is
/// bounded, so SipHash's flooding resistance is not needed.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The streams of one context: a vector of streams with an SSRC index, and the position of
/// the last stream used, checked first (a sender or receiver usually sees runs of one
/// SSRC, so most packets skip the hash lookup).
#[derive(Debug, Clone)]
pub(crate) struct Streams {
    entries: Vec<(u32, Stream)>,
    index: HashMap<u32, usize, BuildHasherDefault<SsrcHasher>>,
    /// Position in `entries` of the stream used last.
    last: usize,
    max: usize,
    window: usize,
}

impl Streams {
    /// An empty table holding at most `max` streams with replay windows of `window` packets.
    pub(crate) fn new(max: usize, window: usize) -> Self {
        Self {
            entries: Vec::new(),
            index: HashMap::default(),
            last: 0,
            max,
            window: ReplayWindow::effective_size(window),
        }
    }

    fn position(&self, ssrc: u32) -> Option<usize> {
        match self.entries.get(self.last) {
            Some((s, _)) if *s == ssrc => Some(self.last),
            _ => self.index.get(&ssrc).copied(),
        }
    }

    /// The stream of `ssrc`, if it exists.
    pub(crate) fn get(&self, ssrc: u32) -> Option<&Stream> {
        let i = self.position(ssrc)?;
        Some(&self.entries[i].1)
    }

    /// The stream of `ssrc`, mutably, if it exists.
    pub(crate) fn get_mut(&mut self, ssrc: u32) -> Option<&mut Stream> {
        let i = self.position(ssrc)?;
        self.last = i;
        Some(&mut self.entries[i].1)
    }

    /// The stream of `ssrc`, created if there is room.
    pub(crate) fn get_or_create(&mut self, ssrc: u32) -> Result<&mut Stream, Error> {
        let i = match self.position(ssrc) {
            Some(i) => i,
            None => {
                if self.entries.len() >= self.max {
                    return Err(Error::TooManyStreams { max: self.max });
                }
                self.entries.push((ssrc, Stream::new(self.window)));
                let i = self.entries.len() - 1;
                self.index.insert(ssrc, i);
                i
            }
        };
        self.last = i;
        Ok(&mut self.entries[i].1)
    }

    /// Whether a stream for `ssrc` exists or could be created.
    pub(crate) fn has_room_for(&self, ssrc: u32) -> Result<(), Error> {
        if self.entries.len() < self.max || self.index.contains_key(&ssrc) {
            Ok(())
        } else {
            Err(Error::TooManyStreams { max: self.max })
        }
    }

    /// Forgets the stream of `ssrc` (e.g. after an RTCP BYE).
    pub(crate) fn remove(&mut self, ssrc: u32) -> bool {
        let Some(i) = self.index.remove(&ssrc) else {
            return false;
        };
        self.entries.swap_remove(i);
        if let Some((moved, _)) = self.entries.get(i) {
            self.index.insert(*moved, i);
        }
        self.last = 0;
        true
    }

    /// Number of streams.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded() {
        let mut s = Streams::new(2, 64);
        s.get_or_create(1).unwrap();
        s.get_or_create(2).unwrap();
        s.get_or_create(1).unwrap();
        assert_eq!(
            s.get_or_create(3).map(|_| ()),
            Err(Error::TooManyStreams { max: 2 })
        );
        assert!(s.has_room_for(2).is_ok());
        assert!(s.has_room_for(3).is_err());
        assert!(s.remove(1));
        assert_eq!(s.len(), 1);
        s.get_or_create(3).unwrap();
        assert!(s.get(3).is_some());
    }

    #[test]
    fn removal_keeps_every_other_stream_reachable() {
        let mut s = Streams::new(8, 64);
        for ssrc in 1..=5 {
            s.get_or_create(ssrc).unwrap().rtcp_next = ssrc * 10;
        }
        assert!(s.remove(2));
        assert!(!s.remove(2));
        assert!(s.get(2).is_none());
        for ssrc in [1, 3, 4, 5] {
            assert_eq!(s.get(ssrc).unwrap().rtcp_next, ssrc * 10);
            assert_eq!(s.get_mut(ssrc).unwrap().rtcp_next, ssrc * 10);
        }
        assert!(s.remove(5));
        assert!(s.get(5).is_none());
        assert_eq!(s.get(4).unwrap().rtcp_next, 40);
        assert_eq!(s.len(), 3);
    }
}
