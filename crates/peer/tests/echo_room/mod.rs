//! A simulated room between a peer's "speaker" and its "microphone", for the echo
//! cancellation tests: the speaker plays what the driver hands out for a remote audio track
//! (20 ms each 20 ms), and the microphone hears it 60 ms later at half the level with a
//! reflection 40 ms after that, plus whatever the near-end talker says.
//!
//! The speaker buffers as an audio device does: it starts playing once it holds
//! [`PREBUFFER`] samples (60 ms, so 40 ms are left after each 20 ms it plays), holds at
//! most 100 ms, and after running dry (silence played) waits for the prebuffer again. So a
//! playout round of the driver that comes up to 40 ms late (its task held up on a loaded
//! machine) is still played on time, as a sound card's or sound server's buffer plays it.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::collections::VecDeque;

use rtcweb_media::audio::DecodedAudio;

/// 20 ms at 48 kHz.
pub const FRAME: usize = 960;
/// The room: (delay in samples, gain) of the direct path and one reflection.
const ROOM: [(usize, f32); 2] = [(2880, 0.5), (4800, 0.2)];
/// What the speaker holds before it plays (60 ms).
pub const PREBUFFER: usize = 3 * FRAME;
/// What the speaker holds at most (100 ms); more drops the oldest.
const SPEAKER: usize = 5 * FRAME;

/// The speaker, the air and the microphone.
pub struct Room {
    speaker: VecDeque<f32>,
    /// Whether the speaker plays (it held [`PREBUFFER`] since it last ran dry).
    playing: bool,
    played: VecDeque<f32>,
}

impl Room {
    pub fn new() -> Self {
        Self {
            speaker: VecDeque::new(),
            playing: false,
            played: VecDeque::from(vec![0.0; ROOM[1].0 + FRAME]),
        }
    }

    /// A frame the driver handed out: to the speaker's buffer (mono, 48 kHz).
    pub fn play(&mut self, frame: &DecodedAudio) {
        let channels = usize::from(frame.channels.max(1));
        self.speaker.extend(
            frame
                .samples
                .chunks_exact(channels)
                .map(|c| c.iter().map(|&s| f32::from(s)).sum::<f32>() / channels as f32),
        );
        // A speaker's buffer holds a few frames at most.
        while self.speaker.len() > SPEAKER {
            self.speaker.pop_front();
        }
    }

    /// The next 20 ms the microphone hears: the speaker's next 20 ms through the room, and
    /// `near` (the near-end talker, [`FRAME`] samples) when given.
    pub fn microphone(&mut self, near: Option<&[i16]>) -> Vec<i16> {
        if self.speaker.len() >= PREBUFFER {
            self.playing = true;
        }
        (0..FRAME)
            .map(|i| {
                let sample = if self.playing {
                    self.speaker.pop_front()
                } else {
                    None
                };
                // Run dry: silence until the prebuffer is there again.
                self.playing &= sample.is_some();
                self.played.push_back(sample.unwrap_or(0.0));
                self.played.pop_front();
                let len = self.played.len();
                let echo: f32 = ROOM.iter().map(|(d, g)| g * self.played[len - 1 - d]).sum();
                let talker = near.map_or(0.0, |n| f32::from(n[i]));
                (echo + talker).clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }
}
