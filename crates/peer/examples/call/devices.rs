//! Which microphone, speaker and camera the call uses: the ones named on the command line
//! (a piece of the label or of the id), else the first real device of each kind, else the
//! synthetic stand-ins (a 440 Hz tone, a null speaker, the moving test pattern), said on
//! the terminal.

use rtcweb_capture::{
    AudioConstraints, AudioSettings, Backend, ConstrainDouble, ConstrainULong, DeviceInfo,
    DeviceKind, VideoConstraints, VideoSettings, enumerate_audio, enumerate_video, select_audio,
    select_video, synthetic_camera,
};

/// The devices chosen, with the settings each opens with.
#[derive(Debug, Clone)]
pub(crate) struct Devices {
    pub(crate) microphone: (DeviceInfo, AudioSettings),
    pub(crate) speaker: (DeviceInfo, AudioSettings),
    pub(crate) camera: (DeviceInfo, VideoSettings),
}

/// The names asked for on the command line.
#[derive(Debug, Default, Clone)]
pub(crate) struct Wanted {
    pub(crate) microphone: Option<String>,
    pub(crate) speaker: Option<String>,
    pub(crate) camera: Option<String>,
}

/// Prints every device, as `--list` shows them.
#[allow(clippy::print_stdout)]
pub(crate) fn list() {
    let audio = enumerate_audio();
    let video = enumerate_video();
    for (title, kind, devices) in [
        ("Microphones", DeviceKind::AudioInput, &audio),
        ("Speakers", DeviceKind::AudioOutput, &audio),
        ("Cameras", DeviceKind::VideoInput, &video),
    ] {
        println!("{title}:");
        for d in devices.iter().filter(|d| d.kind == kind) {
            let synthetic = if is_hardware(d) { "" } else { " (synthetic)" };
            println!("  {}{synthetic}\n      id: {}", d.label, d.id);
        }
    }
}

/// A device that plays or records something: not a generated or file device, and not
/// ALSA's `null` device (it discards everything and records silence).
fn is_hardware(d: &DeviceInfo) -> bool {
    matches!(d.backend, Backend::Audio | Backend::V4l2) && !d.id.as_str().ends_with(":null")
}

/// The devices of `kind` in `all` that fit `wanted` (a case-insensitive piece of the label
/// or the id, synthetic devices included), or the real ones when nothing is asked. Says on
/// the terminal when nothing fits.
fn candidates(
    all: &[DeviceInfo],
    kind: DeviceKind,
    what: &str,
    wanted: Option<&str>,
) -> Vec<DeviceInfo> {
    let of_kind = all.iter().filter(|d| d.kind == kind);
    match wanted {
        Some(name) => {
            let name = name.to_lowercase();
            let found: Vec<DeviceInfo> = of_kind
                .filter(|d| {
                    d.label.to_lowercase().contains(&name)
                        || d.id.as_str().to_lowercase().contains(&name)
                })
                .cloned()
                .collect();
            if found.is_empty() {
                eprintln!("no {what} matches \"{name}\" (see --list)");
            }
            found
        }
        None => {
            let found: Vec<DeviceInfo> = of_kind.filter(|d| is_hardware(d)).cloned().collect();
            if found.is_empty() {
                eprintln!("no {what} found on this machine");
            }
            found
        }
    }
}

/// Chooses the three devices (see the module docs).
pub(crate) fn choose(wanted: &Wanted) -> Devices {
    let audio = enumerate_audio();
    let video = enumerate_video();
    let mono = AudioConstraints {
        sample_rate: ConstrainULong::ideal(48_000),
        channel_count: ConstrainULong::ideal(1),
        ..AudioConstraints::default()
    };
    let stereo = AudioConstraints {
        channel_count: ConstrainULong::ideal(2),
        ..mono.clone()
    };
    let microphone = pick_audio(
        candidates(
            &audio,
            DeviceKind::AudioInput,
            "microphone",
            wanted.microphone.as_deref(),
        ),
        &mono,
        "microphone",
        DeviceInfo::tone_microphone(440),
    );
    let speaker = pick_audio(
        candidates(
            &audio,
            DeviceKind::AudioOutput,
            "speaker",
            wanted.speaker.as_deref(),
        ),
        &stereo,
        "speaker",
        DeviceInfo::null_speaker(),
    );
    let found = candidates(
        &video,
        DeviceKind::VideoInput,
        "camera",
        wanted.camera.as_deref(),
    );
    // The browsers' default size and rate.
    let constraints = VideoConstraints {
        width: ConstrainULong::ideal(640),
        height: ConstrainULong::ideal(480),
        frame_rate: ConstrainDouble::ideal(30.0),
        ..VideoConstraints::default()
    };
    let camera = match select_video(&found, &constraints) {
        Ok(chosen) => chosen,
        Err(e) => {
            if !found.is_empty() {
                eprintln!("no camera fits 640x480: {e}");
            }
            let fallback = synthetic_camera();
            say_synthetic("camera", &fallback);
            select_video(&[fallback], &constraints).expect("the test pattern offers 640x480")
        }
    };
    Devices {
        microphone,
        speaker,
        camera,
    }
}

fn pick_audio(
    found: Vec<DeviceInfo>,
    constraints: &AudioConstraints,
    what: &str,
    fallback: DeviceInfo,
) -> (DeviceInfo, AudioSettings) {
    match select_audio(&found, constraints) {
        Ok(chosen) => chosen,
        Err(e) => {
            if !found.is_empty() {
                eprintln!("no {what} fits 48 kHz: {e}");
            }
            say_synthetic(what, &fallback);
            select_audio(&[fallback], constraints).expect("a generated device takes 48 kHz")
        }
    }
}

fn say_synthetic(what: &str, device: &DeviceInfo) {
    eprintln!(
        "*** using the SYNTHETIC {what}: {} ({}) ***",
        device.label, device.id
    );
}

/// One line per device, as the call starts.
pub(crate) fn describe(devices: &Devices) -> String {
    let (mic, mic_settings) = &devices.microphone;
    let (speaker, speaker_settings) = &devices.speaker;
    let (camera, camera_settings) = &devices.camera;
    format!(
        "microphone: {} ({}), {} Hz, {} channel(s)\n\
         speaker:    {} ({}), {} Hz, {} channel(s)\n\
         camera:     {} ({}), {}x{} at {:.0} frames/s",
        mic.label,
        mic.id,
        mic_settings.sample_rate,
        mic_settings.channels,
        speaker.label,
        speaker.id,
        speaker_settings.sample_rate,
        speaker_settings.channels,
        camera.label,
        camera.id,
        camera_settings.width,
        camera_settings.height,
        camera_settings.frame_rate.as_f64(),
    )
}
