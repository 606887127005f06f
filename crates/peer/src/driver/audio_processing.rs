//! Audio processing in the driver's audio layer: an audio sender's PCM goes through
//! `rtcweb-audio-processing` (echo cancellation, noise suppression, gain control) before
//! its encoder, against the remote audio the driver hands out for playout as the render
//! reference (what the loudspeaker plays).
//!
//! The processor runs at 48 kHz, mono, on 10 ms frames: the sender's PCM is mixed down and
//! resampled to that, processed, and handed to the encoder, which converts it to what the
//! peer asked for (Opus stereo included). Decoded remote audio is 48 kHz already; the
//! frames of one playout round (every remote audio track's frame of that 20 ms) are mixed
//! into one reference.
//!
//! The two streams come on their own schedules: the reference in 20 ms playout rounds on
//! the driver's clock, the microphone whenever the application hands it in (a sound
//! server delivers it in bursts on its own clock). The processor pairs each capture frame
//! with the oldest render frame queued, so a capture frame that comes while none is
//! queued is paired with silence and every later pair is one frame further apart: to the
//! canceller the echo has moved by 10 ms, and it takes a second or more to find it again
//! (`tests/sound_server_echo.rs` saw this through a real sound server). So each path
//! queues the reference itself and starts pairing only once [`RENDER_HEADROOM`] frames
//! are queued: the microphone may then run that far ahead of the playout rounds without
//! moving the pairing. The echo looks that much (40 ms) earlier to the canceller, whose
//! search then covers echo delays of 40 to 540 ms.
//!
//! A capture frame that still finds the queue empty while pairing (a playout round later
//! than the headroom: the driver's task was held up on a loaded machine) is paired with
//! silence, and the render frame it should have had is dropped when it comes, so the
//! pairing stays frame for frame as it was. The loudspeaker played that frame on time
//! from its own buffer; were it paired with the next capture frame instead, every later
//! pair would be 10 ms further apart and the canceller would lose the echo for seconds.

pub use rtcweb_audio_processing::AudioProcessingStats;
use std::collections::VecDeque;

use rtcweb_audio_processing::{AudioProcessingConfig, AudioProcessor, ConfigError};
use rtcweb_media::audio::Resampler;
use rtcweb_media::{CodecError, PcmFrame};

/// The processing rate: what decoded remote audio already is.
const RATE: u32 = 48_000;
/// Samples in one 10 ms frame at [`RATE`].
const FRAME: usize = (RATE / 100) as usize;
/// Most processed samples an audio sender holds between calls (less than one frame is
/// ever left; the bound guards a caller handing in one huge buffer).
const MAX_PENDING: usize = RATE as usize;
/// Render frames queued before a path pairs the first with a capture frame (40 ms): how
/// far the microphone may run ahead of the playout rounds (see the module docs).
const RENDER_HEADROOM: usize = 4;
/// Render frames a path queues at most (500 ms, as the processor's own queue); more drops
/// the oldest, counted.
const RENDER_QUEUE: usize = 50;
/// Capture frames in a row that find no render frame before a path waits for
/// [`RENDER_HEADROOM`] again (200 ms: the remote audio stopped, not a late round).
const RENDER_GONE: usize = 20;

/// Which processing an audio sender applies to the PCM it is given, named after the W3C
/// media constraints of a microphone track (`echoCancellation`, `noiseSuppression`,
/// `autoGainControl`). The default is none: PCM from a file or a generator goes out as it
/// is; a microphone's sender turns on what browsers turn on by default
/// ([`AudioProcessing::MICROPHONE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AudioProcessing {
    /// `echoCancellation`: the echo of the remote audio the driver hands out for playout
    /// is removed from what this sender sends.
    pub echo_cancellation: bool,
    /// `noiseSuppression`: stationary noise (fans, hum) is suppressed (10 ms of latency).
    pub noise_suppression: bool,
    /// `autoGainControl`: a quiet talker is raised toward -18 dBFS.
    pub auto_gain_control: bool,
}

impl AudioProcessing {
    /// Everything on, as browsers default a microphone track.
    pub const MICROPHONE: Self = Self {
        echo_cancellation: true,
        noise_suppression: true,
        auto_gain_control: true,
    };

    /// Whether any processing is on.
    pub fn any(&self) -> bool {
        self.echo_cancellation || self.noise_suppression || self.auto_gain_control
    }

    fn config(&self) -> AudioProcessingConfig {
        let mut c = AudioProcessingConfig::new(RATE);
        c.echo_cancellation = self.echo_cancellation;
        c.noise_suppression = self.noise_suppression;
        c.auto_gain_control = self.auto_gain_control;
        // Browsers run the high-pass filter whenever any of the three is on.
        c.high_pass_filter = self.any();
        c
    }
}

/// One audio sender's processing: its PCM down to 48 kHz mono, through the processor, out
/// as 48 kHz mono PCM for the encoder.
#[derive(Debug)]
pub(crate) struct CapturePath {
    settings: AudioProcessing,
    processor: AudioProcessor,
    /// The input's rate and channels, and the resampler from that rate (none at 48 kHz).
    input: Option<(u32, u16, Option<Resampler>)>,
    mono: Vec<i16>,
    /// 48 kHz mono not yet processed (less than a frame between calls).
    pending: Vec<i16>,
    /// What the last call processed, handed to the encoder by reference (its buffer is
    /// reused: no allocation per frame once warm).
    processed: PcmFrame,
    /// The render reference not yet paired, 10 ms frames end to end (at most
    /// [`RENDER_QUEUE`] of them).
    render: VecDeque<i16>,
    /// Whether pairing runs (the headroom was reached and the render has not gone).
    pairing: bool,
    /// Capture frames in a row that found no render frame while pairing.
    render_missing: usize,
    /// Render frames still to come that capture frames went without (paired with silence
    /// instead): dropped when they come, so the pairing keeps its place.
    render_owed: usize,
    /// Render frames dropped from a full queue.
    render_dropped: u64,
}

impl CapturePath {
    /// A path with `settings`; `None` when they turn nothing on.
    pub(crate) fn new(settings: AudioProcessing) -> Result<Option<Self>, ConfigError> {
        if !settings.any() {
            return Ok(None);
        }
        let processor = AudioProcessor::new(settings.config())?;
        Ok(Some(Self {
            settings,
            processor,
            input: None,
            mono: Vec::new(),
            pending: Vec::new(),
            processed: PcmFrame {
                samples: Vec::new(),
                sample_rate: RATE,
                channels: 1,
            },
            render: VecDeque::with_capacity(RENDER_QUEUE * FRAME),
            pairing: false,
            render_missing: 0,
            render_owed: 0,
            render_dropped: 0,
        }))
    }

    /// The settings it runs with.
    pub(crate) fn settings(&self) -> AudioProcessing {
        self.settings
    }

    /// The processor's statistics (`echoReturnLoss`, `echoReturnLossEnhancement`), with
    /// the render frames this path's queue dropped.
    pub(crate) fn stats(&self) -> AudioProcessingStats {
        let mut stats = self.processor.stats();
        stats.render_frames_dropped += self.render_dropped;
        stats
    }

    /// One 10 ms frame of what is played out (48 kHz mono), queued until a capture frame
    /// is paired with it.
    pub(crate) fn handle_render(&mut self, frame: &[i16]) {
        if self.render_owed > 0 {
            // A capture frame went without this one: it keeps its place by not coming.
            self.render_owed -= 1;
            return;
        }
        if self.render.len() >= RENDER_QUEUE * FRAME {
            self.render.drain(..FRAME);
            self.render_dropped += 1;
        }
        self.render.extend(frame);
    }

    /// Hands the processor the render frame to pair with the next capture frame, if one
    /// is due (else the processor pairs it with silence and counts an underrun, and the
    /// frame is owed: see the module docs).
    fn pair_render_frame(&mut self) {
        if !self.pairing && self.render.len() >= RENDER_HEADROOM * FRAME {
            self.pairing = true;
        }
        if !self.pairing {
            return;
        }
        if self.render.len() < FRAME {
            self.render_missing += 1;
            self.render_owed += 1;
            if self.render_missing >= RENDER_GONE {
                // The remote audio stopped: nothing is owed, the headroom starts again.
                self.pairing = false;
                self.render_owed = 0;
            }
            return;
        }
        self.render_missing = 0;
        // Contiguous already unless the queue wrapped (then one copy of at most 500 ms).
        let queued = self.render.make_contiguous();
        // Whole frames of the processor's own length: never an error.
        let _ = self.processor.handle_render_frame(&queued[..FRAME]);
        self.render.drain(..FRAME);
    }

    /// Processes `pcm`; the processed 48 kHz mono PCM, whole 10 ms frames of it (empty
    /// while less than a frame has come).
    pub(crate) fn process(&mut self, pcm: &PcmFrame) -> Result<&PcmFrame, CodecError> {
        let channels = pcm.channels.max(1);
        if self
            .input
            .as_ref()
            .is_none_or(|(rate, ch, _)| *rate != pcm.sample_rate || *ch != channels)
        {
            let resampler = if pcm.sample_rate == RATE {
                None
            } else {
                Some(Resampler::new(pcm.sample_rate, RATE, 1)?)
            };
            self.input = Some((pcm.sample_rate, channels, resampler));
        }
        let out = &mut self.processed.samples;
        out.clear();
        let Some((_, _, resampler)) = self.input.as_mut() else {
            return Ok(&self.processed);
        };
        // Mixed down to mono: the processor takes mono.
        self.mono.clear();
        self.mono.extend(
            pcm.samples
                .chunks_exact(usize::from(channels))
                .map(|c| (c.iter().map(|&s| i32::from(s)).sum::<i32>() / c.len() as i32) as i16),
        );
        match resampler {
            Some(r) => r.process(&self.mono, &mut self.pending),
            None => self.pending.extend_from_slice(&self.mono),
        }
        if self.pending.len() > MAX_PENDING {
            let excess = self.pending.len() - MAX_PENDING;
            self.pending.drain(..excess);
        }
        let whole = self.pending.len() / FRAME * FRAME;
        let mut pending = std::mem::take(&mut self.pending);
        let mut out = std::mem::take(&mut self.processed.samples);
        for frame in pending[..whole].chunks_exact_mut(FRAME) {
            self.pair_render_frame();
            // Whole frames of the processor's own length: never an error.
            let _ = self.processor.process_capture_frame(frame);
            out.extend_from_slice(frame);
        }
        pending.drain(..whole);
        self.pending = pending;
        self.processed.samples = out;
        Ok(&self.processed)
    }
}

/// Mixes the remote audio of one playout round into the render reference: every decoded
/// remote track's frames of the round (48 kHz, mono or stereo) summed in mono. A round is
/// normally one 20 ms frame per track; a late round (the task was held up) plays several
/// ticks at once, and a track's frames then follow each other in the mix, as they follow
/// each other out of the loudspeaker, so the reference stays as long as what is played.
#[derive(Debug, Default)]
pub(crate) struct RenderMix {
    mix: Vec<i32>,
    /// Where the current track's next frame goes in `mix`, samples.
    cursor: usize,
    frame: Vec<i16>,
    tracks: usize,
}

impl RenderMix {
    /// The frames [`RenderMix::add`] is given next are another track's.
    pub(crate) fn next_track(&mut self) {
        self.cursor = 0;
    }

    /// Adds the current track's next decoded frame (interleaved, `channels` channels,
    /// 48 kHz) after its frames of this round.
    pub(crate) fn add(&mut self, samples: &[i16], channels: u16) {
        let channels = usize::from(channels.max(1));
        let len = samples.len() / channels;
        let end = self.cursor + len;
        if self.mix.len() < end {
            self.mix.resize(end, 0);
        }
        for (m, c) in self.mix[self.cursor..end]
            .iter_mut()
            .zip(samples.chunks_exact(channels))
        {
            *m += c.iter().map(|&s| i32::from(s)).sum::<i32>() / channels as i32;
        }
        self.cursor = end;
        self.tracks += 1;
    }

    /// Hands the round's mix to every path, in 10 ms frames, and starts the next round.
    pub(crate) fn flush<'a>(&mut self, paths: impl Iterator<Item = &'a mut CapturePath>) {
        self.cursor = 0;
        if self.tracks == 0 {
            return;
        }
        self.frame.clear();
        self.frame
            .extend(self.mix.iter().map(|&s| s.clamp(-32768, 32767) as i16));
        for path in paths {
            for frame in self.frame.chunks_exact(FRAME) {
                path.handle_render(frame);
            }
        }
        self.mix.clear();
        self.tracks = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, channels: u16, ms: usize) -> PcmFrame {
        let n = rate as usize * ms / 1000;
        let mut samples = Vec::with_capacity(n * usize::from(channels));
        for i in 0..n {
            let s = (8000.0
                * (i as f64 * 2.0 * std::f64::consts::PI * 440.0 / f64::from(rate)).sin())
                as i16;
            samples.extend(std::iter::repeat_n(s, usize::from(channels)));
        }
        PcmFrame {
            samples,
            sample_rate: rate,
            channels,
        }
    }

    #[test]
    fn nothing_on_is_no_path() {
        assert!(
            CapturePath::new(AudioProcessing::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn any_input_comes_out_as_whole_48_khz_mono_frames() {
        let mut path = CapturePath::new(AudioProcessing {
            noise_suppression: true,
            ..AudioProcessing::default()
        })
        .unwrap()
        .unwrap();
        let mut total = 0;
        for _ in 0..50 {
            // 25 ms of 44.1 kHz stereo at a time: not a whole number of frames.
            let out = path.process(&tone(44_100, 2, 25)).unwrap();
            assert_eq!((out.sample_rate, out.channels), (48_000, 1));
            assert_eq!(out.samples.len() % FRAME, 0);
            total += out.samples.len();
        }
        // 1.25 s in; all but the resampler's delay and less than a frame out.
        assert!(
            (59_000..=60_000).contains(&total),
            "{total} samples out of 1.25 s"
        );
        // A new format starts a new conversion.
        let out = path.process(&tone(48_000, 1, 20)).unwrap();
        assert_eq!(out.samples.len() % FRAME, 0);
    }

    #[test]
    fn the_render_mix_sums_tracks_in_mono_and_feeds_every_path() {
        let mut mix = RenderMix::default();
        mix.next_track();
        mix.add(&[1000; 960 * 2], 2);
        mix.next_track();
        mix.add(&[500; 960], 1);
        assert_eq!(mix.tracks, 2);
        let mut path = CapturePath::new(AudioProcessing::MICROPHONE)
            .unwrap()
            .unwrap();
        mix.flush(std::iter::once(&mut path));
        assert_eq!(mix.tracks, 0);
        assert_eq!(path.stats().render_frames_dropped, 0);
        // An empty round hands nothing.
        mix.flush(std::iter::once(&mut path));
    }

    #[test]
    fn a_late_round_s_frames_follow_each_other_in_the_reference() {
        let mut path = CapturePath::new(AudioProcessing {
            echo_cancellation: true,
            ..AudioProcessing::default()
        })
        .unwrap()
        .unwrap();
        // A round that played two ticks of one track (40 ms) and one of another (20 ms):
        // 40 ms of reference, not 20 ms of the two ticks summed.
        let mut mix = RenderMix::default();
        mix.next_track();
        mix.add(&[1000; 960], 1);
        mix.add(&[2000; 960], 1);
        mix.next_track();
        mix.add(&[500; 960], 1);
        assert_eq!(mix.mix[..960], [1500; 960]);
        assert_eq!(mix.mix[960..], [2000; 960]);
        mix.flush(std::iter::once(&mut path));
        // Four 10 ms render frames queued: four capture frames take them, a fifth finds
        // none.
        let capture = PcmFrame {
            samples: vec![0; 4 * FRAME],
            sample_rate: RATE,
            channels: 1,
        };
        path.process(&capture).unwrap();
        assert_eq!(path.stats().render_underruns, 0);
        path.process(&PcmFrame {
            samples: vec![0; FRAME],
            sample_rate: RATE,
            channels: 1,
        })
        .unwrap();
        assert_eq!(path.stats().render_underruns, 1);
    }

    /// A path with echo cancellation alone.
    fn echo_path() -> CapturePath {
        CapturePath::new(AudioProcessing {
            echo_cancellation: true,
            ..AudioProcessing::default()
        })
        .unwrap()
        .unwrap()
    }

    /// `frames` 10 ms frames of silent microphone.
    fn capture(frames: usize) -> PcmFrame {
        PcmFrame {
            samples: vec![0; frames * FRAME],
            sample_rate: RATE,
            channels: 1,
        }
    }

    #[test]
    fn the_microphone_may_run_the_headroom_ahead_of_the_reference() {
        let mut path = echo_path();
        // Before any reference: paired with silence, as ever.
        path.process(&capture(2)).unwrap();
        assert_eq!(path.stats().render_underruns, 2);
        // Then the microphone comes in 40 ms bursts before each 40 ms of reference: with
        // the headroom queued first, no capture frame finds the queue empty.
        let render = [0i16; FRAME];
        for _ in 0..RENDER_HEADROOM {
            path.handle_render(&render);
        }
        for _ in 0..20 {
            path.process(&capture(4)).unwrap();
            for _ in 0..4 {
                path.handle_render(&render);
            }
        }
        assert_eq!(path.stats().render_underruns, 2);
        // The reference stops: 200 ms later the path waits for the headroom again.
        path.process(&capture(RENDER_HEADROOM + RENDER_GONE))
            .unwrap();
        assert!(!path.pairing);
        let underruns = path.stats().render_underruns;
        path.handle_render(&render);
        path.process(&capture(1)).unwrap();
        assert_eq!(path.stats().render_underruns, underruns + 1);
    }

    #[test]
    fn a_playout_round_later_than_the_headroom_does_not_move_the_pairing() {
        let mut path = echo_path();
        let render = [0i16; FRAME];
        let round = |path: &mut CapturePath| {
            for _ in 0..2 {
                path.handle_render(&render);
            }
        };
        // The headroom, then 20 ms of microphone each followed by a 20 ms round: after a
        // round four frames are queued.
        round(&mut path);
        round(&mut path);
        for _ in 0..10 {
            path.process(&capture(2)).unwrap();
            round(&mut path);
        }
        let queued = path.render.len();
        assert_eq!(queued, 4 * FRAME);
        assert_eq!(path.stats().render_underruns, 0);
        // Three rounds held up, then all three at once (60 ms late): the microphone takes
        // the four queued frames, then two capture frames find none and go with silence;
        // the first two frames of the late rounds are theirs, and are dropped.
        for _ in 0..3 {
            path.process(&capture(2)).unwrap();
        }
        assert_eq!(path.stats().render_underruns, 2);
        for _ in 0..3 {
            round(&mut path);
        }
        // Frame for frame as before: the queue holds what it held (were the late frames
        // all queued, it would hold two more and every pair would be 20 ms further apart).
        assert_eq!(path.render.len(), queued);
        for _ in 0..10 {
            path.process(&capture(2)).unwrap();
            round(&mut path);
        }
        assert_eq!(path.render.len(), queued);
        assert_eq!(path.stats().render_underruns, 2);
    }
}
