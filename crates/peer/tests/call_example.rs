//! The call example (`examples/call`) against headless Chromium, with a display and a sound
//! server but no hardware: an X server of the test's own (Xvfb), a PulseAudio daemon of its
//! own with a null sink (rtcweb-lab's `SoundServer`), and the synthetic camera (there is
//! no V4L2 device in CI). The example plays Chromium's audio into the null sink and
//! captures the sink's monitor as its microphone, so Chromium's fake microphone comes back
//! to Chromium through a real sound server; it sends its test-pattern camera and shows
//! Chromium's fake camera in its window. Checked: Chromium's `getStats` shows rtcweb's
//! audio (with energy) and video (decoded frames) arriving, and screenshots of the X
//! screen (ImageMagick `import`) show Chromium's camera picture in rtcweb's window: their
//! mean colour matches the page's own camera frames, and it is not black. After the page
//! hangs up, the example's summary shows microphone and camera frames sent and the
//! browser's audio played and video shown.
//!
//! The example binary is built by `cargo test` (examples are built with the tests; with
//! `--test call_example` alone, run `cargo build -p rtcweb-peer --example call` first).
//! Runs in a network namespace holding only `lo` when `unshare -n` works here. Without
//! `/usr/bin/chromium` it is skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test waits in wall-clock time

mod chromium;
mod peer_events;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chromium::Chromium;
use rtcweb_lab::SoundServer;
use rtcweb_lab::sound::SINK;
use serde_json::json;

/// How far the mean colour of rtcweb's window may be from the page's camera frame, per
/// channel (0-255), outside the range of the page's frames around the screenshot (measured:
/// 0.0 in nine rounds of three runs; 2.1 at most when compared with single frames, which
/// the pulsing brightness defeats). The test prints what it measures; the two differ by
/// VP8 and the two YUV-to-RGB conversions. Chromium 156's fake camera is mostly green (about [2-11, 138-156, 0-3]):
/// rtcweb's own test pattern, or a black window, would be far further off.
const COLOUR_TOLERANCE: f64 = 5.0;

/// An X server of the test's own (Xvfb), stopped on drop.
struct Xvfb {
    server: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Self {
        // `-displayfd 1`: Xvfb picks a free display and writes its number on stdout.
        let spawned = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut server = match spawned {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "Xvfb is not installed: run `cargo xtask test` (it installs the Debian \
                 packages the tests need), or `apt-get install xvfb`"
            ),
            Err(e) => panic!("cannot start Xvfb: {e}"),
        };
        let mut line = String::new();
        let stdout = server.stdout.take().expect("Xvfb's stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("Xvfb's display number");
        let number: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Xvfb wrote {line:?}, not a display number"));
        Self {
            server,
            display: format!(":{number}"),
        }
    }

    /// A PNG of the whole screen (ImageMagick `import -window root`).
    fn screenshot(&self) -> png::Reader<std::io::Cursor<Vec<u8>>> {
        let out = Command::new("import")
            .args(["-window", "root", "png:-"])
            .env("DISPLAY", &self.display)
            .output()
            .unwrap_or_else(|e| {
                panic!("ImageMagick's `import` does not run ({e}): `apt-get install imagemagick`")
            });
        assert!(
            out.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut decoder = png::Decoder::new(std::io::Cursor::new(out.stdout));
        // ImageMagick writes a palette when the screen has few colours: expand it to RGB.
        decoder.set_transformations(png::Transformations::EXPAND);
        decoder.read_info().expect("a PNG")
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The example binary, next to this test's `deps/` directory.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = debug.join("examples").join("call");
    assert!(
        binary.exists(),
        "the call example is not built at {}: run `cargo test -p rtcweb-peer` (which builds \
         the examples), or `cargo build -p rtcweb-peer --example call` first",
        binary.display()
    );
    binary
}

/// The example's output and error output, line by line, from threads (echoed as they
/// come).
fn lines(child: &mut Child) -> (mpsc::Receiver<String>, mpsc::Receiver<String>) {
    fn forward(from: impl Read + Send + 'static, tag: &'static str) -> mpsc::Receiver<String> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(from).lines() {
                let Ok(line) = line else { break };
                // cpal's ALSA and JACK probing is noisy; keep what the example itself says.
                if line.starts_with("ALSA lib")
                    || line.contains("jack")
                    || line.contains("Jack")
                    || line.starts_with("Cannot connect to server")
                {
                    continue;
                }
                println!("{tag}> {line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }
    let stdout = child.stdout.take().expect("the example's stdout");
    let stderr = child.stderr.take().expect("the example's stderr");
    (forward(stdout, "call"), forward(stderr, "call (stderr)"))
}

/// Waits for a line starting with `prefix`.
fn wait_for(lines: &mpsc::Receiver<String>, prefix: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(_) => {}
            Err(e) => panic!("the example did not say \"{prefix}...\" ({e})"),
        }
    }
}

/// Stops the example on drop (a failing test leaves no process behind).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn chromium_calls_the_call_example_and_sees_and_hears_it() {
    let name = "chromium_calls_the_call_example_and_sees_and_hears_it";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let binary = example_binary();
    let x = Xvfb::start();
    let sound = SoundServer::start("call").unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(&binary)
        .args(["--port", "0", "--seconds", "60"])
        .args(["--mic", &format!("{SINK}.monitor"), "--speaker", SINK])
        // The microphone here is the speaker's own monitor: all echo by construction,
        // which echo cancellation would rightly take away. The test checks that Chromium's
        // audio comes back, so the microphone goes out raw (tests/loopback_echo.rs checks
        // the cancellation).
        .arg("--raw-microphone")
        .env("DISPLAY", &x.display)
        .env("PULSE_SERVER", sound.pulse_server())
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the call example starts");
    let (lines, errors) = lines(&mut child);
    let _running = Running(child);
    let microphone = wait_for(&lines, "microphone:", Duration::from_secs(20));
    let speaker = wait_for(&lines, "speaker:", Duration::from_secs(5));
    assert!(
        microphone.contains(&format!("audio:pulseaudio:{SINK}.monitor")),
        "{microphone}"
    );
    assert!(
        speaker.contains(&format!("audio:pulseaudio:{SINK}")),
        "{speaker}"
    );
    if !std::path::Path::new("/dev/video0").exists() {
        // No camera here (CI): the example says it uses the synthetic one.
        let said = wait_for(
            &errors,
            "*** using the SYNTHETIC camera",
            Duration::from_secs(5),
        );
        assert!(said.contains("synthetic:test-pattern"), "{said}");
    }
    let open = wait_for(&lines, "rtcweb call: open ", Duration::from_secs(10));
    let url = open
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the page's URL")
        .to_owned();

    let mut browser = Chromium::launch_with(&[
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
    ]);
    let version = browser.version();
    let page = browser.new_page_at(&url);
    assert_eq!(browser.evaluate(&page, "call()"), json!(true));

    // The window opens with the first decoded picture of Chromium's camera.
    let window = wait_for(&lines, "window: ", Duration::from_secs(20));
    // Let the picture settle (the first frames are small while the bitrate ramps up).
    std::thread::sleep(Duration::from_secs(5));

    // (1) rtcweb's audio and video arrive in Chromium.
    let stats = browser.evaluate(&page, "inbound()");
    let audio = &stats["audio"];
    let video = &stats["video"];
    println!(
        "Chromium ({version}) received from rtcweb: audio {} packets, totalAudioEnergy {}, \
         {} samples; video {} packets, {} frames decoded, {}x{}",
        audio["packetsReceived"],
        audio["totalAudioEnergy"],
        audio["totalSamplesReceived"],
        video["packetsReceived"],
        video["framesDecoded"],
        video["frameWidth"],
        video["frameHeight"],
    );
    assert_eq!(stats["state"], "connected");
    assert!(
        audio["packetsReceived"].as_u64().unwrap_or(0) > 100,
        "{stats}"
    );
    assert!(
        audio["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{stats}"
    );
    assert!(
        video["packetsReceived"].as_u64().unwrap_or(0) > 0,
        "{stats}"
    );
    assert!(video["framesDecoded"].as_u64().unwrap_or(0) > 30, "{stats}");

    // (2) Chromium's camera in rtcweb's window: screenshots of the X screen. The fake
    // camera's picture pulses in brightness (its green from about 138 to 156 and back) and
    // the window shows it some frames later, so each screenshot is compared with the page's
    // own frames from the second and a half before it to just after it: per channel, the
    // window's mean colour must lie within their range, give or take the tolerance.
    let mut worst = 0.0f64;
    for round in 0..3 {
        let mut page_means = Vec::new();
        let since = Instant::now();
        while since.elapsed() < Duration::from_millis(1500) {
            page_means.push(page_mean(&mut browser, &page));
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut shot = x.screenshot();
        page_means.push(page_mean(&mut browser, &page));
        let (area, screen) = window_area(&window, &mut shot);
        let window_mean = mean_colour(&screen, area);
        let outside = (0..3)
            .map(|c| {
                let lo = page_means.iter().map(|m| m[c]).fold(f64::MAX, f64::min);
                let hi = page_means.iter().map(|m| m[c]).fold(f64::MIN, f64::max);
                (lo - window_mean[c]).max(window_mean[c] - hi).max(0.0)
            })
            .fold(0.0, f64::max);
        worst = worst.max(outside);
        let range = |c: usize| {
            let values = page_means.iter().map(|m| m[c]);
            let lo = values.clone().fold(f64::MAX, f64::min);
            (lo, values.fold(f64::MIN, f64::max))
        };
        println!(
            "round {round}: Chromium's camera over {} frames: r {:.1?}, g {:.1?}, b {:.1?}; \
             rtcweb's window ({window}) {window_mean:.1?}: {outside:.1} outside that range",
            page_means.len(),
            range(0),
            range(1),
            range(2),
        );
        assert!(
            window_mean.iter().any(|&c| c > 40.0),
            "rtcweb's window is black: {window_mean:?}"
        );
        assert!(
            outside <= COLOUR_TOLERANCE,
            "rtcweb's window ({window_mean:?}) does not show Chromium's camera ({page_means:?})"
        );
    }
    println!(
        "the window's colour was at most {worst:.1} outside the page's (tolerance {COLOUR_TOLERANCE})"
    );

    // Hanging up: the example says what the call did, the browser's audio played through the
    // sound server included.
    browser.evaluate(&page, "pc.close()");
    let ended = wait_for(&lines, "the call ended:", Duration::from_secs(15));
    let figures: Vec<u64> = ended
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    let [mic, _mic_dropped, camera, audio_played, video_shown] = figures[..] else {
        panic!("not the call's summary: {ended}")
    };
    assert!(mic > 300, "{ended}");
    assert!(camera > 100, "{ended}");
    assert!(audio_played > 300, "{ended}");
    assert!(video_shown > 100, "{ended}");
}

/// The mean colour `[r, g, b]` of the page's own camera frame now.
fn page_mean(browser: &mut Chromium, page: &str) -> Vec<f64> {
    let local = browser.evaluate(page, "localMean()");
    local["mean"]
        .as_array()
        .expect("the page's mean colour")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

/// An area of the screen: x, y, width, height.
type Area = (usize, usize, usize, usize);

/// A screenshot: its width and its RGB pixels, row after row.
type Screen = (usize, Vec<u8>);

/// The window's area from the example's `window: WxH at X,Y` line, and the screenshot.
fn window_area(line: &str, shot: &mut png::Reader<std::io::Cursor<Vec<u8>>>) -> (Area, Screen) {
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(4)
        .map(|s| s.parse().expect("a number"))
        .collect();
    let [w, h, x, y] = numbers[..] else {
        panic!("not a window line: {line}")
    };
    let mut buffer = vec![0; shot.output_buffer_size().expect("a sized PNG")];
    let info = shot
        .next_frame(&mut buffer)
        .expect("the screenshot's pixels");
    // Expanded from a palette if need be (see `screenshot`).
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("a screenshot in {other:?}"),
    };
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let width = info.width as usize;
    let rgb: Vec<u8> = buffer[..info.buffer_size()]
        .chunks_exact(channels)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    assert!(
        x + w <= width && y + h <= info.height as usize,
        "the window ({line}) is not on the {width}x{} screen",
        info.height
    );
    ((x, y, w, h), (width, rgb))
}

/// The mean `[r, g, b]` of an area of an RGB screen.
fn mean_colour(screen: &Screen, (x, y, w, h): Area) -> Vec<f64> {
    let (width, rgb) = screen;
    let mut sum = [0u64; 3];
    for row in y..y + h {
        for col in x..x + w {
            let p = &rgb[(row * width + col) * 3..][..3];
            for c in 0..3 {
                sum[c] += u64::from(p[c]);
            }
        }
    }
    let n = (w * h) as f64;
    sum.iter().map(|&s| s as f64 / n).collect()
}
