//! Arrival-time grouping: packets sent within one 5 ms burst form a group, and the delay
//! signal compares whole groups (draft-ietf-rmcat-gcc-02 §5.2; libwebrtc `InterArrivalDelta`).

use std::time::{Duration, Instant};

/// Packets sent within this time of a group's first belong to it (gcc-02 §5.2: 5 ms).
const BURST_TIME: Duration = Duration::from_millis(5);
/// A group that arrives over more than this is not one burst.
const MAX_BURST_DURATION: Duration = Duration::from_millis(100);
/// Arrival jumps larger than the send gap by this much mean the receiver's clock jumped.
const ARRIVAL_OFFSET_THRESHOLD: Duration = Duration::from_secs(3);
/// After this many groups that arrive before their predecessor, start over.
const REORDER_RESET: u32 = 3;

#[derive(Debug, Clone, Copy)]
struct Group {
    first_send: Instant,
    last_send: Instant,
    first_arrival: Duration,
    last_arrival: Duration,
    size: usize,
}

/// The deltas between two consecutive groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GroupDelta {
    /// Send time of the later group minus the earlier one's, in ms.
    pub(crate) send_ms: f64,
    /// Arrival time of the later group minus the earlier one's, in ms.
    pub(crate) arrival_ms: f64,
    /// When the later group completed, on the receiver's clock, in ms.
    pub(crate) arrival_time_ms: f64,
}

/// Groups packets and yields deltas when a group completes.
#[derive(Debug, Default)]
pub(crate) struct InterArrival {
    current: Option<Group>,
    previous: Option<Group>,
    reordered: u32,
    resets: u64,
}

impl InterArrival {
    /// Adds one received packet (in arrival order); returns the deltas between the two
    /// groups before it when it starts a new group.
    pub(crate) fn add(
        &mut self,
        send: Instant,
        arrival: Duration,
        size: usize,
    ) -> Option<GroupDelta> {
        let Some(mut current) = self.current else {
            self.current = Some(Group::new(send, arrival, size));
            return None;
        };
        if send < current.first_send {
            // Reordered against the group: its delay is not comparable.
            return None;
        }
        let mut delta = None;
        if self.new_group(&current, send, arrival) {
            if let Some(prev) = self.previous {
                delta = self.deltas(&prev, &current);
            }
            self.previous = Some(current);
            current = Group::new(send, arrival, size);
        } else {
            current.last_send = current.last_send.max(send);
            current.last_arrival = current.last_arrival.max(arrival);
            current.size += size;
        }
        self.current = Some(current);
        delta
    }

    fn new_group(&self, current: &Group, send: Instant, arrival: Duration) -> bool {
        if self.belongs_to_burst(current, send, arrival) {
            return false;
        }
        send.saturating_duration_since(current.first_send) > BURST_TIME
    }

    /// A packet that arrives within 5 ms of the group and sooner than its send gap says was
    /// queued behind it: it is part of the same burst (gcc-02 §5.2).
    fn belongs_to_burst(&self, current: &Group, send: Instant, arrival: Duration) -> bool {
        let arrival_delta = ms(arrival) - ms(current.last_arrival);
        let send_delta = send
            .saturating_duration_since(current.last_send)
            .as_secs_f64()
            * 1000.0;
        if send_delta == 0.0 {
            return true;
        }
        let propagation_delta = arrival_delta - send_delta;
        propagation_delta < 0.0
            && arrival_delta <= ms(BURST_TIME)
            && arrival.saturating_sub(current.first_arrival) < MAX_BURST_DURATION
    }

    fn deltas(&mut self, prev: &Group, current: &Group) -> Option<GroupDelta> {
        let send_ms = current
            .last_send
            .saturating_duration_since(prev.last_send)
            .as_secs_f64()
            * 1000.0;
        let arrival_ms = ms(current.last_arrival) - ms(prev.last_arrival);
        if arrival_ms - send_ms > ms(ARRIVAL_OFFSET_THRESHOLD) {
            self.reset();
            return None;
        }
        if arrival_ms < 0.0 {
            self.reordered += 1;
            if self.reordered >= REORDER_RESET {
                self.reset();
            }
            return None;
        }
        self.reordered = 0;
        Some(GroupDelta {
            send_ms,
            arrival_ms,
            arrival_time_ms: ms(current.last_arrival),
        })
    }

    fn reset(&mut self) {
        self.previous = None;
        self.reordered = 0;
        self.resets += 1;
    }

    /// Times the grouping started over (clock jump or persistent reordering).
    #[cfg(test)]
    pub(crate) fn resets(&self) -> u64 {
        self.resets
    }
}

impl Group {
    fn new(send: Instant, arrival: Duration, size: usize) -> Self {
        Self {
            first_send: send,
            last_send: send,
            first_arrival: arrival,
            last_arrival: arrival,
            size,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // a test's epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn groups_5ms_bursts_and_reports_their_deltas() {
        let t = epoch();
        let mut ia = InterArrival::default();
        let mut deltas = Vec::new();
        // Every 20 ms a burst of three packets 1 ms apart; the path adds 2 ms per group.
        for g in 0..4u64 {
            for p in 0..3u64 {
                let send = t + Duration::from_millis(20 * g + p);
                let arrival = Duration::from_millis(50 + 22 * g + p);
                deltas.extend(ia.add(send, arrival, 1000));
            }
        }
        // Groups 0..3 complete as 1, 2, 3 start: two deltas (the first needs a predecessor).
        assert_eq!(deltas.len(), 2);
        for d in deltas {
            assert!((d.send_ms - 20.0).abs() < 1e-9);
            assert!((d.arrival_ms - 22.0).abs() < 1e-9);
        }
    }

    #[test]
    fn a_clock_jump_starts_over() {
        let t = epoch();
        let mut ia = InterArrival::default();
        for g in 0..3u64 {
            ia.add(
                t + Duration::from_millis(10 * g),
                Duration::from_millis(10 * g),
                100,
            );
        }
        ia.add(t + Duration::from_millis(30), Duration::from_secs(100), 100);
        assert_eq!(
            ia.add(t + Duration::from_millis(40), Duration::from_secs(101), 100),
            None
        );
        assert_eq!(ia.resets(), 1);
    }
}
