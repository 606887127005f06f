//! A PulseAudio daemon of a test's own (Debian `pulseaudio`), with one null sink: a sound
//! server without a sound card. Whatever is played into the sink can be recorded from its
//! `.monitor` source. Its socket lives in a temporary directory; a process reaches it
//! through `PULSE_SERVER` (see [`SoundServer::pulse_server`]), which only the environment
//! of a child process can carry: [`run_test_in_sound_server`] runs a test body of the
//! current test binary in such a child.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::LabError;

/// The null sink's name (its monitor source is `rtcweb_null.monitor`).
pub const SINK: &str = "rtcweb_null";

/// The variable that points a PulseAudio client (cpal's PulseAudio host, ALSA's `pulse`
/// plugin) at a server.
pub const SERVER_ENV: &str = "PULSE_SERVER";

/// Set in a test body run by [`run_test_in_sound_server`]: the daemon's process id (a test
/// may kill it to see a server go away).
pub const PID_ENV: &str = "RTCWEB_TEST_PULSEAUDIO_PID";

/// Held while a test body runs in its sound server (see [`run_test_in_sound_server`]).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Starts a sound server of its own (`name` as in [`SoundServer::start`]) and runs the
/// ignored test `body` of the current test binary in a child process whose
/// [`SERVER_ENV`] points at it ([`PID_ENV`] holds the daemon's pid); the child's output
/// is printed, and a body that fails (or that the filter did not find) is a panic here.
/// Setting `PULSE_SERVER` in the test's own process would be `unsafe`, and a sound
/// library reads it when it connects. The calls of one test binary run one after another:
/// several daemons and real-time streams at once on a two-core machine starve each other.
///
/// Panics when the daemon cannot start (`pulseaudio` missing included: `cargo xtask test`
/// installs it).
pub fn run_test_in_sound_server(name: &str, body: &str) {
    // A failed test before this one poisons the lock; the next one can still run.
    let _one_at_a_time = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = SoundServer::start(name).unwrap_or_else(|e| panic!("{e}"));
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args([
            body,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SERVER_ENV, server.pulse_server())
        .env(PID_ENV, server.pid().to_string())
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{body} failed in the sound server's process:\n{stdout}\n{stderr}"
    );
}

/// A PulseAudio daemon in a temporary directory, stopped (and its directory removed) on
/// drop.
#[derive(Debug)]
pub struct SoundServer {
    daemon: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl SoundServer {
    /// Starts a daemon with a 48 kHz stereo null sink ([`SINK`]) and an anonymous native
    /// protocol socket; returns once the socket is there. `name` keeps the directories of
    /// several servers apart.
    pub fn start(name: &str) -> Result<Self, LabError> {
        let io = |e: std::io::Error| LabError::Io(format!("pulseaudio's directory: {e}"));
        let dir = std::env::temp_dir().join(format!("rtcweb-pulse-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("run")).map_err(io)?;
        let socket = dir.join("native");
        let config = dir.join("default.pa");
        // Only what the tests need: no hardware detection, no D-Bus, no saved volumes.
        std::fs::write(
            &config,
            format!(
                "load-module module-null-sink sink_name={SINK} rate=48000 channels=2\n\
                 load-module module-native-protocol-unix auth-anonymous=1 socket={}\n",
                socket.display()
            ),
        )
        .map_err(io)?;
        let spawned = Command::new("pulseaudio")
            .args([
                "--daemonize=no",
                "-n",
                "--exit-idle-time=-1",
                "--disallow-exit",
            ])
            // As root (CI, this sandbox) PulseAudio warns but runs with --system=false.
            .arg("--system=false")
            .arg("--log-target=stderr")
            .arg("-F")
            .arg(&config)
            .env("HOME", &dir)
            .env("PULSE_RUNTIME_PATH", dir.join("run"))
            .env_remove("PULSE_SERVER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let daemon = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(LabError::Missing(
                    "the PulseAudio daemon `pulseaudio` (Debian `pulseaudio`; `cargo xtask test` \
                     installs it)",
                ));
            }
            Err(e) => return Err(LabError::Io(format!("cannot start pulseaudio: {e}"))),
        };
        let mut server = Self {
            daemon,
            dir,
            socket,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.socket.exists() {
            if let Ok(Some(status)) = server.daemon.try_wait() {
                return Err(LabError::Io(format!(
                    "pulseaudio exited at start: {status}"
                )));
            }
            if Instant::now() > deadline {
                return Err(LabError::Io("pulseaudio did not open its socket".into()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The socket appears before the modules are all loaded: give it a moment more.
        std::thread::sleep(Duration::from_millis(200));
        Ok(server)
    }

    /// The value of `PULSE_SERVER` that points a client at this server.
    pub fn pulse_server(&self) -> String {
        format!("unix:{}", self.socket.display())
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.daemon.id()
    }
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
