//! An adaptive audio jitter buffer: packets in as they arrive, one 20 ms frame out per
//! playout tick, with the counters of webrtc-stats `inbound-rtp`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::transit_window::TransitWindow;

/// Settings of the [`JitterBuffer`].
#[derive(Debug, Clone)]
pub struct JitterConfig {
    /// RTP clock rate (48000 for Opus).
    pub clock_rate: u32,
    /// Duration of one frame (20 ms).
    pub frame: Duration,
    /// Smallest target delay.
    pub min_delay: Duration,
    /// Largest target delay.
    pub max_delay: Duration,
    /// Most packets held.
    pub max_packets: usize,
    /// Window over which arrival jitter is measured.
    pub window: Duration,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            clock_rate: 48_000,
            frame: Duration::from_millis(20),
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(1000),
            max_packets: 250,
            window: Duration::from_secs(2),
        }
    }
}

/// What to play for one tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Not started yet (filling up to the target delay): play silence, nothing counted.
    Waiting,
    /// The frame to decode.
    Frame {
        /// Its RTP timestamp.
        timestamp: u32,
        /// The payload.
        payload: Vec<u8>,
        /// The payload of the next frame, if already here: lets the decoder use FEC after a
        /// concealment.
        next: Option<Vec<u8>>,
    },
    /// No frame for this tick: the decoder conceals (with `next` for FEC when it is here).
    Conceal {
        /// The next frame's payload, if already here.
        next: Option<Vec<u8>>,
    },
}

/// Counters named as in webrtc-stats (`RTCInboundRtpStreamStats`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct JitterStats {
    /// Sum over emitted samples of the time each spent in the buffer, seconds
    /// (webrtc-stats `jitterBufferDelay`: a frame's wait counts once per sample).
    pub jitter_buffer_delay: f64,
    /// Samples emitted from real packets.
    pub jitter_buffer_emitted_count: u64,
    /// Samples concealed.
    pub concealed_samples: u64,
    /// Concealment events (runs of concealed frames).
    pub concealment_events: u64,
    /// Packets discarded: too late, duplicated, or dropped to shrink the delay.
    pub packets_discarded: u64,
    /// Of those, the packets that came after their playout time.
    pub late_packets: u64,
    /// Packets received (not counting duplicates).
    pub packets_received: u64,
    /// Current target delay, seconds.
    pub target_delay: f64,
}

impl JitterStats {
    /// Mean time a played frame waited in the buffer.
    pub fn mean_delay(&self) -> Duration {
        if self.jitter_buffer_emitted_count == 0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(self.jitter_buffer_delay / self.jitter_buffer_emitted_count as f64)
    }

    /// Concealed samples over all samples played.
    pub fn concealment_ratio(&self) -> f64 {
        let total = self.concealed_samples + self.jitter_buffer_emitted_count;
        if total == 0 {
            0.0
        } else {
            self.concealed_samples as f64 / total as f64
        }
    }
}

#[derive(Debug, Clone)]
struct Held {
    arrival: Instant,
    payload: Vec<u8>,
}

/// Reorders, drops duplicates and late packets, follows the measured jitter with its target
/// delay (up at once on a burst, down slowly), and hands out one frame per tick, saying when
/// to conceal.
///
/// Each frame has a due time: its media time plus the fastest transit seen in the window plus
/// the target delay. Playout starts when the first frame is due; after that one frame is
/// played per tick. A missing frame that is not due yet is waited for (the tick conceals and
/// the delay grows by a frame); one that is due is taken as lost (conceal and move on). When
/// the playout runs more than a frame and a half behind its target, a frame is dropped.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    samples_per_frame: u32,
    /// Packets by extended timestamp.
    packets: BTreeMap<u64, Held>,
    /// Extended timestamp of the next frame to play, once playout has started.
    next: Option<u64>,
    concealing: bool,
    last_ts: Option<u64>,
    /// The fastest and slowest transit (arrival − media time, ms) of the jitter window.
    transits: TransitWindow,
    /// Fastest transit in the window, ms.
    min_transit: f64,
    target: Duration,
    /// Delay added to the target by lip sync.
    extra: Duration,
    /// Arrival instant and extended timestamp of the first packet: the origin of media time.
    origin: Option<(Instant, u64)>,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer.
    pub fn new(config: JitterConfig) -> Self {
        let samples_per_frame =
            (u128::from(config.clock_rate) * config.frame.as_nanos() / 1_000_000_000) as u32;
        let transits = TransitWindow::new(config.window, config.max_packets * 4);
        Self {
            target: config.min_delay,
            extra: Duration::ZERO,
            config,
            samples_per_frame: samples_per_frame.max(1),
            packets: BTreeMap::new(),
            next: None,
            concealing: false,
            last_ts: None,
            transits,
            min_transit: 0.0,
            origin: None,
            stats: JitterStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> JitterStats {
        JitterStats {
            target_delay: self.target.as_secs_f64(),
            ..self.stats
        }
    }

    /// The current target delay.
    pub fn target_delay(&self) -> Duration {
        self.target
    }

    /// Adds `extra` (at most the largest target delay) to the adaptive target delay: lip
    /// sync holds audio back this way when video is later. A rise is honoured at once by
    /// concealing a frame per tick until the playout is that late (NetEq stretches instead);
    /// a fall by dropping frames, as for the adaptive target.
    pub fn set_extra_delay(&mut self, extra: Duration) {
        self.extra = extra.min(self.config.max_delay);
    }

    /// The extra delay set by [`set_extra_delay`](Self::set_extra_delay).
    pub fn extra_delay(&self) -> Duration {
        self.extra
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no packet is held.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Extends a 32-bit RTP timestamp next to the last one seen.
    fn extend(&self, ts: u32) -> u64 {
        match self.last_ts {
            None => u64::from(ts) + (1 << 32),
            Some(last) => {
                let candidate = (last & !0xffff_ffff) | u64::from(ts);
                [
                    candidate.wrapping_sub(1 << 32),
                    candidate,
                    candidate + (1 << 32),
                ]
                .into_iter()
                .min_by_key(|c| c.abs_diff(last))
                .unwrap_or(candidate)
            }
        }
    }

    /// Media time of an extended timestamp, ms from the origin.
    fn media_ms(&self, ts: u64) -> f64 {
        let origin = self.origin.map_or(ts, |(_, t)| t);
        (ts as i128 - origin as i128) as f64 * 1000.0 / f64::from(self.config.clock_rate)
    }

    /// Time from the origin, ms.
    fn clock_ms(&self, now: Instant) -> f64 {
        self.origin.map_or(0.0, |(t, _)| {
            now.saturating_duration_since(t).as_secs_f64() * 1000.0
        })
    }

    /// How far behind the fastest possible arrival the frame `ts` would be if played `now`,
    /// ms (the playout delay it would get).
    fn lateness_ms(&self, now: Instant, ts: u64) -> f64 {
        self.clock_ms(now) - (self.media_ms(ts) + self.min_transit)
    }

    /// A packet arrived.
    pub fn handle_packet(&mut self, now: Instant, timestamp: u32, payload: &[u8]) {
        let ts = self.extend(timestamp);
        self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
        if self.origin.is_none() {
            self.origin = Some((now, ts));
        }
        if self.packets.contains_key(&ts) {
            self.stats.packets_discarded += 1;
            return;
        }
        if let Some(next) = self.next
            && ts < next
        {
            // Came after its playout time (or a duplicate of a played frame).
            self.stats.packets_discarded += 1;
            if ts + u64::from(self.samples_per_frame) * 50 >= next {
                self.stats.late_packets += 1;
                self.observe(now, ts, true);
            }
            return;
        }
        self.stats.packets_received += 1;
        self.observe(now, ts, false);
        if self.packets.len() >= self.config.max_packets {
            // Full: drop the oldest.
            self.packets.pop_first();
            self.stats.packets_discarded += 1;
        }
        self.packets.insert(
            ts,
            Held {
                arrival: now,
                payload: payload.to_vec(),
            },
        );
    }

    /// Updates the jitter window and the target delay (RFC 3550 A.8's idea, as a window of
    /// transit times: the spread between the fastest and slowest packet).
    fn observe(&mut self, now: Instant, ts: u64, late: bool) {
        let transit = self.clock_ms(now) - self.media_ms(ts);
        // Sliding-window minimum and maximum in O(1) amortized per packet.
        let (min, max) = self.transits.push(now, transit);
        self.min_transit = min;
        let spread = Duration::from_secs_f64(((max - min).max(0.0)) / 1000.0);
        let wanted =
            (spread + self.config.frame / 2).clamp(self.config.min_delay, self.config.max_delay);
        if wanted > self.target || late {
            // Up at once (a late packet means the target was too small).
            let bumped = if late {
                self.target + self.config.frame / 2
            } else {
                self.target
            };
            self.target = wanted.max(bumped).min(self.config.max_delay);
        } else {
            // Down slowly: 1 % of the gap per packet (about 2 s at 50 packets/s).
            self.target -= (self.target - wanted).mul_f64(0.01);
        }
    }

    /// One playout tick (every frame duration): what to decode now.
    pub fn pop(&mut self, now: Instant) -> Playout {
        let step = u64::from(self.samples_per_frame);
        let target_ms = (self.target + self.extra).as_secs_f64() * 1000.0;
        let frame_ms = self.config.frame.as_secs_f64() * 1000.0;
        let max_ms = (self.config.max_delay + self.extra).as_secs_f64() * 1000.0;
        let mut next = match self.next {
            Some(next) => next,
            None => {
                // Start when the earliest frame held is due.
                let Some((&first, _)) = self.packets.first_key_value() else {
                    return Playout::Waiting;
                };
                if self.lateness_ms(now, first) < target_ms {
                    return Playout::Waiting;
                }
                first
            }
        };
        let first_held = self.packets.first_key_value().map(|(k, _)| *k);
        let lateness = self.lateness_ms(now, next);
        if let Some(first) = first_held
            && first > next
            && lateness > max_ms
        {
            // A gap longer than the largest delay (the sender paused or jumped): resume at the
            // first frame held rather than concealing through the gap.
            next = first;
        } else if lateness > target_ms + 1.5 * frame_ms
            && first_held.is_some_and(|f| f > next || self.packets.len() > 1)
        {
            // Too far behind: drop a frame to catch up (playing faster would be kinder to
            // the ear; dropping is simpler and the decoder smooths the seam).
            if self.packets.remove(&next).is_some() {
                self.stats.packets_discarded += 1;
            }
            next += step;
        }
        let next_payload =
            |packets: &BTreeMap<u64, Held>, at: u64| packets.get(&at).map(|h| h.payload.clone());
        if !self.extra.is_zero()
            && self.next.is_some()
            && self.packets.contains_key(&next)
            && self.lateness_ms(now, next) < target_ms - frame_ms / 2.0
        {
            // Sync raised the delay and the frame is here too early: stretch by one
            // concealed frame and play it on a later tick.
            if !self.concealing {
                self.stats.concealment_events += 1;
                self.concealing = true;
            }
            self.stats.concealed_samples += step;
            self.next = Some(next);
            return Playout::Conceal { next: None };
        }
        if let Some(held) = self.packets.remove(&next) {
            self.next = Some(next + step);
            self.concealing = false;
            self.stats.jitter_buffer_emitted_count += step;
            self.stats.jitter_buffer_delay +=
                now.saturating_duration_since(held.arrival).as_secs_f64() * step as f64;
            return Playout::Frame {
                timestamp: next as u32,
                payload: held.payload,
                next: next_payload(&self.packets, next + step),
            };
        }
        // Nothing for this tick: conceal.
        if !self.concealing {
            self.stats.concealment_events += 1;
            self.concealing = true;
        }
        self.stats.concealed_samples += step;
        if self.lateness_ms(now, next) < target_ms {
            // Not due yet (the target grew): wait for it, the delay grows by a frame.
            self.next = Some(next);
        } else {
            // Due and not here: lost. Move on.
            self.next = Some(next + step);
        }
        Playout::Conceal {
            next: next_payload(&self.packets, next + step),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The buffer's rules one by one, in simulated time: packet `i` of a 20 ms, 48 kHz stream
    //! has timestamp `i * 960` and, on a perfect path, arrives at `t0 + i * 20 ms`.

    use super::*;

    const STEP: u32 = 960;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)]
        Instant::now()
    }

    fn ms(t: Instant, ms: u64) -> Instant {
        t + Duration::from_millis(ms)
    }

    fn frame_ts(p: &Playout) -> Option<u32> {
        match p {
            Playout::Frame { timestamp, .. } => Some(*timestamp),
            _ => None,
        }
    }

    #[test]
    fn a_duplicate_of_a_held_packet_is_discarded() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        jb.handle_packet(t, 0, b"a");
        jb.handle_packet(ms(t, 1), 0, b"a");
        assert_eq!(jb.len(), 1);
        let s = jb.stats();
        assert_eq!(
            (s.packets_received, s.packets_discarded, s.late_packets),
            (1, 1, 0)
        );
    }

    #[test]
    fn a_packet_after_its_playout_time_is_discarded_as_late_and_raises_the_target() {
        let t = t0();
        let config = JitterConfig::default();
        let (min, frame) = (config.min_delay, config.frame);
        let mut jb = JitterBuffer::new(config);
        jb.handle_packet(t, 0, b"0");
        jb.handle_packet(ms(t, 20), STEP, b"1");
        assert_eq!(
            jb.pop(ms(t, 25)),
            Playout::Frame {
                timestamp: 0,
                payload: b"0".to_vec(),
                next: Some(b"1".to_vec()),
            }
        );
        assert_eq!(jb.target_delay(), min);
        // Frame 0 was played: a copy of it now is late, not a new packet.
        jb.handle_packet(ms(t, 30), 0, b"0");
        let s = jb.stats();
        assert_eq!(
            (s.packets_received, s.packets_discarded, s.late_packets),
            (2, 1, 1)
        );
        assert_eq!(jb.len(), 1, "only frame 1 is held");
        // A late packet means the target was too small: up by half a frame at least.
        assert!(
            jb.target_delay() >= min + frame / 2,
            "{:?}",
            jb.target_delay()
        );
    }

    #[test]
    fn the_target_stays_at_the_minimum_on_a_steady_path() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        for i in 0..200u32 {
            jb.handle_packet(ms(t, u64::from(i) * 20), i * STEP, b"x");
            assert_eq!(jb.target_delay(), Duration::from_millis(20));
        }
    }

    #[test]
    fn the_target_follows_a_burst_up_at_once_to_the_ceiling_and_down_slowly_to_the_floor() {
        let t = t0();
        let config = JitterConfig {
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_packets: 1000,
            ..JitterConfig::default()
        };
        let mut jb = JitterBuffer::new(config);
        // Packet 10 comes 500 ms late (after packet 35): a spread far over the ceiling.
        for i in 0..35u32 {
            if i != 10 {
                jb.handle_packet(ms(t, u64::from(i) * 20), i * STEP, b"x");
            }
        }
        assert_eq!(jb.target_delay(), Duration::from_millis(20));
        jb.handle_packet(ms(t, 700), 10 * STEP, b"x");
        assert_eq!(
            jb.target_delay(),
            Duration::from_millis(100),
            "up at once, capped"
        );

        // Steady again. While the late packet is in the 2 s window the target stays; then it
        // comes down a little per packet, never below the floor.
        let mut last = jb.target_delay();
        let mut first_drop = None;
        for i in 36..600u32 {
            jb.handle_packet(ms(t, u64::from(i) * 20), i * STEP, b"x");
            let now = jb.target_delay();
            assert!(now <= last && now >= Duration::from_millis(20));
            if now < last && first_drop.is_none() {
                first_drop = Some((i, last - now));
            }
            last = now;
        }
        let (i, by) = first_drop.unwrap();
        assert!(
            i * 20 > 700 + 2000 - 40,
            "down only after the window, at {i}"
        );
        assert!(by < Duration::from_millis(2), "slowly: by {by:?}");
        assert!(
            last < Duration::from_millis(25),
            "close to the floor: {last:?}"
        );
    }

    #[test]
    fn a_missing_frame_is_concealed_with_the_next_for_fec_then_play_goes_on() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        jb.handle_packet(t, 0, b"0");
        // Frame 1 is lost.
        jb.handle_packet(ms(t, 40), 2 * STEP, b"2");
        assert_eq!(
            jb.pop(ms(t, 5)),
            Playout::Waiting,
            "not due before the target delay"
        );
        assert_eq!(frame_ts(&jb.pop(ms(t, 25))), Some(0));
        assert_eq!(
            jb.pop(ms(t, 45)),
            Playout::Conceal {
                next: Some(b"2".to_vec()),
            }
        );
        assert_eq!(frame_ts(&jb.pop(ms(t, 65))), Some(2 * STEP));
        let s = jb.stats();
        assert_eq!(s.concealment_events, 1);
        assert_eq!(s.concealed_samples, u64::from(STEP));
        assert_eq!(s.jitter_buffer_emitted_count, 2 * u64::from(STEP));
        // Nothing held any more: the next tick conceals, in a new concealment event.
        assert_eq!(jb.pop(ms(t, 85)), Playout::Conceal { next: None });
        assert_eq!(jb.stats().concealment_events, 2);
    }

    #[test]
    fn timestamps_wrapping_past_u32_max_play_in_order() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        let first = 0u32.wrapping_sub(2 * STEP);
        let ts: Vec<u32> = (0..5).map(|i| first.wrapping_add(i * STEP)).collect();
        assert_eq!(ts[2], 0);
        // Arrivals reordered across the wrap: ts[2] (which is 0) before ts[1]; that spread
        // raises the target to about 31 ms, so playout starts at 45 ms.
        let mut played = Vec::new();
        jb.handle_packet(t, ts[0], b"a");
        jb.handle_packet(ms(t, 40), ts[2], b"c");
        jb.handle_packet(ms(t, 41), ts[1], b"b");
        played.push(frame_ts(&jb.pop(ms(t, 45))));
        jb.handle_packet(ms(t, 60), ts[3], b"d");
        played.push(frame_ts(&jb.pop(ms(t, 65))));
        jb.handle_packet(ms(t, 80), ts[4], b"e");
        for at in [85, 105, 125] {
            played.push(frame_ts(&jb.pop(ms(t, at))));
        }
        assert_eq!(played, ts.iter().map(|t| Some(*t)).collect::<Vec<_>>());
        let s = jb.stats();
        assert_eq!((s.packets_discarded, s.concealed_samples), (0, 0));
    }

    #[test]
    fn memory_is_bounded_by_max_packets() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig {
            max_packets: 8,
            ..JitterConfig::default()
        });
        for i in 0..20u32 {
            jb.handle_packet(ms(t, u64::from(i)), i * STEP, b"x");
        }
        assert_eq!(jb.len(), 8);
        assert_eq!(jb.stats().packets_discarded, 12, "the oldest go first");
    }

    #[test]
    fn an_extra_delay_is_reached_by_concealing_and_left_by_dropping() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        // Packet i arrives at i × 20 ms; a tick every 20 ms, 5 ms after the arrivals. The
        // delay of the frame played at a tick is the tick minus its arrival.
        let mut delays = Vec::new();
        for i in 0..300u32 {
            jb.handle_packet(ms(t, u64::from(i) * 20), i * STEP, b"x");
            if i == 100 {
                jb.set_extra_delay(Duration::from_millis(100));
            }
            if i == 200 {
                jb.set_extra_delay(Duration::ZERO);
            }
            let tick = ms(t, u64::from(i) * 20 + 5);
            if let Some(ts) = frame_ts(&jb.pop(tick)) {
                delays.push((i, u64::from(i) * 20 + 5 - u64::from(ts / STEP) * 20));
            }
        }
        let at = |n: u32| delays.iter().rev().find(|(i, _)| *i <= n).map(|(_, d)| *d);
        assert_eq!(at(99), Some(25));
        // Five frames concealed, then 100 ms later.
        assert_eq!(at(199), Some(125));
        assert_eq!(jb.stats().concealed_samples, 5 * u64::from(STEP));
        assert_eq!(jb.extra_delay(), Duration::ZERO);
        // Back down by dropping, to within the drop rule's margin of a frame and a half
        // above the target (20 ms): four frames dropped, 45 ms.
        assert_eq!(at(299), Some(45));
        assert_eq!(jb.stats().packets_discarded, 4);
    }
}
