//! The bounded ring between the application writing playout audio and the device taking
//! it: a full ring drops the oldest samples (late audio is worth less than new audio), an
//! empty one plays silence; both are counted.
//!
//! A ring that ran dry (and a new one) plays silence until it holds a device request and a
//! cushion more, then plays on. Without the cushion, an application writing 20 ms frames
//! to a device that takes 100 ms at a time keeps the ring at exactly one request when the
//! device asks: a frame a few milliseconds late then puts 20 ms of silence in the middle
//! of the audio, and every later sample comes out 20 ms later. The listener hears a gap;
//! an echo canceller sees its echo path jump (`rtcweb-peer`'s `tests/sound_server_echo.rs`
//! measured one such jump in most calls through a PulseAudio null sink, and 1 to 1.5 s of
//! uncancelled echo after each).
//!
//! A mutex guards it: each side holds it for one copy of at most a callback's samples, and a
//! lock-free single-producer ring cannot drop its oldest samples from the producer's side.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// Counters of a playout stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlayoutStats {
    /// Samples (per channel) the application wrote, after conversion to the device's
    /// format.
    pub frames_written: u64,
    /// Sample frames (one sample per channel) dropped because the ring was full: the
    /// application wrote faster than the device played.
    pub frames_dropped: u64,
    /// Device requests the ring could not fill completely (the application wrote too
    /// slowly, or not yet).
    pub underruns: u64,
    /// Sample frames of silence played in place of missing audio.
    pub silence_frames: u64,
    /// Sample frames handed to the device, audio and silence.
    pub frames_played: u64,
    /// Underruns and other passing errors the device itself reported (the stream went on;
    /// the listener may have heard a gap even with audio in the ring).
    pub device_glitches: u64,
}

#[derive(Debug)]
struct State {
    samples: VecDeque<i16>,
    stats: PlayoutStats,
    /// Ran dry (or never played): silence until a request and the cushion are there.
    starved: bool,
}

/// Interleaved samples in the device's format, at most `capacity` sample frames.
#[derive(Debug)]
pub(crate) struct PlayoutRing {
    state: Mutex<State>,
    channels: usize,
    /// In samples (sample frames times channels).
    capacity: usize,
    /// What a starved ring holds beyond a request before it plays again, samples.
    cushion: usize,
}

impl PlayoutRing {
    /// A ring of at most `capacity_frames` sample frames of `channels` channels, which
    /// after running dry waits for `cushion_frames` beyond a request before it plays.
    pub(crate) fn new(channels: u16, capacity_frames: usize, cushion_frames: usize) -> Self {
        let channels = usize::from(channels.max(1));
        let capacity = capacity_frames.max(1) * channels;
        Self {
            state: Mutex::new(State {
                samples: VecDeque::with_capacity(capacity),
                stats: PlayoutStats::default(),
                starved: true,
            }),
            channels,
            capacity,
            cushion: cushion_frames * channels,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: it is plain data.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends whole sample frames of `samples` (a trailing partial one is ignored),
    /// dropping the oldest ones waiting if the ring would overflow.
    pub(crate) fn write(&self, samples: &[i16]) {
        let samples = &samples[..samples.len() - samples.len() % self.channels];
        let written = samples.len();
        // More than the whole ring: only its newest part can be kept.
        let skipped = written.saturating_sub(self.capacity);
        let samples = &samples[skipped..];
        let mut state = self.lock();
        let overflow = (state.samples.len() + samples.len()).saturating_sub(self.capacity);
        state.samples.drain(..overflow);
        state.samples.extend(samples.iter().copied());
        state.stats.frames_written += (written / self.channels) as u64;
        state.stats.frames_dropped += ((overflow + skipped) / self.channels) as u64;
    }

    /// Fills `out` (interleaved, whole sample frames) from the ring, silence where it runs
    /// short; all silence while it is starved and holds less than `out` and the cushion
    /// (or is not full).
    pub(crate) fn read(&self, out: &mut [i16]) {
        let mut state = self.lock();
        let primed = (out.len() + self.cushion).min(self.capacity);
        if state.starved && state.samples.len() < primed {
            out.fill(0);
            state.stats.underruns += 1;
            state.stats.silence_frames += (out.len() / self.channels) as u64;
            state.stats.frames_played += (out.len() / self.channels) as u64;
            return;
        }
        state.starved = false;
        let take = state.samples.len().min(out.len());
        for (slot, sample) in out.iter_mut().zip(state.samples.drain(..take)) {
            *slot = sample;
        }
        out[take..].fill(0);
        let short = out.len() - take;
        if short > 0 {
            state.stats.underruns += 1;
            state.stats.silence_frames += (short / self.channels) as u64;
            state.starved = true;
        }
        state.stats.frames_played += (out.len() / self.channels) as u64;
    }

    /// The device reported an underrun of its own or a passing error.
    pub(crate) fn count_device_glitch(&self) {
        self.lock().stats.device_glitches += 1;
    }

    /// Sample frames waiting.
    pub(crate) fn fill(&self) -> usize {
        self.lock().samples.len() / self.channels
    }

    pub(crate) fn stats(&self) -> PlayoutStats {
        self.lock().stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_ring_drops_the_oldest_and_counts() {
        let ring = PlayoutRing::new(2, 4, 0);
        ring.write(&[1, 1, 2, 2, 3, 3]);
        ring.write(&[4, 4, 5, 5, 6, 6]);
        assert_eq!(ring.fill(), 4);
        let mut out = [0; 8];
        ring.read(&mut out);
        assert_eq!(out, [3, 3, 4, 4, 5, 5, 6, 6]);
        let stats = ring.stats();
        assert_eq!(
            (stats.frames_written, stats.frames_dropped, stats.underruns),
            (6, 2, 0)
        );
        // One write larger than the ring keeps its newest part.
        ring.write(&[7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12]);
        ring.read(&mut out);
        assert_eq!(out, [8, 8, 9, 9, 10, 10, 11, 11]);
        assert_eq!(ring.stats().frames_dropped, 3);
    }

    #[test]
    fn an_empty_ring_plays_silence_and_counts_underruns() {
        let ring = PlayoutRing::new(1, 100, 0);
        let mut out = [9; 4];
        ring.read(&mut out);
        assert_eq!(out, [0; 4]);
        // Less than a request: still silence (no cushion here).
        ring.write(&[5, 6]);
        ring.read(&mut out);
        assert_eq!(out, [0; 4]);
        ring.write(&[1, 2]);
        ring.read(&mut out);
        assert_eq!(out, [5, 6, 1, 2]);
        // Running short: what is there, then silence.
        ring.write(&[3]);
        ring.read(&mut out);
        assert_eq!(out, [3, 0, 0, 0]);
        let stats = ring.stats();
        assert_eq!(
            (
                stats.underruns,
                stats.silence_frames,
                stats.frames_played,
                stats.frames_dropped
            ),
            (3, 11, 16, 0)
        );
    }

    #[test]
    fn a_starved_ring_waits_for_a_request_and_its_cushion() {
        let ring = PlayoutRing::new(1, 100, 2);
        // New: 5 samples are less than a request of 4 and the cushion of 2 ...
        ring.write(&[1, 2, 3, 4, 5]);
        let mut out = [9; 4];
        ring.read(&mut out);
        assert_eq!(out, [0; 4]);
        // ... 6 are enough: it plays, and goes on while a request is there.
        ring.write(&[6]);
        ring.read(&mut out);
        assert_eq!(out, [1, 2, 3, 4]);
        ring.write(&[7, 8]);
        ring.read(&mut out);
        assert_eq!(out, [5, 6, 7, 8]);
        // Dry: what is there, then silence, and silence again until 6 are waiting.
        ring.write(&[10, 11]);
        ring.read(&mut out);
        assert_eq!(out, [10, 11, 0, 0]);
        ring.write(&[12, 13, 14, 15, 16]);
        ring.read(&mut out);
        assert_eq!(out, [0; 4]);
        ring.write(&[17]);
        ring.read(&mut out);
        assert_eq!(out, [12, 13, 14, 15]);
        let stats = ring.stats();
        assert_eq!((stats.underruns, stats.silence_frames), (3, 10));
        // A request larger than the ring can take: a full ring plays.
        let small = PlayoutRing::new(1, 4, 2);
        small.write(&[1, 2, 3, 4]);
        let mut big = [9; 6];
        small.read(&mut big);
        assert_eq!(big, [1, 2, 3, 4, 0, 0]);
    }
}
