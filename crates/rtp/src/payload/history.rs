//! Send-side packet history: keeps recent packets so NACKed ones can be resent as RTX
//! (RFC 4588), bounded by count and age.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Recently sent packets of one stream, by sequence number.
#[derive(Debug, Clone)]
pub struct PacketHistory {
    packets: VecDeque<(u16, Instant, Vec<u8>)>,
    max_packets: usize,
    max_age: Duration,
}

impl PacketHistory {
    /// Keeps at most `max_packets` packets, none older than `max_age` (e.g. 1 s: older
    /// retransmissions arrive too late to play).
    pub fn new(max_packets: usize, max_age: Duration) -> Self {
        Self {
            packets: VecDeque::with_capacity(max_packets.min(4096)),
            max_packets,
            max_age,
        }
    }

    /// Records a sent packet (its payload, or the whole packet: the caller decides).
    pub fn insert(&mut self, seq: u16, sent: Instant, payload: &[u8]) {
        if self.max_packets == 0 {
            return;
        }
        while self.packets.len() >= self.max_packets {
            self.packets.pop_front();
        }
        self.packets.push_back((seq, sent, payload.to_vec()));
    }

    /// The packet with this sequence number, if still kept and not too old.
    pub fn get(&mut self, seq: u16, now: Instant) -> Option<&[u8]> {
        while let Some((_, sent, _)) = self.packets.front() {
            if now.saturating_duration_since(*sent) > self.max_age {
                self.packets.pop_front();
            } else {
                break;
            }
        }
        self.packets
            .iter()
            .rev()
            .find(|(s, _, _)| *s == seq)
            .map(|(_, _, p)| p.as_slice())
    }

    /// Number of packets kept.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }
}
