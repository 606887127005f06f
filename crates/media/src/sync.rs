//! Lip sync: the receiver delays whichever of audio and video is ahead so that what was
//! captured at the same instant is played at the same instant.
//!
//! Each stream's sender reports map its RTP clock to the sender's wall clock (NTP time,
//! RFC 3550 §6.4.1), the same clock for both streams of one sender (RFC 3550 §6.4.1: "the
//! same wallclock ... for all streams from a participant"; RFC 8834 §4.9 asks receivers to
//! synchronise them). From every frame played, [`LipSync`] learns that stream's
//! capture-to-playout delay (local play instant minus the capture time its RTP timestamp
//! maps to; the two clocks' unknown offset is the same for both streams and cancels in the
//! difference). This is libwebrtc's `StreamSynchronization` quantity, relative network delay
//! plus the difference of the current playout delays, measured at the output instead of
//! added up from its parts.
//!
//! Every interval (1 s, as libwebrtc) the mean difference over the interval, video minus
//! audio, is the skew. Beyond a dead band, half of it (at most 80 ms a step, libwebrtc's
//! `kMaxChangeMs`) is moved: first off the extra delay of the stream that is later, the rest
//! onto the extra delay of the stream that is ahead, each bounded (1 s). The owner hands the
//! extra delays to the audio playout ([`AudioPlayout::set_extra_delay`]) and the video
//! render queue ([`VideoPlayout::set_extra_delay`]), which move to them without jumps.
//!
//! [`AudioPlayout::set_extra_delay`]: crate::AudioPlayout::set_extra_delay
//! [`VideoPlayout::set_extra_delay`]: crate::video::VideoPlayout::set_extra_delay

use std::time::{Duration, Instant};

/// Which stream of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// The audio stream.
    Audio,
    /// The video stream.
    Video,
}

impl MediaKind {
    fn index(self) -> usize {
        match self {
            Self::Audio => 0,
            Self::Video => 1,
        }
    }
}

/// One sender report's mapping of a stream's RTP clock to the sender's wall clock
/// (RFC 3550 §6.4.1: the NTP timestamp and the RTP timestamp of the same instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderClock {
    /// The 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, fraction in the
    /// low 32.
    pub ntp: u64,
    /// The RTP timestamp of the same instant.
    pub rtp_timestamp: u32,
    /// The stream's RTP clock rate (48000 for Opus, 90000 for video).
    pub clock_rate: u32,
}

impl SenderClock {
    /// The sender's wall-clock time of `rtp_timestamp`, ms since 1900: the report's NTP
    /// time plus the RTP distance (as a signed 32-bit difference, so across a wrap).
    pub fn capture_ms(&self, rtp_timestamp: u32) -> f64 {
        let ntp_ms = (self.ntp >> 32) as f64 * 1000.0
            + (self.ntp & 0xffff_ffff) as f64 * 1000.0 / 4_294_967_296.0;
        let ticks = rtp_timestamp.wrapping_sub(self.rtp_timestamp) as i32;
        ntp_ms + f64::from(ticks) * 1000.0 / f64::from(self.clock_rate.max(1))
    }
}

/// Settings of [`LipSync`].
#[derive(Debug, Clone)]
pub struct LipSyncConfig {
    /// Time between adjustments.
    pub interval: Duration,
    /// Skew left alone (libwebrtc leaves 30 ms; audio moves in 20 ms frames, so less than
    /// half a frame would make it hunt).
    pub dead_band: Duration,
    /// Most change of the extra delays per adjustment.
    pub max_step: Duration,
    /// Largest extra delay for either stream.
    pub max_extra: Duration,
    /// A skew beyond this is taken as a bad mapping and ignored (libwebrtc's
    /// `kMaxDeltaDelayMs`).
    pub max_skew: Duration,
}

impl Default for LipSyncConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            dead_band: Duration::from_millis(8),
            max_step: Duration::from_millis(80),
            max_extra: Duration::from_secs(1),
            max_skew: Duration::from_secs(10),
        }
    }
}

/// Counters of [`LipSync`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct LipSyncStats {
    /// Intervals with both streams measured.
    pub measurements: u64,
    /// Of those, the ones that changed an extra delay.
    pub adjustments: u64,
    /// Skews ignored as larger than the maximum.
    pub ignored: u64,
    /// Played frames ignored: no sender report yet for their stream.
    pub unmapped: u64,
}

/// Computes the extra delays that bring an audio and a video stream of one sender into
/// sync. Sans-IO: feed it sender reports and played frames; call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout); read
/// the extra delays and hand them to the playouts.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtcweb_media::{LipSync, LipSyncConfig, MediaKind, SenderClock};
///
/// # #[allow(clippy::disallowed_methods)]
/// let t0 = Instant::now();
/// let mut sync = LipSync::new(LipSyncConfig::default());
/// // Both streams start capturing at NTP second 100; audio at RTP 0, video at RTP 9000.
/// let ntp = 100u64 << 32;
/// let audio = SenderClock { ntp, rtp_timestamp: 0, clock_rate: 48_000 };
/// let video = SenderClock { ntp, rtp_timestamp: 9000, clock_rate: 90_000 };
/// sync.handle_sender_report(MediaKind::Audio, audio);
/// sync.handle_sender_report(MediaKind::Video, video);
/// // Each plays its first sample: audio 50 ms after capture, video 150 ms.
/// sync.handle_played(MediaKind::Audio, t0 + Duration::from_millis(50), 0);
/// sync.handle_played(MediaKind::Video, t0 + Duration::from_millis(150), 9000);
/// while let Some(due) = sync.poll_timeout().filter(|d| *d <= t0 + Duration::from_secs(2)) {
///     sync.handle_timeout(due);
/// }
/// // Video is 100 ms later: half of it, capped at 80 ms, goes onto audio.
/// assert!(sync.skew().is_some_and(|skew| (skew - 100.0).abs() < 1e-6));
/// assert_eq!(sync.audio_extra_delay(), Duration::from_millis(50));
/// assert_eq!(sync.video_extra_delay(), Duration::ZERO);
/// ```
#[derive(Debug, Clone)]
pub struct LipSync {
    config: LipSyncConfig,
    clocks: [Option<SenderClock>; 2],
    /// Sum and count of capture-to-playout delays (ms) this interval, per stream.
    sums: [(f64, u64); 2],
    epoch: Option<Instant>,
    next_update: Option<Instant>,
    audio_extra: Duration,
    video_extra: Duration,
    skew: Option<f64>,
    stats: LipSyncStats,
}

impl LipSync {
    /// A pair not yet measured: no extra delay.
    pub fn new(config: LipSyncConfig) -> Self {
        Self {
            config: LipSyncConfig {
                interval: config.interval.max(Duration::from_millis(10)),
                ..config
            },
            clocks: [None; 2],
            sums: [(0.0, 0); 2],
            epoch: None,
            next_update: None,
            audio_extra: Duration::ZERO,
            video_extra: Duration::ZERO,
            skew: None,
            stats: LipSyncStats::default(),
        }
    }

    /// A sender report of `kind`'s stream arrived (RFC 3550 §6.4.1): its latest mapping
    /// replaces the one before. A zero clock rate is ignored.
    pub fn handle_sender_report(&mut self, kind: MediaKind, clock: SenderClock) {
        if clock.clock_rate > 0 {
            self.clocks[kind.index()] = Some(clock);
        }
    }

    /// The frame of `kind` with `rtp_timestamp` was played (rendered, or its first sample
    /// sent to the device) at `at`.
    pub fn handle_played(&mut self, kind: MediaKind, at: Instant, rtp_timestamp: u32) {
        let Some(clock) = self.clocks[kind.index()] else {
            self.stats.unmapped += 1;
            return;
        };
        let epoch = *self.epoch.get_or_insert(at);
        if self.next_update.is_none() {
            self.next_update = Some(at + self.config.interval);
        }
        let local_ms = if at >= epoch {
            (at - epoch).as_secs_f64() * 1000.0
        } else {
            -((epoch - at).as_secs_f64() * 1000.0)
        };
        let delay = local_ms - clock.capture_ms(rtp_timestamp);
        if delay.is_finite() {
            let (sum, n) = &mut self.sums[kind.index()];
            *sum += delay;
            *n += 1;
        }
    }

    /// When the next adjustment is due, once frames are being played.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_update
    }

    /// Adjusts the extra delays if an interval has passed (safe to call early or twice).
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(due) = self.next_update.filter(|d| *d <= now) else {
            return;
        };
        // Next one an interval later, or from now if the owner was away longer.
        let next = due + self.config.interval;
        self.next_update = Some(if next <= now {
            now + self.config.interval
        } else {
            next
        });
        let [(audio_sum, audio_n), (video_sum, video_n)] = std::mem::take(&mut self.sums);
        if audio_n == 0 || video_n == 0 {
            return;
        }
        // Positive: video is played later after capture than audio.
        let skew = video_sum / video_n as f64 - audio_sum / audio_n as f64;
        if skew.abs() > self.config.max_skew.as_secs_f64() * 1000.0 {
            self.stats.ignored += 1;
            return;
        }
        self.stats.measurements += 1;
        self.skew = Some(skew);
        if skew.abs() < self.config.dead_band.as_secs_f64() * 1000.0 {
            return;
        }
        // Half the skew, bounded, as libwebrtc moves (no overshoot on a lagging measure).
        let step = Duration::from_secs_f64(skew.abs() / 2000.0).min(self.config.max_step);
        let (later, ahead) = if skew > 0.0 {
            (&mut self.video_extra, &mut self.audio_extra)
        } else {
            (&mut self.audio_extra, &mut self.video_extra)
        };
        let taken = step.min(*later);
        *later -= taken;
        *ahead = (*ahead + (step - taken)).min(self.config.max_extra);
        self.stats.adjustments += 1;
    }

    /// The delay to add to the audio playout's target.
    pub fn audio_extra_delay(&self) -> Duration {
        self.audio_extra
    }

    /// The delay to add to the video render queue's target.
    pub fn video_extra_delay(&self) -> Duration {
        self.video_extra
    }

    /// The last measured skew, ms: video's capture-to-playout delay minus audio's (positive
    /// when video is late).
    pub fn skew(&self) -> Option<f64> {
        self.skew
    }

    /// Counters.
    pub fn stats(&self) -> LipSyncStats {
        self.stats
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A pair whose streams play with fixed capture-to-playout delays (plus the extra delays
    /// the sync asks for, applied at once): returns the extra delays after `seconds`.
    fn converge(audio: u64, video: u64, seconds: u64) -> (LipSync, Vec<f64>) {
        let t0 = Instant::now();
        let mut sync = LipSync::new(LipSyncConfig::default());
        // NTP second 3.9e9 with a fraction; RTP clocks start at odd places and wrap.
        let ntp = (3_900_000_000u64 << 32) | 0x8000_0000;
        let (a0, v0) = (u32::MAX - 48_000, 123_456_789u32);
        sync.handle_sender_report(
            MediaKind::Audio,
            SenderClock {
                ntp,
                rtp_timestamp: a0,
                clock_rate: 48_000,
            },
        );
        sync.handle_sender_report(
            MediaKind::Video,
            SenderClock {
                ntp,
                rtp_timestamp: v0,
                clock_rate: 90_000,
            },
        );
        let mut skews = Vec::new();
        for tick in 0..seconds * 100 {
            let capture = tick * 10; // ms after the report
            let a_delay = ms(audio) + sync.audio_extra_delay();
            let v_delay = ms(video) + sync.video_extra_delay();
            sync.handle_played(
                MediaKind::Audio,
                t0 + ms(capture) + a_delay,
                a0.wrapping_add(capture as u32 * 48),
            );
            sync.handle_played(
                MediaKind::Video,
                t0 + ms(capture) + v_delay,
                v0.wrapping_add(capture as u32 * 90),
            );
            let now = t0 + ms(capture + 200);
            if sync.poll_timeout().is_some_and(|d| d <= now) {
                sync.handle_timeout(now);
                skews.push(sync.skew().unwrap_or(f64::NAN));
            }
        }
        (sync, skews)
    }

    #[test]
    fn the_later_stream_is_matched_by_delaying_the_other_in_bounded_halving_steps() {
        let (sync, skews) = converge(30, 150, 10);
        // Video 120 ms later: audio is delayed, 60 ms, then 30, 15, 7.5 (within the band).
        assert!((skews[0] - 120.0).abs() < 0.01, "{skews:?}");
        assert_eq!(sync.video_extra_delay(), Duration::ZERO);
        let extra = sync.audio_extra_delay().as_secs_f64() * 1000.0;
        assert!((extra - 112.5).abs() < 0.01, "{extra}");
        assert!(skews.last().is_some_and(|s| s.abs() < 8.0), "{skews:?}");
        assert_eq!(sync.stats().adjustments, 4);

        let (sync, skews) = converge(400, 20, 12);
        // Audio 380 ms later: the first step is capped at 80 ms.
        assert!((skews[1] + 300.0).abs() < 0.01, "{skews:?}");
        assert_eq!(sync.audio_extra_delay(), Duration::ZERO);
        let extra = sync.video_extra_delay().as_secs_f64() * 1000.0;
        assert!((extra - 380.0).abs() < 8.0, "{extra}");
    }

    #[test]
    fn extra_delay_comes_off_the_later_stream_first_and_is_bounded() {
        let t0 = Instant::now();
        let mut sync = LipSync::new(LipSyncConfig::default());
        let clock = |rate| SenderClock {
            ntp: 1 << 32,
            rtp_timestamp: 0,
            clock_rate: rate,
        };
        sync.handle_sender_report(MediaKind::Audio, clock(48_000));
        sync.handle_sender_report(MediaKind::Video, clock(90_000));
        // Audio 5 s later: the video extra delay climbs in 80 ms steps to the 1 s bound.
        for s in 0..20u64 {
            let at = t0 + Duration::from_secs(s);
            sync.handle_played(MediaKind::Audio, at + ms(5000), 0);
            sync.handle_played(MediaKind::Video, at, 0);
            sync.handle_timeout(at + ms(1));
        }
        assert_eq!(sync.video_extra_delay(), Duration::from_secs(1));
        // Now video is later by 100 ms: the video extra comes down before audio gets any.
        for s in 20..22u64 {
            let at = t0 + Duration::from_secs(s);
            sync.handle_played(MediaKind::Audio, at, 0);
            sync.handle_played(MediaKind::Video, at + ms(100), 0);
            sync.handle_timeout(at + ms(1));
        }
        assert_eq!(sync.video_extra_delay(), Duration::from_secs(1) - ms(100));
        assert_eq!(sync.audio_extra_delay(), Duration::ZERO);
    }

    #[test]
    fn nothing_moves_without_both_mappings_or_with_a_wild_skew() {
        let t0 = Instant::now();
        let mut sync = LipSync::new(LipSyncConfig::default());
        sync.handle_played(MediaKind::Audio, t0, 0);
        assert_eq!(sync.stats().unmapped, 1);
        assert!(sync.poll_timeout().is_none());
        let clock = SenderClock {
            ntp: 0,
            rtp_timestamp: 0,
            clock_rate: 48_000,
        };
        sync.handle_sender_report(MediaKind::Audio, clock);
        sync.handle_sender_report(
            MediaKind::Video,
            SenderClock {
                clock_rate: 0,
                ..clock
            },
        );
        sync.handle_played(MediaKind::Audio, t0, 0);
        sync.handle_timeout(t0 + Duration::from_secs(2));
        assert_eq!(sync.stats().measurements, 0);
        // A video mapping 20 s off: ignored.
        sync.handle_sender_report(
            MediaKind::Video,
            SenderClock {
                ntp: 20 << 32,
                ..clock
            },
        );
        sync.handle_played(MediaKind::Audio, t0 + Duration::from_secs(3), 0);
        sync.handle_played(MediaKind::Video, t0 + Duration::from_secs(3), 0);
        sync.handle_timeout(t0 + Duration::from_secs(4));
        assert_eq!(sync.stats().ignored, 1);
        assert_eq!(
            (sync.audio_extra_delay(), sync.video_extra_delay()),
            (Duration::ZERO, Duration::ZERO)
        );
    }
}
