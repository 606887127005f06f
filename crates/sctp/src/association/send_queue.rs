//! Messages waiting to be sent, per stream, and the fragments the transmitter takes from them
//! (RFC 9260 §6.9). A message is cut into DATA chunks only when a packet has room for them,
//! so what is queued stays one `Bytes` per message, and `bufferedAmount` is what was not yet
//! cut.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;

/// How a message is delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Sent unordered (U bit, RFC 9260 §6.6): delivered as soon as it is whole.
    pub unordered: bool,
    /// Partial reliability by time (RFC 3758 §4.1 "timed reliability"): not sent or
    /// retransmitted after this instant.
    pub expires: Option<Instant>,
    /// Partial reliability by retransmissions (RFC 7496 §3.1): abandoned after this many
    /// retransmissions.
    pub max_retransmissions: Option<u16>,
}

/// One queued message.
#[derive(Debug)]
struct OutMessage {
    id: u64,
    ppid: u32,
    data: Bytes,
    /// Bytes already cut into chunks.
    offset: usize,
    options: SendOptions,
    /// Assigned when the first fragment is cut (ordered messages only).
    ssn: u16,
}

#[derive(Debug, Default)]
struct OutStream {
    queue: VecDeque<OutMessage>,
    /// Bytes queued and not yet cut into chunks.
    buffered: usize,
    low_threshold: usize,
    next_ssn: u16,
    /// A reset was asked for: no more messages until it is done.
    resetting: bool,
}

/// A DATA chunk's worth of a message, cut from the queue.
#[derive(Debug, Clone)]
pub(crate) struct Fragment {
    pub(crate) stream: u16,
    pub(crate) ssn: u16,
    pub(crate) ppid: u32,
    pub(crate) beginning: bool,
    pub(crate) ending: bool,
    pub(crate) data: Bytes,
    pub(crate) message: u64,
    pub(crate) options: SendOptions,
}

/// Why a message was refused by the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueError {
    Full,
    Resetting,
}

/// The per-stream queues and the round-robin between streams.
#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    streams: BTreeMap<u16, OutStream>,
    /// Streams with messages queued, in the order they get their next turn.
    active: VecDeque<u16>,
    /// The stream whose front message is partly cut: its fragments must have consecutive
    /// TSNs (RFC 9260 §6.9), so it is finished first.
    current: Option<u16>,
    total_buffered: usize,
    next_message: u64,
    /// Streams whose buffered amount fell to their threshold.
    low: Vec<u16>,
    /// Messages whose lifetime ended before they were sent.
    pub(crate) expired_unsent: u64,
}

impl SendQueue {
    /// Queues a message.
    pub(crate) fn push(
        &mut self,
        stream: u16,
        ppid: u32,
        data: Bytes,
        options: SendOptions,
        limits: (usize, usize),
    ) -> Result<(), QueueError> {
        let (total_limit, stream_limit) = limits;
        let s = self.streams.entry(stream).or_default();
        if s.resetting {
            return Err(QueueError::Resetting);
        }
        let len = data.len();
        if self.total_buffered + len > total_limit || s.buffered + len > stream_limit {
            return Err(QueueError::Full);
        }
        if s.queue.is_empty() {
            self.active.push_back(stream);
        }
        s.buffered += len;
        self.total_buffered += len;
        s.queue.push_back(OutMessage {
            id: self.next_message,
            ppid,
            data,
            offset: 0,
            options,
            ssn: 0,
        });
        self.next_message += 1;
        Ok(())
    }

    /// Whether anything waits to be cut.
    pub(crate) fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Bytes queued on a stream and not yet cut into chunks.
    pub(crate) fn buffered(&self, stream: u16) -> usize {
        self.streams.get(&stream).map_or(0, |s| s.buffered)
    }

    /// Bytes queued on all streams.
    pub(crate) fn total_buffered(&self) -> usize {
        self.total_buffered
    }

    pub(crate) fn set_low_threshold(&mut self, stream: u16, bytes: usize) {
        self.streams.entry(stream).or_default().low_threshold = bytes;
    }

    /// Streams whose buffered amount fell to or below their threshold since the last call.
    pub(crate) fn take_low(&mut self) -> Vec<u16> {
        std::mem::take(&mut self.low)
    }

    /// Cuts the next fragment of at most `max_payload` bytes.
    pub(crate) fn next_fragment(&mut self, now: Instant, max_payload: usize) -> Option<Fragment> {
        loop {
            let stream = match self.current {
                Some(s) => s,
                None => *self.active.front()?,
            };
            let s = self.streams.get_mut(&stream)?;
            let Some(m) = s.queue.front_mut() else {
                // Nothing left on this stream (its messages expired).
                self.active.retain(|&x| x != stream);
                self.current = None;
                continue;
            };
            let beginning = m.offset == 0;
            // RFC 3758 §3.1 (and RFC 8831 §6.6): a message whose lifetime ended before it
            // was sent at all is dropped here, never put on the wire.
            if beginning && m.options.expires.is_some_and(|t| t <= now) {
                let len = m.data.len();
                s.queue.pop_front();
                s.buffered -= len;
                self.total_buffered -= len;
                self.expired_unsent += 1;
                Self::note_low(&mut self.low, stream, s, len);
                if s.queue.is_empty() {
                    self.active.retain(|&x| x != stream);
                }
                continue;
            }
            if beginning && !m.options.unordered {
                m.ssn = s.next_ssn;
                s.next_ssn = s.next_ssn.wrapping_add(1);
            }
            let take = (m.data.len() - m.offset).min(max_payload);
            let data = m.data.slice(m.offset..m.offset + take);
            m.offset += take;
            let ending = m.offset == m.data.len();
            let fragment = Fragment {
                stream,
                ssn: m.ssn,
                ppid: m.ppid,
                beginning,
                ending,
                data,
                message: m.id,
                options: m.options,
            };
            s.buffered -= take;
            self.total_buffered -= take;
            Self::note_low(&mut self.low, stream, s, take);
            if ending {
                s.queue.pop_front();
                self.current = None;
                // Round robin: the stream goes to the back of the line, or out of it.
                if self.active.front() == Some(&stream) {
                    self.active.pop_front();
                } else {
                    self.active.retain(|&x| x != stream);
                }
                if !s.queue.is_empty() {
                    self.active.push_back(stream);
                }
            } else {
                self.current = Some(stream);
            }
            return Some(fragment);
        }
    }

    fn note_low(low: &mut Vec<u16>, stream: u16, s: &OutStream, took: usize) {
        if s.buffered <= s.low_threshold && s.buffered + took > s.low_threshold {
            low.push(stream);
        }
    }

    /// Drops what is left of a partly sent message that was abandoned (RFC 3758 §3.5).
    pub(crate) fn abandon(&mut self, stream: u16, message: u64) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        let Some(m) = s.queue.front() else {
            return;
        };
        if m.id != message {
            return;
        }
        let left = m.data.len() - m.offset;
        s.queue.pop_front();
        s.buffered -= left;
        self.total_buffered -= left;
        Self::note_low(&mut self.low, stream, s, left);
        if self.current == Some(stream) {
            self.current = None;
        }
        self.active.retain(|&x| x != stream);
        if !s.queue.is_empty() {
            self.active.push_back(stream);
        }
    }

    /// Marks streams as resetting: they refuse new messages.
    pub(crate) fn start_reset(&mut self, stream: u16) {
        self.streams.entry(stream).or_default().resetting = true;
    }

    /// Whether a stream has nothing left to cut (its reset can be asked for).
    pub(crate) fn is_drained(&self, stream: u16) -> bool {
        self.streams.get(&stream).is_none_or(|s| s.queue.is_empty())
    }

    /// The reset was performed: the stream's SSN starts again at 0 (RFC 6525 §5.1.2) and it
    /// takes messages again. A stream with no state left is forgotten.
    pub(crate) fn finish_reset(&mut self, stream: u16, performed: bool) {
        if let Some(s) = self.streams.get_mut(&stream) {
            s.resetting = false;
            if performed {
                s.next_ssn = 0;
            }
            if s.queue.is_empty() && s.low_threshold == 0 && s.next_ssn == 0 {
                self.streams.remove(&stream);
            }
        }
    }

    /// Drops everything (the association ended).
    pub(crate) fn clear(&mut self) {
        self.streams.clear();
        self.active.clear();
        self.current = None;
        self.total_buffered = 0;
    }
}
