//! Microphones and speakers: enumeration, capture in 10 ms frames, playout from a bounded
//! ring, each with its latency.
//!
//! Sound devices go through `cpal`: its ALSA host, and its PulseAudio host when a server's
//! socket is found (which also serves PipeWire through `pipewire-pulse`). Generated
//! devices (a tone microphone, a null speaker) and file devices (a WAV microphone, a WAV
//! speaker) sit behind the same [`AudioCapture`] and [`AudioPlayout`], paced by the clock
//! on a thread of their own, so tests and machines without sound cards run the same code.
//!
//! Ids are `audio:<cpal host>:<the host's device name>` (`audio:pulseaudio:alsa_output.pci-
//! 0000_00_1f.3.analog-stereo`, `audio:alsa:default`), `synthetic:tone-440hz`,
//! `synthetic:null-speaker`, `file:wav:<path>` and `file:wav-loop:<path>`.

mod capture;
mod convert;
mod generated;
mod playout;
mod ring;
mod sound_server;

pub use capture::AudioCapture;
pub use convert::NativeFormat;
pub use playout::AudioPlayout;
pub use ring::PlayoutStats;

use crate::device::DeviceInfo;

/// What keeps an open device running; dropping it stops the device.
#[expect(
    dead_code,
    reason = "held only to be dropped: dropping stops the stream or joins the thread"
)]
enum Running {
    /// A `cpal` stream: it runs on `cpal`'s thread until dropped.
    SoundServer(cpal::Stream),
    /// A generated device's thread.
    Generated(generated::PacedThread),
}

/// Every microphone and speaker (W3C `enumerateDevices()` for audio), with capabilities:
/// the sound devices `cpal` finds (none, without a sound system; the PulseAudio host is
/// asked only when a server socket exists and gives up after two seconds), then the
/// generated ones (a 440 Hz tone microphone and a null speaker). Never fails: a host that
/// cannot be asked contributes nothing.
pub fn enumerate_audio() -> Vec<DeviceInfo> {
    let mut devices = Vec::new();
    sound_server::enumerate(&mut devices);
    generated::enumerate(&mut devices);
    devices
}
