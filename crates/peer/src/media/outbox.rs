//! Plain RTP and RTCP packets the media side built, waiting for the peer to protect them
//! with SRTP and send them. Buffers are recycled: no allocation per packet once warm.

use std::collections::VecDeque;

use rtcweb_cc::PacketClass;

/// Most packets waiting; more are dropped and counted (the peer drains after every input).
const MAX_QUEUED: usize = 1024;
/// Most spare buffers kept for reuse.
const MAX_SPARE: usize = 64;

/// A packet to protect and send.
#[derive(Debug)]
pub(crate) struct OutPacket {
    /// The plain packet.
    pub(crate) bytes: Vec<u8>,
    /// RTCP (else RTP).
    pub(crate) rtcp: bool,
    /// How the pacer treats it (RTP only).
    pub(crate) class: PacketClass,
}

/// The queue of built packets, and the spare buffers.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<OutPacket>,
    spare: Vec<Vec<u8>>,
    /// Packets dropped because the queue was full.
    pub(crate) dropped: u64,
}

impl Outbox {
    /// An empty buffer to build a packet in.
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        let mut b = self.spare.pop().unwrap_or_default();
        b.clear();
        b
    }

    /// Queues a built RTCP packet.
    pub(crate) fn push_rtcp(&mut self, bytes: Vec<u8>) {
        self.push(OutPacket {
            bytes,
            rtcp: true,
            class: PacketClass::Audio,
        });
    }

    /// Queues a built RTP packet of this class.
    pub(crate) fn push_rtp(&mut self, bytes: Vec<u8>, class: PacketClass) {
        self.push(OutPacket {
            bytes,
            rtcp: false,
            class,
        });
    }

    fn push(&mut self, packet: OutPacket) {
        if self.queue.len() >= MAX_QUEUED {
            self.dropped += 1;
            self.recycle(packet.bytes);
            return;
        }
        self.queue.push_back(packet);
    }

    /// The next packet to send.
    pub(crate) fn pop(&mut self) -> Option<OutPacket> {
        self.queue.pop_front()
    }

    /// A buffer the peer is done with.
    pub(crate) fn recycle(&mut self, buffer: Vec<u8>) {
        if self.spare.len() < MAX_SPARE {
            self.spare.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_and_the_queue_is_bounded() {
        let mut o = Outbox::default();
        let mut b = o.buffer();
        b.extend_from_slice(&[1, 2, 3]);
        let cap = b.capacity();
        o.push_rtp(b, PacketClass::Video);
        let p = o.pop().unwrap();
        assert_eq!(p.bytes, [1, 2, 3]);
        o.recycle(p.bytes);
        let again = o.buffer();
        assert!(again.is_empty() && again.capacity() == cap);
        for _ in 0..MAX_QUEUED + 5 {
            let b = o.buffer();
            o.push_rtcp(b);
        }
        assert_eq!(o.dropped, 5);
        assert!(o.pop().is_some());
    }
}
