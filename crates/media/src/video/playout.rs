//! The video playout (render) queue: frames in as they arrive, out at their render time.
//!
//! A frame's render time is its media time (RTP timestamp) mapped to local time through the
//! fastest transit (arrival − media time) seen over a window, plus a delay: the jitter delay
//! (the spread of transit times over the window: up at once, down slowly) plus an extra
//! delay that lip sync sets. The delay in use moves toward that target at a bounded rate
//! (100 ms per second by default, as libwebrtc's `VCMTiming` does), so neither jitter nor
//! sync makes the picture jump. Generic over the payload: decoded pictures or encoded frames.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::transit_window::TransitWindow;

/// Settings of a [`VideoPlayout`].
#[derive(Debug, Clone)]
pub struct VideoPlayoutConfig {
    /// RTP clock rate (90 kHz for every video payload format, RFC 7741 §4.1).
    pub clock_rate: u32,
    /// Most frames held, waiting or ready; past it the oldest is dropped.
    pub max_frames: usize,
    /// Window over which transit times are measured.
    pub window: Duration,
    /// Smallest jitter delay.
    pub min_jitter_delay: Duration,
    /// Largest total delay (jitter + extra).
    pub max_delay: Duration,
    /// How fast the delay in use may change, per second of time.
    pub max_change_per_second: Duration,
}

impl Default for VideoPlayoutConfig {
    fn default() -> Self {
        Self {
            clock_rate: 90_000,
            max_frames: 64,
            window: Duration::from_secs(2),
            min_jitter_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
            max_change_per_second: Duration::from_millis(100),
        }
    }
}

/// A frame whose render time has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFrame<T> {
    /// What was queued.
    pub payload: T,
    /// Its RTP timestamp.
    pub rtp_timestamp: u32,
    /// When it arrived.
    pub arrival: Instant,
    /// When it is to be shown: its render time, or its arrival if it came later than that.
    pub render_at: Instant,
}

/// Counters of a [`VideoPlayout`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VideoPlayoutStats {
    /// Frames queued.
    pub frames_received: u64,
    /// Frames handed out.
    pub frames_rendered: u64,
    /// Of those, frames that arrived after their render time (shown at once).
    pub frames_late: u64,
    /// Frames dropped: older than one already rendered, duplicates, or the queue was full.
    pub frames_dropped: u64,
}

/// A render queue for one video stream. Sans-IO: time comes in as arguments; drive it with
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout) and
/// take frames with [`poll_frame`](Self::poll_frame).
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtcweb_media::video::{VideoPlayout, VideoPlayoutConfig};
///
/// # #[allow(clippy::disallowed_methods)]
/// let t0 = Instant::now();
/// let mut playout = VideoPlayout::new(VideoPlayoutConfig::default());
/// playout.handle_frame(t0, 3000, "frame 1");
/// while let Some(due) = playout.poll_timeout() {
///     playout.handle_timeout(due);
///     let frame = playout.poll_frame().expect("due");
///     assert_eq!(frame.payload, "frame 1");
///     assert_eq!(frame.render_at - t0, playout.current_delay());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct VideoPlayout<T> {
    config: VideoPlayoutConfig,
    /// Waiting frames by extended timestamp: (arrival, payload).
    frames: BTreeMap<u64, (Instant, T)>,
    ready: VecDeque<RenderedFrame<T>>,
    last_ts: Option<u64>,
    /// Extended timestamp and render time of the last frame handed out.
    last_rendered: Option<(u64, Instant)>,
    /// Arrival and extended timestamp of the first frame: the origin of both time lines.
    origin: Option<(Instant, u64)>,
    /// The fastest and slowest transit (arrival − media time, ms) of the window.
    transits: TransitWindow,
    min_transit: f64,
    jitter: Duration,
    extra: Duration,
    /// The delay in use, moving toward `jitter + extra`.
    current: Duration,
    last_update: Option<Instant>,
    stats: VideoPlayoutStats,
}

impl<T> VideoPlayout<T> {
    /// An empty queue.
    pub fn new(config: VideoPlayoutConfig) -> Self {
        let jitter = config.min_jitter_delay.min(config.max_delay);
        Self {
            frames: BTreeMap::new(),
            ready: VecDeque::new(),
            last_ts: None,
            last_rendered: None,
            origin: None,
            transits: TransitWindow::new(config.window, config.max_frames * 16),
            min_transit: 0.0,
            jitter,
            extra: Duration::ZERO,
            current: jitter,
            last_update: None,
            stats: VideoPlayoutStats::default(),
            config: VideoPlayoutConfig {
                clock_rate: config.clock_rate.max(1),
                max_frames: config.max_frames.max(1),
                ..config
            },
        }
    }

    /// Counters.
    pub fn stats(&self) -> VideoPlayoutStats {
        self.stats
    }

    /// The jitter delay: the spread of transit times over the window.
    pub fn jitter_delay(&self) -> Duration {
        self.jitter
    }

    /// The extra delay set by [`set_extra_delay`](Self::set_extra_delay).
    pub fn extra_delay(&self) -> Duration {
        self.extra
    }

    /// The delay being moved to: jitter delay plus extra delay, at most the maximum.
    pub fn target_delay(&self) -> Duration {
        (self.jitter + self.extra).min(self.config.max_delay)
    }

    /// The delay in use now, after the fastest transit.
    pub fn current_delay(&self) -> Duration {
        self.current
    }

    /// Adds `extra` to the jitter delay (lip sync holds video back this way when audio is
    /// later); the delay in use moves to it at the configured rate.
    pub fn set_extra_delay(&mut self, extra: Duration) {
        self.extra = extra.min(self.config.max_delay);
    }

    /// Frames waiting or ready.
    pub fn len(&self) -> usize {
        self.frames.len() + self.ready.len()
    }

    /// Whether no frame is waiting or ready.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
                    candidate.saturating_add(1 << 32),
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
        (i128::from(ts) - i128::from(origin)) as f64 * 1000.0 / f64::from(self.config.clock_rate)
    }

    /// The instant `ms` after the origin (before it when negative).
    fn at_ms(&self, ms: f64) -> Option<Instant> {
        let (origin, _) = self.origin?;
        let d = Duration::from_secs_f64((ms.abs() / 1000.0).min(1e9));
        Some(if ms >= 0.0 {
            origin.checked_add(d).unwrap_or(origin)
        } else {
            origin.checked_sub(d).unwrap_or(origin)
        })
    }

    /// When the frame `ts` is due with the delay in use.
    fn due(&self, ts: u64) -> Option<Instant> {
        let ms = self.media_ms(ts) + self.min_transit + self.current.as_secs_f64() * 1000.0;
        let due = self.at_ms(ms)?;
        Some(match self.last_rendered {
            Some((_, last)) => due.max(last),
            None => due,
        })
    }

    /// Moves the delay in use toward the target, at most the configured rate.
    fn update_delay(&mut self, now: Instant) {
        let elapsed = self
            .last_update
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        self.last_update = Some(self.last_update.map_or(now, |t| t.max(now)));
        let step = self
            .config
            .max_change_per_second
            .mul_f64(elapsed.as_secs_f64().min(1e6));
        let target = self.target_delay();
        self.current = if target > self.current {
            (self.current + step).min(target)
        } else {
            self.current.saturating_sub(step).max(target)
        };
    }

    /// A frame arrived at `now` with its RTP timestamp.
    pub fn handle_frame(&mut self, now: Instant, rtp_timestamp: u32, payload: T) {
        let ts = self.extend(rtp_timestamp);
        self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
        if self.origin.is_none() {
            self.origin = Some((now, ts));
            self.last_update = Some(now);
        }
        if self.frames.contains_key(&ts) || self.last_rendered.is_some_and(|(last, _)| ts <= last) {
            self.stats.frames_dropped += 1;
            return;
        }
        self.stats.frames_received += 1;
        self.observe(now, ts);
        if self.len() >= self.config.max_frames {
            // Full: drop the oldest (a ready frame the owner did not take, else a waiting one).
            if self.ready.pop_front().is_none() {
                self.frames.pop_first();
            }
            self.stats.frames_dropped += 1;
        }
        self.frames.insert(ts, (now, payload));
        self.update_delay(now);
    }

    /// Updates the transit window and the jitter delay.
    fn observe(&mut self, now: Instant, ts: u64) {
        let arrival_ms = now
            .saturating_duration_since(self.origin.map_or(now, |(t, _)| t))
            .as_secs_f64()
            * 1000.0;
        let transit = arrival_ms - self.media_ms(ts);
        let (min, max) = self.transits.push(now, transit);
        self.min_transit = min;
        let spread = Duration::from_secs_f64((max - min).clamp(0.0, 1e6) / 1000.0);
        let wanted = spread.clamp(
            self.config.min_jitter_delay.min(self.config.max_delay),
            self.config.max_delay,
        );
        if wanted > self.jitter {
            self.jitter = wanted;
        } else {
            // Down slowly: 2 % of the gap per frame (about 2 s at 30 frames/s).
            self.jitter -= (self.jitter - wanted).mul_f64(0.02);
        }
    }

    /// The next render time, `None` when nothing waits (frames ready but not taken do not
    /// count: take them with [`poll_frame`](Self::poll_frame)).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let (&ts, _) = self.frames.first_key_value()?;
        self.due(ts)
    }

    /// Hands out the frames whose render time has come (safe to call early or twice).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.origin.is_none() {
            return;
        }
        self.update_delay(now);
        while let Some((&ts, _)) = self.frames.first_key_value() {
            let Some(due) = self.due(ts).filter(|due| *due <= now) else {
                break;
            };
            let Some((ts, (arrival, payload))) = self.frames.pop_first() else {
                break;
            };
            let render_at = due.max(arrival);
            if arrival > due {
                self.stats.frames_late += 1;
            }
            self.last_rendered = Some((ts, render_at));
            self.stats.frames_rendered += 1;
            self.ready.push_back(RenderedFrame {
                payload,
                rtp_timestamp: ts as u32,
                arrival,
                render_at,
            });
        }
    }

    /// The next frame to show.
    pub fn poll_frame(&mut self) -> Option<RenderedFrame<T>> {
        self.ready.pop_front()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;

    const FRAME: u32 = 3000; // 30 frames/s at 90 kHz

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Feeds frames `frames` arriving at `t0 + i * 33 ms + delay(i)`, drives the queue at
    /// its deadlines, and returns what came out.
    fn run(
        playout: &mut VideoPlayout<u32>,
        t0: Instant,
        frames: std::ops::Range<u32>,
        delay: impl Fn(u32) -> Duration,
    ) -> Vec<RenderedFrame<u32>> {
        let mut arrivals: Vec<(Instant, u32)> = frames
            .map(|i| {
                (
                    t0 + Duration::from_micros(u64::from(i) * 33_333) + delay(i),
                    i,
                )
            })
            .collect();
        arrivals.sort();
        let mut out = Vec::new();
        let mut next = arrivals.into_iter().peekable();
        loop {
            let arrival = next.peek().map(|(t, _)| *t);
            let due = playout.poll_timeout();
            let now = match (arrival, due) {
                (None, None) => break,
                (Some(a), Some(d)) => a.min(d),
                (a, d) => a.or(d).unwrap_or(t0),
            };
            if arrival == Some(now) {
                let (_, i) = next.next().unwrap_or((now, 0));
                playout.handle_frame(now, i.wrapping_mul(FRAME), i);
            }
            playout.handle_timeout(now);
            out.extend(std::iter::from_fn(|| playout.poll_frame()));
        }
        out
    }

    #[test]
    fn a_steady_stream_renders_in_order_at_arrival_plus_the_minimum_delay() {
        let t0 = Instant::now();
        let mut p = VideoPlayout::new(VideoPlayoutConfig::default());
        let out = run(&mut p, t0, 0..90, |_| ms(40));
        assert_eq!(out.len(), 90);
        for (i, f) in out.iter().enumerate() {
            assert_eq!(f.payload, i as u32);
            assert_eq!(f.rtp_timestamp, i as u32 * FRAME);
            // The jitter delay is the 10 ms floor on a clean path.
            let lag = f.render_at - f.arrival;
            assert!(
                lag.abs_diff(ms(10)) < Duration::from_micros(50),
                "{i}: {lag:?}"
            );
        }
        assert_eq!(p.stats().frames_late, 0);
        assert!(p.is_empty());
    }

    #[test]
    fn jitter_raises_the_delay_so_frames_are_not_late_and_render_evenly() {
        let t0 = Instant::now();
        let mut p = VideoPlayout::new(VideoPlayoutConfig::default());
        // 20 ms of jitter (deterministic saw-tooth), with reordering of neighbours.
        let out = run(&mut p, t0, 0..300, |i| ms(30 + u64::from((i * 8) % 21)));
        assert_eq!(out.len() as u64 + p.stats().frames_dropped, 300);
        let jitter = p.jitter_delay();
        assert!(jitter >= ms(19) && jitter <= ms(21), "{jitter:?}");
        // After the first second no frame is late, and render times are 33 ms apart.
        let settled: Vec<_> = out.iter().filter(|f| f.payload >= 30).collect();
        assert!(settled.iter().all(|f| f.render_at >= f.arrival));
        for w in settled.windows(2) {
            let gap = w[1].render_at - w[0].render_at;
            assert!(
                gap.abs_diff(Duration::from_micros(33_333)) < ms(2),
                "{gap:?}"
            );
        }
    }

    #[test]
    fn the_extra_delay_is_reached_at_the_configured_rate() {
        let t0 = Instant::now();
        let mut p = VideoPlayout::new(VideoPlayoutConfig::default());
        run(&mut p, t0, 0..30, |_| ms(20));
        p.set_extra_delay(ms(150));
        assert_eq!(p.target_delay(), ms(160));
        let out = run(&mut p, t0, 30..120, |_| ms(20));
        // 100 ms per second, counted while frames wait: about 0.1 × (time since the change +
        // the wait), so 0.7 s later about 80 ms is in use and the whole 150 ms after 1.5 s.
        let lags: Vec<Duration> = out.iter().map(|f| f.render_at - f.arrival).collect();
        for w in lags.windows(2) {
            assert!(w[1].abs_diff(w[0]) <= ms(4), "a jump: {w:?}");
        }
        assert!(lags[20] > ms(60) && lags[20] < ms(110), "{:?}", lags[20]);
        assert!(lags[89].abs_diff(ms(160)) < ms(1), "{:?}", lags[89]);
        // And down again.
        p.set_extra_delay(Duration::ZERO);
        let out = run(&mut p, t0, 120..210, |_| ms(20));
        let last = out.last().map(|f| f.render_at - f.arrival);
        assert!(last.is_some_and(|l| l.abs_diff(ms(10)) < ms(1)), "{last:?}");
    }

    #[test]
    fn late_old_and_duplicate_frames_are_counted_and_memory_is_bounded() {
        let t0 = Instant::now();
        let mut p = VideoPlayout::new(VideoPlayoutConfig {
            max_frames: 8,
            ..VideoPlayoutConfig::default()
        });
        p.handle_frame(t0, 0, 0u32);
        p.handle_frame(t0, 0, 0u32);
        assert_eq!(p.stats().frames_dropped, 1);
        p.handle_timeout(t0 + ms(10));
        assert_eq!(p.poll_frame().map(|f| f.payload), Some(0));
        // Older than what was rendered.
        p.handle_frame(t0 + ms(11), 0u32.wrapping_sub(FRAME), 99);
        assert_eq!(p.stats().frames_dropped, 2);
        // A frame 500 ms late comes out at once, marked late.
        p.handle_frame(t0 + ms(533), FRAME, 1);
        p.handle_timeout(t0 + ms(533));
        let f = p.poll_frame().unwrap();
        assert_eq!((f.payload, f.render_at), (1, t0 + ms(533)));
        assert_eq!(p.stats().frames_late, 1);
        // Never more than 8 frames held, whatever comes in without being taken.
        for i in 2..200u32 {
            p.handle_frame(t0 + ms(600), i * FRAME, i);
            assert!(p.len() <= 8);
        }
        p.handle_timeout(t0 + Duration::from_secs(3600));
        assert!(p.len() <= 8);
        assert!(p.poll_timeout().is_none());
    }

    #[test]
    fn timestamps_wrap_and_wild_ones_do_not_panic() {
        let t0 = Instant::now();
        let mut p = VideoPlayout::new(VideoPlayoutConfig::default());
        let start = u32::MAX - 2 * FRAME;
        for i in 0..6u32 {
            p.handle_frame(t0 + ms(u64::from(i) * 33), start.wrapping_add(i * FRAME), i);
        }
        p.handle_timeout(t0 + ms(400));
        let got: Vec<u32> = std::iter::from_fn(|| p.poll_frame())
            .map(|f| f.payload)
            .collect();
        assert_eq!(got, [0, 1, 2, 3, 4, 5]);
        for ts in [0x8000_0000u32, 1, u32::MAX, 0x4000_0000] {
            p.handle_frame(t0 + ms(500), ts, 7);
            p.handle_timeout(t0 + ms(500));
            let _ = p.poll_timeout();
        }
    }
}
