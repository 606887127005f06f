//! A bottleneck on an access link: a rate, a drop-tail queue in front of it, and
//! serialization at that rate (a packet leaves when the one before it has finished).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Which way across a host's access link a bottleneck applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Packets leaving the host (its uplink).
    Up,
    /// Packets entering the host (its downlink).
    Down,
}

/// How much a bottleneck's drop-tail queue holds. A packet that would take the queue (the
/// packet being serialized included) past the limit is dropped on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueLimit {
    /// At most this many bytes (with [`Bottleneck::overhead`]).
    Bytes(usize),
    /// At most what the current rate sends in this time: the longest a packet can wait.
    Time(Duration),
}

/// A bottleneck on one direction of a host's access link
/// ([`Network::set_bottleneck`](crate::Network::set_bottleneck)).
///
/// A packet joins the queue when it enters the link, is serialized at [`rate_bps`]
/// (`bytes × 8 / rate`) once the packets ahead of it have left, and then crosses the rest of
/// the link ([`LinkConfig`](crate::LinkConfig): loss, delay, jitter, ...). A rate of zero
/// holds the queue (a link that is down).
///
/// [`rate_bps`]: Self::rate_bps
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bottleneck {
    /// The link rate in bits per second.
    pub rate_bps: u64,
    /// The queue's limit.
    pub queue: QueueLimit,
    /// Bytes each packet takes on the wire beyond its UDP payload: 28 for IPv4 + UDP
    /// headers, 48 for IPv6 + UDP.
    pub overhead: usize,
}

impl Bottleneck {
    /// A bottleneck of `rate_bps` with a queue of at most `max_delay` at that rate, counting
    /// IPv4 + UDP headers (28 bytes).
    pub fn new(rate_bps: u64, max_delay: Duration) -> Self {
        Self {
            rate_bps,
            queue: QueueLimit::Time(max_delay),
            overhead: 28,
        }
    }

    /// The queue's limit in bytes at the current rate.
    pub fn limit_bytes(&self) -> u64 {
        match self.queue {
            QueueLimit::Bytes(b) => b as u64,
            QueueLimit::Time(d) => {
                let bytes = u128::from(self.rate_bps) * d.as_nanos() / 8 / NANOS_PER_SEC;
                u64::try_from(bytes).unwrap_or(u64::MAX)
            }
        }
    }
}

/// What one bottleneck did, from [`Network::bottleneck_stats`](crate::Network::bottleneck_stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BottleneckStats {
    /// Packets in the queue now (the one being serialized included).
    pub queued_packets: usize,
    /// Their bytes on the wire (with overhead).
    pub queued_bytes: u64,
    /// Packets that have crossed the bottleneck.
    pub passed: u64,
    /// Bytes on the wire (with overhead) that have crossed it.
    pub passed_bytes: u64,
    /// Packets dropped at the tail of the full queue.
    pub dropped: u64,
    /// Sum of the time packets that crossed waited before their serialization began.
    pub queue_delay_total: Duration,
    /// The longest such wait.
    pub queue_delay_max: Duration,
    /// The wait of the last packet that crossed.
    pub queue_delay_last: Duration,
}

/// A packet in the queue.
#[derive(Debug)]
struct Queued<P> {
    item: P,
    arrived: Instant,
    wire_bytes: u64,
}

/// The packet being serialized.
#[derive(Debug, Clone, Copy)]
struct Head {
    /// When its remaining work was last computed (serialization start or a rate change).
    since: Instant,
    /// Work left at `since`, in bit-nanoseconds per second (bits × 10⁹): divided by the
    /// rate it gives the nanoseconds left, with no rounding carried across rate changes.
    work: u128,
    /// When it is done at the current rate (`None` at rate zero).
    done_at: Option<Instant>,
    /// How long it waited in the queue before its serialization began.
    waited: Duration,
}

/// The queue and serializer of one bottleneck, generic over what it carries.
#[derive(Debug)]
pub(crate) struct BottleneckQueue<P> {
    config: Bottleneck,
    queue: VecDeque<Queued<P>>,
    head: Option<Head>,
    stats: BottleneckStats,
    /// Bumped whenever `head.done_at` changes, so the owner can ignore stale timers.
    generation: u64,
}

/// What [`BottleneckQueue::offer`] did with a packet.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offer<P> {
    /// Queued; the owner must call [`BottleneckQueue::complete`] at this time (with this
    /// generation) if it is `Some`: the packet started serialization at once.
    Queued(Option<(Instant, u64)>),
    /// The queue was full: the packet is handed back, counted as dropped.
    Dropped(P),
}

/// A packet that has crossed the bottleneck, from [`BottleneckQueue::complete`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Completed<P> {
    pub(crate) item: P,
    /// How long it waited before its serialization began.
    pub(crate) waited: Duration,
    /// When the next packet, started now, is done (and its generation).
    pub(crate) next: Option<(Instant, u64)>,
}

impl<P> BottleneckQueue<P> {
    pub(crate) fn new(config: Bottleneck) -> Self {
        Self {
            config,
            queue: VecDeque::new(),
            head: None,
            stats: BottleneckStats::default(),
            generation: 0,
        }
    }

    pub(crate) fn config(&self) -> Bottleneck {
        self.config
    }

    pub(crate) fn stats(&self) -> BottleneckStats {
        self.stats
    }

    /// A packet of `payload` bytes arrives at `now`.
    pub(crate) fn offer(&mut self, now: Instant, payload: usize, item: P) -> Offer<P> {
        let wire_bytes = (payload as u64).saturating_add(self.config.overhead as u64);
        // Drop-tail: the packet must fit under the limit with everything ahead of it.
        if self.stats.queued_bytes.saturating_add(wire_bytes) > self.config.limit_bytes() {
            self.stats.dropped += 1;
            return Offer::Dropped(item);
        }
        self.queue.push_back(Queued {
            item,
            arrived: now,
            wire_bytes,
        });
        self.stats.queued_packets += 1;
        self.stats.queued_bytes += wire_bytes;
        if self.head.is_some() {
            return Offer::Queued(None);
        }
        Offer::Queued(self.start_head(now))
    }

    /// The head packet's serialization ends at `now` (the time [`offer`](Self::offer),
    /// `complete` or [`set_rate`](Self::set_rate) gave, with its generation; a stale
    /// generation or an early call returns `None`). Returns the packet, how long it waited
    /// in the queue and, if another one started, when that one is done.
    pub(crate) fn complete(&mut self, now: Instant, generation: u64) -> Option<Completed<P>> {
        let head = self.head?;
        if generation != self.generation || head.done_at.is_none_or(|t| t > now) {
            return None;
        }
        self.head = None;
        // `head` is set only while the queue has a packet at its front.
        let done = self.queue.pop_front()?;
        self.stats.queued_packets -= 1;
        self.stats.queued_bytes -= done.wire_bytes;
        self.stats.passed += 1;
        self.stats.passed_bytes += done.wire_bytes;
        let next = if self.queue.is_empty() {
            None
        } else {
            self.start_head(now)
        };
        Some(Completed {
            item: done.item,
            waited: head.waited,
            next,
        })
    }

    /// Changes the rate from `now` on; the packet being serialized finishes its remaining
    /// bits at the new rate. Returns the new completion time of the head, if any.
    pub(crate) fn set_rate(&mut self, now: Instant, rate_bps: u64) -> Option<(Instant, u64)> {
        let old = self.config.rate_bps;
        self.config.rate_bps = rate_bps;
        let head = self.head.as_mut()?;
        let elapsed = now.saturating_duration_since(head.since).as_nanos();
        head.work = head.work.saturating_sub(elapsed * u128::from(old));
        head.since = now;
        head.done_at = done_at(now, head.work, rate_bps);
        self.generation += 1;
        head.done_at.map(|t| (t, self.generation))
    }

    /// Changes the whole configuration from `now` (the rate as [`set_rate`](Self::set_rate);
    /// a smaller limit drops nothing already queued).
    pub(crate) fn set_config(
        &mut self,
        now: Instant,
        config: Bottleneck,
    ) -> Option<(Instant, u64)> {
        let rate = config.rate_bps;
        self.config = Bottleneck {
            rate_bps: self.config.rate_bps,
            ..config
        };
        self.set_rate(now, rate)
    }

    /// Empties the queue (the bottleneck is removed): the packets in order.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = P> + '_ {
        self.head = None;
        self.generation += 1;
        self.stats.queued_packets = 0;
        self.stats.queued_bytes = 0;
        self.queue.drain(..).map(|q| q.item)
    }

    /// Starts serializing the front packet at `now`.
    fn start_head(&mut self, now: Instant) -> Option<(Instant, u64)> {
        let front = self.queue.front()?;
        let wait = now.saturating_duration_since(front.arrived);
        self.stats.queue_delay_total = self.stats.queue_delay_total.saturating_add(wait);
        self.stats.queue_delay_max = self.stats.queue_delay_max.max(wait);
        self.stats.queue_delay_last = wait;
        let work = u128::from(front.wire_bytes) * 8 * NANOS_PER_SEC;
        let done = done_at(now, work, self.config.rate_bps);
        self.head = Some(Head {
            since: now,
            work,
            done_at: done,
            waited: wait,
        });
        self.generation += 1;
        done.map(|t| (t, self.generation))
    }
}

/// When `work` (bits × 10⁹) is done at `rate_bps` from `now`, rounded up to the nanosecond;
/// `None` at rate zero or past what `Instant` holds.
fn done_at(now: Instant, work: u128, rate_bps: u64) -> Option<Instant> {
    if rate_bps == 0 {
        return None;
    }
    let nanos = work.div_ceil(u128::from(rate_bps));
    now.checked_add(Duration::from_nanos(u64::try_from(nanos).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // the epoch of simulated time
    fn epoch() -> Instant {
        Instant::now()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn bottleneck(rate_bps: u64, queue: QueueLimit) -> Bottleneck {
        Bottleneck {
            rate_bps,
            queue,
            overhead: 0,
        }
    }

    #[test]
    fn serializes_back_to_back_at_the_rate() {
        let t0 = epoch();
        // 1 Mbit/s: 1250 bytes take 10 ms.
        let mut q = BottleneckQueue::new(bottleneck(1_000_000, QueueLimit::Bytes(10_000)));
        let Offer::Queued(Some((t1, g1))) = q.offer(t0, 1250, 1) else {
            panic!("first packet starts at once")
        };
        assert_eq!(t1, t0 + ms(10));
        assert_eq!(q.offer(t0, 1250, 2), Offer::Queued(None));
        assert!(q.complete(t0 + ms(9), g1).is_none(), "not done early");
        let done = q.complete(t1, g1).unwrap();
        assert_eq!((done.item, done.waited), (1, Duration::ZERO));
        let (t2, g2) = done.next.unwrap();
        assert_eq!(t2, t0 + ms(20));
        assert_eq!(q.stats().queue_delay_last, ms(10));
        let done = q.complete(t2, g2).unwrap();
        assert_eq!((done.item, done.waited, done.next), (2, ms(10), None));
        assert_eq!(q.stats().passed, 2);
        assert_eq!(q.stats().queued_bytes, 0);
    }

    #[test]
    fn drop_tail_at_the_byte_limit_and_at_the_time_limit() {
        let t0 = epoch();
        let mut q = BottleneckQueue::new(bottleneck(1_000_000, QueueLimit::Bytes(2500)));
        assert!(matches!(q.offer(t0, 1250, 1), Offer::Queued(_)));
        assert!(matches!(q.offer(t0, 1250, 2), Offer::Queued(_)));
        assert_eq!(q.offer(t0, 1, 3), Offer::Dropped(3));
        assert_eq!(q.stats().dropped, 1);
        // 20 ms at 1 Mbit/s is 2500 bytes, the same limit.
        let mut q = BottleneckQueue::new(bottleneck(1_000_000, QueueLimit::Time(ms(20))));
        assert_eq!(q.config().limit_bytes(), 2500);
        assert!(matches!(q.offer(t0, 2500, 1), Offer::Queued(_)));
        assert_eq!(q.offer(t0, 1, 2), Offer::Dropped(2));
    }

    #[test]
    fn a_rate_change_mid_packet_finishes_the_rest_at_the_new_rate() {
        let t0 = epoch();
        let mut q = BottleneckQueue::new(bottleneck(1_000_000, QueueLimit::Bytes(10_000)));
        let Offer::Queued(Some((_, g))) = q.offer(t0, 1250, 1) else {
            panic!("starts at once")
        };
        // Half sent after 5 ms; the other 5000 bits at 500 kbit/s take 10 ms more.
        let (t, g2) = q.set_rate(t0 + ms(5), 500_000).unwrap();
        assert_eq!(t, t0 + ms(15));
        assert!(q.complete(t, g).is_none(), "the old timer is stale");
        // Down, then up again: no time is lost.
        assert!(q.set_rate(t0 + ms(7), 0).is_none());
        let (t, g3) = q.set_rate(t0 + ms(17), 500_000).unwrap();
        assert_eq!(t, t0 + ms(17) + ms(8));
        assert!(q.complete(t, g2).is_none());
        assert_eq!(q.complete(t, g3).unwrap().item, 1);
    }
}
